"""Validate JSON records against the official ``cbbd`` SDK models, strictly.

Why a script run inside the SDK's own virtualenv: the SDK pins pydantic<2,
so it cannot be imported by the project; the simulator's tests write the
records to a file and run this with ``CBBD_SDK_PYTHON`` (``make sdk-venv``).
Only the standard library and ``cbbd`` (with its pydantic) are used.

Why more than ``Model.from_dict``: the generated ``from_dict`` reads the
fields it knows with ``obj.get`` and silently drops anything else, and turns
a missing key into ``None``, which nullable fields accept. So besides
validating each record, the keys of every (nested) object are compared with
the model's field aliases: an unknown key or a missing key is an error too.

Input: a JSON object ``{model_name: [records...]}`` (``"List[GameInfo]"`` is
accepted for ``GameInfo``), from the file named as the first argument or from
stdin. Output: ``{model: {"records": n, "errors": [first 5]}}`` on stdout.
Exit status 1 if any record has an error, 2 for unusable input.

Usage::

    .venv-sdk/bin/python tests/sdk/validate_records.py records.json
"""
from __future__ import annotations

import json
import sys
from typing import Any

import cbbd.models as models  # type: ignore[import-not-found]
from pydantic import BaseModel  # type: ignore[import-not-found]

MAX_ERRORS = 5
SHAPE_SINGLETON, SHAPE_LIST = 1, 2   # pydantic.fields shapes used by the SDK models


def model_class(name: str) -> type:
    inner = name.strip()
    if inner.startswith("List[") and inner.endswith("]"):
        inner = inner[5:-1]
    cls = getattr(models, inner, None)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise KeyError(f"no SDK model named {inner!r}")
    return cls


def shape_errors(cls: type, obj: Any, where: str) -> list[str]:
    """Unknown and missing keys of ``obj`` and its nested models, with dotted locations."""
    if not isinstance(obj, dict):
        return [f"{where or '<record>'}: expected an object for {cls.__name__}, got {type(obj).__name__}"]
    fields = cls.__fields__
    aliases = {f.alias: f for f in fields.values()}
    errors = [f"{where}{'.' if where else ''}{k}: unknown field (not in {cls.__name__})"
              for k in obj if k not in aliases]
    for alias, f in aliases.items():
        here = f"{where}{'.' if where else ''}{alias}"
        if alias not in obj:
            if f.required or f.required is None:
                errors.append(f"{here}: missing field of {cls.__name__}")
            continue
        value = obj[alias]
        sub = f.type_
        if value is None or not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            continue
        if f.shape == SHAPE_LIST:
            if not isinstance(value, list):
                errors.append(f"{here}: expected a list of {sub.__name__}")
                continue
            for i, item in enumerate(value):
                errors += shape_errors(sub, item, f"{here}[{i}]")
        elif f.shape == SHAPE_SINGLETON:
            errors += shape_errors(sub, value, here)
    return errors


def validate(cls: type, record: Any) -> list[str]:
    errors = shape_errors(cls, record, "")
    try:
        cls.from_dict(record)
    except Exception as exc:  # pydantic.ValidationError, ValueError from enum validators, ...
        errors.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}")
    return errors


def main(argv: list[str]) -> int:
    try:
        text = open(argv[1], encoding="utf-8").read() if len(argv) > 1 else sys.stdin.read()
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object {model_name: [records...]}")
    except (OSError, ValueError) as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    report: dict[str, dict[str, Any]] = {}
    failed = False
    for name, records in payload.items():
        entry: dict[str, Any] = {"records": 0, "errors": []}
        report[name] = entry
        try:
            cls = model_class(name)
        except KeyError as exc:
            entry["errors"].append(str(exc))
            failed = True
            continue
        if isinstance(records, dict):
            records = [records]
        if not isinstance(records, list):
            entry["errors"].append(f"expected a list of records, got {type(records).__name__}")
            failed = True
            continue
        entry["records"] = len(records)
        count = 0
        for i, rec in enumerate(records):
            errs = validate(cls, rec)
            if errs:
                failed = True
                count += 1
                if len(entry["errors"]) < MAX_ERRORS:
                    entry["errors"].append(f"record {i}: " + "; ".join(errs[:5]))
        entry["invalid_records"] = count
    print(json.dumps(report, indent=1, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
