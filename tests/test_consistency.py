"""Partition consistency: declared specs, bronze manifests ↔ files, season windows of silver rows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bronze_fixtures import game_record, write_response
from cbbd_etl.bronze.store import BronzeStore
from cbbd_etl.consistency import check_bronze, check_season_windows, check_table_partitions, partition_spec
from cbbd_etl.iceberg import ensure_table, merge_upsert
from cbbd_etl.tables import SILVER_GAMES, get_table
from frames import frame

pytestmark = pytest.mark.spark


def test_bronze_manifests_and_files_agree(tmp_path: Path) -> None:
    root = tmp_path / "bronze"
    ok = write_response(root, "games", 2024, [game_record(1)], name="ok")
    gone = write_response(root, "games", 2024, [game_record(2)], name="gone")
    (root / gone).unlink()
    (root / "games/season=2024/orphan.json.gz").write_bytes(b"x")
    moved = write_response(root, "games", 2023, [game_record(3)], name="moved")
    mpath = root / "_manifests" / moved.replace(".json.gz", ".json")
    mpath.write_text(mpath.read_text().replace('"season": 2023', '"season": 2024'))
    problems = {(p["check"], p.get("data_key")) for p in check_bronze(BronzeStore.for_root(str(root)))}
    assert problems == {("bronze_missing_data", gone), ("bronze_orphan_file", "games/season=2024/orphan.json.gz"),
                        ("bronze_partition_mismatch", moved)}
    assert ("bronze_missing_data", ok) not in problems


def test_table_spec_and_season_windows(spark, lake) -> None:
    ensure_table(spark, lake, SILVER_GAMES)
    assert partition_spec(spark, lake.table("silver.games")) == ("season",)
    spark.sql(f"CREATE TABLE {lake.table('silver.plays')} (play_id BIGINT, season INT) USING iceberg")
    problems = check_table_partitions(spark, lake)
    assert problems == [{"check": "table_partition_spec", "table": "silver.plays",
                         "declared": ["season", "game_date"], "actual": []}]
    spec = get_table("silver.player_game_stats")
    merge_upsert(spark, lake, spec, frame(spark, spec, [
        {"game_id": 1, "team_id": 1, "athlete_id": 1, "season": 2024, "game_date": dt.date(2024, 1, 5)},
        {"game_id": 2, "team_id": 1, "athlete_id": 1, "season": 2024, "game_date": dt.date(2024, 8, 5)}]))
    windows = check_season_windows(spark, lake)
    assert windows == [{"check": "season_window", "table": "silver.player_game_stats", "rows": 1,
                        "sample_keys": ["2, 1, 1"]}]
    # the daily audit checks the season it audits: another season's rows are not read
    assert check_season_windows(spark, lake, seasons=[2024]) == windows
    assert check_season_windows(spark, lake, seasons=[2023]) == []
