"""``cbbd_etl.api.jsoncodec``: orjson's speed with the standard library's answers.

Why these checks: the local server's bodies become bronze bytes (hashed in manifests, compared across runs),
and the client's decoding decides whether a body is valid. So the fast path must write the bytes the
standard library writes for what the simulator serves, and must call a body invalid exactly when
``json.loads`` would; orjson's own differences (NaN, integers beyond 64 bits, non-ASCII text) are pinned here.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from cbbd_etl.api import jsoncodec
from cbbd_etl.sim import SimulatedApi


def _compact(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


@pytest.fixture(scope="module")
def api() -> SimulatedApi:
    return SimulatedApi(season=2024, size="tiny", seed=7)


@pytest.mark.parametrize("path,params", [
    ("/plays/date", {"date": "{busiest_day}"}),
    ("/games", {"season": "2024"}),
    ("/games/teams", {"season": "2024"}),
    ("/lineups/team", {"season": "2024", "team": "{a_team}"}),
    ("/stats/team/season", {"season": "2024"}),
    ("/lines", {"season": "2024"}),
])
def test_server_bodies_are_the_standard_librarys_bytes(api: SimulatedApi, path: str, params: dict[str, str]) -> None:
    from collections import Counter

    games = api.season_data(2024).games
    fill = {"busiest_day": Counter(g.start.date() for g in games).most_common(1)[0][0].isoformat(),
            "a_team": api.season_data(2024).team(games[0].home_id).school}
    data = api.query(path, {k: v.format(**fill) for k, v in params.items()})
    assert data, f"{path}: the tiny season should answer with records"
    assert jsoncodec.dumps(data) == _compact(data)


def test_without_orjson_the_same_bytes_and_values(api: SimulatedApi, monkeypatch: pytest.MonkeyPatch) -> None:
    data = api.query("/games", {"season": "2024"})
    fast = jsoncodec.dumps(data)
    monkeypatch.setattr(jsoncodec, "_orjson", None)
    assert jsoncodec.dumps(data) == fast
    assert jsoncodec.loads(fast) == json.loads(fast)


def test_orjson_refusals_fall_back_to_the_standard_library() -> None:
    huge = {"id": 2 ** 70, "name": "x"}            # beyond 64 bits: orjson refuses both ways
    assert jsoncodec.dumps(huge) == _compact(huge)
    assert jsoncodec.loads(b'{"id": 1180591620717411303424}') == {"id": 2 ** 70}
    assert jsoncodec.loads(b"[NaN]")[0] != jsoncodec.loads(b"[NaN]")[0]   # NaN, as json.loads reads it


def test_non_ascii_text_is_utf8_and_reads_back() -> None:
    doc = [{"team": "San José State", "venue": "Estadio Ñuñoa"}]
    body = jsoncodec.dumps(doc)
    assert "San José".encode("utf-8") in body
    assert json.loads(body) == doc == jsoncodec.loads(body)


INVALID_BODIES = [b"", b"[1, 2", b'{"a": }', b"[1] trailing", b"\xff\xfe[]", b'["\xff"]', b"[{\"a\": 1},]",
                  b'[{"a": "tab\there"}]']


@pytest.mark.parametrize("body", INVALID_BODIES)
def test_invalid_bodies_raise_what_json_loads_raises(body: bytes) -> None:
    with pytest.raises((ValueError, UnicodeDecodeError)):
        json.loads(body)
    with pytest.raises((ValueError, UnicodeDecodeError)):
        jsoncodec.loads(body)
    with pytest.raises((ValueError, UnicodeDecodeError)):
        jsoncodec.digest(body)


# What the ingest's digest must agree on with a full decode: arrays of objects with differing fields, non-object
# elements, an object, a scalar, and what simdjson refuses but json.loads reads (NaN, an integer beyond 64 bits,
# 1e400, a lone surrogate), which the digest hands to the standard library.
DIGEST_BODIES = [
    b'[{"a": 1, "b": [1, {"deep": 2}]}, 3, null, {"c": {"x": 1}, "a": 2}, "s", [1]]',
    b"[]", b" [ ] ", b'{"teams": [1, 2]}', b"5", b'"text"', b"null",
    b'[{"a": 1, "a": 2}]', b"[NaN, {\"x\": 1}]", b'[{"id": 1180591620717411303424}]', b'[{"v": 1e400}]',
    b'[{"s": "\\ud800"}]', '[{"team": "San José State"}]'.encode("utf-8"),
]


@pytest.mark.parametrize("body", DIGEST_BODIES)
@pytest.mark.parametrize("engine", ["simdjson", "standard library"])
def test_digest_is_what_a_full_decode_says(body: bytes, engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kind, count, sorted fields and non-object elements, from the standard library's value, with or without
    simdjson (a Glue job without the extra module takes the second path)."""
    if engine == "standard library":
        monkeypatch.setattr(jsoncodec, "_simdjson", None)
    else:
        pytest.importorskip("simdjson")
    value = json.loads(body)
    kind = "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "other"
    rows = value if isinstance(value, list) else []
    expected = jsoncodec.Digest(
        kind, len(value) if isinstance(value, list) else 1,
        tuple(sorted({k for r in rows if isinstance(r, dict) for k in r})),
        sum(not isinstance(r, dict) for r in rows))
    assert jsoncodec.digest(body) == expected


