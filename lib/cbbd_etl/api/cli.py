"""Ingestion subcommands: ``serve-sim``, ``ingest backfill``, ``ingest incremental``.

Registered into the main parser by :func:`cbbd_etl.cli._plugins`; every bad
input (season range, endpoint name, fault spec) is a :class:`UserError`,
which the main CLI prints as one line with exit code 2.

Exit codes of ``ingest``: 0 complete (or ``--max-calls`` reached, as asked),
1 some requests ended as dead letters, 3 the monthly call budget stopped
the run (resume it next month or raise ``api.monthly_call_budget``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import Any

from ..config import Config
from ..errors import UserError
from ..seasons import parse_date, parse_season, parse_seasons, season_of

EXIT_FAILURES = 1
EXIT_BUDGET = 3


def register(sub: Any) -> None:
    """Add ``serve-sim`` and ``ingest`` to the main CLI's subparsers."""
    s = sub.add_parser("serve-sim", help="serve a simulated season on a local CBBD-compatible API")
    s.add_argument("--season", type=int, default=None, help="season to simulate (default: seasons.default)")
    s.add_argument("--size", default=None, choices=("tiny", "demo", "full"), help="default: sim.size")
    s.add_argument("--seed", type=int, default=None, help="default: sim.seed")
    s.add_argument("--host", default=None, help="default: sim.host (127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="default: sim.port (0 = a free port)")
    s.add_argument("--key", default=None,
                   help="bearer key the server accepts (default: $CBBD_API_KEY, else a random one that is printed)")
    s.add_argument("--faults", default="", help="e.g. '429=0.1,5xx=0.1,truncate=0.01,slow=0.01,seed=3'")
    s.add_argument("--withhold", action="append", default=[], metavar="NAME=FRACTION",
                   help="hide a fraction of games from an endpoint family, e.g. plays=0.15 (repeatable)")
    s.add_argument("--gzip", default="off", choices=("off", "chunked", "length"),
                   help="compress responses for clients that accept gzip: chunked (no Content-Length, like "
                        "nginx 'gzip on') or length (compressed size in Content-Length); default off")
    s.add_argument("--no-realism", action="store_true",
                   help="serve the clean simulated records, without the real API's quirks (docs/real_api_shapes.md)")
    s.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="serve the season in progress on that morning: later games scheduled (docs/ingestion.md)")
    s.set_defaults(handler=_cmd_serve_sim)

    ing = sub.add_parser("ingest", help="fetch CBBD endpoints into bronze (resumable, rate limited)")
    modes = ing.add_subparsers(dest="mode")  # same one-line-error parser class as the main CLI
    b = modes.add_parser("backfill", help="fetch seasons into bronze; finished requests are skipped")
    b.add_argument("--seasons", required=True, help="e.g. 2010-2026 or 2019,2021")
    _common(b)
    b.set_defaults(handler=_cmd_ingest, ingest_mode="backfill")

    pb = modes.add_parser("plays-backfill", help="play-by-play for many seasons: games, then one call per game day "
                                                 "(resumable; empty days recorded, not retried)")
    pb.add_argument("--seasons", required=True, help="e.g. 2015-2024")
    pb.add_argument("--load", action="store_true", help="then MERGE each season into silver.plays")
    _common(pb)
    pb.set_defaults(handler=_cmd_ingest, ingest_mode="backfill", plays_only=True)

    inc = modes.add_parser("incremental", help="re-fetch the last days (stats get corrected) and what is new")
    inc.add_argument("--window-days", type=int, default=7)
    inc.add_argument("--season", default=None, help="default: the season of --as-of")
    inc.add_argument("--as-of", default=None, help="last day of the window, YYYY-MM-DD (default: today, UTC)")
    _common(inc)
    inc.set_defaults(handler=_cmd_ingest, ingest_mode="incremental")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoints", default=None, help="comma-separated slugs or paths (default: all default ones)")
    p.add_argument("--dry-run", action="store_true", help="print the planned calls; call nothing")
    p.add_argument("--plan-source", default="auto",
                   help="dry run without bronze: estimate (default), sim or sim:full (the simulator)")
    p.add_argument("--max-calls", type=int, default=None, help="stop after this many API calls")
    p.add_argument("--base-url", default=None, help="API base URL (default: api.base_url)")
    p.add_argument("--run-id", default=None)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON only")


