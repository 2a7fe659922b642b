"""The run contract (issue 9, item 1): typed params declared once, one parser per job, Glue's arguments,
workflow run properties (moto's Glue), precedence explicit > run property > default."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from cbbd_etl.errors import UserError
from cbbd_etl.glue_entry import glue_run_properties, run_glue_job
from cbbd_etl.params import (MODE, Param, build_parser, default_arguments, parse_args, resolve,
                             split_glue_args)
from cbbd_etl.registry import JobSpec, get_job, register_job, unregister_job
from cbbd_etl.runner import JobContext, make_context

from conftest import make_cfg

REPO = Path(__file__).resolve().parents[1]

# What a Glue 5 job run really receives (default arguments + Glue's own + a workflow's ids).
GLUE_ARGV = ["--JOB_ID", "j_abc", "--JOB_RUN_ID", "jr_123", "--JOB_NAME", "cbbd-prod-bronze_ingest",
             "--TempDir", "s3://art/tmp/", "--job-bookmark-option", "job-bookmark-disable",
             "--job-language", "python", "--enable-metrics", "true", "--enable-glue-datacatalog",
             "--enable-continuous-cloudwatch-log", "true", "--extra-py-files", "s3://art/wheels/cbbd_etl.whl",
             "--datalake-formats", "iceberg", "--conf", "spark.a=1 --conf spark.b=2",
             "--additional-python-modules", "matplotlib==3.9.2", "--enable-auto-scaling=true",
             "--WORKFLOW_NAME", "cbbd-prod-daily", "--WORKFLOW_RUN_ID", "wr_1"]


def test_glue_arguments_are_split_off_and_kept() -> None:
    own, glue = split_glue_args(GLUE_ARGV + ["--season", "2024", "--window_days=3", "--reprocess"])
    assert own == ["--season", "2024", "--window_days=3", "--reprocess"]
    assert glue["JOB_RUN_ID"] == "jr_123" and glue["WORKFLOW_RUN_ID"] == "wr_1"
    assert glue["enable-glue-datacatalog"] == "true" and glue["enable-auto-scaling"] == "true"
    assert glue["conf"] == "spark.a=1 --conf spark.b=2"


def test_parser_names_an_unknown_argument_and_takes_no_abbreviation() -> None:
    job = get_job("silver_games")
    with pytest.raises(UserError, match=r"unknown argument --seasn \(takes --season, --reprocess"):
        parse_args(job, ["--seasn", "2024"])
    with pytest.raises(UserError, match="unknown argument --seas"):
        parse_args(job, ["--seas", "2024"])          # argparse would expand it; the contract does not
    with pytest.raises(UserError, match="argument --season: expected one argument"):
        parse_args(job, ["--season"])
    with pytest.raises(UserError, match="unknown argument --mode"):
        parse_args(job, ["--mode", "incremental"])   # silver jobs take no mode


def test_parser_spellings_and_types() -> None:
    job = get_job("bronze_ingest")
    given = parse_args(job, ["--window-days", "3", "--mode=incremental", "--date", "2025-02-10",
                             "--endpoints", "games,games_teams"])
    assert given == {"window_days": "3", "mode": "incremental", "date": "2025-02-10", "endpoints": "games,games_teams"}
    assert parse_args(job, ["--window_days", "4"]) == {"window_days": "4"}
    values = resolve(job, given)
    assert values["window_days"] == 3 and values["mode"] == "incremental"
    assert values["date"] == dt.date(2025, 2, 10) and values["endpoints"] == ["games", "games_teams"]
    assert values["season"] == 2025                  # the season of the as-of date
    assert parse_args(get_job("silver_games"), ["--reprocess"]) == {"reprocess": "true"}
    assert resolve(get_job("silver_games"), {"reprocess": "false"})["reprocess"] is False
    assert "--window-days" in build_parser(job).format_help()


@pytest.mark.parametrize("argv, message", [
    (["--mode", "daily"], "--mode: 'daily' is not one of backfill, incremental"),
    (["--window-days", "0"], "--window_days: must be >= 1, got 0"),
    (["--window-days", "a week"], "--window_days: 'a week' is not an integer"),
    (["--season", "1999"], "season 1999 is outside the supported range 2010-2027"),
    (["--date", "2024-02-30"], "date '2024-02-30' is not an ISO date"),
])
def test_bad_values_name_the_param_and_the_allowed_values(argv: list[str], message: str) -> None:
    job = get_job("bronze_ingest")
    with pytest.raises(UserError) as err:
        resolve(job, parse_args(job, argv))
    assert message in str(err.value)


def test_precedence_explicit_then_run_property_then_default() -> None:
    job = get_job("bronze_ingest")
    props = {"mode": "incremental", "window_days": "5", "season": "2023", "as_of": "2023-03-01"}
    assert resolve(job, {}, {})["mode"] == "backfill" and resolve(job, {}, {})["window_days"] == 7
    by_props = resolve(job, {}, props)
    assert (by_props["mode"], by_props["window_days"], by_props["season"], by_props["date"]) == \
        ("incremental", 5, 2023, dt.date(2023, 3, 1))
    explicit = resolve(job, {"window_days": "2", "season": "2022"}, props)
    assert (explicit["mode"], explicit["window_days"], explicit["season"]) == ("incremental", 2, 2022)
    with pytest.raises(UserError, match="workflow run property window_days: 'x' is not an integer"):
        resolve(job, {}, {"window_days": "x"})
    # Several seasons for a one-season job is an error, never a silent default season.
    with pytest.raises(UserError, match="job silver_games takes one season; start one workflow run per season"):
        resolve(get_job("silver_games"), {}, {"seasons": "2019-2021"}, default_season=2024)
    assert resolve(get_job("audit_completeness"), {}, {"seasons": "2019-2021"})["seasons"] == [2019, 2020, 2021]
    assert resolve(get_job("silver_games"), {"season": "2020"}, {"seasons": "2019-2021"})["season"] == 2020


@pytest.mark.parametrize("as_of, season", [("2025-07-31", 2025), ("2025-08-01", 2026), ("2026-12-01", 2027)])
def test_daily_season_is_the_season_of_the_as_of_date(as_of: str, season: int) -> None:
    """Aug 1 - Jul 31; a silver job (no mode param of its own) follows the workflow's mode run property."""
    props = {"mode": "incremental", "as_of": as_of}
    assert resolve(get_job("bronze_ingest"), {}, props)["season"] == season
    assert resolve(get_job("silver_games"), {}, props, default_season=2024)["season"] == season
    assert resolve(get_job("silver_games"), {}, {"mode": "backfill"}, default_season=2024)["season"] == 2024
    assert resolve(get_job("bronze_ingest"), {"mode": "incremental"}, today=dt.date.fromisoformat(as_of))["season"] \
        == season


