"""Run an ingestion: plan → skip what bronze already has → fetch in parallel → bronze + manifests.

Why this shape:

* **Resumable by construction.** A request is done when its manifest exists
  (:mod:`.ingest_log`). A run killed at any instant is resumed by running
  the same command: finished requests are skipped without a call, the rest
  is fetched. Because responses are deterministic per request, the result
  equals an uninterrupted run.
* **Never dies of one bad request.** The client retries transient faults and
  returns a dead letter after its last attempt; the run records it in
  ``_state/dead_letters/{run_id}.jsonl`` and continues.
* **Stops cleanly at the budget.** When the monthly call budget (or
  ``--max-calls``) would be exceeded, no new request starts, requests in
  flight finish, and the run summary says ``budget_exhausted``.
* **Accountable.** A JSON run summary (calls, records, bytes, retries,
  failures, dead letters, skipped, per endpoint) goes to
  ``_runs/{run_id}.json`` and is returned as :class:`RunSummary`.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Sequence, TextIO

from ..api.client import AuthError, BudgetExhausted, CallBudget, CbbdClient, origin_of
from ..api.endpoints import ENDPOINTS, select_endpoints
from ..api.jsoncodec import digest_of
from ..config import Config
from ..errors import UserError
from ..log import event, get_logger, mask
from ..seasons import season_of
from .ingest_log import Checkpoints, IngestLog
from .planner import (Call, PlanOptions, Planner, SeasonFacts, continuation, day_ledger_from_bronze,
                      facts_from_bronze, facts_from_estimate, facts_from_source, is_saturated, range_params)
from .store import BronzeStore, list_manifests, record_shape, write_response

log = get_logger("bronze.ingest")

PLAN_SOURCES = ("auto", "bronze", "estimate", "sim")


def new_run_id() -> str:
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-ingest-{uuid.uuid4().hex[:8]}"


# ---------------------------------------------------------------- summary
@dataclass
class EndpointStats:
    planned: int = 0
    calls: int = 0
    ok: int = 0
    empty: int = 0
    records: int = 0
    bytes: int = 0
    retries: int = 0
    dead_letters: int = 0
    skipped: int = 0


@dataclass
class RunSummary:
    """What one ingestion did; ``to_dict()`` is the JSON written to ``_runs/{run_id}.json``."""

    run_id: str
    mode: str
    seasons: list[int]
    endpoints: list[str]
    dry_run: bool = False
    status: str = "running"             # complete | failures | budget_exhausted | max_calls | planned
    started_at: str = ""
    finished_at: str = ""
    seconds: float = 0.0
    origin: str = ""
    planned: int = 0
    calls: int = 0                      # HTTP requests sent (every attempt counts against the budget)
    requests: int = 0                   # logical requests finished (ok + dead letters)
    records: int = 0
    bytes: int = 0
    retries: int = 0
    failures: int = 0                   # requests that failed after all attempts
    dead_letters: int = 0
    skipped: int = 0                    # already in bronze (resume) or not needed
    not_fetched: int = 0                # planned but not started because the run stopped
    budget_exhausted: bool = False
    stopped_reason: str | None = None
    message: str | None = None
    facts_source: dict[str, str] = field(default_factory=dict)
    per_game_fanout: int = 0            # dry run: calls the naive per-game plan would need instead
    budget: dict[str, Any] = field(default_factory=dict)
    per_endpoint: dict[str, EndpointStats] = field(default_factory=dict)

    def endpoint(self, slug: str) -> EndpointStats:
        return self.per_endpoint.setdefault(slug, EndpointStats())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["per_endpoint"] = {k: asdict(v) for k, v in sorted(self.per_endpoint.items())}
        return d


# ---------------------------------------------------------------- progress
class Progress:
    """A one-line stderr progress bar; silent unless the stream is a TTY (logs stay clean in Glue/CI)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total = 0
        self.done = 0
        self._last = 0.0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n

    def step(self, summary: RunSummary, n: int = 1) -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if not self.enabled or (now - self._last < 0.2 and self.done < self.total):
                return
            self._last = now
            width = 30
            frac = self.done / self.total if self.total else 1.0
            bar = "#" * int(frac * width)
            self.stream.write(f"\r[{bar:<{width}}] {self.done}/{self.total} requests  calls {summary.calls}  "
                              f"retries {summary.retries}  dead {summary.dead_letters}  ")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# ---------------------------------------------------------------- the run
