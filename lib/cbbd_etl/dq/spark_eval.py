"""Rules → Spark SQL that returns the failing rows, evaluated in the lake's own session.

Every rule compiles to one query whose rows are exactly the failures (a
duplicated key, an orphan play, a game whose team points differ from its
score), so the count and the sample keys come from the same SQL a person can
paste into ``spark-sql`` or Athena. Row-wise rules of one table (completeness,
accepted values, ranges, custom predicates) are counted together in a single
aggregate pass; only failing ones are queried again for their keys.

Tables are referred to through ``views``: logical name → SQL identifier (the job
registers one temporary view per table, filtered to the season), so the SQL
text here never depends on a catalog name. SQL rendering is pure; only
:func:`evaluate_rules` touches Spark.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..log import event, get_logger
from ..spark import map_concurrently
from ..specs.dq_rules import AS_OF, Rule
from ..tables import TableSpec, get_table
from .report import RuleResult

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = get_logger("dq.spark")
SAMPLE_SIZE = 5
_TABLE_REF = re.compile(r"\{((?:silver|gold|meta)\.\w+)\}")


def q(name: str) -> str:
    """A column name quoted for Spark SQL."""
    return f"`{name}`"


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def as_of_literal(as_of: dt.date) -> str:
    return f"DATE'{as_of.isoformat()}'"


def fill_as_of(text: str, as_of: dt.date) -> str:
    return text.replace(AS_OF, as_of_literal(as_of))


def sample_columns(rule: Rule) -> tuple[str, ...]:
    """The columns a failing row is identified by: declared, else the table's key (plus the checked column)."""
    if rule.sample_columns:
        return rule.sample_columns
    keys = get_table(rule.table).keys
    extra = tuple(c for c in rule.columns if c not in keys and not c.startswith("_"))
    return keys + extra if rule.kind == "referential" else keys


def row_predicate(rule: Rule, as_of: dt.date) -> str | None:
    """The failing-row condition of a row-wise rule; None for rules that need their own query."""
    if rule.kind == "complete":
        return f"{q(rule.columns[0])} IS NULL"
    if rule.kind == "accepted_values":
        col = q(rule.columns[0])
        values = ", ".join(literal(v) for v in rule.values)
        outside = f"{col} NOT IN ({values})"
        return f"({col} IS NULL OR {outside})" if not rule.allow_null else f"({col} IS NOT NULL AND {outside})"
    if rule.kind == "range":
        col = q(rule.columns[0])
        parts = []
        if rule.min_value is not None:
            parts.append(f"{col} < {literal(rule.min_value)}")
        if rule.max_value is not None:
            parts.append(f"{col} > {literal(rule.max_value)}")
        return "(" + " OR ".join(parts) + ")"
    if rule.kind == "custom":
        return f"({fill_as_of(rule.predicate or '', as_of)})"
    return None


def failing_rows_sql(rule: Rule, views: Mapping[str, str], as_of: dt.date) -> str:
    """The query whose rows are this rule's failures (columns: the sample columns, at least)."""
    src = views[rule.table]
    pred = row_predicate(rule, as_of)
    if pred is not None:
        cols = ", ".join(q(c) for c in sample_columns(rule))
        return f"SELECT {cols} FROM {src} WHERE {pred}"
    if rule.kind == "primary_key":
        keys = ", ".join(q(c) for c in rule.columns)
        nulls = " OR ".join(f"{q(c)} IS NULL" for c in rule.columns)
        return (f"SELECT {keys}, COUNT(*) AS n_rows FROM {src} GROUP BY {keys} "
                f"HAVING COUNT(*) > 1 OR {nulls}")
    if rule.kind == "row_count":
        return f"SELECT COUNT(*) AS n_rows FROM {src} HAVING COUNT(*) = 0"
    if rule.kind == "freshness":
        col = q(rule.columns[0])
        return (f"SELECT MAX({col}) AS latest FROM {src} HAVING NOT COALESCE("
                f"CAST(MAX({col}) AS DATE) >= date_sub({as_of_literal(as_of)}, {int(rule.max_age_days or 0)}), "
                "FALSE)")
    if rule.kind == "referential":
        ref = views[rule.reference or ""]
        cols = ", ".join(f"s.{q(c)}" for c in sample_columns(rule))
        on = " AND ".join(f"s.{q(a)} = r.{q(b)}" for a, b in zip(rule.columns, rule.reference_columns))
        not_null = " AND ".join(f"s.{q(c)} IS NOT NULL" for c in rule.columns)
        return f"SELECT {cols} FROM {src} s LEFT ANTI JOIN {ref} r ON {on} WHERE {not_null}"
    if rule.kind == "reconcile":
        return _TABLE_REF.sub(lambda m: views[m.group(1)], fill_as_of(rule.sql or "", as_of)).strip()
    raise ValueError(f"{rule.id}: no Spark SQL for kind {rule.kind}")


