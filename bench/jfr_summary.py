"""Where a local run's JVM spends its CPU, from a Java Flight Recorder recording: the JIT, the tasks, the driver.

Why: on 2 cores the pipeline is CPU-bound, and a third to two fifths of the JVM's CPU goes to the JIT's
compiler threads, which no Spark tool shows (the event log and the UI see tasks and queries only). This
reads what JFR records of each compilation (method, tier, duration), of each deoptimisation (reason), and
of each execution sample (which thread), and prints where the compile time went by code family
(Spark's generated classes, Janino, ANTLR, Iceberg, ...), how much of C2's time recompiled a method it had
compiled before, and how the sampled Java time splits between executor tasks and driver threads.

Record (a local run: the driver's JVM is the executor too), with every compilation, not only slow ones::

    sed 's#compiler-compilation-threshold">[^<]*#compiler-compilation-threshold">0 ms#' \\
        $JAVA_HOME/lib/jfr/profile.jfc > /tmp/all-compiles.jfc
    CBBD_ETL__SPARK__JVM_OPTIONS="-XX:CompileThresholdScaling=4 -XX:+UseParallelGC \\
        -XX:StartFlightRecording=settings=/tmp/all-compiles.jfc" <the run>
    jcmd <the JVM's pid> JFR.dump filename=/tmp/run.jfr      # before the run's Python exits: PySpark kills
                                                             # its JVM, so JFR's dump-on-exit never runs

Then ``python bench/jfr_summary.py /tmp/run.jfr`` (needs the JDK's ``jfr`` tool) or, for a recording already
printed with ``jfr print --json --events jdk.Compilation,jdk.Deoptimization,jdk.ExecutionSample``, the
JSON file. Pure Python over that JSON: no Spark, no JVM.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

EVENTS = "jdk.Compilation,jdk.Deoptimization,jdk.ExecutionSample"

# Spark's generated classes (any package: their names hold ``GeneratedClass``), then code families by class-name
# prefix, first match wins.
GENERATED = "spark generated code"
FAMILIES: tuple[tuple[str, str], ...] = (
    ("janino (compiles generated code)", "org.codehaus."),
    ("antlr (SQL parser)", "org.antlr."),
    ("iceberg", "org.apache.iceberg."),
    ("jackson (JSON)", "com.fasterxml.jackson."),
    ("spark", "org.apache.spark."),
    ("parquet / hadoop", "org.apache.parquet."),
    ("parquet / hadoop", "org.apache.hadoop."),
    ("scala library", "scala."),
    ("jdk", "java."),
    ("jdk", "jdk."),
    ("jdk", "sun."),
)


def family(class_name: str) -> str:
    """The code family of a JVM class name (``a/b/C`` or ``a.b.C``)."""
    name = class_name.replace("/", ".")
    if "GeneratedClass" in name:
        return GENERATED
    return next((label for label, prefix in FAMILIES if name.startswith(prefix)), "other")


_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$")


def seconds(iso_duration: str) -> float:
    """JFR's ISO-8601 durations (``PT0.012S``, ``PT1M3.5S``) in seconds."""
    m = _DURATION.match(iso_duration or "")
    if not m:
        raise ValueError(f"not an ISO-8601 duration: {iso_duration!r}")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


@dataclass
class Summary:
    compile_seconds: float = 0.0
    compilations: int = 0
    by_tier: dict[int, float] = field(default_factory=dict)
    by_family: dict[str, tuple[float, int]] = field(default_factory=dict)
    c2_first_seconds: float = 0.0          # each method's first C2 (tier 4, not OSR) compilation
    c2_again_seconds: float = 0.0          # the same method (class, name, descriptor) compiled by C2 again;
    # Spark's generated classes are left out of both: every query's classes share a few names.
    longest: list[tuple[float, int, str]] = field(default_factory=list)
    deopt_reasons: dict[str, int] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)   # executor tasks / driver threads


