"""Property-based tests (hypothesis) for the pure arithmetic the lake rests on, and the bronze reader.

Why properties here: these functions take unbounded inputs (any bytes a server
or a disk can return, any date, any games-per-day profile, any call pattern),
and a hand-picked example only shows the cases its author thought of. Every
expected value is an independent statement of the contract (the season is
Aug 1 - Jul 31; chunks tile the range; a bucket never lends more than it has
earned), never a recomputation with the code under test.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cbbd_etl.api.client import TokenBucket
from cbbd_etl.bronze.planner import pack_days
from cbbd_etl.seasons import season_of, season_window
from cbbd_etl.silver.bronze_reader import BronzeFile, check_files, read_json_records

FAST = settings(deadline=None, max_examples=100)


# ---------------------------------------------------------------- seasons: Aug 1 - Jul 31
DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))


@FAST
@given(DAYS)
def test_season_of_a_day_is_the_season_whose_window_holds_it(day: dt.date) -> None:
    season = season_of(day)
    lo, hi = season_window(season)
    assert lo <= day <= hi
    # and no neighbouring season claims it
    assert not season_window(season - 1)[0] <= day <= season_window(season - 1)[1]
    assert not season_window(season + 1)[0] <= day <= season_window(season + 1)[1]
    # the calendar rule, stated independently: August onwards belongs to next year's season
    assert season == (day.year + 1 if day.month in (8, 9, 10, 11, 12) else day.year)


@FAST
@given(st.integers(min_value=1901, max_value=2199))
def test_season_windows_run_aug_1_to_jul_31_and_tile_the_calendar(season: int) -> None:
    lo, hi = season_window(season)
    assert (lo.year, lo.month, lo.day) == (season - 1, 8, 1)
    assert (hi.year, hi.month, hi.day) == (season, 7, 31)
    assert (hi - lo).days + 1 in (365, 366)
    assert season_window(season + 1)[0] == hi + dt.timedelta(days=1)   # no gap, no overlap
    assert season_of(lo) == season_of(hi) == season
    assert season_of(lo - dt.timedelta(days=1)) == season - 1
    assert season_of(hi + dt.timedelta(days=1)) == season + 1


# ---------------------------------------------------------------- planner: pack_days
@st.composite
def day_profiles(draw: Any) -> tuple[dict[str, float], float, str, str]:
    """A date range, a count for every day in it (as the planner's callers build), and a limit."""
    start = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)))
    n_days = draw(st.integers(min_value=1, max_value=60))
    per_day = draw(st.lists(
        st.one_of(st.just(0.0), st.integers(0, 60).map(float), st.floats(0, 80, allow_nan=False)),
        min_size=n_days, max_size=n_days))
    limit = draw(st.one_of(st.integers(1, 200).map(float), st.floats(0.5, 300, allow_nan=False)))
    days = [start + dt.timedelta(days=i) for i in range(n_days)]
    counts = {d.isoformat(): c for d, c in zip(days, per_day)}
    # days outside the range must be ignored
    counts[(start - dt.timedelta(days=1)).isoformat()] = 1e9
    counts[(days[-1] + dt.timedelta(days=1)).isoformat()] = 1e9
    return counts, limit, days[0].isoformat(), days[-1].isoformat()


def _days_of(chunk: tuple[str, str]) -> list[str]:
    lo, hi = dt.date.fromisoformat(chunk[0]), dt.date.fromisoformat(chunk[1])
    return [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]


@FAST
@given(day_profiles())
def test_pack_days_tiles_the_range_in_order_within_the_limit(profile: tuple[dict[str, float], float, str, str]) -> None:
    counts, limit, start, end = profile
    chunks = pack_days(counts, limit, start, end)
    assert chunks, "a non-empty range gives at least one chunk"
    covered = [d for c in chunks for d in _days_of(c)]
    expected = _days_of((start, end))
    assert covered == expected                     # every day exactly once, in order => contiguous, ordered
    assert chunks[0][0] == start and chunks[-1][1] == end
    for a, b in zip(chunks, chunks[1:]):
        assert dt.date.fromisoformat(b[0]) == dt.date.fromisoformat(a[1]) + dt.timedelta(days=1)
    for c in chunks:
        total = sum(counts[d] for d in _days_of(c))
        if total > limit:
            # Only a single day over the limit may break it (a day cannot be split by date):
            # the chunk then holds that day and, at most, empty days before it.
            busy = [d for d in _days_of(c) if counts[d] > 0]
            assert len(busy) == 1 and counts[busy[0]] > limit, (c, total, limit)
    # Greedy is tight: a chunk closed early would waste calls, so adding the next day must overflow.
    for a, b in zip(chunks, chunks[1:]):
        assert sum(counts[d] for d in _days_of(a)) + counts[b[0]] > limit


