"""The content hash that decides "unchanged": what it tells apart, what it ignores, and rows hashed the old way.

``iceberg.row_hash`` is ``xxhash64`` with a null mask and the null shape of nested values; rows written before
carry ``sha256(to_json(row))`` (``legacy_row_hash``). A MERGE must see a stored legacy row with the same
content as unchanged (an upgrade rewrites nothing and commits no snapshot) and a changed one as changed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cbbd_etl.iceberg import LEGACY_HASH_LENGTH, conform, ensure_table, legacy_row_hash, merge_upsert, snapshot_ids
from cbbd_etl.iceberg import with_row_hash
from cbbd_etl.tables import Column, TableSpec

pytestmark = pytest.mark.spark

SPEC = TableSpec(
    name="silver.row_hash_probe",
    columns=(Column("id", "BIGINT", False), Column("season", "INT", False), Column("a", "STRING"),
             Column("b", "STRING"), Column("x", "DOUBLE"),
             Column("people", "ARRAY<STRUCT<name: STRING, id: BIGINT>>"),
             Column("spot", "STRUCT<x: DOUBLE, y: DOUBLE>")),
    keys=("id",), partition_by=("season",))

BASE: dict[str, Any] = {"id": 1, "season": 2024, "a": "p", "b": None, "x": 1.5,
                        "people": [{"name": "Ann", "id": 7}, {"name": None, "id": 8}], "spot": {"x": 3.0, "y": None}}
COLUMNS = ("id", "season", "a", "b", "x", "people", "spot")


def _frame(spark, rows: list[dict[str, Any]], ingested_day: int = 1, sources: list[str] | None = None):
    """Rows as a frame with lineage; ``sources``: each row's ``_source_file`` (default ``f1``)."""
    from pyspark.sql import functions as F

    schema = ("id BIGINT, season INT, a STRING, b STRING, x DOUBLE, people ARRAY<STRUCT<name: STRING, id: BIGINT>>, "
              "spot STRUCT<x: DOUBLE, y: DOUBLE>, _source_file STRING")
    names = sources or ["f1"] * len(rows)
    df = spark.createDataFrame([(*[r[k] for k in COLUMNS], name) for r, name in zip(rows, names)], schema)
    return df.withColumn("_ingested_at", F.lit(dt.datetime(2024, 1, ingested_day))).withColumn("_run_id", F.lit("r"))


def _hashes(spark, variants: dict[str, dict[str, Any]], ingested_day: int = 1) -> dict[str, str]:
    """Each variant's hash; the variant's name rides in ``_source_file`` (lineage: not hashed)."""
    df = with_row_hash(conform(_frame(spark, list(variants.values()), ingested_day, list(variants)), SPEC), SPEC)
    return {r["_source_file"]: r["_row_hash"] for r in df.collect()}


def test_the_hash_tells_content_apart_and_ignores_lineage_and_double_noise(spark) -> None:
    base = _hashes(spark, {"base": BASE})["base"]
    assert len(base) == 16 and int(base, 16) >= 0
    assert _hashes(spark, {"later": BASE}, ingested_day=9) == {"later": base}          # lineage is not content
    assert _hashes(spark, {"noise": {**BASE, "x": 1.5 + 1e-12}}) == {"noise": base}   # last-bit noise of a sum
    # Every variant has the base row's key. The ones marked * hash alike under xxhash64 of the values alone
    # (it skips nulls): the null mask, struct fields' null flags and array lengths tell them apart.
    variants = {
        "a changed": {**BASE, "a": "q"},
        "the key changed": {**BASE, "id": 2},
        "a double changed": {**BASE, "x": 1.25},
        "a nested field changed": {**BASE, "people": [{"name": "Ann", "id": 7}, {"name": None, "id": 9}]},
        "an element added": {**BASE, "people": [*BASE["people"], {"name": "Bo", "id": 9}]},
        "* a's value moved to b": {**BASE, "a": None, "b": "p"},
        "* a struct value moved between its fields": {**BASE, "spot": {"x": None, "y": 3.0}},
        "* the struct null": {**BASE, "spot": None},
        "* a null element appended": {**BASE, "people": [*BASE["people"], None]},
        "* the array empty": {**BASE, "people": []},
        "* the array null": {**BASE, "people": None},
    }
    hashed = _hashes(spark, variants)
    assert set(hashed) == set(variants)
    for name, h in hashed.items():
        assert h != base, name
    assert len(set(hashed.values())) == len(variants), hashed


