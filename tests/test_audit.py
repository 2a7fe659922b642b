"""The completeness audit names exactly the final games that lack each dataset, and re-running changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from chispa import assert_df_equality

from cbbd_etl.audit import coverage_row, markdown_report
from cbbd_etl.iceberg import merge_upsert, snapshot_ids
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.tables import get_table
from frames import frame

pytestmark = pytest.mark.spark


def test_coverage_row_lists_missing_ids() -> None:
    # Season 2024: finals 1, 2, 3, of which only 1 has enough rows; season 2023: final 9, uncovered.
    assert coverage_row(2024, [3, 1, 2, 2], {1, 7}, "team_box_scores") == {
        "season": 2024, "dataset": "team_box_scores", "final_games": 3, "covered_games": 1, "coverage_pct": 33.33,
        "missing_games": 2, "missing_game_ids": [2, 3]}
    assert coverage_row(2023, [9], set(), "plays")["coverage_pct"] == 0.0
    assert coverage_row(2024, [1, 2, 3], {1, 2}, "plays")["coverage_pct"] == 66.67   # half up, like Spark round()
    assert coverage_row(2024, [], set(), "plays")["coverage_pct"] is None


def _load(spark, cfg, table: str, rows: list[dict]) -> None:
    spec = get_table(table)
    merge_upsert(spark, cfg, spec, frame(spark, spec, rows))


def test_audit_job_names_gaps_writes_reports_and_is_idempotent(spark, lake) -> None:
    games = [{"game_id": g, "season": 2024, "status": "final"} for g in range(1, 11)]
    games.append({"game_id": 99, "season": 2024, "status": "scheduled"})       # not final: never a gap
    _load(spark, lake, "silver.games", games)
    _load(spark, lake, "silver.team_game_stats",
          [{"game_id": g, "team_id": t, "season": 2024} for g in range(1, 11) for t in (1, 2) if (g, t) != (4, 2)])
    _load(spark, lake, "silver.plays", [{"play_id": g * 100, "game_id": g, "season": 2024} for g in (1, 2, 3, 5)])
    report = run_job(make_context("audit_completeness", lake, spark=spark, seasons="2023-2024"))
    rows = {(r["season"], r["dataset"]): r for r in spark.table(lake.table("meta.completeness")).collect()}
    assert rows[(2024, "team_box_scores")]["missing_game_ids"] == [4]
    assert rows[(2024, "plays")]["missing_game_ids"] == [4, 6, 7, 8, 9, 10]
    assert rows[(2024, "plays")]["coverage_pct"] == 40.0 and rows[(2024, "plays")]["status"] == "gaps"
    assert rows[(2024, "lineups")]["missing_games"] == 10
    assert rows[(2023, "plays")]["final_games"] is None and rows[(2023, "silver.plays")]["rows"] == 0
    assert rows[(2024, "silver.plays")]["rows"] == 4 and rows[(2024, "plays")]["rows"] == 4
    assert report["gaps"]["2024:team_box_scores"] == 1
    md = Path(report["report"]).read_text()
    assert "2024 plays: 6 missing — 4, 6, 7, 8, 9, 10" in md
    png = Path(report["heatmap"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
    snaps = snapshot_ids(spark, lake.table("meta.completeness"))
    again = run_job(make_context("audit_completeness", lake, spark=spark, seasons="2023-2024"))
    assert (again["inserted"], again["updated"]) == (0, 0)
    assert snapshot_ids(spark, lake.table("meta.completeness")) == snaps


def test_markdown_report_truncates_long_id_lists() -> None:
    rows = [{"season": 2020, "dataset": "plays", "final_games": 200, "coverage_pct": 0.0, "missing_games": 200,
             "missing_game_ids": list(range(200))}]
    md = markdown_report(rows, max_ids=5)
    assert "0, 1, 2, 3, 4 … (+195)" in md and "| 2020 | 200 |" in md


def test_season_row_counts_come_from_metadata_only_when_exact(spark, lake) -> None:
    """Per-season rows from Iceberg metadata match Spark's count on a copy-on-write table partitioned by season;
    with delete files (merge-on-read after a delete) or no season partition the helper declines (None), so
    the audit counts those tables with Spark."""
    from cbbd_etl.iceberg import season_row_counts

    ns = lake.namespace("silver")
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {ns}")
    cow, mor, flat = f"{ns}.rc_cow", f"{ns}.rc_mor", f"{ns}.rc_flat"
    mode = "'write.delete.mode'='merge-on-read'"
    spark.sql(f"CREATE TABLE {cow} (season INT, id BIGINT) USING iceberg PARTITIONED BY (season)")
    spark.sql(f"CREATE TABLE {mor} (season INT, id BIGINT) USING iceberg PARTITIONED BY (season) "
              f"TBLPROPERTIES ('format-version'='2', {mode})")
    spark.sql(f"CREATE TABLE {flat} (season INT, id BIGINT) USING iceberg")
    assert season_row_counts(spark, cow, [2024]) == {2024: 0}          # no snapshot yet
    for ident in (cow, mor, flat):
        spark.sql(f"INSERT INTO {ident} VALUES (2023, 1), (2024, 2), (2024, 3)")
        spark.sql(f"INSERT INTO {ident} VALUES (2024, 4)")
    truth = {r["season"]: r["n"] for r in spark.sql(f"SELECT season, count(*) n FROM {cow} GROUP BY season").collect()}
    assert season_row_counts(spark, cow, [2023, 2024, 2025]) == {**truth, 2025: 0} == {2023: 1, 2024: 3, 2025: 0}
    assert season_row_counts(spark, mor, [2024]) == {2024: 3}           # no deletes yet: still exact
    spark.sql(f"DELETE FROM {mor} WHERE id = 3")
    assert season_row_counts(spark, mor, [2024]) is None                # a delete file: metadata would say 3
    assert season_row_counts(spark, flat, [2024]) is None