@FAST
@given(st.dates(min_value=dt.date(2000, 1, 2), max_value=dt.date(2030, 12, 31)), st.integers(1, 30))
def test_pack_days_of_a_backwards_range_is_empty(start: dt.date, back: int) -> None:
    end = start - dt.timedelta(days=back)
    assert pack_days({start.isoformat(): 1.0, end.isoformat(): 1.0}, 10, start.isoformat(), end.isoformat()) == []


# ---------------------------------------------------------------- rate limiter: token bucket
class FakeClock:
    """Time that moves only when the bucket sleeps or the test idles: deterministic and instant."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Like a real sleep, never takes zero time: at t=1000 s a wait of 1e-13 s would not move a float."""
        assert seconds >= 0
        step = max(seconds, 1e-6)
        self.now += step
        self.slept += step


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("acquire"), st.integers(1, 12)),
        st.tuples(st.just("idle"), st.floats(0.0, 5.0, allow_nan=False)),
        st.tuples(st.just("pause"), st.floats(0.0, 3.0, allow_nan=False)),
    ),
    min_size=1, max_size=40)


@FAST
@given(rate=st.floats(0.2, 50.0, allow_nan=False), burst=st.one_of(st.none(), st.floats(1.0, 20.0)),
       actions=ACTIONS)
def test_token_bucket_never_exceeds_rate_times_window_plus_burst(rate: float, burst: float | None,
                                                                   actions: list[tuple[str, Any]]) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock=clock, sleep=clock.sleep)
    capacity = burst if burst is not None else max(1.0, rate)
    granted: list[float] = []
    pauses: list[tuple[float, float]] = []
    for action, arg in actions:
        if action == "acquire":
            for _ in range(arg):
                bucket.acquire()
                granted.append(clock.now)
        elif action == "idle":
            clock.now += arg
        else:
            bucket.pause(arg)
            pauses.append((clock.now, clock.now + arg))
    # Any window [granted[i], granted[j]] holds j - i + 1 calls: at most what was banked plus what was earned,
    # j - i + 1 <= capacity + rate * (t_j - t_i)  <=>  v_j - v_i <= capacity - 1 with v_k = k - rate * t_k,
    # so the worst window ending at j starts at the smallest v_i before it (one pass instead of all pairs).
    lowest = float("inf")
    for k, t in enumerate(granted):
        v = k - rate * (t - 1000.0)
        lowest = min(lowest, v)
        assert v - lowest <= capacity - 1 + 1e-6, (k, t, capacity, rate)
    # The start is not a burst: the first second holds at most 1 + rate calls.
    assert sum(1 for t in granted if t - 1000.0 <= 1.0) <= 1 + rate + 1e-6
    # During a pause (a 429's Retry-After) nothing is granted.
    for begin, end in pauses:
        assert not [t for t in granted if begin < t < end - 1e-9], (begin, end)


@FAST
@given(rate=st.floats(0.5, 20.0, allow_nan=False), seconds=st.floats(0.01, 5.0, allow_nan=False),
       calls=st.integers(1, 10))
def test_token_bucket_pause_blocks_until_it_ends(rate: float, seconds: float, calls: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    clock.now += 100.0                           # plenty banked before the 429
    paused_at = clock.now
    bucket.pause(seconds)
    for _ in range(calls):
        bucket.acquire()
        assert clock.now >= paused_at + seconds - 1e-9
    # the pause emptied the bucket: after it, calls come at the steady rate, not as a burst
    assert clock.now - (paused_at + seconds) >= (calls - 1) / rate - 1e-6


def test_token_bucket_rejects_a_non_positive_rate() -> None:
    with pytest.raises(ValueError, match="rate must be > 0"):
        TokenBucket(0)


# ---------------------------------------------------------------- bronze reader: file checks (pure)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53),
                         st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=12))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)), max_leaves=6)
