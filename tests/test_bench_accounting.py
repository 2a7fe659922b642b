"""The bench's /proc accounting: a process tree's memory and CPU, with the stand-in API's process left out.

``make bench`` reports ``full_season_peak_rss_gb`` and ``full_season_cpu_seconds`` from these walks and the
simulator's share apart; a walk that missed the JVM (a child) or counted the simulator would misreport both.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

import bench_scripts

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

# Burns CPU_SECONDS of its own CPU, holds ~200 MB, says "ready", then waits for its stdin to close.
_CHILD = """
import sys, time
ballast = bytearray(200 * 1024 * 1024)
for i in range(0, len(ballast), 4096):
    ballast[i] = 1
t = time.process_time()
while time.process_time() - t < float(sys.argv[1]):
    pass
print("ready", flush=True)
sys.stdin.read()
"""
CPU_SECONDS = 0.6


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench/bench.py (a script, not a package), loaded once for this module."""
    return bench_scripts.load("bench")


def test_tree_cpu_and_rss_count_a_child_and_leave_out_an_excluded_one(bench: ModuleType) -> None:
    me = os.getpid()
    start = bench.tree_cpu_seconds(me)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(CPU_SECONDS)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with_child = bench.tree_cpu_seconds(me)
        without_child = bench.tree_cpu_seconds(me, frozenset({child.pid}))
        # The child's own CPU (at least the loop's) is in the tree, and only there.
        assert with_child - without_child >= CPU_SECONDS * 0.9
        assert with_child - start >= CPU_SECONDS * 0.9
        assert bench.tree_cpu_seconds(child.pid) >= CPU_SECONDS * 0.9
        rss_with = bench.tree_rss_bytes(me)
        rss_without = bench.tree_rss_bytes(me, frozenset({child.pid}))
        assert rss_with - rss_without >= 190 * 1024 * 1024
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    # Reaped: its CPU moves to this process's children's times, still in the tree.
    time.sleep(0.05)
    assert bench.tree_cpu_seconds(me) - start >= CPU_SECONDS * 0.9


def test_peak_rss_samples_while_the_block_runs(bench: ModuleType) -> None:
    before = bench.tree_rss_bytes(os.getpid())
    with bench.PeakRss(interval=0.05) as rss:
        ballast = bytearray(150 * 1024 * 1024)
        for i in range(0, len(ballast), 4096):
            ballast[i] = 1
        time.sleep(0.2)
        del ballast
    # The ballast is gone by the block's end (a large bytearray is unmapped): only a sample saw it.
    assert bench.tree_rss_bytes(os.getpid()) - before < 100 * 1024 * 1024
    assert rss.peak - before >= 140 * 1024 * 1024
