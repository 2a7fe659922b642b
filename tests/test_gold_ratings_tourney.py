"""Possessions and four factors of gold.team_season on the real NCAA tournament box scores of 2022.

The expected values are computed here by hand from the Kaggle CSV columns (W*/L*), independently of the
Spark code: possessions FGA − OR + TO + 0.475·FTA, eFG% (FGM + 0.5·FGM3)/FGA, TOV% TO/poss,
OREB% OR/(OR + opponent DR), FT rate FTA/FGA, all from season sums.
"""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from cbbd_etl.gold.team_season import team_season
from frames import SILVER_GAMES, SILVER_TEAM_GAME_STATS, frame
from real2022 import REAL

pytestmark = pytest.mark.spark


def _tourney(season: int = 2022) -> list[dict[str, str]]:
    with (REAL / "MNCAATourneyDetailedResults.csv").open() as fh:
        return [r for r in csv.DictReader(fh) if int(r["Season"]) == season]


def _side(r: dict[str, str], me: str, opp: str, gid: int) -> dict:
    def box(prefix: str, p: str) -> dict:
        fgm, fgm3, ftm = int(r[f"{p}FGM"]), int(r[f"{p}FGM3"]), int(r[f"{p}FTM"])
        return {f"{prefix}_fg_made": fgm, f"{prefix}_fg_att": int(r[f"{p}FGA"]), f"{prefix}_fg3_made": fgm3,
                f"{prefix}_ft_made": ftm, f"{prefix}_ft_att": int(r[f"{p}FTA"]), f"{prefix}_oreb": int(r[f"{p}OR"]),
                f"{prefix}_dreb": int(r[f"{p}DR"]), f"{prefix}_tov": int(r[f"{p}TO"]),
                f"{prefix}_points": int(r[f"{p}Score"])}
    return {"game_id": gid, "team_id": int(r[f"{me}TeamID"]), "opponent_id": int(r[f"{opp}TeamID"]), "season": 2022,
            "team": r[f"{me}TeamID"], "conference": "X", "is_home": False, "neutral_site": True,
            "conference_game": False, "game_minutes": 40.0 + 5 * int(r["NumOT"]),
            "start_date": dt.datetime(2022, 3, 15) + dt.timedelta(days=int(r["DayNum"]) - 134),
            **box("team", me), **box("opp", opp)}


def test_possessions_and_four_factors_match_a_hand_computation(spark) -> None:
    games = _tourney()
    assert len(games) == 67
    rows, grows = [], []
    for i, r in enumerate(games):
        rows += [_side(r, "W", "L", i), _side(r, "L", "W", i)]
        grows.append({"game_id": i, "season": 2022, "status": "final", "home_points": int(r["WScore"]),
                      "away_points": int(r["LScore"])})
    out = {x["team_id"]: x for x in team_season(frame(spark, SILVER_TEAM_GAME_STATS, rows),
                                               frame(spark, SILVER_GAMES, grows)).collect()}
    hand: dict[int, dict[str, float]] = {}
    for r in games:
        for me, opp in (("W", "L"), ("L", "W")):
            t = hand.setdefault(int(r[f"{me}TeamID"]), {k: 0.0 for k in (
                "fgm", "fga", "fgm3", "fta", "or", "to", "opp_dr", "poss")})
            t["fgm"] += int(r[f"{me}FGM"])
            t["fga"] += int(r[f"{me}FGA"])
            t["fgm3"] += int(r[f"{me}FGM3"])
            t["fta"] += int(r[f"{me}FTA"])
            t["or"] += int(r[f"{me}OR"])
            t["to"] += int(r[f"{me}TO"])
            t["opp_dr"] += int(r[f"{opp}DR"])
            t["poss"] += int(r[f"{me}FGA"]) - int(r[f"{me}OR"]) + int(r[f"{me}TO"]) + 0.475 * int(r[f"{me}FTA"])
    assert set(out) == set(hand) and len(hand) == 68
    for tid, h in hand.items():
        o = out[tid]
        assert o["possessions"] == pytest.approx(h["poss"])
        assert o["off_efg_pct"] == pytest.approx((h["fgm"] + 0.5 * h["fgm3"]) / h["fga"])
        assert o["off_tov_pct"] == pytest.approx(h["to"] / h["poss"])
        assert o["off_oreb_pct"] == pytest.approx(h["or"] / (h["or"] + h["opp_dr"]))
        assert o["off_ft_rate"] == pytest.approx(h["fta"] / h["fga"])
    # Kansas (1242), the 2022 champion: six games
    assert out[1242]["games"] == 6 and out[1242]["wins"] == 6
