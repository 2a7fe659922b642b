"""Bronze store: local folder and S3 (moto) behave the same; writes are atomic; layout and manifests."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Iterator

import pytest

from cbbd_etl.bronze.store import (BronzeStore, LocalStore, S3Store, data_key, list_manifests, manifest_key,
                                   read_body, request_hash, write_response)
from cbbd_etl.bronze_access import bronze_files
from conftest import make_cfg


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BronzeStore]:
    if request.param == "local":
        yield BronzeStore.for_root(str(tmp_path / "bronze"), region="us-east-1")
        return
    request.getfixturevalue("aws_env")
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="cbbd-lake")
        yield BronzeStore.for_root("s3://cbbd-lake/bronze", region="us-east-1")


def test_for_root_picks_backend(tmp_path: Path, aws_env: None) -> None:
    from moto import mock_aws

    assert isinstance(BronzeStore.for_root(str(tmp_path)), LocalStore)
    with mock_aws():
        s3 = BronzeStore.for_root("s3://bucket/some/prefix/", region="us-east-1")
        assert isinstance(s3, S3Store) and s3.uri("a/b.json") == "s3://bucket/some/prefix/a/b.json"


def test_put_get_exists_list_delete(store: BronzeStore) -> None:
    store.put_bytes("games/season=2024/a.json.gz", b"one")
    store.put_bytes("games/season=2024/date=2024-01-01/b.json.gz", b"two")
    store.put_bytes("games_teams/season=2024/c.json.gz", b"three")
    assert store.get_bytes("games/season=2024/a.json.gz") == b"one"
    assert store.exists("games/season=2024/a.json.gz") and not store.exists("games/season=2024/zz.json.gz")
    assert store.list("games/") == ["games/season=2024/a.json.gz", "games/season=2024/date=2024-01-01/b.json.gz"]
    assert store.list("nothing/here/") == []
    store.put_bytes("games/season=2024/a.json.gz", b"replaced")
    assert store.get_bytes("games/season=2024/a.json.gz") == b"replaced"
    store.delete("games/season=2024/a.json.gz")
    store.delete("games/season=2024/a.json.gz")  # idempotent
    assert not store.exists("games/season=2024/a.json.gz")
    with pytest.raises((KeyError, FileNotFoundError)):
        store.get_bytes("games/season=2024/a.json.gz")


def test_a_killed_writers_temp_files_are_swept_and_nothing_else(tmp_path: Path) -> None:
    """A process killed between writing a temp file and renaming it leaves the temp file (what kill -9 mid
    backfill produced: ``_state/.calls-YYYY-MM.json.tmp-<hex>``); the next ingest removes it, keeps the rest."""
    store = LocalStore(tmp_path / "bronze")
    assert store.sweep_temp_files() == 0                       # no root yet
    store.put_bytes("_state/calls-2026-12.json", b"{}")
    store.put_bytes("games/season=2024/a.json.gz", b"one")
    orphans = [tmp_path / "bronze" / "_state" / ".calls-2026-12.json.tmp-635eb61c",
               tmp_path / "bronze" / "games" / "season=2024" / ".a.json.gz.tmp-0f0f"]
    for p in orphans:
        p.write_bytes(b"half")
    assert store.sweep_temp_files() == 2
    assert not any(p.exists() for p in orphans)
    assert sorted(p.relative_to(tmp_path / "bronze").as_posix() for p in (tmp_path / "bronze").rglob("*")
                  if p.is_file()) == ["_state/calls-2026-12.json", "games/season=2024/a.json.gz"]
    assert store.get_bytes("games/season=2024/a.json.gz") == b"one"


def test_layout_keys() -> None:
    h = request_hash("/plays/date", {"date": "2024-01-05"})
    assert len(h) == 16 and h == request_hash("/plays/date", {"date": "2024-01-05"})
    assert request_hash("/games", {"a": "1", "b": "2"}) == request_hash("/games", {"b": "2", "a": "1"})
    assert request_hash("/plays/game/1", {}) != request_hash("/plays/game/2", {})
    assert data_key("plays_date", 2024, h, "2024-01-05") == f"plays_date/season=2024/date=2024-01-05/{h}.json.gz"
    assert data_key("venues", None, h) == f"venues/snapshot/{h}.json.gz"
    assert manifest_key(f"venues/snapshot/{h}.json.gz") == f"_manifests/venues/snapshot/{h}.json"


def test_write_response_manifest_contract(store: BronzeStore) -> None:
    body = json.dumps([{"id": 1}, {"id": 2}]).encode()
    m = write_response(store, endpoint="/games", slug="games", path="/games",
                       params={"season": "2024", "startDateRange": "2023-11-01T00:00:00Z"}, season=2024, date=None,
                       status=200, body=body, record_count=2, run_id="run-1")
    assert set(m) >= {"endpoint", "slug", "path", "params", "season", "status", "record_count", "bytes", "sha256",
                      "fetched_at", "run_id", "request_hash", "data_key"}
    assert m["sha256"] == hashlib.sha256(body).hexdigest() and m["bytes"] == len(body)
    assert m["fetched_at"].endswith("Z") and m["record_count"] == 2
    assert gzip.decompress(store.get_bytes(m["data_key"])) == body
    assert read_body(store, m) == [{"id": 1}, {"id": 2}]
    assert list_manifests(store, "games", 2024) == [m]
    assert list_manifests(store, "games", 2023) == []
    # empty responses are recorded, not dropped
    e = write_response(store, endpoint="/venues", slug="venues", path="/venues", params={}, season=None, date=None,
                       status=200, body=b"[]", record_count=0, run_id="run-1")
    assert list_manifests(store, "venues", None) == [e] and e["record_count"] == 0


@pytest.mark.parametrize("engine", ["isal", "zlib"])
def test_bronze_gzip_is_plain_gzip_and_deterministic(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ISA-L or zlib, a bronze file is a gzip file any reader opens (Python, and Java's GZIPInputStream in
    Spark through the silver tests), and the same body gives the same bytes (mtime 0)."""
    from cbbd_etl.bronze import store as store_module

    if engine == "zlib":
        monkeypatch.setattr(store_module, "_igzip", None)
    else:
        pytest.importorskip("isal")
    body = json.dumps([{"id": i, "text": "made Jumper" * (i % 7)} for i in range(5000)]).encode()
    packed = store_module.gzip_bytes(body)
    assert packed[:3] == b"\x1f\x8b\x08" and packed[4:8] == b"\0\0\0\0"    # gzip, deflate, mtime 0
    assert gzip.decompress(packed) == body and store_module.gzip_bytes(body) == packed
    assert len(packed) < len(body) / 10


