"""The Spark side of the endpoint-table declarations in :mod:`cbbd_etl.silver.endpoint_tables`.

One generic transform turns the API records of an :class:`EndpointTable` into
silver rows; enum and timestamp rules quarantine what does not fit; the
generic silver pipeline runs it. Kept apart from the declarations so the job
registry and the table catalog never import Spark-side modules.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .api_models import FlatColumn
from .common import utc_timestamp
from .endpoint_tables import EndpointTable, _int_like, get_endpoint_table

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame

    from ..runner import JobContext
    from .pipeline import SilverSource


def transform(t: EndpointTable, raw: "DataFrame") -> "DataFrame":
    """API records → silver rows: flatten structs, type timestamps, explode, derive season and game date."""
    from pyspark.sql import functions as F

    from .common import eastern_date, season_of_date, technical_columns

    tech = technical_columns(raw)
    df = raw
    if t.explode:
        # explode_outer keeps a record whose array is empty/null as one row, so it is quarantined
        # (null key) rather than vanishing from the reconciliation.
        df = df.select("*", F.explode_outer(F.col(f"`{t.explode}`")).alias("_el"))
    cols = [_typed(c).alias(c.name) for c in t.columns]
    # The text of each parsed timestamp rides along so a value that failed to parse can be told from a null.
    cols += [_raw_path(c).alias(f"_raw_{c.name}") for c in t.columns if c.source_kind in ("datetime", "date")]
    cols += [F.get_json_object("_params", f"$.{param}").cast("bigint").alias(name)
             for name, param in t.from_params.items()]
    out = df.select(*cols, *tech)
    if t.season_from == "manifest":
        # Game-scoped requests carry no season: fall back to the season of the game's date.
        fallback = season_of_date(eastern_date(F.col(t.date_from))) if t.date_from else F.lit(None)
        out = out.withColumn("season", F.coalesce(F.col("_season").cast("int"), fallback))
    elif t.season_from and t.season_from != "season":
        out = out.withColumn("season", F.col(t.season_from).cast("int"))
    elif t.season_from:
        out = out.withColumn("season", F.col("season").cast("int"))
    if t.date_from:
        out = out.withColumn("game_date", eastern_date(F.col(t.date_from)))
    for name in t.blank_to_null:        # the API's "" sentinel for an unknown value (real-api-facts 8)
        out = out.withColumn(name, F.when(F.trim(F.col(name)) != "", F.col(name)))
    for name, condition in t.flags.items():
        out = out.withColumn(name, F.expr(condition))
    return out


def endpoint_enum_rules(t: EndpointTable) -> list[tuple[str, "SparkColumn"]]:
    """An enum value the model does not allow is a type change: quarantine, never null."""
    from pyspark.sql import functions as F

    rules = enum_rules(t.columns) + sentinel_key_rules(t.columns, t.keys)
    for c in t.columns:
        if c.source_kind in ("datetime", "date"):
            rules.append((f"{c.name} is not an ISO {c.source_kind}",
                          F.col(c.name).isNull() & F.col(f"_raw_{c.name}").isNotNull()))
    return rules


def sentinel_key_rules(columns: list[FlatColumn], keys: tuple[str, ...]) -> list[tuple[str, "SparkColumn"]]:
    """An id key of -1 is the API's "missing" sentinel (``/lines`` ``gameId: -1``): quarantine, never merge."""
    from pyspark.sql import functions as F

    return [(f"natural key {c.name} is the API's missing-value sentinel -1", F.col(c.name) == -1)
            for c in columns if c.name in keys and (_int_like(c) or c.type in ("INT", "BIGINT"))]


def enum_rules(columns: list[FlatColumn]) -> list[tuple[str, "SparkColumn"]]:
    """A value outside the model's enum is a changed type: the record is quarantined, never nulled."""
    from pyspark.sql import functions as F

    return [(f"{c.name} has a value outside {'/'.join(c.enum_values)}",
             F.col(c.name).isNotNull() & ~F.col(c.name).isin(list(c.enum_values)))
            for c in columns if c.enum_values]


def _raw_path(c: FlatColumn) -> "SparkColumn":
    from pyspark.sql import functions as F

    return F.col(".".join(f"`{p}`" for p in c.api_path.split(".")))


def _typed(c: FlatColumn) -> "SparkColumn":
    """Read-typed API value → silver type (timestamps parsed; arrays re-typed positionally to snake_case)."""
    from pyspark.sql import functions as F

    col = _raw_path(c)
    if c.source_kind == "datetime":
        return utc_timestamp(col)
    if c.source_kind == "date":
        return F.to_date(col)
    if c.source_kind == "array":
        return col.cast(c.type)
    if _int_like(c):
        return col.cast("bigint")
    return col


def silver_source(t: EndpointTable) -> "SilverSource":
    """The generic pipeline's view of a declaration."""
    from ..api.endpoints import slug_of
    from .api_models import field_names
    from .pipeline import SilverSource

    return SilverSource(slugs=tuple(slug_of(p) for p in t.sources), api_schema=t.read_ddl,
                        api_columns=field_names(t.model), transform=functools.partial(transform, t), table=t.spec,
                        date_col=t.date_from, response=t.response, exploded=bool(t.explode),
                        extra_rules=functools.partial(endpoint_enum_rules, t))


def run_endpoint_tables(ctx: "JobContext", tables: tuple[str, ...]) -> dict[str, object]:
    """Run the generic pipeline for several tables of one job; reconciled only if every table is."""
    from ..spark import map_concurrently
    from .pipeline import run_silver
    from .processed import batched_marks, current_batch, joined_batch

    with batched_marks(ctx.spark, ctx.cfg):   # one append of meta.bronze_processed for the job, not one a table
        batch = current_batch()

        def load(name: str) -> dict[str, object]:
            with joined_batch(batch):
                return run_silver(ctx, silver_source(get_endpoint_table(name)))

        # Tables side by side: each load is a chain of small Spark jobs (read, count, classify, MERGE) whose
        # driver-side planning and commits are serial, so one table at a time leaves a core idle. The tables
        # of one job are distinct Iceberg tables; their quarantine and drift rows are appends, which Iceberg
        # retries on a concurrent commit. Reports keep the declared order.
        reports = map_concurrently(ctx.spark, load, list(tables), ctx.cfg.spark.parallel_tables)
    return {"tables": reports, "reconciled": all(r["reconciled"] for r in reports),
            **{k: sum(int(r.get(k, 0)) for r in reports)
               for k in ("bronze_records", "inserted", "updated", "unchanged", "duplicates", "quarantined")}}
