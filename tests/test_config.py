"""Configuration: defaults, profiles, file and environment overrides, one-line errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from cbbd_etl.config import load_config
from cbbd_etl.errors import ConfigError


def test_local_profile_is_the_default() -> None:
    cfg = load_config(env={})
    assert cfg.profile == "local"
    assert cfg.lake.catalog_type == "hadoop"
    assert cfg.lake.format_version == 2
    assert cfg.table("silver.games") == "lake.silver.games"


def test_aws_profile_uses_glue_catalog_and_s3() -> None:
    cfg = load_config(profile="aws", env={})
    assert cfg.lake.catalog_type == "glue"
    assert cfg.lake.warehouse.startswith("s3://")
    assert cfg.bronze.root.startswith("s3://")
    assert cfg.table("gold.team_season") == "glue_catalog.cbbd_gold.team_season"


def test_adaptive_execution_is_off_locally_and_on_for_glue() -> None:
    """Small local queries lose more to re-planning than they gain; Glue's season-sized jobs keep it."""
    from cbbd_etl.spark import spark_conf

    local, aws = load_config(env={}), load_config(profile="aws", env={})
    assert spark_conf(local)["spark.sql.adaptive.enabled"] == "false"
    assert spark_conf(aws)["spark.sql.adaptive.enabled"] == "true"
    on = load_config(env={"CBBD_ETL__SPARK__ADAPTIVE": "true"})
    assert spark_conf(on)["spark.sql.adaptive.enabled"] == "true"


def test_cache_compression_is_off_locally_and_on_for_glue() -> None:
    """A local run is CPU-bound (compressing each cached chunk costs more than its memory); Glue keeps it."""
    from cbbd_etl.spark import spark_conf

    local, aws = load_config(env={}), load_config(profile="aws", env={})
    assert spark_conf(local)["spark.sql.inMemoryColumnarStorage.compressed"] == "false"
    assert spark_conf(aws)["spark.sql.inMemoryColumnarStorage.compressed"] == "true"


def test_bronze_reads_get_a_task_per_file_locally_and_sparks_default_on_glue() -> None:
    """Gzip bronze cannot be split: locally at least 16 read tasks (2 cores: ~one file each), on Glue Spark's own
    packing (one task per core is many there); a negative count is refused by name."""
    from cbbd_etl.spark import spark_conf

    local, aws = load_config(env={}), load_config(profile="aws", env={})
    assert spark_conf(local)["spark.sql.files.minPartitionNum"] == "16"
    assert "spark.sql.files.minPartitionNum" not in spark_conf(aws)
    with pytest.raises(ConfigError, match="spark.file_read_tasks"):
        load_config(env={"CBBD_ETL__SPARK__FILE_READ_TASKS": "-1"})


def test_env_overrides_are_typed() -> None:
    cfg = load_config(env={"CBBD_ETL__API__REQUESTS_PER_SECOND": "1.5", "CBBD_ETL__SIM__SIZE": "tiny",
                           "CBBD_ETL_PROFILE": "local"})
    assert cfg.api.requests_per_second == 1.5
    assert cfg.sim.size == "tiny"


