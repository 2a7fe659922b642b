"""Job gold_player_season: gold.player_game + gold.player_season; logic and definitions in ``cbbd_etl.gold.players``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.players import build_player_season
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_player_season(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
