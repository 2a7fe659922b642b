"""The class-data archive of local sessions (cbbd_etl.jvm_archive): named by what it depends on, used only when
current, and really mapped by the JVM of the next session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cbbd_etl import jvm_archive
from conftest import make_cfg


def _jar(tmp_path: Path, name: str, data: bytes = b"x") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_archive_key_changes_with_every_input_and_only_then(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    java, a, b = _jar(tmp_path, "java"), _jar(tmp_path, "a.jar"), _jar(tmp_path, "b.jar")
    key = jvm_archive.archive_key(java, [a, b], "-XX:+UseParallelGC")
    assert key == jvm_archive.archive_key(java, [a, b], " -XX:+UseParallelGC ")   # same inputs, same name
    others = {
        "flags": jvm_archive.archive_key(java, [a, b], "-XX:+UseG1GC"),
        "a jar less": jvm_archive.archive_key(java, [a], "-XX:+UseParallelGC"),
        "no java": jvm_archive.archive_key(None, [a, b], "-XX:+UseParallelGC"),
        "a missing jar": jvm_archive.archive_key(java, [a, b, str(tmp_path / "gone.jar")], "-XX:+UseParallelGC"),
    }
    Path(b).write_bytes(b"a new build of the jar")
    others["a changed jar"] = jvm_archive.archive_key(java, [a, b], "-XX:+UseParallelGC")
    monkeypatch.setattr(jvm_archive, "WORKLOAD_VERSION", jvm_archive.WORKLOAD_VERSION + 1)
    others["a new workload"] = jvm_archive.archive_key(java, [a, b], "-XX:+UseParallelGC")
    assert len({key, *others.values()}) == 1 + len(others), others


def test_a_session_names_the_archive_only_when_one_is_current(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path, **{"spark.class_data_archive": True, "spark.master": "local[2]"})
    cache, jars = tmp_path / "cache", [_jar(tmp_path, "a.jar")]
    assert jvm_archive.archive_option(cfg, jars, cache) == ""             # none built: the session starts as before
    path = jvm_archive.archive_path(cfg, jars, cache)
    assert path.parent == cache / "jvm" and path.name.startswith(jvm_archive.ARCHIVE_PREFIX)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"archive")
    assert jvm_archive.archive_option(cfg, jars, cache) == f"-XX:SharedArchiveFile={path}"
    assert jvm_archive.archive_option(cfg.replace(**{"spark.class_data_archive": False}), jars, cache) == ""
    other_flags = cfg.replace(**{"spark.jvm_options": "-XX:+UseSerialGC"})
    assert jvm_archive.archive_option(other_flags, jars, cache) == ""     # built for other flags: not this one's
    assert jvm_archive.archive_option(cfg, jars + [_jar(tmp_path, "b.jar")], cache) == ""   # other jars


@pytest.mark.timeout(300)
def test_a_built_archive_is_mapped_by_the_next_local_session(tmp_path: Path) -> None:
    """`make jvm-archive` builds one (a training session in a child process, its JVM dumping at exit); a session
    started afterwards in another process loads Spark's classes from it ("shared objects file" in its class log).
    Everything runs with a cache folder of its own, so the machine's archives are left alone."""
    env = {**os.environ, "CBBD_ETL_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("JAVA_TOOL_OPTIONS", None)

    def make_archive() -> str:
        done = subprocess.run([sys.executable, "-m", "cbbd_etl.jvm_archive_build"], env=env, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    assert "built in" in make_archive()
    (archive,) = (tmp_path / "cache" / "jvm").glob(f"{jvm_archive.ARCHIVE_PREFIX}*.jsa")
    assert archive.stat().st_size > 10 * 2 ** 20
    assert not list(archive.parent.glob(".*.partial"))
    assert "current" in make_archive()                                   # found, not built again

    log = tmp_path / "classes.log"
    script = ("import sys; from cbbd_etl.config import load_config; from cbbd_etl.spark import build_spark;"
              "cfg = load_config().replace(**{'lake.warehouse': sys.argv[1], 'spark.class_data_archive': True});"
              "print(build_spark(cfg).range(3).count())")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "warehouse")], capture_output=True, text=True,
                         env={**env, "JAVA_TOOL_OPTIONS": f"-Xlog:class+load=info:file={log}"}, timeout=240)
    assert out.returncode == 0 and out.stdout.strip().endswith("3"), out.stderr[-2000:]
    loaded = [line for line in log.read_text().splitlines() if " org.apache.spark.SparkContext " in line]
    assert loaded and "source: shared objects file (top)" in loaded[0], loaded


def test_building_keeps_the_newest_archives_only(tmp_path: Path) -> None:
    """Archives of older jars or flags are never mapped again (~140 MB each): the newest few stay."""
    folder = tmp_path / "jvm"
    folder.mkdir()
    paths = []
    for age in range(6):
        path = folder / f"{jvm_archive.ARCHIVE_PREFIX}{age}.jsa"
        path.write_bytes(b"a")
        os.utime(path, (1_000_000 - age * 100, 1_000_000 - age * 100))
        paths.append(path)
    other = folder / "notes.txt"
    other.write_text("not an archive")
    jvm_archive.prune(folder, keep=paths[5])             # the one just built may be the oldest by mtime
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [paths[0].name, paths[1].name, paths[5].name, "notes.txt"])