def test_make_context_keeps_its_keywords_and_options(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    ctx = make_context("gap_fill", cfg, spark=object(), season=2024,
                       options={"dry_run": True, "api_key": "k", "as_of": dt.date(2024, 3, 9), "max_calls": "9"})
    assert (ctx.season, ctx.seasons, ctx.date) == (2024, [], None)
    assert ctx.options["dry_run"] is True and ctx.options["max_calls"] == 9 and ctx.options["api_key"] == "k"
    assert ctx.options["as_of"] == dt.date(2024, 3, 9) and ctx.options["recheck_days"] == 7
    ctx = make_context("audit_completeness", cfg, spark=object(), seasons="2023-2024")
    assert ctx.seasons == [2023, 2024] and ctx.season is None and ctx.options["report_name"] == "completeness"
    with pytest.raises(UserError, match="job gold_team_season takes --season, not --seasons"):
        make_context("gold_team_season", cfg, spark=object(), seasons="2023-2024")
    with pytest.raises(UserError, match="job maintenance takes no --season"):
        make_context("maintenance", cfg, spark=object(), season=2024)


def test_terraform_default_arguments_come_from_the_declaration() -> None:
    """Only defaults no run property may set go to Glue (a Glue default argument counts as explicit)."""
    assert default_arguments(get_job("bronze_ingest")) == {}
    assert default_arguments(get_job("audit_completeness")) == {"--report_name": "completeness"}
    assert default_arguments(get_job("gap_fill")) == {"--dry_run": "false"}
    assert MODE.property_name == "mode"


def test_a_param_declaration_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="type 'float'"):
        Param("x", "float")
    with pytest.raises(ValueError, match="needs choices"):
        Param("x", "choice")


