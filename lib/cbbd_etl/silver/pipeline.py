"""The silver job pattern shared by every endpoint table.

read bronze (verified) → parse with the explicit API schema → validate →
quarantine failures → one row per natural key → drop unchanged → MERGE,
then reconcile: bronze records = inserted + updated + unchanged +
duplicates + quarantined (for tables whose rows are array elements of a
record, the same identity holds in rows, and bronze records = parsed
records + records of unreadable files).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..bronze_access import bronze_files
from ..iceberg import (append_rows, append_streamed, appended_keys_unique, ensure_table, merge_upsert,
                       season_is_empty, undo_append)
from ..log import event, get_logger
from ..tables import META_QUARANTINE, TableSpec
from .bronze_reader import (FAST_PARSED, MALFORMED_FILE, NULL_RECORD, check_files, fast_readable,
                            quarantine_rows_for_files, read_json_records)
from .common import standard_rules
from .processed import mark_processed, unprocessed
from .quarantine import tag_reasons, with_quarantine_columns
from .schema_drift import record_drift

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

    from ..runner import JobContext

log = get_logger("silver")


# Decompressed bronze bytes per chunk of a load (see _load_chunk): a season of box scores is one chunk of a
# few MB, the demo's plays (~440 MB of JSON) one, a full season's (~2.6 GB) five. Cached without the JSON text, a
# chunk takes ~200 MB. A season's first load bigger than one chunk streams instead when it can (_stream_load).
CACHE_LOAD_MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class LoadStats:
    """Every count a silver load needs, from one aggregation over the tagged rows."""

    valid: int                  # rows that pass every rule (the MERGE source)
    rejected: int               # records quarantined by a rule (a malformed file counts its manifest records)
    parsed_records: int         # API records read (for exploded tables: before the explode)
    unknown_fields: list[str]   # top-level fields the schema lacks (schema drift)


def load_stats(tagged: "DataFrame", exploded: bool) -> LoadStats:
    """One Spark action for all counts of a load (``tagged``: rows with ``_reason``, see ``tag_reasons``).

    A malformed file is one row standing for every record its manifest counted. For an exploded table a
    record is several rows, so its records are counted as distinct (file, position) pairs.
    """
    from pyspark.sql import functions as F

    malformed = F.col("_file_malformed")
    valid, rejected, parsed = _record_counts()
    unknown = F.array_sort(F.array_distinct(F.flatten(F.collect_set(
        F.when(F.size("_unknown_keys") > 0, F.col("_unknown_keys")))))).alias("unknown")
    if exploded:
        parsed = (F.count_distinct(F.when(~malformed, F.struct("_source_file", "_record_pos")))
                  + F.coalesce(F.sum(F.when(malformed, F.col("_file_records"))), F.lit(0))).alias("parsed")
    row = tagged.agg(valid, rejected, unknown, parsed).first()
    return LoadStats(valid=int(row["valid"] or 0), rejected=int(row["rejected"] or 0),
                     parsed_records=int(row["parsed"] or 0), unknown_fields=list(row["unknown"] or []))


def _record_counts() -> list["Column"]:
    """``valid``, ``rejected`` and ``parsed`` of a load whose records are one row each (not exploded): a
    malformed file is one row standing for every record its manifest counted."""
    from pyspark.sql import functions as F

    weight = F.when(F.col("_file_malformed"), F.col("_file_records")).otherwise(1)
    return [F.sum(F.when(F.col("_reason").isNull(), 1).otherwise(0)).alias("valid"),
            F.sum(F.when(F.col("_reason").isNotNull(), weight).otherwise(0)).alias("rejected"),
            F.sum(weight).alias("parsed")]


def _valid_rows(tagged: "DataFrame", run_id: str) -> "DataFrame":
    """The rows of ``tagged`` that pass every rule, as the table stores them (bookkeeping columns dropped)."""
    from pyspark.sql import functions as F

    drop = [c for c in tagged.columns if c.startswith("_") and c not in ("_ingested_at", "_source_file")]
    return tagged.where(F.col("_reason").isNull()).drop(*drop).withColumn("_run_id", F.lit(run_id))


@dataclass(frozen=True)
class SilverSource:
    """How bronze responses of one or more endpoints become one silver table."""

    slugs: tuple[str, ...]
    api_schema: str
    api_columns: list[str]
    transform: Callable[["DataFrame"], "DataFrame"]
    table: TableSpec
    date_col: str | None = "start_date"
    response: str = "array"
    exploded: bool = False
    extra_rules: Callable[[], list[tuple[str, "Column"]]] = field(default=lambda: [])


def run_silver(ctx: "JobContext", source: SilverSource, season: int | None = None) -> dict[str, Any]:
    """Load one season (or, for tables without seasons, everything) of bronze into ``source.table``."""
    from pyspark.sql import functions as F

    spark, cfg = ctx.spark, ctx.cfg
    seasonal = "season" in source.table.partition_by
    if season is None and seasonal:
        season = ctx.require_season()
    files, read_bytes = [], None
    for slug in source.slugs:
        found, read_bytes = bronze_files(cfg, slug, season if seasonal else None)
        files += found
    seen = len(files)
    if not ctx.options.get("reprocess"):
        files = unprocessed(spark, cfg, source.table.name, files)
    checked = check_files(files, read_bytes) if files else None
    bronze_records = sum(f.record_count for f in files)
    bad_files = checked.bad if checked else []
    quarantined = sum(f.record_count for f, _ in bad_files)
    if bad_files:
        append_rows(spark, cfg, META_QUARANTINE,
                    quarantine_rows_for_files(spark, bad_files, source.table.name, ctx.run_id))
    report: dict[str, Any] = {"table": source.table.name, "season": season, "bronze_files": len(files),
                              "bronze_files_already_loaded": seen - len(files),
                              "bronze_records": bronze_records, "files_quarantined": len(bad_files)}
    outcomes = {f.uri: f"quarantined: {reason}" for f, reason in bad_files}
    if not checked or not checked.good:
        report.update({"inserted": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "quarantined": quarantined,
                       "committed": False, "reconciled": bronze_records == quarantined})
        mark_processed(spark, cfg, source.table.name, files, outcomes, ctx.run_id)
        ensure_table(spark, cfg, source.table)   # an empty table is still a table users can query
        return report

    chunks = checked.chunks(CACHE_LOAD_MAX_BYTES)
    streamed = _stream_load(ctx, source, checked.good, season if seasonal else None) if len(chunks) > 1 else None
    totals = streamed or ChunkResult()
    for chunk in [] if streamed else chunks:
        totals = totals.plus(_load_chunk(ctx, source, chunk, season, seasonal))
    report.update({"inserted": totals.inserted, "updated": totals.updated, "unchanged": totals.unchanged,
                   "duplicates": totals.duplicates, "quarantined": quarantined + totals.rejected,
                   "committed": totals.committed, "schema_drift": sorted(totals.drift), "chunks": totals.chunks,
                   "streamed": totals.streamed})
    accounted = totals.inserted + totals.updated + totals.unchanged + totals.duplicates + totals.rejected
    if source.exploded:
        report["rows"] = accounted
        report["reconciled"] = totals.parsed_records + quarantined == bronze_records
    else:
        report["reconciled"] = accounted + quarantined == bronze_records
    mark_processed(spark, cfg, source.table.name, files, outcomes, ctx.run_id)
    return report


def _tagged(ctx: "JobContext", source: SilverSource, files: list[Any], fast: frozenset[str],
            seasonal: bool) -> tuple["DataFrame", "DataFrame"]:
    """``(raw records, typed rows tagged with their quarantine reason)`` of ``files`` (not cached)."""
    from pyspark.sql import functions as F

    cfg = ctx.cfg
    raw = read_json_records(ctx.spark, files, source.api_schema, response=source.response,
                            known_keys=source.api_columns, fast_uris=fast)
    typed = source.transform(raw)
    rules = [(MALFORMED_FILE, F.col("_file_malformed")), (NULL_RECORD, F.col("_raw_json").isNull())]
    rules += standard_rules(typed, cfg.seasons.first, cfg.seasons.last, list(source.table.keys), source.date_col,
                            seasonal=seasonal)
    rules += source.extra_rules()
    full = tag_reasons(typed, rules)
    # The cache keeps each record's own JSON text (``_raw_json``, as large as the parsed row) only where it is
    # needed: quarantined rows and rows with fields the schema lacks (schema drift), both rare. So the
    # quarantine rows and the drift examples come from the cache too, instead of parsing the chunk again
    # (for the demo's six quarantined games, that second parse was most of silver_games' quarantine cost).
    evidence = F.col("_reason").isNotNull() | (F.size("_unknown_keys") > 0)
    return raw, full.withColumn("_raw_json", F.when(evidence, F.col("_raw_json")))


def _fast_files_with_rejects(tagged: "DataFrame", fast: frozenset[str]) -> set[str]:
    """The one-pass files (see ``bronze_reader.fast_readable``) that hold a rejected row."""
    from pyspark.sql import functions as F

    if not fast:
        return set()
    rows = (tagged.where(F.col("_reason").isNotNull() & (F.col("_raw_json") == FAST_PARSED))
            .select("_source_file").distinct().collect())
    return {r[0] for r in rows}


@dataclass(frozen=True)
class ChunkResult:
    """The counts of one chunk's load; chunks add up to the job's report."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    parsed_records: int = 0
    committed: bool = False
    drift: frozenset[str] = frozenset()
    chunks: int = 0
    streamed: bool = False      # loaded in one pass, uncached (see _stream_load)

    def plus(self, o: "ChunkResult") -> "ChunkResult":
        return ChunkResult(self.inserted + o.inserted, self.updated + o.updated, self.unchanged + o.unchanged,
                           self.duplicates + o.duplicates, self.rejected + o.rejected,
                           self.parsed_records + o.parsed_records, self.committed or o.committed,
                           self.drift | o.drift, self.chunks + o.chunks, self.streamed or o.streamed)


