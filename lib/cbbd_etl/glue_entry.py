"""Entry point for the thin scripts in ``glue_scripts/``: the same run contract as ``cbbd-etl run``.

Glue passes job arguments as ``--name value`` pairs plus its own (``--JOB_ID``,
``--JOB_RUN_ID``, ``--TempDir``, ``--enable-*`` ...). Glue's are split off
(:func:`cbbd_etl.params.split_glue_args`; ``JOB_RUN_ID`` becomes the run id),
the rest is parsed by the job's one generated parser
(:func:`cbbd_etl.params.build_parser`): an unknown or malformed argument is
one line naming it and exit code 2. A run started by a Glue workflow
(``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID``) reads the workflow's run
properties (season, as_of, mode, window_days ...) with
``glue.get_workflow_run_properties``; an explicit argument beats a run
property, which beats the declared default.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Mapping, Sequence

from .config import load_config
from .errors import UserError
from .log import configure, event, get_logger
from .params import parse_args, split_glue_args
from .registry import get_job

log = get_logger("glue_entry")

RunPropertiesFetcher = Callable[[str, str], Mapping[str, str]]


def glue_run_properties(workflow_name: str, run_id: str, region: str | None = None,
                        client: Any = None) -> dict[str, str]:
    """The run properties of one Glue workflow run (boto3 ``get_workflow_run_properties``)."""
    if client is None:
        import boto3

        client = boto3.client("glue", region_name=region)
    try:
        answer = client.get_workflow_run_properties(Name=workflow_name, RunId=run_id)
    except Exception as exc:  # botocore ClientError / EndpointConnectionError: a clear line, exit 2
        raise UserError(f"cannot read run properties of workflow {workflow_name} run {run_id}: {exc}") from None
    return {str(k): str(v) for k, v in (answer.get("RunProperties") or {}).items()}


def parse_glue_args(argv: Sequence[str]) -> dict[str, str]:
    """Kept for callers of the old hand parser: Glue's arguments as a dict (the job's own are not included)."""
    return split_glue_args(argv)[1]


def resolve_glue_run(job_name: str, argv: Sequence[str],
                     fetch_properties: RunPropertiesFetcher | None = None,
                     region: str | None = None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(explicit job args as text, Glue's args, workflow run properties) of one Glue invocation."""
    job = get_job(job_name)
    own, glue = split_glue_args(argv)
    explicit = parse_args(job, own, prog=job_name)
    if explicit.get("job_name") not in (None, job_name):
        raise UserError(f"{job_name}: --job_name {explicit['job_name']} is another job")
    props: dict[str, str] = {}
    if glue.get("WORKFLOW_NAME") and glue.get("WORKFLOW_RUN_ID"):
        fetch = fetch_properties or (lambda name, run: glue_run_properties(name, run, region=region))
        props = dict(fetch(glue["WORKFLOW_NAME"], glue["WORKFLOW_RUN_ID"]))
    return explicit, glue, props


def run_glue_job(job_name: str, argv: Sequence[str] | None = None,
                 fetch_properties: RunPropertiesFetcher | None = None) -> dict:
    """Run registered ``job_name`` with Glue-style arguments; raises SystemExit(2) on bad input."""
    from .runner import make_context, run_job

    configure("INFO")
    try:
        own, _ = split_glue_args(sys.argv[1:] if argv is None else argv)
        early = parse_args(get_job(job_name), own, prog=job_name)
        cfg = load_config(profile=early.get("profile") or None)
        explicit, glue, props = resolve_glue_run(job_name, sys.argv[1:] if argv is None else argv,
                                                 fetch_properties, region=cfg.aws.region)
        overrides = {}
        if explicit.get("warehouse"):
            overrides["lake.warehouse"] = explicit["warehouse"]
        if explicit.get("bronze_root"):
            overrides["bronze.root"] = explicit["bronze_root"]
        if overrides:
            cfg = cfg.replace(**overrides)
        if props:
            event(log, "workflow run properties", workflow=glue.get("WORKFLOW_NAME"),
                  workflow_run_id=glue.get("WORKFLOW_RUN_ID"), properties=props)
        ctx = make_context(job_name, cfg, params=explicit, run_properties=props,
                           run_id=explicit.get("run_id") or glue.get("JOB_RUN_ID"))
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
