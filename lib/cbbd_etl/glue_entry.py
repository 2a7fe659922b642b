"""Entry point for the thin scripts in ``glue_scripts/``.

Glue passes job arguments as ``--name value`` pairs (plus its own, such as
``--JOB_ID``); ``awsglue.utils.getResolvedOptions`` is used when present so
the Glue console's parameters work, and plain parsing otherwise (the Glue
Docker image without the awsglue package, tests).
"""
from __future__ import annotations

import json
import sys
from typing import Sequence

from .config import load_config
from .errors import UserError
from .log import configure

_OPTIONAL = ("season", "seasons", "date", "profile", "warehouse", "bronze_root", "run_id", "reprocess")


def parse_glue_args(argv: Sequence[str]) -> dict[str, str]:
    """``--key value`` pairs into a dict; dashes in keys become underscores, Glue's own keys kept."""
    out: dict[str, str] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        tok = items[i]
        if tok.startswith("--"):
            key = tok[2:].replace("-", "_")
            if "=" in key:
                key, value = key.split("=", 1)
                out[key] = value
            elif i + 1 < len(items) and not items[i + 1].startswith("--"):
                out[key] = items[i + 1]
                i += 1
            else:
                out[key] = "true"
        i += 1
    return out


def run_glue_job(job_name: str, argv: Sequence[str] | None = None) -> dict:
    """Run registered ``job_name`` with Glue-style arguments; raises SystemExit(2) on bad input."""
    from .runner import make_context, run_job

    args = parse_glue_args(sys.argv[1:] if argv is None else argv)
    configure("INFO")
    try:
        overrides = {}
        if args.get("warehouse"):
            overrides["lake.warehouse"] = args["warehouse"]
        if args.get("bronze_root"):
            overrides["bronze.root"] = args["bronze_root"]
        cfg = load_config(profile=args.get("profile") or None)
        if overrides:
            cfg = cfg.replace(**overrides)
        ctx = make_context(job_name, cfg, season=args.get("season"), date=args.get("date"),
                           seasons=args.get("seasons"),
                           run_id=args.get("run_id") or args.get("JOB_RUN_ID"),
                           options={"reprocess": args.get("reprocess", "false").lower() == "true"})
        report = run_job(ctx)
    except UserError as exc:
        print(f"cbbd-etl: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(report, default=str))
    if not report.get("reconciled", True):
        # A non-zero exit fails the Glue run, which is what the failure alerts listen for.
        print(f"cbbd-etl: error: {job_name} did not reconcile (see the report above)", file=sys.stderr)
        raise SystemExit(1)
    return report
