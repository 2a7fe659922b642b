"""A gold job whose inputs, outputs, parameters and code are as its last success left them is skipped.

Real Spark and Iceberg: silver tables written by hand, ``gold_team_season`` run through the runner
as the workflow runs it. What must rerun it: new silver rows, an out-of-band change to its output, other
parameters, other code. What must not: nothing else. A skip commits nothing.
"""
from __future__ import annotations

from typing import Any

import pytest

from cbbd_etl import unchanged
from cbbd_etl.iceberg import conform, ensure_table, snapshot_ids, with_row_hash
from cbbd_etl.registry import get_job
from cbbd_etl.runner import make_context, run_job, runs_dir
from cbbd_etl.tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS
from frames import both_sides, frame, game

A = dict(fgm=25, fga=60, fg3m=8, ftm=12, fta=16, oreb=10, dreb=25, tov=12)
B = dict(fgm=22, fga=58, fg3m=6, ftm=10, fta=14, oreb=8, dreb=24, tov=14)


def _append(spark: Any, cfg: Any, games: list[int]) -> None:
    """Silver rows of ``games`` (each between two teams of its own), as silver jobs would leave them."""
    sides = [r for g in games for r in both_sides(g, 10 * g, 10 * g + 1, A, B, season=2024)]
    for spec, rows in ((SILVER_GAMES, [game(g, season=2024) for g in games]), (SILVER_TEAM_GAME_STATS, sides)):
        ident = ensure_table(spark, cfg, spec)
        with_row_hash(conform(frame(spark, spec, rows), spec), spec).writeTo(ident).append()


def _run(spark: Any, cfg: Any, season: int = 2024) -> dict[str, Any]:
    return run_job(make_context("gold_team_season", cfg, spark=spark, season=season))


def test_fingerprint_changes_with_each_part() -> None:
    base = dict(inputs={"silver.games": "1"}, outputs={"gold.team_season": "2"}, params_key="p", code="c",
                config="k")
    first = unchanged.fingerprint(**base)
    assert unchanged.fingerprint(**base) == first
    for key, value in (("inputs", {"silver.games": "3"}), ("outputs", {"gold.team_season": "absent"}),
                       ("params_key", "q"), ("code", "d"), ("config", "l")):
        assert unchanged.fingerprint(**{**base, key: value}) != first, key


def test_only_gold_jobs_declare_it() -> None:
    from cbbd_etl.registry import JOBS

    assert {j.name for j in JOBS if j.skip_if_unchanged} == {j.name for j in JOBS if j.layer == "gold"}


@pytest.mark.spark
def test_gold_job_skips_unchanged_input_and_reruns_on_any_change(spark: Any, lake: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    gold = lake.table(GOLD_TEAM_SEASON.name)
    _append(spark, lake, [1, 2])
    first = _run(spark, lake)
    assert first["inserted"] == 4 and "unchanged_since" not in first
    assert list((runs_dir(lake) / "unchanged").glob("gold_team_season-*.json"))

    snaps = snapshot_ids(spark, gold)
    again = _run(spark, lake)
    assert again["unchanged_since"] == first["run_id"]
    assert (again["inserted"], again["updated"], again["committed"], again["reconciled"]) == (0, 0, False, True)
    assert snapshot_ids(spark, gold) == snaps

    # new silver rows: rebuilt, and the next run is a skip again
    _append(spark, lake, [3])
    third = _run(spark, lake)
    assert "unchanged_since" not in third and third["inserted"] == 2
    assert _run(spark, lake)["unchanged_since"] == third["run_id"]

    # someone deletes a gold row: the output's snapshot moved, the job runs and restores it
    spark.sql(f"DELETE FROM {gold} WHERE team_id = 30")
    fourth = _run(spark, lake)
    assert "unchanged_since" not in fourth and fourth["inserted"] == 1
    assert spark.table(gold).where("season = 2024").count() == 6

    # reprocess runs it anyway and leaves the same record: the next plain run skips again
    forced = run_job(make_context("gold_team_season", lake, spark=spark, season=2024, options={"reprocess": True}))
    assert "unchanged_since" not in forced and forced["committed"] is False
    assert _run(spark, lake)["unchanged_since"] == forced["run_id"]
    fourth = forced

    # another season is another record; other code reruns it
    assert "unchanged_since" not in _run(spark, lake, season=2023)
    assert _run(spark, lake)["unchanged_since"] == fourth["run_id"]
    monkeypatch.setattr(unchanged, "code_version", lambda: "a-new-version")
    assert "unchanged_since" not in _run(spark, lake)


@pytest.mark.spark
def test_a_failed_or_unrecorded_run_is_never_skipped(spark: Any, lake: Any) -> None:
    """A truncated record runs the job (and rewrites the record); a job that does not declare it never skips."""
    _append(spark, lake, [1])
    first = _run(spark, lake)
    record = next((runs_dir(lake) / "unchanged").glob("gold_team_season-*.json"))
    record.write_text(record.read_text()[:40])
    second = _run(spark, lake)
    assert "unchanged_since" not in second and second["committed"] is False
    assert _run(spark, lake)["unchanged_since"] == second["run_id"] != first["run_id"]
    assert not get_job("silver_games").skip_if_unchanged
    assert unchanged.check(make_context("silver_games", lake, spark=spark, season=2024), runs_dir(lake)) is None


@pytest.mark.spark
def test_skipping_jobs_read_only_their_declared_tables(spark: Any, lake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The skip is sound only if a job's result follows from its declared tables: every table a gold job
    reads through ``spark.table`` must be one of its inputs (or its own outputs)."""
    from cbbd_etl.workflows import execution_order, get_workflow

    _append(spark, lake, [1, 2])
    read: list[str] = []
    real = spark.table
    monkeypatch.setattr(spark, "table", lambda name: read.append(name) or real(name))
    gold = [n for n in execution_order(get_workflow("daily")) if get_job(n).skip_if_unchanged]
    assert len(gold) == 7
    for name in gold:
        job = get_job(name)
        read.clear()
        report = run_job(make_context(name, lake, spark=spark, season=2024))
        assert report.get("reconciled", True) is not False, name
        declared = {lake.table(t) for t in job.inputs + job.outputs if "." in t}
        assert read and set(read) <= declared, (name, sorted(set(read) - declared))
