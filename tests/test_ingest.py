"""Ingestion end to end through a real local HTTP server.

Fast tests use a small fake query source (``fake_cbbd.FakeApi``); the
must-show tests at the bottom use the real simulator (a full ``demo``
season with faults, and ``kill -9`` in the middle of a CLI backfill).
"""
from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from cbbd_etl.api.endpoints import default_endpoints, get_endpoint, natural_key
from cbbd_etl.api.server import ApiServer, FaultPlan, request_key
from cbbd_etl.bronze.ingest import ingest_endpoints
from cbbd_etl.bronze.ingest_log import read_dead_letters, read_log
from cbbd_etl.bronze.store import BronzeStore, list_manifests, read_body
from cbbd_etl.config import Config
from cbbd_etl.log import configure
from conftest import make_cfg
from fake_cbbd import FakeApi

REPO = Path(__file__).resolve().parents[1]
KEY = "ingest-test-key-7d41c0b9e2"
FAST = {"api.requests_per_second": 1000.0, "api.max_concurrency": 4, "api.backoff_base_seconds": 0.002,
        "api.backoff_max_seconds": 0.01, "api.max_attempts": 8, "api.timeout_seconds": 5.0}


def fast_cfg(tmp: Path, **over: Any) -> Config:
    return make_cfg(tmp, **{**FAST, **over})


@pytest.fixture
def fake_server() -> Iterator[ApiServer]:
    with ApiServer(FakeApi(), KEY) as srv:
        yield srv


def bronze_keys(store: BronzeStore, slug: str, season: int | None) -> set[tuple]:
    """Natural keys of every record of ``slug`` in bronze (deduplicated where request scopes overlap)."""
    e = get_endpoint(slug)
    keys = set()
    for m in list_manifests(store, slug, season):
        doc = read_body(store, m)
        context = {k: _num(v) for k, v in m["params"].items()}
        for rec in doc if isinstance(doc, list) else [doc]:
            keys.add(natural_key(e, rec, context))
    return keys


def _num(v: str) -> Any:
    try:
        return int(float(v)) if float(v).is_integer() else float(v)
    except ValueError:
        return v


def bronze_fingerprint(root: Path) -> set[tuple[str, str]]:
    store = BronzeStore.for_root(str(root))
    out = set()
    for key in store.list("_manifests/"):
        m = store.get_json(key)
        out.add((m["data_key"], m["sha256"]))
    return out


# ---------------------------------------------------------------- fast tests (fake source)
def test_backfill_is_complete_and_second_run_makes_no_calls(tmp_path: Path, fake_server: ApiServer) -> None:
    cfg = fast_cfg(tmp_path)
    s1 = ingest_endpoints(cfg, [2024], None, base_url=fake_server.url, api_key=KEY, progress=False)
    assert s1.status == "complete" and s1.failures == 0 and s1.calls == s1.planned
    store = BronzeStore.for_root(cfg.bronze.root)
    fake: FakeApi = fake_server.source  # type: ignore[assignment]
    for e in default_endpoints():
        if e.live:
            continue
        season = None if e.scope == "snapshot" else 2024
        expected = {natural_key(e, r, {"season": 2024}) for r in fake.records(e.slug)}
        assert bronze_keys(store, e.slug, season) == expected, e.slug
    summary_doc = json.loads((tmp_path / "bronze" / "_runs" / f"{s1.run_id}.json").read_text())
    assert summary_doc["records"] == s1.records and summary_doc["per_endpoint"]["plays_date"]["ok"] == 20
    before = fake_server.stats.total
    s2 = ingest_endpoints(cfg, [2024], None, base_url=fake_server.url, api_key=KEY, progress=False)
    assert s2.calls == 0 and s2.skipped == s1.planned and fake_server.stats.total == before
    log = read_log(store, s1.run_id)
    assert sum(1 for line in log if line["outcome"] == "done") == s1.requests


def test_faults_are_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    plan = FaultPlan.parse("429=0.15,5xx=0.15,truncate=0.05,retry_after=0,seed=11")
    with ApiServer(FakeApi(), KEY, plan) as srv:
        s = ingest_endpoints(fast_cfg(tmp_path), [2024], None, base_url=srv.url, api_key=KEY, progress=False)
        assert s.failures == 0 and s.retries > 10 and s.calls == s.planned + s.retries
        assert srv.stats.faults["429"] and srv.stats.faults["500"] and srv.stats.faults["truncate"]
    store = BronzeStore.for_root(str(tmp_path / "bronze"))
    assert bronze_keys(store, "plays_date", 2024) == {(r["id"],) for r in FakeApi().records("plays_date")}


