"""gold.market_lines: vig-free probabilities, ATS with a push, over/under, pick'em inference, consensus, CLV."""
from __future__ import annotations

import pytest

from cbbd_etl.gold.markets import market_lines, predicted_margin_column
from cbbd_etl.tables import get_table
from frames import SILVER_GAMES, frame, game

pytestmark = pytest.mark.spark


def _line(game_id: int, provider: str, spread=None, total=None, home_ml=None, away_ml=None, spread_open=None,
          total_open=None) -> dict:
    return {"game_id": game_id, "season": 2024, "provider": provider, "spread": spread, "over_under": total,
            "home_moneyline": home_ml, "away_moneyline": away_ml, "spread_open": spread_open,
            "over_under_open": total_open}


@pytest.fixture(scope="module")
def rows(spark) -> dict:
    lines = [
        _line(1, "A", spread=-5.0, total=140.0, home_ml=-200.0, away_ml=170.0, spread_open=-4.0, total_open=138.0),
        _line(1, "B", spread=-6.0, total=146.0, home_ml=-250.0, away_ml=200.0),
        _line(2, "A", spread=None, total=131.0, home_ml=-110.0, away_ml=-110.0),   # pick'em, as the API sends it
        _line(2, "B", spread=None, total=130.0),                                   # pick'em: total, no moneylines
        _line(2, "C", spread=None, total=129.0, home_ml=-300.0, away_ml=250.0),    # lopsided: a missing spread
        _line(99, "A", spread=-3.0, total=120.0),                                  # no such game: left out
    ]
    games = [game(1, home_points=75, away_points=70), game(2, home_points=60, away_points=62)]
    preds = spark.createDataFrame([(1, 8.0)], "game_id BIGINT, model_margin DOUBLE")
    out = market_lines(frame(spark, get_table("silver.game_lines"), lines), frame(spark, SILVER_GAMES, games), preds)
    return {(r["game_id"], r["provider"]): r for r in out.collect()}


def test_push_is_a_push_and_over_under(rows) -> None:
    a = rows[(1, "A")]
    assert a["actual_margin"] == 5 and a["spread_error"] == 0.0 and a["ats_result"] == "push"
    assert a["actual_total"] == 145 and a["ou_result"] == "over" and a["total_error"] == 5.0
    b = rows[(1, "B")]
    assert b["spread_error"] == -1.0 and b["ats_result"] == "away" and b["ou_result"] == "under"


def test_vig_free_probabilities(rows) -> None:
    a = rows[(1, "A")]
    # -200 → 200/300 = 2/3 ; +170 → 100/270 = 10/27 ; sum 28/27 → vig-free home (2/3)/(28/27) = 18/28
    assert a["home_implied_prob"] == pytest.approx(2 / 3)
    assert a["away_implied_prob"] == pytest.approx(10 / 27)
    assert a["overround"] == pytest.approx(1 / 27)
    assert a["home_win_prob"] == pytest.approx(18 / 28)
    assert a["home_win_prob"] + a["away_win_prob"] == pytest.approx(1.0)
    even = rows[(2, "A")]
    assert even["home_win_prob"] == pytest.approx(0.5)
    assert even["overround"] == pytest.approx(2 * 110 / 210 - 1)


def test_pickem_inferred_from_null_spread(rows) -> None:
    for provider in ("A", "B"):
        r = rows[(2, provider)]
        assert r["spread"] == 0.0 and r["spread_inferred_pickem"] is True
        assert r["spread_error"] == -2.0 and r["ats_result"] == "away"   # home lost by 2 at pick'em
    c = rows[(2, "C")]
    assert c["spread"] is None and c["spread_inferred_pickem"] is False and c["ats_result"] is None
    assert c["actual_total"] == 122 and c["ou_result"] == "under"


def test_movement_open_to_close_and_null_open(rows) -> None:
    a, b = rows[(1, "A")], rows[(1, "B")]
    assert a["spread_move"] == -1.0 and a["total_move"] == 2.0      # -4 → -5, 138 → 140
    assert b["spread_open"] is None and b["spread_move"] is None


def test_consensus_row_is_the_median(rows) -> None:
    c1 = rows[(1, "consensus")]
    assert c1["providers"] == 2 and c1["spread"] == -5.5 and c1["total"] == 143.0
    assert c1["spread_error"] == -0.5 and c1["ats_result"] == "away"
    c2 = rows[(2, "consensus")]
    assert c2["providers"] == 3 and c2["spread"] == 0.0 and c2["total"] == 130.0
    assert {k for k in rows if k[0] == 99} == set()


def test_model_edge_side_and_closing_line_value(rows) -> None:
    a, b = rows[(1, "A")], rows[(1, "B")]
    # model: home by 8. A opened -4 → edge 4 at the open, home side; close -5 → edge 3, CLV = -4 - (-5) = 1
    assert a["model_edge_open"] == 4.0 and a["model_edge"] == 3.0 and a["model_side"] == "home"
    assert a["model_clv_points"] == 1.0 and a["model_ats_result"] == "push"
    # B has no open: side from the close (8 - 6 = 2 → home), home failed to cover → loss, no CLV
    assert b["model_side"] == "home" and b["model_ats_result"] == "loss" and b["model_clv_points"] is None
    assert rows[(2, "A")]["model_margin"] is None and rows[(2, "A")]["model_side"] is None


def test_predicted_margin_column_resolution() -> None:
    assert predicted_margin_column(["game_id", "predicted_margin", "x"]) == "predicted_margin"
    assert predicted_margin_column(["game_id", "home_pred_margin_pts"]) == "home_pred_margin_pts"
    assert predicted_margin_column(["game_id", "margin"]) is None
