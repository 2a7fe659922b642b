"""Gap-fill: find final games that lack a dataset, ask the API for exactly those, MERGE what comes back.

One mechanism for every game-level dataset (box scores, player box scores,
plays, substitutions, lineups, lines):

1. **discover** — the completeness audit's anti-join of final games against
   each fact table gives missing (dataset, game) *units*;
2. **remember** — units the API answered empty recently are skipped until a
   configurable number of days has passed (``meta.gap_fill_log``), so a game
   the API truly lacks is not asked about every day;
3. **plan** — the cheapest call per unit group through the ingestion
   planner's :class:`~cbbd_etl.bronze.planner.Call`: one date call covers all
   missing games of that day for date-scoped datasets, one game call per game
   otherwise; never more calls than units; ``max_calls`` caps it;
4. **fetch** into bronze with the normal client (rate limit, retries,
   budget, checkpoints — a killed run resumes);
5. **load** — the normal silver jobs MERGE the new bronze (they read only
   files not yet processed);
6. **record** — a re-audit of the asked units marks each filled or empty.

A second run finds no units (or only remembered-empty ones) and makes no call.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .tables import META_GAP_FILL_LOG

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

    from .bronze.planner import Call
    from .config import Config
    from .runner import JobContext


@dataclass(frozen=True)
class GapDataset:
    """How to ask for one game-level dataset, and which silver job loads it."""

    dataset: str
    by_date: str | None          # endpoint slug that returns every game of a date (range), if any
    by_game: str | None          # endpoint slug that returns one game
    silver_job: str
    date_param: str = "range"    # "range" (startDateRange/endDateRange) or "date" (/plays/date?date=)
    # The dataset is final once the game starts (betting lines close at tip-off): a date-scoped response that
    # covered the game's date and was fetched well after it already answered for the game, so a game missing
    # from it has no data to ask for (see answered_by_bronze). Box scores and plays can arrive late: False.
    settled_at_start: bool = False


GAP_DATASETS: dict[str, GapDataset] = {d.dataset: d for d in (
    GapDataset("team_box_scores", "games_teams", None, "silver_team_game_stats"),
    GapDataset("player_box_scores", "games_players", None, "silver_player_game_stats"),
    GapDataset("plays", "plays_date", "plays_game", "silver_plays", date_param="date"),
    GapDataset("substitutions", None, "substitutions_game", "silver_rotations"),
    GapDataset("lineups", None, "lineups_game", "silver_rotations"),
    GapDataset("lines", "lines", None, "silver_game_context", settled_at_start=True),
)}

# How many days after a game's (labelled) date a covering response must have been fetched to count as an
# answer for it: the API's times are Eastern labelled as UTC, so "the next day" can still be before tip-off.
SETTLED_AFTER_DAYS = 2

@dataclass(frozen=True)
class Unit:
    """One missing (dataset, game)."""

    dataset: str
    season: int
    game_id: int
    utc_date: str                # the game's UTC calendar date (what date-scoped endpoints filter on)


def plan_calls(units: Iterable[Unit], max_calls: int | None = None) -> tuple[list["Call"], list[Unit]]:
    """The cheapest calls that cover ``units``; returns (calls, units left out by ``max_calls``)."""
    planned, deferred = plan_call_units(units, max_calls)
    return [c for c, _ in planned], deferred


def plan_call_units(units: Iterable[Unit], max_calls: int | None = None
                    ) -> tuple[list[tuple["Call", list[Unit]]], list[Unit]]:
    """Each planned call with the units it answers, and the units left out by ``max_calls``.

    Per dataset and date: a date-scoped call when the endpoint has one and it
    saves calls (two or more games missing that day, or no per-game
    endpoint); otherwise one call per game. So calls ≤ units, always.
    """
    from .api.endpoints import get_endpoint
    from .bronze.planner import Call, range_params

    groups: dict[tuple[str, int, str], list[Unit]] = defaultdict(list)
    for u in units:
        groups[(u.dataset, u.season, u.utc_date)].append(u)
    calls: list[tuple[Call, list[Unit]]] = []
    for (dataset, season, day), members in sorted(groups.items()):
        spec = GAP_DATASETS[dataset]
        members = sorted(members, key=lambda u: u.game_id)
        if spec.by_date and (len(members) > 1 or not spec.by_game):
            endpoint = get_endpoint(spec.by_date)
            params = {"date": day} if spec.date_param == "date" else range_params(
                endpoint, season, day, day)
            calls.append((Call.make(endpoint, params, season, date=day if spec.date_param == "date" else None,
                                    note=f"gap-fill {dataset}: {len(members)} game(s)"), members))
        else:
            endpoint = get_endpoint(spec.by_game)
            for u in members:
                calls.append((Call.make(endpoint, {"gameId": u.game_id}, season, note=f"gap-fill {dataset}"), [u]))
    if max_calls is not None and len(calls) > max_calls:
        return calls[:max_calls], [u for _, us in calls[max_calls:] for u in us]
    return calls, []


def answered_by_bronze(cfg: "Config", units: Iterable[Unit]) -> list[Unit]:
    """The units of ``settled_at_start`` datasets that bronze already answered: a response of the dataset's
    date-scoped endpoint, not cut short by the result cap, covered the game's date and describes a day at
    least :data:`SETTLED_AFTER_DAYS` later (:func:`~cbbd_etl.bronze.planner.fetched_as_of`: the run's as-of
    date, else the fetch date). The game is absent from it, so asking again costs a call and returns nothing
    (a season backfill's ~80 gameless lines in the demo, ~100 calls a full season).

    Reads only the manifests (driver-side, no Spark); a unit with no such response is left to be asked.
    """
    from .bronze.planner import fetched_as_of, manifest_range
    from .bronze.store import BronzeStore, list_manifests

    pending = [u for u in units if GAP_DATASETS[u.dataset].settled_at_start and GAP_DATASETS[u.dataset].by_date]
    if not pending:
        return []
    store = BronzeStore.for_root(cfg.bronze.root, region=cfg.aws.region)
    spans: dict[tuple[str, int], list[tuple[str, str, str]]] = {}
    for slug, season in sorted({(GAP_DATASETS[u.dataset].by_date or "", u.season) for u in pending}):
        spans[(slug, season)] = [(*span, fetched_as_of(m)) for m in list_manifests(store, slug, season)
                                 if not m.get("saturated") and (span := manifest_range(m))]
    answered = []
    for u in pending:
        if not u.utc_date:
            continue
        settled = (dt.date.fromisoformat(u.utc_date) + dt.timedelta(days=SETTLED_AFTER_DAYS)).isoformat()
        if any(lo <= u.utc_date <= hi and described >= settled
               for lo, hi, described in spans[(GAP_DATASETS[u.dataset].by_date or "", u.season)]):
            answered.append(u)
    return answered


def missing_units(spark: "SparkSession", cfg: "Config", seasons: list[int], datasets: Iterable[str] | None = None,
                  now: dt.date | None = None, use_log: bool = True) -> tuple[list[Unit], int]:
    """Missing units by the audit's rule, minus (``use_log``) those the API recently answered empty;
    returns (units, skipped).

    Why driver-side: the final games of a season and each fact table's covered game ids are a few thousand
    ints, so one small query per table plus a set difference replaces the audit's union of joins; the
    gap-fill log is read only when something is missing (a no-op run touches neither it nor anything else).
    """
    from pyspark.sql import functions as F

    from .audit import covered_game_ids, final_game_dates
    from .datasets import GAME_DATASETS
    from .iceberg import ensure_table
    from .spark import map_concurrently

    wanted = set(datasets or GAP_DATASETS)
    finals = final_game_dates(spark, cfg, seasons)
    units: list[Unit] = []
    if finals:
        asked = [c for c in GAME_DATASETS if c.dataset in wanted]
        covered_by = map_concurrently(spark, lambda c: covered_game_ids(spark, cfg, c, seasons), asked,
                                      cfg.spark.parallel_jobs)
        for coverage, covered in zip(asked, covered_by):
            units += [Unit(coverage.dataset, season, gid, day) for gid, (season, day) in finals.items()
                      if gid not in covered]
    fresh = units
    if use_log and units:
        log = spark.table(ensure_table(spark, cfg, META_GAP_FILL_LOG))
        today = now or dt.date.today()
        quiet = {(r["dataset"], int(r["game_id"])) for r in
                 log.where((F.col("outcome") == "empty") & (F.col("recheck_after") > F.lit(today)))
                 .select("dataset", "game_id").collect()}
        fresh = [u for u in units if (u.dataset, u.game_id) not in quiet]
    skipped = len(units) - len(fresh)
    return sorted(fresh, key=lambda u: (u.dataset, u.season, u.utc_date or "", u.game_id)), skipped


def log_rows(spark: "SparkSession", asked: list[Unit], still_missing: set[tuple[str, int]], recheck_days: int,
             run_id: str, previous: dict[tuple[str, int], int], now: dt.datetime) -> "DataFrame":
    """``meta.gap_fill_log`` rows for the units asked this run: filled, or empty until ``recheck_days`` pass."""
    from pyspark.sql import functions as F

    data = []
    for u in asked:
        empty = (u.dataset, u.game_id) in still_missing
        data.append((u.dataset, u.game_id, u.season, previous.get((u.dataset, u.game_id), 0) + 1, now,
                     "empty" if empty else "filled",
                     (now.date() + dt.timedelta(days=recheck_days)) if empty else None, run_id))
    from .spark import local_frame

    df = local_frame(spark, data, "dataset STRING, game_id BIGINT, season INT, attempts INT, "
                                     "last_asked_at TIMESTAMP, outcome STRING, recheck_after DATE, run_id STRING")
    return (df.withColumn("_ingested_at", F.lit(now)).withColumn("_source_file", F.lit("gap_fill"))
            .withColumn("_run_id", F.lit(run_id)))


def summarize_units(units: Iterable[Unit]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for u in units:
        out[u.dataset] += 1
    return dict(sorted(out.items()))


def describe(calls: list["Call"]) -> list[dict[str, Any]]:
    return [{"endpoint": c.slug, "request": c.describe(), "note": c.note} for c in calls]


def run_gap_fill(ctx: "JobContext") -> dict[str, Any]:
    """The whole loop for the job's seasons; options: datasets, max_calls, dry_run, base_url, api_key,
    recheck_days (default 7), as_of (the date "today" is, for re-checks), progress."""
    from .bronze.ingest import fetch_calls

    spark, cfg, opts = ctx.spark, ctx.cfg, ctx.options
    seasons = ctx.seasons or [ctx.require_season()]
    units, remembered = missing_units(spark, cfg, seasons, opts.get("datasets"), now=opts.get("as_of"))
    answered = answered_by_bronze(cfg, units)
    answered_keys = {(u.dataset, u.game_id) for u in answered}
    planned, deferred = plan_call_units([u for u in units if (u.dataset, u.game_id) not in answered_keys],
                                        opts.get("max_calls"))
    calls = [c for c, _ in planned]
    report: dict[str, Any] = {"seasons": seasons, "missing_units": len(units) + remembered,
                              "remembered_empty": remembered, "units": summarize_units(units),
                              "answered_by_bronze": len(answered),
                              "planned_calls": len(calls), "deferred_units": len(deferred)}
    if opts.get("dry_run") or not (calls or answered):
        report.update({"calls": 0, "plan": describe(calls)[:200]})
        return report
    summary = fetch_calls(cfg, calls, base_url=opts.get("base_url"), api_key=opts.get("api_key"), run_id=ctx.run_id,
                          progress=bool(opts.get("progress", False))) if calls else None
    return _record(ctx, report, planned, answered, summary)


def _record(ctx: "JobContext", report: dict[str, Any], planned: list[tuple["Call", list[Unit]]],
            answered: list[Unit], summary: Any) -> dict[str, Any]:
    """Load what the calls brought, re-audit the asked units and log each unit filled or empty.

    ``answered`` units (see :func:`answered_by_bronze`) are logged empty with no call; ``summary`` is the
    fetch's run summary, None when nothing was fetched.
    """
    from .bronze.store import BronzeStore
    from .iceberg import ensure_table, merge_upsert
    from .runner import make_context, run_job

    spark, cfg, opts = ctx.spark, ctx.cfg, ctx.options
    asked_units = [u for _, us in planned for u in us]
    loads: list[dict[str, Any]] = []
    still_keys = {(u.dataset, u.game_id) for u in answered}
    logged: list[Unit] = []
    report["calls"] = 0
    if summary is not None:
        report["ingest"] = {k: v for k, v in summary.to_dict().items()
                            if k in ("calls", "records", "retries", "failures", "dead_letters", "budget_exhausted")}
        report["calls"] = summary.calls
        for job in sorted({GAP_DATASETS[u.dataset].silver_job for u in asked_units}):
            for season in sorted({u.season for u in asked_units if GAP_DATASETS[u.dataset].silver_job == job}):
                r = run_job(make_context(job, cfg, spark=spark, season=season))
                loads.append({"job": job, "season": season, "inserted": r.get("inserted"),
                              "reconciled": r.get("reconciled")})
        still, _ = missing_units(spark, cfg, sorted({u.season for u in asked_units}),
                                 sorted({u.dataset for u in asked_units}), use_log=False)
        still_keys |= {(u.dataset, u.game_id) for u in still}
        # A unit whose call failed is not "empty": only answered requests (a manifest exists) count as answers.
        store = BronzeStore.for_root(cfg.bronze.root, region=cfg.aws.region)
        logged = [u for c, us in planned if store.exists(c.manifest_key) for u in us]
    report["silver"] = loads
    ident = ensure_table(spark, cfg, META_GAP_FILL_LOG)
    previous = {(r["dataset"], r["game_id"]): r["attempts"] or 0 for r in
                spark.table(ident).select("dataset", "game_id", "attempts").collect()}
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    merge_upsert(spark, cfg, META_GAP_FILL_LOG, log_rows(spark, logged + answered, still_keys,
                                                         int(opts.get("recheck_days", 7)), ctx.run_id, previous, now))
    report.update({"filled_units": sum(1 for u in asked_units if (u.dataset, u.game_id) not in still_keys),
                   "empty_units": sum(1 for u in logged if (u.dataset, u.game_id) in still_keys) + len(answered),
                   "unanswered_units": len(asked_units) - len(logged)})
    report["reconciled"] = all(x["reconciled"] for x in loads) and not (summary is not None and summary.failures)
    return report
