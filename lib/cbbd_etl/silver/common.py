"""Shared column expressions for silver transforms (pure DataFrame → DataFrame helpers)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

EASTERN = "America/New_York"


def utc_timestamp(col: str) -> "Column":
    """API timestamps are ISO-8601 with ``Z``; the session runs in UTC so the cast keeps the instant."""
    from pyspark.sql import functions as F

    return F.to_timestamp(F.col(col))


def eastern_date(ts: "Column") -> "Column":
    """The calendar date fans and schedules use (a 9 pm ET tip-off is 'that day', not the next UTC day)."""
    from pyspark.sql import functions as F

    return F.to_date(F.from_utc_timestamp(ts, EASTERN))


def season_of_date(d: "Column") -> "Column":
    """Season S spans August 1 of S-1 to July 31 of S."""
    from pyspark.sql import functions as F

    return F.when(F.month(d) >= 8, F.year(d) + 1).otherwise(F.year(d))


def technical_columns(df: "DataFrame") -> list[str]:
    """Lineage and bookkeeping columns (``_`` prefix) that every transform carries through untouched."""
    return [c for c in df.columns if c.startswith("_")]


def standard_rules(
    df: "DataFrame", season_first: int, season_last: int, key_cols: list[str], date_col: str | None,
    seasonal: bool = True,
) -> list:
    """Validation rules every silver table shares, as (reason, failing) pairs (season rules if ``seasonal``)."""
    from pyspark.sql import functions as F

    rules = []
    if "_corrupt_record" in df.columns:
        rules.append(("record does not match the declared API schema (wrong type or malformed JSON)",
                      F.col("_corrupt_record").isNotNull()))
    for k in key_cols:
        rules.append((f"natural key {k} is missing or null", F.col(k).isNull()))
    if seasonal:
        rules.append(("season is missing", F.col("season").isNull()))
        rules.append((f"season outside {season_first}-{season_last}",
                      (F.col("season") < season_first) | (F.col("season") > season_last)))
    if date_col and seasonal:
        rules.append((f"{date_col} is missing or not an ISO timestamp", F.col(date_col).isNull()))
        rules.append(("game date falls outside its season window (Aug 1 - Jul 31)",
                      season_of_date(F.col("game_date")) != F.col("season")))
    return rules