RECORDS = st.dictionaries(st.text(min_size=1, max_size=8), JSON_VALUES, max_size=4)


@st.composite
def stored_files(draw: Any) -> tuple[str, bytes, str | None, str]:
    """(uri, stored bytes, manifest sha256, how it was made): good responses and every way they break."""
    body = draw(st.one_of(
        st.lists(RECORDS, max_size=3).map(lambda r: json.dumps(r).encode()),
        RECORDS.map(lambda r: json.dumps(r).encode()),
        st.binary(max_size=200)))                                          # garbage "JSON"
    sha = hashlib.sha256(body).hexdigest()
    kind = draw(st.sampled_from(["ok", "ok-no-sha", "truncated", "garbage-gz", "sha-mismatch", "plain",
                                 "missing"]))
    gz = gzip.compress(body)
    if kind == "ok":
        return "b/x.json.gz", gz, sha, kind
    if kind == "ok-no-sha":
        return "b/x.json.gz", gz, None, kind
    if kind == "truncated":
        cut = draw(st.integers(0, max(0, len(gz) - 1)))
        return "b/x.json.gz", gz[:cut], sha, kind
    if kind == "garbage-gz":
        raw = draw(st.binary(min_size=1, max_size=64))   # (an empty file is a valid empty gzip: sha256 decides)
        assume(not raw.startswith(b"\x1f\x8b"))
        return "b/x.json.gz", raw, sha, kind
    if kind == "sha-mismatch":
        other = draw(st.binary(min_size=1, max_size=50))
        assume(other != body)
        return "b/x.json.gz", gzip.compress(other), sha, kind
    if kind == "plain":
        return "b/x.json", body, sha, kind
    return "b/missing.json.gz", b"", sha, kind


@settings(deadline=None, max_examples=150)
@given(stored_files(), st.booleans())
def test_bronze_file_check_accepts_intact_files_and_names_the_reason_for_every_other(
        case: tuple[str, bytes, str | None, str], fingerprinted: bool) -> None:
    """The same verdicts with or without the stored file's fingerprint (``stored_sha256``, as the ingest writes
    for the file it stored): the fingerprint names the intact file, so damaged bytes still get the full check."""
    uri, stored, sha, kind = case
    store = {} if kind == "missing" else {uri: stored}

    def read_bytes(key: str) -> bytes:
        if key not in store:
            raise FileNotFoundError(key)
        return store[key]

    fingerprint: dict[str, object] = {}
    if fingerprinted and kind in ("ok", "ok-no-sha", "truncated", "plain"):
        # what the ingest wrote: the intact file (the "truncated" one before it was cut)
        intact = stored if kind != "truncated" else None
        if intact is not None:
            body_len = len(gzip.decompress(intact) if uri.endswith(".gz") else intact)
            fingerprint = {"stored_sha256": hashlib.sha256(intact).hexdigest(), "body_bytes": body_len}
        else:
            fingerprint = {"stored_sha256": hashlib.sha256(stored + b"cut").hexdigest(), "body_bytes": 1}
    f = BronzeFile(uri=uri, fetched_at="2024-03-01T12:00:00Z", run_id="r", record_count=1, sha256=sha,
                   **fingerprint)  # type: ignore[arg-type]
    checked = check_files([f], read_bytes)          # never raises
    assert len(checked.good) + len(checked.bad) == 1
    if kind in ("ok", "ok-no-sha", "plain"):
        assert checked.good == [f] and checked.bad == []
        body = gzip.decompress(stored) if uri.endswith(".gz") else stored
        assert hashlib.sha256(body).hexdigest() == (sha or hashlib.sha256(body).hexdigest())
        return
    if kind == "truncated" and checked.good:
        # Accepted only if nothing was lost: an empty body's gzip cut to 0 bytes still "decompresses" to b"".
        assert hashlib.sha256(gzip.decompress(stored)).hexdigest() == sha
        return
    assert checked.good == []
    (bad, reason), = checked.bad
    assert bad == f and reason
    expected = {"missing": "bronze file unreadable", "garbage-gz": "truncated or corrupt gzip",
                "sha-mismatch": "does not match the manifest sha256"}
    if kind == "truncated":
        # A cut inside the gzip trailer can still decompress to a prefix: then the sha256 catches it.
        assert ("truncated or corrupt gzip" in reason) or ("manifest sha256" in reason), reason
    else:
        assert expected[kind] in reason, reason


