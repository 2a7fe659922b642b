"""The registry is the one declaration of jobs: everything that names a job must agree with it."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from cbbd_etl.registry import JOBS, WORKFLOWS, get_job, upstream
from cbbd_etl.registry_export import terraform_jobs, terraform_jobs_json
from cbbd_etl.tables import all_tables

REPO = Path(__file__).resolve().parents[1]


def test_every_job_loads_and_is_callable() -> None:
    for job in JOBS:
        fn = job.load()
        assert callable(fn), job.name
        assert job.workflow in WORKFLOWS
        assert job.layer in ("bronze", "silver", "gold", "meta")


def test_each_job_module_lives_in_jobs_dir() -> None:
    modules = {p.stem for p in (REPO / "jobs").glob("*.py") if p.stem != "__init__"}
    declared = {job.entry.split(":")[0].rsplit(".", 1)[1] for job in JOBS}
    assert modules == declared


def test_glue_scripts_match_registry() -> None:
    scripts = {p.stem: p for p in (REPO / "glue_scripts").glob("*.py")}
    assert set(scripts) == {job.name for job in JOBS}
    for name, path in scripts.items():
        tree = ast.parse(path.read_text())
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "run_glue_job"]
        assert len(calls) == 1, name
        assert isinstance(calls[0].args[0], ast.Constant) and calls[0].args[0].value == name


def test_terraform_vars_are_generated_from_registry() -> None:
    path = REPO / "terraform" / "jobs.auto.tfvars.json"
    assert path.read_text() == terraform_jobs_json(), "run: cbbd-etl registry --write terraform/jobs.auto.tfvars.json"
    data = terraform_jobs()["glue_jobs"]
    assert set(data) == {j.name for j in JOBS}
    for name, spec in data.items():
        assert (REPO / spec["script"]).is_file()


def test_makefile_job_targets_ask_the_registry() -> None:
    text = (REPO / "Makefile").read_text()
    assert re.search(r"^job:.*\n\t\$\(PY\) -m cbbd_etl run \$\(JOB\)", text, re.M)
    assert "cbbd_etl jobs --check $(JOB)" in text
    default_job = re.search(r"^JOB \?= (\S+)", text, re.M).group(1)
    get_job(default_job)


def test_declared_tables_have_producers() -> None:
    produced = {t for job in JOBS for t in job.outputs}
    for table in all_tables():
        assert table.name in produced, f"{table.name} is declared but no job writes it"
    for job in JOBS:
        for table in job.inputs + job.outputs:
            if "." in table and not table.startswith(("bronze:", "api:")):
                assert table in {t.name for t in all_tables()}, f"{job.name} names undeclared table {table}"


def test_gold_job_runs_after_its_silver_inputs() -> None:
    """Data edges: the producers of what it reads (gap_fill MERGEs box scores into silver.team_game_stats)."""
    ups = {u.name for u in upstream(get_job("gold_team_season"))}
    assert ups == {"silver_games", "silver_team_game_stats", "gap_fill"}


def test_every_job_declares_typed_params_once() -> None:
    from cbbd_etl.params import COMMON, PARAM_TYPES

    for job in JOBS:
        names = [p.name for p in job.params]
        assert len(names) == len(set(names)), job.name
        assert not set(names) & {p.name for p in COMMON}, job.name
        assert all(p.type in PARAM_TYPES for p in job.params)
        assert job.workflow in WORKFLOWS
    assert get_job("bronze_ingest").param_names[:4] == ("season", "date", "mode", "window_days")


def test_glue_scripts_are_one_line() -> None:
    for job in JOBS:
        body = [line for line in (REPO / job.glue_script).read_text().splitlines()
                if line.strip() and not line.startswith(("\"\"\"", "from ", "if __name__"))]
        assert body == [f'    run_glue_job("{job.name}")'], job.name


def test_cli_lists_exactly_the_registry() -> None:
    out = subprocess.run([sys.executable, "-m", "cbbd_etl", "jobs", "--json"], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert [j["name"] for j in json.loads(out.stdout)] == [j.name for j in JOBS]


def test_readme_lists_every_job() -> None:
    text = (REPO / "README.md").read_text()
    for job in JOBS:
        assert f"| `{job.name}` |" in text, f"README.md job table lacks {job.name}"
