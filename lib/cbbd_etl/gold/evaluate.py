"""Walk-forward scoring of the ratings' predicted margins, beside the betting market's consensus spread.

Each game is predicted from the ratings as of its date (games strictly
before it). CBBD spreads are from the home team's side, negative = home
favoured (checked on the simulator: spread and home margin correlate at
−0.79), so the market's predicted home margin is ``−median(spread)`` over the
providers of a game. Pure NumPy.
"""
from __future__ import annotations

import datetime as dt
import math
from statistics import median
from typing import Any, Iterable, Mapping

import numpy as np

from .ratings import SeasonData
from .ratings_model import Ratings, predict
from .season_inputs import day_number


def consensus_spreads(lines: Iterable[Mapping[str, Any]]) -> dict[int, float]:
    """Median closing spread over providers per game (``silver.game_lines`` rows; nulls ignored)."""
    by_game: dict[int, list[float]] = {}
    for r in lines:
        if r.get("spread") is not None:
            by_game.setdefault(int(r["game_id"]), []).append(float(r["spread"]))
    return {g: float(median(v)) for g, v in by_game.items()}


def scores(pred: np.ndarray, actual: np.ndarray) -> dict[str, Any]:
    """RMSE, MAE and straight-up accuracy (a predicted 0 counts as wrong; tied games are skipped)."""
    if len(pred) == 0:
        return {"games": 0, "rmse": None, "mae": None, "accuracy": None}
    err = pred - actual
    decided = actual != 0
    right = np.sign(pred[decided]) == np.sign(actual[decided])
    return {"games": int(len(pred)), "rmse": round(float(np.sqrt(np.mean(err ** 2))), 3),
            "mae": round(float(np.mean(np.abs(err))), 3),
            "accuracy": round(float(np.mean(right)), 4) if decided.any() else None}


def walk_forward(data: SeasonData, ratings: list[Ratings], start: dt.date | None = None,
                 spreads: Mapping[int, float] | None = None) -> dict[str, Any]:
    """Score every final game on/after ``start``; where a consensus spread exists, score both on those games."""
    sg = data.games
    by_day = {r.day: r for r in ratings}
    first = day_number(start) if start else -10 ** 9
    preds, actual, ids = [], [], []
    for day in sorted({int(d) for d in sg.day if d >= first}):
        sel = np.flatnonzero(sg.day == day)
        r = by_day[day]
        p = predict(r, sg.home[sel], sg.away[sel], sg.neutral[sel])["margin"]
        preds.append(p)
        actual.append(sg.home_points[sel] - sg.away_points[sel])
        ids.extend(data.game_ids[k] for k in sel)
    pred = np.concatenate(preds) if preds else np.zeros(0)
    act = np.concatenate(actual) if actual else np.zeros(0)
    out: dict[str, Any] = {"from": str(start) if start else None, "model": scores(pred, act)}
    if spreads:
        has = np.array([g in spreads and math.isfinite(spreads[g]) for g in ids], dtype=bool)
        market = -np.array([spreads[g] for g, h in zip(ids, has) if h])
        out["games_with_lines"] = int(has.sum())
        out["model_on_lined_games"] = scores(pred[has], act[has])
        out["consensus_spread"] = scores(market, act[has])
    return out
