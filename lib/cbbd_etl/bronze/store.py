"""Bronze storage: one interface over a local folder and S3, plus the layout and manifests.

Why one small interface (put/get/exists/list/delete/uri) instead of fsspec or
s3fs: ingestion needs exactly these six operations, each with a guarantee
the rest of the pipeline relies on, and nothing else. Keeping them in one
class per backend makes the guarantees visible and testable:

* ``put_bytes`` is atomic. Locally the bytes go to a temporary file in the
  same directory, then ``os.replace`` renames it over the target (atomic on
  POSIX and Windows); on S3 a PUT is atomic by definition. No reader ever
  sees half a file, even when the writer is killed with ``kill -9``.
* ``list`` returns keys relative to the root, sorted, recursively, and never
  a temporary file, so a crashed writer's leftovers are invisible.

Layout (keys relative to the bronze root)::

    {slug}/season={S}/[date=YYYY-MM-DD/]{request_hash}.json.gz   season-scoped responses
    {slug}/snapshot/{request_hash}.json.gz                        reference lists (no season)
    _manifests/{same path without .json.gz}.json                  one manifest per request
    _state/...  _runs/...                                         checkpoints, logs, run summaries

The data file is written first and its manifest last, so the presence of a
manifest means "this response is complete and matches its sha256": readers
(``silver.bronze_reader``) and the resume logic both rely on that.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Mapping

from ..api.jsoncodec import Digest, digest_of

DATA_SUFFIX = ".json.gz"
MANIFEST_PREFIX = "_manifests/"
_TMP_MARK = ".tmp-"
# gzip level of bronze data files. Why 3, not gzip's default 6: on a full season's plays JSON level 6
# compresses at ~170 MB/s and level 3 at ~330-380 MB/s, for files ~1.5x larger (15:1 instead of 23:1, a
# season ~210 MB instead of ~140 MB); the compression ran in the ingest's threads on every response, ~10 s
# of CPU a season. Reading is as fast either way. Files written at another level read the same.
BRONZE_GZIP_LEVEL = 3
# With python-isal installed (the ``local`` extra), bronze files are written by ISA-L's igzip at its level 2:
# the same gzip format, ~5x faster than zlib at level 3 on a day of plays (~1,000 vs ~190 MB/s), files ~15 %
# larger. Without it (a Glue job without the extra module) zlib writes them as above.
BRONZE_ISAL_LEVEL = 2

try:
    from isal import igzip as _igzip
except ImportError:  # pragma: no cover - depends on the install
    _igzip = None


def gzip_bytes(body: bytes) -> bytes:
    """``body`` as a gzip file (mtime 0, so the same body gives the same file with the same library)."""
    if _igzip is not None:
        return _igzip.compress(body, compresslevel=BRONZE_ISAL_LEVEL, mtime=0)
    return gzip.compress(body, compresslevel=BRONZE_GZIP_LEVEL, mtime=0)


class BronzeStore(ABC):
    """Where bronze bytes live. Keys are ``/``-separated paths relative to the root."""

    @staticmethod
    def for_root(root: str, region: str | None = None) -> "BronzeStore":
        """``s3://bucket/prefix`` → :class:`S3Store`; anything else → :class:`LocalStore`."""
        if str(root).startswith("s3://"):
            return S3Store(str(root), region=region)
        return LocalStore(root)

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` atomically (readers see the old object or the new one, never a mix)."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The bytes at ``key``; ``KeyError`` (S3) or ``FileNotFoundError`` (local) when absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        ...

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (recursively), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if it exists (no error otherwise)."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """A URI Spark and people can open: an absolute path locally, ``s3://...`` on S3."""

    def sweep_temp_files(self) -> int:
        """Remove what writers killed mid-write left behind; how many. Nothing to do where writes are atomic."""
        return 0

    # ------------------------------------------------------------ helpers
    def put_json(self, key: str, doc: Any) -> None:
        self.put_bytes(key, json.dumps(doc, indent=1, sort_keys=True, default=str).encode("utf-8"))

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))


class LocalStore(BronzeStore):
    """A folder on the local disk (the ``local`` profile's ``.lake/bronze``)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(os.fspath(root)))

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        key = key.lstrip("/")
        if ".." in Path(key).parts:
            raise ValueError(f"bronze key {key!r} leaves the root")
        return self.root / key

    def put_bytes(self, key: str, data: bytes) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}{_TMP_MARK}{uuid.uuid4().hex}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            # a prefix may end inside a name ("games/sea"): list its parent and filter
            parent = base.parent
            if not parent.is_dir():
                return []
            return sorted(k for k in self._walk(parent) if k.startswith(prefix))
        return sorted(self._walk(base))

    def _walk(self, base: Path) -> list[str]:
        out: list[str] = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if _TMP_MARK in name:
                    continue
                out.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return out

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def sweep_temp_files(self) -> int:
        """Temp files of writes that never reached their rename (a process killed between the two).

        Readers never see them (``list`` skips them, Spark skips dot-files), but they would pile up. Called when
        an ingest starts: one ingest writes a bronze root at a time (the monthly call counter in ``_state`` is
        read, changed and written back without a lock between processes), so any temp file then is an orphan.
        """
        if not self.root.is_dir():
            return 0
        swept = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                if _TMP_MARK in name:
                    Path(dirpath, name).unlink(missing_ok=True)
                    swept += 1
        return swept

    def uri(self, key: str) -> str:
        return str(self.root / key) if key else str(self.root)


class S3Store(BronzeStore):
    """``s3://bucket/prefix`` through boto3 (the ``aws`` profile); a PUT is atomic, so no temp objects."""

    def __init__(self, root: str, region: str | None = None, client: Any = None) -> None:
        if not root.startswith("s3://"):
            raise ValueError(f"S3Store root must start with s3://, got {root!r}")
        bucket, _, prefix = root[len("s3://"):].partition("/")
        if not bucket:
            raise ValueError(f"S3Store root {root!r} has no bucket")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3

            client = boto3.client("s3", region_name=region or None)
        self._s3 = client

    def __repr__(self) -> str:
        return f"S3Store('s3://{self.bucket}/{self.prefix}')"

    def _key(self, key: str) -> str:
        key = key.lstrip("/")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_bytes(self, key: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._s3.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def list(self, prefix: str) -> list[str]:
        full = self._key(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        out: list[str] = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            out.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        return sorted(out)

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=self._key(key))

    def uri(self, key: str) -> str:
        base = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{base}/{key}" if key else base


# ---------------------------------------------------------------- layout
def request_hash(path: str, params: Mapping[str, object]) -> str:
    """Identity of one request: sha256 of the concrete path and its sorted parameters, 16 hex digits.

    The API key is a header, never a parameter, so it cannot enter the hash
    (and therefore cannot enter a key, a manifest or a log line).
    """
    canonical = json.dumps([path, sorted((str(k), str(v)) for k, v in params.items())], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def data_key(slug: str, season: int | None, rhash: str, date: str | None = None) -> str:
    """``{slug}/season={S}/[date=D/]{hash}.json.gz`` or ``{slug}/snapshot/{hash}.json.gz``."""
    if season is None:
        return f"{slug}/snapshot/{rhash}{DATA_SUFFIX}"
    part = f"{slug}/season={season}/"
    if date:
        part += f"date={date}/"
    return f"{part}{rhash}{DATA_SUFFIX}"


def manifest_key(data_key_: str) -> str:
    """The manifest beside a data key: ``_manifests/{path without .json.gz}.json``."""
    if not data_key_.endswith(DATA_SUFFIX):
        raise ValueError(f"not a bronze data key: {data_key_!r}")
    return f"{MANIFEST_PREFIX}{data_key_[: -len(DATA_SUFFIX)]}.json"


def manifest_prefix(slug: str, season: int | None) -> str:
    return f"{MANIFEST_PREFIX}{slug}/snapshot/" if season is None else f"{MANIFEST_PREFIX}{slug}/season={season}/"


def utc_now() -> str:
    """ISO-8601 UTC with a ``Z``, millisecond precision (what every manifest and log line uses)."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def write_response(
    store: BronzeStore,
    *,
    endpoint: str,
    slug: str,
    path: str,
    params: Mapping[str, str],
    season: int | None,
    date: str | None,
    status: int,
    body: bytes,
    record_count: int,
    run_id: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write one response (data first, manifest last) and return its manifest.

    A re-fetch of the same request (incremental mode) first deletes the old
    manifest, so a crash between the two writes leaves *no* manifest (the
    request is simply fetched again) instead of an old manifest describing
    new bytes. Empty responses are written like any other: "the API had
    nothing" is a fact the gap-fill and the audit need.
    """
    rhash = request_hash(path, params)
    dkey = data_key(slug, season, rhash, date)
    mkey = manifest_key(dkey)
    if store.exists(mkey):
        store.delete(mkey)
    stored = gzip_bytes(body)
    store.put_bytes(dkey, stored)
    manifest: dict[str, Any] = {
        "endpoint": endpoint,
        "slug": slug,
        "path": path,
        "params": dict(sorted(params.items())),
        "season": season,
        "date": date,
        "status": status,
        "record_count": record_count,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        # The stored (gzip) file's own fingerprint: silver checks a file against it by hashing ~13x fewer
        # bytes than inflating it and hashing the body (see silver.bronze_reader.check_files).
        "stored_bytes": len(stored),
        "stored_sha256": hashlib.sha256(stored).hexdigest(),
        "fetched_at": utc_now(),
        "run_id": run_id,
        "request_hash": rhash,
        "data_key": dkey,
    }
    if extra:
        manifest.update(extra)
    store.put_json(mkey, manifest)
    return manifest


def record_shape(data: Any) -> dict[str, Any]:
    """What a response's records look like, for its manifest: their top-level fields and how many are not objects.

    Why: the ingest has every response parsed in hand already. Written down, it tells silver which files
    hold only objects whose every field the schema knows. Such a file needs no per-record JSON text to
    detect schema drift or a null record, so Spark can parse it in one pass (see
    ``silver.bronze_reader.fast_readable``). A response that is not a list (an object) says nothing.
    ``data`` is the decoded response or its :class:`~cbbd_etl.api.jsoncodec.Digest` (the same answer).
    """
    found = data if isinstance(data, Digest) else digest_of(data)
    if found.kind != "array":
        return {}
    return {"record_keys": list(found.record_keys), "non_object_records": found.non_object_records}


def list_manifests(store: BronzeStore, slug: str, season: int | None) -> list[dict[str, Any]]:
    """Every manifest of ``slug`` for ``season`` (``None`` = the snapshot), sorted by data key."""
    out = []
    for key in store.list(manifest_prefix(slug, season)):
        if key.endswith(".json"):
            out.append(store.get_json(key))
    return sorted(out, key=lambda m: m.get("data_key", ""))


def read_body(store: BronzeStore, manifest: Mapping[str, Any]) -> Any:
    """The parsed JSON document behind a manifest."""
    return json.loads(gzip.decompress(store.get_bytes(manifest["data_key"])))
