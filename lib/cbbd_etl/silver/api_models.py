"""Spark schemas and silver column plans derived from the official API models.

Why derived, not hand-typed: the CBBD SDK (``cbbd==1.30.1``) defines every
response model; ``tests/sdk/dump_sdk_models.py`` exports their shapes into
the package resource ``resources/api_models.json`` and a test proves the
resource still matches the SDK. Every silver table's read schema, its
column names and its drift detection come from that one file, so a field
the API adds or retypes is a one-line diff in a generated file.

Type mapping (chosen so reading never truncates or silently drops data):

* ``int`` → BIGINT (ids exceed INT in places; counts are small either way);
* ``number`` (float or int) → DOUBLE;
* ``datetime``/``date`` → read as STRING, converted to TIMESTAMP/DATE in the
  transform, so an unparsable value is quarantined instead of becoming null;
* enums → STRING (validated against the allowed values);
* free-form objects → STRING holding the JSON text;
* nested models → STRUCT, lists → ARRAY.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``effectiveFieldGoalPct`` → ``effective_field_goal_pct``; ``ATSWins`` → ``ats_wins``."""
    return _CAMEL.sub("_", name).replace("-", "_").replace(" ", "_").lower()


@lru_cache(maxsize=1)
def api_models() -> dict[str, Any]:
    text = resources.files("cbbd_etl").joinpath("resources/api_models.json").read_text(encoding="utf-8")
    return json.loads(text)


def response_model(path: str) -> tuple[str, bool]:
    """(model name, is_list) of an endpoint path template such as ``/games/teams``."""
    resp = api_models()["responses"][path]
    m = re.fullmatch(r"List\[(\w+)\]", resp)
    return (m.group(1), True) if m else (resp, False)


def fields(model: str) -> list[dict[str, Any]]:
    return api_models()["models"][model]["fields"]


def spark_type(t: Any, read: bool = True) -> str:
    """Spark SQL type for a model field type; ``read=False`` gives the silver (typed) type."""
    if isinstance(t, str):
        return {
            "int": "BIGINT", "number": "DOUBLE", "float": "DOUBLE", "string": "STRING", "bool": "BOOLEAN",
            "datetime": "STRING" if read else "TIMESTAMP", "date": "STRING" if read else "DATE",
            "object": "STRING",
        }[t]
    if "enum" in t:
        return "STRING"
    if "array" in t:
        return f"ARRAY<{spark_type(t['array'], read)}>"
    if "model" in t:
        inner = ", ".join(f"`{f['name'] if read else snake(f['name'])}`: {spark_type(f['type'], read)}"
                          for f in fields(t["model"]))
        return f"STRUCT<{inner}>"
    raise ValueError(f"unknown field type {t!r}")


def read_schema(model: str) -> str:
    """The DDL to parse one API record of ``model`` (camelCase names, as on the wire)."""
    return ", ".join(f"`{f['name']}` {spark_type(f['type'])}" for f in fields(model))


def field_names(model: str) -> list[str]:
    return [f["name"] for f in fields(model)]


@dataclass(frozen=True)
class FlatColumn:
    """One silver column: its snake_case name, the dotted API path it comes from and its silver type."""

    name: str
    api_path: str
    type: str
    source_kind: str        # int, number, string, bool, datetime, date, enum, object, array
    enum_values: tuple[str, ...] = ()


def flat_columns(model: str, api_prefix: str = "", name_prefix: str = "") -> list[FlatColumn]:
    """Nested models become prefixed columns (``teamStats.fieldGoals.made`` → ``team_stats_field_goals_made``);
    arrays stay arrays (their elements keep snake_case struct fields).

    Why flatten structs but keep arrays: a struct is one value per record,
    so columns are what Athena users filter and aggregate on; an array (a
    play's ten on-floor players) has a variable count and is always read
    with its record, so a child table would only add a join.
    """
    out: list[FlatColumn] = []
    for f in fields(model):
        t = f["type"]
        path = f"{api_prefix}{f['name']}"
        name = f"{name_prefix}{snake(f['name'])}"
        if isinstance(t, dict) and "model" in t:
            out.extend(flat_columns(t["model"], path + ".", name + "_"))
            continue
        if isinstance(t, str):
            kind = t
        else:
            kind = "enum" if "enum" in t else "array"
        out.append(FlatColumn(name, path, spark_type(t, read=False), kind,
                              tuple(str(v) for v in t["enum"]) if isinstance(t, dict) and "enum" in t else ()))
    return out
