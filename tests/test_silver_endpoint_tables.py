"""The generic endpoint-table transform on real Spark: flattening, explode, arrays, timestamps, enums, context."""
from __future__ import annotations

import datetime as dt

import pytest
from chispa import assert_df_equality

from bronze_fixtures import write_response
from cbbd_etl.bronze_access import bronze_files
from cbbd_etl.silver.api_models import field_names, flat_columns, snake
from cbbd_etl.silver.bronze_reader import read_json_records
from cbbd_etl.silver.endpoint_tables import ENDPOINT_TABLES, get_endpoint_table
from cbbd_etl.silver.endpoint_transform import silver_source
from cbbd_etl.silver.quarantine import split_valid

pytestmark = pytest.mark.spark


def _raw(spark, cfg, table: str, season: int | None = 2024):
    src = silver_source(get_endpoint_table(table))
    files = []
    for slug in src.slugs:
        files += bronze_files(cfg, slug, season)[0]
    return src, read_json_records(spark, files, src.api_schema, response=src.response, known_keys=src.api_columns)


def test_snake_case_names() -> None:
    assert snake("effectiveFieldGoalPct") == "effective_field_goal_pct"
    assert snake("PORPAG") == "porpag"
    assert snake("subIn") == "sub_in"
    subs = {c.name: c.api_path for c in flat_columns("PlayerSubsititution")}
    assert subs["sub_in_period"] == "subIn.period"
    assert subs["sub_out_seconds_remaining"] == "subOut.secondsRemaining"


def test_every_table_declares_keys_that_exist_and_reads_its_model() -> None:
    for t in ENDPOINT_TABLES:
        spec = t.spec
        assert set(t.keys) <= set(spec.data_columns), t.table
        assert t.read_ddl.startswith("`"), t.table
        assert field_names(t.model), t.table


def test_player_box_scores_explode_one_row_per_player(spark, lake) -> None:
    rec = {"gameId": 11, "season": 2024, "seasonType": "regular", "startDate": "2024-01-10T01:00:00.000Z",
           "teamId": 5, "team": "Five", "opponentId": 6, "isHome": True,
           "players": [{"athleteId": 100, "name": "A", "starter": True, "minutes": 31, "points": 20,
                        "fieldGoals": {"made": 8, "attempted": 15, "pct": 53.3}},
                       {"athleteId": 101, "name": "B", "starter": False, "minutes": 9, "points": 2,
                        "fieldGoals": {"made": 1, "attempted": 4, "pct": 25.0}}]}
    write_response(lake.bronze.root, "games_players", 2024, [rec], name="p1")
    src, raw = _raw(spark, lake, "silver.player_game_stats")
    out = src.transform(raw).select("game_id", "team_id", "athlete_id", "name", "starter", "points",
                                    "field_goals_made", "season", "game_date", "start_date")
    expected = spark.createDataFrame(
        [(11, 5, 100, "A", True, 20.0, 8.0, 2024, dt.date(2024, 1, 9), dt.datetime(2024, 1, 10, 1, 0)),
         (11, 5, 101, "B", False, 2.0, 1.0, 2024, dt.date(2024, 1, 9), dt.datetime(2024, 1, 10, 1, 0))],
        "game_id BIGINT, team_id BIGINT, athlete_id BIGINT, name STRING, starter BOOLEAN, points DOUBLE, "
        "field_goals_made DOUBLE, season INT, game_date DATE, start_date TIMESTAMP")
    assert_df_equality(out, expected, ignore_row_order=True, ignore_nullable=True)


def test_plays_keep_on_floor_as_snake_case_array_and_flatten_shot_info(spark, lake) -> None:
    play = {"id": 9001, "gameId": 11, "gameStartDate": "2024-01-10T01:00:00.000Z", "season": 2024,
            "seasonType": "regular", "period": 1, "clock": "19:40", "secondsRemaining": 1180,
            "homeScore": 2, "awayScore": 0, "scoringPlay": True, "scoreValue": 2, "playType": "JumpShot",
            "onFloor": [{"id": 100, "name": "A", "team": "Five"}], "participants": [{"id": 100, "name": "A"}],
            "shotInfo": {"shooter": {"id": 100, "name": "A"}, "made": True, "range": "jumper", "assisted": False,
                         "assistedBy": None, "location": {"x": 10.5, "y": 3.0}}}
    write_response(lake.bronze.root, "plays_date", 2024, [play], name="d1")
    src, raw = _raw(spark, lake, "silver.plays")
    row = src.transform(raw).first()
    assert row["play_id"] == 9001 and row["season"] == 2024 and row["game_date"] == dt.date(2024, 1, 9)
    assert row["on_floor"][0].asDict() == {"id": 100, "name": "A", "team": "Five"}
    assert row["shot_info_shooter_id"] == 100 and row["shot_info_location_x"] == 10.5 and row["shot_info_made"]


def test_enum_and_timestamp_type_changes_are_rejected_not_nulled(spark, lake) -> None:
    good = {"season": 2024, "seasonType": "regular", "week": 3, "pollDate": "2024-01-08T00:00:00Z",
            "pollType": "AP Top 25", "teamId": 5, "team": "Five", "ranking": 4}
    write_response(lake.bronze.root, "rankings", 2024,
                   [good, {**good, "teamId": 6, "seasonType": "offseason"}, {**good, "teamId": 7, "pollDate": "soon"}],
                   name="r1")
    src, raw = _raw(spark, lake, "silver.rankings")
    valid, rejected = split_valid(src.transform(raw), src.extra_rules())
    assert [r["team_id"] for r in valid.collect()] == [5]
    reasons = {r["team_id"]: r["_reason"] for r in rejected.collect()}
    assert "season_type has a value outside" in reasons[6]
    assert reasons[7] == "poll_date is not an ISO datetime"


