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
from typing import TYPE_CHECKING, Any

from .config import Config
from .errors import UserError
from .log import event, get_logger
from .registry import JobSpec, get_job
from .seasons import parse_date, parse_season, parse_seasons

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("runner")


@dataclass
class JobContext:
    job: JobSpec
    cfg: Config
    spark: "SparkSession | None"
    run_id: str
    season: int | None = None
    date: dt.date | None = None
    options: dict[str, Any] = field(default_factory=dict)
    seasons: list[int] = field(default_factory=list)

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
    date: str | None = None,
    run_id: str | None = None,
    options: dict[str, Any] | None = None,
    seasons: str | None = None,
) -> JobContext:
    """Validate everything a person typed before any JVM starts."""
    job = get_job(name)
    s = parse_season(season, cfg.seasons.first, cfg.seasons.last) if season not in (None, "") else None
    d = parse_date(date) if date else None
    many = parse_seasons(seasons, cfg.seasons.first, cfg.seasons.last) if seasons else []
    if many and "seasons" not in job.parameters:
        raise UserError(f"job {name} takes --season, not --seasons")
    if "season" in job.parameters and "seasons" not in job.parameters and s is None and d is None:
        s = cfg.seasons.default
    if spark is None and job.needs_spark:
        from .spark import build_spark, ensure_namespaces

        spark = build_spark(cfg, app_name=f"cbbd_etl:{name}")
        ensure_namespaces(spark, cfg)
    return JobContext(job=job, cfg=cfg, spark=spark, run_id=run_id or new_run_id(name), season=s, date=d,
                      options=dict(options or {}), seasons=many)


def run_job(ctx: JobContext) -> dict[str, Any]:
    started = time.time()
    event(log, "job started", job=ctx.job.name, run_id=ctx.run_id, season=ctx.season,
          date=str(ctx.date) if ctx.date else None)
    report = ctx.job.load()(ctx)
    report = {"job": ctx.job.name, "run_id": ctx.run_id, "season": ctx.season,
              "seconds": round(time.time() - started, 2), **report}
    event(log, "job finished", **{k: v for k, v in report.items() if not isinstance(v, (list, dict))})
    _write_report(ctx.cfg, report)
    return report


def _write_report(cfg: Config, report: dict[str, Any]) -> None:
    """Run reports sit beside the lake (not in a table) so re-runs leave every table unchanged."""
    root = cfg.bronze.root
    if "://" in root:
        return  # on AWS the Glue run history and CloudWatch logs hold the report
    path = Path(root).parent / "runs" / f"{report['run_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
