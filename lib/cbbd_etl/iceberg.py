"""Iceberg table management and idempotent MERGE upserts.

The upsert contract every silver/gold job relies on:

1. one source row per natural key (latest ``_ingested_at`` wins, then the
   latest source file), because MERGE fails on ambiguous matches;
2. rows whose content hash equals the stored ``_row_hash`` are dropped, so a
   replay rewrites no files and commits no snapshot; rows older than the
   stored version (by ``_ingested_at``) are dropped too;
3. new declared columns are added with ``ALTER TABLE`` first, because MERGE
   does not evolve schemas on Spark 3.5.

Running a job twice therefore leaves every table byte-for-byte unchanged.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .config import Config
from .log import event, get_logger
from .spark import sql_literal
from .tables import LINEAGE_COLUMNS, TableSpec

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

log = get_logger("iceberg")
_LINEAGE = {name for name, _ in LINEAGE_COLUMNS}


@dataclass
class MergeResult:
    table: str
    source_rows: int = 0
    duplicates: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    committed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def table_exists(spark: "SparkSession", identifier: str) -> bool:
    return bool(spark.catalog.tableExists(identifier))


def ensure_table(spark: "SparkSession", cfg: Config, spec: TableSpec) -> str:
    """Create the table if missing and add any declared column it lacks; returns its identifier.

    Serialised within the process: jobs of a local workflow run share one session from several threads,
    and two of them may create the same meta table (quarantine, bronze_processed) at once.
    """
    with _ENSURE_LOCK:
        return _ensure_table(spark, cfg, spec)


_ENSURE_LOCK = threading.RLock()
_COMMIT_LOCKS: dict[str, threading.RLock] = {}


def commit_lock(identifier: str) -> threading.RLock:
    """One lock per table for the appends that jobs running side by side share (quarantine, bronze_processed).

    Iceberg would retry a conflicting append by itself; taking turns in the process avoids the failed
    attempt and its logged stack trace, and lets ``bronze_processed``'s key cache follow every commit.
    """
    with _ENSURE_LOCK:
        return _COMMIT_LOCKS.setdefault(identifier, threading.RLock())


def _ensure_table(spark: "SparkSession", cfg: Config, spec: TableSpec) -> str:
    ident = cfg.table(spec.name)
    if not table_exists(spark, ident):
        # only a table to create needs its namespace checked: a statement (~15 ms) saved on every other call
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {cfg.namespace(spec.layer)}")
        props = ", ".join(f"'{k}'='{v}'" for k, v in spec.properties().items())
        part = f" PARTITIONED BY ({', '.join(spec.partition_by)})" if spec.partition_by else ""
        comment = spec.comment.replace("'", "\\'")
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {ident} ({spec.ddl_columns()}) USING iceberg{part} "
            f"COMMENT '{comment}' TBLPROPERTIES ({props})"
        )
        event(log, "table created", table=ident)
        return ident
    existing = {f.name for f in spark.table(ident).schema.fields}
    for name, typ in spec.all_columns:
        if name not in existing:
            spark.sql(f"ALTER TABLE {ident} ADD COLUMN {name} {typ}")
            event(log, "column added", table=ident, column=name, type=typ)
    return ident


def table_rows(df: "DataFrame", spec: TableSpec) -> "DataFrame":
    """``df`` as the table's columns, in its order, with the columns it declares NOT NULL typed non-nullable.

    Why: Spark accepts an append's rows as they come only when every column matches the table's name, type
    and nullability. A required column that the frame might hold null (any computed key, as Spark sees it)
    makes it rebuild every row before the write instead: a null check per required column, and each array
    of structs copied element by element by an interpreted lambda (``transform``), in a projection of its
    own (a lambda cannot join the generated code before it), so each row is copied once more. For a season
    of plays that projection was 12.5 % of the executors' time. The null check Spark would add is put in
    here (``AssertNotNull``, naming the column: a null still fails the write), so Spark adds nothing.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.column import Column as SparkColumn

    cols = [c for c, _ in spec.all_columns]
    nullable = {f.name for f in df.schema.fields if f.nullable}
    checked = {c.name for c in spec.columns if not c.nullable} & nullable
    if not checked:
        return df.select(*cols)
    jvm = df.sparkSession._jvm

    def not_null(name: str) -> SparkColumn:
        check = jvm.org.apache.spark.sql.catalyst.expressions.objects.AssertNotNull(
            F.col(name)._jc.expr(), jvm.PythonUtils.toSeq([name]))
        return SparkColumn(jvm.org.apache.spark.sql.Column(check)).alias(name)

    return df.select(*[not_null(c) if c in checked else F.col(c) for c in cols])


