"""Checkpoints keyed by (endpoint, parameters): the manifests, plus an append-only JSON-lines log.

Why the manifests are the source of truth (and not Iceberg ``meta.ingest_log``
or DynamoDB): a request is done exactly when its manifest exists, because the
manifest is written after its data file. Any other checkpoint store would be
a second record of the same fact that can disagree with bronze after a crash
between the two writes (data written, checkpoint not, or the reverse). The
manifests live beside the data, in the same folder or bucket, so they work
identically on a laptop and on S3, need no JVM (ingestion is a Python-shell
Glue job) and no extra service or IAM grant. ``request_hash`` (sha256 of
path + sorted parameters) is the key, so "same endpoint, same parameters"
means "same manifest".

The JSON-lines ingest log (``_state/ingest_log/{run_id}/part-NNNNN.jsonl``)
adds the history the manifests overwrite: every attempt's outcome per run
(done, skipped, dead letter), for audits and for the gap-fill to know which
answers came back empty and when. It is append-only by construction (new
part objects, never rewritten), which S3 supports natively. Dead letters go
to ``_state/dead_letters/{run_id}.jsonl``.
"""
from __future__ import annotations

import json
import threading
from typing import Any, Mapping

from .store import BronzeStore, manifest_prefix, utc_now


class Checkpoints:
    """Which requests are done: the set of manifest keys under the relevant prefixes, loaded lazily."""

    def __init__(self, store: BronzeStore) -> None:
        self.store = store
        self._keys: dict[tuple[str, int | None], set[str]] = {}
        self._lock = threading.Lock()

    def _prefix_keys(self, slug: str, season: int | None) -> set[str]:
        with self._lock:
            found = self._keys.get((slug, season))
        if found is None:
            found = set(self.store.list(manifest_prefix(slug, season)))
            with self._lock:
                self._keys[(slug, season)] = found
        return found

    def is_done(self, slug: str, season: int | None, manifest_key: str) -> bool:
        return manifest_key in self._prefix_keys(slug, season)

    def mark_done(self, slug: str, season: int | None, manifest_key: str) -> None:
        self._prefix_keys(slug, season).add(manifest_key)

    def manifest(self, manifest_key: str) -> dict[str, Any] | None:
        try:
            doc = self.store.get_json(manifest_key)
        except (KeyError, OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None


class IngestLog:
    """Append-only JSON-lines log of one run, flushed in parts (S3 has no append)."""

    def __init__(self, store: BronzeStore, run_id: str, flush_every: int = 200) -> None:
        self.store = store
        self.run_id = run_id
        self.flush_every = flush_every
        self._buffer: list[str] = []
        self._part = 0
        self._dead: list[str] = []
        self._lock = threading.Lock()

    @property
    def prefix(self) -> str:
        return f"_state/ingest_log/{self.run_id}/"

    @property
    def dead_letter_key(self) -> str:
        return f"_state/dead_letters/{self.run_id}.jsonl"

    def record(self, outcome: str, **fields: Any) -> None:
        line = json.dumps({"at": utc_now(), "run_id": self.run_id, "outcome": outcome, **fields},
                          sort_keys=True, default=str)
        with self._lock:
            self._buffer.append(line)
            full = len(self._buffer) >= self.flush_every
        if full:
            self.flush()

    def dead_letter(self, *, endpoint: str, path: str, params: Mapping[str, str], reason: str, attempts: int,
                    status: int | None, season: int | None) -> dict[str, Any]:
        """Record a request that failed after all attempts; the file is rewritten whole (dead letters are few)."""
        doc = {"at": utc_now(), "run_id": self.run_id, "endpoint": endpoint, "path": path,
               "params": dict(sorted(params.items())), "season": season, "reason": reason,
               "attempts": attempts, "status": status}
        with self._lock:
            self._dead.append(json.dumps(doc, sort_keys=True))
            text = "\n".join(self._dead) + "\n"
        self.store.put_bytes(self.dead_letter_key, text.encode("utf-8"))
        self.record("dead_letter", **{k: v for k, v in doc.items() if k not in ("at", "run_id")})
        return doc

    def flush(self) -> None:
        with self._lock:
            if not self._buffer:
                return
            text = "\n".join(self._buffer) + "\n"
            self._buffer = []
            key = f"{self.prefix}part-{self._part:05d}.jsonl"
            self._part += 1
        self.store.put_bytes(key, text.encode("utf-8"))


def read_log(store: BronzeStore, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every ingest-log line (of one run, or all runs), in write order."""
    prefix = f"_state/ingest_log/{run_id}/" if run_id else "_state/ingest_log/"
    out: list[dict[str, Any]] = []
    for key in store.list(prefix):
        out.extend(json.loads(line) for line in store.get_bytes(key).decode("utf-8").splitlines() if line)
    return out


def read_dead_letters(store: BronzeStore, run_id: str) -> list[dict[str, Any]]:
    try:
        text = store.get_bytes(f"_state/dead_letters/{run_id}.jsonl").decode("utf-8")
    except (KeyError, OSError):
        return []
    return [json.loads(line) for line in text.splitlines() if line]
