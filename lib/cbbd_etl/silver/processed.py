"""Which bronze responses each silver table has already loaded.

Why track instead of re-reading the season every run: a season of plays is
~150 files and 2 million records; a daily run adds a handful. A file is
identified by its URI and the sha256 its manifest records, so a response
re-fetched into the same key (a correction) is new again. Marking happens
after the MERGE commits; a crash in between only means the next run reads
the file again and finds every row unchanged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import Config
from ..iceberg import append_rows, ensure_table
from ..tables import META_BRONZE_PROCESSED
from .bronze_reader import BronzeFile

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession


def unprocessed(spark: "SparkSession", cfg: Config, table: str, files: list[BronzeFile]) -> list[BronzeFile]:
    from pyspark.sql import functions as F

    ident = ensure_table(spark, cfg, META_BRONZE_PROCESSED)
    done = {(r["source_file"], r["sha256"]) for r in
            spark.table(ident).where(F.col("target_table") == table).select("source_file", "sha256").collect()}
    return [f for f in files if (f.uri, f.sha256 or "") not in done]


def mark_processed(spark: "SparkSession", cfg: Config, table: str, files: list[BronzeFile],
                   outcomes: dict[str, str], run_id: str) -> int:
    """Record ``files`` as loaded into ``table`` (``outcomes``: uri → reason for files that were quarantined)."""
    from pyspark.sql import functions as F

    if not files:
        return 0
    rows = spark.createDataFrame(
        [(table, f.uri, f.sha256 or "", f.season, f.record_count, f.fetched_at, outcomes.get(f.uri, "loaded"), run_id)
         for f in files],
        "target_table STRING, source_file STRING, sha256 STRING, season INT, record_count BIGINT, fetched STRING, "
        "outcome STRING, run_id STRING")
    rows = rows.select("target_table", "source_file", "sha256", "season", "record_count",
                       F.to_timestamp("fetched").alias("fetched_at"), "outcome", "run_id",
                       F.current_timestamp().alias("processed_at"))
    return append_rows(spark, cfg, META_BRONZE_PROCESSED, rows)