def test_user_file_overrides_defaults(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("lake:\n  warehouse: /tmp/elsewhere\napi:\n  max_attempts: 3\n")
    cfg = load_config(path=f, env={})
    assert cfg.lake.warehouse == "/tmp/elsewhere"
    assert cfg.api.max_attempts == 3


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CBBD_ETL__API__MAX_ATTEMPTS": "many"}, "api.max_attempts: expected an integer"),
        ({"CBBD_ETL__API__NOPE": "1"}, "api.nope: unknown configuration key"),
        ({"CBBD_ETL__SIM__SIZE": "huge"}, "sim.size: must be tiny, demo or full"),
        ({"CBBD_ETL_PROFILE": "prod"}, "profile: must be one of aws, local"),
        ({"CBBD_ETL__API__BASE_URL": "ftp://x"}, "api.base_url: must start with http"),
        ({"CBBD_ETL__LAKE__FORMAT_VERSION": "1"}, "lake.format_version: must be 2"),
        ({"CBBD_ETL__SEASONS__DEFAULT": "1990"}, "seasons.default: 1990 is outside"),
        ({"CBBD_ETL__SPARK__PARALLEL_JOBS": "0"}, "spark.parallel_jobs: must be >= 1"),
        ({"CBBD_ETL__SPARK__PARALLEL_TABLES": "0"}, "spark.parallel_tables: must be >= 1"),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("spark:\n  mastr: local[1]\n")
    with pytest.raises(ConfigError, match=r"spark\.mastr: unknown configuration key"):
        load_config(path=f, env={})


def test_missing_file_is_one_line() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(path="/nonexistent/cbbd.yaml", env={})


def test_replace_validates() -> None:
    cfg = load_config(env={})
    with pytest.raises(ConfigError, match="lake.catalog_type"):
        cfg.replace(**{"lake.catalog_type": "hive"})


def test_driver_code_gets_c1_only_in_a_local_session_and_hotspot_reads_the_directives() -> None:
    """Locally the JVM loads a compiler-directives file that keeps per-query driver code (Janino, the SQL parser,
    Catalyst's analyser...) out of C2; the test session (long-lived) and Glue don't. HotSpot itself must read the
    file as meant: a directive it misread would silently leave everything on C2 (or exclude the wrong code)."""
    import json
    import re
    import shutil
    import subprocess

    from cbbd_etl.spark import jit_directives_options, spark_conf

    local, aws = load_config(env={}), load_config(profile="aws", env={})
    opts = spark_conf(local)["spark.driver.extraJavaOptions"]
    found = re.search(r"-XX:CompilerDirectivesFile=(\S+)", opts)
    assert found and "-XX:+UnlockDiagnosticVMOptions" in opts
    directives = Path(found.group(1))
    assert directives.is_file()
    patterns = json.loads(directives.read_text())[0]["match"]
    assert "org/codehaus/*.*" in patterns and "org/antlr/*.*" in patterns
    assert not any(p.startswith(("org/apache/spark/sql/execution", "org/apache/iceberg")) for p in patterns)
    off = spark_conf(local.replace(**{"spark.jit_driver_code_c1": False}))["spark.driver.extraJavaOptions"]
    assert "CompilerDirectivesFile" not in off
    assert "spark.driver.extraJavaOptions" not in spark_conf(aws)
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on PATH to read the directives")
    assert opts.endswith(jit_directives_options())
    ours = jit_directives_options().split()
    assert ours[1] == "-XX:-DisplayVMOutput"           # HotSpot's notice of the file stays out of run output
    quiet = subprocess.run([java, *ours, "-version"], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and "directives" not in quiet.stdout + quiet.stderr
    shown = [ours[0], ours[2], "-XX:+CompilerDirectivesPrint", "-version"]
    printed = subprocess.run([java, *shown], capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout + printed.stderr
    assert "1 compiler directives added" in text
    block = text.split("Directive:", 2)[1]                 # ours, before the default directive
    assert all(p in block for p in patterns)
    assert re.search(r"c2 directives:.*?Exclude:true", block, re.S)


def test_a_local_session_keeps_room_for_a_workflow_runs_compiled_query_code() -> None:
    """Spark's cache of compiled query classes holds 100 by default; a local workflow run compiles ~560. Locally the
    setting raises it (a static setting, so it goes in at the session's start); 0 leaves Spark's; Glue owns its own."""
    from cbbd_etl.spark import spark_conf

    local, aws = load_config(env={}), load_config(profile="aws", env={})
    assert local.spark.codegen_cache_entries >= 1000
    assert spark_conf(local)["spark.sql.codegen.cache.maxEntries"] == str(local.spark.codegen_cache_entries)
    assert "spark.sql.codegen.cache.maxEntries" not in spark_conf(local.replace(**{"spark.codegen_cache_entries": 0}))
    assert "spark.sql.codegen.cache.maxEntries" not in spark_conf(aws)
    with pytest.raises(ConfigError, match="spark.codegen_cache_entries"):
        local.replace(**{"spark.codegen_cache_entries": -1})


def test_a_querys_compiled_code_outlives_a_hundred_other_queries(spark) -> None:
    """The reason for the setting: a query run again after more than 100 others finds its classes compiled (and
    already JIT-compiled), where Spark's default cache would have evicted them and compiled them anew. The test
    hands Spark's code cache a query's whole-stage code, then 120 other (small) classes, as running queries would."""
    jvm = spark._jvm
    codegen = jvm.org.apache.spark.sql.catalyst.expressions.codegen
    compiled = jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    plan = spark.range(3).selectExpr("id * 2 + 7 AS x")._jdf.queryExecution().executedPlan()
    assert plan.nodeName().startswith("WholeStageCodegen")
    first = plan.doCodeGen()._2()

    def other(i: int) -> object:                # a small class of its own: another cache key
        return codegen.CodeAndComment(f"public Object generate(Object[] references) {{ return {i}; }}",
                                      first.comment())

    codegen.CodeGenerator.compile(first)
    before = compiled.getCount()
    for i in range(120):
        codegen.CodeGenerator.compile(other(i))
    assert compiled.getCount() - before == 120  # each compiled a class of its own: the cache had to hold them all
    after = compiled.getCount()
    codegen.CodeGenerator.compile(first)
    assert compiled.getCount() == after         # the first query's class was still there
