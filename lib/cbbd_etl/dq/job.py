"""The ``data_quality`` job: evaluate every table's rules, append one row per rule to ``meta.dq_results``.

Runs last in the daily workflow (its inputs are every silver and gold table).
Its report is ``reconciled: false`` when a rule of severity ``error`` failed,
which is how the runner, ``cbbd-etl run`` (exit 1) and Glue fail a job and so
the workflow; ``warn`` failures are recorded and printed, never fatal.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..config import Config
from ..errors import UserError
from ..iceberg import append_rows, live_snapshot, table_exists
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
    """
    as_of = as_of or dt.datetime.now(dt.timezone.utc).date()
    use_glue = glue_dq_available() if use_glue is None else use_glue
    rules = select_rules(tables)
    version = data_version(spark, cfg, rules, season, as_of)
    earlier = recorded_results(spark, cfg, rules, version) if write else None
    if earlier is not None:
        # The same data was evaluated already (a replay, a second demo): its results stand, nothing is
        # re-evaluated or re-written, so the run commits no snapshot.
        reused_run, results = earlier
        report = build_report(results, run_id, season, as_of, "recorded")
        report.update({"written": 0, "reused_run_id": reused_run, "data_version": version})
        event(log, "data quality", run_id=run_id, season=season, rules=report["rules"], failed=report["failed"],
              reused_run_id=reused_run, reconciled=report["reconciled"])
        return report
    views = register_views(spark, cfg, rules, season, run_id)
    # As many queries at once as the local runner runs jobs at once (data quality runs last, alone).
    results = evaluate_rules(spark, rules, views, as_of, workers=cfg.spark.parallel_jobs)
    if use_glue:
        results = _decide_with_glue(spark, rules, results, views)
    evaluated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    report = build_report(results, run_id, season, as_of, "glue_dq+spark_sql" if use_glue else "spark_sql")
    report["data_version"] = version
    if write:
        report["written"] = write_results(spark, cfg, results, run_id, season, as_of, evaluated_at, version)
    for view in views.values():
        spark.catalog.dropTempView(view)
    event(log, "data quality", run_id=run_id, season=season, rules=report["rules"], failed=report["failed"],
          failed_errors=report["failed_errors"], reconciled=report["reconciled"])
    return report


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


def _snapshot_id(spark: "SparkSession", ident: str) -> str:
    """The current snapshot of an Iceberg table through the Java API: metadata only, no Spark job."""
    try:
        snap = live_snapshot(spark, ident)
        return str(snap.snapshotId()) if snap is not None else "empty"
    except Exception:  # not an Iceberg table or no JVM API: fall back to the metadata table
        rows = spark.sql(f"SELECT snapshot_id FROM {ident}.snapshots ORDER BY committed_at DESC LIMIT 1").collect()
        return str(rows[0][0]) if rows else "empty"


def data_version(spark: "SparkSession", cfg: Config, rules: Iterable[Rule], season: int | None,
                 as_of: dt.date) -> str:
    """A fingerprint of what the rules would read: each table's current snapshot, the season, the as-of date.

    Iceberg snapshots are immutable, so equal fingerprints mean equal inputs and equal results. The job's own
    output (``meta.dq_results``) is left out: writing the results must not make the same data look new.
    """
    import hashlib

    rules = list(rules)
    parts = [f"rules={hashlib.sha256('|'.join(sorted(r.id for r in rules)).encode()).hexdigest()[:12]}",
             f"season={season}", f"as_of={as_of.isoformat()}"]
    for name in sorted({t for r in rules for t in r.tables_read} - {META_DQ_RESULTS.name}):
        ident = cfg.table(name)
        parts.append(f"{name}@{_snapshot_id(spark, ident) if table_exists(spark, ident) else 'absent'}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def recorded_results(spark: "SparkSession", cfg: Config, rules: Sequence[Rule],
                     version: str) -> tuple[str, list[RuleResult]] | None:
    """The results an earlier run recorded for this data version, or None when it was never evaluated."""
    from pyspark.sql import functions as F

    ident = cfg.table(META_DQ_RESULTS.name)
    if not table_exists(spark, ident):
        return None
    rows = spark.table(ident).where(F.col("data_version") == version).collect()
    by_rule = {r["rule_id"]: r for r in rows}
    if not rows or any(rule.id not in by_rule for rule in rules):
        return None
    results = [RuleResult(rule=rule, status=by_rule[rule.id]["status"],
                          failing_count=int(by_rule[rule.id]["failing_count"] or 0),
                          sample_failing_keys=list(by_rule[rule.id]["sample_failing_keys"] or []),
                          message=by_rule[rule.id]["message"] or "", evaluator=by_rule[rule.id]["evaluator"])
               for rule in rules]
    return rows[0]["run_id"], results


def write_results(spark: "SparkSession", cfg: Config, results: Sequence[RuleResult], run_id: str,
                  season: int | None, as_of: dt.date, evaluated_at: dt.datetime, version: str | None = None) -> int:
    """Append one ``meta.dq_results`` row per rule (replaying a run id adds nothing)."""
    from ..spark import ddl_schema

    rows = [{**r.to_row(run_id, season, as_of, evaluated_at, rule_to_dqdl(r.rule)), "data_version": version}
            for r in results]
    schema = ddl_schema(META_DQ_RESULTS.ddl_columns().replace(" NOT NULL", ""))
    df = spark.createDataFrame([tuple(row[f.name] for f in schema.fields) for row in rows], schema)
    return append_rows(spark, cfg, META_DQ_RESULTS, df)
