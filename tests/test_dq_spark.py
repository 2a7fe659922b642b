"""The Spark SQL evaluator on small frames (temporary views, hand-computed failures), the job writing
``meta.dq_results`` in Iceberg, the ``cbbd-etl dq`` command, the report text and Glue's outcome mapping."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cbbd_etl.dq.dqdl import rule_to_dqdl
from cbbd_etl.dq.glue_eval import glue_dq_available, outcomes_by_rule
from cbbd_etl.dq.report import RuleResult, build_report, summary_text
from cbbd_etl.dq.spark_eval import evaluate_rules, failing_rows_sql
from cbbd_etl.errors import UserError
from cbbd_etl.specs.dq_rules import Rule, all_rules
from cbbd_etl.tables import SILVER_GAMES, get_table
from frames import frame

pytestmark = pytest.mark.spark

AS_OF = dt.date(2024, 4, 21)
OLD = dt.datetime(2024, 1, 2, 9, 0)


def _rule(table: str, name: str) -> Rule:
    return next(r for r in all_rules()[table] if r.name == name)


def _view(spark: Any, name: str, table: str, rows: list[dict[str, Any]]) -> str:
    frame(spark, get_table(table), rows).createOrReplaceTempView(name)
    return name


@pytest.fixture
def small(spark: Any) -> dict[str, str]:
    """Three games, four plays (one orphan, one without a game, one id twice), as temporary views."""
    games = [{"game_id": g, "season": 2024, "status": "final", "home_team_id": 1, "away_team_id": 2,
              "home_points": 70, "away_points": 60, "game_date": dt.date(2024, 1, 1),
              "_ingested_at": OLD} for g in (1, 2, 3)]
    plays = [{"play_id": 10, "game_id": 1, "season": 2024}, {"play_id": 11, "game_id": 9, "season": 2024},
             {"play_id": 12, "game_id": None, "season": 2024}, {"play_id": 10, "game_id": 1, "season": 2024}]
    return {"silver.games": _view(spark, "dq_t_games", "silver.games", games),
            "silver.plays": _view(spark, "dq_t_plays", "silver.plays", plays)}


def test_failures_and_their_keys(spark: Any, small: dict[str, str]) -> None:
    rules = [_rule("silver.plays", n) for n in ("primary_key", "game_exists", "complete_game_id")]
    rules += [_rule("silver.games", n) for n in ("primary_key", "ingest_is_fresh", "final_game_not_in_future")]
    got = {r.rule.id: r for r in evaluate_rules(spark, rules, small, AS_OF)}
    assert got["silver.plays:primary_key"].status == "failed"
    assert got["silver.plays:primary_key"].sample_failing_keys == ["play_id=10"]
    assert got["silver.plays:primary_key"].failing_count == 1
    assert got["silver.plays:game_exists"].sample_failing_keys == ["play_id=11,game_id=9"]
    assert got["silver.plays:complete_game_id"].sample_failing_keys == ["play_id=12"]
    assert got["silver.games:primary_key"].status == "passed"
    fresh = got["silver.games:ingest_is_fresh"]          # latest ingest 2024-01-02, as of 2024-04-21: stale
    assert fresh.status == "failed" and fresh.sample_failing_keys == ["latest=2024-01-02 09:00:00"]
    assert got["silver.games:final_game_not_in_future"].status == "passed"
    # The same rules a day after the ingest: fresh; and a game dated after the as-of date is caught.
    later = {r.rule.id: r for r in evaluate_rules(spark, rules, small, dt.date(2023, 12, 31))}
    assert later["silver.games:ingest_is_fresh"].status == "passed"
    assert later["silver.games:final_game_not_in_future"].sample_failing_keys == [
        "game_id=1", "game_id=2", "game_id=3"]


def test_missing_tables_are_skipped_and_reconciliations_need_every_table(spark: Any, small: dict[str, str]) -> None:
    rules = [_rule("silver.plays", "last_play_score_equals_final_score"), _rule("silver.lineups", "five_athletes")]
    got = evaluate_rules(spark, rules, {"silver.plays": small["silver.plays"]}, AS_OF)
    assert [r.status for r in got] == ["skipped", "skipped"]
    assert got[0].passed is None and "silver.games" in got[0].message


def test_five_players_on_the_floor(spark: Any) -> None:
    def floor(team: str, ids: range) -> list[dict[str, Any]]:
        return [{"team": team, "name": f"P{i}", "id": i} for i in ids]

    plays = [{"play_id": 1, "game_id": 1, "season": 2024, "on_floor": floor("A", range(5)) + floor("B", range(5, 10))},
             {"play_id": 2, "game_id": 1, "season": 2024, "on_floor": floor("A", range(6)) + floor("B", range(6, 11))},
             {"play_id": 3, "game_id": 1, "season": 2024, "on_floor": floor("A", range(4)) + floor("A", range(4))},
             {"play_id": 4, "game_id": 1, "season": 2024, "on_floor": None}]
    views = {"silver.plays": _view(spark, "dq_t_floor", "silver.plays", plays)}
    [res] = evaluate_rules(spark, [_rule("silver.plays", "five_on_floor_per_team")], views, AS_OF)
    # play 2: six of A and five of B; play 3: four distinct players of A listed twice.
    assert res.sample_failing_keys == ["play_id=2,team=A", "play_id=3,team=A"] and res.failing_count == 2


def test_failing_rows_sql_is_plain_spark_sql() -> None:
    sql = failing_rows_sql(_rule("silver.plays", "game_exists"), {"silver.plays": "p", "silver.games": "g"}, AS_OF)
    assert sql == ("SELECT s.`play_id`, s.`game_id` FROM p s LEFT ANTI JOIN g r ON s.`game_id` = r.`game_id` "
                   "WHERE s.`game_id` IS NOT NULL")


def test_job_writes_one_row_per_rule_and_errors_fail_it(spark: Any, lake: Any) -> None:
    from cbbd_etl.dq.job import run_data_quality
    from cbbd_etl.iceberg import conform, ensure_table, with_row_hash

    ident = ensure_table(spark, lake, SILVER_GAMES)
    rows = [{"game_id": 1, "season": 2024, "status": "final", "home_team_id": 1, "away_team_id": 2,
             "home_points": 70, "away_points": 60, "game_date": dt.date(2024, 4, 1), "_ingested_at": OLD},
            {"game_id": 2, "season": 2024, "status": "final", "home_team_id": 3, "away_team_id": 3,
             "home_points": 50, "away_points": 52, "game_date": dt.date(2024, 4, 2), "_ingested_at": OLD}]
    with_row_hash(conform(frame(spark, SILVER_GAMES, rows), SILVER_GAMES), SILVER_GAMES).writeTo(ident).append()
    report = run_data_quality(spark, lake, 2024, "run-a", tables=["silver.games"], as_of=AS_OF)
    failed = {r["rule_id"]: r for r in report["results"] if r["status"] == "failed"}
    assert set(failed) == {"silver.games:two_different_teams", "silver.games:ingest_is_fresh"}
    assert failed["silver.games:two_different_teams"]["sample_failing_keys"] == ["game_id=2"]
    assert not report["reconciled"] and report["failed_errors"] == 1 and report["failed_warnings"] == 1
    assert report["written"] == report["rules"] == len(all_rules()["silver.games"])
    stored = spark.sql(f"SELECT * FROM {lake.table('meta.dq_results')} WHERE rule = 'two_different_teams'").collect()
    assert len(stored) == 1
    row = stored[0]
    assert (row["status"], row["passed"], row["failing_count"], list(row["sample_failing_keys"]), row["severity"],
            row["run_id"], row["as_of"]) == ("failed", False, 1, ["game_id=2"], "error", "run-a", AS_OF)
    assert row["dqdl"] == rule_to_dqdl(_rule("silver.games", "two_different_teams"))
    # Replaying the run id adds nothing; a new run on the same data (same snapshots) reuses the recorded results
    # and commits no snapshot; changed data is evaluated again.
    assert run_data_quality(spark, lake, 2024, "run-a", tables=["silver.games"], as_of=AS_OF)["written"] == 0
    results_ident = lake.table("meta.dq_results")
    snaps = spark.sql(f"SELECT count(*) FROM {results_ident}.snapshots").first()[0]
    again = run_data_quality(spark, lake, 2024, "run-a2", tables=["silver.games"], as_of=AS_OF)
    assert again["reused_run_id"] == "run-a" and again["written"] == 0
    assert {r["rule_id"] for r in again["results"] if r["status"] == "failed"} == set(failed)
    assert spark.sql(f"SELECT count(*) FROM {results_ident}.snapshots").first()[0] == snaps
    spark.sql(f"UPDATE {ident} SET away_team_id = 4 WHERE game_id = 2")
    fixed = run_data_quality(spark, lake, 2024, "run-a3", tables=["silver.games"], as_of=AS_OF)
    assert "reused_run_id" not in fixed and fixed["written"] == fixed["rules"]
    assert "silver.games:two_different_teams" not in {r["rule_id"] for r in fixed["results"] if r["status"] == "failed"}
    # The next day on the same data: only the rules that read the as-of date are evaluated again; the run
    # still records every rule (complete rows per run), the reused ones with their earlier outcome.
    reads_day = {r.id for r in all_rules()["silver.games"] if r.reads_as_of}
    assert reads_day == {"silver.games:final_game_not_in_future", "silver.games:ingest_is_fresh"}
    later = run_data_quality(spark, lake, 2024, "run-a4", tables=["silver.games"], as_of=AS_OF + dt.timedelta(days=1))
    assert (later["evaluated_rules"], later["reused_rules"]) == (2, fixed["rules"] - 2)
    assert later["written"] == fixed["rules"] and "reused_run_id" not in later
    assert {r["rule_id"] for r in later["results"] if r["status"] == "failed"} == {
        r["rule_id"] for r in fixed["results"] if r["status"] == "failed"}
    stored = {r["rule_id"]: r for r in spark.sql(
        f"SELECT rule_id, status, evaluator FROM {results_ident} WHERE run_id = 'run-a4'").collect()}
    assert len(stored) == fixed["rules"] and stored["silver.games:primary_key"]["status"] == "passed"
    # Another season of the same table has no games: warn only.
    other = run_data_quality(spark, lake, 2023, "run-b", tables=["silver.games"], as_of=AS_OF, write=False)
    assert other["reconciled"] and {r["rule_id"] for r in other["results"] if r["status"] == "failed"} == {
        "silver.games:has_rows", "silver.games:ingest_is_fresh"}
    with pytest.raises(UserError, match="unknown table silver.nope"):
        run_data_quality(spark, lake, 2024, "run-c", tables=["silver.nope"], as_of=AS_OF)


def test_rule_versions_follow_only_what_each_rule_reads() -> None:
    """A rule's version changes with the snapshots of the tables it reads, the as-of date if it reads it,
    the season, the evaluator and its own definition; nothing else makes it look new."""
    from dataclasses import replace

    from cbbd_etl.dq.job import rule_versions

    rules = all_rules()["silver.games"] + all_rules()["silver.team_game_stats"]
    snaps = {"silver.games": "101", "silver.team_game_stats": "202"}
    base = rule_versions(rules, snaps, 2024, AS_OF, "spark_sql")

    def changed(other: dict[str, str]) -> set[str]:
        return {k for k in base if other[k] != base[k]}

    games_new = changed(rule_versions(rules, {**snaps, "silver.games": "103"}, 2024, AS_OF, "spark_sql"))
    assert "silver.team_game_stats:game_exists" in games_new and "silver.games:primary_key" in games_new
    assert "silver.team_game_stats:primary_key" not in games_new
    assert games_new == {r.id for r in rules if r.table == "silver.games"} | {
        "silver.team_game_stats:game_exists", "silver.team_game_stats:team_points_equal_game_score"}
    next_day = changed(rule_versions(rules, snaps, 2024, AS_OF + dt.timedelta(days=1), "spark_sql"))
    assert next_day == {"silver.games:final_game_not_in_future", "silver.games:ingest_is_fresh"}
    assert changed(rule_versions(rules, snaps, 2023, AS_OF, "spark_sql")) == set(base)
    assert changed(rule_versions(rules, snaps, 2024, AS_OF, "glue_dq+spark_sql")) == set(base)
    edited = [replace(r, max_value=10 ** 6) if r.id == "silver.games:non_negative_attendance" else r for r in rules]
    assert changed(rule_versions(edited, snaps, 2024, AS_OF, "spark_sql")) == {"silver.games:non_negative_attendance"}


def test_cli_prints_the_report_and_the_dqdl(spark: Any, lake: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from cbbd_etl.cli import OneLineParser
    from cbbd_etl.dq.cli import register

    parser = OneLineParser(prog="cbbd-etl")
    register(parser.add_subparsers(dest="command", parser_class=OneLineParser))

    def run(*argv: str) -> int:
        args = parser.parse_args(["dq", *argv])
        return args.handler(args, lake)

    assert run("--dqdl", "--table", "silver.plays") == 0
    out = capsys.readouterr().out
    assert out.startswith("# silver.plays\nRules = [\n    IsPrimaryKey \"play_id\",")
    assert "# local only: last_play_score_equals_final_score, five_on_floor_per_team" in out
    assert run("--table", "silver.games", "--as-of", "2024-04-21", "--no-write") == 0   # no table yet: skipped
    out = capsys.readouterr().out
    assert out.startswith("data quality OK: ") and f"{len(all_rules()['silver.games'])} skipped" in out
    with pytest.raises(UserError, match="unknown table"):
        run("--table", "silver.nope")
    with pytest.raises(UserError, match="not an ISO date"):
        run("--as-of", "yesterday")


def test_summary_text_lists_failures_errors_first() -> None:
    fresh, teams = _rule("silver.games", "ingest_is_fresh"), _rule("silver.games", "two_different_teams")
    results = [RuleResult(fresh, "failed", 1, ["latest=2024-01-02"]),
               RuleResult(teams, "failed", 5, ["game_id=1", "game_id=2", "game_id=3", "game_id=4"]),
               RuleResult(_rule("silver.games", "primary_key"), "passed")]
    report = build_report(results, "r", 2024, AS_OF, "spark_sql")
    assert summary_text(report).splitlines() == [
        "data quality FAILED: 3 rules on 1 tables (season 2024, as of 2024-04-21, spark_sql): 1 passed, 2 failed "
        "(1 error, 1 warn), 0 skipped",
        "  ERROR silver.games:two_different_teams: 5 failing e.g. game_id=1, game_id=2, game_id=3 (+2 more)",
        "  WARN  silver.games:ingest_is_fresh: 1 failing e.g. latest=2024-01-02"]
    assert not report["reconciled"]
    assert build_report(results[:1], "r", 2024, AS_OF, "spark_sql")["reconciled"]   # a warning never fails


def test_glue_outcomes_map_back_to_rules() -> None:
    rules = all_rules()["silver.games"]
    pk, teams = _rule("silver.games", "primary_key"), _rule("silver.games", "two_different_teams")
    rows = [{"Rule": 'IsPrimaryKey  "game_id"', "Outcome": "Passed", "FailureReason": None, "EvaluatedMetrics": {}},
            {"Rule": rule_to_dqdl(teams), "Outcome": "Failed", "FailureReason": "Value: 1.0 does not meet",
             "EvaluatedMetrics": {"Dataset.*.CustomSQL": 1.0}},
            {"Rule": "RowCount > 99", "Outcome": "Passed"}]
    got = outcomes_by_rule(rules, rows)
    assert set(got) == {pk.id, teams.id}
    assert got[pk.id]["passed"] and not got[teams.id]["passed"]
    assert got[teams.id]["reason"] == "Value: 1.0 does not meet"
    assert glue_dq_available() is False              # off Glue: the job evaluates with Spark SQL
