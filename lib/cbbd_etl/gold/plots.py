"""PNGs an analyst looks at: adjusted offence vs defence by conference, and the top teams' rating trajectories."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .ratings import SeasonData
from .ratings_model import Ratings
from .season_inputs import from_day


def offense_defense_png(data: SeasonData, final: Ratings, path: Path) -> Path:
    """Adjusted offence (x) vs adjusted defence (y, inverted: up is better), one dot per team, coloured by conference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [int(t) for t in data.games.team_ids]
    confs = [data.conferences.get(t) or "other" for t in ids]
    x, y = final.adj_off, final.adj_def
    fig, ax = plt.subplots(figsize=(10, 8))
    uniq = sorted(set(confs))
    palette = [plt.get_cmap(name)(k) for name in ("tab20", "tab20b", "tab20c") for k in range(20)]
    for k, c in enumerate(uniq):
        sel = np.array([cc == c for cc in confs]) & np.isfinite(x) & np.isfinite(y)
        ax.scatter(x[sel], y[sel], s=18, color=palette[k % len(palette)], label=c,
                   marker="os^D"[(k // len(palette)) % 4])
    order = np.argsort(-np.nan_to_num(final.adj_em, nan=-1e9))[:15]
    for i in order:
        if np.isfinite(x[i]):
            ax.annotate(data.names.get(ids[i], str(ids[i])), (x[i], y[i]), fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("adjusted offence (points per 100 possessions)")
    ax.set_ylabel("adjusted defence (points allowed per 100; up = better)")
    ax.set_title(f"Season {data.season}: adjusted offence vs defence")
    if len(uniq) <= 40:
        ax.legend(fontsize=6, ncol=2, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def trajectories_png(data: SeasonData, ratings: list[Ratings], final: Ratings, path: Path, top: int = 10) -> Path:
    """adj_margin through the season of the final top ``top`` teams."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = [int(t) for t in data.games.team_ids]
    best = np.argsort(-final.adj_margin)[:top]
    dates = [from_day(r.day) for r in ratings]
    fig, ax = plt.subplots(figsize=(11, 6))
    for i in best:
        ax.plot(dates, [r.adj_margin[i] for r in ratings], label=data.names.get(ids[i], str(ids[i])))
    ax.set_ylabel("adjusted margin (points vs an average team, neutral floor)")
    ax.set_title(f"Season {data.season}: rating trajectories of the final top {top}")
    ax.legend(fontsize=7, ncol=2)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_pngs(data: SeasonData, ratings: list[Ratings], final: Ratings, folder: Path) -> list[Any]:
    return [offense_defense_png(data, final, folder / f"ratings_off_def_{data.season}.png"),
            trajectories_png(data, ratings, final, folder / f"ratings_trajectories_{data.season}.png")]