# --- Glue: run properties through moto, end to end through run_glue_job ------------------------------------
SEEN: list[JobContext] = []


def _probe(ctx: JobContext) -> dict[str, Any]:
    SEEN.append(ctx)
    return {"inserted": 0, "reconciled": True}


@pytest.fixture
def probe_job() -> Iterator[JobSpec]:
    job = register_job(JobSpec(name="probe_params", entry=_probe, description="records its context",
                               layer="meta", inputs=(), outputs=(), workflow="none", uses_spark=False,
                               parameters=("season", "date", "mode", "window_days", "reprocess")))
    SEEN.clear()
    yield job
    unregister_job(job.name)


@pytest.fixture
def glue_client() -> Iterator[Any]:
    moto = pytest.importorskip("moto")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with moto.mock_aws():
            import boto3

            yield boto3.client("glue", region_name="us-east-1")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_workflow_run_properties_reach_the_job_typed(probe_job: JobSpec, glue_client: Any, tmp_path: Path) -> None:
    glue_client.create_workflow(Name="cbbd-prod-daily", DefaultRunProperties={"mode": "incremental",
                                                                              "window_days": "7"})
    run_id = glue_client.start_workflow_run(Name="cbbd-prod-daily")["RunId"]
    glue_client.put_workflow_run_properties(Name="cbbd-prod-daily", RunId=run_id,
                                            RunProperties={"as_of": "2025-11-20", "window_days": "3",
                                                           "unrelated": "x"})
    assert glue_run_properties("cbbd-prod-daily", run_id, client=glue_client)["as_of"] == "2025-11-20"

    argv = [a if a != "wr_1" else run_id for a in GLUE_ARGV] + [
        "--bronze_root", str(tmp_path / "bronze"), "--warehouse", str(tmp_path / "wh"), "--window_days", "2"]
    report = run_glue_job("probe_params", argv,
                          fetch_properties=lambda name, run: glue_run_properties(name, run, client=glue_client))
    ctx = SEEN[-1]
    assert ctx.run_id == "jr_123" and report["run_id"] == "jr_123"
    assert ctx.date == dt.date(2025, 11, 20) and ctx.season == 2026          # season of the as-of date
    assert ctx.options["mode"] == "incremental"                              # from the run property
    assert ctx.options["window_days"] == 2                                   # explicit beats the property
    assert ctx.options["reprocess"] is False                                 # declared default
    assert json.loads((tmp_path / "runs" / "jr_123.json").read_text())["job"] == "probe_params"


def test_unknown_workflow_run_is_one_clear_error(probe_job: JobSpec, glue_client: Any,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_glue_job("probe_params", ["--WORKFLOW_NAME", "nope", "--WORKFLOW_RUN_ID", "wr_x"],
                     fetch_properties=lambda name, run: glue_run_properties(name, run, client=glue_client))
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot read run properties of workflow nope run wr_x" in err[0]


# --- the Glue scripts as Glue runs them ---------------------------------------------------------------------
def _script(name: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CBBD_ETL__BRONZE__ROOT": str(tmp / "bronze"), "CBBD_ETL__LAKE__WAREHOUSE": str(tmp / "wh"),
           "CBBD_ETL__SPARK__SHUFFLE_PARTITIONS": "2"}
    return subprocess.run([sys.executable, str(REPO / "glue_scripts" / f"{name}.py"), *args], capture_output=True,
                          text=True, cwd=tmp, env=env, timeout=300)


def test_glue_script_rejects_a_misspelt_argument(tmp_path: Path) -> None:
    res = _script("silver_games", "--JOB_ID", "j", "--JOB_RUN_ID", "r", "--seasn", "2024", tmp=tmp_path)
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown argument --seasn" in lines[0] and "Traceback" not in res.stderr


@pytest.mark.slow
def test_glue_script_runs_on_an_empty_bronze_root(tmp_path: Path) -> None:
    res = _script("silver_games", "--JOB_ID", "j", "--JOB_RUN_ID", "r", "--season", "2024",
                  "--enable-metrics", "true", "--TempDir", "s3://x/tmp/", tmp=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["run_id"] == "r" and report["season"] == 2024 and report["bronze_files"] == 0
    assert report["inserted"] == 0 and report["reconciled"] is True
