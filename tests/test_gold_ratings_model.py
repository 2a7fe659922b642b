"""The NumPy ratings solver on hand-made seasons with hand-computed answers (no Spark)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cbbd_etl.gold import ratings_model as M
from cbbd_etl.gold.ratings import SeasonData, feature_rows, rank_desc, ratings_rows
from cbbd_etl.gold.season_inputs import day_number, eastern_date, season_games_from_rows, side_possessions

EXACT = M.with_params(recency_half_life_days=0, blowout_threshold=1e9, ridge_games=1e-7, prior_games=1e-7)


def _games(rows: list[tuple], poss: float | None = None) -> M.SeasonGames:
    """rows: (day, home, away, home_pts, away_pts, neutral)."""
    k = len(rows)
    return M.SeasonGames(
        day=np.array([r[0] for r in rows]), home=np.array([r[1] for r in rows]), away=np.array([r[2] for r in rows]),
        neutral=np.array([r[5] for r in rows], bool), home_points=np.array([r[3] for r in rows], float),
        away_points=np.array([r[4] for r in rows], float),
        possessions=np.full(k, np.nan if poss is None else poss), minutes=np.full(k, 40.0),
        team_ids=np.arange(max(max(r[1], r[2]) for r in rows) + 1) + 100)


def test_margin_rating_round_robin_on_neutral_floors() -> None:
    # A beats B by 10, B beats C by 10, A beats C by 20: ratings +10, 0, -10 (centred), no home court
    g = _games([(1, 0, 1, 80, 70, True), (2, 1, 2, 75, 65, True), (3, 0, 2, 90, 70, True)])
    r = M.final_ratings(g, EXACT)
    assert r.adj_margin == pytest.approx([10, 0, -10], abs=1e-4)


def test_home_court_is_fitted_and_neutral_games_have_none() -> None:
    # home and home: A wins at home by 8, B wins at home by 2 -> hca 5, A is 3 better: ratings +1.5 / -1.5
    g = _games([(1, 0, 1, 78, 70, False), (2, 1, 0, 72, 70, False), (3, 0, 1, 73, 70, True)])
    r = M.final_ratings(g, EXACT)
    # least squares: m_A - m_B + h = 8, m_B - m_A + h = 2, m_A - m_B = 3  -> h = 5, diff = 3
    assert r.home_court == pytest.approx(5.0, abs=1e-4)
    assert r.adj_margin[0] - r.adj_margin[1] == pytest.approx(3.0, abs=1e-4)


def test_efficiency_and_tempo_model() -> None:
    # 70 possessions per game in 40 minutes, neutral: A scores 84 vs B's 70 (120 / 100 per 100)
    g = _games([(1, 0, 1, 84, 70, True)], poss=70.0)
    r = M.final_ratings(g, EXACT)
    assert r.mean_eff == pytest.approx(110.0, abs=1e-3)
    # one game cannot tell offence from defence: the symmetric ridge splits the 20-point gap evenly
    assert r.adj_em[0] - r.adj_em[1] == pytest.approx(20.0, abs=1e-3)
    assert r.adj_off[0] - r.adj_off[1] == pytest.approx(10.0, abs=1e-3)
    assert r.adj_def[0] - r.adj_def[1] == pytest.approx(-10.0, abs=1e-3)   # A allows 10 fewer per 100
    assert r.adj_tempo == pytest.approx([70.0, 70.0], abs=1e-3)
    assert r.mean_tempo == pytest.approx(70.0, abs=1e-3)


def test_scores_only_season_has_margin_but_no_efficiency() -> None:
    g = _games([(1, 0, 1, 80, 70, False), (2, 1, 2, 75, 65, False)])
    r = M.final_ratings(g)
    assert np.isfinite(r.adj_margin).all()
    assert np.isnan(r.adj_off).all() and np.isnan(r.adj_tempo).all() and np.isnan(r.adj_em).all()


def test_ratings_use_only_games_strictly_before_the_date() -> None:
    g = _games([(1, 0, 1, 80, 70, True), (2, 0, 1, 60, 90, True)])
    day1, day2 = M.daily_ratings(g, params=EXACT)
    assert (day1.games_played == 0).all() and day1.adj_margin == pytest.approx([0, 0], abs=1e-6)
    assert day2.games_played.tolist() == [1, 1]
    assert day2.adj_margin == pytest.approx([5, -5], abs=1e-4)


def test_warm_started_days_equal_cold_solves() -> None:
    rng = np.random.default_rng(3)
    rows = [(int(d), int(h), int((h + 1 + rng.integers(0, 8)) % 10), int(rng.integers(50, 90)),
             int(rng.integers(50, 90)), bool(rng.random() < 0.2)) for d, h in zip(sorted(rng.integers(0, 40, 200)),
                                                                                 rng.integers(0, 10, 200))]
    g = _games(rows, poss=68.0)
    warm = M.daily_ratings(g)
    for r in warm[5::10]:
        cold, _ = M.solve(g, r.day)
        assert r.adj_margin == pytest.approx(cold.adj_margin, abs=1e-5)
        assert r.adj_off == pytest.approx(cold.adj_off, abs=1e-5)


def test_prior_pulls_early_and_fades() -> None:
    g = _games([(d, 0, 1, 70, 70, True) for d in range(1, 31)])
    prior = M.Prior(margin=np.array([10.0, -10.0]), off=np.full(2, np.nan), defense=np.full(2, np.nan),
                    tempo=np.full(2, np.nan))
    p = M.ModelParams()
    early, _ = M.solve(g, 2, p, prior)     # one game played
    late, _ = M.solve(g, 31, p, prior)     # thirty games of ties
    assert early.adj_margin[0] > 3.0 and early.prior_weight[0] > 0.5
    assert 0 < late.adj_margin[0] < 0.2 and late.prior_weight[0] < 0.01
    assert M.prior_weights(np.array([0.0, 7.0, 14.0, 30.0]), p).tolist() == pytest.approx(
        [4.0, 0.1 + 3.9 * 0.5, 0.1, 0.1])


def test_blowout_damping() -> None:
    assert M.damp_margin(np.array([5.0, -20.0, 30.0, -40.0]), 20.0, 0.5).tolist() == [5.0, -20.0, 25.0, -30.0]


def test_inputs_eastern_date_and_incomplete_box() -> None:
    assert eastern_date("2023-12-02T03:30:00.000Z") == dt.date(2023, 12, 1)      # 22:30 EST the day before
    assert side_possessions({"team_fg_att": 60, "team_oreb": 10, "team_tov": 12, "team_ft_att": 20}) == 71.5
    assert side_possessions({"team_fg_att": 60, "team_oreb": None, "team_tov": 12, "team_ft_att": 20}) is None
    games = [{"game_id": 1, "game_date": dt.date(2024, 1, 5), "status": "final", "home_team_id": 7,
              "away_team_id": 3, "home_points": 70, "away_points": 60, "neutral_site": False},
             {"game_id": 2, "game_date": dt.date(2024, 1, 6), "status": "scheduled", "home_team_id": 7,
              "away_team_id": 3, "home_points": None, "away_points": None}]
    box = dict(team_fg_att=60, team_oreb=10, team_tov=12, team_ft_att=20, game_minutes=45.0)
    sg, ids = season_games_from_rows(games, [{"game_id": 1, "team_id": 7, **box},
                                             {"game_id": 1, "team_id": 3, **box, "team_tov": 14}])
    assert ids == [1] and sg.team_ids.tolist() == [3, 7] and sg.home.tolist() == [1]
    assert sg.possessions.tolist() == [72.5] and sg.minutes.tolist() == [45.0]
    assert sg.day.tolist() == [day_number(dt.date(2024, 1, 5))]


def test_rank_desc_and_rows() -> None:
    assert rank_desc(np.array([1.0, 3.0, np.nan, 3.0, 2.0])) == [4, 1, None, 1, 3]
    rows = [{"game_id": 1, "game_date": dt.date(2024, 1, 5), "status": "final", "home_team_id": 7,
             "home_team": "Seven", "away_team_id": 3, "away_team": "Three", "home_points": 70, "away_points": 60,
             "neutral_site": False, "conference_game": True},
            {"game_id": 2, "game_date": dt.date(2024, 1, 9), "status": "final", "home_team_id": 3,
             "home_team": "Three", "away_team_id": 7, "away_team": "Seven", "home_points": 66, "away_points": 64,
             "neutral_site": False, "conference_game": True}]
    data = SeasonData.from_rows(2024, rows, [])
    ratings = M.daily_ratings(data.games)
    daily = ratings_rows(data, ratings)
    assert len(daily) == 4 and {r["rating_date"] for r in daily} == {dt.date(2024, 1, 5), dt.date(2024, 1, 9)}
    feats = {(r["game_id"], r["team_id"]): r for r in feature_rows(data, ratings)}
    assert len(feats) == 4
    second = feats[(2, 3)]
    assert (second["rest_days"], second["form_margin_last5"], second["opp_form_margin_last5"]) == (4, -10.0, 10.0)
    assert (second["result"], second["margin"], second["total"], second["site"]) == ("W", 2, 130, "home")
    assert feats[(1, 7)]["rest_days"] is None and feats[(1, 7)]["form_margin_last5"] is None
    # the day-before rating of game 2 knows game 1 only: Seven rated above Three, so Three is predicted to lose
    # by more than its home court
    assert second["predicted_margin"] == pytest.approx(
        second["team_adj_margin"] - second["opp_adj_margin"] + second["home_court"])
    assert second["team_adj_margin"] < second["opp_adj_margin"]
