"""merge_upsert's append of rows whose keys are all new equals the classifying MERGE it replaces.

The shortcut (``iceberg.NEW_KEYS_CHECK_MIN_ROWS``) exists for speed only: every later chunk of a season's
first load of plays takes it. So the same sequence of loads is run twice, into two tables: once with the
shortcut for every source size and once with it off, and the results and the stored rows must agree,
including duplicates within a source (latest ingest wins), a key stored already (a normal MERGE) and an
identical replay (no snapshot).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from chispa import assert_df_equality

from cbbd_etl import iceberg
from cbbd_etl.iceberg import merge_upsert, snapshot_ids
from cbbd_etl.tables import Column, TableSpec

pytestmark = pytest.mark.spark

SPEC = TableSpec(name="silver.new_keys_probe",
                 columns=(Column("id", "BIGINT", False), Column("season", "INT", False), Column("v", "STRING")),
                 keys=("id",), partition_by=("season",), merge_on_read=True)

# (rows as (id, v, day of ingest), what the load must report: inserted, updated, unchanged, duplicates)
LOADS = [
    ([(1, "a", 1), (2, "b", 1)], (2, 0, 0, 0)),                         # first load of an empty table
    ([(3, "c", 2), (4, "old", 2), (4, "new", 3)], (2, 0, 0, 1)),        # all keys new, one twice: latest wins
    ([(2, "b2", 4), (5, "e", 4)], (1, 1, 0, 0)),                        # key 2 is stored: a real MERGE
    ([(2, "b2", 4), (5, "e", 4)], (0, 0, 2, 0)),                        # identical replay
]


def _rows(spark, rows: list[tuple[int, str, int]]):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(i, 2024, v, dt.datetime(2024, 1, day), f"f{day}") for i, v, day in rows],
                               "id BIGINT, season INT, v STRING, _ingested_at TIMESTAMP, _source_file STRING")
    return df.withColumn("_run_id", F.lit("r"))


def _run(spark, lake, spec: TableSpec, threshold: int, monkeypatch, calls: list[bool]) -> list[tuple]:
    monkeypatch.setattr(iceberg, "NEW_KEYS_CHECK_MIN_ROWS", threshold)
    # the shortcut belongs to Spark's route; these small tables would otherwise be counted on the driver
    monkeypatch.setattr(iceberg, "DRIVER_CLASSIFY_MAX_ROWS", 0)
    real = iceberg._any_key_stored

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        calls.append(found)
        return found

    monkeypatch.setattr(iceberg, "_any_key_stored", spy)
    out = []
    for rows, _ in LOADS:
        before = snapshot_ids(spark, lake.table(spec.name)) if out else None
        r = merge_upsert(spark, lake, spec, _rows(spark, rows), prune={"season": [2024]})
        out.append((r.inserted, r.updated, r.unchanged, r.duplicates, r.committed))
        if not r.committed:
            assert snapshot_ids(spark, lake.table(spec.name)) == before
    return out


def test_append_of_new_keys_matches_the_merge(spark, lake, monkeypatch) -> None:
    shortcut: list[bool] = []
    fast = _run(spark, lake, SPEC, 1, monkeypatch, shortcut)
    off: list[bool] = []
    slow_spec = replace(SPEC, name="silver.new_keys_probe_merge")
    slow = _run(spark, lake, slow_spec, 10 ** 9, monkeypatch, off)

    assert [r[:4] for r in fast] == [expected for _, expected in LOADS]
    assert fast == slow
    assert [r[4] for r in fast] == [True, True, True, False]
    # the check ran for every load onto a non-empty table and found stored keys only where they were
    assert shortcut == [False, True, True] and off == []
    cols = ["id", "season", "v", "_ingested_at", "_source_file", "_row_hash"]
    stored = spark.table(lake.table(SPEC.name)).select(*cols)
    assert_df_equality(stored, spark.table(lake.table(slow_spec.name)).select(*cols), ignore_row_order=True)
    assert sorted((r["id"], r["v"]) for r in stored.collect()) == [(1, "a"), (2, "b2"), (3, "c"), (4, "new"),
                                                                    (5, "e")]
