"""The HTTP client against a real local server: auth, retries, Retry-After, timeouts, truncation,
rate limit, concurrency, budget, dead letters, and key resolution (env, Secrets Manager, SSM via moto).

No ``requests`` mocks: every test talks to :class:`cbbd_etl.api.server.ApiServer` on 127.0.0.1.
Backoffs are a few milliseconds so the file runs in seconds.
"""
from __future__ import annotations

import io
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cbbd_etl.api.client import (AuthError, BudgetExhausted, CallBudget, CbbdClient, Secret, TokenBucket,
                                 resolve_api_key)
from cbbd_etl.api.server import ApiServer, FaultPlan, request_key, withhold_group
from cbbd_etl.bronze.store import LocalStore
from cbbd_etl.errors import UserError
from cbbd_etl.log import configure
from conftest import make_cfg

KEY = "test-key-4f9c2a7e51d3"


class DictSource:
    """A tiny query source: path -> records, with an optional delay to observe concurrency."""

    def __init__(self, data: dict[str, Any] | None = None, delay: float = 0.0) -> None:
        self.data = data or {
            "/conferences": [{"id": i, "name": f"Conf {i}", "abbreviation": f"C{i}"} for i in range(3)],
            "/teams/directory": {"season": 2024, "teams": []},
            "/plays/date": [{"id": i, "gameId": 100 + i % 5, "playText": "x"} for i in range(50)],
        }
        self.delay = delay
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()

    def query(self, path: str, params: dict[str, str]) -> Any:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            if path not in self.data:
                err = LookupError("not found")
                err.status = 404  # type: ignore[attr-defined]
                raise err
            return self.data[path]
        finally:
            with self._lock:
                self.active -= 1


def client_for(server: ApiServer, **kw: Any) -> CbbdClient:
    opts: dict[str, Any] = dict(requests_per_second=500, max_concurrency=4, timeout_seconds=2.0, max_attempts=4,
                                backoff_base_seconds=0.005, backoff_max_seconds=0.02, seed=1)
    opts.update(kw)
    return CbbdClient(server.url, kw.pop("api_key", KEY), **{k: v for k, v in opts.items() if k != "api_key"})


@pytest.fixture
def server() -> Any:
    srv = ApiServer(DictSource(), KEY).start()
    yield srv
    srv.stop()


def test_ok_request_and_bearer_key(server: ApiServer) -> None:
    with client_for(server) as c:
        res = c.get("/conferences", {})
    assert res.ok and res.attempts == 1 and len(res.data) == 3
    assert json.loads(res.body) == res.data
    assert server.stats.by_path["/conferences"] == 1


def test_wrong_key_is_an_auth_error_without_the_key(server: ApiServer) -> None:
    with client_for(server, api_key="wrong-key-123456") as c, pytest.raises(AuthError) as err:
        c.get("/conferences")
    assert "401" in str(err.value) and "wrong-key-123456" not in str(err.value)
    assert server.stats.by_status[401] == 1


def test_object_response_and_shape_check(server: ApiServer) -> None:
    with client_for(server) as c:
        assert c.get("/teams/directory", {"season": "2024"}, expect="object").ok
        bad = c.get("/conferences", expect="object")  # an array where an object is expected: damaged
    assert not bad.ok and "unexpected JSON" in bad.reason and bad.attempts == 4


def test_404_is_final_without_retry(server: ApiServer) -> None:
    with client_for(server) as c:
        res = c.get("/venues")
    assert not res.ok and res.status == 404 and res.attempts == 1 and "HTTP 404" in res.reason


@pytest.mark.parametrize("fault", ["500", "503", "truncate"])
def test_transient_faults_are_retried_until_success(fault: str) -> None:
    plan = FaultPlan(seed=3, max_faults_per_request=2, **{f"rate_{fault}": 1.0})
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv) as c:
        res = c.get("/plays/date", {"date": "2024-01-01"})
        assert res.ok and res.attempts == 3 and len(res.data) == 50
        assert srv.stats.faults[fault] == 2 and c.retries == 2


def test_truncation_both_styles_detected() -> None:
    """A short body behind the full Content-Length and a short body with a matching one both retry."""
    plan = FaultPlan(seed=0, rate_truncate=1.0, max_faults_per_request=1)
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv) as c:
        reasons = set()
        for day in range(12):
            res = c.get("/plays/date", {"date": f"2024-01-{day + 1:02d}"})
            assert res.ok and res.attempts == 2
            reasons.add(res.history[0].split(":")[0])
    assert reasons == {"truncated", "invalid JSON"}


