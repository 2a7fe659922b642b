"""gold.game_features: pre-game features never see the game's date or later (leakage test), and the job wiring."""
from __future__ import annotations

import copy

import pytest
from chispa import assert_df_equality

from cbbd_etl.gold.ratings import SeasonData, feature_rows
from cbbd_etl.gold.ratings_model import daily_ratings
from cbbd_etl.gold.season_inputs import box_row_from_record, game_row_from_record
from cbbd_etl.sim import simulate_season
from cbbd_etl.specs.gold_ratings import GOLD_GAME_FEATURES

pytestmark = pytest.mark.spark

LABELS = {"result", "won", "points_for", "points_against", "margin", "total"}
FEATURES = [c.name for c in GOLD_GAME_FEATURES.columns if c.name not in LABELS]


def _season_rows() -> tuple[list[dict], list[dict]]:
    s = simulate_season(2024, "tiny", 3)
    return ([game_row_from_record(r) for r in s.records("games")],
            [box_row_from_record(r) for r in s.records("games_teams")])


def _features(spark, games: list[dict], boxes: list[dict], on_date) -> "object":
    from cbbd_etl.spark import ddl_schema

    data = SeasonData.from_rows(2024, games, boxes)
    rows = [r for r in feature_rows(data, daily_ratings(data.games)) if r["game_date"] == on_date]
    schema = ddl_schema(", ".join(f"{c.name} {c.type}" for c in GOLD_GAME_FEATURES.columns))
    df = spark.createDataFrame([tuple(r[f.name] for f in schema.fields) for r in rows], schema)
    return df.select(*FEATURES).orderBy("game_id", "team_id")


def test_features_of_a_date_ignore_that_date_and_later(spark) -> None:
    games, boxes = _season_rows()
    dates = sorted({g["game_date"] for g in games})
    cut = dates[len(dates) // 2]
    cut_ids = {g["game_id"] for g in games if g["game_date"] >= cut}
    bad_games, bad_boxes = copy.deepcopy(games), copy.deepcopy(boxes)
    for g in bad_games:
        if g["game_id"] in cut_ids:   # scores reversed and inflated: every outcome on/after the cut changes
            g["home_points"], g["away_points"] = g["away_points"] + 40, g["home_points"]
    for b in bad_boxes:
        if b["game_id"] in cut_ids:
            b["team_fg_att"], b["team_tov"], b["team_oreb"] = b["team_fg_att"] * 2, 0, 0
    clean = _features(spark, games, boxes, cut)
    corrupted = _features(spark, bad_games, bad_boxes, cut)
    assert clean.count() == 2 * sum(1 for g in games if g["game_date"] == cut) > 0
    assert clean.where("team_games_played > 0 AND team_adj_margin IS NOT NULL").count() > 0
    assert_df_equality(clean, corrupted)
    # and the corruption is real: the labels of the cut date differ
    later = dates[dates.index(cut) + 1]
    assert _features(spark, games, boxes, later).collect() != _features(spark, bad_games, bad_boxes, later).collect()
