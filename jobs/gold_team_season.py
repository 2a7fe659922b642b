"""Job gold_team_season: ``silver.games`` + ``silver.team_game_stats`` → ``gold.team_season`` (partition rebuilt)."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.team_season import build_team_season
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_team_season(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
