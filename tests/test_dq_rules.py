"""The rule declarations: every declared table has rules, generic rules follow the TableSpec, and the
declarations are internally consistent (pure Python, no Spark)."""
from __future__ import annotations

import pytest

from cbbd_etl.config import load_config
from cbbd_etl.specs import dq_rules
from cbbd_etl.specs.dq_rules import Rule, all_rules, check_rules, generic_rules, is_count_column, rules_for
from cbbd_etl.table_spec import TableSpec, cols
from cbbd_etl.tables import all_tables


def test_every_declared_table_has_rules() -> None:
    catalog = all_rules()
    declared = [t.name for t in all_tables()]
    assert list(catalog) == declared                 # the catalog is the table catalog, whatever it holds today
    empty = [name for name, rules in catalog.items() if not rules]
    assert not empty, f"tables without data-quality rules: {empty}"
    assert "meta.dq_results" in catalog and "gold.team_season" in catalog


def test_declarations_are_consistent() -> None:
    assert check_rules() == []
    ids = [r.id for rules in all_rules().values() for r in rules]
    assert len(ids) == len(set(ids))


def test_check_rules_reports_a_table_without_rules_and_an_unknown_column() -> None:
    games = all_rules()["silver.games"]
    bad = Rule("silver.games", "no_such", "complete", "error", "x", columns=("no_such_column",))
    problems = check_rules({"silver.games": games + (bad,), "silver.plays": ()})
    assert problems == ["silver.games:no_such: no column no_such_column", "silver.plays: no rules"]


def test_a_new_table_gets_generic_rules_from_its_declaration() -> None:
    spec = TableSpec("gold.example", cols("season INT NOT NULL, team_id BIGINT NOT NULL, name STRING NOT NULL, "
                                          "wins INT, fg3_made INT, net_rating DOUBLE, avg_margin DOUBLE, "
                                          "points_per_game DOUBLE"), keys=("season", "team_id"))
    rules = generic_rules(spec)
    assert [r.name for r in rules] == ["primary_key", "complete_name", "season_in_range", "non_negative_wins",
                                       "non_negative_fg3_made"]
    assert rules[0].columns == ("season", "team_id") and rules[0].kind == "primary_key"
    season = rules[2]
    assert (season.min_value, season.max_value) == (2010, 2027)
    assert all(r.generated and r.severity == "error" for r in rules)
    assert rules_for(spec) == rules                  # no hand rules for it


def test_season_range_is_the_configured_one() -> None:
    cfg = load_config(profile="local", env={})
    assert (dq_rules.SEASON_FIRST, dq_rules.SEASON_LAST) == (cfg.seasons.first, cfg.seasons.last)


@pytest.mark.parametrize("name, typ, expected", [
    ("team_fg_made", "INT", True), ("opp_tov", "INT", True), ("home_points", "INT", True),
    ("rebounds_total", "DOUBLE", True), ("attendance", "INT", True), ("wins", "BIGINT", True),
    ("net_rating", "DOUBLE", False), ("avg_margin", "DOUBLE", False), ("points_per_game", "DOUBLE", False),
    ("fg_pct", "DOUBLE", False), ("game_score", "DOUBLE", False), ("points_by_period", "ARRAY<INT>", False),
    ("model_clv_points", "DOUBLE", False), ("team", "STRING", False),
])
def test_count_columns(name: str, typ: str, expected: bool) -> None:
    assert is_count_column(name, typ) is expected


def test_enum_values_come_from_the_api_models() -> None:
    games = {r.name: r for r in all_rules()["silver.games"]}
    assert games["accepted_status"].values == ("scheduled", "in_progress", "final", "postponed", "cancelled")
    assert games["accepted_season_type"].allow_null
    plays = {r.name: r for r in all_rules()["silver.plays"]}
    assert plays["accepted_season_type"].values == ("postseason", "preseason", "regular")


def test_engines_say_where_a_rule_runs() -> None:
    by_id = {r.id: r for rules in all_rules().values() for r in rules}
    assert by_id["silver.plays:primary_key"].engine == "dqdl"
    assert by_id["silver.plays:game_exists"].engine == "dqdl"
    assert by_id["silver.plays:seconds_remaining_in_range"].engine == "custom_sql"
    assert by_id["silver.games:final_game_not_in_future"].engine == "custom_sql"
    assert by_id["silver.plays:five_on_floor_per_team"].engine == "local"
    assert by_id["silver.lineups:five_athletes"].engine == "local"
    assert by_id["silver.team_game_stats:team_points_equal_game_score"].engine == "local"
    assert by_id["silver.team_game_stats:team_points_equal_game_score"].tables_read == (
        "silver.team_game_stats", "silver.games")
    assert by_id["silver.games:ingest_is_fresh"].severity == "warn"


@pytest.mark.parametrize("kwargs, message", [
    ({"severity": "fatal"}, "severity"),
    ({"kind": "nonsense"}, "kind"),
    ({"name": "Bad Name"}, "snake_case"),
    ({"kind": "custom", "predicate": 'team = "x"'}, "single quotes"),
    ({"kind": "referential"}, "needs its parameters"),
])
def test_bad_declarations_are_rejected(kwargs: dict, message: str) -> None:
    base = {"table": "silver.games", "name": "r", "kind": "complete", "severity": "error", "description": "d",
            "columns": ("game_id",)}
    with pytest.raises(ValueError, match=message):
        Rule(**{**base, **kwargs})