def test_dead_letter_then_rerun_fills_it(tmp_path: Path) -> None:
    plan = FaultPlan(rate_503=1.0, only=frozenset({"venues"}))
    cfg = fast_cfg(tmp_path, **{"api.max_attempts": 3})
    with ApiServer(FakeApi(), KEY, plan) as srv:
        s = ingest_endpoints(cfg, [2024], ["venues", "conferences"], base_url=srv.url, api_key=KEY, progress=False)
        assert s.status == "failures" and s.failures == s.dead_letters == 1
        assert s.per_endpoint["conferences"].ok == 1, "one dead letter does not stop the run"
        dead = read_dead_letters(BronzeStore.for_root(cfg.bronze.root), s.run_id)
        assert len(dead) == 1 and dead[0]["endpoint"] == "/venues" and dead[0]["attempts"] == 3
        assert dead[0]["params"] == {} and dead[0]["reason"].startswith("HTTP 503")
        plan.rate_503 = 0.0
        again = ingest_endpoints(cfg, [2024], ["venues", "conferences"], base_url=srv.url, api_key=KEY,
                                 progress=False)
        assert again.status == "complete" and again.calls == 1 and again.skipped == 1


def test_budget_stops_cleanly_before_exceeding(tmp_path: Path, fake_server: ApiServer) -> None:
    cfg = fast_cfg(tmp_path, **{"api.monthly_call_budget": 25})
    s = ingest_endpoints(cfg, [2024], None, base_url=fake_server.url, api_key=KEY, progress=False)
    assert s.budget_exhausted and s.status == "budget_exhausted" and s.stopped_reason == "budget_exhausted"
    assert s.calls == 25 == fake_server.stats.total, "never one call past the budget"
    assert "monthly call budget exhausted: 25 of 25" in s.message and s.not_fetched > 0
    doc = json.loads((tmp_path / "bronze" / "_runs" / f"{s.run_id}.json").read_text())
    assert doc["budget_exhausted"] is True and doc["status"] == "budget_exhausted"
    # the next run of the same month stops at once, without a call
    s2 = ingest_endpoints(cfg, [2024], None, base_url=fake_server.url, api_key=KEY, progress=False)
    assert s2.budget_exhausted and s2.calls == 0 and fake_server.stats.total == 25
    # a bigger budget resumes where it stopped, re-fetching nothing
    s3 = ingest_endpoints(fast_cfg(tmp_path, **{"api.monthly_call_budget": 1000}), [2024], None,
                          base_url=fake_server.url, api_key=KEY, progress=False)
    assert s3.status == "complete" and s3.skipped == 25 and max(fake_server.stats.ok_by_request.values()) == 1


def test_budget_cli_exit_code_and_message(tmp_path: Path, fake_server: ApiServer) -> None:
    env = cli_env(tmp_path, {"CBBD_ETL__API__MONTHLY_CALL_BUDGET": "5"})
    res = subprocess.run([sys.executable, "-m", "cbbd_etl", "ingest", "backfill", "--seasons", "2024",
                          "--base-url", fake_server.url, "--no-progress"], capture_output=True, text=True,
                         cwd=REPO, env=env, timeout=120)
    assert res.returncode == 3, res.stderr
    assert "monthly call budget exhausted: 5 of 5" in res.stderr and "Traceback" not in res.stderr
    assert json.loads(res.stdout)["status"] == "budget_exhausted"


def test_max_calls(tmp_path: Path, fake_server: ApiServer) -> None:
    s = ingest_endpoints(fast_cfg(tmp_path), [2024], None, base_url=fake_server.url, api_key=KEY, max_calls=7,
                         progress=False)
    assert s.calls == 7 and s.stopped_reason == "max_calls" and not s.budget_exhausted


def test_incremental_refetches_the_window(tmp_path: Path, fake_server: ApiServer) -> None:
    import datetime as dt

    cfg = fast_cfg(tmp_path)
    eps = ["games", "plays_date", "substitutions_team"]
    ingest_endpoints(cfg, [2024], eps, base_url=fake_server.url, api_key=KEY, progress=False)
    before = dict(fake_server.stats.by_request)
    # fake games are every other day from 2023-11-06; a 3-day window ending 2023-11-10 holds 11-08 and 11-10
    s = ingest_endpoints(cfg, [2024], eps, base_url=fake_server.url, api_key=KEY, mode="incremental",
                         window_days=3, as_of=dt.date(2023, 11, 10), progress=False)
    assert s.status == "complete" and s.skipped == 0
    plays = {k for k, v in fake_server.stats.by_request.items() if k.startswith("/plays/date") and v > before.get(k, 0)}
    assert plays == {request_key("/plays/date", {"date": d}) for d in ("2023-11-08", "2023-11-10")}
    assert s.per_endpoint["substitutions_game"].ok == 6, "6 games in the window: by game beats 12 teams"


