"""Read bronze API responses into Spark with lineage, quarantining what cannot be read.

Why a verification pass before Spark: a truncated gzip makes Spark's reader
throw and fail the whole job, and a file whose bytes differ from its manifest
was corrupted after it was fetched. JSON validity is left to Spark (parsing
every response twice in Python would cost more than the load itself). Each such file becomes one quarantine
row with its reason (and its manifest's record count, for reconciliation)
instead of an exception or a silent skip.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class BronzeFile:
    """One bronze response file and what its manifest says about it."""

    uri: str
    fetched_at: str
    run_id: str
    record_count: int
    sha256: str | None = None
    season: int | None = None
    params: str = "{}"          # the request's parameters as JSON (context such as a path's gameId)


@dataclass
class FileCheck:
    good: list[BronzeFile] = field(default_factory=list)
    bad: list[tuple[BronzeFile, str]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)   # decompressed size per good file (uri): chunks a load

    def chunks(self, max_bytes: int) -> list[list[BronzeFile]]:
        """The good files, oldest fetch first, cut into runs of at most ``max_bytes`` decompressed (a bigger
        file alone): a later chunk then carries the later copy of a key fetched twice."""
        out: list[list[BronzeFile]] = []
        size = 0
        for f in sorted(self.good, key=lambda f: (f.fetched_at, f.uri)):
            n = self.sizes.get(f.uri, 0)
            if not out or (size + n > max_bytes and out[-1]):
                out.append([])
                size = 0
            out[-1].append(f)
            size += n
        return out


def check_files(files: Iterable[BronzeFile], read_bytes: Callable[[str], bytes]) -> FileCheck:
    """Split files into readable ones and (file, reason) pairs."""
    from concurrent.futures import ThreadPoolExecutor

    files = list(files)
    out = FileCheck()
    # zlib and hashlib release the GIL, so threads check files in parallel.
    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2))) as pool:
        checks = list(pool.map(lambda f: _check_one(f, read_bytes), files))
    for f, (reason, size) in zip(files, checks):
        if reason:
            out.bad.append((f, reason))
        else:
            out.good.append(f)
            out.sizes[f.uri] = size
    return out


def _check_one(f: BronzeFile, read_bytes: Callable[[str], bytes]) -> tuple[str | None, int]:
    """``(reason the file is bad or None, decompressed size)``."""
    try:
        raw = read_bytes(f.uri)
    except (OSError, KeyError) as exc:
        return f"bronze file unreadable: {exc}", 0
    try:
        body = gzip.decompress(raw) if f.uri.endswith(".gz") else raw
    except (EOFError, OSError, zlib.error) as exc:
        return f"truncated or corrupt gzip: {exc}", 0
    if f.sha256 and hashlib.sha256(body).hexdigest() != f.sha256:
        return "content does not match the manifest sha256 (changed or truncated after fetch)", 0
    return None, len(body)


MALFORMED_FILE = "bronze file is not a valid JSON array or object (malformed or truncated JSON)"
NULL_RECORD = "record is JSON null"
_MALFORMED_SENTINEL = "\u0000malformed-file\u0000"   # cannot be the text of a JSON element


def read_json_records(
    spark: "SparkSession", files: list[BronzeFile], schema_ddl: str, response: str = "array",
    known_keys: Iterable[str] | None = None,
) -> "DataFrame":
    """One row per API record, parsed with an explicit schema, with lineage and the record's own JSON.

    Why not ``spark.read.json(multiLine=True)``: in multi-line mode a record
    that does not fit the schema cannot be told apart from its file, and an
    unknown field is invisible. Reading each response as one text value,
    splitting the array into per-record JSON strings and then parsing each
    string keeps, for every record, its exact JSON (``_raw_json``), whether
    it fit the schema (``_corrupt_record``) and the top-level fields it had
    that the schema lacks (``_unknown_keys``, for schema-drift tracking).
    A response that is not valid JSON yields one row with
    ``_file_malformed`` set, so it is quarantined with its file rather than
    failing the job; a ``null`` element of the array is a row whose
    ``_raw_json`` is null.
    """
    from pyspark.sql import functions as F

    texts = spark.read.text([f.uri for f in files], wholetext=True).select(
        # _metadata.file_path, unlike input_file_name(), is deterministic, which MERGE requires of its source.
        F.url_decode(F.regexp_replace(F.col("_metadata.file_path"), "^file:(//)?", "")).alias("_file"), "value")
    if response == "object":
        items = F.when(F.from_json("value", "MAP<STRING, STRING>").isNotNull(), F.array(F.trim(F.col("value"))))
    else:
        items = F.from_json("value", "ARRAY<STRING>")
    # A file that is not a JSON array becomes one row flagged _file_malformed (standing for all its records).
    # The flag travels as a sentinel element: any column computed beside explode() would make Spark carry
    # the whole response text into every exploded row.
    # _record_pos (the element's index in its response) identifies a record even after a transform explodes it.
    records = (texts.select("_file", F.posexplode(F.coalesce(items, F.array(F.lit(_MALFORMED_SENTINEL))))
                            .alias("_record_pos", "_el"))
               .select("_file", "_record_pos", F.col("_el").eqNullSafe(_MALFORMED_SENTINEL).alias("_file_malformed"),
                       F.when(~F.col("_el").eqNullSafe(_MALFORMED_SENTINEL), F.col("_el")).alias("_raw_json")))
    parsed = F.from_json("_raw_json", f"{schema_ddl}, _corrupt_record STRING",
                         {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"})
    known = sorted(set(known_keys or _top_level_names(schema_ddl)))
    unknown = F.array_except(F.coalesce(F.json_object_keys("_raw_json"), F.array().cast("array<string>")),
                             F.array(*[F.lit(k) for k in known]))
    # inline() expands the parsed struct in one generator step: selecting "_r.*" instead lets the
    # optimizer copy from_json into every column expression and parse each record once per field.
    df = records.select("_file", "_record_pos", "_file_malformed", "_raw_json", unknown.alias("_unknown_keys"),
                        F.inline(F.array(parsed)))
    from ..spark import local_frame

    lineage = local_frame(
        spark,
        [(f.uri.removeprefix("file://").removeprefix("file:"), f.uri, f.fetched_at, f.run_id, f.record_count, f.season, f.params)
         for f in files],
        "_file STRING, _source_file STRING, _fetched STRING, _src_run_id STRING, _file_records INT, _season INT, "
        "_params STRING",
    )
    return (
        df.join(F.broadcast(lineage), "_file", "left")
        .withColumn("_ingested_at", F.to_timestamp("_fetched"))
        .drop("_file", "_fetched")
    )


def _top_level_names(schema_ddl: str) -> list[str]:
    from ..spark import ddl_schema

    return [f.name for f in ddl_schema(schema_ddl).fields]


def quarantine_rows_for_files(
    spark: "SparkSession", bad: list[tuple[BronzeFile, str]], target_table: str, run_id: str
) -> "DataFrame":
    """One quarantine row per unreadable file (raw JSON unknown: the file is the evidence)."""
    from .quarantine import quarantine_frame

    rows = [
        {"natural_key": None, "reason": f"{reason} (manifest records: {f.record_count})", "raw_json": None,
         "source_file": f.uri, "season": f.season}
        for f, reason in bad
    ]
    return quarantine_frame(spark, rows, target_table, run_id)


def _request_params(manifest: dict[str, Any]) -> dict[str, Any]:
    """Query parameters plus the path's own (``/lineups/game/{gameId}`` → ``gameId``): the request's context."""
    from ..api.endpoints import match_path

    params = dict(manifest.get("params") or {})
    matched = match_path(manifest.get("path") or "")
    if matched:
        params.update(matched[1])
    return params


def manifest_to_file(manifest: dict[str, Any], uri: str) -> BronzeFile:
    return BronzeFile(
        uri=uri,
        fetched_at=manifest["fetched_at"],
        run_id=manifest.get("run_id", ""),
        record_count=int(manifest.get("record_count") or 0),
        sha256=manifest.get("sha256"),
        season=manifest.get("season"),
        params=json.dumps(_request_params(manifest), sort_keys=True),
    )
