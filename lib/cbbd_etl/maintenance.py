"""Iceberg table upkeep: compact small files, fold merge-on-read deletes, expire old snapshots.

Why a job of its own: MERGE on merge-on-read tables (plays, substitutions)
writes small data and delete files every day; readers (Athena included) pay
for each file until they are compacted. Compaction rewrites files without
changing a row, and a table with nothing to compact commits nothing, so the
job is safe to run at any time and twice in a row.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .config import Config
from .iceberg import table_exists
from .log import event, get_logger
from .tables import TableSpec, all_tables

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("maintenance")


def _procedure_table(cfg: Config, spec: TableSpec) -> str:
    """``silver.plays`` → ``silver.plays`` in the catalog's namespace (procedures take it unqualified)."""
    return cfg.table(spec.name).split(".", 1)[1]


def maintain_table(spark: "SparkSession", cfg: Config, spec: TableSpec, now: dt.datetime | None = None
                   ) -> dict[str, Any]:
    m = cfg.maintenance
    catalog = cfg.lake.catalog_name
    name = _procedure_table(cfg, spec)
    out: dict[str, Any] = {"table": spec.name}
    files = spark.sql(f"SELECT count(*) AS n FROM {cfg.table(spec.name)}.files").first()["n"]
    out["data_files_before"] = int(files)
    rewrite = spark.sql(
        f"CALL {catalog}.system.rewrite_data_files(table => '{name}', options => map("
        f"'min-input-files', '{m.compact_min_input_files}', "
        f"'target-file-size-bytes', '{m.target_file_size_mb * 1024 * 1024}', "
        f"'delete-file-threshold', '1'))").first()
    out["rewritten_files"] = int(rewrite["rewritten_data_files_count"])
    out["added_files"] = int(rewrite["added_data_files_count"])
    if spec.merge_on_read:
        deletes = spark.sql(f"CALL {catalog}.system.rewrite_position_delete_files(table => '{name}')").first()
        out["rewritten_delete_files"] = int(deletes[0])
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=m.snapshot_max_age_days)
    expired = spark.sql(
        f"CALL {catalog}.system.expire_snapshots(table => '{name}', "
        f"older_than => TIMESTAMP '{cutoff:%Y-%m-%d %H:%M:%S}', retain_last => {m.snapshot_retain_last})").first()
    out["expired_data_files"] = int(expired["deleted_data_files_count"])
    event(log, "table maintained", **out)
    return out


def maintain_all(spark: "SparkSession", cfg: Config, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every declared table that exists; missing ones are skipped (nothing to maintain yet)."""
    return [maintain_table(spark, cfg, spec, now) for spec in all_tables()
            if table_exists(spark, cfg.table(spec.name))]
