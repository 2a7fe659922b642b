"""One Spark + Iceberg session factory for laptops, the Glue Docker image and Glue 5.1.

Why one factory: job code only ever says ``silver.games``; whether that is a
filesystem (Hadoop) catalog under ``.lake/warehouse`` or the Glue Data Catalog
on S3 is configuration. The default catalog is set to the Iceberg catalog so
two-part names resolve the same everywhere.
"""
from __future__ import annotations

import datetime as dt
import glob
import math
import os
from importlib import util as importlib_util
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

from .config import Config
from .errors import UserError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

ICEBERG_JAR_ENV = "CBBD_ETL_ICEBERG_JAR"
_PYPI_JAR_PACKAGE = "snowpark_connect_deps_iceberg"
_PYPI_JAR_NAME = "iceberg-spark-runtime-3.5_2.12-*.jar"
# Where the Glue 5 image and Glue itself keep the Iceberg runtime (--datalake-formats iceberg).
_GLUE_JAR_GLOBS = ("/usr/share/aws/iceberg/lib/iceberg-spark3-runtime*.jar", "/usr/share/aws/iceberg/lib/iceberg-spark-runtime*.jar")


def in_glue() -> bool:
    """True inside a Glue job run or the Glue image (they ship ``awsglue``)."""
    return importlib_util.find_spec("awsglue") is not None or bool(os.environ.get("GLUE_VERSION"))


def find_iceberg_jar(explicit: str = "") -> str | None:
    """The Iceberg Spark runtime jar: explicit path → env override → Glue image → PyPI package.

    Returns None when none is on disk; the caller then asks Maven through
    ``spark.jars.packages`` (works only where Maven Central is reachable).
    """
    for candidate in (explicit, os.environ.get(ICEBERG_JAR_ENV, "")):
        if candidate:
            if not Path(candidate).is_file():
                raise UserError(f"Iceberg jar {candidate!r} does not exist")
            return candidate
    for pattern in _GLUE_JAR_GLOBS:
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    spec = importlib_util.find_spec(_PYPI_JAR_PACKAGE)
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            hits = sorted(glob.glob(os.path.join(location, "jars", _PYPI_JAR_NAME)))
            if hits:
                return hits[-1]
    return None


def session_class_path(cfg: Config) -> list[str]:
    """The jars ``cfg``'s local session loads classes from, as :func:`build_spark` puts them there: PySpark's
    own, the Iceberg runtime, the local file-system jar (a class-data archive is valid only for the same files)."""
    from .local_fs import local_fs_jar, pyspark_jars

    extras = [find_iceberg_jar(cfg.spark.iceberg_jar), local_fs_jar() if cfg.spark.local_fs == "nio" else None]
    return pyspark_jars() + [jar for jar in extras if jar]


def catalog_conf(cfg: Config) -> dict[str, str]:
    """Properties of the Iceberg catalog alone: these may be set on a running session."""
    cat = cfg.lake.catalog_name
    warehouse = cfg.lake.warehouse
    if cfg.lake.catalog_type == "hadoop" and "://" not in warehouse:
        warehouse = str(Path(warehouse).resolve())
    conf = {
        f"spark.sql.catalog.{cat}": "org.apache.iceberg.spark.SparkCatalog",
        f"spark.sql.catalog.{cat}.warehouse": warehouse,
    }
    if cfg.lake.catalog_type == "hadoop":
        conf[f"spark.sql.catalog.{cat}.type"] = "hadoop"
    else:
        conf[f"spark.sql.catalog.{cat}.catalog-impl"] = "org.apache.iceberg.aws.glue.GlueCatalog"
        conf[f"spark.sql.catalog.{cat}.io-impl"] = "org.apache.iceberg.aws.s3.S3FileIO"
    return conf


def attach_catalog(spark: "SparkSession", cfg: Config) -> None:
    """Register ``cfg``'s catalog on an existing session (tests share one session across lakes)."""
    for key, value in catalog_conf(cfg).items():
        spark.conf.set(key, value)


