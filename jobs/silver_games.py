"""Job silver_games: bronze ``/games`` → ``silver.games``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext
from cbbd_etl.silver import games
from cbbd_etl.silver.pipeline import SilverSource, run_silver
from cbbd_etl.tables import SILVER_GAMES

SOURCE = SilverSource(slugs=("games",), api_schema=games.API_SCHEMA, api_columns=games.API_COLUMNS,
                      transform=games.to_silver, table=SILVER_GAMES)


def run(ctx: JobContext) -> dict[str, Any]:
    return run_silver(ctx, SOURCE)
