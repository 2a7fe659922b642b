"""Write bronze responses exactly as the ingester lays them out, for silver tests.

Tests of the silver layer must not depend on HTTP, so they write the bronze
contract directly: ``{slug}/season=S/{name}.json.gz`` plus
``_manifests/{slug}/season=S/{name}.json`` (record count, sha256 of the
uncompressed body, fetched_at, run_id). ``body`` overrides the bytes to
simulate broken responses stored as fetched; ``gz_bytes`` overrides the stored file
after the fact (corruption at rest), so the manifest then disagrees with it. Like the ingester, the
manifest notes the records' top-level fields (``shape=False``: as an older ingester wrote it, without).
"""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from cbbd_etl.bronze.store import record_shape


def write_response(
    root: str | Path,
    slug: str,
    season: int | None,
    records: list[dict[str, Any]] | dict[str, Any],
    *,
    name: str,
    fetched_at: str = "2024-03-01T12:00:00Z",
    run_id: str = "run-1",
    body: bytes | None = None,
    gz_bytes: bytes | None = None,
    manifest_records: int | None = None,
    shape: bool = True,
) -> str:
    root = Path(root)
    part = f"season={season}" if season is not None else "snapshot"
    data_key = f"{slug}/{part}/{name}.json.gz"
    text = json.dumps(records).encode()
    payload = body if body is not None else text
    data = gz_bytes if gz_bytes is not None else gzip.compress(payload)
    (root / data_key).parent.mkdir(parents=True, exist_ok=True)
    (root / data_key).write_bytes(data)
    manifest = {
        "endpoint": "/" + slug.replace("_", "/"), "slug": slug, "path": "/" + slug.replace("_", "/"),
        "params": {"season": str(season)} if season else {}, "season": season, "status": 200,
        "record_count": manifest_records if manifest_records is not None else (
            len(records) if isinstance(records, list) else 1),
        "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest(), "fetched_at": fetched_at,
        "run_id": run_id, "request_hash": name, "data_key": data_key,
        # what the ingester notes of a response it parsed (a broken ``body`` it never parsed: nothing)
        **(record_shape(records) if body is None and shape else {}),
    }
    mkey = root / "_manifests" / f"{slug}/{part}/{name}.json"
    mkey.parent.mkdir(parents=True, exist_ok=True)
    mkey.write_text(json.dumps(manifest))
    return data_key


def game_record(game_id: int, home: int = 1, away: int = 2, season: int = 2024, **over: Any) -> dict[str, Any]:
    """A /games record (GameInfo) with every field the SDK model declares."""
    rec: dict[str, Any] = {
        "id": game_id, "sourceId": str(400000 + game_id), "seasonLabel": f"{season - 1}{season % 100:02d}" if isinstance(season, int) else None,
        "season": season, "seasonType": "regular", "startDate": "2023-12-02T00:30:00.000Z",
        "startTimeTbd": False, "neutralSite": False, "conferenceGame": False, "gameType": "STD",
        "tournament": None, "gameNotes": None, "status": "final", "attendance": 5000,
        "homeTeamId": home, "homeTeam": f"Team {home}", "homeConferenceId": 1, "homeConference": "C1",
        "homeSeed": None, "homePoints": 70, "homePeriodPoints": [35, 35], "homeWinner": True,
        "homeTeamEloStart": 1500, "homeTeamEloEnd": 1510,
        "awayTeamId": away, "awayTeam": f"Team {away}", "awayConferenceId": 1, "awayConference": "C1",
        "awaySeed": None, "awayPoints": 60, "awayPeriodPoints": [30, 30], "awayWinner": False,
        "awayTeamEloStart": 1500, "awayTeamEloEnd": 1490,
        "excitement": 3.2, "venueId": 7, "venue": "Arena", "city": "Town", "state": "ST",
    }
    rec.update(over)
    return rec


def manifest_fingerprints(root: Path) -> set[tuple[Any, ...]]:
    """(endpoint, path, params, sha256 of the decoded body, record count) of every manifest under ``root``:
    two ingestions wrote the same bronze when these sets are equal."""
    from cbbd_etl.bronze.store import BronzeStore

    store = BronzeStore.for_root(str(root))
    out = set()
    for key in store.list("_manifests/"):
        m = store.get_json(key)
        out.add((m["slug"], m["path"], tuple(sorted(m["params"].items())), m["sha256"], m["record_count"]))
    return out
