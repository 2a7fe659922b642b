"""gold.player_game / gold.player_season: hand-computed TS%, usage, rates, zero minutes, missing team counts,
and the team adjustment of the box impact (player impacts sum to the team margin)."""
from __future__ import annotations

import pytest

from cbbd_etl.gold.players import player_game, player_season
from cbbd_etl.tables import get_table
from frames import SILVER_GAMES, SILVER_TEAM_GAME_STATS, frame, game, team_game

pytestmark = pytest.mark.spark

T10 = dict(fgm=25, fga=60, fg3m=6, ftm=14, fta=20, oreb=10, dreb=25, tov=12)
T20 = dict(fgm=22, fga=58, fg3m=5, ftm=10, fta=14, oreb=8, dreb=24, tov=14)


def _player(athlete_id: int, team_id: int, minutes: float, fgm: float = 0, fga: float = 0, fg3m: float = 0,
            fg3a: float = 0, ftm: float = 0, fta: float = 0, oreb: float = 0, dreb: float = 0, ast: float = 0,
            tov: float = 0, stl: float = 0, blk: float = 0, pf: float = 0) -> dict:
    pts = 2 * (fgm - fg3m) + 3 * fg3m + ftm
    counts = {"minutes": minutes, "field_goals_made": fgm, "field_goals_attempted": fga,
              "three_point_field_goals_made": fg3m, "three_point_field_goals_attempted": fg3a,
              "free_throws_made": ftm, "free_throws_attempted": fta, "rebounds_offensive": oreb,
              "rebounds_defensive": dreb, "rebounds_total": oreb + dreb, "assists": ast, "turnovers": tov,
              "steals": stl, "blocks": blk, "fouls": pf, "points": pts}
    return {"game_id": 1, "season": 2024, "team_id": team_id, "team": f"T{team_id}", "conference": "C1",
            "opponent_id": 30 - team_id, "athlete_id": athlete_id, "name": f"P{athlete_id}", "starter": minutes > 20,
            **{k: float(v) for k, v in counts.items()}}


def _inputs(spark, t20_missing_fga: bool = True):
    players = [
        # Team 10: five 40-minute players (team minutes 200) and one who did not play.
        _player(1, 10, 40, fgm=8, fga=16, fg3m=2, fg3a=5, ftm=4, fta=5, oreb=2, dreb=6, ast=5, tov=3, stl=1, pf=2),
        _player(2, 10, 40, fgm=5, fga=12, fg3m=1, fg3a=4, ftm=2, fta=4, oreb=3, dreb=5, ast=2, tov=2, blk=2, pf=3),
        _player(3, 10, 0),
        _player(4, 10, 40, fgm=4, fga=10, fg3m=1, fg3a=3, ftm=3, fta=4, oreb=2, dreb=5, ast=3, tov=3, stl=2),
        _player(5, 10, 40, fgm=4, fga=11, fg3m=1, fg3a=4, ftm=2, fta=3, oreb=2, dreb=5, ast=4, tov=2),
        _player(6, 10, 40, fgm=4, fga=11, fg3m=1, fg3a=4, ftm=3, fta=4, oreb=1, dreb=4, ast=1, tov=2, pf=1),
        # Team 20: one player is enough; its team box lacks FGA.
        _player(7, 20, 40, fgm=6, fga=14, fg3m=2, fg3a=6, ftm=2, fta=2, oreb=1, dreb=4, ast=2, tov=3),
    ]
    home = team_game(1, 10, 20, T10, T20, home=True)
    away = team_game(1, 20, 10, T20, T10, home=False)
    if t20_missing_fga:
        away["team_fg_att"] = None
    pgs = frame(spark, get_table("silver.player_game_stats"), players)
    tgs = frame(spark, SILVER_TEAM_GAME_STATS, [home, away])
    return pgs, tgs, frame(spark, SILVER_GAMES, [game(1)])


@pytest.fixture(scope="module")
def game_frame(spark):
    """One transform run shared by the tests (Spark jobs are the slow part), kept as a local frame."""
    out = player_game(*_inputs(spark))
    return spark.createDataFrame(out.collect(), out.schema)


@pytest.fixture(scope="module")
def game_rows(game_frame) -> dict:
    return {r["athlete_id"]: r for r in game_frame.collect()}


