"""A whole simulated season through the API server, bronze and every silver job, reconciled to the simulator.

Size: ``tiny`` by default (part of every run); ``CBBD_TEST_SEASON_SIZE=demo`` runs the demo season
(64 teams, ~285,000 plays), as recorded in the issue notes.
"""
from __future__ import annotations

import os
from typing import Any

import pytest

from cbbd_etl.api.endpoints import default_endpoints, slug_of
from cbbd_etl.api.server import serve_sim
from cbbd_etl.bronze.ingest import ingest_endpoints
from cbbd_etl.iceberg import snapshot_ids
from cbbd_etl.registry import JOBS
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.silver.endpoint_tables import ENDPOINT_TABLES, EndpointTable
from cbbd_etl.spark import map_concurrently
from cbbd_etl.sim import simulate_season

pytestmark = pytest.mark.spark

# The local server answers at once: no need for the real API's 3 requests/s, and a demo season with
# per-game lineups needs more calls than the free tier's monthly budget.
FAST_LOCAL_API = {"api.requests_per_second": 50.0, "api.max_concurrency": 4, "api.monthly_call_budget": 100_000}

SEASON, SEED = 2024, 5
SIZE = os.environ.get("CBBD_TEST_SEASON_SIZE", "tiny")
SILVER_JOBS = [j.name for j in JOBS if j.layer == "silver"]


def _dig(record: Any, path: str) -> Any:
    node = record
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def expected_keys(table: EndpointTable, records: list[dict[str, Any]], season: int) -> set[tuple]:
    """Distinct natural keys the simulator's records should produce in ``table``."""
    paths = {c.name: c.api_path for c in table.columns}
    keys = set()
    for rec in records:
        elements = (rec.get(table.explode) or []) if table.explode else [None]
        for el in elements:
            key = []
            for k in table.keys:
                if k == "season" and k not in paths:
                    key.append(season)
                    continue
                path = paths[k]
                value = _dig(el, path[4:]) if path.startswith("_el.") else _dig(rec, path)
                if k == "season" and table.season_from not in (None, "season", "manifest"):
                    value = _dig(rec, table.season_from)
                key.append(value)
            keys.add(tuple(key))
    return keys


def test_season_through_silver_reconciles_with_the_simulator(spark, lake) -> None:
    lake = lake.replace(**FAST_LOCAL_API)
    sim = simulate_season(SEASON, SIZE, SEED)
    with serve_sim(season=SEASON, size=SIZE, seed=SEED, realism=False) as server:
        summary = ingest_endpoints(lake, [SEASON], None, base_url=server.url, api_key=server.api_key,
                                   progress=False)
    assert not summary.failures and not summary.budget_exhausted
    reports = {}
    # Two silver jobs at a time in the one session, as the daily workflow's local runner runs them (they depend
    # on bronze only): a job's driver-side work then overlaps the other's tasks.
    loads = map_concurrently(spark, lambda job: run_job(make_context(job, lake, spark=spark, season=SEASON)),
                             SILVER_JOBS, 2)
    for report in loads:
        assert report["reconciled"], report
        for r in report.get("tables", [report]):
            reports[r["table"]] = r
    # The live scoreboard is fetched by incremental runs only; every other default endpoint was fetched.
    fed = {slug for slug, st in summary.to_dict()["per_endpoint"].items() if st["ok"]}
    assert fed == {e.slug for e in default_endpoints()} - {"scoreboard"}
    checked = 0
    for table in ENDPOINT_TABLES:
        slugs = [slug_of(p) for p in table.sources if slug_of(p) in fed]
        if not slugs:
            continue
        records = sim.records(slugs[0])
        records = records if isinstance(records, list) else [records]
        want = expected_keys(table, records, SEASON)
        got = spark.table(lake.table(table.table)).count()
        assert got == len(want), (table.table, got, len(want))
        assert reports[table.table]["quarantined"] == 0, reports[table.table]
        checked += 1
    assert checked >= 25
    assert spark.table(lake.table("silver.games")).count() == len(sim.records("games"))
    assert spark.table(lake.table("silver.team_game_stats")).count() == len(sim.records("games_teams"))
    # Replaying all of bronze changes no table.
    idents = [lake.table(t.table) for t in ENDPOINT_TABLES if spark.catalog.tableExists(lake.table(t.table))]
    before = {i: snapshot_ids(spark, i) for i in idents}
    replays = map_concurrently(spark, lambda job: run_job(make_context(job, lake, spark=spark, season=SEASON,
                                                                       options={"reprocess": True})), SILVER_JOBS, 2)
    assert all(r["reconciled"] for r in replays), replays
    assert {i: snapshot_ids(spark, i) for i in idents} == before
