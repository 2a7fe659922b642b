"""Schema drift: the API started sending a field the declared schema does not know.

Such a field must not fail the job (the known fields still load) and must
not pass unnoticed: its first sighting per table is recorded in
``meta.schema_drift`` with an example record, so someone can add it to the
schema deliberately. Re-running adds nothing (keyed by table and field).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from ..iceberg import append_rows
from ..tables import META_SCHEMA_DRIFT

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession


def drift_summary(raw: "DataFrame") -> "DataFrame":
    """One row per unknown top-level field: how many records had it, one example and its file."""
    from pyspark.sql import functions as F

    return (raw.where(F.size("_unknown_keys") > 0)
            .select(F.explode("_unknown_keys").alias("field"), "_raw_json", "_source_file")
            .groupBy("field")
            .agg(F.count("*").alias("records"), F.min("_raw_json").alias("example_json"),
                 F.min("_source_file").alias("source_file")))


def record_drift(spark: "SparkSession", cfg: Config, raw: "DataFrame", table: str, run_id: str,
                 fields: list[str] | None = None) -> list[str]:
    """Record new unknown fields of ``raw`` for ``table``; returns every unknown field seen in this read.

    ``fields``: the unknown fields, when the caller already has them (the silver pipeline gets them from
    its one counting aggregation): an empty list records nothing without a Spark job, a known list saves
    the job that would find them again.
    """
    from pyspark.sql import functions as F

    if fields is not None and not fields:
        return []
    summary = drift_summary(raw).cache()
    found = sorted(fields) if fields is not None else sorted(r["field"] for r in summary.select("field").collect())
    if found:
        rows = summary.select(F.lit(table).alias("target_table"), "field", "example_json", "source_file",
                              "records", F.lit(run_id).alias("first_run_id"),
                              F.current_timestamp().alias("first_seen_at"))
        append_rows(spark, cfg, META_SCHEMA_DRIFT, rows)
    summary.unpersist()
    return found
