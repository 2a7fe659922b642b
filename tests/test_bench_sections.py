"""``make bench --skip``: every section it names is honoured, and a report without the full season says so.

``--skip full`` used to be accepted and ignored (the full season ran anyway); the incremental day alone is
what a change to the daily chain needs measured again (~20 of the bench's ~28 minutes on 2 cores).
"""
from __future__ import annotations

from types import ModuleType

import pytest

import bench_scripts


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return bench_scripts.load("bench")


def test_skipping_the_full_season_needs_the_sections_that_run_in_its_lake_skipped(bench: ModuleType,
                                                                                   capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        bench.main(["--skip", "full,noop", "--out", "/nonexistent"])
    assert stop.value.code == 2
    assert "--skip full needs duckdb, plays skipped too" in capsys.readouterr().err


def test_a_report_of_the_incremental_day_alone(bench: ModuleType) -> None:
    stages = {"silver_games": 12.0, "gold_team_season": 9.0}
    results = {"started_at": "2026-12-07T00:00:00+00:00",
               "machine": {"cores": 2, "memory_gb": 23.5, "platform": "Linux"},
               "stages": {}, "incremental_day_seconds_1_season": 50.0, "incremental_day_seconds_3_seasons": 55.0,
               "incremental_ratio": 1.1, "incremental_day_stages_1": stages,
               "glue_daily": bench.glue_bill(stages)}
    md = bench.render_md(results)
    assert "| `full_season_seconds` | not measured | <= 240 |  |" in md
    assert "| `incremental_day_seconds_1_season` | 50.0 | <= 60 | yes |" in md
    assert "## Full season, per stage" not in md
    assert f"a daily run (the incremental day's stages): ${results['glue_daily']['total_usd']}" in md
    assert "a 2010-2026 backfill (17 x the full season's stages): not measured" in md
