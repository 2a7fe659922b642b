"""Job gold_power_rankings: project ratings + CBBD ratings + polls -> gold.power_rankings (season partition)."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.power_rankings import build_power_rankings
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_power_rankings(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
