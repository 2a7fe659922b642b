"""Analyst subcommands: ``sql``, ``views deploy|list``, ``crosswalk report``.

Registered into the main parser by ``cbbd_etl.cli`` (plugin list); bad input
is a :class:`UserError` (one line, exit 2).
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from ..config import Config
from ..errors import UserError


def register(sub: Any) -> None:
    """Add ``sql``, ``views`` and ``crosswalk`` to the main CLI's subparsers."""
    q = sub.add_parser("sql", help="run a SQL query over the local lake; the analyst views are registered by name")
    q.add_argument("query", help='e.g. "SELECT * FROM player_leaders ORDER BY impact_rank LIMIT 10"')
    q.add_argument("--dialect", default="spark", choices=("spark", "trino", "athena"),
                   help="dialect of the query (trino/athena are transpiled to Spark SQL)")
    q.add_argument("--limit", type=int, default=50, help="rows to print (0 = all)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_cmd_sql)

    v = sub.add_parser("views", help="the analyst views (resources/views/*.sql)")
    modes = v.add_subparsers(dest="views_mode")
    d = modes.add_parser("deploy", help="CREATE OR REPLACE every view in Athena")
    d.add_argument("--workgroup", default=None,
                   help="Athena workgroup (default: cbbd-prod-analytics, terraform output athena_workgroup)")
    d.add_argument("--print", dest="print_only", action="store_true", help="print the statements, run nothing")
    d.set_defaults(handler=_cmd_views_deploy)
    ls = modes.add_parser("list", help="every view, the tables it reads and whether it checks out")
    ls.set_defaults(handler=_cmd_views_list)
    v.set_defaults(handler=_views_usage)

    c = sub.add_parser("crosswalk", help="the team-name crosswalk")
    cmodes = c.add_subparsers(dest="crosswalk_mode")
    r = cmodes.add_parser("report", help="names the crosswalk cannot map (silver.teams of a season, or a name list)")
    r.add_argument("--season", type=int, default=None, help="report silver.teams of this season")
    r.add_argument("--source", default=None, help="with --names-file: kenpom, torvik, kaggle, sportsbook or cbbd")
    r.add_argument("--names-file", default=None,
                   help="one name a line, or a CSV with a TEAM/NAME/SCHOOL column (e.g. a KenPom export)")
    r.set_defaults(handler=_cmd_crosswalk_report)
    c.set_defaults(handler=_crosswalk_usage)


def _views_usage(args: argparse.Namespace, cfg: Config) -> int:
    raise UserError("views: choose deploy or list")


def _crosswalk_usage(args: argparse.Namespace, cfg: Config) -> int:
    raise UserError("crosswalk: choose report")


def _spark(cfg: Config, name: str) -> Any:
    from ..spark import build_spark

    return build_spark(cfg, app_name=f"cbbd_etl:{name}")


def _cmd_sql(args: argparse.Namespace, cfg: Config) -> int:
    from ..textfmt import render
    from .views import run_sql

    if args.limit < 0:
        raise UserError(f"--limit must be >= 0, got {args.limit}")
    df = run_sql(_spark(cfg, "sql"), cfg, args.query, dialect=args.dialect)
    rows = [r.asDict() for r in (df.limit(args.limit).collect() if args.limit else df.collect())]
    print(json.dumps(rows, indent=2, default=str) if args.json else render(rows, df.columns))
    return 0


def _cmd_views_list(args: argparse.Namespace, cfg: Config) -> int:
    from .views import check_view, load_views, referenced_tables

    for name, sql in load_views().items():
        problems = check_view(sql)
        print(f"{name:<22} {'ok' if not problems else 'INVALID: ' + '; '.join(problems):<8} "
              f"reads {', '.join(sorted(referenced_tables(sql)))}")
    return 0


def _cmd_views_deploy(args: argparse.Namespace, cfg: Config) -> int:
    from .views import DEFAULT_WORKGROUP, athena_statements, deploy_views

    if args.print_only:
        for _, ddl in athena_statements(cfg):
            print(ddl + ";\n")
        return 0
    results = deploy_views(cfg, workgroup=args.workgroup or DEFAULT_WORKGROUP)
    for r in results:
        print(f"{r['view']:<22} {r['state']:<10} {r['query_execution_id']}")
    return 0


def _read_names(path: str) -> list[str]:
    import csv

    try:
        with open(path, encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except OSError as exc:
        raise UserError(f"--names-file: cannot read {path}: {exc.strerror}") from None
    header = [h.strip().upper() for h in rows[0]] if rows else []
    col = next((header.index(h) for h in ("TEAM", "NAME", "TEAMNAME", "SCHOOL") if h in header), None)
    if col is None:
        col = 0
    else:
        rows = rows[1:]
    return [r[col].strip() for r in rows if len(r) > col and r[col].strip()]


def _cmd_crosswalk_report(args: argparse.Namespace, cfg: Config) -> int:
    from .crosswalk import SOURCES, crosswalk_report, unmapped

    if args.names_file:
        if args.source not in SOURCES:
            raise UserError(f"--source must be one of {', '.join(SOURCES)} with --names-file")
        names = _read_names(args.names_file)
        missing = unmapped(args.source, names)
        for n in missing:
            print(n)
        print(f"{len(names) - len(missing)} of {len(names)} {args.source} names map to a CBBD school; "
              f"{len(missing)} do not")
        return 1 if missing else 0
    if args.season is None:
        raise UserError("crosswalk report: give --season (silver.teams) or --source with --names-file")
    rows = crosswalk_report(_spark(cfg, "crosswalk"), cfg, args.season)
    for r in rows:
        print(f"{r['team_id']:>8}  {r['school']:<32} {r['division']:<7} {r['conference'] or ''}")
    print(f"{len(rows)} teams of season {args.season} have no crosswalk entry")
    return 1 if rows else 0
