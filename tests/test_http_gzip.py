"""gzip on the wire: the client's length check counts wire bytes, and the local server can compress.

The regression: ``Content-Length`` is the size of the *encoded* body, so a
server that gzips and declares its length used to get every response
dead-lettered ("truncated: 40000 of 1200 bytes") after all retries, each
attempt charged to the budget. The first test reproduces that with a plain
``http.server`` written here (not the project's server); the rest run
ingestion through :class:`ApiServer` in each gzip mode and compare bronze
with an uncompressed run.
"""
from __future__ import annotations

import gzip
import http.client
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from cbbd_etl.api.client import CbbdClient
from cbbd_etl.api.server import ApiServer, FaultPlan, accepts_gzip, check_gzip_mode
from cbbd_etl.bronze.ingest import ingest_endpoints
from cbbd_etl.bronze.ingest_log import read_dead_letters
from cbbd_etl.bronze.store import BronzeStore
from cbbd_etl.errors import UserError
from bronze_fixtures import manifest_fingerprints
from conftest import make_cfg
from fake_cbbd import FakeApi

REPO = Path(__file__).resolve().parents[1]
KEY = "gzip-test-key-93b1e07c"
RECORDS = [{"id": i, "school": f"School {i:03d}", "conference": "Big Test", "mascot": "Testers"} for i in range(300)]
FAST = {"api.requests_per_second": 1000.0, "api.max_concurrency": 4, "api.backoff_base_seconds": 0.002,
        "api.backoff_max_seconds": 0.01, "api.max_attempts": 6, "api.timeout_seconds": 5.0}
ENDPOINTS = ["games", "games_teams", "lines", "teams", "conferences", "plays_date"]


# ---------------------------------------------------------------- a 30-line server that gzips + declares length
class GzipLengthHandler(BaseHTTPRequestHandler):
    """Every GET: ``RECORDS`` as gzip with ``Content-Length`` = compressed size (what CDNs and nginx
    ``gzip_static`` do). ``truncate_first`` cuts the first response's compressed body in half behind the
    full length and drops the connection."""

    protocol_version = "HTTP/1.1"
    requests_seen = 0
    truncate_first = False
    lock = threading.Lock()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        with self.lock:
            type(self).requests_seen += 1
            cut = type(self).truncate_first and type(self).requests_seen == 1
        payload = gzip.compress(json.dumps(RECORDS).encode("utf-8"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2] if cut else payload)
        if cut:
            self.wfile.flush()
            self.close_connection = True


