"""Game-level datasets: which silver table holds each and when a final game counts as covered.

A declaration (no Spark, no I/O): the audit measures coverage with it, gap-fill
asks the API for what it lacks, and the job registry derives the audit job's
inputs from it, so none of them imports the others to know the list.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GameCoverage:
    """A game-level dataset: which silver table holds it and how many rows per game make a game covered."""

    dataset: str
    table: str
    min_rows_per_game: int = 1
    threshold_pct: float = 99.0


GAME_DATASETS: tuple[GameCoverage, ...] = (
    GameCoverage("team_box_scores", "silver.team_game_stats", min_rows_per_game=2),
    GameCoverage("player_box_scores", "silver.player_game_stats"),
    GameCoverage("plays", "silver.plays"),
    GameCoverage("substitutions", "silver.substitutions"),
    GameCoverage("lineups", "silver.game_lineups"),
    GameCoverage("lines", "silver.game_lines", threshold_pct=80.0),
)
