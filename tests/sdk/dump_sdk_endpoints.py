"""Dump every endpoint of the installed official ``cbbd`` SDK as JSON.

Why a script run inside the SDK's own virtualenv: the SDK pins pydantic<2, so
it cannot live in the project venv, and CI may not have it at all. This script
is run once to produce ``tests/fixtures/sdk_endpoints_<version>.json`` (which
the catalog test reads), and again live by the test when ``CBBD_SDK_PYTHON``
names an interpreter that has the SDK.

It reads the SDK's ``cbbd/api/*.py`` source with :mod:`ast` instead of
importing it, so the result does not depend on pydantic or on the SDK's import
side effects. Only the standard library is used.

Usage::

    /path/to/sdk-venv/bin/python tests/sdk/dump_sdk_endpoints.py > tests/fixtures/sdk_endpoints_1.30.1.json
"""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

_CAP = re.compile(r"up to ([\d,]+) ")


def param_type(annotation: str) -> str:
    """Map an SDK annotation string to the catalog's type vocabulary."""
    if "SeasonType" in annotation:
        return "enum:SeasonType"
    if "GameStatus" in annotation:
        return "enum:GameStatus"
    if "StrictBool" in annotation:
        return "boolean"
    if "datetime" in annotation:
        return "datetime"
    if "StrictFloat" in annotation:
        return "number"
    if "StrictInt" in annotation:
        return "integer"
    if "StrictStr" in annotation:
        return "string"
    raise ValueError(f"unknown SDK annotation {annotation!r}")


def _strings_in(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _call_api_path(func: ast.FunctionDef) -> str | None:
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call_api":
            first = node.args[0]
            if isinstance(first, ast.Constant):
                return str(first.value)
    return None


def _wire_names(func: ast.FunctionDef) -> dict[str, tuple[str, str]]:
    """python name -> (wire name, location) from ``_query_params.append`` / ``_path_params[...]``."""
    found: dict[str, tuple[str, str]] = {}
    source = ast.unparse(func)
    for wire, py in re.findall(r"_query_params\.append\(\('(\w+)', _params\['(\w+)'\]", source):
        found.setdefault(py, (wire, "query"))
    for wire, py in re.findall(r"_path_params\['(\w+)'\] = _params\['(\w+)'\]", source):
        found[py] = (wire, "path")
    return found


def _response_type(func: ast.FunctionDef) -> str | None:
    source = ast.unparse(func)
    m = re.search(r"_response_types_map = \{'200': '([^']+)'", source)
    return m.group(1) if m else None


def describe(func: ast.FunctionDef, api_class: str) -> dict[str, Any] | None:
    """One endpoint record for a ``*_with_http_info`` method, or None for non-endpoints."""
    path = _call_api_path(func)
    if path is None:
        return None
    wire = _wire_names(func)
    args = [a for a in func.args.args if a.arg != "self"]
    defaults = [None] * (len(args) - len(func.args.defaults)) + list(func.args.defaults)
    params = []
    for arg, default in zip(args, defaults):
        name, location = wire[arg.arg]
        annotation = ast.unparse(arg.annotation) if arg.annotation else ""
        params.append({"name": name, "in": location, "required": default is None, "type": param_type(annotation)})
    doc = ast.get_docstring(func) or ""
    cap = _CAP.search(doc)
    return {
        "path": path,
        "method": "GET",
        "operation": func.name[: -len("_with_http_info")],
        "api": api_class,
        "params": params,
        "response": _response_type(func),
        "documented_cap": int(cap.group(1).replace(",", "")) if cap else None,
    }


def dump(api_dir: Path) -> list[dict[str, Any]]:
    endpoints = []
    for file in sorted(api_dir.glob("*_api.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for func in cls.body:
                if isinstance(func, ast.FunctionDef) and func.name.endswith("_with_http_info"):
                    record = describe(func, cls.name)
                    if record:
                        endpoints.append(record)
    return sorted(endpoints, key=lambda e: e["path"])


def main() -> int:
    spec = importlib.util.find_spec("cbbd")
    if spec is None or not spec.submodule_search_locations:
        print("the cbbd SDK is not installed in this interpreter", file=sys.stderr)
        return 2
    api_dir = Path(list(spec.submodule_search_locations)[0]) / "api"
    out = {"sdk": "cbbd", "version": importlib.metadata.version("cbbd"), "endpoints": dump(api_dir)}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
