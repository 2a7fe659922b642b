"""Dump the shapes of the official ``cbbd`` SDK's response models as JSON.

Why: silver schemas must be explicit and derived from the API's own
definition. The SDK (``cbbd==1.30.1``) is the newest machine-readable
definition (the OpenAPI spec we have, v1.22.4, lacks 7 endpoints), but it
pins pydantic<2 and cannot be imported by the project. This script runs in
the SDK's own virtualenv (``make sdk-venv``) and writes the package resource
``lib/cbbd_etl/resources/api_models.json``; ``cbbd_etl.silver.api_models``
turns that into Spark schemas, and a test re-runs this script to prove the
resource still matches the SDK.

Usage::

    .venv-sdk/bin/python tests/sdk/dump_sdk_models.py tests/fixtures/sdk_endpoints_1.30.1.json \
        > lib/cbbd_etl/resources/api_models.json
"""
from __future__ import annotations

import datetime
import enum
import importlib
import importlib.metadata
import json
import re
import sys
import typing
from typing import Any

import cbbd.models as models  # type: ignore[import-not-found]


def type_of(tp: Any, out: dict[str, Any]) -> Any:
    """A JSON description of a pydantic v1 field type."""
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        kinds = sorted({json.dumps(type_of(a, out), sort_keys=True) for a in args})
        if len(kinds) == 1:
            return json.loads(kinds[0])
        if set(kinds) <= {'"float"', '"int"'}:
            return "number"
        return "string"
    if origin in (list, typing.List):
        return {"array": type_of(typing.get_args(tp)[0], out)}
    if origin in (dict, typing.Dict):
        return "object"
    name = getattr(tp, "__name__", str(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if isinstance(tp, type) and hasattr(tp, "__fields__"):
        dump_model(tp, out)
        return {"model": tp.__name__}
    if name in ("ConstrainedListValue",):
        item = getattr(tp, "item_type", None)
        return {"array": type_of(item, out)}
    if isinstance(tp, type):
        if issubclass(tp, bool) or name == "StrictBool":  # pydantic v1's StrictBool subclasses int
            return "bool"
        if issubclass(tp, int):
            return "int"
        if issubclass(tp, float):
            return "float"
        if issubclass(tp, str):
            return "string"
        if issubclass(tp, datetime.datetime):
            return "datetime"
        if issubclass(tp, datetime.date):
            return "date"
    if tp is typing.Any or tp is object:
        return "object"
    raise TypeError(f"unsupported type {tp!r}")


def dump_model(cls: Any, out: dict[str, Any]) -> None:
    if cls.__name__ in out:
        return
    out[cls.__name__] = None  # recursion guard
    fields = []
    for f in cls.__fields__.values():
        tp = f.outer_type_
        fields.append({
            "name": f.alias,
            "type": type_of(tp, out),
            "required": bool(f.required),
            "nullable": bool(f.allow_none),
        })
    out[cls.__name__] = {"fields": fields}


def main(endpoints_file: str) -> None:
    endpoints = json.load(open(endpoints_file))["endpoints"]
    out: dict[str, Any] = {}
    responses: dict[str, str] = {}
    for ep in endpoints:
        m = re.fullmatch(r"(?:List\[)?(\w+)\]?", ep["response"])
        assert m, ep["response"]
        cls = getattr(models, m.group(1))
        dump_model(cls, out)
        responses[ep["path"]] = ep["response"]
    doc = {"sdk_version": importlib.metadata.version("cbbd"), "responses": dict(sorted(responses.items())),
           "models": dict(sorted(out.items()))}
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
