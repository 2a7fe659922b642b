"""Shared fixtures: one SparkSession for the whole run, a fresh Iceberg catalog per test.

Starting a JVM costs seconds; a catalog is free. Each ``lake`` gets its own
catalog name and warehouse folder registered on the one session, so tests are
isolated without restarting Spark.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from cbbd_etl.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def make_cfg(tmp: Path, **overrides: object) -> Config:
    cfg = load_config(profile="local", env={})
    base = {
        "lake.warehouse": str(tmp / "warehouse"),
        "lake.catalog_name": f"t{uuid.uuid4().hex[:10]}",
        "bronze.root": str(tmp / "bronze"),
        "spark.shuffle_partitions": 2,
        "spark.driver_memory": "2g",
    }
    base.update(overrides)
    return cfg.replace(**base)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator["object"]:
    from cbbd_etl.spark import build_spark

    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    cfg = make_cfg(tmp_path_factory.mktemp("spark"))
    session = build_spark(cfg, app_name="cbbd_etl-tests")
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()


@pytest.fixture
def lake(spark: "object", tmp_path: Path) -> Config:
    """A config whose catalog, warehouse and bronze root are fresh and private to this test."""
    from cbbd_etl.spark import attach_catalog, ensure_namespaces

    cfg = make_cfg(tmp_path)
    attach_catalog(spark, cfg)
    ensure_namespaces(spark, cfg)
    return cfg
