"""The lake's tables read without a JVM: pyiceberg over the same Iceberg metadata Spark writes.

Why: listing tables, row counts and the last snapshot are metadata questions.
Starting a SparkSession to answer them costs ~15 s; reading a few
``*.metadata.json`` files costs milliseconds. Row counts come from the
current snapshot's summary (``total-records``), which Iceberg maintains on
every commit, so nothing is scanned.

Locally the catalog is Iceberg's Hadoop layout (``<warehouse>/<ns>/<table>/
metadata/version-hint.text``), which pyiceberg reads through
``StaticTable.from_metadata``; on AWS the Glue Data Catalog is asked through
pyiceberg's ``GlueCatalog``.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

from .config import Config

LAYERS = ("silver", "gold", "meta")


def _local_metadata_files(warehouse: Path, namespace: str) -> Iterator[tuple[str, Path]]:
    """(table name, current metadata file) for every table of one namespace of a Hadoop catalog."""
    ns_dir = warehouse / namespace
    if not ns_dir.is_dir():
        return
    for table_dir in sorted(p for p in ns_dir.iterdir() if p.is_dir()):
        meta = table_dir / "metadata"
        hint = meta / "version-hint.text"
        if not hint.is_file():
            continue
        version = hint.read_text().strip()
        current = meta / f"v{version}.metadata.json"
        if current.is_file():
            yield table_dir.name, current


def _row(layer: str, name: str, identifier: str, table: Any) -> dict[str, Any]:
    snap = table.current_snapshot()
    rows = 0
    committed = None
    if snap is not None:
        summary = snap.summary.additional_properties if snap.summary is not None else {}
        rows = int(summary.get("total-records", 0))
        committed = dt.datetime.fromtimestamp(snap.timestamp_ms / 1000, dt.timezone.utc)
    return {
        "table": f"{layer}.{name}",
        "identifier": identifier,
        "rows": rows,
        "last_snapshot_at": committed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z" if committed else None,
        "snapshot_id": snap.snapshot_id if snap is not None else None,
    }


def load_local_table(cfg: Config, logical: str) -> Any:
    """One table of the local (Hadoop-layout) lake as a pyiceberg ``StaticTable``; KeyError when absent."""
    from pyiceberg.table import StaticTable

    layer, _, name = logical.partition(".")
    for table_name, metadata in _local_metadata_files(Path(cfg.lake.warehouse), cfg.lake.namespaces[layer]):
        if table_name == name:
            return StaticTable.from_metadata(str(metadata))
    raise KeyError(logical)


def list_tables(cfg: Config) -> list[dict[str, Any]]:
    """Every table of the silver, gold and meta namespaces with rows and last snapshot, no JVM."""
    out: list[dict[str, Any]] = []
    if cfg.lake.catalog_type == "glue":
        from pyiceberg.catalog.glue import GlueCatalog

        catalog = GlueCatalog(cfg.lake.catalog_name, **{"warehouse": cfg.lake.warehouse})
        for layer in LAYERS:
            database = cfg.lake.namespaces[layer]
            for ident in catalog.list_tables(database):
                out.append(_row(layer, ident[-1], cfg.table(f"{layer}.{ident[-1]}"), catalog.load_table(ident)))
        return out

    from pyiceberg.table import StaticTable

    warehouse = Path(cfg.lake.warehouse)
    for layer in LAYERS:
        for name, metadata in _local_metadata_files(warehouse, cfg.lake.namespaces[layer]):
            table = StaticTable.from_metadata(str(metadata))
            out.append(_row(layer, name, cfg.table(f"{layer}.{name}"), table))
    return out