class _Run:
    def __init__(self, store: BronzeStore, client: CbbdClient | None, run_id: str, summary: RunSummary,
                 workers: int, progress: Progress) -> None:
        self.store = store
        self.client = client
        self.run_id = run_id
        self.summary = summary
        self.workers = max(1, workers)
        self.progress = progress
        self.checkpoints = Checkpoints(store)
        self.ingest_log = IngestLog(store, run_id)
        self.stop_reason: str | None = None
        self.stop_message: str | None = None
        self.auth_error: AuthError | None = None
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------ scheduling
    def execute(self, calls: Sequence[Call]) -> None:
        queue: deque[Call] = deque(calls)
        with self._lock:
            for c in calls:
                self.summary.endpoint(c.slug).planned += 1
            self.summary.planned += len(calls)
        self.progress.add(len(calls))
        pending: set[Future[list[Call]]] = set()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ingest") as pool:
            while queue or pending:
                while queue and len(pending) < self.workers * 2 and not self.stop_reason:
                    call = queue.popleft()
                    more = self._maybe_skip(call)
                    if more is None:
                        pending.add(pool.submit(self._fetch, call))
                    else:
                        self._enqueue(queue, more)
                if self.stop_reason and queue:
                    self._not_fetched(len(queue))
                    queue.clear()
                if not pending:
                    continue
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    more = fut.result()
                    if more and not self.stop_reason:
                        self._enqueue(queue, more)
                    elif more:
                        self._not_fetched(len(more))

    def _enqueue(self, queue: deque[Call], calls: list[Call]) -> None:
        with self._lock:
            for c in calls:
                self.summary.endpoint(c.slug).planned += 1
            self.summary.planned += len(calls)
        self.progress.add(len(calls))
        queue.extendleft(reversed(calls))

    def _not_fetched(self, n: int) -> None:
        with self._lock:
            self.summary.not_fetched += n

    def _maybe_skip(self, call: Call) -> list[Call] | None:
        """None → fetch it; a list → skipped (the list holds continuations of a saturated chunk)."""
        key = call.manifest_key
        with self._lock:
            duplicate = key in self._seen
            self._seen.add(key)
        if duplicate or (not call.force and self.checkpoints.is_done(call.slug, call.season, key)):
            with self._lock:
                self.summary.skipped += 1
                self.summary.endpoint(call.slug).skipped += 1
            self.progress.step(self.summary)
            if duplicate or call.range_ is None:
                return []
            manifest = self.checkpoints.manifest(key) or {}
            return [self._range_call(call, a, b) for a, b in manifest.get("continuation") or []]
        return None

    @staticmethod
    def _range_call(call: Call, start: str, end: str) -> Call:
        e = call.endpoint
        return Call.make(e, range_params(e, call.season or 0, start, end), call.season, stage=call.stage,
                         force=call.force, note="continuation", range_=(start, end), as_of=call.as_of)

    # ------------------------------------------------------------ one request
    def _fetch(self, call: Call) -> list[Call]:
        if self.stop_reason or self.client is None:
            self._not_fetched(1)
            return []
        e = call.endpoint
        try:
            # Only a ranged call (a capped endpoint) reads its records' game ids and dates; every other
            # response is stored as it came, so its records are counted and their fields listed, not built.
            result = self.client.get(call.path, call.query, expect=e.response, digest=not call.range_)
        except BudgetExhausted as exc:
            self._stop(exc.kind, str(exc))
            self._not_fetched(1)
            return []
        except AuthError as exc:
            self.auth_error = exc
            self._stop("auth", str(exc))
            self._not_fetched(1)
            return []
        stats = self.summary.endpoint(call.slug)
        with self._lock:
            stats.calls += result.attempts
            stats.retries += result.retries
            self.summary.retries += result.retries
            self.summary.requests += 1
        if not result.ok:
            self._dead_letter(call, result.reason or "unknown failure", result.attempts, result.status)
            self.progress.step(self.summary)
            return []
        data = result.data
        shape = result.digest if result.digest is not None else digest_of(data)
        records = shape.count
        more: list[Call] = []
        extra: dict[str, Any] = {"attempts": result.attempts, **record_shape(shape)}
        if call.as_of:
            extra["as_of"] = call.as_of   # what day this answer describes (the planner's DayLedger)
        if call.range_:
            extra["range"] = list(call.range_)
            spans = continuation(call.slug, data, *call.range_)
            if spans:
                extra["saturated"] = True
                extra["continuation"] = [list(s) for s in spans]
                more = [self._range_call(call, a, b) for a, b in spans]
            elif is_saturated(call.slug, data):
                self._dead_letter(call, f"cap of {e.cap} reached within one day; not splittable by date",
                                  result.attempts, 200)
        try:
            manifest = write_response(
                self.store, endpoint=e.path, slug=call.slug, path=call.path, params=call.query,
                season=call.season, date=call.date, status=200, body=result.body or b"", record_count=records,
                run_id=self.run_id, extra=extra)
        except Exception as exc:  # noqa: BLE001 - a storage hiccup must not kill the run
            self._dead_letter(call, f"bronze write failed: {type(exc).__name__}: {mask(str(exc))[:200]}",
                              result.attempts, 200)
            self.progress.step(self.summary)
            return []
        self.checkpoints.mark_done(call.slug, call.season, call.manifest_key)
        with self._lock:
            stats.ok += 1
            stats.records += records
            stats.bytes += manifest["bytes"]
            stats.empty += records == 0
            self.summary.records += records
            self.summary.bytes += manifest["bytes"]
        self.ingest_log.record("done", endpoint=e.path, path=call.path, params=call.query, season=call.season,
                               status=200, record_count=records, attempts=result.attempts,
                               data_key=manifest["data_key"], sha256=manifest["sha256"],
                               saturated=bool(extra.get("saturated")))
        event(log, "fetched", logging.DEBUG, endpoint=e.path, path=call.path, params=call.query,
              records=records, attempts=result.attempts)
        self.progress.step(self.summary)
        return more

    def _dead_letter(self, call: Call, reason: str, attempts: int, status: int | None) -> None:
        reason = mask(reason)
        with self._lock:
            self.summary.failures += 1
            self.summary.dead_letters += 1
            self.summary.endpoint(call.slug).dead_letters += 1
        self.ingest_log.dead_letter(endpoint=call.endpoint.path, path=call.path, params=call.query, reason=reason,
                                    attempts=attempts, status=status, season=call.season)
        event(log, "request failed after retries", logging.WARNING, endpoint=call.endpoint.path, path=call.path,
              params=call.query, reason=reason, attempts=attempts)

    def _stop(self, reason: str, message: str) -> None:
        with self._lock:
            if self.stop_reason:
                return
            self.stop_reason = reason
            self.stop_message = mask(message)
        event(log, "stopping: no new requests", logging.WARNING, reason=reason, detail=self.stop_message)


