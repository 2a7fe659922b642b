"""The ``data_quality`` job: evaluate every table's rules, append one row per rule to ``meta.dq_results``.

Runs last in the daily workflow (its inputs are every silver and gold table).
Its report is ``reconciled: false`` when a rule of severity ``error`` failed,
which is how the runner, ``cbbd-etl run`` (exit 1) and Glue fail a job and so
the workflow; ``warn`` failures are recorded and printed, never fatal.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..config import Config
from ..errors import UserError
from ..iceberg import append_rows, snapshot_labels, table_exists
from ..log import event, get_logger
from ..specs.dq_rules import Rule, all_rules
from ..specs.dq_tables import META_DQ_RESULTS
from ..tables import get_table
from .dqdl import references, rule_to_dqdl, ruleset_text
from .glue_eval import evaluate_table_on_glue, glue_dq_available
from .report import RuleResult, build_report
from .spark_eval import evaluate_rules, season_view_sql

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("dq.job")


def select_rules(tables: Sequence[str] | None = None) -> list[Rule]:
    """The rules of ``tables`` (all declared tables when None); an unknown table is a :class:`UserError`."""
    catalog = all_rules()
    if tables:
        unknown = [t for t in tables if t not in catalog]
        if unknown:
            raise UserError(f"unknown table {', '.join(unknown)}; declared tables: {', '.join(catalog)}")
        return [r for t in tables for r in catalog[t]]
    return [r for rules in catalog.values() for r in rules]


def register_views(spark: "SparkSession", cfg: Config, rules: Iterable[Rule], season: int | None,
                   run_id: str) -> dict[str, str]:
    """One temporary view per existing table the rules read, limited to ``season``: logical name → view."""
    tag = "".join(ch if ch.isalnum() else "_" for ch in run_id)[-24:]
    views: dict[str, str] = {}
    for name in dict.fromkeys(t for r in rules for t in r.tables_read):
        ident = cfg.table(name)
        if not table_exists(spark, ident):
            continue
        view = f"dq_{name.replace('.', '_')}_{tag}"
        spark.sql(season_view_sql(ident, get_table(name), season)).createOrReplaceTempView(view)
        views[name] = view
    return views


def run_data_quality(spark: "SparkSession", cfg: Config, season: int | None, run_id: str,
                     tables: Sequence[str] | None = None, as_of: dt.date | None = None, write: bool = True,
                     use_glue: bool | None = None) -> dict[str, Any]:
    """Evaluate the rules of ``tables`` (default: every declared table) for ``season`` as of ``as_of``.

    ``use_glue`` defaults to whether ``awsgluedq`` imports; with it, DQDL rules are decided by
    EvaluateDataQuality and the rest by Spark SQL. ``write`` appends the results to ``meta.dq_results``.

    A rule whose version (:func:`rule_versions`: its definition, the snapshots of the tables it reads, the
    season, the as-of date if it reads it) was evaluated before is not evaluated again: its recorded result
    stands. Why: on a game day most tables (teams, venues, conferences, last season's ratings) did not
    change, and data quality runs last, on the daily run's critical path. When every rule is reused (a
    replay, a second demo) nothing is written and the run commits no snapshot; otherwise the run records
    every rule, the reused ones included, so each run's rows in ``meta.dq_results`` are complete.
    """
    as_of = as_of or dt.datetime.now(dt.timezone.utc).date()
    use_glue = glue_dq_available() if use_glue is None else use_glue
    evaluator = "glue_dq+spark_sql" if use_glue else "spark_sql"
    rules = select_rules(tables)
    clock = _Clock()
    versions = rule_versions(rules, table_snapshots(spark, cfg, rules), season, as_of, evaluator)
    clock.lap("snapshots")
    earlier = recorded_results(spark, cfg, rules, versions) if write else {}
    clock.lap("recorded")
    todo = [r for r in rules if r.id not in earlier]
    version = run_version(versions)
    if not todo:
        # The same data was evaluated already: its results stand, nothing is written, no snapshot.
        reused_run = max(earlier.values(), key=lambda e: e[1])[0]
        report = build_report([earlier[r.id][2] for r in rules], run_id, season, as_of, "recorded")
        report.update({"written": 0, "reused_run_id": reused_run, "reused_rules": len(rules),
                       "data_version": version})
        event(log, "data quality", run_id=run_id, season=season, rules=report["rules"], failed=report["failed"],
              reused_run_id=reused_run, reconciled=report["reconciled"])
        return report
    views = register_views(spark, cfg, todo, season, run_id)
    clock.lap("views")
    # As many queries at once as the local runner runs jobs at once (data quality runs last, alone).
    fresh = evaluate_rules(spark, todo, views, as_of, workers=cfg.spark.parallel_jobs)
    if use_glue:
        fresh = _decide_with_glue(spark, todo, fresh, views)
    clock.lap("evaluate")
    by_id = {r.rule.id: r for r in fresh}
    results = [by_id[r.id] if r.id in by_id else earlier[r.id][2] for r in rules]
    evaluated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    report = build_report(results, run_id, season, as_of, evaluator)
    report.update({"data_version": version, "reused_rules": len(earlier), "evaluated_rules": len(todo)})
    if write:
        report["written"] = write_results(spark, cfg, results, run_id, season, as_of, evaluated_at, versions)
    clock.lap("write")
    for view in views.values():
        spark.catalog.dropTempView(view)
    report["phase_seconds"] = clock.laps
    event(log, "data quality", run_id=run_id, season=season, rules=report["rules"], failed=report["failed"],
          failed_errors=report["failed_errors"], reused_rules=len(earlier), evaluated_rules=len(todo),
          reconciled=report["reconciled"])
    return report


class _Clock:
    """Seconds per phase of a run (snapshots, recorded, views, evaluate, write): where data quality's time goes."""

    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


