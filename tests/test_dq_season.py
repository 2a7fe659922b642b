"""A tiny simulated season through bronze and the silver jobs: every rule passes; 14 seeded defects each
fail exactly their own rule, with the defect's keys.

The lake is built from the simulator's records with the real silver and gold transforms (written straight
to Iceberg, see ``_build_lake``), and corrupted with SQL on the Iceberg tables. Expected failing keys are chosen by the test (ids of the simulator's records),
never computed by the code under test.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from cbbd_etl.dq.job import run_data_quality
from cbbd_etl.dq.report import failed_rule_ids, summary_text
from cbbd_etl.gold.team_season import team_season
from cbbd_etl.iceberg import conform, ensure_table, with_row_hash
from cbbd_etl.silver import games as silver_games
from cbbd_etl.silver import team_game_stats
from cbbd_etl.silver.endpoint_tables import get_endpoint_table
from cbbd_etl.silver.endpoint_transform import transform as endpoint_transform
from cbbd_etl.sim import simulate_season
from cbbd_etl.tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SEASON, SIZE, SEED = 2024, "tiny", 5
FETCHED_AT = "2024-04-20T12:00:00Z"
AS_OF = dt.date(2024, 4, 21)            # the day after the (simulated) ingest
GAMES = 14                               # the season's first games: enough for one defect each, seconds to load
# silver table <- simulator endpoint whose records feed it (the silver jobs' sources)
ENDPOINT_FED = {"silver.player_game_stats": "games_players", "silver.plays": "plays_game",
                "silver.game_lines": "lines", "silver.substitutions": "substitutions_game",
                "silver.lineups": "lineups_team"}


def _records(slug: str) -> list[dict[str, Any]]:
    """The simulator's records of the first ``GAMES`` games (all records of endpoints without a game)."""
    records = simulate_season(SEASON, SIZE, SEED).records(slug)
    keep = {g["id"] for g in simulate_season(SEASON, SIZE, SEED).records("games")[:GAMES]}
    return [r for r in records if r.get("gameId", r.get("id")) in keep] if slug != "lineups_team" else records


def _raw(spark: Any, records: list[dict[str, Any]], read_ddl: str) -> Any:
    """API records as the bronze reader hands them to a transform (parsed with the read schema + lineage)."""
    from pyspark.sql import functions as F

    text = spark.createDataFrame([(json.dumps(r),) for r in records], "value STRING")
    return (text.select(F.from_json("value", read_ddl).alias("r")).select("r.*")
            .withColumn("_ingested_at", F.to_timestamp(F.lit(FETCHED_AT)))
            .withColumn("_source_file", F.lit("sim")).withColumn("_run_id", F.lit("sim"))
            .withColumn("_season", F.lit(SEASON)).withColumn("_params", F.lit("{}")))


def _write(spark: Any, cfg: Any, spec: Any, df: Any) -> None:
    ident = ensure_table(spark, cfg, spec)
    with_row_hash(conform(df, spec), spec).writeTo(ident).append()


def _build_lake(spark: Any, cfg: Any) -> None:
    """The simulator's records through the real silver transforms and the gold transform, into Iceberg.

    (Bronze files, quarantine and MERGE are the silver jobs' own tests; skipping them keeps this test
    to seconds on a shared machine.)
    """
    from pyspark.sql import functions as F

    _write(spark, cfg, SILVER_GAMES, silver_games.to_silver(_raw(spark, _records("games"), silver_games.API_SCHEMA)))
    _write(spark, cfg, SILVER_TEAM_GAME_STATS, team_game_stats.to_silver(
        _raw(spark, _records("games_teams"), team_game_stats.source().api_schema)))
    for table, slug in ENDPOINT_FED.items():
        et = get_endpoint_table(table)
        _write(spark, cfg, et.spec, endpoint_transform(et, _raw(spark, _records(slug), et.read_ddl)))
    games = spark.table(cfg.table("silver.games"))
    profile = team_season(spark.table(cfg.table("silver.team_game_stats")), games)
    _write(spark, cfg, GOLD_TEAM_SEASON, profile.withColumn("_ingested_at", F.to_timestamp(F.lit(FETCHED_AT))))


