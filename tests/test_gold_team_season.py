"""gold.team_season transform: records, possessions, tempo with overtime, efficiency, four factors."""
from __future__ import annotations

import pytest
from chispa import assert_approx_df_equality

from cbbd_etl.gold.team_season import team_season
from frames import SILVER_GAMES, SILVER_TEAM_GAME_STATS, both_sides, frame, game

pytestmark = pytest.mark.spark

A = dict(fgm=25, fga=60, fg3m=8, ftm=12, fta=16, oreb=10, dreb=25, tov=12)   # 70 points
B = dict(fgm=22, fga=58, fg3m=6, ftm=10, fta=14, oreb=8, dreb=24, tov=14)    # 60 points
C = dict(fgm=30, fga=65, fg3m=10, ftm=15, fta=20, oreb=12, dreb=30, tov=10)  # 85 points


def _inputs(spark):
    rows = (
        both_sides(1, 10, 20, A, B, conf=True, day=1)                      # 10 beats 20 at home (conf)
        + both_sides(2, 20, 10, C, A, day=2)                               # 20 beats 10 at home
        + both_sides(3, 10, 30, C, B, neutral=True, minutes=45.0, day=3)   # 10 beats 30 neutral, one OT
        + both_sides(4, 30, 10, A, A, day=4)                               # scheduled: must not count
    )
    games = [game(1), game(2, home_points=85, away_points=70), game(3, home_points=85, away_points=60),
             game(4, status="scheduled", home_points=None, away_points=None)]
    return frame(spark, SILVER_TEAM_GAME_STATS, rows), frame(spark, SILVER_GAMES, games)


def poss(b: dict) -> float:
    return b["fga"] - b["oreb"] + b["tov"] + 0.475 * b["fta"]


def test_team_season_profile(spark) -> None:
    team_games, games = _inputs(spark)
    out = team_season(team_games, games).where("team_id = 10")
    p_a, p_b, p_c = poss(A), poss(B), poss(C)
    own = p_a + p_a + p_c             # team 10 played A, A, C
    opp = p_b + p_c + p_b
    minutes = 40 + 40 + 45
    game_poss = (p_a + p_b) / 2 + (p_c + p_a) / 2 + (p_c + p_b) / 2
    pf, pa = 70 + 70 + 85, 60 + 85 + 60
    fgm, fga, fg3m = 25 + 25 + 30, 60 + 60 + 65, 8 + 8 + 10
    o_fgm, o_fga, o_fg3m = 22 + 30 + 22, 58 + 65 + 58, 6 + 10 + 6
    expected_row = {
        "season": 2024, "team_id": 10, "team": "T10", "conference": "C1", "games": 3, "wins": 2, "losses": 1,
        "conf_wins": 1, "conf_losses": 0, "home_wins": 1, "home_losses": 0, "away_wins": 0, "away_losses": 1,
        "neutral_wins": 1, "neutral_losses": 0, "points_for": pf, "points_against": pa,
        "avg_points_for": pf / 3, "avg_points_against": pa / 3, "avg_margin": (pf - pa) / 3,
        "minutes": float(minutes), "possessions": own, "opp_possessions": opp, "tempo": 40 * game_poss / minutes,
        "off_efficiency": 100 * pf / game_poss, "def_efficiency": 100 * pa / game_poss,
        "off_efg_pct": (fgm + 0.5 * fg3m) / fga, "off_tov_pct": (12 + 12 + 10) / own,
        "off_oreb_pct": (10 + 10 + 12) / (10 + 10 + 12 + 24 + 30 + 24), "off_ft_rate": (16 + 16 + 20) / fga,
        "def_efg_pct": (o_fgm + 0.5 * o_fg3m) / o_fga, "def_tov_pct": (14 + 10 + 14) / opp,
        "def_oreb_pct": (8 + 12 + 8) / (8 + 12 + 8 + 25 + 25 + 30), "def_ft_rate": (14 + 20 + 14) / o_fga,
        "net_efficiency": 100 * pf / game_poss - 100 * pa / game_poss,
    }
    off, de = 100 * pf / game_poss, 100 * pa / game_poss
    pythag = off ** 11.5 / (off ** 11.5 + de ** 11.5)
    expected_row.update({"games_missing_box": 0, "game_possessions": game_poss, "win_pct": 2 / 3,
                         "pythag_win_pct": pythag, "luck": 2 / 3 - pythag})
    expected_row = {f.name: expected_row[f.name] for f in out.schema.fields}
    expected = spark.createDataFrame([expected_row], out.schema)
    assert_approx_df_equality(out, expected, precision=1e-9, ignore_nullable=True)


def test_only_final_games_count_and_records_balance(spark) -> None:
    team_games, games = _inputs(spark)
    rows = {r["team_id"]: r for r in team_season(team_games, games).collect()}
    assert set(rows) == {10, 20, 30}
    assert sum(r["wins"] for r in rows.values()) == sum(r["losses"] for r in rows.values()) == 3
    assert rows[30]["games"] == 1 and rows[30]["neutral_losses"] == 1