def format_key(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """``game_id=2400001,team_id=1``: how a failing key is shown and stored."""
    return ",".join(f"{c}={_text(row[c])}" for c in columns if c in row)


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "null" if value is None else str(value)


def screen_expr(rule: Rule, as_of: dt.date) -> str | None:
    """An aggregate over the rule's table that is 0 exactly when the rule passes (None: needs its own query).

    All screens of a table run in one pass, so a passing table costs one scan; only rules whose screen is
    not 0 (and referential and reconciliation rules) run their failing-rows query.
    """
    pred = row_predicate(rule, as_of)
    if pred is not None:
        return f"COUNT_IF({pred})"
    if rule.kind == "primary_key":
        # COUNT(DISTINCT a, b) skips rows with a null in the key, so null keys make it differ too.
        return f"COUNT(*) - COUNT(DISTINCT {', '.join(q(c) for c in rule.columns)})"
    if rule.kind == "row_count":
        return "CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END"
    if rule.kind == "freshness":
        col = q(rule.columns[0])
        return (f"CASE WHEN COALESCE(CAST(MAX({col}) AS DATE) >= date_sub({as_of_literal(as_of)}, "
                f"{int(rule.max_age_days or 0)}), FALSE) THEN 0 ELSE 1 END")
    return None


def evaluate_rules(spark: "SparkSession", rules: Sequence[Rule], views: Mapping[str, str], as_of: dt.date,
                   sample_size: int = SAMPLE_SIZE, workers: int = 1) -> list[RuleResult]:
    """Evaluate ``rules``; a rule whose tables are not all in ``views`` is ``skipped``. Order is kept.

    ``workers``: how many of the queries (one screen per table, then one query per rule the screens did not
    pass) run at once. Each is a small Spark job whose driver-side planning and compiling is serial, so one at
    a time leaves a core idle; the results do not depend on the number.
    """
    results: dict[str, RuleResult] = {}
    runnable = []
    for rule in rules:
        missing = [t for t in rule.tables_read if t not in views]
        if missing:
            results[rule.id] = RuleResult(rule, "skipped", message=f"table {', '.join(missing)} does not exist")
        else:
            runnable.append(rule)
    screens = _screen(spark, [r for r in runnable if screen_expr(r, as_of) is not None], views, as_of, workers)

    def decide(rule: Rule) -> RuleResult:
        if screens.get(rule.id) == 0:
            return RuleResult(rule, "passed")
        sql = failing_rows_sql(rule, views, as_of)
        if rule.id in screens and row_predicate(rule, as_of) is not None:
            n = screens[rule.id]
        else:
            n = int(spark.sql(f"SELECT COUNT(*) AS n FROM ({sql}) f").collect()[0]["n"])
        return _result(spark, rule, sql, n, sample_size)

    for rule, result in zip(runnable, map_concurrently(spark, decide, runnable, workers)):
        results[rule.id] = result
    event(log, "rules evaluated", rules=len(rules), failed=sum(r.status == "failed" for r in results.values()))
    return [results[r.id] for r in rules]


def _screen(spark: "SparkSession", rules: Sequence[Rule], views: Mapping[str, str],
            as_of: dt.date, workers: int = 1) -> dict[str, int]:
    """One aggregate pass per table: every screenable rule's failing measure."""
    out: dict[str, int] = {}
    by_table: dict[str, list[Rule]] = {}
    for r in rules:
        by_table.setdefault(r.table, []).append(r)

    def screen(table: str) -> Any:
        exprs = ", ".join(f"{screen_expr(r, as_of)} AS r{i}" for i, r in enumerate(by_table[table]))
        return spark.sql(f"SELECT {exprs} FROM {views[table]}").collect()[0]

    for table, row in zip(by_table, map_concurrently(spark, screen, list(by_table), workers)):
        for i, r in enumerate(by_table[table]):
            out[r.id] = int(row[f"r{i}"] or 0)
    return out


def _result(spark: "SparkSession", rule: Rule, sql: str, failing: int, sample_size: int) -> RuleResult:
    if failing == 0:
        return RuleResult(rule, "passed")
    df = spark.sql(sql)
    cols = [c for c in (sample_columns(rule) if rule.kind not in ("row_count", "freshness") else ()) if c in df.columns]
    shown = cols or df.columns
    rows = df.orderBy(*shown).limit(sample_size).collect()
    keys = [format_key(row.asDict(), shown) for row in rows]
    first = rows[0].asDict() if rows else {}
    message = ", ".join(f"{k}={_text(v)}" for k, v in first.items()) if first else ""
    return RuleResult(rule, "failed", failing, keys, f"first: {message}" if message else "")


def season_view_sql(identifier: str, spec: TableSpec, season: int | None) -> str:
    """The rows of one season (all rows of a table without a season column, or when no season is given)."""
    if season is not None and "season" in spec.data_columns:
        return f"SELECT * FROM {identifier} WHERE season = {int(season)}"
    return f"SELECT * FROM {identifier}"
