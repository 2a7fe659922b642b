"""Gap-fill end to end: a server that withholds data → audit names exactly those games → one gap-fill
run closes every gap with no more calls than missing units → a second run makes 0 calls and changes nothing."""
from __future__ import annotations

import datetime as dt
import os

from pathlib import Path

import pytest

from cbbd_etl.api.server import serve_sim
from cbbd_etl.bronze.ingest import ingest_endpoints
from cbbd_etl.gap_fill import Unit, plan_calls
from cbbd_etl.iceberg import snapshot_ids
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.sim import simulate_season

pytestmark = pytest.mark.spark

# The local server answers at once: no need for the real API's 3 requests/s, and a demo season with
# per-game lineups needs more calls than the free tier's monthly budget.
FAST_LOCAL_API = {"api.requests_per_second": 50.0, "api.max_concurrency": 4, "api.monthly_call_budget": 100_000}

SEASON, SEED = 2024, 11
SIZE = os.environ.get("CBBD_TEST_SEASON_SIZE", "tiny")   # "demo" for the full demonstration
ENDPOINTS = ["games", "games_teams", "games_players", "plays_date", "substitutions_team", "lineups_game", "lines"]
SILVER_JOBS = ["silver_games", "silver_team_game_stats", "silver_player_game_stats", "silver_plays",
               "silver_rotations", "silver_game_context"]
WITHHELD = {"plays": ("plays_date", 0.15), "box_scores": ("games_teams", 0.10), "lineups": ("lineups_game", 0.10)}
DATASETS_OF = {"plays": ["plays"], "box_scores": ["team_box_scores", "player_box_scores"], "lineups": ["lineups"]}


def test_plan_never_costs_more_calls_than_units() -> None:
    units = [Unit("plays", 2024, g, "2024-01-10") for g in (1, 2, 3)] + [Unit("plays", 2024, 4, "2024-01-11"),
             Unit("lineups", 2024, 5, "2024-01-10"), Unit("lineups", 2024, 6, "2024-01-10"),
             Unit("team_box_scores", 2024, 7, "2024-01-12")]
    calls, deferred = plan_calls(units)
    assert [c.slug for c in calls] == ["lineups_game", "lineups_game", "plays_date", "plays_game", "games_teams"]
    assert not deferred and len(calls) <= len(units)
    capped, left = plan_calls(units, max_calls=2)
    assert len(capped) == 2 and {u.game_id for u in left} == {1, 2, 3, 4, 7}


def test_settled_lines_are_answered_by_a_covering_response_fetched_after_the_game(tmp_path: Path) -> None:
    """Lines close at tip-off: a game absent from an uncapped /lines response over its date, fetched two or
    more days after it, has no lines to ask for. Anything less is asked."""
    from cbbd_etl.bronze.store import BronzeStore, manifest_prefix
    from cbbd_etl.gap_fill import answered_by_bronze
    from conftest import make_cfg

    cfg = make_cfg(tmp_path)
    store = BronzeStore.for_root(cfg.bronze.root)

    def manifest(name: str, slug: str, lo: str, hi: str, fetched: str, **extra: object) -> None:
        params = {"date": lo} if slug == "plays_date" else {"startDateRange": f"{lo}T00:00:00Z",
                                                            "endDateRange": f"{hi}T23:59:59.999Z"}
        store.put_json(f"{manifest_prefix(slug, 2024)}{name}.json",
                       {"data_key": f"{slug}/season=2024/{name}.json.gz", "params": params,
                        "fetched_at": f"{fetched}T12:00:00.000Z", "slug": slug, **extra})

    manifest("jan", "lines", "2024-01-01", "2024-01-31", "2024-02-15")
    manifest("feb", "lines", "2024-02-01", "2024-02-28", "2024-02-20", saturated=True)   # cut short by the cap
    manifest("mar", "lines", "2024-03-01", "2024-03-31", "2024-03-11")
    manifest("plays", "plays_date", "2024-01-10", "2024-01-10", "2024-02-15")
    # A daily run as of 2024-04-20 (a simulated day, fetched years later): the answer describes its as-of day.
    manifest("apr", "lines", "2024-04-10", "2024-04-30", "2026-12-02", as_of="2024-04-20")
    units = [Unit("lines", 2024, 1, "2024-01-10"),      # covered, fetched a month later: answered
             Unit("lines", 2024, 2, "2024-02-05"),      # only a saturated response covers it
             Unit("lines", 2024, 3, "2024-03-10"),      # fetched the next day: maybe before tip-off
             Unit("lines", 2024, 4, "2024-03-09"),      # fetched two days later: answered
             Unit("lines", 2024, 5, "2024-04-02"),      # no response covers it
             Unit("lines", 2024, 6, ""),                # no date known
             Unit("lines", 2024, 8, "2024-04-18"),      # two days before the as-of day: answered
             Unit("lines", 2024, 9, "2024-04-19"),      # the day before the as-of day: asked
             Unit("plays", 2024, 7, "2024-01-10")]      # plays can arrive late: always asked
    assert sorted(u.game_id for u in answered_by_bronze(cfg, units)) == [1, 4, 8]
    assert answered_by_bronze(cfg, [u for u in units if u.dataset == "plays"]) == []