def _cmd_ingest(args: argparse.Namespace, cfg: Config) -> int:
    from ..bronze.ingest import describe_plan, ingest_endpoints
    from ..textfmt import render

    if args.max_calls is not None and args.max_calls < 0:
        raise UserError(f"--max-calls must be >= 0, got {args.max_calls}")
    endpoints = [args.endpoints] if args.endpoints else None
    if getattr(args, "plays_only", False):
        if args.endpoints:
            raise UserError("plays-backfill fetches games and plays_date; use `ingest backfill --endpoints` instead")
        endpoints = ["games,plays_date"]
    as_of: dt.date | None = None
    if args.ingest_mode == "backfill":
        seasons = parse_seasons(args.seasons, cfg.seasons.first, cfg.seasons.last)
        window_days = 7
    else:
        if args.window_days < 1:
            raise UserError(f"--window-days must be >= 1, got {args.window_days}")
        as_of = parse_date(args.as_of) if args.as_of else dt.datetime.now(dt.timezone.utc).date()
        season = args.season if args.season else season_of(as_of)
        seasons = [parse_season(season, cfg.seasons.first, cfg.seasons.last)]
        window_days = args.window_days
    summary = ingest_endpoints(
        cfg, seasons, endpoints, base_url=args.base_url, run_id=args.run_id, mode=args.ingest_mode,
        window_days=window_days, dry_run=args.dry_run, max_calls=args.max_calls,
        progress=not args.no_progress, as_of=as_of, plan_source=args.plan_source)
    doc = summary.to_dict()
    if args.dry_run:
        if args.json:
            print(json.dumps({"planned": doc["planned"], "per_endpoint": {k: v["planned"] for k, v in
                                                                         doc["per_endpoint"].items()},
                              "already_in_bronze": doc["skipped"], "facts_source": doc["facts_source"],
                              "per_game_fanout": doc["per_game_fanout"]}, indent=2))
            return 0
        print(render(describe_plan(summary), ["endpoint", "scope", "calls", "in_bronze", "to_fetch"]))
        print(f"\nplanned calls: {summary.planned} ({summary.planned - summary.skipped} to fetch, "
              f"{summary.skipped} already in bronze) for season(s) {_seasons_text(seasons)}, "
              f"mode {summary.mode}")
        for season, source in sorted(summary.facts_source.items()):
            print(f"game days, teams and conferences for {season}: {source}")
        if summary.per_game_fanout:
            print(f"per-game fan-out (plays, substitutions, lineups by game) would need about "
                  f"{summary.per_game_fanout} calls")
        print("the /games chunks are sized from a per-day estimate; a chunk that reaches the cap adds one "
              "continuation call")
        return 0
    print(json.dumps(doc, indent=2, default=str))
    if getattr(args, "load", False) and not summary.failures and not summary.budget_exhausted:
        from ..runner import make_context, run_job

        for s in seasons:
            report = run_job(make_context("silver_plays", cfg, season=s))
            print(json.dumps({k: report.get(k) for k in ("job", "season", "bronze_records", "inserted", "updated",
                                                         "quarantined", "reconciled")}, default=str))
    if summary.budget_exhausted:
        print(f"cbbd-etl: {summary.message}; {summary.not_fetched} planned requests were not fetched. "
              "Run the same command again when the budget allows.", file=sys.stderr)
        return EXIT_BUDGET
    if summary.stopped_reason == "max_calls":
        print(f"cbbd-etl: stopped after --max-calls {args.max_calls}; run the same command again to continue",
              file=sys.stderr)
        return 0
    if summary.failures:
        print(f"cbbd-etl: {summary.failures} request(s) failed after retries; see "
              f"_state/dead_letters/{summary.run_id}.jsonl; running the same command again retries them",
              file=sys.stderr)
        return EXIT_FAILURES
    return 0


def _seasons_text(seasons: list[int]) -> str:
    if len(seasons) > 2 and seasons == list(range(seasons[0], seasons[-1] + 1)):
        return f"{seasons[0]}-{seasons[-1]}"
    return ",".join(map(str, seasons))


def _cmd_serve_sim(args: argparse.Namespace, cfg: Config) -> int:
    import secrets
    import threading

    from ..log import register_secret
    from .server import FaultPlan, serve_sim

    season = parse_season(args.season if args.season is not None else cfg.seasons.default,
                          cfg.seasons.first, cfg.seasons.last)
    plan = FaultPlan.parse(args.faults)
    for spec in args.withhold:
        name, sep, value = spec.partition("=")
        try:
            fraction = float(value)
        except ValueError:
            fraction = -1.0
        if not sep or not 0 <= fraction <= 1:
            raise UserError(f"--withhold {spec!r}: expected NAME=FRACTION with a fraction within 0..1")
        plan.withhold(name.strip(), fraction)
    key = args.key or os.environ.get(cfg.api.key_env) or ""
    generated = not key
    if generated:
        key = f"sim-{secrets.token_urlsafe(18)}"
    else:
        register_secret(key)
    server = serve_sim(season=season, size=args.size or cfg.sim.size,
                       seed=args.seed if args.seed is not None else cfg.sim.seed, api_key=key, faults=plan,
                       host=args.host or cfg.sim.host, port=args.port if args.port is not None else cfg.sim.port,
                       gzip=args.gzip, realism=not args.no_realism,
                       as_of=parse_date(args.as_of) if args.as_of else None)
    print(f"serving simulated season {season} on {server.url}", flush=True)
    if generated:
        print(f"bearer key (generated, for this server only): {key}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