def _q(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return "`" + name.replace("`", "``") + "`"


# conform and the row hashes below are written as SQL text, parsed once by the JVM. Built from PySpark
# ``Column`` objects they took one Py4J round trip per function call: ~1,300 per table load (a wide table's
# casts, its null mask and the legacy hash's fields), ~0.3 s of the driver per merge on 2 cores, for every
# table of every job. The expressions Spark gets are the same, so are the hashes
# (tests/test_row_hash.py pins the values lakes store).
def conform(df: "DataFrame", spec: TableSpec) -> "DataFrame":
    """Cast and order ``df`` to the table's declared columns (lineage included)."""
    have = set(df.columns)
    return df.selectExpr(*[f"CAST({_q(name) if name in have else 'NULL'} AS {typ}) AS {_q(name)}"
                           for name, typ in spec.all_columns if name != "_row_hash"])


HASH_DECIMALS = 9   # doubles are hashed rounded to this many decimals (see row_hash)
# A stored ``_row_hash`` of this length was written before the hash was xxhash64 (16 hex digits): it is the
# sha256 of the row's JSON (``legacy_row_hash``), and a source row is compared with it in that form.
LEGACY_HASH_LENGTH = 64
_MASK_BITS = 62     # top-level null flags per bigint of the null mask


def _hashed_fields(spec: TableSpec) -> list[tuple[str, str]]:
    """The declared data columns as hashed, ``(name, SQL)``: doubles rounded (see :func:`row_hash`), lineage
    left out."""
    types = dict(spec.all_columns)
    return [(c, f"round({_q(c)}, {HASH_DECIMALS})" if types.get(c) in ("DOUBLE", "FLOAT") else _q(c))
            for c in spec.data_columns]


def _null_shape(expr: str, dtype: Any) -> list[str]:
    """Where the nulls sit inside a nested value (SQL over ``expr``), in expressions Spark compiles (no per-row
    lambda): the null flag of every struct field, recursively, and the length of every array. What an array's
    elements hold inside is not looked into: that takes a ``transform`` lambda per row, which Spark interprets
    (8 % of a season's ``silver_plays`` executor time when tried). A field is taken as ``expr['name']``, never
    ``expr.name``, which SQL could read as a table's column."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(dtype, StructType):
        out: list[str] = []
        for f in dtype.fields:
            inner = f"{expr}[{sql_literal(f.name)}]"
            out += [f"({inner} IS NULL)", *_null_shape(inner, f.dataType)]
        return out
    if isinstance(dtype, ArrayType):
        return [f"size({expr})"]
    if isinstance(dtype, MapType):   # xxhash64 does not take maps: their JSON (no table declares one today)
        return [f"to_json({expr})"]
    return []


def row_hash(df: "DataFrame", spec: TableSpec) -> "Column":
    """Content hash over the declared data columns (16 hex digits of ``xxhash64``): lineage changes alone are
    not changes.

    Doubles enter the hash rounded to :data:`HASH_DECIMALS` decimals: a sum or mean computed again over the
    same rows can differ in its last bits (Spark adds partial aggregates in whatever order tasks finish), and
    such noise must not count as a change, or a replay would rewrite gold tables and commit a snapshot.

    Why ``xxhash64`` and not ``sha2(to_json(row))`` (what rows written before carry, see
    :func:`legacy_row_hash`): rendering every row as JSON and hashing the text was 13 % of a season's
    ``silver_plays`` CPU, 2.1x this hash's time on the same plays. ``xxhash64`` skips null values, so
    ``(1, null)`` and ``(null, 1)`` would hash alike; a null mask of the top-level columns and the null shape of
    nested values (:func:`_null_shape`: struct fields' null flags, array lengths) are hashed first, so a value
    moving between columns or struct fields, or an array growing by a null element, is a change. Not seen: nulls
    that only move inside an array's elements, every non-null value keeping its order and the array its length
    (``[x, null]`` against ``[null, x]``). Any other change keeps the hash with odds of 2^-64 per changed row.
    """
    from pyspark.sql import functions as F

    names = list(spec.data_columns)
    types = {f.name: f.dataType for f in df.schema.fields}
    masks = []
    for start in range(0, len(names), _MASK_BITS):
        bits = [f"CASE WHEN {_q(c)} IS NULL THEN CAST({1 << i} AS BIGINT) ELSE CAST(0 AS BIGINT) END"
                for i, c in enumerate(names[start:start + _MASK_BITS])]
        masks.append("(" + " + ".join(bits) + ")")
    shapes = [shape for c in names for shape in _null_shape(_q(c), types[c])]
    fields = [sql for _, sql in _hashed_fields(spec)]
    return F.expr(f"lpad(lower(hex(xxhash64({', '.join([*masks, *shapes, *fields])}))), 16, '0')")


def legacy_row_hash(spec: TableSpec) -> "Column":
    """The content hash rows written before ``row_hash`` carry: sha256 of the hashed fields as JSON."""
    from pyspark.sql import functions as F

    fields = ", ".join(f"{sql_literal(name)}, {sql}" for name, sql in _hashed_fields(spec))
    return F.expr(f"sha2(to_json(named_struct({fields})), 256)")


def with_row_hash(df: "DataFrame", spec: TableSpec) -> "DataFrame":
    """``df`` with its ``_row_hash`` (:func:`row_hash`)."""
    return df.withColumn("_row_hash", row_hash(df, spec))


def same_content(stored_hash: "Column", source_hash: "Column", spec: TableSpec) -> "Column":
    """Whether a stored row's hash says it holds the source row's content, in either hash's form.

    A row stored before the hash changed keeps its sha256 until the row itself changes: it is compared with
    the source row's :func:`legacy_row_hash`, computed only for such rows (``CASE`` evaluates the branch it
    takes). So an upgrade rewrites nothing that did not change, and a replay still commits no snapshot.
    """
    from pyspark.sql import functions as F

    return (F.when(F.length(stored_hash) == LEGACY_HASH_LENGTH, stored_hash == legacy_row_hash(spec))
            .otherwise(stored_hash == source_hash))


def dedupe_latest(df: "DataFrame", keys: Iterable[str]) -> "DataFrame":
    """One row per key: the latest ingest wins; ties go to the later source file, then content."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = [F.col("_ingested_at").desc_nulls_last(), F.col("_source_file").desc_nulls_last()]
    if "_row_hash" in df.columns:
        order.append(F.col("_row_hash").desc())
    w = Window.partitionBy(*keys).orderBy(*order)
    return df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn")


def _stored_with_source_keys(source: "DataFrame", target: "DataFrame", keys: list[str],
                             *extra: "Column") -> "DataFrame":
    """The target rows whose key ``source`` has, as ``_t_<key>`` columns plus ``extra``: a semi join against the
    broadcast source keys (null keys match null keys), reading only those target columns."""
    from pyspark.sql import functions as F

    tgt = target.select(*[F.col(k).alias(f"_t_{k}") for k in keys], *extra)
    src_keys = F.broadcast(source.select(*[F.col(k).alias(f"_s_{k}") for k in keys]))
    return tgt.join(src_keys, [tgt[f"_t_{k}"].eqNullSafe(src_keys[f"_s_{k}"]) for k in keys], "left_semi")


def changed_rows(source: "DataFrame", target: "DataFrame", spec: TableSpec,
                 broadcast_target: bool = False) -> "DataFrame":
    """Every source row classified against the target: ``_change`` is new, changed, unchanged or stale.

    ``stale`` means the stored row was ingested later than this one (an old
    response processed late, e.g. after a resumed backfill): latest ingest
    wins across runs, not only within one.

    ``broadcast_target``: the caller knows the target is small (its snapshot's ``total-records``), so the join is
    planned as a broadcast from the start. Left to adaptive execution, both sides would be shuffled first
    and the join re-planned only afterwards: for a first load of a season of plays that shuffle of every
    wide source row was the most expensive step of the job.
    """
    from pyspark.sql import functions as F

    keys = list(spec.keys)
    # Only stored rows whose key the source has can match: shrinking the target side first, a day's delta
    # against a season of history joins a few hundred rows (and Spark can broadcast them) instead of
    # shuffling the whole partition's keys.
    tgt = _stored_with_source_keys(source, target, keys, F.col("_row_hash").alias("_t_hash"),
                                   F.col("_ingested_at").alias("_t_ingested"))
    if broadcast_target:
        tgt = F.broadcast(tgt)
    cond = [source[k].eqNullSafe(tgt[f"_t_{k}"]) for k in keys]
    joined = source.join(tgt, cond, "left")
    change = (F.when(F.col("_t_hash").isNull(), "new")
              .when(same_content(F.col("_t_hash"), F.col("_row_hash"), spec), "unchanged")
              .when(F.col("_t_ingested") > F.col("_ingested_at"), "stale")
              .otherwise("changed"))
    return joined.withColumn("_change", change).drop(*[f"_t_{k}" for k in keys], "_t_hash", "_t_ingested")


# From this many source rows on, merge_upsert first checks whether any key repeats (one narrow job) and skips
# the dedupe window when none does; below it the window over a few rows is cheaper than the extra job.
UNIQUE_CHECK_MIN_ROWS = 50_000


def _has_unique_keys(src: "DataFrame", keys: Iterable[str], rows: int) -> bool:
    """Whether no key of ``src`` repeats: then the latest-wins window (a sort of every wide row) is skipped.

    Counting distinct keys moves only the key columns; in a season of plays that is ~1 s where the window
    took ~15. Null keys count as one key, as the window's ``partitionBy`` groups them.
    """
    from pyspark.sql import functions as F

    return src.select(*keys).distinct().agg(F.count("*").alias("n")).first()["n"] == rows


def merge_upsert(
    spark: "SparkSession",
    cfg: Config,
    spec: TableSpec,
    df: "DataFrame",
    prune: dict[str, list[Any]] | None = None,
    delete_missing: bool = False,
    source_rows: int | None = None,
) -> MergeResult:
    """Upsert ``df`` into ``spec``'s table by natural key; see the module docstring for the contract.

    ``prune`` restricts the target side to partitions the source touches (e.g.
    ``{"season": [2024]}``) so MERGE reads one season instead of the table.

    ``delete_missing=True`` (needs ``prune``) makes the call a partition
    rebuild: ``df`` is the complete new content of the pruned partition(s), so
    a target row inside them whose key is not in ``df`` no longer belongs and
    is deleted (counted in ``deleted``). It is done in the same single write as
    the upsert (in a MERGE, delete markers ride along with the changed rows), and
    an identical replay commits no snapshot.
    An empty ``df`` with ``delete_missing`` empties the partition(s).

    ``source_rows``: the caller already knows how many rows ``df`` has (e.g.
    from one aggregation that produced every count of a silver load), so the
    separate ``count()`` is skipped. When every changed row is new (nothing
    updated or deleted) the delta is appended instead of MERGEd: a MERGE whose
    source matches no target row inserts exactly those rows, and the append
    skips MERGE's scan of the target partition. An empty table (a first
    load) skips the classification too, and so does a big source none of whose keys is stored yet (a later
    chunk of a season's first load): see :func:`_append_all_new`. A small table meeting a small source is
    counted on the driver instead of by Spark's classifying join (the same counts in fewer jobs): see
    :data:`DRIVER_CLASSIFY_MAX_ROWS`; its updates are written as a rewrite of the pruned partitions rather
    than a MERGE where that is possible (see :func:`_rewrite_partitions`).
    """
    from pyspark.sql import functions as F

    if delete_missing and not prune:
        raise ValueError("merge_upsert(delete_missing=True) needs prune= to bound the rebuilt partitions")
    ident = ensure_table(spark, cfg, spec)
    result = MergeResult(table=ident)
    src = with_row_hash(conform(df, spec), spec)
    keys = list(spec.keys)
    before = live_snapshot(spark, ident)
    stored = _snapshot_records(before)
    target = spark.table(ident)
    for col, values in (prune or {}).items():
        target = target.where(F.col(col).isin(list(values)))
    # A small table meeting a small source is classified on the driver (see DRIVER_CLASSIFY_MAX_ROWS); None when
    # either side is too big for that, or a stored row needs Spark's comparison.
    on_driver = (_classify_on_driver(src, target, spec, delete_missing, source_rows)
                 if stored and stored <= DRIVER_CLASSIFY_MAX_ROWS
                 and (source_rows is None or source_rows <= DRIVER_CLASSIFY_MAX_ROWS) else None)
    # Otherwise ``src`` is read again only to count it (no ``source_rows``) or to find deleted keys: cache it
    # for those; its other consumer is ``classified`` (cached below), and a second columnar cache of a season
    # of plays would cost more than it saves.
    if on_driver is None and (source_rows is None or delete_missing):
        src = src.cache()
    try:
        if on_driver is not None:
            result.source_rows = sum(on_driver.counts.values())
        else:
            result.source_rows = src.count() if source_rows is None else int(source_rows)
        if result.source_rows == 0 and not delete_missing:
            return result
        if on_driver is not None:
            unique = on_driver.unique
        else:
            unique = (result.source_rows >= UNIQUE_CHECK_MIN_ROWS
                      and _has_unique_keys(src, keys, result.source_rows))
        deduped = src if unique else dedupe_latest(src, keys)
        all_new = stored == 0 or (not delete_missing and on_driver is None
                                  and result.source_rows >= NEW_KEYS_CHECK_MIN_ROWS
                                  and not _any_key_stored(src, target, keys))
        if all_new:
            if result.source_rows:
                _append_all_new(spark, ident, spec, deduped, before, result)
            event(log, "merge", **result.to_dict())
            return result
        classified = gone = None
        if on_driver is not None:
            # The counts are known; the rows to write, if any, come from the same classifying join as below,
            # left lazy: the write is its one reader.
            counts, result.deleted = on_driver.counts, on_driver.deleted
            if counts["new"] + counts["changed"]:
                delta = (changed_rows(deduped, target, spec, broadcast_target=True)
                         .where(F.col("_change").isin("new", "changed")).drop("_change"))
            else:
                delta = deduped.limit(0)
            if result.deleted:
                gone = target.select(*keys).join(src.select(*keys).distinct(), keys, "left_anti")
        else:
            # Classified once and cached: the counts and the MERGE source both come from this one join.
            small = stored is not None and stored <= BROADCAST_TARGET_MAX_ROWS
            classified = changed_rows(deduped, target, spec, broadcast_target=small).cache()
            counts = {r["_change"]: int(r["n"]) for r in
                      classified.groupBy("_change").agg(F.count("*").alias("n")).collect()}
            counts["duplicate"] = result.source_rows - sum(counts.values())
            delta = classified.where(F.col("_change").isin("new", "changed")).drop("_change")
            if delete_missing:
                gone = target.select(*keys).join(src.select(*keys).distinct(), keys, "left_anti").cache()
                result.deleted = gone.count()
        result.inserted = counts.get("new", 0)
        result.updated = counts.get("changed", 0)
        result.unchanged = counts.get("unchanged", 0)
        # an older copy of a key (stale) is superseded, like a duplicate
        result.duplicates = counts.get("duplicate", 0) + counts.get("stale", 0)
        if result.inserted and not (result.updated or result.deleted):
            table_rows(delta, spec).writeTo(ident).append()
            result.committed = True
        elif not result.inserted + result.updated + result.deleted:
            pass                 # nothing to write: an identical replay commits no snapshot
        elif on_driver is not None and _rewrite_partitions(spark, ident, spec, target, src, delta, prune,
                                                           delete_missing, before):
            result.committed = True
        else:
            view = f"_merge_src_{spec.name.replace('.', '_')}"   # temp views are session-wide
            cols = [c for c, _ in spec.all_columns]
            on = " AND ".join(f"t.{k} = s.{k}" for k in spec.keys)
            if prune:
                for col, values in prune.items():
                    lits = ", ".join(sql_literal(v) for v in values)
                    on += f" AND t.{col} IN ({lits})"
            if result.deleted:
                markers = conform(gone, spec).withColumn("_row_hash", F.lit(None).cast("string"))
                merge_src = (delta.select(*cols).withColumn("_merge_delete", F.lit(False))
                             .unionByName(markers.select(*cols).withColumn("_merge_delete", F.lit(True))))
                sets = ", ".join(f"t.{c} = s.{c}" for c in cols)
                ins = ", ".join(cols)
                vals = ", ".join(f"s.{c}" for c in cols)
                sql = (f"MERGE INTO {ident} t USING {view} s ON {on} "
                       "WHEN MATCHED AND s._merge_delete THEN DELETE "
                       f"WHEN MATCHED THEN UPDATE SET {sets} "
                       f"WHEN NOT MATCHED AND NOT s._merge_delete THEN INSERT ({ins}) VALUES ({vals})")
            else:
                merge_src = delta
                sql = (f"MERGE INTO {ident} t USING {view} s ON {on} "
                       "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
            merge_src.createOrReplaceTempView(view)
            spark.sql(sql)
            spark.catalog.dropTempView(view)
            result.committed = True
        if gone is not None:
            gone.unpersist()
        if classified is not None:
            classified.unpersist()
    finally:
        src.unpersist()
    event(log, "merge", **result.to_dict())
    return result


def _rewrite_partitions(spark: "SparkSession", ident: str, spec: TableSpec, target: "DataFrame", src: "DataFrame",
                        delta: "DataFrame", prune: dict[str, list[Any]] | None, delete_missing: bool,
                        before: Any) -> bool:
    """A small table's update written as the new content of its pruned partitions; False when it cannot be.

    Why: on the driver's route (see :data:`DRIVER_CLASSIFY_MAX_ROWS`) the counts are known and the table is
    small, so its partitions can simply be written again: the stored rows the delta does not replace (nor,
    for a rebuild, delete) plus the delta, committed as an overwrite of exactly those partitions. A MERGE
    of the same rows plans a join of the delta with the target and a copy-on-write rewrite of every file it
    matches, which in a copy-on-write table of this size is the whole partition anyway: ~1.8 s against
    ~0.6 s for a season of 887 player season rows on 2 cores, for each of the ~20 small tables an
    incremental day updates.

    The commit is validated as MERGE's is (serializable, from the snapshot the counts were taken on): a
    concurrent commit into these partitions fails it instead of being overwritten. It cannot be used, and
    MERGE runs, when the prune is not on identity partition columns (an overwrite must drop whole files),
    the table is merge-on-read (its updates are delete files by design) or the table holds columns the
    declaration lacks (they would be dropped). Without a prune the whole (small) table is written again.
    """
    from pyspark.sql import functions as F

    cols = [c for c, _ in spec.all_columns]
    if spec.merge_on_read or set(target.columns) != set(cols):
        return False
    if prune and not set(prune) <= set(spec.partition_by):
        return False
    keys = list(spec.keys)
    replaced = delta.select(*[F.col(k).alias(f"_d_{k}") for k in keys])
    # Replaced keys match null-safely, as changed_rows classified them; a rebuild keeps only stored keys the
    # source has by equality, as the driver counted deletions (a stored key with a null part is deleted).
    kept = target.join(F.broadcast(replaced), [target[k].eqNullSafe(replaced[f"_d_{k}"]) for k in keys],
                       "left_anti")
    if delete_missing:
        kept = kept.join(F.broadcast(src.select(*keys).distinct()), keys, "left_semi")
    content = table_rows(kept.select(*cols).unionByName(delta.select(*cols)), spec)
    where = F.lit(True)
    for col, values in (prune or {}).items():
        where = where & F.col(col).isin(list(values))
    (content.writeTo(ident).option("isolation-level", "serializable")
     .option("validate-from-snapshot-id", str(before.snapshotId())).overwrite(where))
    return True


# A table of up to this many stored rows (its snapshot's ``total-records``) meeting a source of up to as many
# is classified on the driver: its keys, hashes and ingest times are collected from both sides (two small jobs)
# and compared in Python. Spark's route for the same counts is a count, a cached classifying join with its
# group-by and, for a partition rebuild, a cached anti join and its count: 4-6 jobs, each with its query
# planning, ~1.4 s against ~0.35 s for a season of gold.team_season on 2 cores. Most replays write nothing,
# so for them the counts are the whole merge. At the bound, ~20,000 rows of ~100 bytes a side cross Py4J.
DRIVER_CLASSIFY_MAX_ROWS = 20_000


@dataclass(frozen=True)
class _DriverCounts:
    counts: dict[str, int]   # source rows by class: new, changed, unchanged, stale, duplicate
    deleted: int             # stored rows of the pruned partitions whose key the source lacks
    unique: bool             # no key repeats in the source


def _present_first(value: Any) -> tuple[Any, ...]:
    """Sort key of one ordering column of ``dedupe_latest``: descending with nulls last is max() of this."""
    return (0,) if value is None else (1, value)


def _classify_on_driver(src: "DataFrame", target: "DataFrame", spec: TableSpec, delete_missing: bool,
                        source_rows: int | None = None) -> _DriverCounts | None:
    """merge_upsert's counts from the two sides' keys, hashes and ingest times collected to the driver.

    The same rules as Spark's route, row for row: one row per key as :func:`dedupe_latest` picks it (latest
    ``_ingested_at``, then ``_source_file``, then ``_row_hash``; null keys are one key), classified as in
    :func:`changed_rows` (keys match null-safely), and deleted keys as its anti join counts them (an equality
    join: a stored key with a null part matches nothing). None, to leave it to Spark, when the source holds
    more than :data:`DRIVER_CLASSIFY_MAX_ROWS` rows, a stored key repeats, or a stored hash is in the legacy
    form (its comparison needs the source row's legacy hash, which only Spark computes).
    """
    keys = list(spec.keys)
    n_keys = len(keys)
    picked = src.select(*keys, "_row_hash", "_ingested_at", "_source_file")
    # A limit's collect scans one partition first and the rest in a second job: bounded only when the
    # caller did not say how many rows ``src`` has (``source_rows``, checked within the bound by the caller).
    rows = (picked if source_rows is not None else picked.limit(DRIVER_CLASSIFY_MAX_ROWS + 1)).collect()
    if len(rows) > DRIVER_CLASSIFY_MAX_ROWS:
        return None
    stored: dict[tuple[Any, ...], tuple[Any, Any]] = {}
    for r in target.select(*keys, "_row_hash", "_ingested_at").collect():
        key = tuple(r[:n_keys])
        row_hash = r[n_keys]
        if key in stored or (row_hash is not None and len(row_hash) == LEGACY_HASH_LENGTH):
            return None
        stored[key] = (row_hash, r[n_keys + 1])
    latest: dict[tuple[Any, ...], Any] = {}
    for r in rows:
        key = tuple(r[:n_keys])
        order = (_present_first(r[n_keys + 1]), _present_first(r[n_keys + 2]), _present_first(r[n_keys]))
        if key not in latest or order > latest[key][0]:
            latest[key] = (order, r)
    counts = {"new": 0, "changed": 0, "unchanged": 0, "stale": 0, "duplicate": len(rows) - len(latest)}
    for key, (_, r) in latest.items():
        row_hash, ingested = r[n_keys], r[n_keys + 1]
        t_hash, t_ingested = stored.get(key, (None, None))
        if t_hash is None:
            change = "new"
        elif t_hash == row_hash:
            change = "unchanged"
        elif t_ingested is not None and ingested is not None and t_ingested > ingested:
            change = "stale"
        else:
            change = "changed"
        counts[change] += 1
    deleted = 0
    if delete_missing:
        source_keys = set(latest)
        deleted = sum(1 for k in stored if any(v is None for v in k) or k not in source_keys)
    return _DriverCounts(counts=counts, deleted=deleted, unique=len(latest) == len(rows))


# From this many source rows on, merge_upsert first asks whether the target holds any of the source's keys
# (a semi join that reads only the target's key columns) and, when it holds none, appends without classifying.
# A later chunk of a season's first load of plays (~300,000 wide rows) is the case: its classification
# shuffled and cached every row (~6.5 s a chunk, 2 cores) to learn that all were new. Below it the
# classification is cheap and the extra job is not.
NEW_KEYS_CHECK_MIN_ROWS = 50_000


def _any_key_stored(source: "DataFrame", target: "DataFrame", keys: Iterable[str]) -> bool:
    """Whether some target row has a key of ``source`` (the semi join ``changed_rows`` starts with)."""
    return not _stored_with_source_keys(source, target, list(keys)).isEmpty()


def _append_all_new(spark: "SparkSession", ident: str, spec: TableSpec, rows: "DataFrame", before: Any,
                    result: MergeResult) -> None:
    """Rows none of whose keys is stored (an empty table, or see ``NEW_KEYS_CHECK_MIN_ROWS``): every row is
    new, so append and read the counts from the commit.

    Why: classifying rows against an empty table (join, group, collect) cost about a second a table and, for a
    season of plays, a pass over every wide row; an append is one write job and Iceberg's snapshot summary
    says how many rows it added (duplicate keys removed before = source rows − added). The commit must sit
    directly on the snapshot seen before: a job of this project is the only writer of its table
    (``max_concurrent_runs`` 1), and a commit by anyone else in between is reported rather than ignored
    (it could have stored one of the keys found absent).
    """
    table_rows(rows, spec).writeTo(ident).append()
    after = _appended_on(spark, ident, before)
    added = after.summary().get("added-records")
    result.inserted = int(added) if added is not None else rows.count()
    result.duplicates = result.source_rows - result.inserted
    result.committed = result.inserted > 0


def _appended_on(spark: "SparkSession", ident: str, before: Any) -> Any:
    """The snapshot an append just committed, checked to sit directly on ``before`` (see ``_append_all_new``)."""
    after = live_snapshot(spark, ident)
    expected = None if before is None else int(before.snapshotId())
    parent = None if after is None else after.parentId()
    if after is None or (None if parent is None else int(parent)) != expected:
        raise RuntimeError(f"{ident}: another commit landed while new rows were appended (expected parent "
                           f"snapshot {expected}, found {parent}); check for a concurrent run of the same job")
    return after


@dataclass(frozen=True)
class StreamedAppend:
    """What :func:`append_streamed` committed: the rows it added and the snapshots around its commit."""

    identifier: str
    added: int
    before_id: int | None     # the table's snapshot before (None: the table had none)
    after_id: int


def append_streamed(spark: "SparkSession", ident: str, spec: TableSpec, df: "DataFrame") -> StreamedAppend:
    """Append ``df`` (rows believed new: a season's first load) to ``spec``'s table ``ident`` (ensured by the
    caller) in the one pass that computes them.

    For a load too big to cache (see ``silver.pipeline``): nothing is counted, checked or deduplicated
    before the write, so the caller checks afterwards (:func:`appended_keys_unique`, its own observed
    counts) and, when a check fails, takes the commit back (:func:`undo_append`).

    Why no shuffle before the write (``distribution-mode`` none, fanout writers): Iceberg's default for a
    partitioned table hashes every row to its partition first, a second pass over a season of wide rows
    (4.7 s of a full season's ``silver_plays``, 2 cores). Each task writes the partitions it reads instead:
    a bronze response holds one game day, so the files per partition stay what the shuffle made.
    """
    before = live_snapshot(spark, ident)
    rows = with_row_hash(conform(df, spec), spec)
    (table_rows(rows, spec).writeTo(ident)
     .option("distribution-mode", "none").option("fanout-enabled", "true").append())
    after = _appended_on(spark, ident, before)
    added = after.summary().get("added-records")
    return StreamedAppend(ident, int(added) if added is not None else 0,
                          None if before is None else int(before.snapshotId()), int(after.snapshotId()))


def appended_keys_unique(spark: "SparkSession", spec: TableSpec, done: StreamedAppend) -> bool:
    """Whether the rows ``done`` added hold each natural key once (reads the key columns of its files only)."""
    if done.before_id is None:       # the table had no rows: the snapshot holds exactly the appended ones
        reader = spark.read.format("iceberg").option("snapshot-id", str(done.after_id))
    else:                            # an incremental read: the rows appended after before_id, up to after_id
        reader = (spark.read.format("iceberg").option("start-snapshot-id", str(done.before_id))
                  .option("end-snapshot-id", str(done.after_id)))
    added = reader.load(done.identifier).select(*spec.keys)
    return _has_unique_keys(added, spec.keys, done.added)


def undo_append(spark: "SparkSession", done: StreamedAppend) -> None:
    """Take back the commit of ``done``: the table's current snapshot becomes the one before it again.

    A rollback, not a delete: it restores exactly what was there (other seasons, other partitions). A table
    that had no snapshot before had no rows, so removing every data file restores it. The files of the undone
    snapshot stay until snapshots expire (``maintenance``), as any rolled-back snapshot's do.
    """
    table = live_table(spark, done.identifier)
    current = table.currentSnapshot()
    if current is None or int(current.snapshotId()) != done.after_id:
        raise RuntimeError(f"{done.identifier}: cannot undo snapshot {done.after_id}; the current one is "
                           f"{None if current is None else current.snapshotId()}")
    if done.before_id is not None:
        table.manageSnapshots().rollbackTo(done.before_id).commit()
    else:
        always = spark._jvm.org.apache.iceberg.expressions.Expressions.alwaysTrue()
        table.newDelete().deleteFromRowFilter(always).commit()
    spark.sql(f"REFRESH TABLE {done.identifier}")
    event(log, "append undone", table=done.identifier, snapshot=done.after_id, restored=done.before_id)


def season_is_empty(spark: "SparkSession", identifier: str, season: int) -> bool:
    """Whether no data file of the table can hold a row of ``season`` (metadata only, no Spark job).

    Conservative: a file whose rows were all deleted by a delete file still counts as holding some.
    """
    table = live_table(spark, identifier)
    if table.currentSnapshot() is None:
        return True
    equal = spark._jvm.org.apache.iceberg.expressions.Expressions.equal
    files = table.newScan().filter(equal("season", int(season))).planFiles()
    try:
        return not files.iterator().hasNext()
    finally:
        files.close()


def _snapshot_records(snap: Any) -> int | None:
    """``total-records`` of a snapshot (0 for a table without one); None when the summary lacks it."""
    if snap is None:
        return 0
    value = snap.summary().get("total-records")
    return int(value) if value is not None else None


def season_row_counts(spark: "SparkSession", identifier: str, seasons: Iterable[int]) -> dict[int, int] | None:
    """Rows per season from the table's Iceberg metadata (no Spark job), or None when it cannot say exactly.

    Exact when the current snapshot has no delete files (a copy-on-write table always; a merge-on-read one
    until its first update) and the table has one partition spec with an identity ``season`` field: then a
    season's rows are the record counts of the data files its partitions hold. Anything else (delete files,
    an evolved spec, no season partition) returns None and the caller counts with Spark.
    """
    jvm = spark._jvm
    table = live_table(spark, identifier)
    seasons = list(seasons)
    snap = table.currentSnapshot()
    if snap is None:
        return {s: 0 for s in seasons}
    summary = snap.summary()
    deletes = [summary.get(k) for k in ("total-delete-files", "total-position-deletes", "total-equality-deletes")]
    if any(v is None or int(v) != 0 for v in deletes) or table.specs().size() != 1:
        return None
    schema = table.schema()
    if not any(f.transform().isIdentity() and schema.findColumnName(f.sourceId()) == "season"
               for f in table.spec().fields()):
        return None
    equal = jvm.org.apache.iceberg.expressions.Expressions.equal
    out: dict[int, int] = {}
    for season in seasons:
        files = table.newScan().filter(equal("season", int(season))).planFiles()
        total, it = 0, files.iterator()
        while it.hasNext():
            total += int(it.next().file().recordCount())
        files.close()
        out[season] = total
    return out


def live_table(spark: "SparkSession", identifier: str) -> Any:
    """The Iceberg table object the catalog holds (Java), refreshed so a commit by another process counts."""
    table = spark._jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, identifier)
    table.refresh()
    return table


def live_snapshot(spark: "SparkSession", identifier: str) -> Any:
    """The table's current Iceberg snapshot (a Java object, or None for a table without one): metadata only.

    Why not ``SELECT ... FROM t.snapshots``: that query is a Spark job (about a
    second on a loaded 2-core machine); this asks the Iceberg table object the
    catalog already holds, refreshed first so a commit by another process counts.
    """
    return live_table(spark, identifier).currentSnapshot()


def snapshot_labels(spark: "SparkSession", cfg: Config, names: Iterable[str]) -> dict[str, str]:
    """Logical table name → its current snapshot id as text (``empty``: no snapshot yet; ``absent``: no table).

    What a fingerprint of "the data a job read" is made of (data quality's rule versions, the gold skip of
    :mod:`cbbd_etl.unchanged`): Iceberg snapshots are immutable, so equal labels mean equal rows.
    Metadata only (:func:`live_snapshot`); a table the Java API cannot load falls back to its ``snapshots``
    metadata table.
    """
    out: dict[str, str] = {}
    for name in names:
        ident = cfg.table(name)
        if not table_exists(spark, ident):
            out[name] = "absent"
            continue
        try:
            snap = live_snapshot(spark, ident)
            out[name] = str(snap.snapshotId()) if snap is not None else "empty"
        except Exception:  # not an Iceberg table or no JVM API: the metadata table
            rows = spark.sql(f"SELECT snapshot_id FROM {ident}.snapshots ORDER BY committed_at DESC LIMIT 1").collect()
            out[name] = str(rows[0][0]) if rows else "empty"
    return out


def current_snapshot(spark: "SparkSession", identifier: str) -> tuple[int | None, int | None]:
    """``(snapshot id, parent id)`` of the table's current snapshot (see :func:`live_snapshot`)."""
    snap = live_snapshot(spark, identifier)
    if snap is None:
        return None, None
    parent = snap.parentId()
    return int(snap.snapshotId()), (int(parent) if parent is not None else None)


# A target of up to this many rows is broadcast in merge_upsert's classifying join: its side of the join is
# the key columns, the hash (16 characters; 64 in rows stored before it was xxhash64) and a timestamp (~100 bytes
# a row, so ~50 MB at the bound).
BROADCAST_TARGET_MAX_ROWS = 500_000


def append_rows(spark: "SparkSession", cfg: Config, spec: TableSpec, df: "DataFrame") -> int:
    """Append-only tables (quarantine): insert rows whose key is not there yet, so replays add nothing."""
    ident = ensure_table(spark, cfg, spec)
    cols = [c for c, _ in spec.all_columns]
    src = df.select(*cols).dropDuplicates(list(spec.keys))
    with commit_lock(ident):
        if _snapshot_records(live_snapshot(spark, ident)) == 0:
            new = src.cache()   # nothing stored yet (metadata says so): no key can be there already
        else:
            target = spark.table(ident).select(*spec.keys)
            new = src.join(target, list(spec.keys), "left_anti").cache()
        n = new.count()
        if n:
            new.writeTo(ident).append()
        new.unpersist()
    return n


def snapshot_ids(spark: "SparkSession", identifier: str) -> list[int]:
    return [r[0] for r in spark.sql(f"SELECT snapshot_id FROM {identifier}.snapshots ORDER BY committed_at").collect()]


def list_tables(spark: "SparkSession", cfg: Config) -> list[dict[str, Any]]:
    """Every table of the three namespaces with row count and last snapshot time."""
    out = []
    for layer in ("silver", "gold", "meta"):
        ns = cfg.namespace(layer)
        if not spark.sql(f"SHOW NAMESPACES IN {cfg.lake.catalog_name} LIKE '{cfg.lake.namespaces[layer]}'").collect():
            continue
        for row in spark.sql(f"SHOW TABLES IN {ns}").collect():
            ident = f"{ns}.{row['tableName']}"
            count = spark.table(ident).count()
            snap = spark.sql(
                f"SELECT committed_at, snapshot_id FROM {ident}.snapshots ORDER BY committed_at DESC LIMIT 1"
            ).collect()
            out.append({
                "table": f"{layer}.{row['tableName']}",
                "identifier": ident,
                "rows": count,
                "last_snapshot_at": snap[0]["committed_at"].isoformat() + "Z" if snap else None,
                "snapshot_id": snap[0]["snapshot_id"] if snap else None,
            })
    return out