# ---------------------------------------------------------------- entry point
def ingest_endpoints(
    cfg: Config,
    seasons: list[int] | None,
    endpoints: list[str] | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    run_id: str | None = None,
    mode: str = "backfill",
    window_days: int = 7,
    dry_run: bool = False,
    max_calls: int | None = None,
    progress: bool = True,
    *,
    as_of: dt.date | None = None,
    plan_source: str = "auto",
    store: BronzeStore | None = None,
    progress_stream: TextIO | None = None,
) -> RunSummary:
    """Ingest ``endpoints`` (default: all default ones) for ``seasons`` into bronze; see the module doc.

    ``mode`` is ``backfill`` (fetch what bronze lacks) or ``incremental``
    (also re-fetch the last ``window_days`` days up to ``as_of``, default
    today, because the API corrects recent stats). ``dry_run`` plans and
    returns the plan without calling the API (``plan_source`` says where
    the game days, teams and conferences come from when bronze has none:
    ``estimate``, or ``sim`` / ``sim:full`` for the simulator).
    """
    if mode not in ("backfill", "incremental"):
        raise UserError(f"mode must be backfill or incremental, got {mode!r}")
    if window_days < 1:
        raise UserError(f"--window-days must be >= 1, got {window_days}")
    if max_calls is not None and max_calls < 0:
        raise UserError(f"--max-calls must be >= 0, got {max_calls}")
    if not seasons and mode == "incremental":   # a daily run follows the season of its date
        seasons = [season_of(as_of or dt.datetime.now(dt.timezone.utc).date())]
    if not seasons:
        raise UserError("no season given")
    for s in seasons:
        if not cfg.seasons.first <= s <= cfg.seasons.last:
            raise UserError(f"season {s} is outside the supported range {cfg.seasons.first}-{cfg.seasons.last}")
    chosen = select_endpoints(endpoints)
    run_id = run_id or new_run_id()
    store = store or BronzeStore.for_root(cfg.bronze.root, region=cfg.aws.region)
    # incremental: what earlier fetches knew per day, so days that became final since are fetched again
    ledgers = {s: day_ledger_from_bronze(store, s) for s in seasons} if mode == "incremental" else None
    planner = Planner(chosen, seasons, PlanOptions(mode=mode, window_days=window_days, as_of=as_of), ledgers)
    summary = RunSummary(run_id=run_id, mode=mode, seasons=list(seasons), endpoints=[e.slug for e in chosen],
                         dry_run=dry_run, started_at=_now())
    started = time.monotonic()
    if dry_run:
        return _dry_run(cfg, store, planner, summary, plan_source, started)
    swept = store.sweep_temp_files()
    if swept:
        event(log, "orphaned temp files removed", count=swept, root=store.uri(""))

    def stages(run: _Run) -> None:
        run.execute(planner.stage1())
        if planner.needs_facts() and not run.stop_reason:
            stage2: list[Call] = []
            for s in seasons:
                facts = facts_from_bronze(store, s, players=planner.needs_players)
                summary.facts_source[str(s)] = f"bronze ({len(facts.games)} games, {len(facts.teams)} teams)"
                stage2.extend(planner.stage2(facts))
            run.execute(stage2)

    return _run_with_client(cfg, store, summary, stages, base_url=base_url, api_key=api_key, max_calls=max_calls,
                            progress=progress, progress_stream=progress_stream, started=started)


