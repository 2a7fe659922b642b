"""Job gold_market_lines: thin wrapper; the logic and its documentation are in ``cbbd_etl.gold.markets``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.markets import build_market_lines
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_market_lines(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
