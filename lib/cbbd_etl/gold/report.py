"""Adjusted vs raw ratings against the simulator's latent truth: the demo's check."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..metrics import spearman
from .ratings import SeasonData, load_season
from .ratings_model import ModelParams, final_ratings

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from ..config import Config
    from ..sim.truth import SeasonTruth


def raw_net_efficiency(data: SeasonData) -> np.ndarray:
    """Unadjusted points-for minus points-against per 100 game possessions (box-complete games)."""
    sg = data.games
    n = sg.n_teams
    box = np.isfinite(sg.possessions)
    diff = sg.home_points - sg.away_points
    net = np.bincount(sg.home[box], weights=diff[box], minlength=n) - np.bincount(sg.away[box], weights=diff[box],
                                                                                   minlength=n)
    poss = np.bincount(sg.home[box], weights=sg.possessions[box], minlength=n) + np.bincount(
        sg.away[box], weights=sg.possessions[box], minlength=n)
    return np.where(poss > 0, 100.0 * net / np.where(poss > 0, poss, 1), np.nan)


def compare_with_truth(data: SeasonData, truth: "SeasonTruth", params: ModelParams = ModelParams()) -> dict[str, Any]:
    """Spearman of raw and adjusted ratings against the truth, plus both top 25s."""
    r = final_ratings(data.games, params)
    ids = [int(t) for t in data.games.team_ids]
    known = [i for i, t in enumerate(ids) if t in truth.teams]
    true_net = [truth.teams[ids[i]].net for i in known]
    raw = raw_net_efficiency(data)

    def rho(values: np.ndarray, target: list[float]) -> float | None:
        pairs = [(float(values[i]), t) for i, t in zip(known, target) if np.isfinite(values[i])]
        return round(spearman([a for a, _ in pairs], [b for _, b in pairs]), 4) if len(pairs) > 2 else None

    def top(values: np.ndarray) -> list[tuple[str, float]]:
        order = np.argsort(-np.nan_to_num(values, nan=-1e9))[:25]
        return [(data.names.get(ids[i], str(ids[i])), round(float(values[i]), 2)) for i in order]

    return {
        "season": data.season, "teams": len(ids),
        "rho_raw_net": rho(raw, true_net), "rho_adj_margin": rho(r.adj_margin, true_net),
        "rho_adj_em": rho(r.adj_em, true_net),
        "rho_adj_off": rho(r.adj_off, [truth.teams[ids[i]].offense for i in known]),
        "rho_adj_def": rho(-r.adj_def, [truth.teams[ids[i]].defense for i in known]),
        "rho_adj_tempo": rho(r.adj_tempo, [truth.teams[ids[i]].tempo for i in known]),
        "home_court": round(r.home_court, 3), "true_home_court": truth.home_court_advantage,
        "top25_adjusted": top(r.adj_margin), "top25_raw": top(raw),
    }


def ratings_vs_truth(spark: "SparkSession", cfg: "Config", season: int, truth: "SeasonTruth") -> dict[str, Any]:
    """The demo's entry point: read the season from silver and compare raw and adjusted ratings with the truth."""
    return compare_with_truth(load_season(spark, cfg, season), truth)


def format_top25(result: dict[str, Any]) -> str:
    """Adjusted and raw top 25 side by side, then the rho of each against the truth."""
    lines = [f"{'#':>2}  {'adjusted margin':<30}{'raw net efficiency':<30}"]
    for k, (a, b) in enumerate(zip(result["top25_adjusted"], result["top25_raw"]), start=1):
        lines.append(f"{k:>2}  {a[0][:22]:<22}{a[1]:>7.2f} {b[0][:22]:<22}{b[1]:>7.2f}")
    lines.append(f"rho vs truth: adjusted margin {result['rho_adj_margin']}, adjusted EM {result['rho_adj_em']}, "
                 f"raw net {result['rho_raw_net']}; off {result['rho_adj_off']}, def {result['rho_adj_def']}, "
                 f"tempo {result['rho_adj_tempo']}")
    return "\n".join(lines)
