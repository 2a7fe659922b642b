"""silver_games end to end on real Spark + Iceberg: bronze files → MERGE → reconcile, replay, quarantine."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from chispa import assert_df_equality

from bronze_fixtures import game_record, write_response
from cbbd_etl.iceberg import snapshot_ids
from cbbd_etl.runner import make_context, run_job

pytestmark = pytest.mark.spark


def _run(spark, cfg, job="silver_games", season=2024, **options):
    return run_job(make_context(job, cfg, spark=spark, season=season, options=options))


def test_games_load_typed_and_reconciled(spark, lake) -> None:
    root = lake.bronze.root
    write_response(root, "games", 2024, [game_record(1), game_record(2, 3, 4)], name="a")
    report = _run(spark, lake)
    assert (report["inserted"], report["updated"], report["quarantined"], report["reconciled"]) == (2, 0, 0, True)
    got = spark.table(lake.table("silver.games")).select(
        "game_id", "season", "home_team_id", "away_points", "start_date", "game_date", "home_period_points")
    expected = spark.createDataFrame(
        [(1, 2024, 1, 60, dt.datetime(2023, 12, 2, 0, 30), dt.date(2023, 12, 1), [35, 35]),
         (2, 2024, 3, 60, dt.datetime(2023, 12, 2, 0, 30), dt.date(2023, 12, 1), [35, 35])],
        "game_id BIGINT, season INT, home_team_id BIGINT, away_points INT, start_date TIMESTAMP, game_date DATE, "
        "home_period_points ARRAY<INT>")
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_replay_changes_nothing_and_newer_fetch_wins(spark, lake) -> None:
    root = lake.bronze.root
    write_response(root, "games", 2024, [game_record(1), game_record(2)], name="a")
    _run(spark, lake)
    ident = lake.table("silver.games")
    before = snapshot_ids(spark, ident)
    again = _run(spark, lake)          # nothing new in bronze: nothing read
    assert (again["bronze_files"], again["bronze_files_already_loaded"], again["committed"]) == (0, 1, False)
    replay = _run(spark, lake, reprocess=True)   # everything read again: every row unchanged
    assert (replay["inserted"], replay["updated"], replay["unchanged"], replay["committed"]) == (0, 0, 2, False)
    assert snapshot_ids(spark, ident) == before
    # A corrected score fetched later updates one row; the stale copy counts as a duplicate.
    write_response(root, "games", 2024, [game_record(2, homePoints=71)], name="b",
                   fetched_at="2024-03-02T12:00:00Z", run_id="run-2")
    third = _run(spark, lake)
    assert (third["bronze_files"], third["inserted"], third["updated"], third["unchanged"]) == (1, 0, 1, 0)
    assert third["reconciled"]
    # Replaying everything: the older copy of game 2 is superseded (a duplicate), nothing changes.
    fourth = _run(spark, lake, reprocess=True)
    assert (fourth["inserted"], fourth["updated"], fourth["unchanged"], fourth["duplicates"]) == (0, 0, 2, 1)
    assert spark.table(ident).where("game_id = 2").first()["home_points"] == 71
    assert spark.table(ident).where("game_id = 2").first()["_source_file"].endswith("b.json.gz")


def test_bad_inputs_are_quarantined_with_reasons_and_counts_reconcile(spark, lake) -> None:
    root = lake.bronze.root
    good = [game_record(1)]
    write_response(root, "games", 2024, good, name="ok")
    write_response(root, "games", 2024, [game_record(2)], name="trunc",
                   gz_bytes=gzip.compress(json.dumps([game_record(2)]).encode())[:-20])
    write_response(root, "games", 2024, [game_record(3)], name="badjson", body=b'[{"id": 3, "season": 20')
    write_response(root, "games", 2024, [game_record(4, homePoints="seventy"), game_record(5, id=None),
                                         game_record(6, season=1990), game_record(7, startDate="yesterday"),
                                         game_record(8, startDate="2024-09-15T00:00:00Z"),
                                         game_record(9, brandNewField=1)], name="mixed")
    report = _run(spark, lake)
    assert report["bronze_records"] == 9
    assert report["inserted"] == 2                     # game 1, and game 9 whose unknown field is only drift
    assert report["quarantined"] == 7
    assert report["reconciled"]
    q = {r["reason"].split(" (")[0]: r for r in
         spark.table(lake.table("meta.quarantine")).where("target_table = 'silver.games'").collect()}
    reasons = "\n".join(sorted(q))
    for expected in ("truncated or corrupt gzip", "not a valid JSON array", "does not match the declared API schema",
                     "natural key game_id is missing", "season outside 2010-2027", "start_date is missing",
                     "outside its season window"):
        assert expected in reasons, (expected, reasons)
    wrong_type = next(r for k, r in q.items() if "declared API schema" in k)
    assert '"seventy"' in wrong_type["raw_json"] and wrong_type["source_file"].endswith("mixed.json.gz")
    # A second run adds no quarantine rows and commits nothing.
    n = spark.table(lake.table("meta.quarantine")).count()
    snaps = snapshot_ids(spark, lake.table("meta.quarantine"))
    again = _run(spark, lake, reprocess=True)
    assert again["reconciled"] and spark.table(lake.table("meta.quarantine")).count() == n
    assert snapshot_ids(spark, lake.table("meta.quarantine")) == snaps


def test_a_load_in_many_chunks_ends_like_one_chunk(spark, lake, monkeypatch) -> None:
    """Chunks (``CACHE_LOAD_MAX_BYTES``) bound the cache of a big load; forced to one file per chunk, the
    first chunk appends to the empty table, the later ones classify against it: a key fetched again later
    (game 2, corrected score) wins as in a single-chunk load, and the counts reconcile."""
    from cbbd_etl.silver import pipeline

    root = lake.bronze.root
    write_response(root, "games", 2024, [game_record(1), game_record(2), game_record(2)], name="a",
                   fetched_at="2024-03-01T12:00:00Z")
    write_response(root, "games", 2024, [game_record(2, homePoints=71), game_record(3)], name="b",
                   fetched_at="2024-03-02T12:00:00Z", run_id="run-2")
    monkeypatch.setattr(pipeline, "CACHE_LOAD_MAX_BYTES", 1)
    report = _run(spark, lake)
    assert report["chunks"] == 2 and report["reconciled"], report
    # chunk a: game 2 twice → 2 inserted, 1 duplicate; chunk b: game 2 newer → updated, game 3 inserted.
    assert (report["inserted"], report["updated"], report["duplicates"]) == (3, 1, 1), report
    rows = {r["game_id"]: r["home_points"] for r in spark.table(lake.table("silver.games")).collect()}
    assert rows == {1: game_record(1)["homePoints"], 2: 71, 3: game_record(3)["homePoints"]}
