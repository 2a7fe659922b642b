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
    record_keys: tuple[str, ...] | None = None   # top-level fields of its records, per the manifest (None: unknown)
    non_object_records: int | None = None        # records that are not JSON objects (null, a number, ...)
    body_bytes: int | None = None                # the response body's size, decompressed (manifest "bytes")
    stored_sha256: str | None = None             # sha256 of the stored file itself (manifests written since
                                                 # stored_sha256 exists; None: only the body's is known)


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
    """``(reason the file is bad or None, decompressed size)``.

    A file whose bytes hash to its manifest's ``stored_sha256`` is the very file the ingest wrote: a gzip of
    the body its ``sha256`` describes, so it is good without inflating it. Hashing the stored bytes is
    ~40x cheaper than inflating and hashing the body (a full season: 0.2 s against 8 s of CPU, on every
    silver run's driver). Any other file gets the full check, which names what is wrong (a truncated gzip,
    a changed body) and still accepts a file recompressed with its body intact.
    """
    try:
        raw = read_bytes(f.uri)
    except (OSError, KeyError) as exc:
        return f"bronze file unreadable: {exc}", 0
    if f.stored_sha256 and f.body_bytes is not None and hashlib.sha256(raw).hexdigest() == f.stored_sha256:
        return None, f.body_bytes
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


# ``_raw_json`` of a record parsed in one pass (see read_json_records): its text is not kept. Not null, so the
# record is no null record; not JSON, so it cannot be taken for a record's text.
FAST_PARSED = ""
# ``_corrupt_record`` of such a record when some record of its file did not fit the schema.
FAST_CORRUPT = "(a record of this file does not fit the schema: the file is read again record by record)"


def fast_readable(files: Iterable[BronzeFile], known_keys: Iterable[str]) -> frozenset[str]:
    """URIs of the files Spark may parse in one pass: their manifests say every record is an object and
    every top-level field is one the schema knows (so no drift to detect and no null record to flag)."""
    known = set(known_keys)
    return frozenset(f.uri for f in files if f.record_keys is not None and f.non_object_records == 0
                     and known.issuperset(f.record_keys))


def read_json_records(
    spark: "SparkSession", files: list[BronzeFile], schema_ddl: str, response: str = "array",
    known_keys: Iterable[str] | None = None, fast_uris: frozenset[str] = frozenset(),
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

    ``fast_uris`` (array responses only, see :func:`fast_readable`): files whose manifests vouch that this
    per-record text is not needed. Spark's JSON reader parses them in one streaming pass, ~5x faster than
    the three parses above (array, record, keys). Their rows carry ``_raw_json`` = :data:`FAST_PARSED` and
    no ``_record_pos``; a record that does not fit the schema marks every row of its file
    ``_corrupt_record``, so the caller reads such a file again exactly (see ``silver.pipeline``).
    """
    from pyspark.sql import functions as F

    fast = [f for f in files if f.uri in fast_uris] if response == "array" else []
    exact = [f for f in files if f.uri not in fast_uris] if fast else files
    parts = []
    if exact:
        parts.append(_exact_records(spark, exact, schema_ddl, response, known_keys))
    if fast:
        parts.append(_fast_records(spark, fast, schema_ddl))
    df = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
    from ..spark import local_frame
    from .common import utc_timestamp

    # A file's fetch time becomes a timestamp here, once per file, not once per record after the join.
    lineage = local_frame(
        spark,
        [(f.uri.removeprefix("file://").removeprefix("file:"), f.uri, f.fetched_at, f.run_id, f.record_count, f.season, f.params)
         for f in files],
        "_file STRING, _source_file STRING, _fetched STRING, _src_run_id STRING, _file_records INT, _season INT, "
        "_params STRING",
    ).withColumn("_ingested_at", utc_timestamp("_fetched")).drop("_fetched")
    return df.join(F.broadcast(lineage), "_file", "left").drop("_file")


def _file_path() -> "Any":
    from pyspark.sql import functions as F

    # _metadata.file_path, unlike input_file_name(), is deterministic, which MERGE requires of its source.
    # It is URL-encoded and scheme-qualified; the lineage names files without the local scheme, decoded. This
    # runs for every row, so it takes no regex and decodes only a name that holds a '%' (a regex and a decode
    # per row were ~2 % of a season's plays load). '+' stays '+': Java's URL decoder would make it a space.
    path = F.col("_metadata.file_path")
    local = (F.when(path.startswith("file://"), path.substr(F.lit(8), F.lit(1 << 30)))
             .when(path.startswith("file:"), path.substr(F.lit(6), F.lit(1 << 30))).otherwise(path))
    return F.when(local.contains("%"), F.url_decode(F.replace(local, F.lit("+"), F.lit("%2B")))).otherwise(local) \
        .alias("_file")


def _fast_records(spark: "SparkSession", files: list[BronzeFile], schema_ddl: str) -> "DataFrame":
    """One pass of Spark's JSON reader over whole files (an array per file: a row per element)."""
    from pyspark.sql import functions as F

    fields = [f"`{name}`" for name in _top_level_names(schema_ddl)]
    parsed = (spark.read.schema(f"{schema_ddl}, _corrupt_record STRING")
              .options(mode="PERMISSIVE", columnNameOfCorruptRecord="_corrupt_record", multiLine=True)
              .json([f.uri for f in files]))
    return parsed.select(_file_path(), F.lit(None).cast("int").alias("_record_pos"),
                         F.lit(False).alias("_file_malformed"), F.lit(FAST_PARSED).alias("_raw_json"),
                         F.array().cast("array<string>").alias("_unknown_keys"), *fields,
                         # The reader puts the whole file's text there, in every row of the file: keep a flag.
                         F.when(F.col("_corrupt_record").isNotNull(), F.lit(FAST_CORRUPT)).alias("_corrupt_record"))


def _exact_records(spark: "SparkSession", files: list[BronzeFile], schema_ddl: str, response: str,
                   known_keys: Iterable[str] | None) -> "DataFrame":
    """Each response as one text, split into per-record JSON texts, each parsed on its own (see above)."""
    from pyspark.sql import functions as F

    texts = spark.read.text([f.uri for f in files], wholetext=True).select(_file_path(), "value")
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
    return records.select("_file", "_record_pos", "_file_malformed", "_raw_json", unknown.alias("_unknown_keys"),
                          F.inline(F.array(parsed)))


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
        record_keys=tuple(manifest["record_keys"]) if isinstance(manifest.get("record_keys"), list) else None,
        non_object_records=(int(manifest["non_object_records"])
                            if isinstance(manifest.get("non_object_records"), int) else None),
        body_bytes=int(manifest["bytes"]) if isinstance(manifest.get("bytes"), int) else None,
        stored_sha256=manifest["stored_sha256"] if isinstance(manifest.get("stored_sha256"), str) else None,
    )
