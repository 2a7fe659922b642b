"""DQDL generated from the rule declarations: golden text for three tables, every rule of every table within
the allow-listed DQDL rule shapes, and the same meaning as the Spark SQL form (pure Python)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cbbd_etl.dq.dqdl import DQDL_SHAPES, references, rule_to_dqdl, ruleset_text, shape_of
from cbbd_etl.dq.spark_eval import row_predicate
from cbbd_etl.specs.dq_rules import Rule, all_rules

GOLDEN = Path(__file__).parent / "golden" / "dqdl"


@pytest.mark.parametrize("table", ["silver.games", "silver.plays", "gold.team_season"])
def test_golden_dqdl(table: str) -> None:
    want = (GOLDEN / f"{table}.dqdl").read_text(encoding="utf-8")
    got = ruleset_text(all_rules()[table])
    assert got == want, (
        f"DQDL of {table} changed; if intended, rewrite {GOLDEN / (table + '.dqdl')} with "
        f"cbbd_etl.dq.dqdl.ruleset_text(all_rules()[{table!r}])")


def test_every_generated_rule_has_an_allowed_dqdl_shape() -> None:
    seen: dict[str, int] = {}
    count = 0
    for table, rules in all_rules().items():
        for rule in rules:
            text = rule_to_dqdl(rule)
            if rule.engine == "local":
                assert text is None, rule.id
                continue
            shape = shape_of(text or "")
            assert shape is not None, f"{rule.id}: {text!r} is not an allow-listed DQDL rule shape"
            seen[shape] = seen.get(shape, 0) + 1
            count += 1
    assert count > 300
    assert {"IsPrimaryKey", "IsComplete", "ColumnValues in", "ColumnValues compare", "RowCount", "CustomSql",
            "ReferentialIntegrity"} <= set(seen)
    assert set(seen) <= set(DQDL_SHAPES)


@pytest.mark.parametrize("text", [
    'ColumnValues "name" matches "[a-z]*"',                 # a rule type this project does not generate
    'CustomSql "select * from primary"',                    # no expectation
    'CustomSql "select count(*) from games" = 0',           # DQDL CustomSql reads `primary` only
    'IsComplete name',
    'ReferentialIntegrity "game_id" "games.game_id" >= 0.9',  # partial integrity is not what the rules say
])
def test_shapes_outside_the_allow_list_are_rejected(text: str) -> None:
    assert shape_of(text) is None


def _rule(**kw: object) -> Rule:
    base: dict = {"table": "silver.plays", "name": "r", "severity": "error", "description": "d"}
    return Rule(**{**base, **kw})


@pytest.mark.parametrize("rule, want", [
    (_rule(kind="primary_key", columns=("game_id", "team_id")), 'IsPrimaryKey "game_id" "team_id"'),
    (_rule(kind="complete", columns=("game_id",)), 'IsComplete "game_id"'),
    (_rule(kind="accepted_values", columns=("status",), values=("a", "b")), 'ColumnValues "status" in ["a", "b", NULL]'),
    (_rule(kind="accepted_values", columns=("status",), values=("a",), allow_null=False), 'ColumnValues "status" in ["a"]'),
    (_rule(kind="range", columns=("period",), min_value=1), 'ColumnValues "period" >= 1 where "period is not null"'),
    (_rule(kind="range", columns=("tempo",), max_value=90.5), 'ColumnValues "tempo" <= 90.5 where "tempo is not null"'),
    (_rule(kind="range", columns=("minutes",), min_value=0, max_value=70),
     'CustomSql "select count(*) from primary where minutes < 0 or minutes > 70" = 0'),
    (_rule(kind="row_count"), "RowCount > 0"),
    (_rule(kind="freshness", columns=("_ingested_at",), max_age_days=3),
     'CustomSql "select count(*) from primary where cast(_ingested_at as date) >= date_sub(current_date(), 3)" > 0'),
    (_rule(kind="referential", columns=("game_id",), reference="silver.games", reference_columns=("game_id",)),
     'ReferentialIntegrity "game_id" "games.game_id" = 1.0'),
    (_rule(kind="referential", columns=("game_id", "team_id"), reference="silver.team_game_stats",
           reference_columns=("game_id", "team_id")),
     'ReferentialIntegrity "game_id,team_id" "team_game_stats.{game_id,team_id}" = 1.0'),
    (_rule(kind="custom", predicate="status = 'final' AND game_date > {as_of}"),
     'CustomSql "select count(*) from primary where status = \'final\' AND game_date > current_date()" = 0'),
])
def test_each_kind_compiles_to_its_dqdl(rule: Rule, want: str) -> None:
    assert rule_to_dqdl(rule) == want
    assert shape_of(want) is not None


def test_local_rules_have_no_dqdl_and_references_name_their_aliases() -> None:
    local = _rule(kind="reconcile", sql="SELECT game_id FROM {silver.plays}")
    assert rule_to_dqdl(local) is None and ruleset_text([local]) == ""
    assert references(all_rules()["silver.plays"]) == {"games": "silver.games"}


def test_custom_sql_and_spark_sql_say_the_same() -> None:
    """The DQDL CustomSql counts exactly the rows the Spark SQL predicate fails, the as-of date being today."""
    as_of = dt.date(2024, 4, 21)
    for rules in all_rules().values():
        for rule in rules:
            if rule.kind != "custom" or rule.engine == "local":
                continue
            local = row_predicate(rule, as_of) or ""
            dqdl = rule_to_dqdl(rule) or ""
            where = dqdl.split(" where ", 1)[1].rsplit('" = 0', 1)[0]
            assert f"({where.replace('current_date()', as_of_sql(as_of))})" == " ".join(local.split()), rule.id


def as_of_sql(as_of: dt.date) -> str:
    return f"DATE'{as_of.isoformat()}'"