def test_player_game_hand_computed_rates(game_rows) -> None:
    rows = game_rows
    p1 = rows[1]
    assert p1["team_minutes"] == 200.0
    # TS% = PTS / (2·(FGA + 0.44·FTA)) = 22 / (2·(16 + 2.2)) = 22 / 36.4
    assert p1["points"] == 22.0
    assert p1["ts_pct"] == pytest.approx(22 / 36.4)
    assert p1["efg_pct"] == pytest.approx(9 / 16)
    # Usage = 100·((16 + 0.44·5 + 3)·(200/5)) / (40·(60 + 0.44·20 + 12)) = 100·(21.2·40)/(40·80.8)
    assert p1["usage_rate"] == pytest.approx(100 * 21.2 / 80.8)
    # AST% = 100·5 / ((40/40)·25 − 8) = 500/17 ; TOV% = 100·3/21.2
    assert p1["ast_rate"] == pytest.approx(500 / 17)
    assert p1["tov_rate"] == pytest.approx(300 / 21.2)
    # OREB% = 100·2·40 / (40·(10 + 24)) ; DREB% = 100·6·40/(40·(25 + 8)) ; TREB% = 100·8/(10+25+8+24)
    assert p1["oreb_rate"] == pytest.approx(200 / 34)
    assert p1["dreb_rate"] == pytest.approx(600 / 33)
    assert p1["treb_rate"] == pytest.approx(800 / 67)
    # possessions: team 60 − 10 + 12 + 0.475·20 = 71.5, full share → per 100 = 100·22/71.5
    assert p1["team_possessions"] == pytest.approx(71.5)
    assert p1["possessions"] == pytest.approx(71.5)
    assert p1["points_per100"] == pytest.approx(2200 / 71.5)
    assert p1["points_per40"] == pytest.approx(22.0)
    # Game Score weights: 22 + 3.2 − 11.2 − 0.4 + 1.4 + 1.8 + 1 + 3.5 + 0 − 0.8 − 3 = 17.5
    assert p1["box_score_per100"] == pytest.approx(1750 / 71.5)


def test_zero_minutes_gives_nulls_not_errors(game_rows) -> None:
    p3 = game_rows[3]
    for col in ("ts_pct", "efg_pct", "usage_rate", "ast_rate", "tov_rate", "oreb_rate", "points_per40",
                "points_per100", "possessions", "box_score_per100"):
        assert p3[col] is None, col


def test_missing_team_counts_null_only_the_rates_that_need_them(game_rows) -> None:
    p7 = game_rows[7]
    assert p7["team_fg_att"] is None
    assert p7["usage_rate"] is None and p7["possessions"] is None and p7["points_per100"] is None
    assert p7["ts_pct"] == pytest.approx(16 / (2 * (14 + 0.88)))    # own counts only: still there
    assert p7["points_per40"] == pytest.approx(16.0)


def test_impacts_sum_to_team_margin_and_filters(spark, game_frame) -> None:
    pg = game_frame
    margins = spark.createDataFrame([(2024, 10, 7.5, "test"), (2024, 20, -7.5, "test")],
                                    "season INT, team_id BIGINT, team_margin_per100 DOUBLE, team_margin_source STRING")
    rows = {r["athlete_id"]: r for r in player_season(pg, margins).collect()}
    team10 = [rows[i] for i in (1, 2, 3, 4, 5, 6)]
    shares = [r["minutes_share"] for r in team10 if r["minutes_share"] is not None]
    assert sum(shares) == pytest.approx(5.0)
    weighted = sum(r["impact"] * r["minutes_share"] for r in team10 if r["impact"] is not None)
    assert weighted == pytest.approx(7.5)
    # The adjustment is one constant per team: impact differences are box-score differences.
    assert rows[1]["impact"] - rows[2]["impact"] == pytest.approx(
        rows[1]["box_score_per100"] - rows[2]["box_score_per100"])
    assert rows[3]["impact"] is None and rows[3]["qualified"] is False and rows[3]["impact_rank"] is None
    assert rows[1]["qualified"] is True and rows[1]["games"] == 1 and rows[1]["team_games"] == 1
    assert rows[7]["impact"] is None     # team 20 lacks counts: no impact rather than a wrong one
    ranked = sorted((r["impact_rank"], r["athlete_id"]) for r in rows.values() if r["impact_rank"])
    assert [a for _, a in ranked] == sorted((i for i in (1, 2, 4, 5, 6)), key=lambda i: -rows[i]["impact"])
