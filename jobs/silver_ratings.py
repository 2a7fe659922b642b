"""Job silver_ratings: Polls and ratings: rankings, adjusted efficiency, SRS, Elo."""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext
from cbbd_etl.silver.endpoint_transform import run_endpoint_tables


def run(ctx: JobContext) -> dict[str, Any]:
    return run_endpoint_tables(ctx, ctx.job.table_outputs)
