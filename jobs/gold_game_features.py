"""Job gold_game_features: silver.games + silver.team_game_stats -> gold.game_features (season partition rebuilt)."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.ratings import build_game_features
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_game_features(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
