"""Analyst views: every SQL file parses as Athena/Trino SQL and names only declared tables and columns;
deploy goes through Athena (moto); the Terraform workgroup enforces an encrypted result location; every view
runs in Spark SQL over a small lake built by the real gold jobs and returns rows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cbbd_etl.errors import UserError
from cbbd_etl.gold.views import (athena_statements, check_view, deploy_views, load_views, referenced_tables,
                                 render)
from cbbd_etl.tables import all_tables

REPO = Path(__file__).resolve().parents[1]
EXPECTED_VIEWS = {"latest_ratings", "results_with_lines", "player_leaders", "conference_standings",
                  "data_freshness", "team_ats_records"}


def test_every_view_parses_and_uses_declared_columns_only() -> None:
    import sqlglot

    views = load_views()
    assert set(views) == EXPECTED_VIEWS
    declared = {t.name for t in all_tables()}
    for name, sql in views.items():
        assert sqlglot.parse_one(sql, read="athena") is not None
        assert referenced_tables(sql) <= declared, name
        assert check_view(sql) == [], name


def test_check_view_catches_undeclared_tables_and_columns() -> None:
    assert check_view("SELECT g.no_such_column FROM silver.games g")
    assert check_view("SELECT season FROM gold.no_such_table") == ["table gold.no_such_table is not declared"]
    assert check_view("SELECT p.impact FROM gold.player_season p") == []
    with pytest.raises(UserError):
        check_view("SELECT FROM WHERE")


def test_render_maps_logical_names_to_glue_databases() -> None:
    sql = "SELECT g.game_id FROM silver.games g JOIN gold.market_lines m ON m.game_id = g.game_id"
    out = render(sql, lambda layer, t: (None, f"cbbd_{layer}", t), "athena")
    assert "cbbd_silver.games" in out and "cbbd_gold.market_lines" in out and " silver.games" not in out


def _unquote(value: object) -> object:
    """python-hcl2 7 keeps string quotes on keys and values; compare plain values."""
    if isinstance(value, dict):
        return {str(k).strip('"'): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value.strip('"') if isinstance(value, str) else value


def test_athena_workgroup_enforces_encrypted_results() -> None:
    hcl2 = pytest.importorskip("hcl2")
    text = (REPO / "terraform" / "athena.tf").read_text(encoding="utf-8")
    for wg in _unquote(hcl2.loads(text))["resource"]:
        if "aws_athena_workgroup" in wg:
            body = wg["aws_athena_workgroup"]["analytics"]
            break
    else:
        pytest.fail("no aws_athena_workgroup in terraform/athena.tf")
    conf = body["configuration"][0]
    assert conf["enforce_workgroup_configuration"] is True
    result = conf["result_configuration"][0]
    assert result["output_location"].startswith("s3://")
    enc = result["encryption_configuration"][0]
    assert enc["encryption_option"] in ("SSE_S3", "SSE_KMS", "CSE_KMS")
    assert body["name"].endswith("-analytics")     # ${project}-${environment}-analytics = DEFAULT_WORKGROUP


def test_deploy_runs_every_view_through_athena() -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from cbbd_etl.config import load_config

    cfg = load_config(profile="aws", env={})
    with moto.mock_aws():
        client = boto3.client("athena", region_name="us-east-1")
        client.create_work_group(Name="wg", Configuration={
            "ResultConfiguration": {"OutputLocation": "s3://results/athena/"},
            "EnforceWorkGroupConfiguration": True})
        results = deploy_views(cfg, client=client, workgroup="wg", poll_seconds=0.01)
        assert {r["view"] for r in results} == EXPECTED_VIEWS
        assert {r["state"] for r in results} == {"SUCCEEDED"}
        sent = {}
        for r in results:
            q = client.get_query_execution(QueryExecutionId=r["query_execution_id"])["QueryExecution"]
            sent[r["view"]] = q
            assert q["WorkGroup"] == "wg"
        ddl = sent["player_leaders"]["Query"]
        assert ddl.startswith("CREATE OR REPLACE VIEW cbbd_gold.player_leaders AS")
        assert "cbbd_gold.player_season" in ddl
    assert dict(athena_statements(cfg))["results_with_lines"].count("cbbd_silver.games") == 1


# ------------------------------------------------------------------------------------------ Spark over a lake
A = dict(fgm=25, fga=60, fg3m=8, ftm=12, fta=16, oreb=10, dreb=25, tov=12)   # 70 points
B = dict(fgm=22, fga=58, fg3m=6, ftm=10, fta=14, oreb=8, dreb=24, tov=14)    # 60 points


def _players(game_id: int, team_id: int, points: tuple[float, float], day: int) -> list[dict]:
    out = []
    for k, pts in enumerate(points):
        out.append({"game_id": game_id, "season": 2024, "team_id": team_id, "team": f"T{team_id}",
                    "conference": "C1", "athlete_id": team_id * 10 + k, "name": f"Player {team_id}-{k}",
                    "starter": True, "minutes": 100.0, "points": pts, "field_goals_made": pts / 2.5,
                    "field_goals_attempted": 30.0, "three_point_field_goals_made": 4.0,
                    "three_point_field_goals_attempted": 10.0, "free_throws_made": 6.0,
                    "free_throws_attempted": 8.0, "rebounds_offensive": 5.0, "rebounds_defensive": 12.0,
                    "rebounds_total": 17.0, "assists": 6.0 + k, "turnovers": 6.0, "steals": 3.0, "blocks": 1.0,
                    "fouls": 8.0, "game_date": dt.date(2023, 12, day)})
    return out


@pytest.mark.spark
@pytest.mark.slow
def test_views_run_in_spark_sql_over_a_built_lake(spark, lake) -> None:
    from pyspark.sql import functions as F

    from cbbd_etl.gold.crosswalk import build_team_crosswalk
    from cbbd_etl.gold.markets import build_market_lines
    from cbbd_etl.gold.players import build_player_season
    from cbbd_etl.gold.team_season import team_season
    from cbbd_etl.gold.views import demo_answers, register_spark_views, run_sql
    from cbbd_etl.iceberg import conform, ensure_table, with_row_hash
    from cbbd_etl.tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS, get_table
    from frames import both_sides, frame, game

    g1 = {**game(1, home_points=70, away_points=60), "game_date": dt.date(2023, 12, 1), "home_team": "T10",
          "away_team": "T20", "home_team_id": 10, "away_team_id": 20}
    g2 = {**game(2, home_points=70, away_points=60), "game_date": dt.date(2023, 12, 5), "home_team": "T20",
          "away_team": "T10", "home_team_id": 20, "away_team_id": 10}
    tgs = both_sides(1, 10, 20, A, B, conf=True, day=1) + both_sides(2, 20, 10, A, B, conf=True, day=5)
    for r in tgs:
        r["game_date"] = dt.date(2023, 12, 1 if r["game_id"] == 1 else 5)
        # the rest of the team box the players' box regression is fitted on (gold.players.TEAM_BOX_SOURCES)
        r.update({f"{side}_{k}": v for side in ("team", "opp") for k, v in
                  {"fg3_att": 20, "assists": 13, "steals": 6, "blocks": 2, "fouls": 16}.items()})
    pgs = (_players(1, 10, (40.0, 30.0), 1) + _players(1, 20, (35.0, 25.0), 1)
           + _players(2, 20, (40.0, 30.0), 5) + _players(2, 10, (35.0, 25.0), 5))
    lines = [{"game_id": 1, "season": 2024, "provider": "A", "spread": -10.0, "over_under": 128.0,
              "home_moneyline": -500.0, "away_moneyline": 380.0, "game_date": dt.date(2023, 12, 1)},
             {"game_id": 2, "season": 2024, "provider": "A", "spread": -4.0, "over_under": 135.0,
              "game_date": dt.date(2023, 12, 5)}]
    teams = [{"season": 2024, "team_id": 10, "school": "Duke", "conference": "ACC"},
             {"season": 2024, "team_id": 20, "school": "Cedarford State", "conference": "C1"}]
    ratings = [{"season": 2024, "team_id": 10, "team": "T10", "net_rating": 12.5},
               {"season": 2024, "team_id": 20, "team": "T20", "net_rating": -3.0}]
    # gold part 1's daily ratings: two dates; the latest one counts. Team 20 has no adj_em (no box scores).
    daily = [{"season": 2024, "rating_date": dt.date(2023, 12, d), "team_id": t, "team": f"T{t}",
              "adj_em": em, "adj_margin": em} for d, t, em in ((2, 10, 1.0), (6, 10, 6.0), (2, 20, -1.0),
                                                                  (6, 20, None))]
    def load(spec, df) -> None:
        """Plain appends: the silver MERGE path has its own tests; this test is about gold and the views."""
        df = with_row_hash(conform(df, spec), spec)
        df.select(*[c for c, _ in spec.all_columns]).writeTo(ensure_table(spark, lake, spec)).append()

    for spec, rows in ((SILVER_GAMES, [g1, g2]), (SILVER_TEAM_GAME_STATS, tgs),
                       (get_table("silver.player_game_stats"), pgs), (get_table("silver.game_lines"), lines),
                       (get_table("silver.teams"), teams), (get_table("silver.ratings_adjusted"), ratings)):
        load(spec, frame(spark, spec, rows))
    load(get_table("gold.team_ratings_daily"), frame(spark, get_table("gold.team_ratings_daily"), daily))
    profile = team_season(frame(spark, SILVER_TEAM_GAME_STATS, tgs), frame(spark, SILVER_GAMES, [g1, g2]))
    load(GOLD_TEAM_SEASON, profile.withColumn("_run_id", F.lit("r")))

    players = build_player_season(spark, lake, 2024, "run-1")
    assert players["player_game"]["inserted"] == 8 and players["player_season"]["inserted"] == 4
    assert players["team_margin_sources"] == ["adjusted: adj_em", "raw net efficiency"]
    season_rows = {r["athlete_id"]: r for r in spark.table(lake.table("gold.player_season")).collect()}
    assert season_rows[100]["team_margin_per100"] == 6.0                   # team 10: latest adj_em
    assert sum(r["impact"] * r["minutes_share"] for r in season_rows.values() if r["team_id"] == 10) \
        == pytest.approx(6.0)
    markets = build_market_lines(spark, lake, 2024, "run-1")
    assert markets["inserted"] == 4 and markets["model_predictions"] is None    # 2 providers rows + 2 consensus
    cross = build_team_crosswalk(spark, lake, 2024, "run-1")
    assert cross["mapped"] == 1 and cross["unmapped"] == 1

    status = register_spark_views(spark, lake)
    assert status == {v: "ok" for v in EXPECTED_VIEWS}
    counts = {v: spark.sql(f"SELECT COUNT(*) AS n FROM {v}").first()["n"] for v in EXPECTED_VIEWS}
    assert all(n > 0 for n in counts.values()), counts
    # Both games: home won by 10. Game 1 at -10 is a push, game 2 at -4 a home cover.
    ats = {r["team_id"]: r for r in spark.sql("SELECT * FROM team_ats_records").collect()}
    assert (ats[20]["ats_wins"], ats[20]["ats_losses"], ats[20]["ats_pushes"]) == (1, 0, 1)
    assert (ats[10]["ats_wins"], ats[10]["ats_losses"], ats[10]["ats_pushes"]) == (0, 1, 1)
    ratings_view = {r["team_id"]: r for r in spark.sql("SELECT * FROM latest_ratings").collect()}
    assert ratings_view[10]["kenpom_name"] == "Duke" and ratings_view[10]["cbbd_adj_net"] == 12.5
    assert ratings_view[10]["rating_date"] == dt.date(2023, 12, 6) and ratings_view[10]["adj_em"] == 6.0
    fresh = {r["table_name"]: r for r in spark.sql("SELECT * FROM data_freshness").collect()}
    assert fresh["gold.player_game"]["latest_game_date"] == dt.date(2023, 12, 5)
    assert run_sql(spark, lake, "SELECT COUNT(*) AS n FROM gold.player_season").first()["n"] == 4
    with pytest.raises(UserError):
        run_sql(spark, lake, "SELECT no_such_column FROM gold.player_season")
    answers = demo_answers(spark, lake, 2024)
    assert "Top 4 players" in answers and "Freshest data: games through 2023-12-05" in answers


def test_gold_design_doc_is_current() -> None:
    """docs/gold_layer_design.md's generated column blocks equal the declarations (refresh: design_doc --write)."""
    from cbbd_etl.gold.design_doc import DOC, stale_tables

    assert stale_tables(DOC.read_text(encoding="utf-8")) == []


def test_every_gold_part2_column_has_a_definition() -> None:
    from cbbd_etl.gold.design_doc import definition
    from cbbd_etl.specs.gold_analytics import TABLES
    from cbbd_etl.tables import GOLD_TEAM_SEASON

    missing = [f"{t.name}.{c}" for t in (*TABLES, GOLD_TEAM_SEASON) for c, _ in t.all_columns
               if not definition(t, c)]
    assert missing == []


def test_views_list_and_print_commands(capsys) -> None:
    from cbbd_etl.cli import main

    assert main(["views", "list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{v} " in out for v in EXPECTED_VIEWS) and "INVALID" not in out
    assert main(["--profile", "aws", "views", "deploy", "--print"]) == 0
    assert out != (printed := capsys.readouterr().out) and "CREATE OR REPLACE VIEW cbbd_gold.latest_ratings" in printed
    assert main(["views"]) == 2
