"""The endpoint catalog against the API's own descriptions: a missing or misspelled endpoint or parameter fails.

Three references, strongest available first:

* the official SDK ``cbbd==1.30.1`` (40 endpoints) – live when ``CBBD_SDK_PYTHON``
  names an interpreter with the SDK (``make test`` builds one), else the
  committed dump ``tests/fixtures/sdk_endpoints_1.30.1.json`` made from it;
* the OpenAPI spec v1.22.4 (33 endpoints) at ``../shared/cbbd/openapi-1.22.4.json``.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cbbd_etl.api.endpoints import ENDPOINTS, SCOPES, default_endpoints, get_endpoint, match_path, slug_of

REPO = Path(__file__).resolve().parents[1]
SDK_FIXTURE = REPO / "tests" / "fixtures" / "sdk_endpoints_1.30.1.json"
OPENAPI = REPO.parent / "shared" / "cbbd" / "openapi-1.22.4.json"

_OPENAPI_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean", "string": "string"}


def _catalog() -> dict[str, list[tuple[str, str, bool, str]]]:
    return {e.path: [(p.name, p.location, p.required, p.type) for p in e.params] for e in ENDPOINTS}


def _sdk_table(doc: dict[str, Any]) -> dict[str, list[tuple[str, str, bool, str]]]:
    return {e["path"]: [(p["name"], p["in"], p["required"], p["type"]) for p in e["params"]]
            for e in doc["endpoints"]}


def _compare(reference: dict[str, list[tuple[str, str, bool, str]]], label: str) -> None:
    catalog = _catalog()
    missing = sorted(set(reference) - set(catalog))
    extra = sorted(set(catalog) - set(reference))
    assert not missing, f"endpoints in {label} missing from the catalog: {missing}"
    assert not extra, f"catalog endpoints unknown to {label} (misspelled?): {extra}"
    for path, params in reference.items():
        assert catalog[path] == params, f"{path}: catalog parameters differ from {label}"


def test_catalog_matches_sdk_fixture() -> None:
    doc = json.loads(SDK_FIXTURE.read_text())
    assert doc["version"] == "1.30.1" and len(doc["endpoints"]) == 40
    _compare(_sdk_table(doc), "the SDK 1.30.1 dump")
    caps = {e["path"]: e["documented_cap"] for e in doc["endpoints"]}
    for e in ENDPOINTS:
        assert e.cap == caps[e.path], f"{e.path}: cap {e.cap} but the SDK documents {caps[e.path]}"


def test_catalog_matches_live_sdk() -> None:
    python = os.environ.get("CBBD_SDK_PYTHON")
    if not python:
        pytest.skip("CBBD_SDK_PYTHON is not set (make test sets it to a venv with cbbd==1.30.1); "
                    "the committed SDK dump is checked instead")
    out = subprocess.run([python, str(REPO / "tests" / "sdk" / "dump_sdk_endpoints.py")], capture_output=True,
                         text=True, check=True, timeout=120)
    doc = json.loads(out.stdout)
    assert doc["version"] == "1.30.1"
    _compare(_sdk_table(doc), "the installed SDK")
    assert doc == json.loads(SDK_FIXTURE.read_text()), "the committed SDK dump is stale: regenerate it"


def test_catalog_matches_openapi_spec() -> None:
    if not OPENAPI.is_file():
        pytest.skip(f"OpenAPI spec not found at {OPENAPI} (the shared reference folder is absent)")
    spec = json.loads(OPENAPI.read_text())
    catalog = _catalog()
    assert len(spec["paths"]) == 33
    for path, item in spec["paths"].items():
        assert path in catalog, f"OpenAPI endpoint {path} missing from the catalog"
        ours = {name: (loc, req, typ) for name, loc, req, typ in catalog[path]}
        theirs = item["get"].get("parameters", [])
        assert sorted(p["name"] for p in theirs) == sorted(ours), f"{path}: parameter names differ from OpenAPI"
        for p in theirs:
            loc, req, typ = ours[p["name"]]
            assert loc == p["in"], f"{path} {p['name']}: location"
            assert req == bool(p.get("required", False)), f"{path} {p['name']}: required"
            schema = p["schema"]
            if "$ref" in schema:
                assert typ == "enum:" + schema["$ref"].rsplit("/", 1)[1], f"{path} {p['name']}: enum type"
            elif schema.get("format") == "date-time":
                assert typ == "datetime", f"{path} {p['name']}: datetime"
            else:
                assert typ == _OPENAPI_TYPES[schema["type"]], f"{path} {p['name']}: type"
        desc = item["get"].get("description", "")
        if "first 3000" in desc or "first 1000" in desc:
            assert get_endpoint(path).cap == (3000 if "first 3000" in desc else 1000), f"{path}: cap"


def test_catalog_internal_consistency() -> None:
    slugs = [e.slug for e in ENDPOINTS]
    assert len(ENDPOINTS) == 40 and len(set(slugs)) == 40
    for e in ENDPOINTS:
        assert e.scope in SCOPES
        assert e.natural_keys, f"{e.path}: no natural key"
        assert slug_of(e.path) == e.slug and get_endpoint(e.path) is e and get_endpoint(e.slug) is e
        if e.covered_by:
            assert get_endpoint(e.covered_by).silver_table == e.silver_table and not e.default
        if e.scope == "date_range":
            assert e.cap and e.has_param("startDateRange") and e.has_param("endDateRange")
        if e.scope in ("season", "team_season", "conference_season", "date_range"):
            assert e.season_param and e.has_param(e.season_param), f"{e.path}: season parameter"
        for p in e.path_params:
            assert e.param(p).location == "path"
    assert match_path("/plays/game/123")[1] == {"gameId": "123"}
    assert match_path("/teams/5/season/2024/overview")[0].slug == "teams_season_overview"
    assert match_path("/nope") is None
    assert len(default_endpoints()) == 32  # 31 + the live scoreboard (incremental only)
