"""Every simulated endpoint response validates against the official SDK's models, with no extra fields.

Why through the SDK rather than a copy of its schemas: the SDK (``cbbd==1.30.1``)
is what real clients deserialize with, and it pins pydantic<2, so the records
are written to a file and checked by ``tests/sdk/validate_records.py`` run in
the SDK's own interpreter: ``CBBD_SDK_PYTHON``, else the repository's
``.venv-sdk`` (built with ``make sdk-venv`` when missing).

Each of the 40 endpoints is asked one representative request of a ``tiny``
season through :class:`SimulatedApi` (so path and query parameters are
exercised as on the wire); a sample of a ``demo`` season adds volume and
variety (overtimes, postseason seeds, more lineups).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cbbd_etl.api.endpoints import ENDPOINTS, Endpoint
from cbbd_etl.sim import SimulatedApi, simulate_season
from cbbd_etl.sim.realism import RealismOptions

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = REPO / "tests" / "sdk" / "validate_records.py"
FIXTURE = REPO / "tests" / "fixtures" / "sdk_endpoints_1.30.1.json"
SEASON, SEED = 2024, 7


def sdk_python() -> str:
    """The interpreter with ``cbbd==1.30.1``: $CBBD_SDK_PYTHON, the repo's .venv-sdk, or build that."""
    named = os.environ.get("CBBD_SDK_PYTHON")
    if named:
        return named
    local = REPO / ".venv-sdk" / "bin" / "python"
    if not local.exists():
        built = subprocess.run(["make", "-C", str(REPO), "sdk-venv"], capture_output=True, text=True)
        if built.returncode != 0 or not local.exists():
            pytest.skip(f"no SDK interpreter: set CBBD_SDK_PYTHON or run `make sdk-venv` "
                        f"(make failed: {built.stderr.strip()[-300:]})")
    return str(local)


def response_models() -> dict[str, str]:
    """Path template → SDK response model (``List[GameInfo]`` → ``GameInfo``)."""
    spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    out = {}
    for e in spec["endpoints"]:
        model = e["response"]
        out[e["path"]] = model[5:-1] if model.startswith("List[") else model
    return out


def representative_params(e: Endpoint, api: SimulatedApi) -> dict[str, Any]:
    """Parameters of one realistic request per endpoint of the served tiny season."""
    s = api.season_data(SEASON)
    team = s.league.teams[0]
    conf = s.league.conferences[0].abbreviation
    game = s.games[0]
    player = s.game_records("games_players", game.id)[0]["players"][0]["athleteId"]
    by_path: dict[str, dict[str, Any]] = {
        "/plays/date": {"date": game.start.date().isoformat()},
        "/plays/game/{gameId}": {"gameId": game.id},
        "/plays/team": {"season": SEASON, "team": team.school},
        "/plays/player/{playerId}": {"playerId": player, "season": SEASON},
        "/plays/tournament": {"tournament": "NCAA", "season": SEASON},
        "/substitutions/game/{gameId}": {"gameId": game.id},
        "/substitutions/team": {"season": SEASON, "team": team.school},
        "/substitutions/player/{playerId}": {"playerId": player, "season": SEASON},
        "/lineups/game/{gameId}": {"gameId": game.id},
        "/lineups/team": {"season": SEASON, "team": team.school},
        "/teams/{teamId}/season/{season}/overview": {"teamId": team.id, "season": SEASON},
        "/stats/team/shooting/season": {"season": SEASON, "conference": conf},
        "/stats/player/shooting/season": {"season": SEASON, "conference": conf},
    }
    if e.path in by_path:
        return by_path[e.path]
    if e.has_param("year"):
        return {"year": SEASON}
    if e.has_param("season"):
        return {"season": SEASON}
    return {}


def demo_sample() -> dict[str, list[Any]]:
    """Up to ~300 records of the heavier models from a demo season (postseason, overtime games first)."""
    s = simulate_season(SEASON, "demo", SEED)
    picked = [g for g in s.games if g.outcome.periods > 2][:2] + [g for g in s.games if g.tournament][-2:]
    team = s.league.teams[-1].id
    sample: dict[str, list[Any]] = {
        "GameInfo": s.records("games")[-300:], "GameBoxScoreTeam": s.records("games_teams")[-300:],
        "GameBoxScorePlayers": s.records("games_players")[-100:], "GameLines": s.records("lines")[-300:],
        "PlayerSeasonStats": s.records("stats_player_season")[:300],
        "TeamStatsLeaderboardRecord": s.records("stats_team_leaderboard"),
        "PollTeamInfo": s.records("rankings")[-300:], "Recruit": s.records("recruiting_players")[:300],
        "Transfer": s.records("recruiting_portal"), "DraftPick": s.records("draft_picks"),
        "TeamSeasonOverview": [s.records("teams_season_overview")[0]],
        "PlayInfo": [p for g in picked for p in s.game_records("plays", g.id)],
        "PlayerSubsititution": [x for g in picked for x in s.game_records("substitutions", g.id)],
        "LineupStats": [x for g in picked for x in s.game_records("lineups", g.id)]
        + [r for r in s.records("lineups_team") if r["teamId"] == team][:50],
    }
    return sample


