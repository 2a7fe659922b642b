"""The one-pass bronze reader: files whose manifests vouch for their records are parsed by Spark's JSON
reader in one pass, and every load ends exactly as the record-by-record reader would have it."""
from __future__ import annotations

import json

import pytest
from chispa import assert_df_equality

from bronze_fixtures import write_response
from cbbd_etl.bronze.store import record_shape
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.silver.bronze_reader import BronzeFile, fast_readable
from cbbd_etl.sim import SimulatedApi
from cbbd_etl.spark import attach_catalog, ensure_namespaces
from conftest import make_cfg


def test_record_shape_notes_the_fields_of_objects_and_counts_everything_else() -> None:
    assert record_shape([{"b": 1, "a": 2}, None, {"c": {"d": 1}}, 7]) == {"record_keys": ["a", "b", "c"],
                                                                         "non_object_records": 2}
    assert record_shape([]) == {"record_keys": [], "non_object_records": 0}
    assert record_shape({"a": 1}) == {}   # an object response: nothing vouched


def test_only_files_whose_manifest_vouches_for_every_record_are_read_in_one_pass() -> None:
    def f(uri: str, keys: tuple[str, ...] | None, other: int | None) -> BronzeFile:
        return BronzeFile(uri=uri, fetched_at="t", run_id="r", record_count=1, record_keys=keys,
                          non_object_records=other)

    files = [f("ok", ("id", "period"), 0), f("subset", ("id",), 0), f("older-manifest", None, None),
             f("drift", ("id", "newField"), 0), f("null-record", ("id",), 1)]
    assert fast_readable(files, ["id", "period"]) == frozenset({"ok", "subset"})


