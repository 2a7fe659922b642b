"""bench/jfr_summary.py: the JIT's share of a run, read from Java Flight Recorder events.

The performance notes quote its numbers (compile seconds by code family, C2's recompilations); a summary that
filed Spark's generated classes under "spark", counted a generated class's many namesakes as recompilations,
or misread JFR's ISO durations would misstate where the CPU goes.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import bench_scripts


@pytest.fixture(scope="module")
def jfr() -> ModuleType:
    return bench_scripts.load("jfr_summary")


def compilation(cls: str, method: str, level: int, duration: str, osr: bool = False,
                descriptor: str = "()V") -> dict[str, Any]:
    return {"type": "jdk.Compilation", "values": {
        "duration": duration, "compileLevel": level, "isOsr": osr,
        "method": {"type": {"name": cls}, "name": method, "descriptor": descriptor}}}


def sample(thread: str) -> dict[str, Any]:
    return {"type": "jdk.ExecutionSample", "values": {"sampledThread": {"javaName": thread}}}


EVENTS = [
    # A method of Spark's compiled by C2, then again after a deoptimisation: 0.5 s first, 0.25 s again.
    compilation("org/apache/spark/sql/execution/SparkPlan", "execute", 4, "PT0.5S"),
    {"type": "jdk.Deoptimization", "values": {"reason": "unstable_if"}},
    compilation("org/apache/spark/sql/execution/SparkPlan", "execute", 4, "PT0.25S"),
    # An overload (other descriptor) and an OSR compilation are not recompilations.
    compilation("org/apache/spark/sql/execution/SparkPlan", "execute", 4, "PT0.125S", descriptor="(I)V"),
    compilation("org/apache/spark/sql/execution/SparkPlan", "execute", 4, "PT0.0625S", osr=True),
    # Two queries' generated classes share a name: two first compilations, never a recompilation.
    compilation("org/apache/spark/sql/catalyst/expressions/GeneratedClass$GeneratedIteratorForCodegenStage1",
                "processNext", 4, "PT1M1.5S"),
    compilation("org/apache/spark/sql/catalyst/expressions/GeneratedClass$GeneratedIteratorForCodegenStage1",
                "processNext", 4, "PT2S"),
    compilation("org/codehaus/janino/UnitCompiler", "compile2", 3, "PT0.75S"),
    compilation("org/antlr/v4/runtime/atn/ParserATNSimulator", "closure_", 2, "PT0.001S"),
    compilation("com/example/Thing", "run", 1, "PT0S"),
    {"type": "jdk.Deoptimization", "values": {"reason": "unstable_if"}},
    {"type": "jdk.Deoptimization", "values": {"reason": "class_check"}},
    sample("Executor task launch worker for task 0.0 in stage 1.0 (TID 1)"),
    sample("Executor task launch worker for task 1.0 in stage 1.0 (TID 2)"),
    sample("Executor task launch worker for task 2.0 in stage 1.0 (TID 3)"),
    sample("Thread-4"),
    {"type": "jdk.GCPhasePause", "values": {}},        # other events are ignored
]


def test_durations_are_iso_8601(jfr: ModuleType) -> None:
    assert jfr.seconds("PT0.012S") == pytest.approx(0.012)
    assert jfr.seconds("PT1M3.5S") == pytest.approx(63.5)
    assert jfr.seconds("PT1H") == 3600
    assert jfr.seconds("PT0S") == 0
    with pytest.raises(ValueError, match="ISO-8601"):
        jfr.seconds("12 ms")


def test_code_families(jfr: ModuleType) -> None:
    assert jfr.family("org/apache/spark/sql/catalyst/expressions/GeneratedClass$SpecificUnsafeProjection") \
        == "spark generated code"
    assert jfr.family("org.apache.spark.sql.catalyst.json.JacksonParser") == "spark"
    assert jfr.family("org/codehaus/janino/UnitCompiler") == "janino (compiles generated code)"
    assert jfr.family("org/apache/iceberg/shaded/org/apache/parquet/column/Encoder") == "iceberg"
    assert jfr.family("java/util/HashMap") == "jdk"
    assert jfr.family("net/razorvine/pickle/Pickler") == "other"


def test_summary_splits_compile_time_and_recompilations(jfr: ModuleType) -> None:
    s = jfr.summarize(EVENTS, top=2)
    assert s.compilations == 9
    assert s.compile_seconds == pytest.approx(0.5 + 0.25 + 0.125 + 0.0625 + 61.5 + 2 + 0.75 + 0.001)
    assert s.by_tier == pytest.approx({1: 0, 2: 0.001, 3: 0.75, 4: 0.5 + 0.25 + 0.125 + 0.0625 + 63.5})
    assert s.c2_first_seconds == pytest.approx(0.5 + 0.125)
    assert s.c2_again_seconds == pytest.approx(0.25)
    assert s.by_family["spark generated code"] == (pytest.approx(63.5), 2)
    assert s.by_family["spark"] == (pytest.approx(0.9375), 4)
    assert list(s.by_family)[0] == "spark generated code"              # largest first
    assert [name for _, _, name in s.longest] == ["GeneratedClass$GeneratedIteratorForCodegenStage1::processNext"] * 2
    assert s.deopt_reasons == {"unstable_if": 2, "class_check": 1}
    assert s.samples == {"executor tasks": 3, "driver threads": 1}


def test_render_and_cli_read_jfr_json(jfr: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = tmp_path / "run.json"
    printed.write_text(json.dumps({"recording": {"events": EVENTS}}))
    assert jfr.main([str(printed), "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("JIT: 9 compilations, 65.2 s of compiler time")
    assert "recompilations of a method it had compiled before 0.2 s" in out
    assert "| spark generated code | 63.5 | 2 |" in out
    assert "Deoptimisations: unstable_if 2, class_check 1" in out
    assert "executor tasks 75 %, driver threads 25 % of 4" in out


def test_bad_input_is_one_clear_line(jfr: ModuleType, tmp_path: Path) -> None:
    bad = tmp_path / "not.json"
    bad.write_text("{\"recording\": 3}")
    with pytest.raises(SystemExit, match="is not `jfr print --json` output"):
        jfr.main([str(bad)])
    with pytest.raises(SystemExit):
        jfr.main([str(tmp_path / "missing.json")])
