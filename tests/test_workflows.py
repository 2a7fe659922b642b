"""Workflows as data (issue 9, items 3-4): the declared DAGs, the triggers generated from them, and the local
runner (failure stops only the downstream branch; ``--resume`` reruns only what did not succeed).

The runner tests use test-only jobs that need no Spark, registered through the documented hooks
``registry.register_job`` and ``workflows.register_workflow``.
"""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from cbbd_etl.registry import JOBS, JobSpec, register_job, unregister_job
from cbbd_etl.runner import JobContext
from cbbd_etl.workflow_runner import run_workflow
from cbbd_etl.gap_fill import GAP_DATASETS
from cbbd_etl.workflows import (Workflow, all_workflows, concurrent_writers, dependencies, execution_order,
                                get_workflow, register_workflow, triggers, unregister_workflow)

from conftest import make_cfg

SILVER = {j.name for j in JOBS if j.layer == "silver"}


def _ancestors(deps: dict[str, tuple[str, ...]], name: str) -> set[str]:
    out: set[str] = set()
    todo = list(deps[name])
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            todo += deps[n]
    return out


def test_daily_is_ingest_silver_gap_fill_then_gold_beside_the_audit() -> None:
    deps = dependencies(get_workflow("daily"))
    assert deps["bronze_ingest"] == ()
    assert all(deps[s] == ("bronze_ingest",) for s in SILVER)
    assert set(deps["gap_fill"]) == SILVER
    assert deps["gold_team_season"] == ("gap_fill",)
    gold = {n for n in deps if n.startswith("gold_")}
    assert gold >= {"gold_team_season", "gold_team_ratings_daily", "gold_game_features", "gold_power_rankings",
                    "gold_player_season", "gold_market_lines", "gold_team_crosswalk"}
    # The audit reads silver only: it runs beside gold, once gap fill has merged the gaps it found ...
    assert deps["audit_completeness"] == ("gap_fill",)
    assert not gold & _ancestors(deps, "audit_completeness")
    # ... a gold job reading another gold table waits for its producer; data quality runs last of all, after
    # the audit and the gold jobs no other gold job waits for (the rest are implied through them).
    assert deps["gold_market_lines"] == ("gold_game_features",)
    assert deps["gold_player_season"] == ("gold_team_ratings_daily",)
    gold_sinks = {g for g in gold if not any(g in deps[o] for o in gold)}
    assert set(deps["data_quality"]) == gold_sinks | {"audit_completeness"}
    assert gold | {"audit_completeness"} <= _ancestors(deps, "data_quality")
    assert execution_order(get_workflow("daily"))[-1] == "data_quality"
    assert "maintenance" not in deps
    assert get_workflow("daily").run_properties["mode"] == "incremental"


def test_backfill_is_the_same_dag_on_demand_in_backfill_mode() -> None:
    daily, backfill = get_workflow("daily"), get_workflow("backfill")
    assert dependencies(backfill) == dependencies(daily)
    assert backfill.run_properties["mode"] == "backfill" and backfill.trigger_type == "ON_DEMAND"
    # Scheduled gap fills never ask for per-game lineups (one call per game): only on purpose.
    for wf in (daily, backfill):
        assert "lineups" not in wf.run_properties["datasets"].split(",")
        assert set(wf.run_properties["datasets"].split(",")) < set(GAP_DATASETS)
    assert [t.type for t in triggers(backfill)][0] == "ON_DEMAND"
    assert dependencies(get_workflow("maintenance")) == {"maintenance": ()}


@pytest.fixture
def extra_jobs() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for n in names:
        unregister_job(n)


def _register(names: list[str], **kw: Any) -> JobSpec:
    kw.setdefault("entry", _ok)
    kw.setdefault("description", "test-only job")
    kw.setdefault("uses_spark", False)
    kw.setdefault("parameters", ())
    job = register_job(JobSpec(**kw))
    names.append(job.name)
    return job