def test_adaptive_split_when_a_chunk_reaches_the_cap(tmp_path: Path) -> None:
    """3,300 games in 11 days: the estimated /games chunk returns the cap (3,000) and is continued."""
    import datetime as dt

    fake = FakeApi(teams=40, conferences=4, days=11, games_per_day=300, first_day=dt.date(2023, 11, 6))
    cfg = fast_cfg(tmp_path)
    with ApiServer(fake, KEY) as srv:
        s = ingest_endpoints(cfg, [2024], ["games"], base_url=srv.url, api_key=KEY, progress=False)
        assert s.status == "complete" and s.per_endpoint["games"].ok == s.per_endpoint["games"].planned
        store = BronzeStore.for_root(cfg.bronze.root)
        saturated = [m for m in list_manifests(store, "games", 2024) if m.get("saturated")]
        assert saturated and saturated[0]["record_count"] == 3000 and saturated[0]["continuation"]
        assert bronze_keys(store, "games", 2024) == {(g["id"],) for g in fake.games}
        # a resumed run expands the saturated chunk from its manifest and fetches nothing
        again = ingest_endpoints(cfg, [2024], ["games"], base_url=srv.url, api_key=KEY, progress=False)
        assert again.calls == 0 and again.skipped == s.planned


def test_withheld_games_are_missing_from_bronze_until_released(tmp_path: Path) -> None:
    """The server hides a fraction of games' plays in every scope; ingestion records exactly what it got."""
    fake = FakeApi()
    plan = FaultPlan(seed=2)
    plan.withhold("plays", 0.3)
    withheld = plan.withheld_ids("plays_date", [g["id"] for g in fake.games])
    assert 0 < len(withheld) < len(fake.games)
    with ApiServer(fake, KEY, plan) as srv:
        cfg = fast_cfg(tmp_path)
        ingest_endpoints(cfg, [2024], ["plays_date"], base_url=srv.url, api_key=KEY, progress=False)
        store = BronzeStore.for_root(cfg.bronze.root)
        got = {gid for m in list_manifests(store, "plays_date", 2024) for gid in
               {r["gameId"] for r in read_body(store, m)}}
        assert got == {g["id"] for g in fake.games} - withheld
        # the gap-fill re-asks the same requests once the server serves them: fetch_calls forces a re-fetch
        plan.release()
        from cbbd_etl.bronze.ingest import fetch_calls
        from cbbd_etl.bronze.planner import Call

        e = get_endpoint("plays_date")
        days = sorted({g["startDate"][:10] for g in fake.games if g["id"] in withheld})
        calls = [Call.make(e, {"date": d}, 2024, date=d) for d in days]
        s = fetch_calls(cfg, calls, base_url=srv.url, api_key=KEY, progress=False)
        assert s.status == "complete" and s.calls == len(days) and s.skipped == 0
        got = {gid for m in list_manifests(store, "plays_date", 2024) for gid in
               {r["gameId"] for r in read_body(store, m)}}
        assert got == {g["id"] for g in fake.games}
        assert len(list_manifests(store, "plays_date", 2024)) == 20, "same requests: manifests replaced, not added"


def test_wrong_key_stops_the_run_with_one_error(tmp_path: Path, fake_server: ApiServer) -> None:
    from cbbd_etl.api.client import AuthError

    with pytest.raises(AuthError, match="401"):
        ingest_endpoints(fast_cfg(tmp_path), [2024], ["venues", "conferences"], base_url=fake_server.url,
                         api_key="not-the-key-123456", progress=False)