def test_game_lineups_take_game_id_from_the_request_path(spark, lake) -> None:
    rec = {"teamId": 5, "team": "Five", "idHash": "abc", "athletes": [{"id": 1, "name": "A"}], "totalSeconds": 300}
    key = write_response(lake.bronze.root, "lineups_game", 2024, [rec], name="g1")
    # The fixture's manifest carries the request parameters as the ingester records them.
    import json
    from pathlib import Path
    mpath = Path(lake.bronze.root) / "_manifests" / key.replace(".json.gz", ".json")
    manifest = json.loads(mpath.read_text())
    manifest["params"] = {"gameId": "77"}
    mpath.write_text(json.dumps(manifest))
    src, raw = _raw(spark, lake, "silver.game_lineups")
    row = src.transform(raw).first()
    assert (row["game_id"], row["team_id"], row["id_hash"], row["season"]) == (77, 5, "abc", 2024)


def test_team_box_score_flattens_team_and_opponent_sides(spark, lake) -> None:
    from cbbd_etl.silver import team_game_stats

    def side(fgm: int, fga: int, pts: int) -> dict:
        return {"fieldGoals": {"made": fgm, "attempted": fga, "pct": 100.0 * fgm / fga},
                "threePointFieldGoals": {"made": 5, "attempted": 15, "pct": 33.3},
                "freeThrows": {"made": 10, "attempted": 14, "pct": 71.4},
                "rebounds": {"offensive": 9, "defensive": 22, "total": 31}, "turnovers": {"total": 12, "teamTotal": 1},
                "points": {"total": pts, "byPeriod": [pts // 2, pts - pts // 2]}}

    rec = {"gameId": 11, "season": 2024, "seasonType": "regular", "startDate": "2024-01-10T01:00:00.000Z",
           "teamId": 5, "opponentId": 6, "isHome": True, "neutralSite": False, "gameMinutes": 45,
           "teamStats": side(26, 60, 72), "opponentStats": side(24, 58, 66)}
    write_response(lake.bronze.root, "games_teams", 2024, [rec], name="t1")
    src = team_game_stats.source()
    raw = read_json_records(spark, bronze_files(lake, "games_teams", 2024)[0], src.api_schema,
                            known_keys=src.api_columns)
    out = src.transform(raw).select("game_id", "team_id", "opponent_id", "is_home", "game_minutes", "team_fg_made",
                                    "team_fg_att", "team_points", "team_points_by_period", "opp_fg_made",
                                    "opp_points", "opp_oreb", "game_date")
    expected = spark.createDataFrame(
        [(11, 5, 6, True, 45.0, 26, 60, 72, [36, 36], 24, 66, 9, dt.date(2024, 1, 9))],
        "game_id BIGINT, team_id BIGINT, opponent_id BIGINT, is_home BOOLEAN, game_minutes DOUBLE, "
        "team_fg_made INT, team_fg_att INT, team_points INT, team_points_by_period ARRAY<INT>, opp_fg_made INT, "
        "opp_points INT, opp_oreb INT, game_date DATE")
    assert_df_equality(out, expected, ignore_nullable=True)


def test_a_multi_table_job_marks_its_files_in_one_commit(spark, lake) -> None:
    """silver_reference loads nine tables, two at a time (``spark.parallel_tables``); their processed marks
    are still one append, not one per table (the worker threads join the job's batch), the reports keep the
    declared order, and a replay reads nothing again."""
    from cbbd_etl.iceberg import snapshot_ids
    from cbbd_etl.registry import get_job
    from cbbd_etl.runner import make_context, run_job

    lake = lake.replace(**{"spark.parallel_tables": 2})

    write_response(lake.bronze.root, "conferences", None, [{"id": 1, "sourceId": "1", "name": "One",
                                                            "abbreviation": "ONE", "shortName": "One"}], name="c1")
    write_response(lake.bronze.root, "plays_types", None, [{"id": 7, "name": "JumpShot"},
                                                           {"id": 8, "name": "Layup"}], name="t1")
    ident = lake.table("meta.bronze_processed")
    report = run_job(make_context("silver_reference", lake, spark=spark, season=2024))
    assert report["reconciled"] and report["inserted"] == 3
    declared = [t for t in get_job("silver_reference").table_outputs if t.startswith("silver.")]
    assert [t["table"] for t in report["tables"]] == declared
    marks = {(r["target_table"], r["outcome"]) for r in spark.table(ident).collect()}
    assert marks == {("silver.conferences", "loaded"), ("silver.play_types", "loaded")}
    assert len(snapshot_ids(spark, ident)) == 1
    again = run_job(make_context("silver_reference", lake, spark=spark, season=2024))
    assert sum(t["bronze_files_already_loaded"] for t in again["tables"]) == 2 and again["inserted"] == 0
    assert len(snapshot_ids(spark, ident)) == 1


def test_batched_marks_are_written_when_a_later_table_fails(spark, lake) -> None:
    from cbbd_etl.silver.bronze_reader import BronzeFile
    from cbbd_etl.silver.processed import batched_marks, mark_processed, unprocessed

    done = BronzeFile(uri="file:///bronze/a.json.gz", fetched_at="2024-03-01T12:00:00Z", run_id="r",
                      record_count=2, sha256="ab", season=2024)
    with pytest.raises(RuntimeError, match="second table"):
        with batched_marks(spark, lake):
            assert mark_processed(spark, lake, "silver.conferences", [done], {}, "run-1") == 1
            assert unprocessed(spark, lake, "silver.conferences", [done]) == [done]   # not written yet
            raise RuntimeError("second table failed")
    assert unprocessed(spark, lake, "silver.conferences", [done]) == []