def summarize(events: Iterable[Mapping[str, Any]], top: int = 10) -> Summary:
    """Fold JFR events (``jfr print --json``'s ``recording.events``) into a :class:`Summary`."""
    out = Summary()
    tiers: dict[int, float] = collections.Counter()
    fam_sec: dict[str, float] = collections.Counter()
    fam_n: dict[str, int] = collections.Counter()
    c2_seen: set[tuple[str, str, str]] = set()
    longest: list[tuple[float, int, str]] = []
    deopts: dict[str, int] = collections.Counter()
    samples: dict[str, int] = collections.Counter()
    for event in events:
        kind, v = event.get("type"), event.get("values", {})
        if kind == "jdk.Compilation":
            sec, method = seconds(v["duration"]), v["method"]
            cls = method["type"]["name"].replace("/", ".")
            tier = int(v["compileLevel"])
            out.compile_seconds += sec
            out.compilations += 1
            tiers[tier] += sec
            fam = family(cls)
            fam_sec[fam] += sec
            fam_n[fam] += 1
            if tier == 4 and not v.get("isOsr") and fam != GENERATED:
                key = (cls, method["name"], method.get("descriptor", ""))
                if key in c2_seen:
                    out.c2_again_seconds += sec
                else:
                    c2_seen.add(key)
                    out.c2_first_seconds += sec
            longest.append((sec, tier, f"{cls.rsplit('.', 1)[-1]}::{method['name']}"))
        elif kind == "jdk.Deoptimization":
            deopts[str(v.get("reason"))] += 1
        elif kind == "jdk.ExecutionSample":
            thread = (v.get("sampledThread") or {}).get("javaName") or ""
            samples["executor tasks" if thread.startswith("Executor task launch") else "driver threads"] += 1
    out.by_tier = dict(sorted(tiers.items()))
    out.by_family = {k: (fam_sec[k], fam_n[k]) for k in sorted(fam_sec, key=lambda k: -fam_sec[k])}
    out.longest = sorted(longest, reverse=True)[:top]
    out.deopt_reasons = dict(sorted(deopts.items(), key=lambda kv: -kv[1]))
    out.samples = dict(samples)
    return out


def render(s: Summary) -> str:
    """Markdown for a note or a doc."""
    lines = [f"JIT: {s.compilations:,} compilations, {s.compile_seconds:.1f} s of compiler time "
             f"(by tier: {', '.join(f'{t}: {sec:.1f} s' for t, sec in s.by_tier.items())}); "
             f"Outside Spark's generated classes, C2's first compilations of a method took {s.c2_first_seconds:.1f} s "
             f"and its recompilations of a method it had compiled before {s.c2_again_seconds:.1f} s.", "", "| code family | compile seconds | compilations |",
             "|---|---|---|"]
    lines += [f"| {k} | {sec:.1f} | {n:,} |" for k, (sec, n) in s.by_family.items()]
    lines += ["", "| longest compilations | seconds | tier |", "|---|---|---|"]
    lines += [f"| `{name}` | {sec:.2f} | {tier} |" for sec, tier, name in s.longest]
    if s.deopt_reasons:
        lines += ["", "Deoptimisations: " + ", ".join(f"{k} {n}" for k, n in s.deopt_reasons.items())]
    total = sum(s.samples.values())
    if total:
        lines += ["", "Java execution samples: " + ", ".join(
            f"{k} {100 * n / total:.0f} %" for k, n in sorted(s.samples.items(), key=lambda kv: -kv[1]))
            + f" of {total:,} (compiler and GC threads are not sampled)"]
    return "\n".join(lines) + "\n"


def load_events(path: Path) -> list[Mapping[str, Any]]:
    """Events of a ``.jfr`` recording (through the JDK's ``jfr``) or of its ``jfr print --json`` output."""
    if path.suffix == ".jfr":
        tool = shutil.which("jfr")
        if tool is None:
            raise SystemExit("jfr_summary: the JDK's `jfr` tool is not on PATH (or pass `jfr print --json` output)")
        text = subprocess.run([tool, "print", "--json", "--events", EVENTS, str(path)], check=True,
                              capture_output=True, text=True).stdout
    else:
        text = path.read_text(encoding="utf-8")
    try:
        return list(json.loads(text)["recording"]["events"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"jfr_summary: {path} is not `jfr print --json` output ({exc})") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="jfr_summary", description=__doc__.split("\n\n")[0])
    p.add_argument("recording", type=Path, help="a .jfr file, or `jfr print --json` output")
    p.add_argument("--top", type=int, default=10, help="how many of the longest compilations to list")
    args = p.parse_args(argv)
    if not args.recording.is_file():
        p.error(f"no such file: {args.recording}")
    print(render(summarize(load_events(args.recording), top=args.top)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
