"""Ingestion through nginx, a production HTTP server nobody here wrote, in front of ``serve-sim``.

Two ways real servers send JSON, each compared with a direct ingestion
from the simulator (same bronze: endpoint, request, sha256 of the decoded
body, record count; zero dead letters):

(a) reverse proxy with ``gzip on``: nginx compresses the proxied JSON on
    the fly and sends it chunked, with no ``Content-Length``;
(b) precompressed files with ``gzip_static on``: the simulator's answers
    written as ``.json.gz`` under an nginx root (the query string mapped
    into the file name), sent with ``Content-Encoding: gzip`` and the
    compressed ``Content-Length`` -- the case that used to dead-letter.

Each run gets a fresh simulator (same seed): the simulator reproduces
fetch-dependent API behaviour (a game's time shifts between two fetches),
so a second fetch from the same instance would legitimately differ.
nginx comes from the Debian package (``make nginx``); without it these
tests skip with the reason, except where ``CBBD_REQUIRE_NGINX=1`` (set by
``.ci/run``): there a missing nginx fails them, so CI cannot pass by skipping.
"""
from __future__ import annotations

import http.client
import os
import time
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest

from cbbd_etl.api.server import ApiServer, serve_sim
from cbbd_etl.bronze.ingest import RunSummary, ingest_endpoints
from cbbd_etl.bronze.ingest_log import read_dead_letters
from cbbd_etl.bronze.store import BronzeStore
from bronze_fixtures import manifest_fingerprints
from conftest import make_cfg
from nginx import (Nginx, build_options, gzip_proxy_http, gzip_static_http, has_gzip_static, nginx_binary,
                   skip_reason, write_static_tree)

NGINX_MISSING = skip_reason()


@pytest.fixture(scope="module", autouse=True)
def _nginx_present() -> None:
    """Skip (or, with CBBD_REQUIRE_NGINX=1, fail) before any fixture starts a simulator."""
    if NGINX_MISSING is not None:
        if os.environ.get("CBBD_REQUIRE_NGINX") == "1":
            pytest.fail(f"CBBD_REQUIRE_NGINX=1 but {NGINX_MISSING}")
        pytest.skip(NGINX_MISSING)

SEASON, SIZE, SEED = 2024, "tiny", 7
ENDPOINTS = ["teams", "conferences", "games", "games_teams", "games_players", "lines"]
FAST = {"api.requests_per_second": 1000.0, "api.max_concurrency": 4, "api.backoff_base_seconds": 0.002,
        "api.backoff_max_seconds": 0.01, "api.max_attempts": 4, "api.timeout_seconds": 10.0}


class RecordingSource:
    """Wraps the simulator and remembers each request as it arrived (path, parameters in wire order)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def query(self, path: str, params: dict[str, str]) -> Any:
        self.requests.append((path, tuple(params.items())))
        return self.inner.query(path, params)


def _ingest(tmp: Path, base_url: str, key: str) -> tuple[RunSummary, set[tuple[Any, ...]]]:
    cfg = make_cfg(tmp, **FAST)
    summary = ingest_endpoints(cfg, [SEASON], ENDPOINTS, base_url=base_url, api_key=key, progress=False)
    dead = read_dead_letters(BronzeStore.for_root(cfg.bronze.root), summary.run_id)
    assert not dead, dead
    assert summary.status == "complete" and summary.failures == 0 and summary.dead_letters == 0, summary.to_dict()
    return summary, manifest_fingerprints(tmp / "bronze")


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The reference: a direct ingestion from a fresh simulator, and the requests it made, in order."""
    srv = serve_sim(season=SEASON, size=SIZE, seed=SEED)
    recorder = RecordingSource(srv.source)
    srv.source = recorder
    try:
        summary, bronze = _ingest(tmp_path_factory.mktemp("direct"), srv.url, srv.api_key)
    finally:
        srv.stop()
    assert summary.records > 100 and len(bronze) == summary.requests == len(recorder.requests)
    yield {"summary": summary, "bronze": bronze, "requests": list(recorder.requests)}