def _load_chunk(ctx: "JobContext", source: SilverSource, files: list[Any], season: int | None,
                seasonal: bool) -> ChunkResult:
    """Parse, validate, quarantine and MERGE one chunk of readable bronze files.

    Why chunks: a chunk is parsed once and cached (without each record's JSON text), so its counts, its
    uniqueness check and its MERGE source all read memory. A full season of plays (~2.6 GB of JSON) as one
    load would not fit the cache and was parsed three times instead. Files
    arrive oldest first, so a key fetched again in a later chunk meets its earlier copy in the table, where
    the MERGE's latest-ingest-wins rule settles it exactly as the in-load dedupe would have (an identical
    copy counts as unchanged rather than duplicate; the reconciliation identity holds either way).
    """
    from pyspark.sql import functions as F

    spark, cfg = ctx.spark, ctx.cfg
    # Exploded tables count records by (file, position), which only the exact reader gives.
    fast = frozenset() if source.exploded else fast_readable(files, source.api_columns)
    raw, tagged = _tagged(ctx, source, files, fast, seasonal)
    tagged = tagged.cache()
    try:
        stats = load_stats(tagged, source.exploded)
        redo = _fast_files_with_rejects(tagged, fast) if stats.rejected else set()
        if redo:
            # A rejected record of a one-pass file needs its own JSON text in quarantine, and a record that
            # did not fit the schema marked every row of its file: those files are read again exactly.
            _, again = _tagged(ctx, source, [f for f in files if f.uri in redo], frozenset(), seasonal)
            rebuilt = tagged.where(~F.col("_source_file").isin(sorted(redo))).unionByName(again).cache()
            tagged.unpersist()
            tagged = rebuilt
            stats = load_stats(tagged, source.exploded)
        # One row per record in ``tagged`` unless the transform exploded records: then count on ``raw``.
        drift = record_drift(spark, cfg, raw if source.exploded else tagged, source.table.name, ctx.run_id,
                             fields=stats.unknown_fields)
        if stats.rejected:
            rejected = tagged.where(F.col("_reason").isNotNull())
            key_expr = F.concat_ws("|", *[F.col(k).cast("string") for k in source.table.keys])
            season_col = F.col("season") if "season" in tagged.columns else F.lit(None)
            raw_text = F.when(~F.col("_file_malformed"), F.coalesce(F.col("_raw_json"), F.lit("null")))
            q = rejected.select(key_expr.alias("natural_key"), F.col("_reason").alias("reason"),
                                raw_text.alias("raw_json"), F.col("_source_file").alias("source_file"),
                                season_col.alias("season"))
            append_rows(spark, cfg, META_QUARANTINE, with_quarantine_columns(q, source.table.name, ctx.run_id))
        merge = merge_upsert(spark, cfg, source.table, _valid_rows(tagged, ctx.run_id),
                             prune={"season": [season]} if seasonal and season is not None else None,
                             source_rows=stats.valid)
    finally:
        tagged.unpersist()
    return ChunkResult(merge.inserted, merge.updated, merge.unchanged, merge.duplicates, stats.rejected,
                       stats.parsed_records, merge.committed, frozenset(drift), 1)


