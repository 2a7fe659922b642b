"""The silver job pattern shared by every endpoint table.

read bronze (verified) → parse with the explicit API schema → validate →
quarantine failures → one row per natural key → drop unchanged → MERGE,
then reconcile: bronze records = inserted + updated + unchanged +
duplicates + quarantined (for tables whose rows are array elements of a
record, the same identity holds in rows, and bronze records = parsed
records + records of unreadable files).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..bronze_access import bronze_files
from ..iceberg import append_rows, ensure_table, merge_upsert
from ..tables import META_QUARANTINE, TableSpec
from .bronze_reader import MALFORMED_FILE, NULL_RECORD, check_files, quarantine_rows_for_files, read_json_records
from .common import standard_rules
from .processed import mark_processed, unprocessed
from .quarantine import split_valid, with_quarantine_columns
from .schema_drift import record_drift

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

    from ..runner import JobContext


@dataclass(frozen=True)
class SilverSource:
    """How bronze responses of one or more endpoints become one silver table."""

    slugs: tuple[str, ...]
    api_schema: str
    api_columns: list[str]
    transform: Callable[["DataFrame"], "DataFrame"]
    table: TableSpec
    date_col: str | None = "start_date"
    response: str = "array"
    exploded: bool = False
    extra_rules: Callable[[], list[tuple[str, "Column"]]] = field(default=lambda: [])


def run_silver(ctx: "JobContext", source: SilverSource, season: int | None = None) -> dict[str, Any]:
    """Load one season (or, for tables without seasons, everything) of bronze into ``source.table``."""
    from pyspark.sql import functions as F

    spark, cfg = ctx.spark, ctx.cfg
    seasonal = "season" in source.table.partition_by
    if season is None and seasonal:
        season = ctx.require_season()
    files, read_bytes = [], None
    for slug in source.slugs:
        found, read_bytes = bronze_files(cfg, slug, season if seasonal else None)
        files += found
    seen = len(files)
    if not ctx.options.get("reprocess"):
        files = unprocessed(spark, cfg, source.table.name, files)
    checked = check_files(files, read_bytes) if files else None
    bronze_records = sum(f.record_count for f in files)
    bad_files = checked.bad if checked else []
    quarantined = sum(f.record_count for f, _ in bad_files)
    if bad_files:
        append_rows(spark, cfg, META_QUARANTINE,
                    quarantine_rows_for_files(spark, bad_files, source.table.name, ctx.run_id))
    report: dict[str, Any] = {"table": source.table.name, "season": season, "bronze_files": len(files),
                              "bronze_files_already_loaded": seen - len(files),
                              "bronze_records": bronze_records, "files_quarantined": len(bad_files)}
    outcomes = {f.uri: f"quarantined: {reason}" for f, reason in bad_files}
    if not checked or not checked.good:
        report.update({"inserted": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "quarantined": quarantined,
                       "committed": False, "reconciled": bronze_records == quarantined})
        mark_processed(spark, cfg, source.table.name, files, outcomes, ctx.run_id)
        ensure_table(spark, cfg, source.table)   # an empty table is still a table users can query
        return report

    raw = read_json_records(spark, checked.good, source.api_schema, response=source.response,
                            known_keys=source.api_columns)
    report["schema_drift"] = record_drift(spark, cfg, raw, source.table.name, ctx.run_id)
    if source.exploded:
        counts = raw.agg(F.sum(F.when(F.col("_file_malformed"), F.col("_file_records")).otherwise(1))).first()
        parsed_records = int(counts[0] or 0)
    typed = source.transform(raw)
    rules = [(MALFORMED_FILE, F.col("_file_malformed")), (NULL_RECORD, F.col("_raw_json").isNull())]
    rules += standard_rules(typed, cfg.seasons.first, cfg.seasons.last, list(source.table.keys), source.date_col,
                            seasonal=seasonal)
    rules += source.extra_rules()
    valid, rejected = split_valid(typed, rules)
    rejected = rejected.cache()
    # A malformed file is one row standing for every record its manifest counted.
    n_rejected = int(rejected.agg(F.sum(F.when(F.col("_file_malformed"), F.col("_file_records"))
                                        .otherwise(1))).first()[0] or 0)
    if n_rejected:
        key_expr = F.concat_ws("|", *[F.col(k).cast("string") for k in source.table.keys])
        season_col = F.col("season") if "season" in typed.columns else F.lit(None)
        raw_text = F.when(~F.col("_file_malformed"), F.coalesce(F.col("_raw_json"), F.lit("null")))
        q = rejected.select(key_expr.alias("natural_key"), F.col("_reason").alias("reason"),
                            raw_text.alias("raw_json"), F.col("_source_file").alias("source_file"),
                            season_col.alias("season"))
        append_rows(spark, cfg, META_QUARANTINE, with_quarantine_columns(q, source.table.name, ctx.run_id))
    rejected.unpersist()
    drop = [c for c in typed.columns if c.startswith("_") and c not in ("_ingested_at", "_source_file")]
    rows = valid.drop(*drop).withColumn("_run_id", F.lit(ctx.run_id))
    merge = merge_upsert(spark, cfg, source.table, rows,
                         prune={"season": [season]} if seasonal and season is not None else None)
    report.update({"inserted": merge.inserted, "updated": merge.updated, "unchanged": merge.unchanged,
                   "duplicates": merge.duplicates, "quarantined": quarantined + n_rejected,
                   "committed": merge.committed})
    accounted = merge.inserted + merge.updated + merge.unchanged + merge.duplicates + n_rejected
    if source.exploded:
        report["rows"] = accounted
        report["reconciled"] = parsed_records + quarantined == bronze_records
    else:
        report["reconciled"] = accounted + quarantined == bronze_records
    mark_processed(spark, cfg, source.table.name, files, outcomes, ctx.run_id)
    return report
