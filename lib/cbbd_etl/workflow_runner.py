"""Run a workflow's DAG on a laptop: the same jobs, order and run properties as the Glue workflow.

Jobs run in dependency order inside ONE SparkSession, each as soon as the
jobs it waits for are done and up to ``spark.parallel_jobs`` at once (threads;
a Glue trigger likewise starts all the jobs it fans out to). The session starts
in the background when the run starts, beside bronze ingestion (which needs
none); ``parallel=1`` runs the jobs one at a time in
:func:`cbbd_etl.workflows.execution_order`. As a Glue conditional trigger would, a
failed job (an exception, or a report with ``reconciled: false``) stops the
jobs downstream of it (``upstream_failed``) while independent branches still
run. The run summary (per job: status, rows read, inserted, updated,
quarantined, seconds) is written as JSON to the lake's ``runs/`` folder
(beside the per-job reports of :func:`cbbd_etl.runner.run_job`) and printed
as a table; ``resume=RUN_ID`` reruns only what did not succeed in that run,
with the same run properties unless new ones are given.

Run properties work as on Glue: the workflow's declared defaults, then
``date`` (as_of), ``season`` and the ``options`` that name a run property; each job takes the ones it declares (:mod:`cbbd_etl.params`).
Other options (``base_url``, ``api_key``, ``progress`` ...) reach every job's
``ctx.options``; ``api_key`` is never written to the summary.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import traceback
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TextIO

from .config import Config
from .errors import UserError
from .log import event, get_logger
from .params import resolve
from .registry import get_job
from .runner import make_context, run_job, runs_dir
from .seasons import parse_date
from .workflows import dependencies, execution_order, get_workflow

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("workflow_runner")

STATUSES = ("succeeded", "failed", "skipped", "upstream_failed")
RUN_PROPERTY_OPTIONS = ("mode", "window_days", "reprocess", "endpoints", "datasets", "max_calls", "recheck_days")
_SECRET_OPTIONS = ("api_key",)


@dataclass
class JobResult:
    job: str
    status: str                       # succeeded | failed | skipped | upstream_failed
    rows_read: int | None = None
    inserted: int | None = None
    updated: int | None = None
    quarantined: int | None = None
    calls: int | None = None          # API calls (ingest, gap fill)
    seconds: float = 0.0
    run_id: str | None = None
    error: str | None = None
    note: str | None = None


@dataclass
class WorkflowRun:
    workflow: str
    run_id: str
    run_properties: dict[str, str]
    options: dict[str, Any]
    jobs: list[JobResult] = field(default_factory=list)
    started_at: str = ""
    seconds: float = 0.0
    resumed_from: str | None = None
    summary_path: str | None = None
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)   # job -> its full report (not in JSON)

    def __post_init__(self) -> None:
        # The run's SparkSession (None if no job needed one): an attribute, not a field, so that asdict()
        # and the JSON summary leave it out.
        self.spark: "SparkSession | None" = None

    @property
    def succeeded(self) -> bool:
        return all(j.status in ("succeeded", "skipped") for j in self.jobs)

    def status_of(self, job: str) -> str:
        return next(j.status for j in self.jobs if j.job == job)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("reports")
        d["succeeded"] = self.succeeded
        return d


def new_workflow_run_id(workflow: str) -> str:
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-wf-{workflow}-{uuid.uuid4().hex[:8]}"


def load_run(cfg: Config, run_id: str) -> dict[str, Any]:
    folder = runs_dir(cfg)
    path = folder / f"{run_id}.json" if folder else None
    if path is None or not path.is_file():
        raise UserError(f"no workflow run {run_id!r} under {folder}")
    doc = json.loads(path.read_text(encoding="utf-8"))
    if "workflow" not in doc or "jobs" not in doc:
        raise UserError(f"{path} is not a workflow run summary")
    return doc


def _run_properties(declared: Mapping[str, str], date: Any, season: Any,
                    options: Mapping[str, Any]) -> dict[str, str]:
    props = dict(declared)
    for key, value in (("as_of", date), ("season", season)):
        if value not in (None, ""):
            props[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
    for key in RUN_PROPERTY_OPTIONS:
        value = options.get(key)
        if value is not None:
            props[key] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else (
                str(value).lower() if isinstance(value, bool) else str(value))
    return props


def _counts(report: Mapping[str, Any]) -> dict[str, int | None]:
    def first(*keys: str) -> int | None:
        for k in keys:
            if isinstance(report.get(k), (int, float)) and not isinstance(report.get(k), bool):
                return int(report[k])
        return None

    loads = [r for r in report.get("silver") or [] if isinstance(r, Mapping)]   # gap fill's silver MERGEs
    inserted = first("inserted")
    if inserted is None and loads:
        inserted = sum(int(r.get("inserted") or 0) for r in loads)
    return {"rows_read": first("bronze_records", "records", "rows_read"), "inserted": inserted,
            "updated": first("updated"), "quarantined": first("quarantined"), "calls": first("calls")}


def run_workflow(cfg: Config, name: str, spark: "SparkSession | None" = None, date: str | dt.date | None = None,
                 season: str | int | None = None,
                 options: Mapping[str, Any] | None = None, resume: str | None = None,
                 progress: TextIO | None = None, only: Iterable[str] | None = None,
                 parallel: int | None = None) -> WorkflowRun:
    """Run workflow ``name``'s DAG here; see the module doc. Raises UserError on bad input before any job.

    ``only`` (job names) runs a part of the DAG: the other jobs are ``skipped`` and block nothing (a test
    that needs ingestion and three silver jobs, not the whole day). ``parallel``: at most this many jobs at
    once (default ``spark.parallel_jobs``); 1 runs them one at a time in execution order.
    """
    opts = dict(options or {})
    previous: dict[str, Any] | None = None
    if resume:
        previous = load_run(cfg, resume)
        if previous["workflow"] != name:
            raise UserError(f"run {resume} is of workflow {previous['workflow']}, not {name}")
    wf = get_workflow(name)
    if isinstance(date, str) and date:
        date = parse_date(date)
    base_props = previous["run_properties"] if previous else wf.run_properties
    props = _run_properties(base_props, date, season, opts)
    if previous:
        opts = {**previous.get("options", {}), **opts}
    order = execution_order(wf)
    deps = dependencies(wf)
    chosen = set(order) if only is None else set(only)
    if chosen - set(order):
        raise UserError(f"workflow {name} has no job {sorted(chosen - set(order))[0]!r}; it has {', '.join(order)}")
    # Every job's params are validated before the first job runs: a bad season or date is one line, exit 2.
    parallel = max(1, int(parallel or cfg.spark.parallel_jobs))
    for job_name in order:
        job = get_job(job_name)
        resolve(job, {k: v for k, v in opts.items() if k in job.param_names}, props,
                bounds=(cfg.seasons.first, cfg.seasons.last), default_season=cfg.seasons.default)
    done_before = {j["job"] for j in previous["jobs"] if j["status"] in ("succeeded", "skipped")} if previous else set()

    run = WorkflowRun(workflow=name, run_id=new_workflow_run_id(name), run_properties=props,
                      options={k: v for k, v in opts.items() if k not in _SECRET_OPTIONS},
                      started_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), resumed_from=resume)
    event(log, "workflow started", workflow=name, run_id=run.run_id, run_properties=props, resumed_from=resume,
          parallel=parallel)
    started = time.time()
    session = _Session(cfg, spark)
    if spark is None and any(get_job(n).needs_spark for n in order if n in chosen and n not in done_before):
        session.start_in_background()
    try:
        results = _schedule(order, deps, parallel, progress,
                            lambda n, r: _run_one(cfg, session, n, run, opts, props, r),
                            chosen=chosen, done_before=done_before, resume=resume, run_id=run.run_id)
    except BaseException:   # Ctrl-C: the running jobs' threads cannot be killed, their Spark jobs can
        if session.started is not None:
            session.started.sparkContext.cancelAllJobs()
        raise
    run.jobs = [results[n] for n in order]
    run.spark = session.started
    run.seconds = round(time.time() - started, 2)
    run.summary_path = _write_summary(cfg, run)
    event(log, "workflow finished", workflow=name, run_id=run.run_id, succeeded=run.succeeded, seconds=run.seconds)
    return run


class _Session:
    """The run's one SparkSession: started in the background when the run starts, or by the first job that
    asks for it (whichever thread that is), never twice."""

    def __init__(self, cfg: Config, spark: "SparkSession | None") -> None:
        self._cfg, self._spark, self._lock = cfg, spark, threading.Lock()

    def start_in_background(self) -> None:
        """Start the JVM now, beside the jobs that need none (ingestion): ~10 s off the run's critical path.
        A failed start is retried, and reported, by the first job that asks for the session."""
        def start() -> None:
            try:
                self.get()
            except Exception as exc:   # the job that needs the session fails with the same cause
                event(log, "spark start failed", error=f"{type(exc).__name__}: {exc}")

        threading.Thread(target=start, name="cbbd-spark-start", daemon=True).start()

    def get(self) -> "SparkSession":
        with self._lock:
            if self._spark is None:
                self._spark = _start_spark(self._cfg)
            return self._spark

    @property
    def started(self) -> "SparkSession | None":
        return self._spark


def start_preference(order: list[str]) -> list[str]:
    """``order``'s jobs, heaviest first: the order in which ready jobs take free slots.

    Heaviest by declared Glue workers, then timeout, then tables written: the long pole (silver_plays)
    should not wait behind small jobs for a slot, and a job's fixed cost grows with its tables (each a chain
    of small Spark jobs: silver_season_stats' six tables took 13 s of an incremental day and, started last,
    ran alone at the end of the silver fan-out). Ties keep the execution order.
    """
    index = {n: i for i, n in enumerate(order)}
    return sorted(order, key=lambda n: (-get_job(n).glue.number_of_workers, -get_job(n).glue.timeout_minutes,
                                        -len(get_job(n).table_outputs), index[n]))


def _schedule(order: list[str], deps: Mapping[str, tuple[str, ...]], parallel: int, progress: TextIO | None,
              execute: Callable[[str, JobResult], None], *, chosen: set[str], done_before: set[str],
              resume: str | None, run_id: str) -> dict[str, JobResult]:
    """Run ``order``'s jobs, each once its predecessors are done, up to ``parallel`` at a time.

    Why threads in one session: a Glue trigger starts every job it fans out to at once; locally the same
    fan-out shares one JVM, and one job's driver-side waits (planning, commits, tiny Spark jobs) leave
    cores another job's tasks can use. The DAG already keeps apart the jobs that write the
    same table (:func:`cbbd_etl.workflows.concurrent_writers` is empty for every declared workflow).
    A job's status is final when its future ends; a job whose predecessor failed is ``upstream_failed``
    without running, as a Glue conditional trigger would never fire.
    """
    index = {n: i for i, n in enumerate(order, 1)}
    results: dict[str, JobResult] = {}
    pending = start_preference(order) if parallel > 1 else list(order)
    running: dict[Future[None], str] = {}
    in_flight: dict[str, JobResult] = {}

    def tag(n: str) -> str:
        return f"[{index[n]}/{len(order)}] {n}"

    def settle(n: str, result: JobResult, line: str | None) -> None:
        results[n] = result
        if n in pending:
            pending.remove(n)
        if line:
            _say(progress, f"{tag(n)} {line}")

    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="cbbd-wf")
    try:
        while pending or running:
            changed = False
            for n in list(pending):
                if n not in chosen:
                    settle(n, JobResult(n, "skipped", note="not selected"), None)
                elif n in done_before:
                    settle(n, JobResult(n, "skipped", note=f"succeeded in {resume}"), f"skipped (succeeded in {resume})")
                elif any(p not in results for p in deps[n]):
                    continue
                elif blocked := [p for p in deps[n] if results[p].status in ("failed", "upstream_failed")]:
                    settle(n, JobResult(n, "upstream_failed", note=f"after failed {', '.join(blocked)}"),
                           f"upstream_failed (waits for {', '.join(blocked)})")
                elif len(running) < parallel:
                    _say(progress, f"{tag(n)} started")
                    in_flight[n] = JobResult(n, "failed", run_id=f"{run_id}.{n}")
                    pending.remove(n)
                    running[pool.submit(execute, n, in_flight[n])] = n
                else:
                    continue
                changed = True
            if changed:
                continue
            if not running:   # pragma: no cover - a DAG from dependencies() always has a ready job
                raise RuntimeError(f"workflow scheduler stuck with {pending}")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                n = running.pop(future)
                future.result()          # _run_one catches job errors; anything here is the runner's own bug
                result = in_flight.pop(n)
                settle(n, result, f"{result.status} in {result.seconds:.1f}s"
                                  + (f" ({result.error})" if result.error else ""))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results


def _run_one(cfg: Config, session: _Session, job_name: str, run: WorkflowRun, opts: Mapping[str, Any],
             props: Mapping[str, str], result: JobResult) -> None:
    """Run one job into ``result`` (a failed job fails its branch, as a Glue job run would)."""
    job = get_job(job_name)
    t0 = time.time()
    try:
        spark = session.get() if job.needs_spark else None
        if spark is not None:
            # Spark jobs started from this thread carry the workflow job's name (event log, thread dumps) and
            # go to a scheduler pool of their own, shared fairly with the other running jobs' pools.
            spark.sparkContext.setJobGroup(job_name, result.run_id or job_name)
            spark.sparkContext.setLocalProperty("spark.scheduler.pool", job_name)
        ctx = make_context(job_name, cfg, spark=spark, options=dict(opts), run_properties=props,
                           run_id=result.run_id)
        report = run_job(ctx)
        run.reports[job_name] = report
        result.__dict__.update(_counts(report))
        if report.get("unchanged_since"):
            result.note = f"unchanged since {report['unchanged_since']}"
        if report.get("reconciled", True) is False:
            result.error = "reconciled: false"
        else:
            result.status = "succeeded"
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        event(log, "workflow job failed", workflow=run.workflow, job=job_name, error=result.error,
              traceback=traceback.format_exc(limit=5))
    result.seconds = round(time.time() - t0, 2)


def _start_spark(cfg: Config) -> "SparkSession":
    from .spark import build_spark, ensure_namespaces

    spark = build_spark(cfg, app_name="cbbd_etl:workflow")
    ensure_namespaces(spark, cfg)
    return spark


def _say(stream: TextIO | None, line: str) -> None:
    if stream is not None:
        print(line, file=stream, flush=True)


def _write_summary(cfg: Config, run: WorkflowRun) -> str | None:
    folder = runs_dir(cfg)
    if folder is None:
        return None
    path = folder / f"{run.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_dict(), indent=2, default=str), encoding="utf-8")
    return str(path)


def summary_rows(run: WorkflowRun) -> list[dict[str, Any]]:
    return [{"job": j.job, "status": j.status, "rows_read": j.rows_read, "inserted": j.inserted,
             "updated": j.updated, "quarantined": j.quarantined, "calls": j.calls, "seconds": j.seconds,
             "note": j.error or j.note or ""} for j in run.jobs]


def print_summary(run: WorkflowRun, stream: TextIO | None = None) -> None:
    from .textfmt import render

    import sys

    out = stream or sys.stdout
    print(render(summary_rows(run)), file=out)
    print(f"\nworkflow {run.workflow} run {run.run_id}: {'succeeded' if run.succeeded else 'FAILED'} "
          f"in {run.seconds:.1f}s" + (f"; summary {run.summary_path}" if run.summary_path else ""), file=out)