def test_a_new_gold_job_and_a_last_job_join_the_daily_dag_by_themselves(extra_jobs: list[str]) -> None:
    _register(extra_jobs, name="gold_test_power", layer="gold", inputs=("silver.games", "gold.team_season"),
              outputs=("gold.test_power",))
    _register(extra_jobs, name="gold_test_simple", layer="gold", inputs=("silver.games",), outputs=("gold.simple",))
    daily = get_workflow("daily")
    deps = dependencies(daily)
    assert deps["gold_test_power"] == ("gold_team_season",)        # silver.games via gap_fill is implied
    assert deps["gold_test_simple"] == ("gap_fill",)               # gap_fill runs before every gold job
    # The job declared after=("*",) (data quality) runs after every gold job (gold_team_season is implied by
    # gold_test_power) and after everything else, the new jobs included.
    assert {"gold_test_power", "gold_test_simple"} <= set(deps["data_quality"])
    assert "gold_team_season" not in deps["data_quality"]
    assert _ancestors(deps, "data_quality") == set(deps) - {"data_quality"}
    assert execution_order(daily)[-1] == "data_quality"
    starts = [a for t in triggers(daily) for a in t.actions]
    assert sorted(starts) == sorted(deps)                           # each job: exactly one trigger


def test_triggers_fan_out_fan_in_and_stay_under_fifty_actions(extra_jobs: list[str]) -> None:
    register_workflow(Workflow("wide", "sixty jobs after one", schedule="cron(0 1 * * ? *)"))
    try:
        _register(extra_jobs, name="w_root", layer="bronze", inputs=(), outputs=("x:root",), workflow="wide")
        for i in range(60):
            _register(extra_jobs, name=f"w_leaf{i:02d}", layer="silver", inputs=("x:root",),
                      outputs=(f"x:leaf{i}",), workflow="wide")
        _register(extra_jobs, name="w_sink", layer="gold", inputs=("x:leaf0", "x:leaf59"), outputs=(),
                  workflow="wide")
        got = triggers(get_workflow("wide"))
        assert [(t.name, t.type, t.schedule) for t in got[:1]] == [("start", "SCHEDULED", "cron(0 1 * * ? *)")]
        assert got[0].actions == ("w_root",)
        fan_out = [t for t in got if t.conditions == ("w_root",)]
        assert [len(t.actions) for t in fan_out] == [50, 10]
        sink = [t for t in got if "w_sink" in t.actions]
        assert len(sink) == 1 and sink[0].conditions == ("w_leaf00", "w_leaf59") and sink[0].type == "CONDITIONAL"
        assert len({t.name for t in got}) == len(got)
    finally:
        unregister_workflow("wide")


def test_a_cycle_is_an_error(extra_jobs: list[str]) -> None:
    register_workflow(Workflow("loop", "a cycle", schedule=None))
    try:
        _register(extra_jobs, name="l_a", layer="meta", inputs=("x:b",), outputs=("x:a",), workflow="loop")
        _register(extra_jobs, name="l_b", layer="meta", inputs=("x:a",), outputs=("x:b",), workflow="loop")
        with pytest.raises(ValueError, match="cycle among l_a, l_b"):
            dependencies(get_workflow("loop"))
    finally:
        unregister_workflow("loop")


# --- the local runner --------------------------------------------------------------------------------------
CALLS: list[tuple[str, dict[str, Any]]] = []
BROKEN: set[str] = set()


def _ok(ctx: JobContext) -> dict[str, Any]:
    CALLS.append((ctx.job.name, {"season": ctx.season, "date": ctx.date, **ctx.options}))
    if ctx.job.name in BROKEN:
        raise RuntimeError(f"{ctx.job.name} broke")
    return {"bronze_records": 10, "inserted": 4, "updated": 1, "quarantined": 2, "reconciled": True}


def _unreconciled(ctx: JobContext) -> dict[str, Any]:
    CALLS.append((ctx.job.name, {}))
    return {"inserted": 0, "reconciled": "u_bad" not in BROKEN}


@pytest.fixture
def diamond(extra_jobs: list[str]) -> Iterator[str]:
    """u_root -> (u_bad -> u_after_bad), (u_side -> u_after_side), both -> u_join; u_alone independent."""
    register_workflow(Workflow("utest", "a test DAG", schedule=None, run_properties={"mode": "incremental"}))
    spec = dict(layer="meta", workflow="utest", parameters=("season", "date", "mode", "window_days"))
    _register(extra_jobs, name="u_root", inputs=(), outputs=("x:root",), **spec)
    _register(extra_jobs, name="u_bad", inputs=("x:root",), outputs=("x:bad",), entry=_unreconciled, **spec)
    _register(extra_jobs, name="u_side", inputs=("x:root",), outputs=("x:side",), **spec)
    _register(extra_jobs, name="u_after_bad", inputs=("x:bad",), outputs=("x:after_bad",), **spec)
    _register(extra_jobs, name="u_after_side", inputs=("x:side",), outputs=("x:after_side",), **spec)
    _register(extra_jobs, name="u_join", inputs=("x:after_bad", "x:after_side"), outputs=(), **spec)
    _register(extra_jobs, name="u_alone", inputs=(), outputs=(), **spec)
    CALLS.clear()
    BROKEN.clear()
    yield "utest"
    unregister_workflow("utest")


