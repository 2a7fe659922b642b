"""gold.team_ratings_daily and gold.game_features: Spark reads silver, NumPy solves, Spark writes.

A season is small (~6,000 games), so the season's final games are collected to
the driver, rated with :mod:`cbbd_etl.gold.ratings_model` for every game date
(each date from games strictly before it), and written back with one
``createDataFrame``. The row builders here are pure (lists of dicts in and
out) so the tests, the CLI's walk-forward evaluation and the leakage test call
them without Spark.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..log import event, get_logger
from .ratings_model import ModelParams, Prior, Ratings, SeasonGames, daily_ratings, final_ratings, predict, prior_from
from .season_inputs import from_day, is_final, season_games_from_rows

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from ..config import Config

log = get_logger("gold.ratings")

GAME_COLUMNS = ("game_id", "season", "game_date", "status", "neutral_site", "conference_game", "home_team_id",
                "home_team", "home_conference", "home_points", "away_team_id", "away_team", "away_conference",
                "away_points")
BOX_COLUMNS = ("game_id", "team_id", "game_minutes", "team_fg_att", "team_oreb", "team_tov", "team_ft_att",
               "team_points_by_period")


@dataclass
class SeasonData:
    """One season's final games as solver arrays plus the silver rows they came from."""

    season: int
    games: SeasonGames
    game_ids: list[int]
    rows: list[dict[str, Any]]          # silver.games rows (all statuses)
    names: dict[int, str]
    conferences: dict[int, str | None]

    @staticmethod
    def from_rows(season: int, game_rows: list[dict[str, Any]], box_rows: list[dict[str, Any]]) -> "SeasonData":
        sg, ids = season_games_from_rows(game_rows, box_rows)
        names: dict[int, str] = {}
        confs: dict[int, str | None] = {}
        for g in sorted(game_rows, key=lambda g: (g.get("game_date") or dt.date.min, g["game_id"])):
            for side in ("home", "away"):
                tid = g.get(f"{side}_team_id")
                if tid is not None:
                    names[int(tid)] = g.get(f"{side}_team")
                    confs[int(tid)] = g.get(f"{side}_conference")
        return SeasonData(season, sg, ids, game_rows, names, confs)


