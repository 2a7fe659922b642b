"""`cbbd-etl ingest plays-backfill`: games then plays by day, resumable, faults handled, loaded into silver."""
from __future__ import annotations

import json

import pytest

from cbbd_etl.api.server import FaultPlan, serve_sim
from cbbd_etl.cli import main
from cbbd_etl.sim import simulate_season

pytestmark = pytest.mark.spark


def test_plays_backfill_resumes_and_loads(spark, lake, monkeypatch, capsys) -> None:
    for key, value in {"CBBD_ETL__BRONZE__ROOT": lake.bronze.root, "CBBD_ETL__LAKE__WAREHOUSE": lake.lake.warehouse,
                       "CBBD_ETL__LAKE__CATALOG_NAME": lake.lake.catalog_name,
                       "CBBD_ETL__API__BACKOFF_BASE_SECONDS": "0.01", "CBBD_ETL__API__BACKOFF_MAX_SECONDS": "0.05",
                       "CBBD_ETL__API__REQUESTS_PER_SECOND": "50"}.items():
        monkeypatch.setenv(key, value)
    faults = FaultPlan.parse("429=0.2,5xx=0.2,seed=5,retry_after=0")
    with serve_sim(season=2024, size="tiny", seed=3, faults=faults, realism=False) as server:
        monkeypatch.setenv("CBBD_API_KEY", server.api_key)
        args = ["ingest", "plays-backfill", "--seasons", "2024", "--base-url", server.url, "--no-progress"]
        assert main(args + ["--load"]) == 0
        out = capsys.readouterr().out
        summary = json.loads(out[:out.rindex("}\n{") + 1] if "}\n{" in out else out)
        assert summary["retries"] > 0 and summary["failures"] == 0
        loaded = json.loads(out.strip().splitlines()[-1])
        assert loaded["reconciled"] and loaded["inserted"] == len(simulate_season(2024, "tiny", 3).records("plays_date"))
        assert main(args) == 0                                   # again: every request is already in bronze
        again = json.loads(capsys.readouterr().out)
        assert again["calls"] == 0 and again["skipped"] == summary["planned"]