def test_local_put_is_atomic_for_concurrent_readers(tmp_path: Path) -> None:
    """A reader polling while a writer replaces a file only ever sees a whole old or a whole new file."""
    store = LocalStore(tmp_path)
    a, b = b"a" * 2_000_000, b"b" * 3_000_000
    store.put_bytes("k.bin", a)
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = store.get_bytes("k.bin")
            seen.add(len(data))
            assert data in (a, b)

    t = threading.Thread(target=reader)
    t.start()
    for i in range(30):
        store.put_bytes("k.bin", a if i % 2 else b)
    stop.set()
    t.join()
    assert seen <= {len(a), len(b)}
    assert [p.name for p in tmp_path.iterdir()] == ["k.bin"], "no temporary files are left behind"


def test_local_list_ignores_temporary_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("x/a.json", b"{}")
    (tmp_path / "x" / ".b.json.tmp-123").write_bytes(b"partial")  # what a killed writer leaves
    assert store.list("x/") == ["x/a.json"]


def test_refetch_replaces_data_and_manifest(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    kw = dict(endpoint="/plays/date", slug="plays_date", path="/plays/date", params={"date": "2024-01-05"},
              season=2024, date="2024-01-05", status=200, run_id="r")
    m1 = write_response(store, body=b"[1]", record_count=1, **kw)
    m2 = write_response(store, body=b"[1,2]", record_count=2, **kw)
    assert m1["data_key"] == m2["data_key"] and list_manifests(store, "plays_date", 2024) == [m2]


def test_bronze_access_reads_what_the_store_wrote(tmp_path: Path) -> None:
    """The silver side (bronze_access + manifest_to_file) opens exactly the files the ingester wrote."""
    cfg = make_cfg(tmp_path)
    store = BronzeStore.for_root(cfg.bronze.root)
    body = json.dumps([{"id": 7}]).encode()
    m = write_response(store, endpoint="/games", slug="games", path="/games", params={"season": "2024"},
                       season=2024, date=None, status=200, body=body, record_count=1, run_id="r1")
    files, read_bytes = bronze_files(cfg, "games", 2024)
    assert len(files) == 1 and files[0].sha256 == m["sha256"] and files[0].record_count == 1
    assert os.path.isabs(files[0].uri) and gzip.decompress(read_bytes(files[0].uri)) == body


def test_bronze_access_on_s3(tmp_path: Path, aws_env: None) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="lake")
        cfg = make_cfg(tmp_path, **{"bronze.root": "s3://lake/bronze"})
        store = BronzeStore.for_root(cfg.bronze.root, region="us-east-1")
        write_response(store, endpoint="/teams", slug="teams", path="/teams", params={"season": "2024"},
                       season=2024, date=None, status=200, body=b"[{\"id\":1}]", record_count=1, run_id="r1")
        files, read_bytes = bronze_files(cfg, "teams", 2024)
        assert files[0].uri.startswith("s3://lake/bronze/teams/season=2024/")
        assert gzip.decompress(read_bytes(files[0].uri)) == b"[{\"id\":1}]"


