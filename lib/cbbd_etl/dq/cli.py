"""``cbbd-etl dq``: evaluate the data-quality rules and print a readable report, or print/write DQDL.

    cbbd-etl dq [--table silver.games] [--season 2024] [--as-of 2024-04-20] [--json] [--no-write]
    cbbd-etl dq --dqdl --table silver.games           # the DQDL ruleset, no Spark
    cbbd-etl dq --write-terraform terraform/dq_rulesets.auto.tfvars.json

Registered by :func:`cbbd_etl.cli._plugins`. Exit 0 when no ``error`` rule failed, 1 otherwise, 2 for bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import Config


def register(sub: Any) -> None:
    d = sub.add_parser("dq", help="evaluate data-quality rules (Spark SQL locally) and print the report")
    d.add_argument("--table", action="append", default=[], metavar="TABLE",
                   help="logical table, e.g. silver.games (repeatable; default: every declared table)")
    d.add_argument("--season", default=None, help="limit seasonal tables to one season (default: all rows)")
    d.add_argument("--as-of", default=None, help="as-of date for freshness and future-date rules (default: today)")
    d.add_argument("--json", action="store_true", help="print the whole report as JSON")
    d.add_argument("--all", action="store_true", help="list every rule, not only the failed ones")
    d.add_argument("--no-write", action="store_true", help="do not append the results to meta.dq_results")
    d.add_argument("--dqdl", action="store_true", help="print the DQDL rulesets instead of evaluating (no Spark)")
    d.add_argument("--write-terraform", metavar="PATH", help="write the Terraform rulesets (tfvars JSON) and exit")
    d.set_defaults(handler=_cmd_dq)


def _cmd_dq(args: argparse.Namespace, cfg: Config) -> int:
    from ..seasons import parse_date, parse_season
    from .job import select_rules

    rules = select_rules(args.table or None)          # unknown tables: UserError before any JVM starts
    if args.write_terraform:
        from .terraform import terraform_rulesets_json

        with open(args.write_terraform, "w", encoding="utf-8") as fh:
            fh.write(terraform_rulesets_json())
        return 0
    if args.dqdl:
        from .dqdl import ruleset_text

        for table in dict.fromkeys(r.table for r in rules):
            text = ruleset_text([r for r in rules if r.table == table])
            local = [r.name for r in rules if r.table == table and r.engine == "local"]
            sys.stdout.write(f"# {table}\n{text}" + (f"# local only: {', '.join(local)}\n" if local else "") + "\n")
        return 0
    season = parse_season(args.season, cfg.seasons.first, cfg.seasons.last) if args.season else None
    as_of = parse_date(args.as_of) if args.as_of else None
    from ..runner import new_run_id
    from ..spark import build_spark, ensure_namespaces
    from .job import run_data_quality
    from .report import report_rows, summary_text

    spark = build_spark(cfg, app_name="cbbd_etl:dq")
    ensure_namespaces(spark, cfg)
    report = run_data_quality(spark, cfg, season, new_run_id("data_quality"), tables=args.table or None,
                              as_of=as_of, write=not args.no_write)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        from ..textfmt import render

        print(summary_text(report))
        rows = report_rows(report, only_failed=not args.all)
        if rows:
            print()
            print(render(rows))
    return 0 if report["reconciled"] else 1

