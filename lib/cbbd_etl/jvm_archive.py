"""A class-data archive (HotSpot AppCDS) for local Spark sessions: the JVM maps Spark's and Iceberg's classes
instead of loading, parsing and verifying them at every start.

Why: a local session loads ~15,000 classes, one by one on the driver's thread, before and while it runs its
first queries. With an archive of them, measured on this project's 2-core machines: a session starts in 1.8 s
instead of 3.4 s, and a small first workload (JSON read, MERGE into Iceberg, a window, a join) runs in 5.3 s
instead of 7.5 s, for 5 CPU-s less. Every local job process and workflow run gains that once, once an archive
exists (``make job`` and ``make bench`` build it; ``make demo`` and the CLI use it when it is there).

How: ``python -m cbbd_etl.jvm_archive_build`` (``make jvm-archive``; ``make bench`` and ``make job`` run it)
starts a session in a child process with ``-XX:ArchiveClassesAtExit``, runs a small workload covering the
paths every job takes, and lets the JVM write the archive as it exits (~5 s). The archive is named by a hash
of everything it depends on: the ``java`` binary, the class path (PySpark's jars, the Iceberg runtime, the
local file-system jar) and the session's JVM flags. A session whose hash names no archive runs as before
(:func:`archive_option` gives nothing), so a new PySpark or JDK only costs the gain until the next build. The
JVM checks the archive itself and runs without it on any mismatch.

This module names and finds archives (no JVM, no Spark: ``spark.build_spark`` imports it);
``jvm_archive_build`` builds them.

Local sessions only (``spark.class_data_archive``): Glue owns its JVM. The test session keeps it off, so the
suite never depends on the machine's cache.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .local_fs import cache_dir, jdk_tool

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

# Bumped when the training workload changes, so archives of the old one are not taken for the new.
WORKLOAD_VERSION = 1
ARCHIVE_PREFIX = "spark-cds-"


def find_java() -> str | None:
    """The ``java`` Spark launches."""
    return jdk_tool("java")


def archive_key(java: str | None, files: Iterable[str], jvm_options: str) -> str:
    """A hash of what an archive depends on: the JVM binary and each class-path file (path, size, mtime), the
    JVM flags, the training workload. Pure given its inputs' stat results (no JVM)."""
    h = hashlib.sha256(f"v{WORKLOAD_VERSION}\0{jvm_options.strip()}\0".encode())
    for path in ([java] if java else []) + list(files):
        try:
            st = os.stat(os.path.realpath(path))
            h.update(f"{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            h.update(f"{path}\0missing\0".encode())
    return h.hexdigest()[:20]


def archive_path(cfg: "Config", class_path: Iterable[str], cache: Path | None = None) -> Path:
    """Where the archive for ``cfg``'s local session on ``class_path`` (``spark.session_class_path(cfg)``) lives,
    whether or not it exists yet."""
    key = archive_key(find_java(), class_path, _session_jvm_options(cfg))
    return (cache or cache_dir()) / "jvm" / f"{ARCHIVE_PREFIX}{key}.jsa"


def _session_jvm_options(cfg: "Config") -> str:
    """The flags that shape the archive: the configured JVM options and whether JIT directives are on."""
    return f"{cfg.spark.jvm_options} c1={cfg.spark.jit_driver_code_c1}"


def archive_option(cfg: "Config", class_path: Iterable[str], cache: Path | None = None) -> str:
    """``-XX:SharedArchiveFile=...`` when ``cfg`` wants an archive and this machine has a current one, else ""."""
    if not cfg.spark.class_data_archive or not cfg.spark.master:
        return ""
    path = archive_path(cfg, class_path, cache)
    return f"-XX:SharedArchiveFile={path}" if path.is_file() else ""


KEEP_ARCHIVES = 3


def prune(folder: Path, keep: Path) -> None:
    """Delete all but the newest :data:`KEEP_ARCHIVES` archives (~140 MB each): archives of older jars or flags
    are never mapped again, and a few are kept for machines that switch between environments."""
    archives = sorted(folder.glob(f"{ARCHIVE_PREFIX}*.jsa"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in archives if p != keep][KEEP_ARCHIVES - 1:]:
        old.unlink(missing_ok=True)
