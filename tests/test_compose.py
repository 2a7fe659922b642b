"""docker-compose.yml runs a registered job in the Glue 5 image (`make local-job`).

No Docker engine runs here or in CI, so the file is checked statically, and
its shell command is interpolated the way compose does it and then executed
on this machine up to (not including) the Spark run: that proves the staged
layout imports the job module exactly as the wheel on Glue would.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cbbd_etl.config import load_config
from cbbd_etl.registry import get_job
from cbbd_etl.spark import ICEBERG_JAR_ENV

REPO = Path(__file__).resolve().parents[1]
IMAGE = "public.ecr.aws/glue/aws-glue-libs:5"
WORKSPACE = "/home/hadoop/workspace"
RUN_LINE = re.compile(r"exec python3 -m cbbd_etl run \$\{JOB:-(\w+)\} --season \$\{SEASON:-(\d{4})\}\s*$")


@pytest.fixture(scope="module")
def glue() -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    return doc["services"]["glue"]


def _script(service: dict[str, Any]) -> str:
    command = service["command"]
    assert command[0] == "-c" and len(command) == 2, "command must be [-c, script] for `bash -l`"
    return command[1]


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``$$`` is a literal ``$``; ``${VAR:-default}`` / ``${VAR}`` from ``env``."""
    out, i = [], 0
    pattern = re.compile(r"\$\$|\$\{(\w+)(?::-([^}]*))?\}")
    for m in pattern.finditer(text):
        out.append(text[i:m.start()])
        if m.group(0) == "$$":
            out.append("$")
        else:
            value = env.get(m.group(1), "")
            out.append(value if value else (m.group(2) or ""))
        i = m.end()
    out.append(text[i:])
    return "".join(out)


def test_service_runs_the_glue_5_image_as_hadoop(glue: dict[str, Any]) -> None:
    assert glue["image"] == IMAGE
    assert glue["user"] == "hadoop"
    assert glue["working_dir"] == WORKSPACE
    assert f".:{WORKSPACE}" in glue["volumes"]
    assert glue["entrypoint"] == ["bash", "-l"]
    env = glue["environment"]
    assert env["DISABLE_SSL"] == "true"
    # AWS credentials pass through only when set on the host (null = take from the shell).
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert name in env and env[name] is None, name


def test_command_runs_a_registered_job_by_default(glue: dict[str, Any]) -> None:
    last = _script(glue).strip().splitlines()[-1]
    match = RUN_LINE.search(last)
    assert match, f"last line must run the job: {last!r}"
    job, season = match.group(1), int(match.group(2))
    get_job(job)  # raises UserError for a name the registry does not know
    cfg = load_config(profile="local", env={})
    assert cfg.seasons.first <= season <= cfg.seasons.last
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^JOB \?= {job}$", makefile, re.M), "compose and `make local-job` default to the same job"


def test_command_points_spark_at_the_images_iceberg_jar(glue: dict[str, Any]) -> None:
    script = _script(glue)
    assert f"export {ICEBERG_JAR_ENV}=" in script
    assert "/usr/share/aws/iceberg/lib/" in script


def test_staged_layout_matches_the_wheel() -> None:
    """The stage copies jobs/ to cbbd_etl/jobs because setup.py installs it there."""
    setup = (REPO / "setup.py").read_text(encoding="utf-8")
    assert '"cbbd_etl.jobs": "jobs"' in setup


def test_interpolated_command_is_valid_bash(glue: dict[str, Any]) -> None:
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash is not installed")
    script = interpolate(_script(glue), {})
    assert "python3 -m cbbd_etl run gold_team_season --season 2024" in script
    result = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_command_stages_the_working_tree_so_the_job_module_imports(glue: dict[str, Any], tmp_path: Path) -> None:
    """Runs the container's script here, with the final Spark run swapped for loading the job's entry."""
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("bash is not installed")
    job = RUN_LINE.search(_script(glue).strip().splitlines()[-1]).group(1)
    script = interpolate(_script(glue), {})
    probe = ("python3 -c \"import cbbd_etl, sys; from cbbd_etl.registry import get_job; "
             f"get_job('{job}').load(); print(cbbd_etl.__file__)\"")
    script = re.sub(r"exec python3 -m cbbd_etl run .*$", probe, script.rstrip(), flags=re.M)
    shim = tmp_path / "bin"
    shim.mkdir()
    # The container's python3 is this venv's python here (a wrapper: a symlink would leave the venv).
    (shim / "python3").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (shim / "python3").chmod(0o755)
    stage = tmp_path / "stage"
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ.get('PATH', '')}", "CBBD_ETL_STAGE": str(stage)}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([bash, "-c", script], cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(stage)), "cbbd_etl must come from the staged tree, not the venv"
    assert (stage / "cbbd_etl" / "jobs" / f"{job}.py").is_file()
