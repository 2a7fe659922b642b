"""merge_upsert's counts taken on the driver equal Spark's classifying route, and so do the rows it stores.

Small tables meeting small sources are classified on the driver (``iceberg.DRIVER_CLASSIFY_MAX_ROWS``): keys,
hashes and ingest times collected and compared in Python, for speed only. So one sequence of loads runs into two
tables, once on each route, and every result (inserted, updated, unchanged, duplicates, deleted, committed)
and every stored row must agree: duplicates in a source broken by ingest time, then source file, then content;
a stale row (ingested before the stored one); a partition rebuild that deletes keys; an identical replay (no
snapshot); an emptied partition. The fall-backs to Spark (a source over the bound, a stored hash in the legacy
form) are checked too.
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

SPEC = TableSpec(name="gold.driver_counts_probe",
                 columns=(Column("id", "BIGINT", False), Column("season", "INT", False), Column("v", "STRING")),
                 keys=("id",), partition_by=("season",))

# (rows as (id, value, day of ingest, source file), delete_missing,
#  expected (inserted, updated, unchanged, duplicates, deleted, committed))
LOADS = [
    ([(1, "a", 2, "f2"), (2, "b", 2, "f2"), (3, "c", 2, "f2")], False, (3, 0, 0, 0, 0, True)),
    # 1 unchanged, 2 changed, 4 new twice (latest ingest wins), 3 stale (ingested before the stored row)
    ([(1, "a", 2, "f2"), (2, "b2", 3, "f3"), (4, "d", 3, "f3"), (4, "d-old", 1, "f1"), (3, "c-old", 1, "f1")],
     False, (1, 1, 1, 2, 0, True)),
    # ties: the same ingest time goes to the later source file (5 -> "y"), then to the larger content hash (6)
    ([(5, "x", 4, "f4a"), (5, "y", 4, "f4b"), (6, "p", 4, "f4"), (6, "q", 4, "f4")], False, (2, 0, 0, 2, 0, True)),
    # a partition rebuild: keys 1 and 3 are gone, 2 changes again
    ([(2, "b3", 5, "f5"), (4, "d", 3, "f3"), (5, "y", 4, "f4b"), (6, "p", 4, "f4"), (6, "q", 4, "f4")],
     True, (0, 1, 3, 1, 2, True)),
    # the same rebuild again: nothing to write, no snapshot
    ([(2, "b3", 5, "f5"), (4, "d", 3, "f3"), (5, "y", 4, "f4b"), (6, "p", 4, "f4"), (6, "q", 4, "f4")],
     True, (0, 0, 4, 1, 0, False)),
    # an empty rebuild empties the partition
    ([], True, (0, 0, 0, 0, 4, True)),
]


def _rows(spark, rows: list[tuple[int, str, int, str]]):
    from pyspark.sql import functions as F

    df = spark.createDataFrame([(i, 2024, v, dt.datetime(2024, 1, day), f) for i, v, day, f in rows],
                               "id BIGINT, season INT, v STRING, _ingested_at TIMESTAMP, _source_file STRING")
    return df.withColumn("_run_id", F.lit("r"))


def _run(spark, lake, spec: TableSpec, bound: int, monkeypatch, routes: list[bool],
         rewrites: list[bool] | None = None) -> list[tuple]:
    monkeypatch.setattr(iceberg, "DRIVER_CLASSIFY_MAX_ROWS", bound)
    real = iceberg._classify_on_driver
    real_rewrite = iceberg._rewrite_partitions

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        routes.append(out is not None)
        return out

    def rewrite_spy(*args, **kwargs):
        out = real_rewrite(*args, **kwargs)
        if rewrites is not None:
            rewrites.append(out)
        return out

    monkeypatch.setattr(iceberg, "_classify_on_driver", spy)
    monkeypatch.setattr(iceberg, "_rewrite_partitions", rewrite_spy)
    # a row of another season, outside every rebuild: never counted, never deleted
    merge_upsert(spark, lake, spec, _rows(spark, [(99, "other", 1, "f1")]).withColumn("season", _lit(2023)))
    out = []
    for rows, delete_missing, _ in LOADS:
        before = snapshot_ids(spark, lake.table(spec.name))
        r = merge_upsert(spark, lake, spec, _rows(spark, rows), prune={"season": [2024]},
                         delete_missing=delete_missing)
        stored = sorted(tuple(row) for row in _stored(spark, lake, spec).collect())
        out.append((r.inserted, r.updated, r.unchanged, r.duplicates, r.deleted, r.committed, stored))
        if not r.committed:
            assert snapshot_ids(spark, lake.table(spec.name)) == before
    return out


def _lit(value):
    from pyspark.sql import functions as F

    return F.lit(value)


def _stored(spark, lake, spec: TableSpec):
    cols = ["id", "season", "v", "_ingested_at", "_source_file", "_row_hash"]
    return spark.table(lake.table(spec.name)).select(*cols)


def test_driver_counts_match_sparks_route(spark, lake, monkeypatch) -> None:
    on_driver: list[bool] = []
    rewritten: list[bool] = []
    driver = _run(spark, lake, SPEC, 20_000, monkeypatch, on_driver, rewritten)
    spark_spec = replace(SPEC, name="gold.driver_counts_probe_spark")
    off: list[bool] = []
    merged: list[bool] = []
    by_spark = _run(spark, lake, spark_spec, 0, monkeypatch, off, merged)

    assert [r[:6] for r in driver] == [expected for _, _, expected in LOADS]
    # the same rows after every load: values, ingest times, source files and hashes (ties broken alike)
    assert by_spark == driver
    values = [sorted((row[0], row[2]) for row in r[6] if row[1] == 2024) for r in driver]
    assert values[0] == [(1, "a"), (2, "b"), (3, "c")]
    assert values[1] == [(1, "a"), (2, "b2"), (3, "c"), (4, "d")]
    assert values[2][4][0] == 5 and values[2][4][1] == "y" and values[2][5][1] in ("p", "q")
    assert values[3] == [(2, "b3"), (4, "d"), (5, "y"), values[2][5]]
    assert values[5] == []
    # every load onto a non-empty table (all but the first: the other season's row is stored) took the
    # driver's route in the first run, none in the second
    assert on_driver == [True] * len(LOADS) and off == []
    # on the driver's route every load that updates or deletes rewrote its partition (the second, the first
    # rebuild, the emptied partition; the third only inserts: an append), and Spark's route MERGEd instead
    assert rewritten == [True, True, True] and merged == []
    assert_df_equality(_stored(spark, lake, SPEC), _stored(spark, lake, spark_spec), ignore_row_order=True)
    assert [(r["id"], r["v"]) for r in _stored(spark, lake, SPEC).collect()] == [(99, "other")]


def test_a_source_over_the_bound_and_a_legacy_hash_go_to_spark(spark, lake, monkeypatch) -> None:
    from pyspark.sql import functions as F

    spec = replace(SPEC, name="gold.driver_fallback_probe")
    merge_upsert(spark, lake, spec, _rows(spark, [(1, "a", 1, "f1"), (2, "b", 1, "f1")]))
    routes: list[bool] = []
    real = iceberg._classify_on_driver
    monkeypatch.setattr(iceberg, "_classify_on_driver",
                        lambda *a, **k: routes.append(real(*a, **k) is not None) or real(*a, **k))
    monkeypatch.setattr(iceberg, "DRIVER_CLASSIFY_MAX_ROWS", 2)
    # three source rows: over the bound, so Spark counts them (the stored table has 2 rows: within it)
    r = merge_upsert(spark, lake, spec, _rows(spark, [(1, "a", 1, "f1"), (2, "b2", 2, "f2"), (3, "c", 2, "f2")]))
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 1)
    assert routes == [False]
    # a stored row whose hash is still the 64-digit legacy form: only Spark can compare it
    monkeypatch.setattr(iceberg, "DRIVER_CLASSIFY_MAX_ROWS", 20_000)
    ident = lake.table(spec.name)
    spark.sql(f"UPDATE {ident} SET _row_hash = sha2('x', 256) WHERE id = 1")
    r = merge_upsert(spark, lake, spec, _rows(spark, [(2, "b2", 2, "f2")]))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 1)
    assert routes == [False, False]
    assert spark.table(ident).where(F.col("id") == 1).count() == 1


@pytest.mark.parametrize("change", [{"partition_by": ()}, {"merge_on_read": True}])
def test_merge_runs_where_a_partition_rewrite_cannot(spark, lake, monkeypatch, change) -> None:
    """A prune that is not on identity partition columns (an overwrite must drop whole files) or a merge-on-read
    table (its updates are delete files by design): the driver still counts, and MERGE writes."""
    spec = replace(SPEC, name=f"gold.driver_merge_probe_{'mor' if change.get('merge_on_read') else 'flat'}",
                   **change)
    merge_upsert(spark, lake, spec, _rows(spark, [(1, "a", 1, "f1"), (2, "b", 1, "f1")]))
    merge_upsert(spark, lake, spec, _rows(spark, [(9, "z", 1, "f1")]).withColumn("season", _lit(2023)))
    rewrites: list[bool] = []
    real = iceberg._rewrite_partitions
    monkeypatch.setattr(iceberg, "_rewrite_partitions", lambda *a, **k: rewrites.append(real(*a, **k)) or False)
    r = merge_upsert(spark, lake, spec, _rows(spark, [(1, "a2", 2, "f2"), (3, "c", 2, "f2")]),
                     prune={"season": [2024]}, delete_missing=True)
    assert (r.inserted, r.updated, r.unchanged, r.deleted, r.committed) == (1, 1, 0, 1, True)
    assert rewrites == [False]
    assert sorted((row["id"], row["v"]) for row in _stored(spark, lake, spec).collect()) == [
        (1, "a2"), (3, "c"), (9, "z")]


def test_a_partition_rewrite_fails_on_a_commit_it_did_not_see(spark, lake) -> None:
    """The rewrite is validated from the snapshot its counts came from: rows committed into the partition
    after it are not silently overwritten (the commit fails, as a MERGE's would)."""
    from pyspark.sql import functions as F

    from cbbd_etl.iceberg import conform, live_snapshot, with_row_hash

    spec = replace(SPEC, name="gold.driver_rewrite_conflict_probe")
    merge_upsert(spark, lake, spec, _rows(spark, [(1, "a", 1, "f1")]))
    ident = lake.table(spec.name)
    seen = live_snapshot(spark, ident)
    merge_upsert(spark, lake, spec, _rows(spark, [(2, "b", 2, "f2")]))     # another writer, after `seen`
    target = spark.table(ident).where(F.col("season") == 2024)
    delta = with_row_hash(conform(_rows(spark, [(1, "a2", 3, "f3")]), spec), spec)
    with pytest.raises(Exception, match="(?i)conflict"):
        iceberg._rewrite_partitions(spark, ident, spec, target, delta, delta, {"season": [2024]}, False, seen)
    assert sorted((r["id"], r["v"]) for r in _stored(spark, lake, spec).collect()) == [(1, "a"), (2, "b")]
