"""JSON for response bodies: orjson where it is installed (the ``local`` extra), else the standard library.

Why: a busy day of plays is ~40 MB of JSON, and a demo ingest moves ~400 MB of it through the local server
(encoding) and the client (decoding to count records and check their shape). In pure Python both were a
large share of the ingest's CPU; orjson does the same work several times faster. Glue jobs run without it:
the standard library gives the same values there.
"""
from __future__ import annotations

import json
from typing import Any

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
    if _orjson is not None:
        try:
            return _orjson.loads(body)
        except ValueError:   # orjson.JSONDecodeError is a json.JSONDecodeError
            pass
    return json.loads(body)