def rank_desc(values: np.ndarray) -> list[int | None]:
    """1 = best (largest); NaN gets no rank; ties share the better rank."""
    out: list[int | None] = [None] * len(values)
    finite = [(float(v), i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    finite.sort(key=lambda t: -t[0])
    rank = 0
    prev = None
    for pos, (v, i) in enumerate(finite, start=1):
        if v != prev:
            rank, prev = pos, v
        out[i] = rank
    return out


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def ratings_rows(data: SeasonData, ratings: list[Ratings]) -> list[dict[str, Any]]:
    """``gold.team_ratings_daily`` rows: every team of the season on every rating date."""
    out = []
    sg = data.games
    for r in ratings:
        em = r.adj_em
        rank_em, rank_m = rank_desc(em), rank_desc(np.where(r.games_played > 0, r.adj_margin, np.nan))
        for i, tid in enumerate(sg.team_ids):
            tid = int(tid)
            out.append({
                "season": data.season, "rating_date": from_day(r.day), "team_id": tid,
                "team": data.names.get(tid), "conference": data.conferences.get(tid),
                "games_played": int(r.games_played[i]), "box_games_played": int(r.box_games_played[i]),
                "adj_off": _num(r.adj_off[i]), "adj_def": _num(r.adj_def[i]), "adj_tempo": _num(r.adj_tempo[i]),
                "adj_em": _num(em[i]), "adj_margin": _num(r.adj_margin[i]), "rank_em": rank_em[i],
                "rank_margin": rank_m[i], "home_court": _num(r.home_court), "home_court_eff": _num(r.home_court_eff),
                "mean_efficiency": _num(r.mean_eff), "mean_tempo": _num(r.mean_tempo),
                "prior_weight": _num(r.prior_weight[i]),
            })
    return out


def _form(history: list[tuple[int, int]], n: int) -> tuple[float | None, int | None]:
    last = history[-n:]
    if not last:
        return None, None
    return sum(m for _, m in last) / len(last), sum(1 for _, m in last if m > 0)


def feature_rows(data: SeasonData, ratings: list[Ratings]) -> list[dict[str, Any]]:
    """``gold.game_features``: two rows per final game, every feature from games before the game's date.

    Ratings come from the solve as of the game's date (games strictly
    before it); form and rest from the team's earlier final games. Labels
    (result, margin, total) are the game's own outcome.
    """
    sg = data.games
    by_day = {r.day: r for r in ratings}
    history: dict[int, list[tuple[int, int]]] = {}   # team -> [(day, margin)] of earlier games
    rows_by_id = {int(g["game_id"]): g for g in data.rows}
    out: list[dict[str, Any]] = []
    order = np.argsort(sg.day, kind="stable")
    day_groups: dict[int, list[int]] = {}
    for k in order:
        day_groups.setdefault(int(sg.day[k]), []).append(int(k))
    for day in sorted(day_groups):
        r = by_day.get(day)
        todays = day_groups[day]
        for k in todays:
            g = rows_by_id[data.game_ids[k]]
            h, a = int(sg.home[k]), int(sg.away[k])
            pred = predict(r, np.array([h]), np.array([a]), np.array([bool(sg.neutral[k])])) if r else None
            for me, opp, home in ((h, a, True), (a, h, False)):
                tid, oid = int(sg.team_ids[me]), int(sg.team_ids[opp])
                pf = int(sg.home_points[k] if home else sg.away_points[k])
                pa = int(sg.away_points[k] if home else sg.home_points[k])
                mine, theirs = history.get(tid, []), history.get(oid, [])
                f5, w5 = _form(mine, 5)
                f10, w10 = _form(mine, 10)
                of5, _ = _form(theirs, 5)
                of10, _ = _form(theirs, 10)
                sign = 1.0 if home else -1.0
                neutral = bool(sg.neutral[k])
                out.append({
                    "season": data.season, "game_id": data.game_ids[k], "team_id": tid, "game_date": from_day(day),
                    "team": data.names.get(tid), "opponent_id": oid, "opponent": data.names.get(oid),
                    "site": "neutral" if neutral else ("home" if home else "away"), "is_home": home and not neutral,
                    "neutral_site": neutral, "conference_game": bool(g.get("conference_game")),
                    "team_adj_margin": _num(r.adj_margin[me]) if r else None,
                    "opp_adj_margin": _num(r.adj_margin[opp]) if r else None,
                    "team_adj_off": _num(r.adj_off[me]) if r else None,
                    "team_adj_def": _num(r.adj_def[me]) if r else None,
                    "team_adj_tempo": _num(r.adj_tempo[me]) if r else None,
                    "opp_adj_off": _num(r.adj_off[opp]) if r else None,
                    "opp_adj_def": _num(r.adj_def[opp]) if r else None,
                    "opp_adj_tempo": _num(r.adj_tempo[opp]) if r else None,
                    "team_games_played": int(r.games_played[me]) if r else 0,
                    "opp_games_played": int(r.games_played[opp]) if r else 0,
                    "team_prior_weight": _num(r.prior_weight[me]) if r else None,
                    "opp_prior_weight": _num(r.prior_weight[opp]) if r else None,
                    "home_court": _num(r.home_court) if r else None,
                    "predicted_margin": _num(sign * pred["margin"][0]) if pred else None,
                    "predicted_total": _num(pred["total"][0]) if pred else None,
                    "form_margin_last5": f5, "form_margin_last10": f10, "form_wins_last5": w5,
                    "form_wins_last10": w10, "opp_form_margin_last5": of5, "opp_form_margin_last10": of10,
                    "rest_days": (day - mine[-1][0]) if mine else None,
                    "opp_rest_days": (day - theirs[-1][0]) if theirs else None,
                    "result": "W" if pf > pa else ("L" if pf < pa else "T"), "won": pf > pa,
                    "points_for": pf, "points_against": pa, "margin": pf - pa, "total": pf + pa,
                })
        # today's results enter the history only after every game of the day is featurised
        for k in todays:
            h, a = int(sg.home[k]), int(sg.away[k])
            m = int(sg.home_points[k] - sg.away_points[k])
            history.setdefault(int(sg.team_ids[h]), []).append((day, m))
            history.setdefault(int(sg.team_ids[a]), []).append((day, -m))
    return out


# ------------------------------------------------------------------ Spark side
def load_seasons(spark: "SparkSession", cfg: "Config", seasons: Sequence[int]) -> dict[int, SeasonData]:
    """Collect ``silver.games`` and ``silver.team_game_stats`` rows of ``seasons`` to the driver, by season.

    One query per table for all of them: the rating jobs read a season and the one before it (its prior), and
    each collect costs its planning and a Spark job (0.1-0.35 s on 2 cores) whatever the rows.
    """
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table
    from ..tables import SILVER_GAMES, SILVER_TEAM_GAME_STATS

    wanted = sorted(set(seasons))
    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(F.col("season").isin(wanted))
    boxes = spark.table(ensure_table(spark, cfg, SILVER_TEAM_GAME_STATS)).where(F.col("season").isin(wanted))
    g_rows: dict[int, list[dict[str, Any]]] = {s: [] for s in wanted}
    b_rows: dict[int, list[dict[str, Any]]] = {s: [] for s in wanted}
    for r in games.select(*GAME_COLUMNS).collect():
        row = r.asDict()
        g_rows[row["season"]].append(row)
    for r in boxes.select(F.col("season").alias("_season"), *BOX_COLUMNS).collect():
        row = r.asDict()
        b_rows[row.pop("_season")].append(row)
    return {s: SeasonData.from_rows(s, g_rows[s], b_rows[s]) for s in wanted}


def load_season(spark: "SparkSession", cfg: "Config", season: int) -> SeasonData:
    """Collect one season's ``silver.games`` and ``silver.team_game_stats`` rows to the driver."""
    return load_seasons(spark, cfg, [season])[season]


def load_with_prior(spark: "SparkSession", cfg: "Config", season: int,
                    params: ModelParams) -> tuple[SeasonData, Prior | None]:
    """``season``'s data and its prior: last season's final ratings (solved from its silver games), or None
    when either season has no final games. Both seasons come from one read of each table."""
    both = load_seasons(spark, cfg, [season - 1, season])
    data = both[season]
    return data, (prior_from_season(data, both[season - 1], params) if len(data.games) else None)


def prior_from_season(data: SeasonData, prev: SeasonData, params: ModelParams) -> Prior | None:
    """``prev``'s final ratings as the prior of ``data``'s teams; None if ``prev`` has no final games.

    Pure (no Spark) so that any reader of the silver rows (the bench's DuckDB side too) rates alike.
    """
    if len(prev.games) == 0:
        return None
    return prior_from(final_ratings(prev.games, params), data.games.team_ids, prev.games.team_ids)


def solve_season(spark: "SparkSession", cfg: "Config", season: int,
                 params: ModelParams = ModelParams()) -> tuple[SeasonData, list[Ratings], Prior | None]:
    data, prior = load_with_prior(spark, cfg, season, params)
    ratings = daily_ratings(data.games, None, params, prior) if len(data.games) else []
    return data, ratings, prior


def _write(spark: "SparkSession", cfg: "Config", spec: Any, rows: list[dict[str, Any]], season: int,
           run_id: str) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from ..iceberg import merge_upsert
    from ..spark import ddl_schema

    schema = ddl_schema(", ".join(f"{c.name} {c.type}" for c in spec.columns))
    df = spark.createDataFrame([tuple(r.get(f.name) for f in schema.fields) for r in rows], schema)
    df = (df.withColumn("_ingested_at", F.current_timestamp()).withColumn("_source_file", F.lit("silver.games"))
          .withColumn("_run_id", F.lit(run_id)))
    merge = merge_upsert(spark, cfg, spec, df, prune={"season": [season]}, delete_missing=True,
                         source_rows=len(rows))
    return {k: v for k, v in merge.to_dict().items() if k != "table"}


def build_team_ratings_daily(spark: "SparkSession", cfg: "Config", season: int, run_id: str,
                             params: ModelParams = ModelParams()) -> dict[str, Any]:
    """Rate every team on every game date of ``season`` and rebuild its partition of gold.team_ratings_daily."""
    import time

    from ..specs.gold_ratings import GOLD_TEAM_RATINGS_DAILY

    t0 = time.time()
    data, ratings, prior = solve_season(spark, cfg, season, params)
    solve_s = round(time.time() - t0, 2)
    rows = ratings_rows(data, ratings)
    report = {"table": GOLD_TEAM_RATINGS_DAILY.name, "games": len(data.games), "teams": data.games.n_teams,
              "rating_dates": len(ratings), "with_prior": prior is not None,
              "games_without_box": int(np.sum(~np.isfinite(data.games.possessions))), "solve_seconds": solve_s,
              **_write(spark, cfg, GOLD_TEAM_RATINGS_DAILY, rows, season, run_id)}
    event(log, "team ratings daily", **report)
    return report


def build_game_features(spark: "SparkSession", cfg: "Config", season: int, run_id: str,
                        params: ModelParams = ModelParams()) -> dict[str, Any]:
    """Pre-game features of every final game of ``season`` (rebuilds its partition of gold.game_features)."""
    from ..specs.gold_ratings import GOLD_GAME_FEATURES

    data, ratings, _ = solve_season(spark, cfg, season, params)
    rows = feature_rows(data, ratings)
    report = {"table": GOLD_GAME_FEATURES.name, "games": len(data.games), "rows": len(rows),
              **_write(spark, cfg, GOLD_GAME_FEATURES, rows, season, run_id)}
    event(log, "game features", **{k: v for k, v in report.items()})
    return report


def final_team_ratings(data: SeasonData, params: ModelParams = ModelParams(),
                       prior: Prior | None = None) -> dict[int, dict[str, Any]]:
    """End-of-season adjusted ratings and strength of schedule per team id (for gold.team_season)."""
    sg = data.games
    if len(sg) == 0:
        return {}
    r = final_ratings(sg, params, prior)
    rank_m = rank_desc(r.adj_margin)
    opp_sum = np.bincount(sg.home, weights=r.adj_margin[sg.away], minlength=sg.n_teams) + \
        np.bincount(sg.away, weights=r.adj_margin[sg.home], minlength=sg.n_teams)
    out = {}
    for i, tid in enumerate(sg.team_ids):
        gp = int(r.games_played[i])
        out[int(tid)] = {"adj_off": _num(r.adj_off[i]), "adj_def": _num(r.adj_def[i]),
                         "adj_tempo": _num(r.adj_tempo[i]), "adj_em": _num(r.adj_em[i]),
                         "adj_margin": _num(r.adj_margin[i]), "rank_adj_margin": rank_m[i],
                         "sos": _num(opp_sum[i] / gp) if gp else None}
    return out


__all__ = ["SeasonData", "ratings_rows", "feature_rows", "build_team_ratings_daily", "build_game_features",
           "final_team_ratings", "load_season", "load_seasons", "load_with_prior", "prior_from_season", "solve_season", "rank_desc", "is_final"]
