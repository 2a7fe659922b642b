"""The fixed cost of a silver job, counted in Spark jobs so it cannot creep back (issue 12).

Why Spark jobs and not seconds: on a shared 2-core machine seconds vary threefold from run to run, while
the number of jobs a load launches is a property of the code. Each bound below is the measured count
plus a small margin; a change that adds a re-read of bronze or an extra count per table breaks it.
Every test also checks the guarantees the cuts must keep: reconciliation, quarantine and a replay that
commits no snapshot on any table.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

import pytest

from bronze_fixtures import game_record, write_response
from cbbd_etl.iceberg import snapshot_ids
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.silver import processed

pytestmark = pytest.mark.spark

# Measured with the code of this change (silver_games, a handful of rows): see the module docstring.
# Before this change the same loads took 25-29 jobs and a no-op 1.
MAX_JOBS_FIRST_LOAD = 11      # measured 9: stats (3) + append + processed mark; an empty table skips the
                              # classifying join (14 jobs before that)
MAX_JOBS_SMALL_DAY = 20       # measured 18: the same with a MERGE (an update) instead of an append
MAX_JOBS_REPLAY_BAD_ROWS = 24  # measured 22: read, classify, the quarantine and drift anti-joins (which parse
                               # bronze again for the records' JSON, left out of the load's cache); nothing written


def _jobs(spark: Any, fn: Callable[[], Any]) -> tuple[int, Any]:
    """How many Spark jobs ``fn`` launched (all of them run under one job group)."""
    sc = spark.sparkContext
    group = f"count-{uuid.uuid4().hex[:8]}"
    sc.setJobGroup(group, group)
    try:
        out = fn()
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    jobs = len(sc.statusTracker().getJobIdsForGroup(group))
    print(f"spark jobs: {jobs}")     # shown with -s or on failure: the number to compare with the bound
    return jobs, out


def _run(spark: Any, cfg: Any, **options: Any) -> dict[str, Any]:
    return run_job(make_context("silver_games", cfg, spark=spark, season=2024, options=options))


def _snapshots(spark: Any, cfg: Any) -> dict[str, list[int]]:
    return {t: snapshot_ids(spark, cfg.table(t)) for t in ("silver.games", "meta.bronze_processed")}


def test_noop_job_runs_no_spark_job_and_a_small_load_stays_bounded(spark, lake) -> None:
    write_response(lake.bronze.root, "games", 2024, [game_record(1), game_record(2, 3, 4)], name="a")
    jobs, first = _jobs(spark, lambda: _run(spark, lake))
    assert (first["inserted"], first["quarantined"], first["reconciled"], first["committed"]) == (2, 0, True, True)
    assert jobs <= MAX_JOBS_FIRST_LOAD

    # Nothing new in bronze: the processed-file cache answers, no Spark job at all.
    before = _snapshots(spark, lake)
    noop_jobs, noop = _jobs(spark, lambda: _run(spark, lake))
    assert (noop["bronze_files"], noop["bronze_files_already_loaded"], noop["committed"]) == (0, 1, False)
    assert noop_jobs == 0
    # A cold cache (a new process) costs exactly one read of meta.bronze_processed.
    processed._cache.clear()
    cold_jobs, _ = _jobs(spark, lambda: _run(spark, lake))
    assert cold_jobs == 1
    assert _snapshots(spark, lake) == before

    # One more response: one game corrected, one new -> a MERGE, still a bounded number of jobs.
    write_response(lake.bronze.root, "games", 2024, [game_record(2, 3, 4, homePoints=71), game_record(5, 6, 7)],
                   name="b", fetched_at="2024-03-02T12:00:00Z", run_id="run-2")
    day_jobs, day = _jobs(spark, lambda: _run(spark, lake))
    assert (day["bronze_files"], day["inserted"], day["updated"], day["unchanged"]) == (1, 1, 1, 0)
    assert day["reconciled"] and day["committed"]
    assert day_jobs <= MAX_JOBS_SMALL_DAY


def test_replay_commits_nothing_anywhere_and_bad_records_still_reach_quarantine(spark, lake) -> None:
    root = lake.bronze.root
    write_response(root, "games", 2024, [game_record(1), game_record(2, season=1990),
                                         game_record(3, brandNewField=1)], name="a")
    write_response(root, "games", 2024, [game_record(4)], name="bad", body=b'[{"id": 4, "season": 20')
    first = _run(spark, lake)
    # Hand count: 4 records in bronze; game 2 (season 1990) and the malformed file's 1 record quarantined.
    assert (first["bronze_records"], first["inserted"], first["quarantined"], first["reconciled"]) == (4, 2, 2, True)
    assert first["schema_drift"] == ["brandNewField"]
    reasons = sorted(r["reason"] for r in spark.table(lake.table("meta.quarantine")).collect())
    assert reasons == ["bronze file is not a valid JSON array or object (malformed or truncated JSON)",
                       f"season outside {lake.seasons.first}-{lake.seasons.last}"]
    drift = spark.table(lake.table("meta.schema_drift")).collect()
    assert [(r["field"], r["records"]) for r in drift] == [("brandNewField", 1)]

    tables = ("silver.games", "meta.bronze_processed", "meta.quarantine", "meta.schema_drift")
    before = {t: snapshot_ids(spark, lake.table(t)) for t in tables}
    jobs, replay = _jobs(spark, lambda: _run(spark, lake, reprocess=True))
    assert (replay["inserted"], replay["updated"], replay["unchanged"], replay["quarantined"]) == (0, 0, 2, 2)
    assert replay["reconciled"] and not replay["committed"]
    assert {t: snapshot_ids(spark, lake.table(t)) for t in tables} == before
    assert jobs <= MAX_JOBS_REPLAY_BAD_ROWS


def test_processed_cache_sees_another_writers_commit(spark, lake) -> None:
    """The cache is keyed by the table's snapshot: a row someone else appended is seen, not missed."""
    write_response(lake.bronze.root, "games", 2024, [game_record(1)], name="a")
    write_response(lake.bronze.root, "games", 2024, [game_record(2)], name="b")
    from cbbd_etl.bronze_access import bronze_files

    files, _ = bronze_files(lake, "games", 2024)
    assert len(processed.unprocessed(spark, lake, "silver.games", files)) == 2
    b = next(f for f in files if f.uri.endswith("b.json.gz"))
    spark.sql(f"INSERT INTO {lake.table('meta.bronze_processed')} VALUES ('silver.games', '{b.uri}', "
              f"'{b.sha256}', 2024, 1, TIMESTAMP '2024-01-01 00:00:00', 'loaded', 'other-writer', current_timestamp())")
    left = processed.unprocessed(spark, lake, "silver.games", files)
    assert [f.uri for f in left] == [f.uri for f in files if f is not b]
    report = _run(spark, lake)
    assert (report["bronze_files"], report["bronze_files_already_loaded"], report["inserted"]) == (1, 1, 1)


def test_load_stats_counts_exploded_records_once(spark) -> None:
    """Hand-built tagged rows: a record exploded into 3 rows is 1 record; a malformed file counts its manifest."""
    from cbbd_etl.silver.pipeline import load_stats

    rows = [
        # _source_file, _record_pos, _file_malformed, _file_records, _unknown_keys, _reason
        ("f1", 0, False, 2, [], None), ("f1", 0, False, 2, [], None), ("f1", 0, False, 2, ["x"], "bad team"),
        ("f1", 1, False, 2, ["y", "x"], None),
        ("f2", 0, True, 5, [], "malformed"),
    ]
    tagged = spark.createDataFrame(rows, "_source_file STRING, _record_pos INT, _file_malformed BOOLEAN, "
                                         "_file_records INT, _unknown_keys ARRAY<STRING>, _reason STRING")
    exploded = load_stats(tagged, exploded=True)
    assert (exploded.valid, exploded.rejected, exploded.parsed_records, exploded.unknown_fields) == \
        (3, 1 + 5, 2 + 5, ["x", "y"])
    flat = load_stats(tagged, exploded=False)
    assert (flat.valid, flat.rejected, flat.parsed_records) == (3, 6, 4 + 5)
