"""Read bronze API responses into Spark with lineage, quarantining what cannot be read.

Why a verification pass before Spark: a truncated gzip makes Spark's reader
throw and fail the whole job, and a file whose bytes differ from its manifest
was corrupted after it was fetched. Each such file becomes one quarantine
row with its reason (and its manifest's record count, for reconciliation)
instead of an exception or a silent skip.
"""
from __future__ import annotations

import gzip
import hashlib
import json
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


@dataclass
class FileCheck:
    good: list[BronzeFile] = field(default_factory=list)
    bad: list[tuple[BronzeFile, str]] = field(default_factory=list)


def check_files(files: Iterable[BronzeFile], read_bytes: Callable[[str], bytes]) -> FileCheck:
    """Split files into readable ones and (file, reason) pairs."""
    out = FileCheck()
    for f in files:
        reason = _check_one(f, read_bytes)
        if reason:
            out.bad.append((f, reason))
        else:
            out.good.append(f)
    return out


def _check_one(f: BronzeFile, read_bytes: Callable[[str], bytes]) -> str | None:
    try:
        raw = read_bytes(f.uri)
    except (OSError, KeyError) as exc:
        return f"bronze file unreadable: {exc}"
    try:
        body = gzip.decompress(raw) if f.uri.endswith(".gz") else raw
    except (EOFError, OSError, zlib.error) as exc:
        return f"truncated or corrupt gzip: {exc}"
    if f.sha256 and hashlib.sha256(body).hexdigest() != f.sha256:
        return "content does not match the manifest sha256 (changed or truncated after fetch)"
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"invalid JSON: {str(exc)[:200]}"
    if not isinstance(doc, (list, dict)):
        return f"response is a JSON {type(doc).__name__}, expected an array or object"
    return None


def read_json_records(spark: "SparkSession", files: list[BronzeFile], schema_ddl: str) -> "DataFrame":
    """Parse checked files with an explicit API schema; lineage joined from the manifests.

    Rows that do not fit the schema keep their text in ``_corrupt_record``.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField

    from ..spark import ddl_schema

    schema = ddl_schema(schema_ddl).add(StructField("_corrupt_record", StringType(), True))
    df = (
        spark.read.schema(schema)
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .json([f.uri for f in files])
        .withColumn("_file", F.regexp_replace(F.input_file_name(), "^file:(//)?", ""))
    )
    lineage = spark.createDataFrame(
        [(f.uri.removeprefix("file://"), f.uri, f.fetched_at, f.run_id) for f in files],
        "_file STRING, _source_file STRING, _fetched STRING, _src_run_id STRING",
    )
    return (
        df.join(F.broadcast(lineage), "_file", "left")
        .withColumn("_ingested_at", F.to_timestamp("_fetched"))
        .drop("_file", "_fetched")
    )


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


def manifest_to_file(manifest: dict[str, Any], uri: str) -> BronzeFile:
    return BronzeFile(
        uri=uri,
        fetched_at=manifest["fetched_at"],
        run_id=manifest.get("run_id", ""),
        record_count=int(manifest.get("record_count") or 0),
        sha256=manifest.get("sha256"),
        season=manifest.get("season"),
    )
