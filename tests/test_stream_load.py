"""A season's first load too big for one cached chunk goes from the parse straight into the table
(``silver.pipeline._stream_load``), and ends exactly as the chunked load would: same rows, same counts, the
same quarantine. What it cannot know before writing (a rejected record, a key fetched twice) takes its commit
back, and the chunked load runs instead."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from chispa import assert_df_equality

from bronze_fixtures import write_response
from cbbd_etl.iceberg import season_is_empty, snapshot_ids
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.sim import SimulatedApi
from cbbd_etl.spark import attach_catalog, ensure_namespaces
from conftest import make_cfg

pytestmark = pytest.mark.spark
COUNTS = ("bronze_records", "inserted", "updated", "unchanged", "duplicates", "quarantined", "reconciled")


def _plays_by_day(days: int) -> list[list[dict[str, Any]]]:
    """Simulated plays as the API sends them, one list per game day (nested arrays, nulls, "" sentinels)."""
    api = SimulatedApi(season=2024, size="tiny", seed=7)
    out = []
    for day in sorted({g.day for g in api.season_data(2024).games}):
        plays = api.query("/plays/date", {"date": day.isoformat()})
        if len(plays) > 200:
            out.append(plays)
        if len(out) == days:
            return out
    raise AssertionError("not enough game days with plays in the tiny season")


def _lake(spark: Any, tmp_path: Any, name: str) -> Any:
    cfg = make_cfg(tmp_path / name)
    attach_catalog(spark, cfg)
    ensure_namespaces(spark, cfg)
    return cfg


def _write_days(cfg: Any, days: list[list[dict[str, Any]]], extra: list[dict[str, Any]] | None = None) -> None:
    for i, plays in enumerate(days):
        write_response(cfg.bronze.root, "plays_date", 2024, plays + ((extra or []) if i == len(days) - 1 else []),
                       name=f"day{i}", fetched_at=f"2024-03-0{i + 1}T12:00:00Z")


def _run(spark: Any, cfg: Any, **options: Any) -> dict[str, Any]:
    return run_job(make_context("silver_plays", cfg, spark=spark, season=2024, options={"progress": False, **options}))


def _plays(spark: Any, cfg: Any) -> Any:
    """The table's rows, less what differs between two lakes by construction (run id, the bronze folder)."""
    from pyspark.sql import functions as F

    return (spark.table(cfg.table("silver.plays")).drop("_run_id")
            .withColumn("_source_file", F.regexp_extract("_source_file", r"[^/]+$", 0)))


