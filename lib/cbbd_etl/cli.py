"""``cbbd-etl`` / ``python -m cbbd_etl``: run jobs, list jobs and tables, serve the simulator, demo.

Every bad input (unknown job, bad season, bad config value) ends with exit
code 2 and one line on stderr, never a traceback: the parser's own errors
are reduced to one line too.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Sequence

from . import __version__
from .config import Config, load_config
from .errors import UserError
from .log import configure


from .params import OneLineParser


def _cmd_jobs(args: argparse.Namespace, cfg: Config) -> int:
    from .registry import JOBS, get_job

    if args.check:
        job = get_job(args.check)
        if args.takes:
            # `make job` asks whether to pass --season: exit 1 (quietly) when the job has no such parameter.
            return 0 if args.takes in job.param_names else 1
        print(args.check)
        return 0
    if args.json:
        print(json.dumps([j.to_dict() for j in JOBS], indent=2))
        return 0
    from .textfmt import render

    print(render([{"job": j.name, "layer": j.layer, "workflow": j.workflow, "inputs": _brief(j.inputs),
                   "outputs": _brief(j.outputs), "params": ",".join(j.param_names)} for j in JOBS]))
    return 0


def _brief(items: tuple[str, ...], shown: int = 3) -> str:
    """A terminal-width list: the first few names and how many more (``--json`` has them all)."""
    more = len(items) - shown
    return ",".join(items[:shown]) + (f",… (+{more})" if more > 0 else "")


def _cmd_run(args: argparse.Namespace, cfg: Config) -> int:
    """``cbbd-etl run JOB [job args]``: the job's own generated parser (the same one Glue uses) reads the rest."""
    from .params import parse_args
    from .registry import get_job
    from .runner import make_context, run_job

    given = parse_args(get_job(args.job), args.job_args)
    if given.get("warehouse") or given.get("bronze_root"):
        cfg = cfg.replace(**{k: v for k, v in (("lake.warehouse", given.get("warehouse")),
                                               ("bronze.root", given.get("bronze_root"))) if v})
    ctx = make_context(args.job, cfg, params=given, run_id=given.get("run_id"))
    report = run_job(ctx)
    print(json.dumps(report, indent=2, default=str))
    return 0 if report.get("reconciled", True) else 1


def _cmd_tables(args: argparse.Namespace, cfg: Config) -> int:
    """Metadata only, so no JVM: pyiceberg reads the same Iceberg metadata Spark writes (lake_catalog)."""
    from .lake_catalog import list_tables
    from .textfmt import render

    rows = list_tables(cfg)
    print(json.dumps(rows, indent=2, default=str) if args.json else render(
        rows, ["table", "rows", "last_snapshot_at", "identifier"]))
    return 0


def _cmd_demo(args: argparse.Namespace, cfg: Config) -> int:
    from .demo import run_demo

    return run_demo(cfg, season=args.season, size=args.size, seed=args.seed, top=args.top)


def _cmd_gap_fill(args: argparse.Namespace, cfg: Config) -> int:
    from .gap_fill import GAP_DATASETS
    from .runner import make_context, run_job

    datasets = [d.strip() for d in (args.datasets or "").split(",") if d.strip()] or None
    for d in datasets or []:
        if d not in GAP_DATASETS:
            raise UserError(f"unknown dataset {d!r}; known: {', '.join(GAP_DATASETS)}")
    if args.max_calls is not None and args.max_calls < 0:
        raise UserError(f"--max-calls must be >= 0, got {args.max_calls}")
    options = {"datasets": datasets, "max_calls": args.max_calls, "dry_run": args.dry_run,
               "base_url": args.base_url, "recheck_days": args.recheck_days, "progress": True}
    report = run_job(make_context("gap_fill", cfg, seasons=args.seasons, options=options))
    print(json.dumps(report, indent=2, default=str))
    return 0 if report.get("reconciled", True) else 1


