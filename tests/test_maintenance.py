"""Maintenance compacts files without changing a row, and a second run commits nothing."""
from __future__ import annotations

import pytest
from chispa import assert_df_equality

from cbbd_etl.iceberg import merge_upsert, snapshot_ids
from cbbd_etl.maintenance import maintain_table
from cbbd_etl.tables import Column, TableSpec

pytestmark = pytest.mark.spark

SPEC = TableSpec(name="silver.mor_probe", columns=(Column("id", "BIGINT", False), Column("season", "INT", False),
                                                   Column("v", "STRING")),
                 keys=("id",), partition_by=("season",), merge_on_read=True)


def test_compaction_keeps_rows_and_is_idempotent(spark, lake) -> None:
    import datetime as dt

    from pyspark.sql import functions as F

    for i in range(6):   # six MERGEs: inserts plus updates → many small data and delete files
        rows = spark.createDataFrame([(k, 2024, f"v{i}" if k <= i else "x") for k in range(10)],
                                     "id BIGINT, season INT, v STRING")
        rows = rows.withColumn("_ingested_at", F.lit(dt.datetime(2024, 1, 1 + i))).withColumn(
            "_source_file", F.lit(f"f{i}")).withColumn("_run_id", F.lit(f"r{i}"))
        merge_upsert(spark, lake, SPEC, rows)
    ident = lake.table(SPEC.name)
    before = spark.table(ident).drop("_row_hash")
    expected = spark.createDataFrame(before.collect(), before.schema)
    out = maintain_table(spark, lake, SPEC)
    assert out["data_files_before"] >= 5 and out["rewritten_files"] >= 5 and out["added_files"] == 1
    assert_df_equality(spark.table(ident).drop("_row_hash"), expected, ignore_row_order=True)
    snaps = snapshot_ids(spark, ident)
    again = maintain_table(spark, lake, SPEC)
    assert again["rewritten_files"] == 0
    assert snapshot_ids(spark, ident) == snaps
