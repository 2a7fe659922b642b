"""The ratings jobs on a tiny simulated season through bronze -> silver -> gold (real Spark + Iceberg)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cbbd_etl.bronze.store import BronzeStore, write_response
from cbbd_etl.gold.cli import evaluate, plot
from cbbd_etl.gold.power_rankings import build_power_rankings
from cbbd_etl.gold.ratings import build_game_features, build_team_ratings_daily
from cbbd_etl.gold.report import format_top25, ratings_vs_truth
from cbbd_etl.gold.team_season import build_team_season
from cbbd_etl.iceberg import snapshot_ids
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.sim import simulate_season

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _bronze(cfg, season: int, size: str = "tiny", seed: int = 3) -> object:
    sim = simulate_season(season, size, seed)
    store = BronzeStore.for_root(cfg.bronze.root)
    for slug, path in (("games", "/games"), ("games_teams", "/games/teams"), ("lines", "/lines")):
        recs = sim.records(slug)
        write_response(store, endpoint=path, slug=slug, path=path, params={"season": str(season)}, season=season,
                       date=None, status=200, body=json.dumps(recs).encode(), record_count=len(recs), run_id="t")
    return sim


def _duckdb_builds_the_same_team_season(cfg, season: int, n_teams: int) -> None:
    """The bench's DuckDB build of gold.team_season from the lake's silver files equals the Spark job's table,
    adjusted ratings included (``make bench`` compares their times, so they must compute the same thing)."""
    import duckdb

    import bench_scripts
    from cbbd_etl.lake_catalog import load_local_table
    from cbbd_etl.tables import GOLD_TEAM_SEASON

    bench = bench_scripts.load("bench")
    target = Path(cfg.lake.warehouse).parent / "duckdb_team_season.parquet"
    con = duckdb.connect()
    files = [bench._data_files(cfg, t) for t in ("silver.games", "silver.team_game_stats")]
    assert bench.duckdb_team_season(con, *files, season, target) == n_teams
    theirs = bench.duckdb_dicts(con, f"SELECT * FROM '{target}'")
    ours = load_local_table(cfg, GOLD_TEAM_SEASON.name).scan(row_filter=f"season = {season}").to_arrow().to_pylist()
    assert all(r["adj_margin"] is not None and r["rank_adj_margin"] is not None for r in theirs)
    assert bench.team_season_differences(ours, theirs, GOLD_TEAM_SEASON.data_columns) == []


def test_ratings_jobs_through_the_lake(spark, lake) -> None:
    sim = _bronze(lake, 2024)
    for job in ("silver_games", "silver_team_game_stats", "silver_game_context"):
        run_job(make_context(job, lake, spark=spark, season=2024))
    daily = build_team_ratings_daily(spark, lake, 2024, "r1")
    n_teams, n_games = len(sim.league.teams), len(sim.games)
    assert daily["teams"] == n_teams and daily["games"] == n_games and daily["with_prior"] is False
    assert daily["inserted"] == daily["rating_dates"] * n_teams
    t = spark.table(lake.table("gold.team_ratings_daily"))
    first = t.agg({"rating_date": "min"}).collect()[0][0]
    assert t.where(f"rating_date = '{first}'").agg({"games_played": "max"}).collect()[0][0] == 0   # nothing before
    ident = lake.table("gold.team_ratings_daily")
    before = snapshot_ids(spark, ident)
    again = build_team_ratings_daily(spark, lake, 2024, "r2")
    assert (again["inserted"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert snapshot_ids(spark, ident) == before

    feats = build_game_features(spark, lake, 2024, "r1")
    assert feats["rows"] == 2 * n_games
    ts = build_team_season(spark, lake, 2024, "r1")
    assert ts["inserted"] == n_teams and ts["team_games_missing_box"] == 0
    _duckdb_builds_the_same_team_season(lake, 2024, n_teams)
    row = spark.table(lake.table("gold.team_season")).orderBy("rank_adj_margin").first()
    assert row["rank_adj_margin"] == 1 and row["adj_margin"] > 0 and row["luck"] == pytest.approx(
        row["win_pct"] - row["pythag_win_pct"])
    pr = build_power_rankings(spark, lake, 2024, "r1")
    assert pr["rows"] > 0
    last = spark.table(lake.table("gold.power_rankings")).agg({"week": "max"}).collect()[0][0]
    flags = {r[0]: r[1] for r in spark.table(lake.table("gold.power_rankings"))
             .groupBy("week").agg({"end_of_season_snapshot": "max"}).collect()}
    assert flags[last] is True and not any(v for w, v in flags.items() if w != last)

    result = evaluate(spark, lake, 2024, dt.date(2023, 12, 1))
    assert result["model"]["games"] > 0 and result["games_with_lines"] > 0
    assert result["consensus_spread"]["rmse"] is not None
    paths = plot(spark, lake, 2024)
    assert all(Path(p).stat().st_size > 10_000 for p in paths) and len(paths) == 2
    check = ratings_vs_truth(spark, lake, 2024, sim.truth)
    print("\n" + format_top25(check) + "\n" + json.dumps(result))
    assert len(check["top25_adjusted"]) == min(25, n_teams)
