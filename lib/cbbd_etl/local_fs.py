"""A local session's file:// file system without a ``chmod`` process per file (see NioLocalFileSystem.java).

Why: PySpark ships no Hadoop native library, so Hadoop's local file system sets the permission of every
file it creates and every directory it makes by spawning ``chmod``: about 1,300 processes in a demo run,
~10 ms of CPU each (JFR on a demo: 1,018 ``chmod 0644`` and 325 ``chmod 0755``). The replacement is a
20-line subclass compiled on first use with the JDK's ``javac`` against the Hadoop jar PySpark bundles, and
kept in a cache folder under a name that hashes the source and that jar, so a new PySpark or a changed
source builds a new one. No ``javac`` (a JRE only), no Hadoop jar or a failed compile: the session keeps
Hadoop's own file system, one warning says why, and nothing else changes.

Glue and the Glue image never use it (their lake is on S3; :func:`cbbd_etl.spark.build_spark` checks).
"""
from __future__ import annotations

import functools
import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

from .log import event, get_logger

log = get_logger("spark.local_fs")

FS_CLASS = "cbbd_etl.hadoop.NioLocalFileSystem"
_SOURCE = "NioLocalFileSystem.java"
CACHE_ENV = "CBBD_ETL_CACHE_DIR"


def source_text() -> str:
    return resources.files("cbbd_etl").joinpath("resources/java", _SOURCE).read_text(encoding="utf-8")


def cache_dir() -> Path:
    """``$CBBD_ETL_CACHE_DIR``, else ``$XDG_CACHE_HOME/cbbd_etl``, else ``~/.cache/cbbd_etl``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cbbd_etl"


def jdk_tool(name: str) -> str | None:
    """``name`` (``java``, ``javac``) of ``$JAVA_HOME`` (the JDK Spark runs on), else the first on ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", name).is_file():
        return str(Path(home, "bin", name))
    return shutil.which(name)


def find_javac() -> str | None:
    return jdk_tool("javac")


def pyspark_jars(pattern: str = "*.jar") -> list[str]:
    """The jars PySpark bundles that match ``pattern``, sorted: from ``$SPARK_HOME/jars`` when it has any,
    else from the installed ``pyspark`` package."""
    roots = [os.environ.get("SPARK_HOME", "")]
    try:
        import pyspark

        roots.append(str(Path(pyspark.__file__).parent))
    except ImportError:  # pragma: no cover - a session needs PySpark anyway
        pass
    for root in roots:
        hits = sorted(glob.glob(os.path.join(root, "jars", pattern))) if root else []
        if hits:
            return hits
    return []


def find_hadoop_jar() -> str | None:
    """The Hadoop client API jar PySpark bundles (``$SPARK_HOME/jars`` when set)."""
    hits = pyspark_jars("hadoop-client-api-*.jar")
    return hits[-1] if hits else None


def build_jar(cache: Path, javac: str | None, hadoop_jar: str | None) -> tuple[Path | None, str]:
    """``(jar, "")`` built or found in ``cache``; ``(None, reason)`` when it cannot be built."""
    if not javac:
        return None, "no javac (a JDK's compiler) on JAVA_HOME or PATH"
    if not hadoop_jar:
        return None, "no hadoop-client-api jar beside PySpark"
    source = source_text()
    digest = hashlib.sha256((source + "\0" + Path(hadoop_jar).name).encode()).hexdigest()[:16]
    jar = cache / f"nio-local-fs-{digest}.jar"
    if jar.is_file():
        return jar, ""
    with tempfile.TemporaryDirectory(prefix="cbbd-localfs-") as tmp:
        src = Path(tmp, _SOURCE)
        src.write_text(source, encoding="utf-8")
        out = Path(tmp, "classes")
        # Java 8 class files: Spark 3.5 runs on 8, 11 and 17, whichever JDK compiles them.
        cmd = [javac, "--release", "8", "-Xlint:-options", "-nowarn", "-cp", hadoop_jar, "-d", str(out), str(src)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"javac did not run: {exc}"
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            return None, f"javac failed (exit {done.returncode}): {lines[0] if lines else ''}"
        try:
            cache.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=cache, prefix=".nio-local-fs-", suffix=".jar")
            os.close(fd)
            partial = Path(name)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                for cls in sorted(out.rglob("*.class")):
                    zf.write(cls, cls.relative_to(out).as_posix())
            partial.chmod(0o644)
            os.replace(partial, jar)  # atomic: two sessions building at once both end with a whole jar
        except OSError as exc:
            return None, f"cannot write the jar in {cache}: {exc}"
    return jar, ""


@functools.lru_cache(maxsize=1)
def local_fs_jar() -> str | None:
    """The jar of :data:`FS_CLASS` for this machine, built on first use; None (and one warning) when it cannot be."""
    jar, reason = build_jar(cache_dir(), find_javac(), find_hadoop_jar())
    if jar is None:
        event(log, "local file system: Hadoop's default (a chmod process per file)", level=30, reason=reason)
        return None
    return str(jar)


def local_fs_conf(jar: str | None) -> dict[str, str]:
    """The session properties that put :data:`FS_CLASS` behind file:// ({} without a jar)."""
    if not jar:
        return {}
    return {"spark.driver.extraClassPath": jar, "spark.hadoop.fs.file.impl": FS_CLASS}
