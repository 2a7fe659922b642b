"""Run a registered job: validate parameters, build the session, call the entry, report.

Jobs are plain functions ``run(ctx: JobContext) -> dict``; this module is the
only place that knows about sessions, run ids and reports, so the same job
runs from the CLI, a Glue script or a test with a shared SparkSession.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from . import unchanged
from .config import Config
from .errors import UserError
from .log import event, get_logger
from .params import COMMON, resolve
from .registry import JobSpec, get_job

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("runner")


@dataclass
class JobContext:
    """What a job gets: its declaration, the config, the session and its typed params.

    ``season``, ``seasons`` and ``date`` are the typed core params; ``options``
    holds the job's other declared params (mode, window_days, reprocess,
    endpoints, ...) plus whatever a Python caller passed (api_key, progress).
    ``params`` has every resolved param value, core ones included.
    """

    job: JobSpec
    cfg: Config
    spark: "SparkSession | None"
    run_id: str
    season: int | None = None
    date: dt.date | None = None
    options: dict[str, Any] = field(default_factory=dict)
    seasons: list[int] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def table(self, logical: str) -> str:
        return self.cfg.table(logical)

    def require_season(self) -> int:
        if self.season is None:
            raise UserError(f"job {self.job.name} needs --season")
        return self.season


def new_run_id(job: str) -> str:
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{job}-{uuid.uuid4().hex[:8]}"


def make_context(
    name: str,
    cfg: Config,
    spark: "SparkSession | None" = None,
    season: str | int | None = None,
    date: str | dt.date | None = None,
    run_id: str | None = None,
    options: dict[str, Any] | None = None,
    seasons: str | list[int] | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    run_properties: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> JobContext:
    """Validate everything a person typed before any JVM starts.

    Values come from the keyword arguments, ``params`` (text from a parser,
    :func:`cbbd_etl.params.parse_args`) and ``options`` entries that name a
    declared param; then workflow ``run_properties``; then the declared
    defaults (:func:`cbbd_etl.params.resolve`). Options that are no param
    (api_key, progress ...) reach the job unchanged.
    """
    job = get_job(name)
    declared = set(job.param_names)
    opts = dict(options or {})
    given: dict[str, Any] = {k: v for k, v in opts.items() if k in declared}
    given.update({k: v for k, v in (params or {}).items() if v is not None})
    for key, value in (("season", season), ("date", date), ("seasons", seasons)):
        if value not in (None, ""):
            given[key] = value
    if given.get("seasons") not in (None, "") and "seasons" not in declared:
        raise UserError(f"job {name} takes --season, not --seasons")
    bad = sorted(k for k in given if k not in declared and k not in {p.name for p in COMMON})
    if bad:
        raise UserError(f"job {name} takes no --{bad[0]} (takes {', '.join('--' + n for n in job.param_names)})")
    values = resolve(job, given, run_properties, bounds=(cfg.seasons.first, cfg.seasons.last),
                     default_season=cfg.seasons.default, today=today)
    for param in job.params:
        if not param.core:
            opts[param.name] = values[param.name]
    if values.get("date") is not None and "date" in declared:
        opts.setdefault("as_of", values["date"])
    if spark is None and job.needs_spark:
        from .spark import build_spark, ensure_namespaces

        spark = build_spark(cfg, app_name=f"cbbd_etl:{name}")
        ensure_namespaces(spark, cfg)
    return JobContext(job=job, cfg=cfg, spark=spark, run_id=run_id or values.get("run_id") or new_run_id(name),
                      season=values.get("season"), date=values.get("date"), options=opts,
                      seasons=list(values.get("seasons") or []), params=values)


def run_job(ctx: JobContext) -> dict[str, Any]:
    started = time.time()
    event(log, "job started", job=ctx.job.name, run_id=ctx.run_id, season=ctx.season,
          date=str(ctx.date) if ctx.date else None)
    found = unchanged.check(ctx, runs_dir(ctx.cfg))
    if found is not None and found.earlier is not None:
        report = found.skipped_report()
    else:
        report = ctx.job.load()(ctx)
        if found is not None and report.get("reconciled", True) is not False:
            unchanged.record(ctx, found, report)
    report = {"job": ctx.job.name, "run_id": ctx.run_id, "season": ctx.season,
              "seconds": round(time.time() - started, 2), **report}
    event(log, "job finished", **{k: v for k, v in report.items() if not isinstance(v, (list, dict))})
    _write_report(ctx.cfg, report)
    return report


def runs_dir(cfg: Config) -> Path | None:
    """Where run reports go on a laptop (beside the lake); None on AWS (Glue run history and CloudWatch)."""
    root = cfg.bronze.root
    return None if "://" in root else Path(root).parent / "runs"


def _write_report(cfg: Config, report: dict[str, Any]) -> None:
    """Run reports sit beside the lake (not in a table) so re-runs leave every table unchanged."""
    folder = runs_dir(cfg)
    if folder is None:
        return  # on AWS the Glue run history and CloudWatch logs hold the report
    path = folder / f"{report['run_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
