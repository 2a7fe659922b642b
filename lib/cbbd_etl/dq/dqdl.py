"""Rules → DQDL (AWS Glue Data Quality Definition Language), for EvaluateDataQuality and Terraform.

Each rule of engine ``dqdl`` or ``custom_sql`` becomes one DQDL rule with the
same meaning as its Spark SQL form (:mod:`cbbd_etl.dq.spark_eval`):

* primary key → ``IsPrimaryKey "a" "b"``; completeness → ``IsComplete "c"``;
* accepted values → ``ColumnValues "c" in ["a", "b"]`` (``NULL`` listed when the column may be null,
  because ColumnValues fails null rows);
* one-sided range → ``ColumnValues "c" >= 0 where "c is not null"`` (nulls are completeness' business);
* two-sided range, custom predicate → ``CustomSql "select count(*) from primary where <failing>" = 0``
  (DQDL's ``between`` is not documented as inclusive; the SQL says exactly what the local rule says);
* row count → ``RowCount > 0``; freshness → ``CustomSql ... > 0`` over rows newer than the cutoff;
* referential integrity → ``ReferentialIntegrity "game_id" "games.game_id" = 1.0``, the reference passed
  to EvaluateDataQuality as an additional data source under the alias :func:`reference_alias`.

Rules of engine ``local`` produce no DQDL (the Glue job runs them with Spark SQL). Pure Python.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..specs.dq_rules import AS_OF, Rule

# Allowed DQDL rule shapes (DQDL reference, rule types used here): every generated rule must match one.
DQDL_SHAPES: dict[str, re.Pattern[str]] = {
    "IsPrimaryKey": re.compile(r'IsPrimaryKey( "[A-Za-z_][A-Za-z0-9_]*")+'),
    "IsComplete": re.compile(r'IsComplete "[A-Za-z_][A-Za-z0-9_]*"'),
    "IsUnique": re.compile(r'IsUnique( "[A-Za-z_][A-Za-z0-9_]*")+'),
    "ColumnValues in": re.compile(
        r'ColumnValues "[A-Za-z_][A-Za-z0-9_]*" in \[(("[^"\\]*"|NULL)(, ("[^"\\]*"|NULL))*)\]'),
    "ColumnValues compare": re.compile(
        r'ColumnValues "[A-Za-z_][A-Za-z0-9_]*" (>=|<=|>|<|=) -?\d+(\.\d+)?'
        r'( where "[A-Za-z_][A-Za-z0-9_]* is not null")?'),
    "ColumnValues between": re.compile(
        r'ColumnValues "[A-Za-z_][A-Za-z0-9_]*" between -?\d+(\.\d+)? and -?\d+(\.\d+)?'),
    "RowCount": re.compile(r"RowCount (>|>=|=|<|<=) \d+"),
    "CustomSql": re.compile(r'CustomSql "select count\(\*\) from primary( where [^"]+)?" (=|>|>=|<|<=) \d+'),
    "ReferentialIntegrity": re.compile(
        r'ReferentialIntegrity "[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*" '
        r'"[a-z][a-z0-9_]*\.(\{[A-Za-z_][A-Za-z0-9_]*(,[A-Za-z_][A-Za-z0-9_]*)*\}|[A-Za-z_][A-Za-z0-9_]*)" '
        r'= 1\.0'),
    "DataFreshness": re.compile(r'DataFreshness "[A-Za-z_][A-Za-z0-9_]*" <= \d+ (hours|days)'),
}


def shape_of(text: str) -> str | None:
    """The allow-listed shape a DQDL rule has (None: not a shape this project may generate)."""
    for shape, pattern in DQDL_SHAPES.items():
        if pattern.fullmatch(text):
            return shape
    return None


def _quote(name: str) -> str:
    return f'"{name}"'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def reference_alias(table: str) -> str:
    """Alias of a referenced table in DQDL and in EvaluateDataQuality's additional data sources."""
    return table.split(".", 1)[1]


def _sql_for_dqdl(text: str) -> str:
    """Spark SQL fragment as DQDL CustomSql text: the as-of date is the evaluation day, one line."""
    return " ".join(text.replace(AS_OF, "current_date()").split())


def _custom_sql(where: str, expectation: str = "= 0") -> str:
    return f'CustomSql "select count(*) from primary where {_sql_for_dqdl(where)}" {expectation}'


def rule_to_dqdl(rule: Rule) -> str | None:
    """The DQDL text of one rule; None when the rule runs locally only."""
    if rule.engine == "local":
        return None
    col = rule.columns[0] if rule.columns else ""
    if rule.kind == "primary_key":
        return "IsPrimaryKey " + " ".join(_quote(c) for c in rule.columns)
    if rule.kind == "complete":
        return f"IsComplete {_quote(col)}"
    if rule.kind == "accepted_values":
        values = [_quote(v) for v in rule.values] + (["NULL"] if rule.allow_null else [])
        return f"ColumnValues {_quote(col)} in [{', '.join(values)}]"
    if rule.kind == "range":
        if rule.min_value is not None and rule.max_value is not None:
            return _custom_sql(f"{col} < {_number(rule.min_value)} or {col} > {_number(rule.max_value)}")
        op, bound = (">=", rule.min_value) if rule.min_value is not None else ("<=", rule.max_value)
        return f'ColumnValues {_quote(col)} {op} {_number(bound)} where "{col} is not null"'  # type: ignore[arg-type]
    if rule.kind == "row_count":
        return "RowCount > 0"
    if rule.kind == "freshness":
        return _custom_sql(f"cast({col} as date) >= date_sub(current_date(), {int(rule.max_age_days or 0)})", "> 0")
    if rule.kind == "custom":
        return _custom_sql(rule.predicate or "")
    if rule.kind == "referential":
        alias = reference_alias(rule.reference or "")
        ref_cols = rule.reference_columns
        ref = f"{alias}.{ref_cols[0]}" if len(ref_cols) == 1 else f"{alias}.{{{','.join(ref_cols)}}}"
        return f'ReferentialIntegrity "{",".join(rule.columns)}" "{ref}" = 1.0'
    raise ValueError(f"{rule.id}: no DQDL for kind {rule.kind}")


def dqdl_rules(rules: Iterable[Rule]) -> list[tuple[Rule, str]]:
    """(rule, DQDL text) for every rule that has a DQDL form, in declaration order."""
    out = []
    for rule in rules:
        text = rule_to_dqdl(rule)
        if text is not None:
            out.append((rule, text))
    return out


def ruleset_text(rules: Iterable[Rule]) -> str:
    """A DQDL ruleset document: ``Rules = [ ... ]``, one rule per line (empty string: nothing for DQDL)."""
    texts = [text for _, text in dqdl_rules(rules)]
    if not texts:
        return ""
    return "Rules = [\n" + ",\n".join(f"    {t}" for t in texts) + "\n]\n"


def references(rules: Iterable[Rule]) -> dict[str, str]:
    """Alias → logical table of every additional data source the ruleset's ReferentialIntegrity rules need."""
    return {reference_alias(r.reference): r.reference for r in rules
            if r.kind == "referential" and r.reference and r.engine != "local"}
