"""Quarantine: where a record goes when it cannot become a silver row.

A quarantine row keeps the target table, the natural key when it is known,
a human-readable reason, the raw JSON and the source file, so nothing is lost
and a fixed parser can replay it. The id is a hash of (table, source file,
raw JSON, reason): re-running a job re-derives the same ids and adds nothing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

QUARANTINE_SCHEMA = (
    "natural_key STRING, reason STRING, raw_json STRING, source_file STRING, season INT"
)


def with_quarantine_columns(df: "DataFrame", target_table: str, run_id: str) -> "DataFrame":
    """Add id, table, run and time to a frame holding the QUARANTINE_SCHEMA columns."""
    from pyspark.sql import functions as F

    ident = F.sha2(
        F.concat_ws("\u241f", F.lit(target_table), F.coalesce(F.col("source_file"), F.lit("")),
                    F.coalesce(F.col("natural_key"), F.lit("")), F.coalesce(F.col("raw_json"), F.lit("")),
                    F.col("reason")),
        256,
    )
    return df.select(
        ident.alias("quarantine_id"),
        F.lit(target_table).alias("target_table"),
        "natural_key", "reason", "raw_json", "source_file",
        F.col("season").cast("int").alias("season"),
        F.lit(run_id).alias("run_id"),
        F.current_timestamp().alias("quarantined_at"),
    )


def quarantine_frame(spark: "SparkSession", rows: list[dict[str, Any]], target_table: str, run_id: str) -> "DataFrame":
    from ..spark import local_frame

    df = local_frame(
        spark, [(r.get("natural_key"), r["reason"], r.get("raw_json"), r.get("source_file"), r.get("season")) for r in rows],
        QUARANTINE_SCHEMA,
    )
    return with_quarantine_columns(df, target_table, run_id)


def split_valid(df: "DataFrame", rules: list[tuple[str, "Column"]]) -> tuple["DataFrame", "DataFrame"]:
    """Apply ``(reason, failing_condition)`` rules in order: first failing rule names the reason.

    Returns ``(valid, rejected)``; ``rejected`` keeps every column plus ``_reason``.
    """
    from pyspark.sql import functions as F

    tagged = tag_reasons(df, rules)
    return tagged.where(F.col("_reason").isNull()).drop("_reason"), tagged.where(F.col("_reason").isNotNull())


def tag_reasons(df: "DataFrame", rules: list[tuple[str, "Column"]]) -> "DataFrame":
    """``df`` plus ``_reason``: the first failing rule's text, null for a valid row (one frame, both sides).

    Why one tagged frame: a silver load caches it once and takes every count, the quarantine rows and the
    MERGE source from it, instead of parsing bronze again for each.
    """
    from pyspark.sql import functions as F

    reason = F.lit(None).cast("string")
    for text, failing in reversed(rules):
        reason = F.when(F.coalesce(failing, F.lit(False)), F.lit(text)).otherwise(reason)
    return df.withColumn("_reason", reason)