def test_digests_reuse_pooled_parsers_and_never_mix_documents() -> None:
    """simdjson parsers are kept in a pool between bodies (at most one per core); threads digesting at once
    each take their own, and every digest is its own body's."""
    from concurrent.futures import ThreadPoolExecutor

    pytest.importorskip("simdjson")
    bodies = [_compact([{"id": i, f"f{n}": n} for i in range(n)]) for n in range(1, 40)]
    expected = [jsoncodec.Digest("array", n, tuple(sorted(("id", f"f{n}"))), 0) for n in range(1, 40)]
    assert [jsoncodec.digest(b) for b in bodies] == expected
    pooled = list(jsoncodec._PARSER_POOL)
    assert len(pooled) >= 1
    assert jsoncodec.digest(bodies[0]) == expected[0] and jsoncodec._PARSER_POOL[-1] is pooled[-1]   # reused
    with pytest.raises(ValueError):
        jsoncodec.digest(b"[1, 2")                       # refused by both: the parser still goes back
    assert jsoncodec._PARSER_POOL[-1] is pooled[-1]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(jsoncodec.digest, bodies * 5)) == expected * 5
    assert 1 <= len(jsoncodec._PARSER_POOL) <= jsoncodec._PARSER_POOL_MAX


def test_digest_of_a_served_day_of_plays(api: SimulatedApi) -> None:
    """A real body: the busiest day of plays, counted and its fields listed as the decoded records say."""
    from collections import Counter

    day = Counter(g.start.date() for g in api.season_data(2024).games).most_common(1)[0][0]
    body = jsoncodec.dumps(api.query("/plays/date", {"date": day.isoformat()}))
    records = json.loads(body)
    got = jsoncodec.digest(body)
    assert got.kind == "array" and got.count == len(records) > 100 and got.non_object_records == 0
    assert got.record_keys == tuple(sorted(records[0])) and "onFloor" in got.record_keys


def test_a_large_body_is_decoded_with_the_collector_off_and_it_comes_back() -> None:
    """A large body decodes to the standard library's value and leaves the collector on; a pause turns it off."""
    import gc

    body = _compact([{"id": i, "text": "x" * 100} for i in range(12_000)])
    assert len(body) >= jsoncodec.GC_PAUSE_MIN_BYTES
    assert gc.isenabled()
    assert jsoncodec.loads(body) == json.loads(body)
    assert gc.isenabled()
    starts: list[str] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            starts.append(phase)

    gc.callbacks.append(count)
    try:
        json.loads(body)
        with_collector = len(starts)
        starts.clear()
        jsoncodec.loads(body)
        paused = len(starts)
    finally:
        gc.callbacks.remove(count)
    assert with_collector > 10 and paused <= 1   # at most the one pass when the collector comes back
    with jsoncodec._collector_paused(True):
        assert not gc.isenabled()
    assert gc.isenabled()
    with jsoncodec._collector_paused(False):
        assert gc.isenabled()
    small = _compact([1, 2, 3])
    assert jsoncodec.loads(small) == [1, 2, 3] and gc.isenabled()


def test_collector_pauses_nest_across_threads_and_respect_a_collector_already_off() -> None:
    """Two overlapping decodes: the collector returns only when the last ends; if it was off, it stays off."""
    import gc
    import threading

    entered, release = threading.Event(), threading.Event()

    def long_decode() -> None:
        with jsoncodec._collector_paused(True):
            entered.set()
            release.wait(5)

    t = threading.Thread(target=long_decode)
    t.start()
    assert entered.wait(5)
    with jsoncodec._collector_paused(True):
        assert not gc.isenabled()
    assert not gc.isenabled(), "the other thread's decode is still running"
    release.set()
    t.join(5)
    assert gc.isenabled()

    gc.disable()
    try:
        with jsoncodec._collector_paused(True):
            pass
        assert not gc.isenabled(), "a collector someone else turned off stays off"
    finally:
        gc.enable()
