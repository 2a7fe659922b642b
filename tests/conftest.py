"""Shared fixtures: one SparkSession for the whole run, a fresh Iceberg catalog per test.

Starting a JVM costs seconds; a catalog is free. Each ``lake`` gets its own
catalog name and warehouse folder registered on the one session, so tests are
isolated without restarting Spark.
"""
from __future__ import annotations

import inspect
import os
import re
import types
import uuid
from pathlib import Path
from typing import Any, Iterator

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
        # The test session's JVM lives 20 minutes: default JIT thresholds serve it better than a short run's. The
        # throughput collector does too: tests/test_silver_games.py and test_unchanged.py took 124 s against 136 s
        # with G1 (the JVM's default on this machine), whose concurrent threads share the 2 cores with the tests.
        "spark.jvm_options": "-XX:+UseParallelGC",
        "spark.jit_driver_code_c1": False,
        # The suite never depends on a class-data archive built on the machine (cbbd_etl.jvm_archive).
        "spark.class_data_archive": False,
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


# ---------------------------------------------------------------- markers: unit / integration
# Why automatic: a marker every author must remember is a marker that is wrong. A test is
# `integration` when it needs the shared SparkSession (the `spark`/`lake` fixtures, or the
# `spark` marker) or when it, one of its fixtures or a test helper it calls starts a server or a
# subprocess or builds its own Spark session; every other test is `unit`.
INTEGRATION_FIXTURES = frozenset({"spark", "lake"})
_STARTS_SOMETHING = re.compile(
    r"\bsubprocess\.|\bPopen\(|\bApiServer\b|HTTPServer|\bserve_sim\b|serve_forever|\bbuild_spark\(|\brun_demo\(")
_TESTS_DIR = Path(__file__).resolve().parent


def _in_tests(func: Any) -> bool:
    try:
        return Path(inspect.getsourcefile(func) or "").resolve().is_relative_to(_TESTS_DIR)
    except TypeError:
        return False


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _starts_process_or_server(func: Any, seen: set[int], depth: int = 3) -> bool:
    """Whether ``func`` (a test, fixture or helper under tests/) or a tests/ helper it calls starts something."""
    func = inspect.unwrap(func)
    if id(func) in seen or not callable(func) or not _in_tests(func):
        return False
    seen.add(id(func))
    try:
        if _STARTS_SOMETHING.search(inspect.getsource(func)):
            return True
    except (OSError, TypeError):
        return False
    code = getattr(func, "__code__", None)
    if depth == 0 or code is None:
        return False
    module_globals = getattr(func, "__globals__", {})
    return any(_starts_process_or_server(module_globals[name], seen, depth - 1)
               for name in _code_names(code) if inspect.isfunction(module_globals.get(name)))


def _is_integration(item: pytest.Item) -> bool:
    if item.get_closest_marker("spark") or INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    seen: set[int] = set()
    funcs = [getattr(item, "function", None)]
    fixture_info = getattr(item, "_fixtureinfo", None)
    for defs in (fixture_info.name2fixturedefs.values() if fixture_info else ()):
        funcs += [d.func for d in defs]
    return any(f is not None and _starts_process_or_server(f, seen) for f in funcs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("unit") or item.get_closest_marker("integration"):
            continue
        item.add_marker(pytest.mark.integration if _is_integration(item) else pytest.mark.unit)