def _audit(spark, cfg, label: str) -> dict[str, list[int]]:
    report = run_job(make_context("audit_completeness", cfg, spark=spark, season=SEASON,
                                  options={"report_name": f"completeness-{label}"}))
    assert Path(report["heatmap"]).read_bytes()[:4] == b"\x89PNG" and report["consistent"], report
    rows = spark.table(cfg.table("meta.completeness")).where(f"season = {SEASON} AND final_games IS NOT NULL")
    return {r["dataset"]: list(r["missing_game_ids"] or []) for r in rows.collect()}


def test_withheld_games_are_found_filled_once_and_never_asked_again(spark, lake) -> None:
    lake = lake.replace(**FAST_LOCAL_API)
    sim = simulate_season(SEASON, SIZE, SEED)
    final_ids = sorted(g["id"] for g in sim.records("games") if g["status"] == "final")
    with serve_sim(season=SEASON, size=SIZE, seed=SEED, realism=False) as server:
        for name, (_, fraction) in WITHHELD.items():
            server.faults.withhold(name, fraction)
        expected = {name: sorted(server.faults.withheld_ids(slug, final_ids)) for name, (slug, _) in WITHHELD.items()}
        assert all(expected.values()), expected     # the seed withholds something from every group
        summary = ingest_endpoints(lake, [SEASON], ENDPOINTS, base_url=server.url, api_key=server.api_key,
                                   progress=False)
        assert not summary.failures and not summary.budget_exhausted
        for job in SILVER_JOBS:
            assert run_job(make_context(job, lake, spark=spark, season=SEASON))["reconciled"]

        missing = _audit(spark, lake, "before")
        for name, datasets in DATASETS_OF.items():
            for d in datasets:
                assert missing[d] == expected[name], d
        assert missing["substitutions"] == []
        # Books did not post lines for every game: those gaps are real, the API will answer them empty.
        lines_gaps = len(missing["lines"])
        units = sum(len(v) for v in missing.values())

        server.faults.release()
        options = {"base_url": server.url, "api_key": server.api_key}
        first = run_job(make_context("gap_fill", lake, spark=spark, season=SEASON, options=options))
        print("gap-fill first run:", {k: first.get(k) for k in ("missing_units", "units", "planned_calls", "calls",
                                                              "filled_units", "empty_units", "seconds")})
        assert first["missing_units"] == units, first
        assert 0 < first["calls"] <= units, first
        assert first["filled_units"] == units - lines_gaps and first["empty_units"] == lines_gaps, first
        # The games without lines were absent from /lines responses fetched after they were played: no call.
        assert lines_gaps and first["answered_by_bronze"] == lines_gaps, first
        assert first["calls"] <= units - lines_gaps, first
        assert first["reconciled"], first
        after = _audit(spark, lake, "after")
        before_md = (Path(lake.bronze.root).parent / "reports" / "completeness-before.md").read_text()
        after_md = (Path(lake.bronze.root).parent / "reports" / "completeness-after.md").read_text()
        assert "## Missing games" in before_md and "plays:" in before_md
        assert "plays:" not in after_md and "| 100.0 | 100.0 | 100.0 | 100.0 | 100.0 |" in after_md
        assert all(after[d] == [] for d in after if d != "lines"), after
        assert after["lines"] == missing["lines"]

        tables = [lake.table(t) for t in ("silver.plays", "silver.team_game_stats", "silver.player_game_stats",
                                           "silver.game_lineups", "silver.game_lines", "meta.gap_fill_log")]
        snaps = {t: snapshot_ids(spark, t) for t in tables}
        second = run_job(make_context("gap_fill", lake, spark=spark, season=SEASON, options=options))
        print("gap-fill second run:", {k: second.get(k) for k in ("missing_units", "remembered_empty", "calls")})
        assert second["calls"] == 0, second
        assert second["remembered_empty"] == lines_gaps and second["missing_units"] == lines_gaps
        assert {t: snapshot_ids(spark, t) for t in tables} == snaps
        # After the re-check period (7 days by default) the games are due again; lines are settled at tip-off,
        # and the season's /lines responses were fetched long after these games: bronze answers, no call.
        later = run_job(make_context("gap_fill", lake, spark=spark, season=SEASON,
                                     options={**options, "dry_run": True,
                                              "as_of": dt.date.today() + dt.timedelta(days=8)}))
        assert later["remembered_empty"] == 0 and later["answered_by_bronze"] == lines_gaps, later
        assert later["planned_calls"] == 0, later
