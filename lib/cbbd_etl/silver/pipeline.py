"""The silver job pattern shared by every endpoint table.

read bronze (verified) → parse with the explicit API schema → validate →
quarantine failures → one row per natural key → drop unchanged → MERGE,
then reconcile: bronze records = inserted + updated + unchanged +
duplicates + quarantined.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..bronze_access import bronze_files
from ..iceberg import append_rows, merge_upsert
from ..tables import META_QUARANTINE, TableSpec
from .bronze_reader import check_files, quarantine_rows_for_files, read_json_records
from .common import raw_json, standard_rules
from .quarantine import split_valid, with_quarantine_columns

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

    from ..runner import JobContext


@dataclass(frozen=True)
class SilverSource:
    """How one bronze endpoint becomes one silver table."""

    slug: str
    api_schema: str
    api_columns: list[str]
    transform: Callable[["DataFrame"], "DataFrame"]
    table: TableSpec
    date_col: str | None = "start_date"


def run_silver(ctx: "JobContext", source: SilverSource) -> dict[str, Any]:
    from pyspark.sql import functions as F

    spark, cfg = ctx.spark, ctx.cfg
    season = ctx.require_season()
    files, read_bytes = bronze_files(cfg, source.slug, season)
    checked = check_files(files, read_bytes)
    bronze_records = sum(f.record_count for f in files)
    file_quarantine = len(checked.bad)
    quarantined_records = sum(f.record_count for f, _ in checked.bad)
    if checked.bad:
        append_rows(spark, cfg, META_QUARANTINE,
                    quarantine_rows_for_files(spark, checked.bad, source.table.name, ctx.run_id))
    report: dict[str, Any] = {"table": source.table.name, "bronze_files": len(files),
                              "bronze_records": bronze_records, "files_quarantined": file_quarantine}
    if not checked.good:
        report.update({"inserted": 0, "updated": 0, "unchanged": 0, "duplicates": 0,
                       "quarantined": quarantined_records, "committed": False})
        report["reconciled"] = bronze_records == quarantined_records
        return report
    raw = read_json_records(spark, checked.good, source.api_schema)
    typed = source.transform(raw.withColumn("_raw_json", raw_json(raw, source.api_columns)))
    rules = standard_rules(typed, cfg.seasons.first, cfg.seasons.last, list(source.table.keys), source.date_col)
    valid, rejected = split_valid(typed, rules)
    rejected = rejected.cache()
    n_rejected = rejected.count()
    if n_rejected:
        key_expr = F.concat_ws("|", *[F.col(k).cast("string") for k in source.table.keys])
        q = rejected.select(key_expr.alias("natural_key"), F.col("_reason").alias("reason"),
                            F.col("_raw_json").alias("raw_json"), F.col("_source_file").alias("source_file"),
                            F.col("season"))
        append_rows(spark, cfg, META_QUARANTINE, with_quarantine_columns(q, source.table.name, ctx.run_id))
    rejected.unpersist()
    rows = valid.drop("_raw_json", "_corrupt_record", "_src_run_id").withColumn("_run_id", F.lit(ctx.run_id))
    merge = merge_upsert(spark, cfg, source.table, rows, prune={"season": [season]} if "season" in
                         source.table.partition_by else None)
    report.update({"inserted": merge.inserted, "updated": merge.updated, "unchanged": merge.unchanged,
                   "duplicates": merge.duplicates, "quarantined": quarantined_records + n_rejected,
                   "committed": merge.committed})
    accounted = merge.inserted + merge.updated + merge.unchanged + merge.duplicates + report["quarantined"]
    report["reconciled"] = accounted == bronze_records
    return report