def _undone(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Why each streamed load of the run was taken back (the ``stream load undone`` events)."""
    return [r.fields["reason"] for r in caplog.records if r.getMessage() == "stream load undone"]


@pytest.fixture
def big_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is a chunk of its own: each load of these tests is 'too big for one chunk'."""
    from cbbd_etl.silver import pipeline

    monkeypatch.setattr(pipeline, "CACHE_LOAD_MAX_BYTES", 1)


def _chunked_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from cbbd_etl.silver import pipeline

    monkeypatch.setattr(pipeline, "_stream_load", lambda *a, **k: None)


def test_a_first_load_streams_and_ends_as_the_chunked_load(spark, tmp_path, big_loads, monkeypatch) -> None:
    days = _plays_by_day(3)
    streamed_cfg = _lake(spark, tmp_path, "streamed")
    _write_days(streamed_cfg, days)
    streamed = _run(spark, streamed_cfg)
    table = streamed["tables"][0]
    assert (table["streamed"], table["chunks"], streamed["reconciled"]) == (True, 1, True), table
    assert streamed["inserted"] == sum(len(d) for d in days) == streamed["bronze_records"]
    ident = streamed_cfg.table("silver.plays")
    assert len(snapshot_ids(spark, ident)) == 1          # one commit for the whole load
    # Each task wrote the game days it read: one file per day, as the shuffle before the write made them.
    files = spark.sql(f"SELECT partition.game_date AS d, count(*) AS n FROM {ident}.files GROUP BY 1").collect()
    assert len(files) == 3 and all(r["n"] == 1 for r in files), files

    with monkeypatch.context() as m:
        _chunked_only(m)
        chunked_cfg = _lake(spark, tmp_path, "chunked")
        _write_days(chunked_cfg, days)
        chunked = _run(spark, chunked_cfg)
    assert chunked["tables"][0]["streamed"] is False and chunked["tables"][0]["chunks"] == 3
    assert {k: streamed[k] for k in COUNTS} == {k: chunked[k] for k in COUNTS}
    got = _plays(spark, streamed_cfg)
    assert_df_equality(got, _plays(spark, chunked_cfg).select(*got.columns), ignore_row_order=True)

    # A replay reads nothing; a reprocess finds the season stored, so it classifies (chunked) and changes nothing.
    before = snapshot_ids(spark, ident)
    again = _run(spark, streamed_cfg)
    assert (again["tables"][0]["bronze_files"], again["tables"][0]["committed"]) == (0, False)
    replay = _run(spark, streamed_cfg, reprocess=True)
    assert (replay["tables"][0]["streamed"], replay["unchanged"], replay["inserted"], replay["reconciled"]) == (
        False, streamed["inserted"], 0, True)
    assert snapshot_ids(spark, ident) == before


def test_a_rejected_record_takes_the_commit_back_and_the_load_runs_chunked(
        spark, tmp_path, big_loads, monkeypatch, caplog) -> None:
    days = _plays_by_day(2)
    bad_type = {**days[0][0], "id": 990001, "period": "second"}   # does not fit the schema: its file's rows fail
    no_key = {**days[0][1], "id": None}                          # fits, but breaks a rule
    cfg = _lake(spark, tmp_path, "rejects")
    _write_days(cfg, days, extra=[bad_type, no_key])
    with caplog.at_level(logging.INFO, logger="cbbd_etl"):
        report = _run(spark, cfg)
    assert _undone(caplog) == ["a record was rejected"]
    assert (report["tables"][0]["streamed"], report["quarantined"], report["reconciled"]) == (False, 2, True), report
    assert report["inserted"] == sum(len(d) for d in days) == report["bronze_records"] - 2
    quarantine = spark.table(cfg.table("meta.quarantine")).where("target_table = 'silver.plays'").collect()
    assert sorted(r["raw_json"] is not None and '"second"' in r["raw_json"] for r in quarantine) == [False, True]

    with monkeypatch.context() as m:
        _chunked_only(m)
        ref = _lake(spark, tmp_path, "rejects_ref")
        _write_days(ref, days, extra=[bad_type, no_key])
        expected = _run(spark, ref)
    assert {k: report[k] for k in COUNTS} == {k: expected[k] for k in COUNTS}
    assert_df_equality(_plays(spark, cfg), _plays(spark, ref).select(*_plays(spark, cfg).columns),
                       ignore_row_order=True)


def test_a_key_fetched_twice_is_rolled_back_and_the_later_copy_wins(spark, tmp_path, big_loads, caplog) -> None:
    """The table already holds another season, so the undo is a rollback: that season is left as it was."""
    days = _plays_by_day(2)
    cfg = _lake(spark, tmp_path, "twice")
    old = [{**p, "id": 5_000_000 + i, "season": 2023, "gameStartDate": "2023-01-14T19:00:00.000Z"}
           for i, p in enumerate(days[1][:50])]
    write_response(cfg.bronze.root, "plays_date", 2023, old, name="old")
    first = run_job(make_context("silver_plays", cfg, spark=spark, season=2023, options={"progress": False}))
    assert first["inserted"] == 50 and first["tables"][0]["streamed"] is False   # one file: one chunk
    ident = cfg.table("silver.plays")
    season_2023 = spark.table(ident).where("season = 2023").drop("_run_id").collect()
    assert season_is_empty(spark, ident, 2024) and not season_is_empty(spark, ident, 2023)

    corrected = {**days[0][0], "playText": "corrected later"}
    _write_days(cfg, days, extra=[corrected])         # the last file, fetched later, holds days[0][0] again
    with caplog.at_level(logging.INFO, logger="cbbd_etl"):
        report = _run(spark, cfg)
    assert _undone(caplog) == ["a natural key came twice"]
    assert (report["tables"][0]["streamed"], report["updated"], report["reconciled"]) == (False, 1, True), report
    assert spark.table(ident).where(f"play_id = {corrected['id']}").first()["play_text"] == "corrected later"
    assert sorted(spark.table(ident).where("season = 2023").drop("_run_id").collect()) == sorted(season_2023)
    # The undone snapshot is no ancestor of the current one: readers never see the two copies.
    history = spark.sql(f"SELECT is_current_ancestor FROM {ident}.history").collect()
    assert [r[0] for r in history].count(False) == 1


def test_a_file_whose_manifest_does_not_vouch_for_its_fields_keeps_the_chunked_load(spark, tmp_path,
                                                                                     big_loads) -> None:
    days = _plays_by_day(2)
    cfg = _lake(spark, tmp_path, "old_manifest")
    write_response(cfg.bronze.root, "plays_date", 2024, days[0], name="day0")
    write_response(cfg.bronze.root, "plays_date", 2024, days[1], name="day1", shape=False)   # an older manifest
    report = _run(spark, cfg)
    assert (report["tables"][0]["streamed"], report["tables"][0]["chunks"], report["reconciled"]) == (False, 2, True)
    assert report["inserted"] == len(days[0]) + len(days[1])
