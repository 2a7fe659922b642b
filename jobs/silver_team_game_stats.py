"""Job silver_team_game_stats: bronze ``/games/teams`` → ``silver.team_game_stats``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext
from cbbd_etl.silver import team_game_stats
from cbbd_etl.silver.pipeline import SilverSource, run_silver
from cbbd_etl.tables import SILVER_TEAM_GAME_STATS

SOURCE = SilverSource(slugs=("games_teams",), api_schema=team_game_stats.API_SCHEMA,
                      api_columns=team_game_stats.API_COLUMNS, transform=team_game_stats.to_silver,
                      table=SILVER_TEAM_GAME_STATS)


def run(ctx: JobContext) -> dict[str, Any]:
    return run_silver(ctx, SOURCE)
