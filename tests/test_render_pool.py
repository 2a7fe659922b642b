"""The simulator's render workers (``api/render_pool.py``) answer exactly what one process answers.

``SimServerProcess`` forks them by default, so ``make demo`` and ``make bench`` ingest through them. These
tests compare raw bytes on the wire, over real sockets, with the in-process server (no workers) as the
reference, and check from the server's own counters that the workers, not the server, rendered them.
"""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from cbbd_etl import sim
from cbbd_etl.api.server import SimServerProcess, serve_sim

SEASON, SIZE, SEED = 2024, "tiny", 3
KEY = "render-pool-test-key-5b1e"
# faults that change the answer (answered by the server itself) and one that does not (a worker's body, cut)
FAULTS = "empty=0.2,extra=0.2,truncate=0.15,seed=1"   # all three kinds among these requests


def _paths() -> list[str]:
    """Requests of every routed family, a pinned one twice, one the workers do not serve and three errors."""
    season = sim.simulate_season(SEASON, SIZE, SEED)
    days = sorted({g.day for g in season.games})
    teams = [season.team(season.games[0].home_id).school, season.team(season.games[-1].away_id).school]
    game = season.games[len(season.games) // 2].id
    paths = [f"/plays/date?date={d.isoformat()}" for d in (days[0], days[len(days) // 2], days[-1])]
    for team in teams:
        paths += [f"/substitutions/team?season={SEASON}&team={team}", f"/lineups/team?season={SEASON}&team={team}",
                  f"/plays/team?season={SEASON}&team={team}"]
    paths += [f"/plays/game/{game}", f"/substitutions/game/{game}", f"/lineups/game/{game}",
              f"/plays/game/{game}?shootingPlaysOnly=true", f"/games?season={SEASON}",
              "/plays/date", "/plays/game/not-a-number", f"/plays/date?date={days[0].isoformat()}&utcOffset=x"]
    return paths


def _answers(url: str, paths: list[str]) -> list[tuple[int, bytes]]:
    """Status and body per path; a body cut with a dishonest length ends the connection: ``(-1, error)``."""
    headers = {"Authorization": f"Bearer {KEY}", "Connection": "close"}   # a cut body cannot spoil the next
    out = []
    for path in paths:
        try:
            r = requests.get(url + path, headers=headers, timeout=60)
            out.append((r.status_code, r.content))
        except requests.exceptions.RequestException as exc:
            out.append((-1, type(exc).__name__.encode()))
    return out


def _gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether process ``pid`` has exited (no longer listed, or a zombie waiting for its reaper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status")
        try:
            state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            return True
        if "zombie" in state:
            return True
        time.sleep(0.1)
    return False


def test_render_workers_send_the_bytes_one_process_sends_with_and_without_faults() -> None:
    """Must show: the same status and bytes for every request, faults included; the routed families were
    rendered by two workers (the pinned ``lineups_team`` by one), the rest by the server; workers exit."""
    paths = _paths()
    for faults in (None, FAULTS):
        with serve_sim(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, faults=faults) as reference:
            expected = _answers(reference.url, paths)
            expected_stats = reference.stats.snapshot()
        with SimServerProcess(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, faults=faults,
                              render_workers=2) as server:
            got = _answers(server.url, paths)
            stats = server.stats.snapshot()
            server_pid = server.pid
        assert [s for s, _ in got] == [s for s, _ in expected]
        for path, (status, body), (_, want) in zip(paths, got, expected):
            assert body == want, f"{path} ({status}): {len(body)} bytes, one process sent {len(want)}"
        assert expected_stats["rendered_by"] == {}, "the in-process reference has no workers"
        for name in ("by_path", "by_status", "faults"):
            assert stats[name] == expected_stats[name], name
        rendered = {int(pid): n for pid, n in stats["rendered_by"].items()}
        assert len(rendered) == 2 and server_pid not in rendered, rendered
        assert all(_gone(pid) for pid in rendered), "a render worker outlived its server"
        if faults is not None:
            assert {"empty", "extra", "truncate"} <= set(stats["faults"]), stats["faults"]
        else:
            assert [s for s, _ in got][-3:] == [400, 400, 400], "three bad requests, three clear 400s"
            # every routed request (all but /games), errors included, was rendered by a worker
            assert sum(rendered.values()) == len(paths) - 1


def test_pinned_family_is_rendered_by_one_worker() -> None:
    """Must show: every ``lineups_team`` request goes to the same worker (it builds all teams' lineups once
    and caches them), while ``plays_date`` requests spread over both workers."""
    season = sim.simulate_season(SEASON, SIZE, SEED)
    schools = sorted({t.school for t in season.league.teams})[:6]
    days = sorted({g.day for g in season.games})[:8]
    lineups = [f"/lineups/team?season={SEASON}&team={s}" for s in schools]
    plays = [f"/plays/date?date={d.isoformat()}" for d in days]
    with SimServerProcess(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, render_workers=2) as server:
        assert all(status == 200 for status, _ in _answers(server.url, lineups))
        after_lineups = server.stats.snapshot()["rendered_by"]
        with ThreadPoolExecutor(4) as pool:   # concurrent requests: an idle worker takes the next one
            statuses = list(pool.map(lambda p: _answers(server.url, [p])[0][0], plays * 2))
        after_plays = server.stats.snapshot()["rendered_by"]
    assert statuses == [200] * len(plays) * 2
    assert list(after_lineups.values()) == [len(lineups)], after_lineups
    assert len(after_plays) == 2, after_plays


def test_a_killed_worker_loses_no_answer() -> None:
    """Must show: after one worker is killed (SIGKILL) its requests go to the other, and after both are, the
    server answers in its own process; every answer stays 200 and byte-identical to one process's."""
    paths = _paths()[:-4]    # the routed families' good requests (and no /games)
    with serve_sim(season=SEASON, size=SIZE, seed=SEED, api_key=KEY) as reference:
        expected = _answers(reference.url, paths)
    with SimServerProcess(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, render_workers=2) as server:
        assert _answers(server.url, paths) == expected
        pids = sorted(int(p) for p in server.stats.snapshot()["rendered_by"])
        assert len(pids) == 2
        os.kill(pids[0], signal.SIGKILL)
        assert _gone(pids[0])
        assert _answers(server.url, paths) == expected
        after_one = server.stats.snapshot()["rendered_by"]
        for pid in pids[1:]:
            os.kill(pid, signal.SIGKILL)
            assert _gone(pid)
        assert _answers(server.url, paths) == expected
        after_both = server.stats.snapshot()["rendered_by"]
    assert all(status == 200 for status, _ in expected)
    assert after_one[str(pids[1])] == 2 * len(paths) - after_one[str(pids[0])], "the live worker took the rest"
    assert after_both == after_one, "with no worker left, the server rendered them itself"


def test_a_render_runs_with_the_cyclic_collector_off_and_gives_it_back() -> None:
    """A worker renders with the collector paused (an answer has no cycles) and turns it back on after an answer
    or an error; a collector someone else turned off stays off."""
    import gc

    from cbbd_etl.api.render_pool import _render

    class Source:
        seen: list[bool] = []

        def query(self, path: str, params: dict[str, str]) -> list[dict[str, int]]:
            self.seen.append(gc.isenabled())
            if path == "/bad":
                raise LookupError("no such thing")
            return [{"id": 1}]

    source = Source()
    assert gc.isenabled()
    assert _render(source, "/games", {}) == b'0[{"id":1}]' and gc.isenabled()
    assert _render(source, "/bad", {}).startswith(b'1{"status": 500') and gc.isenabled()
    gc.disable()
    try:
        _render(source, "/games", {})
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert source.seen == [False, False, False]