def _plays_of_a_day() -> list[dict]:
    """A day of simulated plays as the API sends them (nested arrays, nulls, "" sentinels, int/float mixing)."""
    api = SimulatedApi(season=2024, size="tiny", seed=7)
    days = sorted({g.day for g in api.season_data(2024).games})
    for day in days[len(days) // 2:]:
        plays = api.query("/plays/date", {"date": day.isoformat()})
        if len(plays) > 300:
            return plays
    raise AssertionError("no day with plays in the tiny season")


def _load(spark, cfg, plays: list[dict], shape: bool, extra: list[dict]) -> dict:
    half = len(plays) // 2
    write_response(cfg.bronze.root, "plays_date", 2024, plays[:half], name="p1", shape=shape)
    write_response(cfg.bronze.root, "plays_date", 2024, plays[half:] + extra, name="p2", shape=shape,
                   fetched_at="2024-03-02T12:00:00Z")
    return run_job(make_context("silver_plays", cfg, spark=spark, season=2024, options={"progress": False}))


@pytest.mark.spark
def test_a_load_read_in_one_pass_ends_exactly_as_one_read_record_by_record(spark, tmp_path, monkeypatch) -> None:
    from cbbd_etl.silver import pipeline

    reads: list[tuple[int, int]] = []   # (files, of which read in one pass) per read of a chunk
    real = pipeline._tagged
    monkeypatch.setattr(pipeline, "_tagged", lambda ctx, source, files, fast, seasonal: reads.append(
        (len(files), len(fast))) or real(ctx, source, files, fast, seasonal))
    plays = _plays_of_a_day()
    bad_type = {**plays[0], "id": 990001, "period": "second"}     # does not fit the schema
    no_key = {**plays[1], "id": None}                             # fits, but breaks a rule
    lakes = {}
    for shape in (True, False):
        cfg = make_cfg(tmp_path / ("one_pass" if shape else "exact"))
        attach_catalog(spark, cfg)
        ensure_namespaces(spark, cfg)
        lakes[shape] = (cfg, _load(spark, cfg, plays, shape, [bad_type, no_key]))
        # vouched files are read in one pass, then p2 (its rejected records) again record by record
        assert reads == ([(2, 2), (1, 0)] if shape else [(2, 0)]), reads
        reads.clear()

    (fast_cfg, fast), (exact_cfg, exact) = lakes[True], lakes[False]
    counts = ("bronze_records", "inserted", "updated", "unchanged", "duplicates", "quarantined", "reconciled")
    assert {k: fast[k] for k in counts} == {k: exact[k] for k in counts}
    assert fast["quarantined"] == 2 and fast["inserted"] == len({p["id"] for p in plays})
    assert fast["reconciled"]

    def plays_table(cfg):   # without lineage, which differs by lake (paths, run ids, fetch times)
        return spark.table(cfg.table("silver.plays")).drop("_source_file", "_ingested_at", "_run_id").orderBy("play_id")

    assert_df_equality(plays_table(fast_cfg), plays_table(exact_cfg))
    q = {shape: {(r["reason"], r["raw_json"]) for r in
                 spark.table(cfg.table("meta.quarantine")).where("target_table = 'silver.plays'").collect()}
         for shape, (cfg, _) in lakes.items()}
    assert q[True] == q[False]
    # the exact JSON text of each quarantined record, not a rendering of its parsed row
    assert sorted(json.loads(raw)["id"] or 0 for _, raw in q[True]) == [0, 990001]


@pytest.mark.spark
def test_spark_file_names_become_the_lineage_names_of_their_files(spark) -> None:
    """``_metadata.file_path`` is URL-encoded and scheme-qualified; lineage names files without the local scheme,
    decoded, with a '+' kept ('+' is not a space in a path)."""
    from cbbd_etl.silver.bronze_reader import _file_path

    names = ["file:/lake/b%20r/x%25y/p1.json.gz", "file:///lake/p2.json.gz", "file:/lake/a+b/%C3%A9+1.json.gz",
             "s3://bkt/bronze/k%3D1.json.gz", "/lake/plain.json.gz"]
    frame = spark.createDataFrame([((n,),) for n in names], "_metadata STRUCT<file_path: STRING>")
    assert [r[0] for r in frame.select(_file_path()).collect()] == [
        "/lake/b r/x%y/p1.json.gz", "/lake/p2.json.gz", "/lake/a+b/é+1.json.gz", "s3://bkt/bronze/k=1.json.gz",
        "/lake/plain.json.gz"]


@pytest.mark.spark
def test_every_row_meets_its_files_lineage_whatever_the_files_name(spark, tmp_path) -> None:
    """Rows meet their file's lineage by name: names with a space, ``%``, ``+`` and a non-ASCII letter keep it on
    both readers (one pass and record by record)."""
    from cbbd_etl.bronze_access import bronze_files
    from cbbd_etl.silver import bronze_reader
    from cbbd_etl.silver.endpoint_tables import get_endpoint_table
    from cbbd_etl.silver.endpoint_transform import silver_source

    cfg = make_cfg(tmp_path / "odd dir %41+é")
    names = {"plain": [{"id": 1, "name": "One"}], "a b%20c+é": [{"id": 2, "name": "Two"}, {"id": 3, "name": "Three"}]}
    for i, (name, records) in enumerate(names.items()):
        write_response(cfg.bronze.root, "conferences", None, records, name=name, run_id=f"run-{i}")
    src = silver_source(get_endpoint_table("silver.conferences"))
    files = bronze_files(cfg, "conferences", None)[0]
    assert len(files) == 2

    def lineage(fast: bool):
        fast_uris = bronze_reader.fast_readable(files, src.api_columns) if fast else frozenset()
        df = bronze_reader.read_json_records(spark, files, src.api_schema, response=src.response,
                                             known_keys=src.api_columns, fast_uris=fast_uris)
        return df.select("id", "_source_file", "_src_run_id", "_file_records").orderBy("id")

    by_uri = {f.run_id: f.uri for f in files}
    expected = spark.createDataFrame(
        [(1, by_uri["run-0"], "run-0", 1), (2, by_uri["run-1"], "run-1", 2), (3, by_uri["run-1"], "run-1", 2)],
        "id BIGINT, _source_file STRING, _src_run_id STRING, _file_records INT")
    assert all(c in by_uri["run-1"].removeprefix(str(tmp_path)) for c in " %+é")   # the odd name is the file's
    for fast in (True, False):
        assert_df_equality(lineage(fast), expected, ignore_nullable=True, ignore_column_order=True)
