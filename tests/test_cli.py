"""Bad input never shows a traceback: exit code 2 and one clear line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "cbbd_etl", *args], capture_output=True, text=True, cwd=REPO,
                          env=full_env, timeout=120)


@pytest.mark.parametrize(
    "args, env, expected",
    [
        (["run", "no_such_job"], {}, "unknown job 'no_such_job'"),
        (["run", "gold_team_season", "--season", "1999"], {}, "season 1999 is outside the supported range"),
        (["run", "gold_team_season", "--season", "twenty"], {}, "season 'twenty' is not a year"),
        (["run", "bronze_ingest", "--date", "2024-13-45"], {}, "date '2024-13-45' is not an ISO date"),
        (["run", "gold_team_season", "--seasn", "2024"], {}, "unknown argument --seasn"),
        (["run", "bronze_ingest", "--mode", "daily"], {}, "--mode: 'daily' is not one of backfill, incremental"),
        (["workflow", "run", "nightly"], {}, "unknown workflow 'nightly'"),
        (["workflow", "show", "daily", "--jsn"], {}, "unrecognized arguments: --jsn"),
        (["jobs"], {"CBBD_ETL__SPARK__SHUFFLE_PARTITIONS": "zero"}, "spark.shuffle_partitions: expected an integer"),
        (["jobs"], {"CBBD_ETL__LAKE__CATALOG_TYPE": "hive"}, "lake.catalog_type: must be 'hadoop' or 'glue'"),
        (["--profile", "prod", "jobs"], {}, "profile: must be one of"),
        (["jobs", "--check", "nope"], {}, "unknown job 'nope'"),
        (["frobnicate"], {}, "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_exit_2_one_line(args: list[str], env: dict[str, str], expected: str) -> None:
    res = cli(*args, env=env)
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert expected in lines[0]
    assert "Traceback" not in res.stderr


def test_jobs_lists_registry() -> None:
    res = cli("jobs")
    assert res.returncode == 0
    assert "gold_team_season" in res.stdout and "silver_games" in res.stdout


def test_glue_entry_bad_season_exits_2() -> None:
    res = subprocess.run([sys.executable, str(REPO / "glue_scripts" / "gold_team_season.py"), "--season", "1800"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 2
    assert "season 1800 is outside" in res.stderr
    assert "Traceback" not in res.stderr


def test_plugins_skip_missing_modules_but_surface_broken_ones(tmp_path: Path) -> None:
    from cbbd_etl.cli import PLUGIN_MODULES, _plugins

    assert PLUGIN_MODULES[0] == "cbbd_etl.api.cli" and "cbbd_etl.dq.cli" in PLUGIN_MODULES
    (tmp_path / "h1_plugin_ok.py").write_text("def register(sub):\n    sub.add_parser('hello')\n")
    (tmp_path / "h1_plugin_broken.py").write_text("import h1_no_such_dependency\n\ndef register(sub):\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        found = _plugins(("h1_plugin_ok", "h1_absent_package.cli", "h1_absent_module"))
        assert [f.__module__ for f in found] == ["h1_plugin_ok"]
        with pytest.raises(ImportError, match="h1_no_such_dependency"):
            _plugins(("h1_plugin_broken",))
    finally:
        sys.path.remove(str(tmp_path))
