"""Which bronze responses each silver table has already loaded.

Why track instead of re-reading the season every run: a season of plays is
~150 files and 2 million records; a daily run adds a handful. A file is
identified by its URI and the sha256 its manifest records, so a response
re-fetched into the same key (a correction) is new again. Marking happens
after the MERGE commits; a crash in between only means the next run reads
the file again and finds every row unchanged.

Why a cache: every silver job asks this table "what is new?" for each of its
tables, and asking Spark costs a job each time (most of a no-op job's time).
The cache holds the whole table's keys as of one Iceberg snapshot, checked
against the table's current snapshot (metadata only, no Spark job) before
every use; our own appends extend it when they are the only commit since, so
a whole workflow run reads the table once.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from ..config import Config
from ..iceberg import commit_lock, current_snapshot, ensure_table
from ..spark import local_frame
from ..tables import META_BRONZE_PROCESSED
from .bronze_reader import BronzeFile
from .common import utc_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

ProcessedKey = tuple[str, str, str]     # (target_table, source_file, sha256)
_cache: dict[str, tuple[int | None, set[ProcessedKey]]] = {}   # table identifier -> (snapshot id, keys)
_lock = threading.Lock()


def processed_keys(spark: "SparkSession", cfg: Config) -> set[ProcessedKey]:
    """Every (target table, file, sha256) in ``meta.bronze_processed``: one Spark read per new snapshot."""
    ident = ensure_table(spark, cfg, META_BRONZE_PROCESSED)
    snapshot, _ = current_snapshot(spark, ident)
    cache_key = _cache_key(cfg, ident)
    with _lock:
        hit = _cache.get(cache_key)
        if hit is not None and hit[0] == snapshot:
            return hit[1]
    keys: set[ProcessedKey] = set()
    if snapshot is not None:
        keys = {(r[0], r[1], r[2]) for r in
                spark.table(ident).select("target_table", "source_file", "sha256").collect()}
    with _lock:
        _cache[cache_key] = (snapshot, keys)
    return keys


def unprocessed(spark: "SparkSession", cfg: Config, table: str, files: list[BronzeFile]) -> list[BronzeFile]:
    """``files`` that ``table`` has not loaded yet (same URI and content hash)."""
    done = processed_keys(spark, cfg)
    return [f for f in files if (table, f.uri, f.sha256 or "") not in done]


def mark_processed(spark: "SparkSession", cfg: Config, table: str, files: list[BronzeFile],
                   outcomes: dict[str, str], run_id: str) -> int:
    """Record ``files`` as loaded into ``table`` (``outcomes``: uri → reason for files that were quarantined).

    Files already recorded (a ``reprocess`` replay) are skipped in Python against the cached keys, so a
    replay commits no snapshot and a new mark is one append job (no anti-join against the table).
    """
    if not files:
        return 0
    done = processed_keys(spark, cfg)
    fresh, seen = [], set()
    for f in files:
        key = (table, f.uri, f.sha256 or "")
        if key not in done and key not in seen:
            seen.add(key)
            fresh.append(f)
    if not fresh:
        return 0
    marks = [(table, f.uri, f.sha256 or "", f.season, f.record_count, f.fetched_at, outcomes.get(f.uri, "loaded"),
              run_id) for f in fresh]
    pending = getattr(_batch, "marks", None)
    if pending is not None:          # inside batched_marks(): written when the batch ends
        pending.append((marks, seen))
        return len(fresh)
    _write_marks(spark, cfg, marks, seen)
    return len(fresh)


_batch = threading.local()   # per thread: jobs of a local workflow run run side by side in threads


@contextmanager
def batched_marks(spark: "SparkSession", cfg: Config) -> Iterator[None]:
    """Write the marks of every :func:`mark_processed` inside the block as one append when the block ends.

    Why: a job that loads several tables (silver_reference loads nine) paid one Spark job and one Iceberg
    commit per table for its marks, ~0.6 s each. A table's marks are still written only after its MERGE
    committed; they are written when the block ends even if a later table of the job fails, and a crash
    before that only means the next run reads those files again and finds every row unchanged. Nested
    blocks join the outer one.
    """
    if getattr(_batch, "marks", None) is not None:
        yield
        return
    _batch.marks = []
    try:
        yield
    finally:
        batch, _batch.marks = _batch.marks, None
        if batch:
            _write_marks(spark, cfg, [m for marks, _ in batch for m in marks],
                         set().union(*(seen for _, seen in batch)))


def current_batch() -> list | None:
    """The marks of the :func:`batched_marks` block this thread is in (None outside one): hand it to
    :func:`joined_batch` in the threads a job starts, so their marks join the job's one append."""
    return getattr(_batch, "marks", None)


@contextmanager
def joined_batch(batch: list | None) -> Iterator[None]:
    """Inside the block this thread's marks go to ``batch`` (from :func:`current_batch` of the job's thread).

    Why: :func:`batched_marks` is per thread (jobs of a workflow run side by side in threads), so a job that
    loads its tables in worker threads must carry its block into them; list appends are atomic.
    """
    previous = getattr(_batch, "marks", None)
    _batch.marks = batch
    try:
        yield
    finally:
        _batch.marks = previous


def _write_marks(spark: "SparkSession", cfg: Config, marks: list[tuple], seen: set[ProcessedKey]) -> None:
    # A file marked twice for one table within a batch is written once (the first outcome stands).
    marks = list({(m[0], m[1], m[2]): m for m in reversed(marks)}.values())[::-1]
    ident = ensure_table(spark, cfg, META_BRONZE_PROCESSED)
    with commit_lock(ident):   # jobs of one workflow run mark side by side: one commit at a time, cache kept
        _append_marks(spark, cfg, ident, marks, seen)


def _append_marks(spark: "SparkSession", cfg: Config, ident: str, marks: list[tuple],
                  seen: set[ProcessedKey]) -> None:
    from pyspark.sql import functions as F

    before, _ = current_snapshot(spark, ident)
    rows = local_frame(
        spark, marks,
        "target_table STRING, source_file STRING, sha256 STRING, season INT, record_count BIGINT, fetched STRING, "
        "outcome STRING, run_id STRING")
    rows = rows.select("target_table", "source_file", "sha256", "season", "record_count",
                       utc_timestamp("fetched").alias("fetched_at"), "outcome", "run_id",
                       F.current_timestamp().alias("processed_at"))
    rows.select(*[c for c, _ in META_BRONZE_PROCESSED.all_columns]).writeTo(ident).append()
    after, parent = current_snapshot(spark, ident)
    cache_key = _cache_key(cfg, ident)
    with _lock:
        hit = _cache.get(cache_key)
        # Extend the cache only if our append is the one commit since the cached snapshot.
        if hit is not None and hit[0] == before and parent == before:
            _cache[cache_key] = (after, hit[1] | seen)
        else:
            _cache.pop(cache_key, None)


def _cache_key(cfg: Config, ident: str) -> str:
    return f"{cfg.lake.warehouse}|{ident}"
