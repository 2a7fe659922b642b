"""Real world: the 2022 season's real scores through bronze -> silver_games -> ratings, against KenPom.

Scores only (no box scores, no neutral flag), so this checks the adjusted
margin rating and the walk-forward predictions. Numbers printed for the report.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cbbd_etl.gold import ratings_model as M
from cbbd_etl.gold.ratings import load_season
from cbbd_etl.gold.season_inputs import day_number
from cbbd_etl.metrics import spearman
from cbbd_etl.runner import make_context, run_job
from real2022 import load_kenpom, load_peer, load_torvik, match_names, scores_as_game_records, write_games_bronze

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def walk_forward(sg: M.SeasonGames, start: dt.date, params: M.ModelParams = M.ModelParams()) -> np.ndarray:
    """Prediction errors (predicted − actual home margin) of every game from ``start`` on, each from the day before."""
    days = sorted({int(d) for d in sg.day if d >= day_number(start)})
    errs = []
    for r in M.daily_ratings(sg, days, params):
        sel = sg.day == r.day
        pred = M.predict(r, sg.home[sel], sg.away[sel], sg.neutral[sel])["margin"]
        errs.append(pred - (sg.home_points[sel] - sg.away_points[sel]))
    return np.concatenate(errs)


def test_real_2022_through_the_lake(spark, lake) -> None:
    records = scores_as_game_records(2022)
    write_games_bronze(lake.bronze.root, records)
    report = run_job(make_context("silver_games", lake, spark=spark, season=2022))
    assert report["season"] == 2022
    data = load_season(spark, lake, 2022)
    assert len(data.games) == len(records) == 5977
    final = M.final_ratings(data.games)
    ours = {data.names[int(t)]: float(final.adj_margin[i]) for i, t in enumerate(data.games.team_ids)}
    kenpom = load_kenpom()
    matched = match_names(list(ours), list(kenpom))
    assert len(matched) >= 355, f"only {len(matched)} of {len(kenpom)} KenPom teams matched"
    kp = [kenpom[matched[n]]["adj_em"] for n in matched]
    rho = spearman([ours[n] for n in matched], kp)
    others = {}
    for name, ref in (("torvik", load_torvik()), ("peer", load_peer())):
        m2 = {n: ref[t] for n, t in match_names(list(matched), list(ref)).items()}
        common = [n for n in matched if n in m2]
        others[name] = (len(common), spearman([m2[n]["adj_em"] for n in common],
                                              [kenpom[matched[n]]["adj_em"] for n in common]))
    errors = walk_forward(data.games, dt.date(2021, 12, 1))
    rmse, mae = float(np.sqrt(np.mean(errors ** 2))), float(np.mean(np.abs(errors)))
    print(f"\nreal 2022: matched {len(matched)}/{len(kenpom)} KenPom teams; ours vs KenPom AdjEM rho={rho:.4f}; "
          f"torvik vs KenPom rho={others['torvik'][1]:.4f} (n={others['torvik'][0]}); "
          f"peer vs KenPom rho={others['peer'][1]:.4f} (n={others['peer'][0]}); home court {final.home_court:.2f}; "
          f"walk-forward from 2021-12-01: n={len(errors)} RMSE={rmse:.3f} MAE={mae:.3f} "
          f"(ridge baseline 13.12: better by {13.12 - rmse:.3f})")
    assert rho >= 0.997
    assert rmse <= 12.9
