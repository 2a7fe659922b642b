"""The call planner: cheapest scopes, chunks under the cap, adaptive continuation, dry-run economics."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cbbd_etl.api.endpoints import default_endpoints, select_endpoints
from cbbd_etl.bronze.ingest import ingest_endpoints
from cbbd_etl.bronze.planner import (Call, GameFact, PlanOptions, Planner, SeasonFacts, continuation, exact_chunks,
                                     estimated_chunks, facts_from_estimate, is_saturated, pack_days,
                                     typical_season_days, utc_date)
from cbbd_etl.errors import UserError
from conftest import make_cfg

REPO = Path(__file__).resolve().parents[1]
FULL_SEASON_LIMIT = 1000


def test_pack_days_covers_range_and_respects_limit() -> None:
    counts = {f"2024-01-{d:02d}": float(d % 4) * 10 for d in range(1, 32)}
    chunks = pack_days(counts, 50, "2024-01-01", "2024-01-31")
    assert chunks[0][0] == "2024-01-01" and chunks[-1][1] == "2024-01-31"
    for (a, b), (c, _) in zip(chunks, chunks[1:]):
        assert (dt.date.fromisoformat(c) - dt.date.fromisoformat(b)).days == 1, "chunks are contiguous"
    for a, b in chunks:
        assert sum(v for k, v in counts.items() if a <= k <= b) <= 50


def test_estimated_chunks_stay_under_cap_for_a_real_season() -> None:
    season = 2024
    lo, hi = dt.date(2023, 8, 1), dt.date(2024, 7, 31)
    for slug, cap in (("games", 3000), ("games_players", 1000)):
        chunks = estimated_chunks(slug, season)
        assert chunks[0][0] == lo.isoformat() and chunks[-1][1] == hi.isoformat()
        assert len(chunks) <= (4 if cap == 3000 else 9)


def test_exact_chunks_pack_actual_games() -> None:
    per_day = Counter({f"2024-01-{d:02d}": 100 for d in range(1, 31)})  # 3,000 games in January
    chunks = exact_chunks("games_players", 2024, per_day)  # cap 1,000 games -> at most 950 a chunk
    jan = [c for c in chunks if c[0] <= "2024-01-31" and c[1] >= "2024-01-01"]
    assert len(jan) == 4
    for a, b in jan:
        assert sum(n for d, n in per_day.items() if a <= d <= b) <= 950


def test_saturation_and_continuation() -> None:
    recs = [{"id": i, "startDate": f"2024-01-{1 + i // 200:02d}T20:00:00.000Z"} for i in range(3000)]
    assert is_saturated("games", recs) and not is_saturated("games", recs[:2999])
    assert continuation("games", recs, "2024-01-01", "2024-02-28") == [("2024-01-15", "2024-02-28")]
    assert continuation("games", recs[:10], "2024-01-01", "2024-02-28") == []
    same_day = [{"id": i, "startDate": "2024-01-01T20:00:00Z"} for i in range(3000)]
    assert continuation("games", same_day, "2024-01-01", "2024-01-10") == [("2024-01-01", "2024-01-05"),
                                                                          ("2024-01-06", "2024-01-10")]
    assert continuation("games", same_day, "2024-01-01", "2024-01-01") == []
    # box scores: one record per team and game; the cap counts games (1,000 games = 2,000 records)
    box = [{"gameId": i // 2, "startDate": "2024-01-02T00:00:00Z"} for i in range(2000)]
    assert is_saturated("games_players", box) and not is_saturated("games_players", box[:1998])
    assert not is_saturated("games_teams", box), "2,000 records of 1,000 games are under a 3,000-game cap"


def test_utc_date() -> None:
    assert utc_date("2023-11-07T00:30:00.000Z") == "2023-11-07"
    assert utc_date("2023-11-06T19:30:00-05:00") == "2023-11-07"
    assert utc_date("2023-11-06") == "2023-11-06"


def _facts() -> SeasonFacts:
    games = [GameFact(1, "2023-11-06", "A", "B"), GameFact(2, "2023-11-06", "C", "D"),
             GameFact(3, "2023-11-08", "A", "C", "NCAA")]
    teams = [{"id": i, "school": s, "conference": c} for i, (s, c) in
             enumerate([("A", "Big Conf"), ("B", "Big Conf"), ("C", "Small"), ("D", None), ("E", "Small")])]
    confs = [{"id": 1, "name": "Big Conf", "abbreviation": "BIG"}, {"id": 2, "name": "Small", "abbreviation": "SM"}]
    return SeasonFacts(2024, games, teams, confs)


def test_stage2_fans_out_by_cheapest_scope() -> None:
    planner = Planner(select_endpoints(["plays_date", "substitutions_team", "lineups_team",
                                        "stats_team_shooting_season", "games_teams"]), [2024])
    assert planner.prerequisites == ["conferences", "games", "teams"]
    stage1 = planner.stage1()
    assert {c.slug for c in stage1} == {"conferences", "games", "teams"}
    assert all(c.note == "prerequisite" for c in stage1)
    calls = planner.stage2(_facts())
    by = Counter(c.slug for c in calls)
    assert by["plays_date"] == 2                      # one call per game day, not per game
    assert by["substitutions_team"] == 4 == by["lineups_team"]  # teams that played (E did not)
    shooting = sorted(dict(c.params).get("conference") or dict(c.params).get("team") for c in calls
                      if c.slug == "stats_team_shooting_season")
    assert shooting == ["BIG", "D", "SM"]             # by conference abbreviation; D has no conference
    plays = [c for c in calls if c.slug == "plays_date"]
    assert plays[0].date == "2023-11-06" and plays[0].data_key.startswith("plays_date/season=2024/date=2023-11-06/")


def test_incremental_window_refetches_recent_days_and_prefers_by_game_when_cheaper() -> None:
    opts = PlanOptions(mode="incremental", window_days=2, as_of=dt.date(2023, 11, 8))
    planner = Planner(select_endpoints(["games", "plays_date", "substitutions_team", "ratings_srs", "scoreboard"]),
                      [2024], opts)
    stage1 = planner.stage1()
    games = [c for c in stage1 if c.slug == "games"]
    assert len(games) == 1 and games[0].range_ == ("2023-11-07", "2023-11-08") and games[0].force
    assert any(c.slug == "scoreboard" and c.force for c in stage1)
    assert any(c.slug == "ratings_srs" and c.force for c in stage1), "season documents are refreshed"
    calls = planner.stage2(_facts())
    assert [c.params for c in calls if c.slug == "plays_date"] == [(("date", "2023-11-08"),)]
    subs = [c for c in calls if c.slug.startswith("substitutions")]
    assert [c.slug for c in subs] == ["substitutions_game"] and all(c.force for c in calls)
    # a season whose window is closed plans nothing in incremental mode
    assert Planner(select_endpoints(["games"]), [2020], opts).stage1() == []


def test_backfill_skips_live_scoreboard_and_bad_mode() -> None:
    assert all(c.slug != "scoreboard" for c in Planner(default_endpoints(), [2024]).stage1())
    with pytest.raises(UserError, match="mode"):
        Planner(default_endpoints(), [2024], PlanOptions(mode="sideways"))


def test_call_identity_validates_parameters() -> None:
    e = select_endpoints(["plays_game"])[0]
    c = Call.make(e, {"gameId": 5}, 2024)
    assert c.path == "/plays/game/5" and c.query == {} and len(c.request_hash) == 16
    with pytest.raises(UserError, match="missing required"):
        Call.make(select_endpoints(["plays_date"])[0], {}, 2024)


def test_typical_season_days() -> None:
    assert typical_season_days(2024) == (dt.date(2023, 11, 6), dt.date(2024, 4, 8))
    assert typical_season_days(2025) == (dt.date(2024, 11, 4), dt.date(2025, 4, 7))


# ---------------------------------------------------------------- dry run economics (must show)
def test_dry_run_full_season_from_estimates_plans_at_most_1000_calls(tmp_path: Path) -> None:
    cfg = make_cfg(tmp_path)
    summary = ingest_endpoints(cfg, [2024], None, dry_run=True, plan_source="estimate")
    per = {k: v.planned for k, v in summary.per_endpoint.items()}
    assert summary.planned == sum(per.values()) <= FULL_SEASON_LIMIT, per
    assert per["plays_date"] >= 140 and per["substitutions_team"] == per["lineups_team"] == 362
    assert per["stats_team_shooting_season"] == 32
    assert summary.per_game_fanout > 17_000, "the naive per-game plan needs ~18,000 calls"
    assert summary.calls == 0 and "estimate" in summary.facts_source["2024"]
    assert not (tmp_path / "bronze").exists() or not any((tmp_path / "bronze").rglob("*.json*")), \
        "a dry run writes nothing"


def test_dry_run_cli_prints_plan_without_calling(tmp_path: Path) -> None:
    env = {"CBBD_ETL__BRONZE__ROOT": str(tmp_path / "bronze"), "CBBD_ETL__API__BASE_URL": "http://127.0.0.1:9"}
    res = subprocess.run([sys.executable, "-m", "cbbd_etl", "ingest", "backfill", "--seasons", "2024", "--dry-run",
                          "--plan-source", "estimate", "--json"], capture_output=True, text=True, cwd=REPO,
                         env={**_env(), **env}, timeout=120)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["planned"] <= FULL_SEASON_LIMIT and doc["per_endpoint"]["plays_date"] >= 140
    text = subprocess.run([sys.executable, "-m", "cbbd_etl", "ingest", "backfill", "--seasons", "2024",
                           "--dry-run"], capture_output=True, text=True, cwd=REPO, env={**_env(), **env},
                          timeout=120)
    assert "planned calls:" in text.stdout and "estimate" in text.stdout and "per-game fan-out" in text.stdout


@pytest.mark.parametrize("args, expected", [
    (["ingest", "backfill", "--seasons", "2024-2020"], "runs backwards"),
    (["ingest", "backfill", "--seasons", "1999-2001"], "season 1999 is outside"),
    (["ingest", "backfill", "--seasons", "2024", "--endpoints", "games,nope"], "unknown endpoint 'nope'"),
    (["ingest", "incremental", "--window-days", "0"], "--window-days must be >= 1"),
    (["ingest", "incremental", "--as-of", "2024-02-31"], "is not an ISO date"),
    (["ingest", "backfill", "--seasons", "2024", "--dry-run", "--plan-source", "magic"], "--plan-source"),
    (["ingest", "backfill"], "--seasons"),
    (["serve-sim", "--faults", "teapot=1"], "unknown fault"),
])
def test_bad_ingest_input_is_one_line_exit_2(args: list[str], expected: str) -> None:
    res = subprocess.run([sys.executable, "-m", "cbbd_etl", *args], capture_output=True, text=True, cwd=REPO,
                         env=_env(), timeout=120)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1 and expected in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("CBBD_")}


def test_estimate_facts_shape() -> None:
    f = facts_from_estimate(2024)
    assert 5_500 <= len(f.games) <= 6_500 and len(f.team_names()) == 362
    assert f.conference_params() == (sorted(f"C{i:02d}" for i in range(32)), [])


def test_dry_run_full_season_from_the_simulator_plans_at_most_1000_calls(tmp_path: Path) -> None:
    """Must show, with real game days: the simulator's full season (362 teams, ~6,000 games)."""
    pytest.importorskip("cbbd_etl.sim.api", reason="the season simulator is not available yet")
    cfg = make_cfg(tmp_path, **{"sim.seed": 7})
    summary = ingest_endpoints(cfg, [2024], None, dry_run=True, plan_source="sim:full")
    per = {k: v.planned for k, v in summary.per_endpoint.items()}
    print(f"\nfull season (simulator) dry run: {summary.planned} calls {per}; "
          f"per-game fan-out ~{summary.per_game_fanout}")
    assert summary.planned <= FULL_SEASON_LIMIT and summary.per_game_fanout > 17_000
    assert per["lineups_team"] == 362 and 100 <= per["plays_date"] <= 160
    assert summary.facts_source["2024"].startswith("simulator (size=full")


def test_games_after_today_are_not_fanned_out() -> None:
    """A season in progress: scheduled games have no plays yet; asking would store empty answers as done."""
    planner = Planner(select_endpoints(["plays_date"]), [2024], PlanOptions(as_of=dt.date(2023, 11, 7)))
    assert [c.date for c in planner.stage2(_facts())] == ["2023-11-06"]
