"""JSON for response bodies: orjson where it is installed (the ``local`` extra), else the standard library.

Why: a busy day of plays is ~40 MB of JSON, and a demo ingest moves ~400 MB of it through the local server
(encoding) and the client (decoding to count records and check their shape). In pure Python both were a
large share of the ingest's CPU; orjson does the same work several times faster. Glue jobs run without it:
the standard library gives the same values there.
"""
from __future__ import annotations

import gc
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the install
    _orjson = None

try:
    import simdjson as _simdjson
except ImportError:  # pragma: no cover - depends on the install
    _simdjson = None


def dumps(data: Any) -> bytes:
    """Compact JSON bytes (``separators=(",", ":")``).

    For the records the simulator serves (str keys, finite floats) orjson writes the bytes ``json.dumps``
    writes, except that text outside ASCII stays UTF-8 instead of ``\\u`` escapes, as a real API sends it.
    What orjson refuses (a non-str key, an int beyond 64 bits) goes to the standard library.
    """
    if _orjson is not None:
        try:
            return _orjson.dumps(data)
        except TypeError:   # orjson.JSONEncodeError is a TypeError
            pass
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def loads(body: bytes | str) -> Any:
    """The value of a JSON document; raises ``ValueError`` (or ``UnicodeDecodeError``) as ``json.loads`` does.

    What orjson rejects is asked of the standard library before it counts as invalid (``NaN``, integers
    beyond 64 bits): a body is invalid exactly when ``json.loads`` says so.
    """
    with _collector_paused(len(body) >= GC_PAUSE_MIN_BYTES):
        if _orjson is not None:
            try:
                return _orjson.loads(body)
            except ValueError:   # orjson.JSONDecodeError is a json.JSONDecodeError
                pass
        return json.loads(body)


# Bodies at least this large are decoded with the cyclic garbage collector paused (see _collector_paused).
GC_PAUSE_MIN_BYTES = 1 << 20

_pause_lock = threading.Lock()
_pausers = 0                 # decodes in flight that asked for a pause
_paused_by_us = False        # whether the collector was on when the first of them began


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Keep Python's cyclic garbage collector off while a large body is decoded (``pause``), in any thread.

    Why: decoding a day of plays creates a few million dicts, lists and strings, and every allocation past
    the collector's threshold scans the growing tree again, though a JSON tree has no cycles for it to find
    (reference counting frees it). Measured on a full season's plays: orjson decodes 73 MB/s with the
    collector on and 128 MB/s with it off, and the decode holds the GIL, so it bounded the ingest's threads.
    Pauses nest across threads (the collector comes back when the last decode ends) and a collector someone
    else turned off stays off.
    """
    global _pausers, _paused_by_us
    if not pause:
        yield
        return
    with _pause_lock:
        if _pausers == 0:
            _paused_by_us = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _paused_by_us:
                _paused_by_us = False
                gc.enable()


@dataclass(frozen=True)
class Digest:
    """What the ingest keeps of a body it stores as it came: its kind, how many records, their top-level fields.

    Why not the records themselves: a response the ingest only counts and stores (no cap to check, so no game
    ids or dates to read) needs none of its values. Building them is most of the ingest's decoding cost: a day
    of plays is ~20 MB and ~1 M Python objects.
    """

    kind: str                          # "array", "object" or "other" (a JSON scalar)
    count: int                         # the array's length; 1 for anything else
    record_keys: tuple[str, ...]       # sorted top-level fields of the array's objects (empty for non-arrays)
    non_object_records: int            # the array's elements that are not objects


def kind_of(data: Any) -> str:
    """A decoded JSON value's :attr:`Digest.kind`."""
    return "array" if isinstance(data, list) else "object" if isinstance(data, dict) else "other"


def digest_of(data: Any) -> Digest:
    """The :class:`Digest` of a decoded JSON value."""
    if not isinstance(data, list):
        return Digest(kind_of(data), 1, (), 0)
    return _array_digest(data, len(data), dict)


def _array_digest(records: Any, count: int, object_type: type) -> Digest:
    """An array's digest from its elements, objects being ``object_type`` (a dict, or simdjson's Object, whose
    ``keys()`` give its field names without its values)."""
    keys: set[str] = set()
    other = 0
    for record in records:
        if isinstance(record, object_type):
            keys.update(record.keys())
        else:
            other += 1
    return Digest("array", count, tuple(sorted(keys)), other)


def digest(body: bytes) -> Digest:
    """The :class:`Digest` of a JSON body; raises exactly when :func:`loads` would.

    With simdjson installed (the ``local`` extra) the whole body is parsed and validated (structure, numbers,
    UTF-8) into simdjson's own buffers, and only the array's length and each object's field names become
    Python objects: ~3x faster than building the records with orjson, measured on a day of plays. Whatever
    simdjson refuses (``NaN``, an integer beyond 64 bits, a lone surrogate, or a body that is not JSON at all)
    goes to :func:`loads`, which decides as ``json.loads`` does, so validity is unchanged.
    """
    if _simdjson is not None:
        found = _simdjson_digest(body)
        if found is not None:
            return found
    with _collector_paused(len(body) >= GC_PAUSE_MIN_BYTES):
        return digest_of(loads(body))


_PARSER_POOL: list[Any] = []          # idle simdjson parsers, none holding a live document
_PARSER_POOL_LOCK = threading.Lock()
_PARSER_POOL_MAX = max(2, os.cpu_count() or 2)


def _simdjson_digest(body: bytes) -> Digest | None:
    """``body``'s digest by a pooled simdjson parser; None when simdjson refuses it.

    Why a pool of kept parsers: a parser sizes its buffers to the largest document it has parsed, and a new
    parser per call allocated and first touched them again for every response; reused, a day of plays parses
    in half the CPU (454 MB of plays: 1.0 -> 0.52 s). A parser cannot parse again while proxies of its last
    document live, so one goes back to the pool only once its document is gone, and threads decoding at the
    same time each take their own. The pool keeps at most one parser per core (each holds ~2.5x its largest
    document), so idle ingest threads do not each pin a day of plays' worth of buffers.
    """
    with _PARSER_POOL_LOCK:
        parser = _PARSER_POOL.pop() if _PARSER_POOL else None
    if parser is None:
        parser = _simdjson.Parser()
    try:
        doc = parser.parse(body)
    except Exception:  # noqa: BLE001 - any refusal: the caller's standard answer decides
        doc = None
    found = _digest_document(doc) if doc is not None else None
    del doc                                  # the document's last reference: the parser is free again
    with _PARSER_POOL_LOCK:
        if len(_PARSER_POOL) < _PARSER_POOL_MAX:
            _PARSER_POOL.append(parser)
    return found


def _digest_document(doc: Any) -> Digest:
    """A simdjson document's digest (its objects' keys are read without their values)."""
    if not isinstance(doc, _simdjson.Array):
        return Digest("object" if isinstance(doc, _simdjson.Object) else "other", 1, (), 0)
    return _array_digest(doc, len(doc), _simdjson.Object)