def test_manifest_fingerprints_the_stored_file_and_silver_checks_against_it(tmp_path: Path) -> None:
    """``stored_sha256`` is the written file's own hash; the silver check accepts that file as is, and any other
    bytes (recompressed with the body intact, truncated, a changed body) get the full check and its reason."""
    from cbbd_etl.silver.bronze_reader import check_files

    cfg = make_cfg(tmp_path)
    store = BronzeStore.for_root(cfg.bronze.root)
    body = json.dumps([{"id": i, "text": "x" * 40} for i in range(200)]).encode()
    m = write_response(store, endpoint="/games", slug="games", path="/games", params={"season": "2024"},
                       season=2024, date=None, status=200, body=body, record_count=200, run_id="r1")
    stored = store.get_bytes(m["data_key"])
    assert m["stored_bytes"] == len(stored) < len(body) == m["bytes"]
    assert m["stored_sha256"] == hashlib.sha256(stored).hexdigest()
    (f,), read_bytes = bronze_files(cfg, "games", 2024)
    assert (f.stored_sha256, f.body_bytes) == (m["stored_sha256"], len(body))

    checked = check_files([f], read_bytes)
    assert checked.good == [f] and checked.sizes == {f.uri: len(body)}

    path = Path(f.uri)
    variants = {"recompressed": gzip.compress(body, compresslevel=9, mtime=1),
                "truncated": stored[: len(stored) // 2],
                "changed body": gzip.compress(body.replace(b'"id": 7,', b'"id": 8,'))}
    verdicts = {}
    for name, data in variants.items():
        path.write_bytes(data)
        checked = check_files([f], read_bytes)
        verdicts[name] = checked.sizes.get(f.uri) if checked.good else checked.bad[0][1]
    assert verdicts["recompressed"] == len(body)
    assert str(verdicts["truncated"]).startswith("truncated or corrupt gzip: ")
    assert verdicts["changed body"] == "content does not match the manifest sha256 (changed or truncated after fetch)"
