"""The local session's file:// file system: same permissions as Hadoop's, set without a chmod process."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from cbbd_etl import local_fs
from cbbd_etl.config import ConfigError, load_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_build_jar_compiles_once_and_reuses_the_cached_jar(tmp_path: Path) -> None:
    javac, hadoop = local_fs.find_javac(), local_fs.find_hadoop_jar()
    if not javac or not hadoop:
        pytest.skip("needs a JDK's javac and PySpark's Hadoop jar")
    jar, reason = local_fs.build_jar(tmp_path, javac, hadoop)
    assert reason == "" and jar is not None and jar.parent == tmp_path
    with zipfile.ZipFile(jar) as zf:
        names = set(zf.namelist())
    assert {"cbbd_etl/hadoop/NioLocalFileSystem.class", "cbbd_etl/hadoop/NioLocalFileSystem$Raw.class"} <= names
    built = jar.stat().st_mtime_ns
    again, _ = local_fs.build_jar(tmp_path, javac, hadoop)
    assert again == jar and jar.stat().st_mtime_ns == built
    assert [p.name for p in tmp_path.iterdir()] == [jar.name]   # no partial jar left behind


def test_without_javac_or_hadoop_jar_the_session_keeps_hadoops_file_system(tmp_path: Path) -> None:
    assert local_fs.build_jar(tmp_path, None, "x.jar") == (None, "no javac (a JDK's compiler) on JAVA_HOME or PATH")
    assert local_fs.build_jar(tmp_path, "javac", None) == (None, "no hadoop-client-api jar beside PySpark")
    jar, reason = local_fs.build_jar(tmp_path, str(tmp_path / "no-such-javac"), "x.jar")
    assert jar is None and reason.startswith("javac did not run")
    javac, hadoop = local_fs.find_javac(), local_fs.find_hadoop_jar()
    if javac and hadoop:   # a cache folder that cannot be made (a file is in its way)
        blocker = tmp_path / "blocker"
        blocker.write_text("")
        jar, reason = local_fs.build_jar(blocker / "cache", javac, hadoop)
        assert jar is None and reason.startswith(f"cannot write the jar in {blocker / 'cache'}")
    assert local_fs.local_fs_conf(None) == {}
    assert local_fs.local_fs_conf("/c/nio.jar") == {"spark.driver.extraClassPath": "/c/nio.jar",
                                                    "spark.hadoop.fs.file.impl": local_fs.FS_CLASS}


def test_local_fs_setting_is_validated() -> None:
    with pytest.raises(ConfigError, match="spark.local_fs"):
        load_config(profile="local").replace(**{"spark.local_fs": "posix"}).spark.validate()


@pytest.mark.integration
def test_session_file_system_sets_hadoop_permissions_without_chmod(spark: object, lake: object,
                                                                    tmp_path: Path) -> None:
    if not local_fs.local_fs_jar():
        pytest.skip("needs a JDK's javac and PySpark's Hadoop jar")
    jvm = spark._jvm  # type: ignore[attr-defined]
    conf = spark._jsc.hadoopConfiguration()  # type: ignore[attr-defined]
    fs = jvm.org.apache.hadoop.fs.FileSystem.get(jvm.java.net.URI("file:///"), conf)
    assert fs.getClass().getName() == local_fs.FS_CLASS
    hpath = jvm.org.apache.hadoop.fs.Path
    target = tmp_path / "perm" / "file.bin"
    out = fs.create(hpath("file://" + str(target)), True)
    out.write(b"abc")
    out.close()
    # Hadoop's defaults after its umask (022): files 0644, directories 0755, whatever the process umask is.
    assert _mode(target) == 0o644 and _mode(target.parent) == 0o755
    for mode in (0o600, 0o640, 0o751, 0o777):
        fs.setPermission(hpath("file://" + str(target)), jvm.org.apache.hadoop.fs.permission.FsPermission(mode))
        assert _mode(target) == mode
    assert target.read_bytes() == b"abc" and (target.parent / ".file.bin.crc").is_file()   # checksums kept

    # A table written through Iceberg gets the same modes as before.
    spark.sql("CREATE TABLE silver.local_fs_probe (id INT) USING iceberg")  # type: ignore[attr-defined]
    spark.sql("INSERT INTO silver.local_fs_probe VALUES (1), (2)")  # type: ignore[attr-defined]
    data_file = spark.sql("SELECT file_path FROM silver.local_fs_probe.files").collect()[0][0]  # type: ignore[attr-defined]
    table_dir = Path(data_file.removeprefix("file:")).parent.parent
    assert table_dir.name == "local_fs_probe"
    files = [p for p in table_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.name.endswith(".metadata.json") for p in files)
    assert {_mode(p) for p in files} == {0o644}
    assert {_mode(p) for p in table_dir.rglob("*") if p.is_dir()} == {0o755}
    assert spark.sql("SELECT sum(id) AS s FROM silver.local_fs_probe").collect()[0]["s"] == 3  # type: ignore[attr-defined]