def test_overtime_is_scaled_not_inflating_tempo(spark) -> None:
    """Same possessions in 45 minutes must give a lower tempo than in 40."""
    rows = both_sides(1, 1, 2, A, B, minutes=40.0) + both_sides(2, 3, 4, A, B, minutes=45.0)
    tg = frame(spark, SILVER_TEAM_GAME_STATS, rows)
    g = frame(spark, SILVER_GAMES, [game(1), game(2)])
    tempo = {r["team_id"]: r["tempo"] for r in team_season(tg, g).collect()}
    assert tempo[3] == pytest.approx(tempo[1] * 40 / 45)


def test_minutes_fall_back_to_period_count(spark) -> None:
    rows = both_sides(1, 1, 2, A, B, minutes=None)
    for r in rows:
        r["team_points_by_period"] = [30, 30, 5, 5]  # two overtimes
    tg = frame(spark, SILVER_TEAM_GAME_STATS, rows)
    out = team_season(tg, frame(spark, SILVER_GAMES, [game(1)])).collect()
    assert {r["minutes"] for r in out} == {50.0}


def test_game_without_complete_box_is_counted_not_summed(spark) -> None:
    """A final game missing one possession input counts in the record and points, not in efficiency/tempo."""
    rows = both_sides(1, 1, 2, A, B) + both_sides(2, 1, 3, C, B)
    rows[2]["opp_tov"] = None          # team 1's view of game 2: the opponent's turnovers are missing
    rows[3]["team_tov"] = None
    tg = frame(spark, SILVER_TEAM_GAME_STATS, rows)
    g = frame(spark, SILVER_GAMES, [game(1), game(2, home_points=85, away_points=60)])
    r = {x["team_id"]: x for x in team_season(tg, g).collect()}[1]
    p_a, p_b = poss(A), poss(B)
    assert (r["games"], r["wins"], r["points_for"], r["games_missing_box"]) == (2, 2, 70 + 85, 1)
    assert r["game_possessions"] == pytest.approx((p_a + p_b) / 2)
    assert r["off_efficiency"] == pytest.approx(100 * 70 / ((p_a + p_b) / 2))
    assert r["def_efficiency"] == pytest.approx(100 * 60 / ((p_a + p_b) / 2))
    assert r["tempo"] == pytest.approx(40 * (p_a + p_b) / 2 / 40)


def test_the_benchs_duckdb_build_agrees_with_the_spark_profile(spark, tmp_path) -> None:
    """``make bench`` times DuckDB building gold.team_season from the same silver files (bench/bench.py's SQL,
    written apart from this module): a benchmark of two builds is only fair if they compute the same table.
    The edge cases of the definitions are all here: a scheduled game, a neutral site, overtime from reported
    minutes and from the period count, and a box score missing a possession input."""
    import duckdb

    import bench_scripts

    bench = bench_scripts.load("bench")
    rows = (both_sides(1, 10, 20, A, B, conf=True, day=1) + both_sides(2, 20, 10, C, A, day=2)
            + both_sides(3, 10, 30, C, B, neutral=True, minutes=45.0, day=3) + both_sides(4, 30, 10, A, A, day=4)
            + both_sides(5, 20, 30, B, C, minutes=None, day=5) + both_sides(6, 30, 20, A, B, day=6))
    for r in rows[8:10]:
        r["team_points_by_period"] = [30, 30, 5, 5]   # two overtimes, minutes not reported
    rows[10]["opp_tov"] = None                        # game 6: team 20's turnovers missing, seen from both sides
    rows[11]["team_tov"] = None
    games = [game(1), game(2, home_points=85, away_points=70), game(3, home_points=85, away_points=60),
             game(4, status="scheduled", home_points=None, away_points=None), game(5, home_points=60, away_points=85),
             game(6)]
    tg, g = frame(spark, SILVER_TEAM_GAME_STATS, rows), frame(spark, SILVER_GAMES, games)
    ours = [r.asDict() for r in team_season(tg, g).collect()]
    g.write.parquet(str(tmp_path / "games"))
    tg.write.parquet(str(tmp_path / "tgs"))
    files = {name: sorted(str(p) for p in (tmp_path / name).glob("*.parquet")) for name in ("games", "tgs")}
    target = tmp_path / "duckdb_team_season.parquet"
    con = duckdb.connect()
    assert bench.duckdb_team_season(con, files["games"], files["tgs"], 2024, target) == 3
    theirs = bench.duckdb_dicts(con, f"SELECT * FROM '{target}'")
    assert {r["team_id"]: r["games_missing_box"] for r in theirs} == {10: 0, 20: 1, 30: 1}
    assert bench.team_season_differences(ours, theirs, list(ours[0])) == []
    # and the comparison itself sees a difference
    team10 = next(r for r in theirs if r["team_id"] == 10)
    ours10 = next(r for r in ours if r["team_id"] == 10)
    team10["tempo"] += 1e-6
    assert bench.team_season_differences(ours, theirs, list(ours[0])) == [
        f"10 tempo: {ours10['tempo']!r} != {team10['tempo']!r}"]
