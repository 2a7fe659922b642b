"""Job gap_fill: final games lacking a dataset → the cheapest API calls → bronze → silver MERGE → log."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gap_fill import run_gap_fill
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return run_gap_fill(ctx)