def _decide_with_glue(spark: "SparkSession", rules: list[Rule], results: list[RuleResult],
                      views: dict[str, str]) -> list[RuleResult]:
    """Glue's outcome decides each DQDL rule; Spark SQL's count and keys stay as the evidence."""
    by_id = {r.rule.id: r for r in results}
    by_table: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.engine != "local" and rule.table in views and by_id[rule.id].status != "skipped":
            by_table.setdefault(rule.table, []).append(rule)
    for table, table_rules in by_table.items():
        refs = {name: spark.table(views[name]) for name in references(table_rules).values() if name in views}
        outcomes = evaluate_table_on_glue(spark, table, table_rules, spark.table(views[table]), refs,
                                          ruleset_text(table_rules))
        for rule in table_rules:
            got = outcomes.get(rule.id)
            if got is None:
                continue
            res = by_id[rule.id]
            res.evaluator = "glue_dq"
            res.status = "passed" if got["passed"] else "failed"
            if got["reason"]:
                res.message = f"{got['reason']} {res.message}".strip()
    return [by_id[r.id] for r in rules]


def table_snapshots(spark: "SparkSession", cfg: Config, rules: Iterable[Rule]) -> dict[str, str]:
    """The snapshot label (:func:`~cbbd_etl.iceberg.snapshot_labels`) of every table the rules read.

    ``meta.dq_results`` is left out: writing the results must not make the same data look new.
    """
    return snapshot_labels(spark, cfg, sorted({t for r in rules for t in r.tables_read} - {META_DQ_RESULTS.name}))


def rule_versions(rules: Iterable[Rule], snapshots: Mapping[str, str], season: int | None, as_of: dt.date,
                  evaluator: str) -> dict[str, str]:
    """Rule id → a fingerprint of everything its outcome depends on.

    The rule's definition (its dataclass fields), the evaluator, the season, the snapshots of the tables it
    reads (Iceberg snapshots are immutable: equal snapshots, equal rows) and the as-of date only when the
    rule reads it (:attr:`~cbbd_etl.specs.dq_rules.Rule.reads_as_of`), so a rule over a table that did not
    change keeps its result from one day to the next.
    """
    import hashlib

    out: dict[str, str] = {}
    for rule in rules:
        parts = [repr(rule), f"evaluator={evaluator}", f"season={season}",
                 f"as_of={as_of.isoformat() if rule.reads_as_of else '-'}"]
        parts += [f"{t}@{snapshots.get(t, 'any')}" for t in rule.tables_read]
        out[rule.id] = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    return out


def run_version(versions: Mapping[str, str]) -> str:
    """One fingerprint of a run's rule versions (the report's ``data_version``)."""
    import hashlib

    return hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(versions.items())).encode()).hexdigest()[:24]


def recorded_results(spark: "SparkSession", cfg: Config, rules: Sequence[Rule],
                     versions: Mapping[str, str]) -> dict[str, tuple[str, dt.datetime, RuleResult]]:
    """Rule id → (run id, evaluated at, result) recorded earlier for the rule's current version.

    One query over ``meta.dq_results`` (its rows carry each rule's version in ``data_version``); rows
    written before versions were per rule never match, so those rules are simply evaluated once more.
    """
    from pyspark.sql import functions as F

    ident = cfg.table(META_DQ_RESULTS.name)
    wanted = sorted(set(versions.values()))
    if not wanted or not table_exists(spark, ident):
        return {}
    rows = (spark.table(ident).where(F.col("data_version").isin(wanted))
            .select("run_id", "rule_id", "data_version", "status", "failing_count", "sample_failing_keys",
                    "message", "evaluator", "evaluated_at").collect())
    latest: dict[str, Any] = {}
    for row in rows:
        if versions.get(row["rule_id"]) != row["data_version"]:
            continue
        seen = latest.get(row["rule_id"])
        if seen is None or (row["evaluated_at"] or dt.datetime.min) > (seen["evaluated_at"] or dt.datetime.min):
            latest[row["rule_id"]] = row
    out: dict[str, tuple[str, dt.datetime, RuleResult]] = {}
    for rule in rules:
        row = latest.get(rule.id)
        if row is None:
            continue
        out[rule.id] = (row["run_id"], row["evaluated_at"] or dt.datetime.min,
                        RuleResult(rule=rule, status=row["status"], failing_count=int(row["failing_count"] or 0),
                                   sample_failing_keys=list(row["sample_failing_keys"] or []),
                                   message=row["message"] or "", evaluator=row["evaluator"]))
    return out


def write_results(spark: "SparkSession", cfg: Config, results: Sequence[RuleResult], run_id: str,
                  season: int | None, as_of: dt.date, evaluated_at: dt.datetime,
                  versions: Mapping[str, str] | None = None) -> int:
    """Append one ``meta.dq_results`` row per rule, each with its rule version (replaying a run id adds nothing)."""
    from ..spark import ddl_schema

    versions = versions or {}
    rows = [{**r.to_row(run_id, season, as_of, evaluated_at, rule_to_dqdl(r.rule)),
             "data_version": versions.get(r.rule.id)} for r in results]
    schema = ddl_schema(META_DQ_RESULTS.ddl_columns().replace(" NOT NULL", ""))
    df = spark.createDataFrame([tuple(row[f.name] for f in schema.fields) for row in rows], schema)
    return append_rows(spark, cfg, META_DQ_RESULTS, df)
