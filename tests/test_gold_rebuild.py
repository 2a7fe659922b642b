"""Gold partition rebuild: ``merge_upsert(..., prune=..., delete_missing=True)``.

A gold row that no longer follows from silver (a team whose games were all
removed) must disappear, other seasons must be untouched, and a replay of the
same input must commit no snapshot.
"""
from __future__ import annotations

import pytest

from cbbd_etl.gold.team_season import team_season
from cbbd_etl.iceberg import merge_upsert, snapshot_ids
from cbbd_etl.tables import GOLD_TEAM_SEASON
from frames import SILVER_GAMES, SILVER_TEAM_GAME_STATS, both_sides, frame, game

pytestmark = pytest.mark.spark

A = dict(fgm=25, fga=60, fg3m=8, ftm=12, fta=16, oreb=10, dreb=25, tov=12)
B = dict(fgm=22, fga=58, fg3m=6, ftm=10, fta=14, oreb=8, dreb=24, tov=14)


def _profile(spark, game_ids: list[int], season: int = 2024):
    sides = {1: both_sides(1, 10, 20, A, B, season=season), 2: both_sides(2, 20, 30, A, B, season=season),
             3: both_sides(3, 10, 40, A, B, season=season)}
    rows = [r for g in game_ids for r in sides[g]]
    games = [game(g, season=season) for g in game_ids]
    return team_season(frame(spark, SILVER_TEAM_GAME_STATS, rows), frame(spark, SILVER_GAMES, games))


def _teams(spark, ident: str, season: int) -> set[int]:
    return {r[0] for r in spark.table(ident).where(f"season = {season}").select("team_id").collect()}


def test_rebuild_deletes_rows_that_no_longer_belong(spark, lake) -> None:
    ident = lake.table(GOLD_TEAM_SEASON.name)
    merge_upsert(spark, lake, GOLD_TEAM_SEASON, _profile(spark, [1, 2, 3], season=2023),
                 prune={"season": [2023]}, delete_missing=True)
    first = merge_upsert(spark, lake, GOLD_TEAM_SEASON, _profile(spark, [1, 2, 3]),
                         prune={"season": [2024]}, delete_missing=True)
    assert (first.inserted, first.deleted) == (4, 0)
    assert _teams(spark, ident, 2024) == {10, 20, 30, 40}

    # team 40's only game disappears from silver: its gold row must go; team 10 changes; 20 and 30 do not
    second = merge_upsert(spark, lake, GOLD_TEAM_SEASON, _profile(spark, [1, 2]),
                          prune={"season": [2024]}, delete_missing=True)
    assert (second.inserted, second.updated, second.unchanged, second.deleted) == (0, 1, 2, 1)
    assert second.committed
    assert _teams(spark, ident, 2024) == {10, 20, 30}
    assert _teams(spark, ident, 2023) == {10, 20, 30, 40}   # other partitions untouched
    row10 = spark.table(ident).where("season = 2024 AND team_id = 10").collect()[0]
    assert row10["games"] == 1

    # identical replay: nothing to do, no snapshot
    before = snapshot_ids(spark, ident)
    third = merge_upsert(spark, lake, GOLD_TEAM_SEASON, _profile(spark, [1, 2]),
                         prune={"season": [2024]}, delete_missing=True)
    assert (third.inserted, third.updated, third.deleted, third.committed) == (0, 0, 0, False)
    assert snapshot_ids(spark, ident) == before


def test_delete_missing_needs_prune(spark, lake) -> None:
    with pytest.raises(ValueError, match="prune"):
        merge_upsert(spark, lake, GOLD_TEAM_SEASON, _profile(spark, [1]), delete_missing=True)