def test_429_retry_after_is_honoured() -> None:
    plan = FaultPlan(rate_429=1.0, retry_after=1, max_faults_per_request=1)
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv) as c:
        t0 = time.monotonic()
        res = c.get("/conferences")
        elapsed = time.monotonic() - t0
    assert res.ok and res.attempts == 2
    assert elapsed >= 0.95, "the client must wait Retry-After seconds before retrying"


def test_slow_response_past_timeout_is_retried() -> None:
    plan = FaultPlan(rate_slow=1.0, slow_seconds=0.8, max_faults_per_request=1)
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv, timeout_seconds=0.3) as c:
        res = c.get("/conferences")
    assert res.ok and res.attempts == 2 and res.history[0].startswith("timeout")


def test_bounded_attempts_then_dead_letter_result() -> None:
    plan = FaultPlan(rate_500=1.0)
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv, max_attempts=3) as c:
        res = c.get("/conferences")
        assert not res.ok and res.attempts == 3 and res.status == 500 and res.reason.startswith("HTTP 500")
        assert srv.stats.by_request["/conferences"] == 3


def test_connection_refused_is_retried_then_dead_letter() -> None:
    srv = ApiServer(DictSource(), KEY)
    url = srv.url
    srv.stop()  # nothing listens on the port any more
    with CbbdClient(url, KEY, max_attempts=2, backoff_base_seconds=0.001, backoff_max_seconds=0.002) as c:
        res = c.get("/conferences")
    assert not res.ok and res.attempts == 2 and res.reason.startswith("connection")


def test_empty_and_extra_field_faults_are_served() -> None:
    with ApiServer(DictSource(), KEY, FaultPlan(rate_empty=1.0)) as srv, client_for(srv) as c:
        assert c.get("/conferences").data == []
    with ApiServer(DictSource(), KEY, FaultPlan(rate_extra=1.0)) as srv, client_for(srv) as c:
        rec = c.get("/conferences").data[0]
    assert "simUnknownField" in rec and rec["id"] == 0


def test_fault_plan_is_deterministic_and_near_its_rates() -> None:
    def decisions(seed: int) -> list[str | None]:
        plan = FaultPlan(seed=seed, rate_429=0.1, rate_500=0.05, rate_503=0.05, rate_truncate=0.01)
        return [plan.decide("games", request_key("/games", {"n": str(i)})) for i in range(4000)]

    a, b = decisions(7), decisions(7)
    assert a == b and a != decisions(8)
    assert 0.17 < sum(x is not None for x in a) / len(a) < 0.25


def test_fault_spec_parsing() -> None:
    plan = FaultPlan.parse("429=0.1,5xx=0.1,truncate=0.01,seed=3,retry_after=0")
    assert (plan.rate_429, plan.rate_500, plan.rate_503, plan.rate_truncate, plan.seed, plan.retry_after) == (
        0.1, 0.05, 0.05, 0.01, 3, 0.0)
    with pytest.raises(UserError, match="unknown fault"):
        FaultPlan.parse("teapot=0.1")
    with pytest.raises(UserError, match="more than 1"):
        FaultPlan.parse("429=0.8,5xx=0.8")


def test_withhold_hides_games_in_every_scope_and_release_restores() -> None:
    plan = FaultPlan(seed=5)
    slugs = plan.withhold("plays", 0.4)
    assert {"plays_date", "plays_game", "plays_team"} <= slugs and "substitutions_team" not in slugs
    assert withhold_group("box_scores")[1] == {"games_teams", "games_players"}
    with ApiServer(DictSource(), KEY, plan) as srv, client_for(srv) as c:
        served = c.get("/plays/date", {"date": "2024-01-01"}).data
        hidden = plan.withheld_ids("plays_date", range(100, 105))
        assert hidden and {r["gameId"] for r in served} == set(range(100, 105)) - hidden
        plan.release()
        assert len(c.get("/plays/date", {"date": "2024-01-01"}).data) == 50


