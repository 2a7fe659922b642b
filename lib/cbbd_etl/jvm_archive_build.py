"""Builds the class-data archive of local sessions (see :mod:`cbbd_etl.jvm_archive`): ``python -m
cbbd_etl.jvm_archive_build`` (``make jvm-archive``).

A module of its own because it starts sessions (``spark.build_spark``), while ``spark`` asks
:mod:`cbbd_etl.jvm_archive` for an archive at every session start.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .jvm_archive import archive_path, find_java, prune
from .spark import session_class_path

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from .config import Config


def build(cfg: "Config", cache: Path | None = None, timeout: float = 600.0) -> tuple[Path | None, str]:
    """``(archive, "")`` built (or found) for ``cfg``; ``(None, reason)`` when it could not be built.

    The training session runs in a child process; its JVM writes the archive when it exits, after the child
    has gone, so this waits for that JVM too before the archive takes its final name (atomically: a session
    never maps a half-written file).
    """
    target = archive_path(cfg, session_class_path(cfg), cache)
    if target.is_file():
        return target, ""
    if not find_java():
        return None, "no java on JAVA_HOME or PATH"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    # what shapes the child's JVM as it will shape the sessions that map the archive
    same = ("jvm_options", "jit_driver_code_c1", "driver_memory", "local_fs", "iceberg_jar")
    request = {"archive": str(partial), "config": {f"spark.{k}": getattr(cfg.spark, k) for k in same}}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cbbd_etl.jvm_archive_build", "train"], input=json.dumps(request),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return None, f"the training session failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"
    jvm_pid = int(proc.stdout.strip().splitlines()[-1])
    while _alive(jvm_pid) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    if _alive(jvm_pid):
        return None, f"the training JVM did not exit within {timeout:.0f} s"
    if not partial.is_file() or partial.stat().st_size == 0:
        return None, "the training JVM wrote no archive"
    os.replace(partial, target)
    prune(target.parent, keep=target)
    return target, ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # pragma: no cover - someone else's process took the number
        return True
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ", 1)[-1][:1] != "Z"


def train(archive: str, overrides: dict[str, object]) -> int:
    """The child side of :func:`build`: a session that dumps its classes at exit, and a workload that loads the
    classes every job needs. Prints the JVM's pid (the parent waits for it)."""
    import tempfile

    from .config import load_config
    from .spark import build_spark

    with tempfile.TemporaryDirectory(prefix="cbbd-cds-") as tmp:
        root = Path(tmp)
        cfg = load_config().replace(**{
            **overrides, "lake.warehouse": str(root / "warehouse"), "lake.catalog_name": "local",
            "spark.class_data_archive": False,
            # -Xlog:cds=off: the JVM lists every class it cannot archive (signed jars, unlinked classes)
            "spark.jvm_options": f"{overrides.get('spark.jvm_options', '')} -XX:ArchiveClassesAtExit={archive} "
                                 "-Xlog:cds=off -Xlog:cds+dynamic=off"})
        spark = build_spark(cfg, app_name="cbbd_etl-class-archive")
        _workload(spark, root)
        print(spark.sparkContext._gateway.proc.pid, flush=True)
    return 0


def _workload(spark: "SparkSession", root: Path) -> None:
    """JSON read with a schema, cache and count, an Iceberg table created and MERGEd into, a window, an
    aggregate, a join and a metadata table: the code paths of a silver and a gold job."""
    import gzip

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rows = [{"id": i, "g": i % 7, "t": "x" * (i % 13), "ts": "2024-01-01T00:00:00Z"} for i in range(2000)]
    src = root / "in.json.gz"
    src.write_bytes(gzip.compress(json.dumps(rows).encode()))
    df = spark.read.schema("id BIGINT, g INT, t STRING, ts TIMESTAMP").json(str(src)).cache()
    df.count()
    spark.sql("CREATE NAMESPACE IF NOT EXISTS local.silver")
    spark.sql("CREATE TABLE local.silver.t (id BIGINT, g INT, t STRING, ts TIMESTAMP) USING iceberg "
              "PARTITIONED BY (g) TBLPROPERTIES ('format-version'='2')")
    df.createOrReplaceTempView("src")
    spark.sql("MERGE INTO local.silver.t t USING src s ON t.id = s.id "
              "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    by_group = Window.partitionBy("g").orderBy("id")
    (spark.table("local.silver.t").withColumn("r", F.row_number().over(by_group))
     .groupBy("g").agg(F.max("r"), F.sum("id")).join(df.groupBy("g").count(), "g").collect())
    spark.sql("SELECT count(*) FROM local.silver.t.snapshots").collect()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["train"]:
        request = json.loads(sys.stdin.read())
        return train(request["archive"], request["config"])
    if not args or args[:1] == ["build"]:
        from .config import load_config

        cfg = load_config()
        if not cfg.spark.class_data_archive:
            print("spark.class_data_archive is off: no archive to build")
            return 0
        started, current = time.monotonic(), archive_path(cfg, session_class_path(cfg)).is_file()
        path, reason = build(cfg)
        if path is None:
            print(f"no class-data archive ({reason}); local sessions start without one", file=sys.stderr)
            return 0
        how = "current" if current else f"built in {time.monotonic() - started:.0f} s"
        print(f"class-data archive: {path} ({path.stat().st_size / 2 ** 20:.0f} MB, {how})")
        return 0
    print("usage: python -m cbbd_etl.jvm_archive_build [build]", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover - a command
    sys.exit(main())