# Hashes that lakes already store (both forms, written by the code of stop 39 and before): the hash is a
# stored contract, so however its expression is built, the same content must give these same hex digits, or
# the next run would see every stored row as changed and rewrite every table.
STORED_HASHES = {
    "base": ("3ad56b1ce6ac23a4", "85e077d6285d7c0773e824ca94c064cd2b646c51048d5a683786c33ac7414724"),
    "nulls": ("9de15a0b7923aa2d", "1700038b9c5e55b92250f5a7d29797f4beab5b424ee183efef1db69435804f4d"),
    "nested": ("fa3526766032fd4e", "f113139a81044f257adfd4053f8026bb358e596fbc6cdcd8dcfd6289b149aa34"),
    "double": ("3ef161ca8269776b", "5ceb2c231a5bd8fd218828f0b41cf96c797a7a51910f73fb76eb1f66bf73a951"),
}


def test_the_same_content_hashes_to_what_lakes_already_store(spark) -> None:
    variants = {"base": BASE, "nulls": {**BASE, "a": None, "x": None, "people": None, "spot": None},
                "nested": {**BASE, "people": [{"name": None, "id": None}, None], "spot": {"x": None, "y": 2.25}},
                "double": {**BASE, "x": -1.0 / 3.0}}
    df = conform(_frame(spark, list(variants.values()), 1, list(variants)), SPEC)
    out = with_row_hash(df, SPEC).withColumn("_legacy", legacy_row_hash(SPEC))
    assert {r["_source_file"]: (r["_row_hash"], r["_legacy"]) for r in out.collect()} == STORED_HASHES


def test_rows_stored_with_the_legacy_hash_stay_unchanged_until_their_content_changes(spark, lake) -> None:
    from pyspark.sql import functions as F

    ident = ensure_table(spark, lake, SPEC)
    rows = [BASE, {**BASE, "id": 2, "a": "two"}, {**BASE, "id": 3, "people": None}]
    legacy = conform(_frame(spark, rows), SPEC).withColumn("_row_hash", legacy_row_hash(SPEC))
    legacy.select(*[c for c, _ in SPEC.all_columns]).writeTo(ident).append()
    stored = {r["id"]: r["_row_hash"] for r in spark.table(ident).collect()}
    assert {len(h) for h in stored.values()} == {LEGACY_HASH_LENGTH}

    before = snapshot_ids(spark, ident)
    replay = merge_upsert(spark, lake, SPEC, _frame(spark, rows, 2), prune={"season": [2024]})
    assert (replay.inserted, replay.updated, replay.unchanged, replay.committed) == (0, 0, 3, False)
    assert snapshot_ids(spark, ident) == before

    changed = [rows[0], {**rows[1], "a": "TWO"}, rows[2], {**BASE, "id": 4}]
    result = merge_upsert(spark, lake, SPEC, _frame(spark, changed, 3), prune={"season": [2024]})
    assert (result.inserted, result.updated, result.unchanged, result.committed) == (1, 1, 2, True)
    after = {r["id"]: (r["a"], r["_row_hash"]) for r in spark.table(ident).orderBy("id").collect()}
    assert after[1][1] == stored[1] and after[3][1] == stored[3]           # untouched rows keep the old hash
    assert after[2][0] == "TWO" and len(after[2][1]) == 16 and len(after[4][1]) == 16
    new_hashes = spark.table(ident).where(F.length("_row_hash") == 16).count()
    assert new_hashes == 2

    again = merge_upsert(spark, lake, SPEC, _frame(spark, changed, 4), prune={"season": [2024]})
    assert (again.updated, again.unchanged, again.committed) == (0, 4, False)