def _insert_copy(spark: Any, ident: str, where: str, **values: Any) -> None:
    """Append a copy of one stored row with some columns changed (how an orphan or a null id is seeded)."""
    from pyspark.sql import functions as F

    row = spark.table(ident).where(where).limit(1)
    for col, value in values.items():
        row = row.withColumn(col, F.lit(value).cast(row.schema[col].dataType))
    row.writeTo(ident).append()


def _results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rule_id"]: r for r in report["results"]}


def test_clean_season_passes_and_each_seeded_defect_fails_its_own_rule(spark: Any, lake: Any) -> None:
    _build_lake(spark, lake)
    sim = simulate_season(SEASON, SIZE, SEED)
    t = lake.table

    clean = run_data_quality(spark, lake, SEASON, "run-clean", as_of=AS_OF)
    assert clean["reconciled"], summary_text(clean)
    assert clean["failed"] == 0, summary_text(clean)
    evaluated = {rid for rid, r in _results(clean).items() if r["status"] == "passed"}
    # Every table the lake holds was checked, the cross-table reconciliations included.
    for rid in ("silver.plays:five_on_floor_per_team", "silver.plays:last_play_score_equals_final_score",
                "silver.player_game_stats:player_points_sum_to_team_points",
                "silver.team_game_stats:team_points_equal_game_score", "silver.game_lines:game_exists",
                "silver.lineups:five_athletes", "gold.team_season:wins_plus_losses_equal_games",
                "silver.games:ingest_is_fresh"):
        assert rid in evaluated, rid
    assert len(evaluated) > 150
    written = spark.sql(f"SELECT status, COUNT(*) AS n FROM {t('meta.dq_results')} WHERE run_id = 'run-clean' "
                        "GROUP BY status").collect()
    assert {r["status"]: r["n"] for r in written}.get("failed", 0) == 0
    assert sum(r["n"] for r in written) == clean["rules"]

    # ---- seed the defects (ids picked from the simulator's records) -----------------------------------------
    games = _records("games")
    g = [x["id"] for x in games]
    boxes = {(r["gameId"], r["teamId"]): r for r in _records("games_players")}
    plays = _records("plays_game")
    plays_of = {}
    for p in plays:
        plays_of.setdefault(p["gameId"], []).append(p)
    mid_play = plays_of[g[0]][40]["id"]
    home_name = games[4]["homeTeam"]
    six_play = plays_of[g[4]][25]["id"]
    last_play = max(plays_of[g[9]], key=lambda p: (p["period"], -p["secondsRemaining"], p["id"]))["id"]
    enum_play = plays_of[g[11]][3]["id"]
    season_play = plays_of[g[12]][5]["id"]
    line = _records("lines")[0]
    provider = line["lines"][0]["provider"]
    lineup_hash = sim.records("lineups_team")[0]["idHash"]

    def box(game: int, side: str) -> tuple[int, int, int]:
        team = next(x for x in games if x["id"] == game)[f"{side}TeamId"]
        return game, team, boxes[(game, team)]["players"][0]["athleteId"]

    g2, t2, a2 = box(g[1], "home")
    g3, t3, a3 = box(g[2], "away")
    g6, t6, a6 = box(g[5], "home")
    g12, t12, _ = box(g[7], "away")
    g13, t13, _ = box(g[8], "home")
    sql = spark.sql
    sql(f"INSERT INTO {t('silver.plays')} SELECT * FROM {t('silver.plays')} WHERE play_id = {mid_play}")
    sql(f"UPDATE {t('silver.team_game_stats')} SET team_points = team_points + 2 WHERE game_id = {g2} AND team_id = {t2}")
    sql(f"UPDATE {t('silver.player_game_stats')} SET points = points + 2 "
        f"WHERE game_id = {g2} AND team_id = {t2} AND athlete_id = {a2}")
    sql(f"UPDATE {t('silver.player_game_stats')} SET points = points + 3 "
        f"WHERE game_id = {g3} AND team_id = {t3} AND athlete_id = {a3}")
    _insert_copy(spark, t("silver.plays"), f"play_id = {mid_play}", play_id=999000001, game_id=999999)
    _insert_copy(spark, t("silver.plays"), f"play_id = {mid_play}", play_id=999000002, game_id=None)
    sql(f"UPDATE {t('silver.player_game_stats')} SET minutes = -5 "
        f"WHERE game_id = {g6} AND team_id = {t6} AND athlete_id = {a6}")
    sql(f"UPDATE {t('silver.games')} SET game_date = DATE'2024-05-21' WHERE game_id = {g[6]}")
    sql(f"UPDATE {t('silver.plays')} SET on_floor = concat(on_floor, "
        f"array(named_struct('team', '{home_name}', 'name', 'Extra Player', 'id', CAST(99999 AS BIGINT)))) "
        f"WHERE play_id = {six_play}")
    _insert_copy(spark, t("silver.game_lines"), f"game_id = {line['gameId']} AND provider = '{provider}'",
                 game_id=888888)
    sql(f"UPDATE {t('silver.plays')} SET home_score = home_score + 4 WHERE play_id = {last_play}")
    sql(f"UPDATE {t('silver.plays')} SET season_type = 'exhibition' WHERE play_id = {enum_play}")
    sql(f"UPDATE {t('silver.plays')} SET season = 1999 WHERE play_id = {season_play}")
    sql(f"UPDATE {t('silver.team_game_stats')} SET team_oreb = -1 WHERE game_id = {g12} AND team_id = {t12}")
    sql(f"INSERT INTO {t('silver.team_game_stats')} SELECT * FROM {t('silver.team_game_stats')} "
        f"WHERE game_id = {g13} AND team_id = {t13}")
    sql(f"UPDATE {t('silver.lineups')} SET athletes = concat(athletes, "
        f"array(named_struct('name', 'Extra Player', 'id', CAST(99999 AS BIGINT)))) WHERE id_hash = '{lineup_hash}'")

    expected = {
        "silver.plays:primary_key": [f"play_id={mid_play}"],
        "silver.team_game_stats:team_points_equal_game_score": [f"game_id={g2},team_id={t2}"],
        "silver.player_game_stats:player_points_sum_to_team_points": [f"game_id={g3},team_id={t3}"],
        "silver.plays:game_exists": ["play_id=999000001,game_id=999999"],
        "silver.plays:complete_game_id": ["play_id=999000002"],
        "silver.player_game_stats:minutes_in_range": [f"game_id={g6},team_id={t6},athlete_id={a6}"],
        "silver.games:final_game_not_in_future": [f"game_id={g[6]}"],
        "silver.plays:five_on_floor_per_team": [f"play_id={six_play},team={home_name}"],
        "silver.game_lines:game_exists": [f"game_id=888888,provider={provider}"],
        "silver.plays:last_play_score_equals_final_score": [f"game_id={g[9]}"],
        "silver.plays:accepted_season_type": [f"play_id={enum_play}"],
        "silver.plays:season_in_range": [f"play_id={season_play}"],
        "silver.team_game_stats:non_negative_team_oreb": [f"game_id={g12},team_id={t12}"],
        "silver.team_game_stats:primary_key": [f"game_id={g13},team_id={t13}"],
        "silver.lineups:five_athletes": [f"season={SEASON},team_id={sim.records('lineups_team')[0]['teamId']},"
                                         f"id_hash={lineup_hash}"],
    }
    # All seasons: the play moved to season 1999 must be seen.
    dirty = run_data_quality(spark, lake, None, "run-dirty", as_of=AS_OF)
    got = _results(dirty)
    assert failed_rule_ids(dirty) == set(expected), summary_text(dirty)
    for rid, keys in expected.items():
        assert got[rid]["sample_failing_keys"] == keys, (rid, got[rid])
        assert got[rid]["failing_count"] == 1, (rid, got[rid])
    assert not dirty["reconciled"] and dirty["failed_errors"] == len(expected)
    stored = spark.sql(f"SELECT rule_id, failing_count, sample_failing_keys FROM {t('meta.dq_results')} "
                       "WHERE run_id = 'run-dirty' AND status = 'failed'").collect()
    assert {r["rule_id"]: list(r["sample_failing_keys"]) for r in stored} == expected
