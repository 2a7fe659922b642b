"""gold.power_rankings: a weekly composite rank per season.

Weeks: week 1 starts on the season's first game date; a week's ratings are the
project's ratings as of the day after its last day (``team_ratings_daily`` of
the last rating date in the week, i.e. games through the week). Sources and
weights of the composite (each turned into a score 100·(1 − (rank − 1)/N),
N = teams in the season, then averaged with these weights over the sources a
team has that week):

* project adjusted margin 0.40, project adjusted efficiency margin 0.20;
* AP poll 0.10 and Coaches poll 0.10 (``silver.rankings``, ranked teams only,
  matched by CBBD's poll week number);
* CBBD SRS, adjusted net rating and Elo 0.0667 each (``silver.ratings_*``).
  These are end-of-season snapshots: they enter only the season's last week,
  whose rows carry ``end_of_season_snapshot = true``; earlier weeks never see
  them (they would leak the season's end into its middle).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from .ratings import SeasonData, rank_desc
from .ratings_model import Ratings, final_ratings
from .season_inputs import from_day

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from ..config import Config

WEIGHTS = {"rank_margin": 0.40, "rank_em": 0.20, "ap_rank": 0.10, "coaches_rank": 0.10,
           "rank_cbbd_srs": 0.2 / 3, "rank_cbbd_adjusted": 0.2 / 3, "rank_cbbd_elo": 0.2 / 3}
POLLS = {"ap": "ap_rank", "ap top 25": "ap_rank", "coaches": "coaches_rank", "coaches poll": "coaches_rank",
         "usa today coaches poll": "coaches_rank"}


def _ranks_of(rows: Iterable[Mapping[str, Any]], value: str, team_ids: list[int]) -> dict[int, int]:
    vals = {int(r["team_id"]): r.get(value) for r in rows if r.get("team_id") is not None}
    arr = np.array([float(vals[t]) if vals.get(t) is not None else np.nan for t in team_ids])
    return {t: rk for t, rk in zip(team_ids, rank_desc(arr)) if rk is not None}


def power_rows(data: SeasonData, ratings: list[Ratings], polls: Iterable[Mapping[str, Any]] = (),
               cbbd: Mapping[str, Iterable[Mapping[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """Rows of gold.power_rankings; ``cbbd`` maps srs/adjusted/elo to ``silver.ratings_*`` rows."""
    if not ratings:
        return []
    sg = data.games
    ids = [int(t) for t in sg.team_ids]
    n = len(ids)
    first = int(sg.day.min())
    last_week = (int(sg.day.max()) - first) // 7 + 1
    poll_rank: dict[tuple[int, str], dict[int, int]] = {}
    for p in polls:
        col = POLLS.get(str(p.get("poll_type") or "").strip().lower())
        if col and p.get("ranking") is not None and p.get("week") is not None:
            poll_rank.setdefault((int(p["week"]), col), {})[int(p["team_id"])] = int(p["ranking"])
    cbbd = cbbd or {}
    snap = {"rank_cbbd_srs": _ranks_of(cbbd.get("srs", ()), "rating", ids),
            "rank_cbbd_adjusted": _ranks_of(cbbd.get("adjusted", ()), "net_rating", ids),
            "rank_cbbd_elo": _ranks_of(cbbd.get("elo", ()), "elo", ids)}
    # the ratings after each week: the last rating date inside the week (pass the final ratings, dated the day
    # after the last game, so the last week includes its own games)
    by_week: dict[int, Ratings] = {}
    for r in ratings:
        by_week[(r.day - 1 - first) // 7 + 1] = r
    out = []
    for week in range(1, last_week + 1):
        r = by_week.get(week)
        if r is None or r.day - 1 < first:
            continue
        rm = rank_desc(np.where(r.games_played > 0, r.adj_margin, np.nan))
        re_ = rank_desc(r.adj_em)
        final_week = week == last_week
        for i, tid in enumerate(ids):
            if r.games_played[i] == 0:
                continue
            row: dict[str, Any] = {"season": data.season, "week": week,
                                   "week_end": from_day(first + 7 * week - 1), "team_id": tid,
                                   "team": data.names.get(tid), "rank_margin": rm[i], "rank_em": re_[i],
                                   "ap_rank": poll_rank.get((week, "ap_rank"), {}).get(tid),
                                   "coaches_rank": poll_rank.get((week, "coaches_rank"), {}).get(tid),
                                   "end_of_season_snapshot": final_week}
            for col, ranks in snap.items():
                row[col] = ranks.get(tid) if final_week else None
            total = wsum = 0.0
            for col, w in WEIGHTS.items():
                if row.get(col) is not None:
                    total += w * 100.0 * (1.0 - (row[col] - 1) / n)
                    wsum += w
            row["sources"] = sum(1 for c in WEIGHTS if row.get(c) is not None)
            row["composite_score"] = total / wsum if wsum else None
            out.append(row)
    for week in {r["week"] for r in out}:
        rows = [r for r in out if r["week"] == week]
        ranks = rank_desc(np.array([r["composite_score"] if r["composite_score"] is not None else np.nan
                                    for r in rows]))
        for r, rk in zip(rows, ranks):
            r["composite_rank"] = rk
    return out


def build_power_rankings(spark: "SparkSession", cfg: "Config", season: int, run_id: str) -> dict[str, Any]:
    """Rebuild one season of gold.power_rankings from silver (ratings solved here, polls and CBBD ratings read)."""
    from pyspark.sql import functions as F

    from ..iceberg import table_exists
    from ..specs.gold_ratings import GOLD_POWER_RANKINGS
    from .ratings import _write, solve_season

    data, ratings, prior = solve_season(spark, cfg, season)
    if len(data.games):
        ratings = ratings + [final_ratings(data.games, prior=prior)]   # through the last game day

    def rows_of(name: str) -> list[dict[str, Any]]:
        ident = cfg.table(name)
        if not table_exists(spark, ident):
            return []
        return [r.asDict() for r in spark.table(ident).where(F.col("season") == season).collect()]

    cbbd = {"srs": rows_of("silver.ratings_srs"), "adjusted": rows_of("silver.ratings_adjusted"),
            "elo": rows_of("silver.ratings_elo")}
    polls = rows_of("silver.rankings")
    rows = power_rows(data, ratings, polls, cbbd)
    return {"table": GOLD_POWER_RANKINGS.name, "rows": len(rows), "poll_rows": len(polls),
            "cbbd_snapshot_rows": {k: len(v) for k, v in cbbd.items()},
            **_write(spark, cfg, GOLD_POWER_RANKINGS, rows, season, run_id)}