def _cmd_registry(args: argparse.Namespace, cfg: Config) -> int:
    from .registry_export import terraform_jobs_json

    text = terraform_jobs_json()
    if args.write:
        with open(args.write, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_workflow_list(args: argparse.Namespace, cfg: Config) -> int:
    from .textfmt import render
    from .workflows import all_workflows, members

    print(render([{"workflow": w.name, "trigger": w.trigger_type, "schedule": w.schedule or "",
                   "jobs": len(members(w)), "run_properties": ",".join(f"{k}={v}" for k, v in w.run_properties.items()),
                   "description": w.description[:70]} for w in all_workflows()]))
    return 0


def _cmd_workflow_show(args: argparse.Namespace, cfg: Config) -> int:
    from dataclasses import asdict

    from .textfmt import render
    from .workflows import dependencies, execution_order, get_workflow, triggers

    wf = get_workflow(args.name)
    deps = dependencies(wf)
    if args.json:
        print(json.dumps({"workflow": asdict(wf), "dependencies": deps,
                          "triggers": [asdict(t) for t in triggers(wf)]}, indent=2, default=str))
        return 0
    print(f"{wf.name}: {wf.description}\n")
    print(render([{"step": i + 1, "job": n, "after": ",".join(deps[n])} for i, n in enumerate(execution_order(wf))]))
    print()
    print(render([{"trigger": t.name, "type": t.type, "when": " AND ".join(t.conditions) or (t.schedule or "on demand"),
                   "starts": ",".join(t.actions)} for t in triggers(wf)]))
    return 0


def _cmd_workflow_run(args: argparse.Namespace, cfg: Config) -> int:
    from .workflow_runner import print_summary, run_workflow

    options = {k: v for k, v in (("window_days", args.window_days), ("mode", args.mode),
                                 ("endpoints", args.endpoints), ("base_url", args.base_url)) if v is not None}
    run = run_workflow(cfg, args.name, date=args.date, season=args.season,
                       options=options, resume=args.resume, progress=sys.stderr, parallel=args.parallel)
    print_summary(run)
    return 0 if run.succeeded else 1


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="cbbd-etl", description="CollegeBasketballData lakehouse on Glue + Iceberg")
    p.add_argument("--version", action="version", version=__version__)
    p.add_argument("--profile", help="configuration profile: local (default) or aws")
    p.add_argument("--config", help="YAML file overriding defaults (also CBBD_ETL_CONFIG)")
    p.add_argument("--log-level", default=None, help="INFO by default; the demo shows WARNING and above")
    sub = p.add_subparsers(dest="command", parser_class=OneLineParser)

    r = sub.add_parser("run", help="run one registered job (`cbbd-etl run JOB --help`: its parameters)",
                       add_help=False)
    r.add_argument("job")
    r.add_argument("job_args", nargs=argparse.REMAINDER,
                   help="the job's parameters (--season, --date, --mode ...), declared in the registry")
    r.set_defaults(handler=_cmd_run)

    w = sub.add_parser("workflow", help="workflows (daily, backfill, maintenance): list, show, run locally")
    wsub = w.add_subparsers(dest="workflow_command", parser_class=OneLineParser, required=True)
    wl = wsub.add_parser("list", help="the declared workflows")
    wl.set_defaults(handler=_cmd_workflow_list)
    ws = wsub.add_parser("show", help="one workflow's DAG and Glue triggers")
    ws.add_argument("name")
    ws.add_argument("--json", action="store_true")
    ws.set_defaults(handler=_cmd_workflow_show)
    wr = wsub.add_parser("run", help="run a workflow's DAG here, in dependency order, in one Spark session")
    wr.add_argument("name")
    wr.add_argument("--date", help="as-of date (ISO; default today); daily: its season is the default season")
    wr.add_argument("--season")
    wr.add_argument("--window-days", "--window_days", dest="window_days",
                    help="daily: days before the as-of date fetched again")
    wr.add_argument("--mode", choices=("backfill", "incremental"), help="override the workflow's mode")
    wr.add_argument("--endpoints", help="bronze_ingest: comma list of endpoints (default all default ones)")
    wr.add_argument("--base-url", "--base_url", dest="base_url", help="API base URL (default: configuration)")
    wr.add_argument("--resume", metavar="RUN_ID", help="rerun only the jobs of RUN_ID that did not succeed")
    wr.add_argument("--parallel", type=_positive_int, metavar="N",
                    help="at most N ready jobs at once in the one session (default: spark.parallel_jobs)")
    wr.set_defaults(handler=_cmd_workflow_run)

    j = sub.add_parser("jobs", help="list the job registry")
    j.add_argument("--json", action="store_true")
    j.add_argument("--check", metavar="JOB", help="exit 2 unless JOB is registered")
    j.add_argument("--takes", metavar="PARAM", help="with --check: exit 0 if JOB takes PARAM, else 1")
    j.set_defaults(handler=_cmd_jobs)

    t = sub.add_parser("tables", help="tables with row counts and last snapshot time")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=_cmd_tables)

    d = sub.add_parser("demo", help="simulated season -> local API server -> bronze -> silver -> gold")
    d.add_argument("--season", type=int, default=2024)
    d.add_argument("--size", default="demo", choices=("tiny", "demo", "full"))
    d.add_argument("--seed", type=int, default=None)
    d.add_argument("--top", type=int, default=25, help="rows of gold.team_season to print (0 = all)")
    d.set_defaults(handler=_cmd_demo)

    gf = sub.add_parser("gap-fill", help="find final games lacking data and fetch exactly those")
    gf.add_argument("--seasons", required=True, help="2024, 2015-2024 or 2019,2021")
    gf.add_argument("--datasets", help="comma list: team_box_scores, player_box_scores, plays, substitutions, "
                                       "lineups, lines (default all)")
    gf.add_argument("--max-calls", type=int, default=None)
    gf.add_argument("--dry-run", action="store_true", help="print the planned calls, call nothing")
    gf.add_argument("--base-url", help="API base URL (default: configuration)")
    gf.add_argument("--recheck-days", type=int, default=7,
                    help="ask again about a game the API answered empty after this many days")
    gf.set_defaults(handler=_cmd_gap_fill)

    g = sub.add_parser("registry", help="export the job registry for Terraform")
    g.add_argument("--write", metavar="PATH")
    g.set_defaults(handler=_cmd_registry)

    for register in _plugins():
        register(sub)
    return p


PLUGIN_MODULES = ("cbbd_etl.api.cli", "cbbd_etl.gold.cli", "cbbd_etl.gold.analytics_cli", "cbbd_etl.dq.cli",
                  "cbbd_etl.docgen")


def _plugins(modules: Sequence[str] = PLUGIN_MODULES) -> list[Callable[[Any], None]]:
    """Subcommands owned by other modules, each a ``register(subparsers)``.

    A module that does not exist is skipped; an ImportError inside one that
    exists is a real bug and surfaces.
    """
    import importlib
    import importlib.util

    out = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package itself is missing
            found = False
        if found:
            out.append(importlib.import_module(name).register)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help()
            return 2
        configure(args.log_level or ("WARNING" if args.command == "demo" else "INFO"))
        cfg = load_config(profile=args.profile, path=args.config)
        return int(args.handler(args, cfg) or 0)
    except UserError as exc:
        print(f"cbbd-etl: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cbbd-etl: interrupted", file=sys.stderr)
        return 130