def spark_conf(cfg: Config) -> dict[str, str]:
    """The Spark properties for ``cfg``; pure so it can be tested without a JVM."""
    cat = cfg.lake.catalog_name
    conf = {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        **catalog_conf(cfg),
        "spark.sql.defaultCatalog": cat,
        "spark.sql.shuffle.partitions": str(cfg.spark.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.iceberg.handle-timestamp-without-timezone": "false",
        # Off in a local run (see spark.adaptive in defaults.yaml), on for Glue's season-sized jobs.
        "spark.sql.adaptive.enabled": "true" if cfg.spark.adaptive else "false",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        # Off in a local run (see spark.cache_compressed in defaults.yaml), on for Glue.
        "spark.sql.inMemoryColumnarStorage.compressed": "true" if cfg.spark.cache_compressed else "false",
    }
    if cfg.spark.file_read_tasks > 0:   # see spark.file_read_tasks in defaults.yaml: gzip bronze is not splittable
        conf["spark.sql.files.minPartitionNum"] = str(cfg.spark.file_read_tasks)
    if cfg.spark.master:
        conf.update({
            # Listing a load's bronze files (hundreds of explicit paths) on the driver takes milliseconds
            # locally; above the default threshold of 32 paths Spark would run a whole job to list them.
            "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
            "spark.ui.enabled": "false",
            # A local workflow run puts each job's Spark jobs in a pool of its own (see workflow_runner):
            # a small job's tasks then get a core between a large job's tasks instead of queueing behind them.
            "spark.scheduler.mode": "FAIR",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.memory": cfg.spark.driver_memory,
            "spark.sql.warehouse.dir": str(Path(".lake/spark-warehouse").resolve()),
            "spark.driver.extraJavaOptions": "-Dderby.system.home=" + str(Path(".lake/derby").resolve())
            + " -Dlog4j2.configurationFile=" + _local_log4j()
            + (" " + cfg.spark.jvm_options if cfg.spark.jvm_options else "")
            + (" " + jit_directives_options() if cfg.spark.jit_driver_code_c1 else ""),
        })
        if cfg.spark.codegen_cache_entries > 0:   # see defaults.yaml; static: fixed when the JVM starts
            conf["spark.sql.codegen.cache.maxEntries"] = str(cfg.spark.codegen_cache_entries)
    return conf


def jit_directives_options() -> str:
    """JVM flags that load ``resources/jit_driver_code_c1.json``: see ``spark.jit_driver_code_c1`` in defaults.yaml.

    A HotSpot compiler-directives file (a diagnostic option, so it is unlocked first) excludes the listed
    packages from C2; the tiered policy then compiles their hot methods with C1 at full speed, no profiling.
    HotSpot announces the file on stdout ("1 compiler directives added") in every run's output: the VM's
    informational output is turned off (its warnings and errors still print).
    """
    path = _resource("jit_driver_code_c1.json")
    return f"-XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -XX:CompilerDirectivesFile={path}"


def _local_log4j() -> str:
    return _resource("log4j2.properties")


def _resource(name: str) -> str:
    """The path of a file in ``cbbd_etl/resources`` (the JVM reads it by path)."""
    from importlib import resources

    return str(resources.files("cbbd_etl").joinpath("resources", name))


def build_spark(cfg: Config, app_name: str = "cbbd_etl") -> "SparkSession":
    """Get or create the session; on Glue the platform already owns it."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the machine
        raise UserError("PySpark is not installed: run `make install` (or pip install '.[local]')") from None
    builder = SparkSession.builder.appName(app_name)
    if cfg.spark.master and not in_glue():
        builder = builder.master(cfg.spark.master)
        # A laptop's hostname often resolves to loopback; say so up front instead of a warning per run.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    conf = spark_conf(cfg)
    if cfg.spark.master and not in_glue() and cfg.spark.class_data_archive:
        from .jvm_archive import archive_option

        shared = archive_option(cfg, session_class_path(cfg))   # "" until `make jvm-archive` has built one
        if shared:
            conf["spark.driver.extraJavaOptions"] += " " + shared
    for key, value in conf.items():
        builder = builder.config(key, value)
    if not in_glue():
        if cfg.spark.master and cfg.spark.local_fs == "nio":
            from .local_fs import local_fs_conf, local_fs_jar

            for key, value in local_fs_conf(local_fs_jar()).items():
                builder = builder.config(key, value)
        jar = find_iceberg_jar(cfg.spark.iceberg_jar)
        if jar:
            builder = builder.config("spark.jars", jar)
        else:
            builder = builder.config("spark.jars.packages", cfg.spark.iceberg_maven)
    spark = builder.getOrCreate()
    attach_catalog(spark, cfg)  # getOrCreate may have returned a session built for another catalog
    import_hot_classes(spark)
    spark.sparkContext.setLogLevel(cfg.spark.log_level)
    return spark


# Classes PySpark looks up by bare name on every call: ``F.col``, ``F.lit``, ... each ask py4j for ``functions``.
HOT_CLASSES = ("org.apache.spark.sql.functions", "org.apache.spark.api.python.PythonUtils")


def import_hot_classes(spark: "SparkSession") -> None:
    """Import :data:`HOT_CLASSES` into the gateway's JVM view, so py4j finds them at the first try.

    Why: PySpark resolves ``functions`` by name for every column function it builds, and py4j tries the bare
    name as a class and then each of PySpark's wildcard imports before it reaches ``org.apache.spark.sql``;
    every miss is a class-loader search of the ~250 jars on the classpath. A workflow run builds ~18,000
    column expressions (driver threads spent ~25 s of a tiny season's 90 s run in those lookups, 1.4 ms each
    on 2 busy cores); a single import answers in one lookup (0.35 ms -> 0.11 ms idle).
    """
    from py4j.java_gateway import java_import

    for fqn in HOT_CLASSES:
        java_import(spark._jvm, fqn)


def ensure_namespaces(spark: "SparkSession", cfg: Config) -> None:
    for logical in ("silver", "gold", "meta"):
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {cfg.namespace(logical)}")


def ddl_schema(ddl: str) -> "StructType":
    """A StructType from a DDL column list (PySpark 3.5 has no ``StructType.fromDDL``).

    Needs an active SparkContext: the JVM parses the DDL, exactly as CREATE TABLE would.
    """
    from pyspark.sql.types import StructType, _parse_datatype_string

    parsed = _parse_datatype_string(ddl)
    if not isinstance(parsed, StructType):  # pragma: no cover - a single-column DDL still parses as a struct
        raise ValueError(f"not a column list: {ddl[:80]}")
    return parsed


T = TypeVar("T")
R = TypeVar("R")


def map_concurrently(spark: "SparkSession", fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """``[fn(x) for x in items]`` with up to ``workers`` calls at once, in order; for many small Spark queries.

    Why: a small query's driver-side work (analysis, planning, code generation) is serial, so queries one at
    a time leave a core idle (data quality's ~60 queries, the audit's coverage passes). Spark's local
    properties (job group, scheduler pool) belong to a thread: the pool's threads take the caller's, so the
    queries still count under the workflow job that asked for them.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    sc = spark.sparkContext
    props = {k: sc.getLocalProperty(k) for k in ("spark.jobGroup.id", "spark.job.description",
                                                  "spark.job.interruptOnCancel", "spark.scheduler.pool")}

    def call(x: T) -> R:
        for key, value in props.items():
            sc.setLocalProperty(key, value)
        return fn(x)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cbbd-q") as pool:
        return list(pool.map(call, items))


def materialized(df: "DataFrame") -> "DataFrame":
    """``df`` computed now and kept by the executors behind a one-node plan: for small derived frames (a
    season of gold rows) that several actions read.

    Why not ``cache()``: a cached frame keeps its whole logical plan, and every later action on it (or on a
    frame built from it) analyses that plan again and matches it against every cached plan of the session.
    For ``gold.player_season`` (joins, windows and ~40 derived columns over the player-game rows: an optimised
    plan of ~260,000 characters) that was 0.5-0.7 s per action where the same action on a local checkpoint
    took 0.06-0.2 s. The price of ``localCheckpoint``: the rows cannot be recomputed if an executor is lost
    (the job fails and Glue's retry runs it again), so only frames of a few thousand to a few hundred thousand
    rows, never silver loads, go this way. Nothing unpersists them: Spark's ContextCleaner frees the blocks
    once the JVM's garbage collector finds the frame unreferenced.
    """
    return df.localCheckpoint(eager=True)


# Up to this many rows a small driver-side frame is a SQL VALUES list (see local_frame); above it SQL
# parsing costs more than PySpark's route (measured: 100 rows 122 ms against 255 ms; 3,000 rows 856 against 351).
LOCAL_VALUES_MAX_ROWS = 300


def local_frame(spark: "SparkSession", rows: Sequence[Sequence[Any]], schema: "str | StructType") -> "DataFrame":
    """``spark.createDataFrame(rows, schema)`` for the small frames jobs build on the driver (lineage of a
    load's files, processed marks, quarantine rows), without PySpark's Python round trip.

    Why: ``createDataFrame`` of a Python list is a Python RDD, so every use starts a Python worker and pickles
    the rows through it (~250 ms for a few rows, ~35 of them in a demo's silver loads). A ``VALUES`` list is a
    local relation the JVM plans and evaluates by itself (~40 ms), and a broadcast of it needs no Spark job.
    Rows of plain scalars (None, bool, int, float, str, date, datetime) up to :data:`LOCAL_VALUES_MAX_ROWS`
    take that route; anything else (arrays, maps, more rows, a NOT NULL field) goes through ``createDataFrame``.
    Naive datetimes mean UTC on both routes (the session's time zone), as everywhere in this project.
    """
    struct = ddl_schema(schema) if isinstance(schema, str) else schema
    fields = struct.fields
    literals = None
    if 0 < len(rows) <= LOCAL_VALUES_MAX_ROWS and all(f.nullable for f in fields):
        try:
            literals = [[sql_literal(v) for v in row] for row in rows]
        except TypeError:
            literals = None
    if literals is None or any(len(r) != len(fields) for r in literals):
        return spark.createDataFrame([tuple(_utc_aware(v) for v in row) for row in rows], struct)
    names = [f"c{i}" for i in range(len(fields))]
    body = ", ".join("(" + ", ".join(r) + ")" for r in literals)
    cols = ", ".join(f"CAST({n} AS {f.dataType.simpleString()}) AS `{f.name}`" for n, f in zip(names, fields))
    return spark.sql(f"SELECT {cols} FROM VALUES {body} AS v({', '.join(names)})")


def sql_literal(value: Any) -> str:
    """A Spark SQL literal for a plain scalar (None, bool, int, float, str, date, datetime); TypeError otherwise."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value!r}D" if math.isfinite(value) else f"CAST('{value!r}' AS DOUBLE)"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE'{value.isoformat()}'"
    raise TypeError(type(value).__name__)


def _utc_aware(value: Any) -> Any:
    """PySpark reads a naive datetime in the Python process's local zone; this project's naive ones are UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value
