"""Job gold_team_ratings_daily: silver.games + silver.team_game_stats -> gold.team_ratings_daily (season partition rebuilt)."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.ratings import build_team_ratings_daily
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_team_ratings_daily(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