def _stream_load(ctx: "JobContext", source: SilverSource, files: list[Any], season: int | None) -> ChunkResult | None:
    """A season's first load, too big for one cached chunk, in a single uncached pass; None when it cannot be.

    Why: the chunked load parses each chunk into Spark's cache, counts and checks it there, then appends
    from the cache. For a season of plays (~2.6 GB of JSON, 5 chunks) building and reading the cache took a
    quarter of the executors' time, and its blocks kept the collector busy. When every row is bound to be
    new (the table holds nothing of the season) and no record needs its own JSON text (every file is
    one-pass readable: its manifest vouches for its fields), the rows can go straight from the parse into
    the table: the counts ride along the write (``Observation``: exact, one update per successful task),
    and what cannot be known before the write is checked after it:

    - a rejected record needs its own JSON in quarantine (and a record that did not fit the schema marks
      every row of its one-pass file), and
    - a natural key present twice must keep only its latest copy.

    Either takes the commit back (:func:`cbbd_etl.iceberg.undo_append`) and the load runs chunked, which
    handles both; so does an added-row count that differs from the rows observed. Every guarantee of the
    chunked load holds: reconciliation (bronze records = inserted + quarantined), quarantine with reasons,
    one row per key, and a replay finds every file already loaded.
    """
    from pyspark.sql import Observation

    spark, cfg = ctx.spark, ctx.cfg
    if source.exploded or season is None:
        return None       # exploded tables count records by (file, position), which takes a distinct count
    fast = fast_readable(files, source.api_columns)
    if len(fast) != len(files):
        return None
    ident = ensure_table(spark, cfg, source.table)
    if not season_is_empty(spark, ident, season):
        return None
    _, tagged = _tagged(ctx, source, files, fast, seasonal=True)
    seen = Observation()
    done = append_streamed(spark, ident, source.table, _valid_rows(tagged.observe(seen, *_record_counts()),
                                                                    ctx.run_id))
    counts = {k: int(v or 0) for k, v in seen.get.items()}
    why = ("a record was rejected" if counts["rejected"] else
           f"{done.added} rows added of {counts['valid']} valid" if done.added != counts["valid"] else
           "a natural key came twice" if not appended_keys_unique(spark, source.table, done) else None)
    if why:
        undo_append(spark, done)
        event(log, "stream load undone", table=source.table.name, season=season, reason=why)
        return None
    return ChunkResult(inserted=done.added, parsed_records=counts["parsed"], committed=done.added > 0,
                       chunks=1, streamed=True)
