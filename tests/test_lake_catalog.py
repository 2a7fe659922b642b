"""``cbbd-etl tables`` without a JVM: pyiceberg reads what Spark wrote, and agrees with Spark."""
from __future__ import annotations

from cbbd_etl.iceberg import ensure_table, list_tables as spark_list_tables
from cbbd_etl.lake_catalog import list_tables
from cbbd_etl.tables import META_SCHEMA_DRIFT, TableSpec, cols

GAMES = TableSpec(name="silver.games", keys=("game_id",), partition_by=("season",), lineage=False,
                  columns=cols("game_id BIGINT NOT NULL, season INT NOT NULL"))


def test_pyiceberg_listing_matches_spark(spark, lake):
    games = ensure_table(spark, lake, GAMES)
    ensure_table(spark, lake, META_SCHEMA_DRIFT)          # an empty table: no snapshot yet
    spark.sql(f"INSERT INTO {games} (game_id, season) VALUES (1, 2024), (2, 2024), (3, 2023)")
    spark.sql(f"DELETE FROM {games} WHERE game_id = 2")    # copy-on-write delete: total-records follows it

    fast = {r["table"]: r for r in list_tables(lake)}
    slow = {r["table"]: r for r in spark_list_tables(spark, lake)}
    assert set(fast) == set(slow) == {"silver.games", "meta.schema_drift"}
    assert fast["silver.games"]["rows"] == 2
    assert fast["meta.schema_drift"]["rows"] == 0 and fast["meta.schema_drift"]["snapshot_id"] is None
    for name in fast:
        assert fast[name]["rows"] == slow[name]["rows"]
        assert fast[name]["snapshot_id"] == slow[name]["snapshot_id"]
        assert fast[name]["identifier"] == slow[name]["identifier"]


def test_missing_warehouse_lists_nothing(tmp_path):
    from tests.conftest import make_cfg

    assert list_tables(make_cfg(tmp_path / "nowhere")) == []