@pytest.mark.parametrize("parallel", [1, 3])
def test_failure_stops_downstream_only_and_resume_runs_the_rest(diamond: str, tmp_path: Path, parallel: int,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    cfg = make_cfg(tmp_path)
    BROKEN.update({"u_bad", "u_after_side"})
    first = run_workflow(cfg, diamond, date="2025-01-15", options={"window_days": 3, "api_key": "secret-k"},
                         progress=sys.stderr, parallel=parallel)
    status = {j.job: j.status for j in first.jobs}
    assert status == {"u_root": "succeeded", "u_bad": "failed", "u_side": "succeeded",
                      "u_after_bad": "upstream_failed", "u_after_side": "failed", "u_join": "upstream_failed",
                      "u_alone": "succeeded"}
    assert not first.succeeded
    root = next(j for j in first.jobs if j.job == "u_root")
    assert (root.rows_read, root.inserted, root.updated, root.quarantined) == (10, 4, 1, 2)
    assert next(j for j in first.jobs if j.job == "u_bad").error == "reconciled: false"
    assert "RuntimeError: u_after_side broke" in next(j for j in first.jobs if j.job == "u_after_side").error
    seen = dict(CALLS)
    assert seen["u_root"]["season"] == 2025 and str(seen["u_root"]["date"]) == "2025-01-15"
    assert seen["u_root"]["mode"] == "incremental" and seen["u_root"]["window_days"] == 3
    assert seen["u_root"]["api_key"] == "secret-k"
    err = capsys.readouterr().err
    assert "[1/7] u_root started" in err and "u_after_bad upstream_failed" in err

    summary = Path(first.summary_path)
    assert summary.parent == tmp_path / "runs"
    doc = json.loads(summary.read_text())
    assert doc["run_id"] == first.run_id and "secret-k" not in summary.read_text()
    assert [j["status"] for j in doc["jobs"]].count("upstream_failed") == 2

    BROKEN.clear()
    CALLS.clear()
    again = run_workflow(cfg, diamond, resume=first.run_id, options={"api_key": "secret-k"}, parallel=parallel)
    ran = [name for name, _ in CALLS]
    if parallel == 1:    # one at a time: the execution order
        assert ran == ["u_bad", "u_after_bad", "u_after_side", "u_join"]
    else:                # u_bad and u_after_side are both ready at once: any order that keeps the edges
        assert sorted(ran) == ["u_after_bad", "u_after_side", "u_bad", "u_join"]
        assert ran.index("u_bad") < ran.index("u_after_bad") and ran[-1] == "u_join"
    assert {j.job: j.status for j in again.jobs} == {
        "u_root": "skipped", "u_bad": "succeeded", "u_side": "skipped", "u_after_bad": "succeeded",
        "u_after_side": "succeeded", "u_join": "succeeded", "u_alone": "skipped"}
    assert again.succeeded and again.resumed_from == first.run_id
    assert dict(CALLS)["u_bad"] == {} and again.run_properties["as_of"] == "2025-01-15"

    CALLS.clear()
    part = run_workflow(cfg, diamond, date="2025-01-16", only=["u_root", "u_side"], parallel=parallel)
    assert [name for name, _ in CALLS] == ["u_root", "u_side"] and part.succeeded
    assert part.status_of("u_join") == "skipped"


BARRIER: list[threading.Barrier] = []
SPANS: dict[str, tuple[float, float]] = {}


def _meet(ctx: JobContext) -> dict[str, Any]:
    """Waits until every job of the fan-out is running: passes only if they really run at once."""
    t0 = time.monotonic()
    BARRIER[0].wait()
    SPANS[ctx.job.name] = (t0, time.monotonic())
    return {"inserted": 1, "reconciled": True}


def _timed(ctx: JobContext) -> dict[str, Any]:
    SPANS[ctx.job.name] = (time.monotonic(), time.monotonic())
    return {"inserted": 1, "reconciled": True}


def test_parallel_run_starts_a_fan_out_together_and_keeps_every_edge(extra_jobs: list[str], tmp_path: Path) -> None:
    """p_root -> three p_fan jobs (each waits for the other two) -> p_join; p_tail after p_join."""
    register_workflow(Workflow("ptest", "a fan-out", schedule=None))
    try:
        spec = dict(layer="meta", workflow="ptest")
        _register(extra_jobs, name="p_root", inputs=(), outputs=("x:root",), entry=_timed, **spec)
        for i in range(3):
            _register(extra_jobs, name=f"p_fan{i}", inputs=("x:root",), outputs=(f"x:fan{i}",), entry=_meet, **spec)
        _register(extra_jobs, name="p_join", inputs=("x:fan0", "x:fan1", "x:fan2"), outputs=("x:join",),
                  entry=_timed, **spec)
        _register(extra_jobs, name="p_tail", inputs=("x:join",), outputs=(), entry=_timed, **spec)
        BARRIER[:] = [threading.Barrier(3, timeout=20)]
        SPANS.clear()
        run = run_workflow(make_cfg(tmp_path), "ptest", parallel=3)
        assert run.succeeded, [(j.job, j.error) for j in run.jobs]
        assert [j.job for j in run.jobs] == ["p_root", "p_fan0", "p_fan1", "p_fan2", "p_join", "p_tail"]
        deps = dependencies(get_workflow("ptest"))
        for job, preds in deps.items():
            for pred in preds:
                assert SPANS[pred][1] <= SPANS[job][0], f"{job} started before {pred} ended"

        # One at a time, the fan-out cannot meet: each of its jobs fails at the barrier, and p_join waits.
        BARRIER[:] = [threading.Barrier(3, timeout=0.5)]
        one = run_workflow(make_cfg(tmp_path), "ptest", parallel=1)
        status = {j.job: j.status for j in one.jobs}
        assert status == {"p_root": "succeeded", "p_fan0": "failed", "p_fan1": "failed", "p_fan2": "failed",
                          "p_join": "upstream_failed", "p_tail": "upstream_failed"}
    finally:
        unregister_workflow("ptest")


def test_ready_jobs_take_slots_heaviest_first() -> None:
    """The daily fan-out starts silver_plays (4 workers) first, then the jobs with the most tables, so the
    six-table silver_season_stats does not run alone at the end; ties keep the execution order."""
    from cbbd_etl.workflow_runner import start_preference

    order = execution_order(get_workflow("daily"))
    first = start_preference(order)
    assert sorted(first) == sorted(order)
    assert first[0] == "silver_plays"
    assert first.index("silver_season_stats") < first.index("silver_games") < first.index("silver_team_game_stats")
    assert first.index("silver_reference") < first.index("silver_season_stats")   # nine tables before six


def test_no_two_jobs_of_a_declared_workflow_write_one_table_at_once(extra_jobs: list[str]) -> None:
    for wf in all_workflows():
        assert concurrent_writers(wf) == [], wf.name
    # A second job writing silver.games beside silver_games, both after bronze ingestion, is reported.
    _register(extra_jobs, name="silver_games_twin", layer="silver", inputs=("bronze:games",),
              outputs=("silver.games",))
    assert ("silver_games", "silver_games_twin", "silver.games") in concurrent_writers(get_workflow("daily"))


def test_workflow_cli_exit_codes_and_summary_table(diamond: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from cbbd_etl.cli import main

    monkeypatch.setenv("CBBD_ETL__BRONZE__ROOT", str(tmp_path / "bronze"))
    BROKEN.add("u_bad")
    assert main(["workflow", "run", diamond, "--date", "2025-01-15"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^u_after_bad +upstream_failed", out, re.M) and "FAILED" in out
    run_id = out.split(f"workflow {diamond} run ")[1].split(":")[0]
    BROKEN.clear()
    assert main(["workflow", "run", diamond, "--resume", run_id]) == 0
    assert "succeeded in" in capsys.readouterr().out
    assert main(["workflow", "run", diamond, "--date", "2025-02-30"]) == 2
    assert "date '2025-02-30' is not an ISO date" in capsys.readouterr().err
    assert main(["workflow", "run", diamond, "--resume", "nope"]) == 2
    assert main(["workflow", "show", "daily", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["dependencies"]["gold_team_season"] == ["gap_fill"]
