"""JSON for response bodies: orjson where it is installed (the ``local`` extra), else the standard library.

Why: a busy day of plays is ~40 MB of JSON, and a demo ingest moves ~400 MB of it through the local server
(encoding) and the client (decoding to count records and check their shape). In pure Python both were a
large share of the ingest's CPU; orjson does the same work several times faster. Glue jobs run without it:
the standard library gives the same values there.
"""
from __future__ import annotations

import gc
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterator

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the install
    _orjson = None


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
