"""Job silver_games: bronze ``/games`` → ``silver.games``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext
from cbbd_etl.silver import games
from cbbd_etl.silver.pipeline import run_silver


def run(ctx: JobContext) -> dict[str, Any]:
    return run_silver(ctx, games.source())