def test_token_bucket_rate_and_concurrency_cap() -> None:
    source = DictSource(delay=0.05)
    with ApiServer(source, KEY) as srv, client_for(srv, requests_per_second=20, max_concurrency=2) as c:
        t0 = time.monotonic()
        threads = [threading.Thread(target=c.get, args=("/conferences",)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
    assert source.peak <= 2, "never more requests in flight than max_concurrency"
    assert elapsed >= 0.9, f"20 calls at 20/s must take about a second, took {elapsed:.2f}s"


def test_token_bucket_pause_blocks_everyone() -> None:
    bucket = TokenBucket(1000)
    bucket.pause(0.3)
    t0 = time.monotonic()
    bucket.acquire()
    assert time.monotonic() - t0 >= 0.25


def test_call_budget_stops_before_exceeding_and_persists(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    budget = CallBudget(store, "http://127.0.0.1:1", 3)
    for _ in range(3):
        budget.reserve()
    with pytest.raises(BudgetExhausted, match="3 of 3 calls"):
        budget.reserve()
    again = CallBudget(store, "http://127.0.0.1:1", 3)
    assert again.used == 3 and again.remaining == 0
    other = CallBudget(store, "https://api.collegebasketballdata.com:443", 3)
    assert other.used == 0, "each API origin has its own counter"
    doc = json.loads((tmp_path / f"_state/calls-{budget.month}.json").read_text())
    assert doc["origins"]["http://127.0.0.1:1"] == 3


def test_budget_counts_every_attempt(server: ApiServer, tmp_path: Path) -> None:
    budget = CallBudget(LocalStore(tmp_path), "x", 2)
    with client_for(server, budget=budget) as c:
        assert c.get("/conferences").ok and c.get("/conferences").ok
        with pytest.raises(BudgetExhausted):
            c.get("/conferences")
    assert server.stats.total == 2


def test_max_calls_limit(server: ApiServer) -> None:
    with client_for(server, max_calls=1) as c:
        c.get("/conferences")
        with pytest.raises(BudgetExhausted) as err:
            c.get("/conferences")
    assert err.value.kind == "max_calls"


def test_key_never_in_repr_or_logs(server: ApiServer) -> None:
    stream = io.StringIO()
    configure("DEBUG", stream)
    try:
        with client_for(server) as c:
            assert KEY not in repr(c) and KEY not in repr(c._key) and KEY not in str(vars(c))
            logging.getLogger("cbbd_etl.test").info("about to send Bearer %s", KEY)
            c.get("/venues")
    finally:
        configure("INFO")
    assert KEY not in stream.getvalue() and "***" in stream.getvalue()
    assert repr(Secret(KEY)) == "Secret('***')"


# ---------------------------------------------------------------- key resolution
def test_key_from_env_and_explicit(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    assert resolve_api_key(cfg, env={"CBBD_API_KEY": "env-key-123456"}) == "env-key-123456"
    assert resolve_api_key(cfg, "explicit-key-123", env={"CBBD_API_KEY": "env-key-123456"}) == "explicit-key-123"
    with pytest.raises(UserError, match="no CBBD API key found .*CBBD_API_KEY"):
        resolve_api_key(cfg, env={})


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_key_from_secrets_manager_plain_and_json(tmp_path: Path, aws_env: None) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="cbbd/api-key", SecretString="sm-key-abcdef123")
        sm.create_secret(Name="cbbd/api-json", SecretString=json.dumps({"api_key": "sm-json-key-987"}))
        cfg = make_cfg(tmp_path, **{"api.key_secret_name": "cbbd/api-key"})
        assert resolve_api_key(cfg, env={}) == "sm-key-abcdef123"
        cfg = make_cfg(tmp_path, **{"api.key_secret_name": "cbbd/api-json"})
        assert resolve_api_key(cfg, env={}) == "sm-json-key-987"
        cfg = make_cfg(tmp_path, **{"api.key_secret_name": "cbbd/missing"})
        with pytest.raises(UserError, match="cannot read Secrets Manager secret 'cbbd/missing'"):
            resolve_api_key(cfg, env={})


def test_key_from_ssm(tmp_path: Path, aws_env: None) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("ssm", region_name="us-east-1").put_parameter(
            Name="/cbbd/api-key", Value="ssm-key-5551234", Type="SecureString")
        cfg = make_cfg(tmp_path, **{"api.key_ssm_parameter": "/cbbd/api-key"})
        assert resolve_api_key(cfg, env={}) == "ssm-key-5551234"
        # the environment wins over AWS lookups
        assert resolve_api_key(cfg, env={"CBBD_API_KEY": "env-key-123456"}) == "env-key-123456"


def test_local_server_settings_only_loosen_the_real_api_defaults(tmp_path: Path) -> None:
    """The demo and the bench ask a local simulator: faster and more patient than the real-API defaults,
    never stricter than what the user configured."""
    from cbbd_etl.api.server import local_server_api

    cfg = make_cfg(tmp_path)
    local = cfg.replace(**local_server_api(cfg))
    assert local.api.requests_per_second >= 200 > cfg.api.requests_per_second
    assert local.api.timeout_seconds >= 120 > cfg.api.timeout_seconds
    patient = cfg.replace(**{"api.timeout_seconds": 300.0, "api.max_concurrency": 16})
    assert local_server_api(patient)["api.timeout_seconds"] == 300.0
    assert local_server_api(patient)["api.max_concurrency"] == 16