def test_s3_bronze_through_the_local_server(tmp_path: Path, fake_server: ApiServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    from moto import mock_aws

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lake")
        cfg = fast_cfg(tmp_path, **{"bronze.root": "s3://lake/bronze"})
        s = ingest_endpoints(cfg, [2024], ["games", "plays_date", "teams"], base_url=fake_server.url, api_key=KEY,
                             progress=False)
        assert s.status == "complete"
        store = BronzeStore.for_root("s3://lake/bronze", region="us-east-1")
        assert len(bronze_keys(store, "plays_date", 2024)) == 300
        assert store.exists(f"_runs/{s.run_id}.json")
        again = ingest_endpoints(cfg, [2024], ["games", "plays_date", "teams"], base_url=fake_server.url,
                                 api_key=KEY, progress=False)
        assert again.calls == 0


def test_key_never_leaks_anywhere(tmp_path: Path) -> None:
    """Must show: every log line, manifest, run summary, dead letter, ingest log and bronze file is key-free."""
    plan = FaultPlan(seed=4, rate_500=0.15, rate_429=0.1, retry_after=0, rate_truncate=0.05,
                     max_faults_per_request=2)
    stream = io.StringIO()
    configure("DEBUG", stream)
    cfg = fast_cfg(tmp_path, **{"api.max_attempts": 3})
    try:
        with ApiServer(FakeApi(), KEY, plan) as srv:
            s = ingest_endpoints(cfg, [2024], None, base_url=srv.url, api_key=KEY, progress=False)
        failing = FaultPlan(rate_503=1.0)  # every attempt fails: dead letters
        with ApiServer(FakeApi(), KEY, failing) as srv:
            dead = ingest_endpoints(fast_cfg(tmp_path / "dead", **{"api.max_attempts": 2}), [2024],
                                    ["venues", "teams"], base_url=srv.url, api_key=KEY, progress=False)
        with pytest.raises(Exception) as err:  # a rejected key: its error must not echo the key either
            with ApiServer(FakeApi(), "another-server-key-1") as other:
                ingest_endpoints(fast_cfg(tmp_path / "other"), [2024], ["venues"], base_url=other.url,
                                 api_key=KEY, progress=False)
    finally:
        configure("INFO")
    assert s.status == "complete" and s.retries > 0 and dead.dead_letters == 2, "cover retries and dead letters"
    assert KEY not in str(err.value)
    logs = stream.getvalue()
    assert logs.count("\n") > 20 and KEY not in logs
    checked = 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            text = gzip.decompress(raw) if path.name.endswith(".gz") else raw
            assert KEY.encode() not in text, path
            checked += 1
    kinds = {p.parts[len((tmp_path / "bronze").parts)] for p in (tmp_path / "bronze").rglob("*") if p.is_file()}
    assert {"_manifests", "_runs", "_state", "plays_date", "games"} <= kinds and checked > 50
    assert len(list((tmp_path / "dead" / "bronze" / "_state" / "dead_letters").iterdir())) == 1
    assert KEY not in json.dumps(s.to_dict()) and KEY not in json.dumps(dead.to_dict())


# ---------------------------------------------------------------- kill -9 (fake source: fast)
def cli_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBBD_")}
    env.update({"CBBD_API_KEY": KEY, "CBBD_ETL__BRONZE__ROOT": str(tmp / "bronze"),
                "CBBD_ETL__API__BACKOFF_BASE_SECONDS": "0.002", "CBBD_ETL__API__BACKOFF_MAX_SECONDS": "0.01",
                "CBBD_ETL__API__MAX_ATTEMPTS": "8", "CBBD_ETL__API__REQUESTS_PER_SECOND": "1000",
                "CBBD_ETL__API__TIMEOUT_SECONDS": "120"})
    env.update(extra or {})
    return env


def kill_midway_then_resume(tmp: Path, server: ApiServer, seasons: str, kill_after: int, rps: str,
                            timeout: float = 300) -> tuple[set[tuple[str, str]], dict[str, int], dict[str, int]]:
    """Run the CLI backfill, SIGKILL it once ``kill_after`` manifests exist, run it again to the end.

    Returns (manifest fingerprints of requests done at the kill, server counts before the
    second run, server counts after it).
    """
    manifests = tmp / "bronze" / "_manifests"
    args = [sys.executable, "-m", "cbbd_etl", "ingest", "backfill", "--seasons", seasons, "--base-url", server.url,
            "--no-progress"]
    env = cli_env(tmp, {"CBBD_ETL__API__REQUESTS_PER_SECOND": rps})
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manifests.exists() and sum(1 for _ in manifests.rglob("*.json")) >= kill_after:
            break
        if proc.poll() is not None:
            pytest.fail(f"the backfill finished before it could be killed: {proc.stderr.read().decode()[-500:]}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_at_kill = bronze_fingerprint(tmp / "bronze")
    assert len(done_at_kill) >= kill_after
    before = dict(server.stats.by_request)
    res = subprocess.run(args, cwd=REPO, env=cli_env(tmp), capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stderr[-2000:]
    assert KEY not in res.stdout + res.stderr + proc.stderr.read().decode()
    return done_at_kill, before, dict(server.stats.by_request)


def assert_resumed_without_refetch(tmp: Path, done_at_kill: set[tuple[str, str]], before: dict[str, int],
                                   after: dict[str, int]) -> None:
    store = BronzeStore.for_root(str(tmp / "bronze"))
    refetched = []
    for key in store.list("_manifests/"):
        m = store.get_json(key)
        if (m["data_key"], m["sha256"]) in done_at_kill:
            rk = request_key(m["path"], m["params"])
            if after.get(rk, 0) != before.get(rk, 0):
                refetched.append(rk)
    assert not refetched, f"requests finished before the kill were fetched again: {refetched[:5]}"
    assert not list((tmp / "bronze").rglob("*.tmp-*")), "no temporary file is visible after the kill"


def test_kill_9_then_resume_fake(tmp_path: Path) -> None:
    with ApiServer(FakeApi(days=40), KEY) as srv:
        done, before, after = kill_midway_then_resume(tmp_path / "a", srv, "2024", kill_after=30, rps="40")
    assert_resumed_without_refetch(tmp_path / "a", done, before, after)
    with ApiServer(FakeApi(days=40), KEY) as srv:
        res = subprocess.run([sys.executable, "-m", "cbbd_etl", "ingest", "backfill", "--seasons", "2024",
                              "--base-url", srv.url, "--no-progress"], cwd=REPO, env=cli_env(tmp_path / "b"),
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
    assert bronze_fingerprint(tmp_path / "a" / "bronze") == bronze_fingerprint(tmp_path / "b" / "bronze")


def test_progress_bar_only_on_a_tty() -> None:
    from cbbd_etl.bronze.ingest import Progress, RunSummary

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    summary = RunSummary(run_id="r", mode="backfill", seasons=[2024], endpoints=[])
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(True, stream)
        bar.add(4)
        for _ in range(4):
            bar.step(summary)
        bar.close()
    assert "4/4 requests" in tty.getvalue() and pipe.getvalue() == ""
    quiet = Tty()
    Progress(False, quiet).step(summary)
    assert quiet.getvalue() == ""


# ---------------------------------------------------------------- must show: the real simulator
def _sim() -> Any:
    try:
        from cbbd_etl import sim
    except ImportError:
        sim = None
    if sim is None or not hasattr(sim, "SimulatedApi"):
        pytest.skip("the season simulator (cbbd_etl.sim.SimulatedApi) is not available yet")
    return sim


SEASON, SIZE, SEED = 2024, "demo", 7


SIM_TIMEOUT = {"api.timeout_seconds": 120.0, "api.max_attempts": 10}


@pytest.fixture(scope="module")
def demo_backfill(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full demo season, all default endpoints, through the local server with 10% 429s, 10% 5xx and
    1% truncated bodies (shared by the completeness and the kill -9 tests: faults do not change content)."""
    sim = _sim()
    tmp = tmp_path_factory.mktemp("demo_backfill")
    from cbbd_etl.api.server import SimServerProcess

    cfg = fast_cfg(tmp, **SIM_TIMEOUT)
    # The simulator in its own process (as for the demo): client and server each get a core.
    with SimServerProcess(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, realism=False,
                          faults="429=0.1,5xx=0.1,truncate=0.01,retry_after=0,seed=5") as srv:
        t0 = time.monotonic()
        s = ingest_endpoints(cfg, [SEASON], None, base_url=srv.url, api_key=KEY, progress=False)
        elapsed = time.monotonic() - t0
        faults = dict(srv.stats.snapshot()["faults"])
    print(f"\ndemo backfill with faults: {s.calls} calls for {s.requests} requests, {s.retries} retries, "
          f"{s.records} records, {s.bytes / 1e6:.0f} MB in {elapsed:.1f}s; faults served {faults}")
    return {"sim": sim, "cfg": cfg, "root": tmp / "bronze", "summary": s, "faults": faults}


@pytest.mark.slow
def test_demo_season_with_faults_loses_nothing(demo_backfill: dict[str, Any]) -> None:
    """Must show: every record the simulator emitted is in bronze (natural keys per endpoint), none lost."""
    s, faults, sim = demo_backfill["summary"], demo_backfill["faults"], demo_backfill["sim"]
    assert s.status == "complete" and s.failures == 0 and s.retries > 0, s.to_dict()
    assert faults.get("429") and (faults.get("500") or faults.get("503")) and faults.get("truncate")
    truth = sim.simulate_season(SEASON, SIZE, SEED)
    store = BronzeStore.for_root(str(demo_backfill["root"]))
    problems = {}
    for e in default_endpoints():
        if e.live:
            continue
        expected = {natural_key(e, r, {"season": SEASON}) for r in truth.records(e.slug)}
        got = bronze_keys(store, e.slug, None if e.scope == "snapshot" else SEASON)
        if got != expected:
            problems[e.slug] = (len(expected), len(got), len(expected - got), len(got - expected))
        assert expected, f"the simulator emits no {e.slug}: the check would be vacuous"
    assert not problems, f"slug: (simulator, bronze, missing, unexpected) {problems}"


def sim_api_server(plan: FaultPlan | None = None) -> ApiServer:
    from cbbd_etl.api.server import serve_sim

    return serve_sim(season=SEASON, size=SIZE, seed=SEED, api_key=KEY, faults=plan, realism=False)


@pytest.mark.slow
def test_kill_9_mid_backfill_then_resume_sim(tmp_path: Path, demo_backfill: dict[str, Any]) -> None:
    """Must show: kill -9 in the middle of a CLI backfill of the demo season, run the same command again: it
    finishes, re-fetches no request that had succeeded (server stats), and bronze equals an uninterrupted run."""
    with sim_api_server(FaultPlan.parse("429=0.05,5xx=0.05,retry_after=0,seed=9")) as srv:
        done, before, after = kill_midway_then_resume(tmp_path, srv, str(SEASON), kill_after=60, rps="60")
        assert_resumed_without_refetch(tmp_path, done, before, after)
    killed = bronze_fingerprint(tmp_path / "bronze")
    clean = bronze_fingerprint(demo_backfill["root"])
    assert len(clean) > 250 and killed == clean, f"{len(killed ^ clean)} responses differ from an uninterrupted run"


def test_serve_sim_cli(tmp_path: Path) -> None:
    """``cbbd-etl serve-sim`` serves the simulator on 127.0.0.1 and checks the bearer key."""
    import requests

    _sim()
    env = cli_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cbbd_etl", "serve-sim", "--season", "2024", "--size", "tiny",
                             "--seed", "3", "--port", "0", "--key", KEY, "--faults", "extra=1"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "serving simulated season 2024 on http://127.0.0.1:" in line, proc.stderr.read()
        url = line.rsplit(" ", 1)[1].strip()
        assert requests.get(f"{url}/teams", params={"season": "2024"}, timeout=30).status_code == 401
        res = requests.get(f"{url}/teams", params={"season": "2024"}, headers={"Authorization": f"Bearer {KEY}"},
                           timeout=60)
        assert res.status_code == 200 and res.json() and "simUnknownField" in res.json()[0]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_simulator_in_its_own_process_serves_the_same_bronze_and_counts_calls(tmp_path: Path) -> None:
    """``SimServerProcess`` (the demo's server: simulator and client on separate cores) answers like the
    in-process server: the same bronze bodies for the same requests, its call counter reached over the pipe,
    a wrong key refused, and the child gone after ``stop()``."""
    import requests

    from cbbd_etl.api.server import SimServerProcess, serve_sim

    endpoints = ["games", "conferences"]
    bodies = {}
    for label, factory in (("process", SimServerProcess), ("thread", serve_sim)):
        with factory(season=2024, size="tiny", seed=3, api_key=KEY) as server:
            summary = ingest_endpoints(fast_cfg(tmp_path / label), [2024], endpoints, base_url=server.url,
                                       api_key=KEY, progress=False)
            assert not summary.failures and summary.calls > 0
            assert server.stats.snapshot()["total"] == summary.calls
            if label == "process":
                denied = requests.get(f"{server.url}/conferences", headers={"Authorization": "Bearer nope"},
                                      timeout=10)
                assert denied.status_code == 401
                assert server.stats.snapshot()["by_status"]["401"] == 1
                child = server._proc
        store = BronzeStore.for_root(str(tmp_path / label / "bronze"))
        bodies[label] = {m["data_key"]: read_body(store, m) for slug, season in (("games", 2024),
                                                                                  ("conferences", None))
                         for m in list_manifests(store, slug, season)}
    assert child.poll() is not None
    assert len(bodies["process"]) >= 2 and bodies["process"] == bodies["thread"]