# ---------------------------------------------------------------- bronze reader: Spark parse (one session, batched)
def _gz_files(root: Path, bodies: list[bytes]) -> list[BronzeFile]:
    files = []
    for i, body in enumerate(bodies):
        path = root / f"f{i:02d}.json.gz"
        path.write_bytes(gzip.compress(body))
        files.append(BronzeFile(uri=str(path), fetched_at="2024-03-01T12:00:00Z", run_id="r",
                                record_count=0, sha256=hashlib.sha256(body).hexdigest()))
    return files


def _not_json_container(body: bytes) -> bool:
    try:
        return not isinstance(json.loads(body.decode("utf-8")), (list, dict))
    except (UnicodeDecodeError, ValueError):
        return True


ARRAY_BODIES = st.lists(st.one_of(RECORDS, st.none()), max_size=6).map(lambda r: ("array", r))
GARBAGE_BODIES = st.one_of(
    st.binary(max_size=80),
    st.lists(RECORDS, min_size=1, max_size=3).map(lambda r: json.dumps(r).encode()[:-1]),   # truncated array
    st.sampled_from([b"", b"null", b"42", b'"text"', b"[1, 2", b"{\"a\": }", b"<html>502</html>"]),
).filter(_not_json_container).map(lambda b: ("garbage", b))


@pytest.mark.spark
@pytest.mark.slow   # one Spark read per example: ~3-10 s each on 2 busy cores; many files per example instead
@settings(deadline=None, max_examples=2, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.one_of(ARRAY_BODIES, GARBAGE_BODIES), min_size=6, max_size=16))
def test_spark_reader_round_trips_every_record_or_flags_its_file(spark: Any, cases: list[tuple[str, Any]]) -> None:
    """Every array element comes back as its own JSON (null stays null); a non-JSON file is one flagged row."""
    bodies = [json.dumps(v).encode() if kind == "array" else v for kind, v in cases]
    with tempfile.TemporaryDirectory() as tmp:
        files = _gz_files(Path(tmp), bodies)
        rows = read_json_records(spark, files, "id BIGINT, name STRING").select(
            "_source_file", "_file_malformed", "_raw_json").collect()
    by_file: dict[str, list[Any]] = {}
    for r in rows:
        by_file.setdefault(r["_source_file"], []).append(r)
    for f, (kind, value) in zip(files, cases):
        got = by_file.get(f.uri, [])
        if kind == "garbage":
            assert [(r["_file_malformed"], r["_raw_json"]) for r in got] == [(True, None)], (value, got)
        else:
            assert not any(r["_file_malformed"] for r in got)
            parsed = sorted((json.dumps(json.loads(r["_raw_json"]), sort_keys=True) if r["_raw_json"] is not None
                             else "null") for r in got)
            assert parsed == sorted(json.dumps(v, sort_keys=True) for v in value), (value, got)
    assert sum(len(v) for v in by_file.values()) == len(rows)
    assert set(by_file) <= {f.uri for f in files}



# ---------------------------------------------------------------- small driver-side frames (spark.local_frame)
LOCAL_DDL = ("s STRING, big BIGINT, small INT, x DOUBLE, flag BOOLEAN, at TIMESTAMP, day DATE")
LOCAL_ROWS = st.lists(st.tuples(
    st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["it's", "back\\slash", "\\'", "%_\\%", "line\nbreak"])),
    st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)),
    st.one_of(st.none(), st.integers(-2**31, 2**31 - 1)),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))),
    st.one_of(st.none(), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))),
), min_size=1, max_size=40)


def _same_value(got: Any, want: Any) -> bool:
    if isinstance(want, float) and want != want:
        return got != got
    if isinstance(want, dt.datetime):   # naive means UTC; PySpark hands timestamps back in the process's zone
        want = want.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
    return got == want and type(got) is type(want)


