"""Partition consistency: tables, bronze and rows agree with what is declared.

Three checks, each returning a list of problems (empty = consistent):

* every Iceberg table's partition spec equals its declaration in
  :mod:`cbbd_etl.tables` (a table created by hand or by an older release
  would silently keep a different layout);
* bronze: every manifest's data file exists and sits in the partition its
  manifest names (``season=S`` or ``snapshot``), and every data file has a
  manifest (a file without one is an interrupted write);
* silver: every row's season matches its game date's season window
  (August 1 – July 31), so partition pruning on ``season`` never hides rows.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .config import Config
from .iceberg import live_table, table_exists
from .tables import TableSpec, all_tables

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from .bronze.store import BronzeStore


def partition_spec(spark: "SparkSession", ident: str) -> tuple[str, ...]:
    """The table's current partition fields: identity columns by name, other transforms as ``day(game_date)``.

    Read from the Iceberg table object (metadata the catalog holds, no Spark query: ``DESCRIBE`` per table
    was most of the audit's consistency check); a table the Iceberg API cannot load falls back to DESCRIBE.
    """
    try:
        table = live_table(spark, ident)
        schema = table.schema()
        out = []
        for f in table.spec().fields():
            column = str(schema.findColumnName(f.sourceId()))
            out.append(column if f.transform().isIdentity() else f"{f.transform().toString()}({column})")
        return tuple(out)
    except Exception:  # not an Iceberg table (or no JVM API): what Spark's DESCRIBE says
        return _described_partition_spec(spark, ident)


def _described_partition_spec(spark: "SparkSession", ident: str) -> tuple[str, ...]:
    rows = spark.sql(f"DESCRIBE TABLE {ident}").collect()
    out: list[str] = []
    section = False
    for r in rows:
        name = (r["col_name"] or "").strip()
        if name in ("# Partition Information", "# Partitioning"):
            section = True
            continue
        if not section or name == "# col_name":
            continue
        if not name or (name.startswith("#") and name != "# col_name"):
            break
        out.append(r["data_type"].strip() if name.startswith("Part ") else name)
    return tuple(out)


def check_table_partitions(spark: "SparkSession", cfg: Config, tables: tuple[TableSpec, ...] | None = None
                           ) -> list[dict[str, Any]]:
    problems = []
    for spec in tables or all_tables():
        ident = cfg.table(spec.name)
        if not table_exists(spark, ident):
            continue
        actual = partition_spec(spark, ident)
        if actual != tuple(spec.partition_by):
            problems.append({"check": "table_partition_spec", "table": spec.name,
                             "declared": list(spec.partition_by), "actual": list(actual)})
    return problems


_PART = re.compile(r"^[^/]+/(season=(\d+)|snapshot)/")


def check_bronze(store: "BronzeStore") -> list[dict[str, Any]]:
    """Manifests ↔ data files: existence, partition agreement, orphans."""
    problems = []
    manifests = [k for k in store.list("_manifests/") if k.endswith(".json")]
    described = set()
    for key in manifests:
        m = store.get_json(key)
        data_key = m.get("data_key", "")
        described.add(data_key)
        if not store.exists(data_key):
            problems.append({"check": "bronze_missing_data", "manifest": key, "data_key": data_key})
        match = _PART.match(data_key)
        season = m.get("season")
        part_season = int(match.group(2)) if match and match.group(2) else None
        if not match or part_season != (int(season) if season is not None else None):
            problems.append({"check": "bronze_partition_mismatch", "data_key": data_key, "manifest_season": season})
    for key in store.list(""):
        if key.startswith(("_manifests/", "_state/", "_runs/")) or not key.endswith(".json.gz"):
            continue
        if key not in described:
            problems.append({"check": "bronze_orphan_file", "data_key": key})
    return problems


def check_season_windows(spark: "SparkSession", cfg: Config, tables: tuple[TableSpec, ...] | None = None,
                         sample: int = 5, seasons: list[int] | None = None) -> list[dict[str, Any]]:
    """Rows whose season is not their game date's season window; only ``seasons``' partitions when given.

    Why ``seasons``: the daily audit checks the season it audits, so its cost follows that season's rows
    (a scan of every silver table's every season grew with the lake's history); a backfill audit of
    2010-2026 still checks them all.
    """
    from pyspark.sql import functions as F

    from .silver.common import season_of_date

    problems = []
    for spec in tables or all_tables():
        ident = cfg.table(spec.name)
        if spec.layer != "silver" or not table_exists(spark, ident):
            continue
        table = spark.table(ident)
        if not {"season", "game_date"} <= set(table.columns):
            continue
        if seasons:
            table = table.where(F.col("season").isin(list(seasons)))
        bad = table.where(F.col("game_date").isNotNull()
                                       & (season_of_date(F.col("game_date")) != F.col("season")))
        n = bad.count()
        if n:
            keys = [", ".join(str(r[k]) for k in spec.keys) for r in bad.select(*spec.keys).limit(sample).collect()]
            problems.append({"check": "season_window", "table": spec.name, "rows": n, "sample_keys": keys})
    return problems


def check_all(spark: "SparkSession", cfg: Config, seasons: list[int] | None = None) -> dict[str, Any]:
    """Every check; the season windows of ``seasons`` only, when given (see :func:`check_season_windows`)."""
    from .bronze.store import BronzeStore

    problems = (check_table_partitions(spark, cfg) + check_bronze(BronzeStore.for_root(cfg.bronze.root,
                                                                                      region=cfg.aws.region))
                + check_season_windows(spark, cfg, seasons=seasons))
    return {"consistent": not problems, "problems": problems}