@pytest.fixture
def sim() -> Iterator[ApiServer]:
    srv = serve_sim(season=SEASON, size=SIZE, seed=SEED)
    yield srv
    srv.stop()


def _raw(url: str, target: str, key: str, accept: str = "gzip") -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection(url.split("//")[1], timeout=10)
    conn.request("GET", target, headers={"Authorization": f"Bearer {key}", "Accept-Encoding": accept})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def test_nginx_has_gzip_static() -> None:
    """Debian bookworm's nginx-light is built with the gzip_static module (no need for nginx-core)."""
    binary = nginx_binary()
    assert binary is not None and has_gzip_static(binary), build_options(binary or "nginx")


def test_ingest_through_nginx_gzip_on_proxy(direct: dict[str, Any], sim: ApiServer, tmp_path: Path) -> None:
    with Nginx(tmp_path / "nginx") as nginx:
        nginx.start(gzip_proxy_http(nginx.port, sim.url))
        started = time.monotonic()
        summary, bronze = _ingest(tmp_path / "lake", nginx.url, sim.api_key)
        seconds = time.monotonic() - started
        probe, _ = _raw(nginx.url, "/teams?season=2024", sim.api_key)
        log = nginx.access_log(requests=summary.calls + 1)
    assert bronze == direct["bronze"]
    assert summary.calls == direct["summary"].calls and summary.retries == 0
    # nginx compressed on the fly: chunked, no Content-Length
    assert probe.status == 200 and probe.getheader("Content-Encoding") == "gzip"
    assert probe.getheader("Transfer-Encoding") == "chunked" and probe.getheader("Content-Length") is None
    served = [line for line in log if line.startswith("GET ")]
    assert len(served) == summary.calls + 1
    assert all(' 200 ' in line and line.endswith('"gzip" "-"') for line in served), served
    assert sim.stats.encodings == {"off": summary.calls + 1}, "nginx, not the simulator, compressed"
    print(f"nginx gzip on: {summary.calls} calls, {summary.records} records in {seconds:.2f}s")


def test_ingest_from_nginx_gzip_static_files(direct: dict[str, Any], sim: ApiServer, tmp_path: Path) -> None:
    responses = []
    for path, params in direct["requests"]:  # a fresh simulator, asked in the direct run's order
        target = f"{path}?{urlencode(params)}" if params else path
        resp, body = _raw(sim.url, target, sim.api_key, accept="identity")
        assert resp.status == 200 and resp.getheader("Content-Encoding") is None, target
        responses.append((path, dict(params), body))
    sim.stop()  # from here on only nginx answers
    root = tmp_path / "html"
    assert write_static_tree(root, responses) == len(direct["requests"])
    assert not list(root.rglob("*.json")), "only .gz files: nginx must serve the precompressed ones"
    key = "static-key-5e8a1c"
    with Nginx(tmp_path / "nginx") as nginx:
        nginx.start(gzip_static_http(nginx.port, root))
        unauthorized, _ = _raw(nginx.url, "/teams?season=2024", "")
        started = time.monotonic()
        summary, bronze = _ingest(tmp_path / "lake", nginx.url, key)
        seconds = time.monotonic() - started
        log = nginx.access_log(requests=summary.calls + 1)  # the 401 probe and the ingestion
    assert unauthorized.status == 401
    assert bronze == direct["bronze"]
    assert summary.calls == direct["summary"].calls and summary.retries == 0
    served = [line for line in log if line.startswith("GET ") and " 401 " not in line]
    assert len(served) == summary.calls
    for line in served:  # precompressed, with the compressed size declared
        _, _, status, sent, encoding, length = line.split(" ")
        assert status == "200" and encoding == '"gzip"' and length == f'"{sent}"', line
    print(f"nginx gzip_static: {summary.calls} calls, {summary.records} records in {seconds:.2f}s")
