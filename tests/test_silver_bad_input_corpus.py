"""A corpus of bad bronze inputs: each record ends where expected, with its reason, and the counts reconcile.

All cases go through one real run of the silver job (Spark + Iceberg), the
way a bad day of API responses would arrive. Each case owns distinct game
ids so its outcome can be checked on its own.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from bronze_fixtures import game_record, write_response
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.silver.api_models import field_names
from cbbd_etl.silver.games import API_COLUMNS

pytestmark = pytest.mark.spark

G = game_record


@dataclass
class Case:
    name: str
    write: Callable[[Path, str], None]          # (bronze root, file name) -> writes one response
    loaded: set[int] = field(default_factory=set)      # game ids expected in silver.games
    reasons: dict[str, int] = field(default_factory=dict)  # reason fragment -> records quarantined with it
    drift: set[str] = field(default_factory=set)


def recs(*records: dict[str, Any], **kw: Any) -> Callable[[Path, str], None]:
    return lambda root, name: write_response(root, "games", 2024, list(records), name=name, **kw) and None


def raw_body(body: bytes, records: int) -> Callable[[Path, str], None]:
    return lambda root, name: write_response(root, "games", 2024, [{}] * records, name=name, body=body) and None


def at_rest(gz: bytes, records: int) -> Callable[[Path, str], None]:
    return lambda root, name: write_response(root, "games", 2024, [G(1)] * records, name=name, gz_bytes=gz) and None


def missing_file(root: Path, name: str) -> None:
    key = write_response(root, "games", 2024, [G(990), G(991)], name=name)
    (root / key).unlink()


GZ = gzip.compress(json.dumps([G(980), G(981), G(982)]).encode())
TYPE = "does not match the declared API schema"
CASES = [
    # Whole files that cannot be read: quarantined once, standing for every record their manifest counted.
    Case("truncated gzip", at_rest(GZ[:-25], 3), reasons={"truncated or corrupt gzip": 3}),
    Case("not gzip at all", at_rest(b"this is not gzip", 2), reasons={"truncated or corrupt gzip": 2}),
    Case("changed at rest (sha256 differs)", at_rest(gzip.compress(json.dumps([G(983)]).encode()), 1),
         reasons={"does not match the manifest sha256": 1}),
    Case("data file missing", missing_file, reasons={"bronze file unreadable": 2}),
    Case("invalid JSON (cut off)", raw_body(b'[{"id": 700, "season": 20', 2), reasons={"not a valid JSON array": 2}),
    Case("object instead of array", raw_body(json.dumps(G(701)).encode(), 1), reasons={"not a valid JSON array": 1}),
    Case("JSON scalar", raw_body(b"42", 1), reasons={"not a valid JSON array": 1}),
    Case("JSON null body", raw_body(b"null", 1), reasons={"not a valid JSON array": 1}),
    Case("empty body", raw_body(b"", 1), reasons={"not a valid JSON array": 1}),
    Case("empty array", recs()),
    # Records that do not fit the schema: quarantined with their own JSON.
    Case("id is a string", recs(G(0, id="abc")), reasons={TYPE: 1}),
    Case("points is text", recs(G(11, homePoints="seventy")), reasons={TYPE: 1}),
    Case("points is fractional", recs(G(12, homePoints=70.5)), reasons={TYPE: 1}),
    Case("points overflow", recs(G(13, awayPoints=1e20)), reasons={TYPE: 1}),
    Case("boolean as text", recs(G(14, neutralSite="true")), reasons={TYPE: 1}),
    Case("array where a list of ints belongs", recs(G(15, homePeriodPoints="35,35")), reasons={TYPE: 1}),
    Case("record is an array", lambda root, name: write_response(root, "games", 2024, [[1, 2]], name=name) and None,
         reasons={TYPE: 1}),
    Case("record is a string", lambda root, name: write_response(root, "games", 2024, ["hello"], name=name) and None,
         reasons={TYPE: 1}),
    Case("record is null", lambda root, name: write_response(root, "games", 2024, [None, G(16)], name=name) and None,
         loaded={16}, reasons={"record is JSON null": 1}),
    # Records that parse but fail validation.
    Case("null id", recs(G(0, id=None)), reasons={"natural key game_id is missing": 1}),
    Case("missing id", recs({k: v for k, v in G(0).items() if k != "id"}), reasons={"natural key game_id": 1}),
    Case("null season", recs(G(21, season=None)), reasons={"season is missing": 1}),
    Case("season too old", recs(G(22, season=1990)), reasons={"season outside 2010-2027": 1}),
    Case("season in the far future", recs(G(23, season=2031)), reasons={"season outside 2010-2027": 1}),
    Case("start date not ISO", recs(G(24, startDate="yesterday")), reasons={"start_date is missing or not": 1}),
    Case("start date missing", recs({k: v for k, v in G(25).items() if k != "startDate"}),
         reasons={"start_date is missing or not": 1}),
    Case("date outside the season window", recs(G(26, startDate="2024-09-15T00:00:00Z")),
         reasons={"outside its season window": 1}),
    Case("future date for a past season", recs(G(27, startDate="2031-01-10T00:00:00Z")),
         reasons={"outside its season window": 1}),
    Case("unknown season type", recs(G(28, seasonType="offseason")), reasons={"season_type has a value outside": 1}),
    Case("unknown status", recs(G(29, status="maybe")), reasons={"status has a value outside": 1}),
    # Records that load.
    Case("unknown extra field (drift)", recs(G(30, broadcastNetwork="XYZ")), loaded={30}, drift={"broadcastNetwork"}),
    Case("explicit nulls in optional fields", recs(G(31, attendance=None, venue=None, homeSeed=None)), loaded={31}),
    Case("duplicate key, same content, same file", recs(G(32), G(32)), loaded={32}),
    Case("duplicate key, conflicting, same file", recs(G(33, homePoints=70), G(33, homePoints=71)), loaded={33}),
]
# Conflicting copies across files: the later fetch wins.
LATE = [("late-a", G(34, homePoints=50), "2024-03-01T00:00:00Z"), ("late-b", G(34, homePoints=99), "2024-03-05T00:00:00Z")]


def test_games_read_schema_matches_the_api_model() -> None:
    assert API_COLUMNS == field_names("GameInfo")


def test_bad_input_corpus(spark, lake) -> None:
    root = Path(lake.bronze.root)
    assert len(CASES) + 1 >= 30
    for i, case in enumerate(CASES):
        case.write(root, f"case{i:02d}")
    for name, rec, fetched in LATE:
        write_response(root, "games", 2024, [rec], name=name, fetched_at=fetched)
    report = run_job(make_context("silver_games", lake, spark=spark, season=2024))

    expected_quarantine = sum(n for c in CASES for n in c.reasons.values())
    expected_loaded = set().union(*(c.loaded for c in CASES)) | {34}
    assert report["quarantined"] == expected_quarantine
    assert report["inserted"] == len(expected_loaded)
    assert report["duplicates"] == 3                       # 32 twice, 33 twice, 34 in two files
    assert report["reconciled"], report

    games = {r["game_id"]: r for r in spark.table(lake.table("silver.games")).collect()}
    assert set(games) == expected_loaded
    assert games[34]["home_points"] == 99                  # latest fetch wins
    assert games[33]["home_points"] in (70, 71)            # same fetch: a deterministic pick, counted once

    quarantine = spark.table(lake.table("meta.quarantine")).where("target_table = 'silver.games'").collect()
    for case in CASES:
        for fragment, n in case.reasons.items():
            hits = [q for q in quarantine if fragment in q["reason"]]
            assert hits, (case.name, fragment)
    by_reason: dict[str, int] = {}
    for q in quarantine:
        assert q["source_file"], q
        if q["raw_json"] is not None:
            by_reason[q["reason"]] = by_reason.get(q["reason"], 0) + 1
    # Every quarantined record kept its raw JSON, except whole unreadable files (the file is the evidence).
    assert sum(by_reason.values()) == sum(n for c in CASES for f, n in c.reasons.items()
                                          if "gzip" not in f and "sha256" not in f and "unreadable" not in f
                                          and "JSON array" not in f)
    drift = {r["field"] for r in spark.table(lake.table("meta.schema_drift")).collect()}
    assert drift == set().union(*(c.drift for c in CASES))