def fetch_calls(
    cfg: Config,
    calls: Sequence[Call],
    base_url: str | None = None,
    api_key: str | None = None,
    run_id: str | None = None,
    max_calls: int | None = None,
    progress: bool = True,
    *,
    force: bool = True,
    store: BronzeStore | None = None,
    progress_stream: TextIO | None = None,
) -> RunSummary:
    """Fetch an explicit list of planned calls (the gap-fill's plan) with the same client, budget, bronze
    layout, dead letters and run summary as a backfill.

    ``force`` (default) fetches every call even when its manifest exists:
    the gap-fill asks again precisely because an earlier answer was empty.
    """
    if max_calls is not None and max_calls < 0:
        raise UserError(f"--max-calls must be >= 0, got {max_calls}")
    calls = [replace(c, force=True) if force and not c.force else c for c in calls]
    run_id = run_id or new_run_id()
    store = store or BronzeStore.for_root(cfg.bronze.root, region=cfg.aws.region)
    summary = RunSummary(run_id=run_id, mode="calls", seasons=sorted({c.season for c in calls if c.season}),
                         endpoints=sorted({c.slug for c in calls}), started_at=_now())
    return _run_with_client(cfg, store, summary, lambda run: run.execute(calls), base_url=base_url,
                            api_key=api_key, max_calls=max_calls, progress=progress,
                            progress_stream=progress_stream, started=time.monotonic())


def _run_with_client(cfg: Config, store: BronzeStore, summary: RunSummary, body: Callable[[_Run], None], *,
                     base_url: str | None, api_key: str | None, max_calls: int | None, progress: bool,
                     progress_stream: TextIO | None, started: float) -> RunSummary:
    """Client, budget, progress and the run summary around ``body`` (which executes calls)."""
    base = base_url or cfg.api.base_url
    summary.origin = origin_of(base)
    budget = CallBudget(store, summary.origin, cfg.api.monthly_call_budget)
    client = CbbdClient.from_config(cfg, base_url=base, api_key=api_key, budget=budget, max_calls=max_calls)
    bar = Progress(progress, progress_stream)
    run = _Run(store, client, summary.run_id, summary, cfg.api.max_concurrency, bar)
    event(log, "ingest started", run_id=summary.run_id, mode=summary.mode, seasons=summary.seasons,
          endpoints=len(summary.endpoints), origin=summary.origin, budget_used=budget.used, budget=budget.limit)
    try:
        body(run)
    finally:
        bar.close()
        run.ingest_log.flush()
        client.close()
        summary.calls = client.calls
        summary.budget = budget.to_dict()
        summary.stopped_reason = run.stop_reason
        summary.budget_exhausted = run.stop_reason == "budget_exhausted"
        summary.message = run.stop_message
        summary.status = (run.stop_reason or ("failures" if summary.failures else "complete"))
        summary.finished_at = _now()
        summary.seconds = round(time.monotonic() - started, 3)
        store.put_json(f"_runs/{summary.run_id}.json", summary.to_dict())
    event(log, "ingest finished", run_id=summary.run_id, status=summary.status, calls=summary.calls,
          records=summary.records, bytes=summary.bytes, retries=summary.retries, failures=summary.failures,
          skipped=summary.skipped, not_fetched=summary.not_fetched, seconds=summary.seconds)
    if run.auth_error is not None:
        raise run.auth_error
    return summary