@pytest.mark.spark
@settings(deadline=None, max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(LOCAL_ROWS)
def test_local_frame_holds_exactly_the_python_values_as_a_local_relation(spark: Any, rows: list[tuple]) -> None:
    """Quotes, backslashes, line breaks, 64-bit extremes, NaN and infinities, old and new timestamps survive the
    SQL VALUES route; the plan is a local relation (no Python RDD)."""
    from cbbd_etl.spark import local_frame

    df = local_frame(spark, rows, LOCAL_DDL)
    assert "LocalRelation" in df._jdf.queryExecution().optimizedPlan().toString()
    assert [f.simpleString() for f in df.schema.fields] == [
        "s:string", "big:bigint", "small:int", "x:double", "flag:boolean", "at:timestamp", "day:date"]
    got = [tuple(r) for r in df.collect()]
    assert len(got) == len(rows)
    for g, w in zip(got, rows):
        assert all(_same_value(a, b) for a, b in zip(g, w) if b is not None), (g, w)
        assert [a is None for a in g] == [b is None for b in w], (g, w)


@pytest.mark.spark
def test_local_frame_falls_back_to_create_dataframe_for_arrays_and_many_rows(spark: Any) -> None:
    from cbbd_etl.spark import LOCAL_VALUES_MAX_ROWS, local_frame

    arrays = local_frame(spark, [("a", ["x", "y"]), ("b", None)], "k STRING, v ARRAY<STRING>")
    assert [tuple(r) for r in arrays.orderBy("k").collect()] == [("a", ["x", "y"]), ("b", None)]
    many = local_frame(spark, [(i,) for i in range(LOCAL_VALUES_MAX_ROWS + 1)], "i BIGINT")
    assert "LocalRelation" not in many._jdf.queryExecution().optimizedPlan().toString()
    assert many.agg({"i": "sum"}).first()[0] == LOCAL_VALUES_MAX_ROWS * (LOCAL_VALUES_MAX_ROWS + 1) // 2
    empty = local_frame(spark, [], "i BIGINT")
    assert empty.count() == 0 and empty.columns == ["i"]


@pytest.mark.spark
def test_materialized_keeps_the_rows_behind_a_one_scan_plan(spark: Any) -> None:
    """A join and a window over 40 rows become one scan of held rows (gold's sources; see spark.materialized)."""
    from chispa import assert_df_equality
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from cbbd_etl.spark import materialized

    left = spark.range(40).withColumn("team", (F.col("id") % 4).cast("int"))
    right = spark.range(4).select(F.col("id").cast("int").alias("team"), (F.col("id") * 10).alias("bonus"))
    derived = (left.join(right, "team").withColumn("rank", F.row_number().over(
        Window.partitionBy("team").orderBy(F.col("id").desc()))).withColumn("score", F.col("id") + F.col("bonus")))
    held = materialized(derived)
    plan = held._jdf.queryExecution().optimizedPlan().toString()
    assert "Join" not in plan and "Window" not in plan and "LogicalRDD" in plan, plan
    assert_df_equality(held, derived, ignore_row_order=True)
    assert held.where("rank = 1").orderBy("team").select("id").collect() == [(36,), (37,), (38,), (39,)]


@pytest.mark.spark
def test_map_concurrently_keeps_order_and_the_callers_job_group(spark: Any) -> None:
    """Queries run side by side still count under the job that asked (its Spark job group and scheduler pool)."""
    import threading

    from cbbd_etl.spark import map_concurrently

    sc = spark.sparkContext
    sc.setJobGroup("dq-test-group", "dq")
    sc.setLocalProperty("spark.scheduler.pool", "dq-test-pool")
    try:
        out = map_concurrently(spark, lambda i: (i, spark.range(i + 1).count(), threading.current_thread().name,
                                                 sc.getLocalProperty("spark.jobGroup.id"),
                                                 sc.getLocalProperty("spark.scheduler.pool")), list(range(6)), 3)
    finally:
        sc.setLocalProperty("spark.scheduler.pool", None)
        sc.setLocalProperty("spark.jobGroup.id", None)
    assert [(i, n) for i, n, *_ in out] == [(i, i + 1) for i in range(6)]
    assert {(g, p) for *_, g, p in out} == {("dq-test-group", "dq-test-pool")}
    assert all(name.startswith("cbbd-q") for _, _, name, _, _ in out)
