"""Ratings subcommands: ``ratings evaluate --season S [--from D]`` and ``ratings plot --season S``.

Registered into the main parser by :func:`cbbd_etl.cli._plugins`; bad input is
a :class:`UserError` (one line, exit 2).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import UserError
from ..seasons import parse_date, parse_season


def register(sub: Any) -> None:
    r = sub.add_parser("ratings", help="score and picture the point-in-time team ratings")
    modes = r.add_subparsers(dest="ratings_mode")
    e = modes.add_parser("evaluate", help="walk-forward RMSE/MAE/accuracy of predicted margins (and the lines)")
    e.add_argument("--season", required=True)
    e.add_argument("--from", dest="from_date", default=None, metavar="YYYY-MM-DD",
                   help="score games from this date on (default: every game)")
    e.set_defaults(handler=_cmd_evaluate)
    p = modes.add_parser("plot", help="write PNGs of adjusted offence vs defence and top-team trajectories")
    p.add_argument("--season", required=True)
    p.set_defaults(handler=_cmd_plot)
    r.set_defaults(handler=_cmd_missing_mode)


def _cmd_missing_mode(args: argparse.Namespace, cfg: Config) -> int:
    raise UserError("ratings needs a subcommand: evaluate or plot")


def _session(cfg: Config) -> Any:
    from ..spark import build_spark, ensure_namespaces

    spark = build_spark(cfg, app_name="cbbd_etl:ratings")
    ensure_namespaces(spark, cfg)
    return spark


def evaluate(spark: Any, cfg: Config, season: int, start: Any = None) -> dict[str, Any]:
    """Walk-forward scores of one season read from silver (lines from silver.game_lines when present)."""
    from pyspark.sql import functions as F

    from ..iceberg import table_exists
    from .evaluate import consensus_spreads, walk_forward
    from .ratings import solve_season

    data, ratings, prior = solve_season(spark, cfg, season)
    if len(data.games) == 0:
        raise UserError(f"season {season} has no final games in silver.games")
    spreads = {}
    ident = cfg.table("silver.game_lines")
    if table_exists(spark, ident):
        rows = spark.table(ident).where(F.col("season") == season).select("game_id", "spread").collect()
        spreads = consensus_spreads(r.asDict() for r in rows)
    return {"season": season, "with_prior": prior is not None, **walk_forward(data, ratings, start, spreads)}


def plot(spark: Any, cfg: Config, season: int, folder: Path | None = None) -> list[str]:
    from ..audit import reports_dir
    from .plots import write_pngs
    from .ratings import solve_season
    from .ratings_model import final_ratings

    data, ratings, prior = solve_season(spark, cfg, season)
    if len(data.games) == 0:
        raise UserError(f"season {season} has no final games in silver.games")
    out = folder or Path(reports_dir(cfg))
    if "://" in str(out):
        raise UserError("ratings plot writes local files; run it with the local profile")
    return [str(p) for p in write_pngs(data, ratings, final_ratings(data.games, prior=prior), out)]


def _cmd_evaluate(args: argparse.Namespace, cfg: Config) -> int:
    season = parse_season(args.season, cfg.seasons.first, cfg.seasons.last)
    start = parse_date(args.from_date) if args.from_date else None
    result = evaluate(_session(cfg), cfg, season, start)
    print(json.dumps(result, indent=2))
    return 0


def _cmd_plot(args: argparse.Namespace, cfg: Config) -> int:
    season = parse_season(args.season, cfg.seasons.first, cfg.seasons.last)
    for path in plot(_session(cfg), cfg, season):
        print(path)
    return 0