ELO_KEYS = ("homeTeamEloStart", "homeTeamEloEnd", "awayTeamEloStart", "awayTeamEloEnd")


def as_sdk_reads(model: str, records: list[Any]) -> tuple[list[Any], int]:
    """Records as an SDK client deserializes them, and how many lacked the per-game Elo keys.

    Early captures of ``/games`` omit the Elo fields (real-api-facts 10, reproduced by the realism
    layer); the SDK's ``from_dict`` reads a missing key as None, so they are filled with None here and
    counted, and every other key must still match the model exactly.
    """
    if model != "GameInfo":
        return records, 0
    out, missing = [], 0
    for r in records:
        if any(k not in r for k in ELO_KEYS):
            missing += 1
            r = {**r, **{k: r.get(k) for k in ELO_KEYS}}
        out.append(r)
    return out, missing


# realism with its sentinels made frequent, so a tiny season shows each of them (-1 / "" / non-D1 rows)
FREQUENT_QUIRKS = RealismOptions(sentinel_game_every=5, sentinel_line_every=5, blank_play_game_every=1)


@pytest.mark.parametrize("realism", [FREQUENT_QUIRKS, False], ids=["realism", "clean"])
def test_every_endpoint_response_matches_its_sdk_model(tmp_path: Path, realism: RealismOptions | bool) -> None:
    api = SimulatedApi(SEASON, "tiny", SEED, realism=realism)
    models = response_models()
    assert set(models) == {e.path for e in ENDPOINTS} and len(models) == 40
    payload: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    for e in ENDPOINTS:
        path, query = e.concrete(representative_params(e, api))
        result = api.query(path, query)
        records = result if isinstance(result, list) else [result]
        counts[e.path] = len(records)
        payload.setdefault(models[e.path], []).extend(records)
    empty = sorted(p for p, n in counts.items() if n < 1)
    assert not empty, f"endpoints that returned nothing for a representative tiny-season request: {empty}"
    for model, records in demo_sample().items():
        assert records, model
        payload.setdefault(model, []).extend(records)
    payload["GameInfo"], without_elo = as_sdk_reads("GameInfo", payload["GameInfo"])
    assert (without_elo > 0) == bool(realism), without_elo

    data = tmp_path / "records.json"
    data.write_text(json.dumps(payload), encoding="utf-8")
    run = subprocess.run([sdk_python(), str(VALIDATOR), str(data)], capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), f"validator failed to run: {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    assert set(report) == set(payload)
    bad = {m: r["errors"] for m, r in report.items() if r["errors"]}
    assert not bad, json.dumps(bad, indent=1)[:4000]
    assert run.returncode == 0
    assert all(report[m]["records"] == len(payload[m]) for m in payload)


def test_validator_detects_unknown_missing_and_mistyped_fields(tmp_path: Path) -> None:
    """The check above is only as good as the validator: it must catch what from_dict lets through."""
    s = simulate_season(SEASON, "tiny", SEED)
    extra = dict(s.records("games")[0], surprise=1)
    missing = {k: v for k, v in s.records("games")[1].items() if k != "venue"}
    mistyped = dict(s.records("games")[2], homePoints=71.5)
    play = json.loads(json.dumps(s.records("plays_game")[3]))
    play["onFloor"][0]["jersey"] = "12"
    data = tmp_path / "bad.json"
    data.write_text(json.dumps({"GameInfo": [extra, missing, mistyped], "List[PlayInfo]": [play]}), encoding="utf-8")
    run = subprocess.run([sdk_python(), str(VALIDATOR), str(data)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    errors = " ".join(report["GameInfo"]["errors"])
    assert "surprise: unknown field" in errors and "venue: missing field" in errors and "homePoints" in errors
    assert report["GameInfo"]["invalid_records"] == 3
    assert "onFloor[0].jersey: unknown field" in " ".join(report["List[PlayInfo]"]["errors"])
