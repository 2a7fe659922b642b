"""Job silver_team_game_stats: bronze ``/games/teams`` → ``silver.team_game_stats``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext
from cbbd_etl.silver import team_game_stats
from cbbd_etl.silver.pipeline import run_silver


def run(ctx: JobContext) -> dict[str, Any]:
    return run_silver(ctx, team_game_stats.source())