@pytest.fixture
def gzip_length_server() -> Iterator[tuple[str, type[GzipLengthHandler]]]:
    handler = type("Handler", (GzipLengthHandler,), {"requests_seen": 0, "truncate_first": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def fast_client(url: str, **kw: Any) -> CbbdClient:
    opts: dict[str, Any] = dict(requests_per_second=500, max_concurrency=2, timeout_seconds=3.0, max_attempts=4,
                                backoff_base_seconds=0.002, backoff_max_seconds=0.005, seed=1)
    return CbbdClient(url, KEY, **{**opts, **kw})


def test_gzip_with_content_length_is_one_call_not_a_dead_letter(
        gzip_length_server: tuple[str, type[GzipLengthHandler]]) -> None:
    url, handler = gzip_length_server
    conn = http.client.HTTPConnection(url.split("//")[1])
    conn.request("GET", "/teams", headers={"Accept-Encoding": "gzip"})
    raw = conn.getresponse()
    declared, decoded_length = int(raw.getheader("Content-Length")), len(gzip.decompress(raw.read()))
    conn.close()
    assert declared * 5 < decoded_length, "the trap: the declared (wire) length is far below the decoded body"
    with fast_client(url) as client:
        res = client.get("/teams", {"season": "2024"})
        assert res.ok, res.history
        assert res.attempts == 1 and client.calls == 1 and client.retries == 0
        assert res.data == RECORDS and len(res.body) == decoded_length
    assert handler.requests_seen == 2  # one probe above + exactly one client call


def test_gzip_body_cut_behind_its_content_length_is_truncated_and_retried(
        gzip_length_server: tuple[str, type[GzipLengthHandler]]) -> None:
    url, handler = gzip_length_server
    handler.truncate_first = True
    with fast_client(url) as client:
        res = client.get("/teams", {"season": "2024"})
    assert res.ok and res.attempts == 2 and res.data == RECORDS
    assert res.history[0].startswith("truncated:") and "wire bytes" in res.history[0], res.history
    assert client.statuses.get("truncated") == 1 and client.calls == 2 and handler.requests_seen == 2


# ---------------------------------------------------------------- the project's server
@pytest.mark.parametrize(("header", "expected"), [
    ("gzip, deflate", True), ("GZIP", True), ("x-gzip", True), ("*", True), ("br;q=1.0, gzip;q=0.5", True),
    ("gzip;q=0", False), ("identity", False), ("deflate, br", False), ("", False), (None, False),
    ("gzip;q=zero", False)])
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_gzip_mode_is_checked() -> None:
    assert check_gzip_mode("chunked") == "chunked"
    with pytest.raises(UserError, match="gzip mode must be one of off, chunked, length, got 'br'"):
        check_gzip_mode("br")
    with pytest.raises(UserError, match="gzip mode"):
        ApiServer(FakeApi(), KEY, gzip="on")


def _raw_get(url: str, path: str, accept: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection(url.split("//")[1], timeout=5)
    conn.request("GET", path, headers={"Authorization": f"Bearer {KEY}", "Accept-Encoding": accept})
    resp = conn.getresponse()
    body = resp.read()  # http.client removes the chunked framing, never the gzip
    conn.close()
    return resp, body


@pytest.mark.parametrize("mode", ["length", "chunked"])
def test_server_gzip_modes_on_the_wire(mode: str) -> None:
    with ApiServer(FakeApi(), KEY, gzip=mode) as srv:
        plain, plain_body = _raw_get(srv.url, "/teams?season=2024", "identity")
        packed, packed_body = _raw_get(srv.url, "/teams?season=2024", "gzip, deflate")
        refused, _ = _raw_get(srv.url, "/teams?season=2024", "gzip;q=0")
        assert srv.stats.encodings == {"off": 2, mode: 1}
    assert plain.getheader("Content-Encoding") is None and int(plain.getheader("Content-Length")) == len(plain_body)
    assert refused.getheader("Content-Encoding") is None
    assert packed.getheader("Content-Encoding") == "gzip" and packed.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(packed_body) == plain_body and len(packed_body) < len(plain_body)
    if mode == "length":
        assert int(packed.getheader("Content-Length")) == len(packed_body)
        assert packed.getheader("Transfer-Encoding") is None
    else:
        assert packed.getheader("Content-Length") is None and packed.getheader("Transfer-Encoding") == "chunked"


def _ingest(tmp: Path, mode: str, faults: FaultPlan | None = None) -> tuple[Any, set[tuple[Any, ...]], ApiServer]:
    cfg = make_cfg(tmp, **FAST)
    with ApiServer(FakeApi(), KEY, faults, gzip=mode) as srv:
        summary = ingest_endpoints(cfg, [2024], ENDPOINTS, base_url=srv.url, api_key=KEY, progress=False)
    dead = read_dead_letters(BronzeStore.for_root(cfg.bronze.root), summary.run_id)
    assert summary.status == "complete" and summary.failures == 0 and summary.dead_letters == 0 and not dead
    return summary, manifest_fingerprints(tmp / "bronze"), srv


def test_ingestion_in_every_gzip_mode_gives_the_uncompressed_bronze(tmp_path: Path) -> None:
    plain, plain_bronze, plain_srv = _ingest(tmp_path / "off", "off")
    assert plain.records > 100 and len(plain_bronze) == plain.requests
    assert set(plain_srv.stats.encodings) == {"off"}
    for mode in ("length", "chunked"):
        summary, bronze, srv = _ingest(tmp_path / mode, mode)
        assert bronze == plain_bronze, mode
        assert summary.calls == plain.calls and summary.retries == 0 and summary.records == plain.records
        assert srv.stats.encodings == {mode: summary.calls}, "every response went out compressed"


@pytest.mark.parametrize("mode", ["length", "chunked"])
def test_truncated_gzip_bodies_are_retried_as_truncated(tmp_path: Path, mode: str) -> None:
    plan = FaultPlan(seed=0, rate_truncate=1.0, max_faults_per_request=1)
    with ApiServer(FakeApi(), KEY, plan, gzip=mode) as srv, fast_client(srv.url) as client:
        kinds = set()
        for day in range(6, 30, 2):
            res = client.get("/plays/date", {"date": f"2023-11-{day:02d}"})
            assert res.ok and res.attempts == 2 and len(res.data) == 15, res.history
            kinds.add(res.history[0].split(":")[0])
        assert srv.stats.faults["truncate"] == 12
    # a cut body behind its full length (or a chunked stream that stops) is "truncated"; a cut body
    # that the server declares honestly decodes to half a JSON document
    assert kinds == {"truncated", "invalid JSON"}


def test_faults_with_gzip_lose_nothing(tmp_path: Path) -> None:
    _, plain_bronze, _ = _ingest(tmp_path / "off", "off")
    plan = FaultPlan.parse("429=0.1,5xx=0.1,truncate=0.2,retry_after=0,seed=4,max_per_request=3")
    summary, bronze, srv = _ingest(tmp_path / "faulty", "chunked", plan)
    assert bronze == plain_bronze and summary.retries > 0 and srv.stats.faults["truncate"] > 0


def test_serve_sim_cli_gzip_flag(tmp_path: Path) -> None:
    env = {**os.environ, "CBBD_API_KEY": KEY, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "cbbd_etl", "serve-sim", "--size", "tiny", "--gzip", "length"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert " on http://" in line, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        url = line.rsplit(" on ", 1)[1].strip()
        packed, body = _raw_get(url, "/conferences", "gzip")
        assert packed.status == 200 and packed.getheader("Content-Encoding") == "gzip"
        assert int(packed.getheader("Content-Length")) == len(body) and json.loads(gzip.decompress(body))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "cbbd_etl", "serve-sim", "--gzip", "brotli"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--gzip" in bad.stderr and "brotli" in bad.stderr
