"""Shared column expressions for silver transforms (pure DataFrame → DataFrame helpers)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

EASTERN = "America/New_York"


_API_UTC = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$"   # 2024-01-13T19:32:10.000Z


def utc_timestamp(col: "str | Column") -> "Column":
    """An ISO-8601 text as a timestamp: API timestamps end in ``Z`` (UTC); other offsets are honoured too.

    Why the ``Z`` is cut off before the cast: for a text with a zone suffix Spark resolves the zone by
    compiling regular expressions for every value (``DateTimeUtils.getZoneId``), 6 % of a season's
    ``silver_plays`` CPU, where plays carry two timestamps and their lineage a third. Every session of this
    project runs in UTC (``spark.sql.session.timeZone``, set by ``cbbd_etl.spark``), so the same text
    without its ``Z`` is the same instant, parsed twice as fast. A text with another offset takes Spark's
    general path.
    """
    from pyspark.sql import functions as F

    c = F.col(col) if isinstance(col, str) else col
    # Only the API's own form takes the fast path (one pattern, compiled once per task): Spark reads a zone
    # only after certain texts ("2024-01-13Z", "...T19Z", "...10ZZ" and "...10.+00Z" are no timestamps, while
    # the same texts less their last "Z" are), so anything else keeps Spark's own answer.
    fast = c.rlike(_API_UTC)
    return F.when(fast, F.to_timestamp(c.substr(F.lit(1), F.length(c) - 1))).otherwise(F.to_timestamp(c))


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