def _dry_run(cfg: Config, store: BronzeStore, planner: Planner, summary: RunSummary, plan_source: str,
             started: float) -> RunSummary:
    """Plan without a single API call: stage 1 from the catalog, stage 2 from bronze, the simulator or estimates."""
    source, _, size = plan_source.partition(":")
    if source not in PLAN_SOURCES:
        raise UserError(f"--plan-source must be one of {', '.join(PLAN_SOURCES)} (sim may be sim:full), "
                        f"got {plan_source!r}")
    calls = planner.stage1()
    checkpoints = Checkpoints(store)
    if planner.needs_facts():
        for s in planner.seasons:
            facts = _facts_for_dry_run(cfg, store, s, source, size)
            summary.facts_source[str(s)] = facts.source
            stage2 = planner.stage2(facts)
            calls.extend(stage2)
            summary.per_game_fanout += _per_game_equivalent(planner, facts, stage2)
    summary.status = "planned"
    summary.planned = len(calls)
    for c in calls:
        st = summary.endpoint(c.slug)
        st.planned += 1
        if not c.force and checkpoints.is_done(c.slug, c.season, c.manifest_key):
            st.skipped += 1
            summary.skipped += 1
    summary.finished_at = _now()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _facts_for_dry_run(cfg: Config, store: BronzeStore, season: int, source: str, size: str) -> SeasonFacts:
    has_bronze = bool(list_manifests(store, "games", season)) and bool(list_manifests(store, "teams", season))
    if source == "bronze" or (source == "auto" and has_bronze):
        if not has_bronze:
            raise UserError(f"--plan-source bronze: no /games and /teams responses for season {season} in bronze")
        facts = facts_from_bronze(store, season, players=True)
        facts.source = f"bronze ({len(facts.games)} games, {len(facts.teams)} teams)"
        return facts
    if source == "sim":
        from ..sim import SimulatedApi

        size = size or cfg.sim.size
        facts = facts_from_source(SimulatedApi(season=season, size=size, seed=cfg.sim.seed), season)
        facts.source = (f"simulator (size={size}, seed={cfg.sim.seed}: {len(facts.games)} games on "
                        f"{len(facts.game_days)} days, {len(facts.team_names())} teams)")
        return facts
    facts = facts_from_estimate(season)
    facts.source = (f"estimate (no bronze yet: {len(facts.games)} games on {len(facts.game_days)} days, "
                    f"{len(facts.teams)} teams, {len(facts.conferences)} conferences)")
    return facts


def _per_game_equivalent(planner: Planner, facts: SeasonFacts, stage2: list[Call]) -> int:
    """Calls the naive plan needs for the same season: one per game for every endpoint that the
    planner fetched by a cheaper scope (plays by date, substitutions and lineups by team), plus
    everything else as planned."""
    per_game_families = {e.slug for e in planner.stage2_endpoints if e.scope in ("date", "team_season")}
    return len(facts.games) * len(per_game_families) + sum(1 for c in stage2 if c.slug not in per_game_families)


def _now() -> str:
    from .store import utc_now

    return utc_now()


def describe_plan(summary: RunSummary) -> list[dict[str, Any]]:
    """Rows for the dry-run table: endpoint, scope, planned calls, already in bronze, to fetch."""
    scopes = {e.slug: e.scope for e in ENDPOINTS}
    rows = []
    for slug, st in sorted(summary.per_endpoint.items(), key=lambda kv: (-kv[1].planned, kv[0])):
        rows.append({"endpoint": slug, "scope": scopes.get(slug, "?"), "calls": st.planned,
                     "in_bronze": st.skipped, "to_fetch": st.planned - st.skipped})
    return rows

