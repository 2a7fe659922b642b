"""A season in progress: the simulator as of a date, and daily incremental ingestion that follows it.

Unit tests pin the clock rules and the planner's day ledger by hand-computed cases; the slow test plays
five consecutive days through a real HTTP server, incremental ingestion and the silver jobs on Spark +
Iceberg (the scenario and its per-day checks live in ``season_days.py`` so other drivers can replay it).
"""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from cbbd_etl.api.endpoints import select_endpoints
from cbbd_etl.bronze.planner import (DayLedger, PlanOptions, Planner, SeasonFacts, GameFact, day_ledger,
                                     day_spans)
from cbbd_etl.seasons import season_of
from cbbd_etl.sim import SimulatedApi, simulate_season
from cbbd_etl.sim.timeline import (POSTPONED, SCHEDULED, FINAL, IN_PROGRESS, SeasonEvents, Postponement,
                                   as_of_moment, game_state)

import season_days as sd

UTC = dt.timezone.utc


# ---------------------------------------------------------------- clock rules
def test_an_as_of_date_is_its_morning_run_and_games_go_final_two_hours_after_tip() -> None:
    assert as_of_moment(dt.date(2024, 1, 2)) == dt.datetime(2024, 1, 2, 6, 0, tzinfo=UTC)
    assert as_of_moment("2024-01-02T12:30:00Z") == dt.datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    game = simulate_season(2024, "tiny", 7).game_by_id[2400016]          # tip 2024-01-02 19:00Z
    none = SeasonEvents()
    assert game_state(game, as_of_moment("2024-01-02T18:59:00Z"), none).status == SCHEDULED
    assert game_state(game, as_of_moment("2024-01-02T20:59:00Z"), none).status == IN_PROGRESS
    assert game_state(game, as_of_moment("2024-01-02T21:00:00Z"), none).status == FINAL
    with pytest.raises(ValueError, match="not an ISO date"):
        as_of_moment("2024-13-45")


def test_a_postponed_game_keeps_its_id_and_moves_to_its_new_start() -> None:
    game = simulate_season(2024, "tiny", 7).game_by_id[2400011]          # tip 2023-12-30 23:00Z
    new = game.start + dt.timedelta(days=2)
    ev = SeasonEvents(Postponement(game.id, game.start, new))
    seen = [(d, game_state(game, as_of_moment(d), ev)) for d in
            ("2023-12-29T22:59:00Z", "2023-12-29T23:00:00Z", "2023-12-31T22:59:00Z", "2023-12-31T23:00:00Z",
             "2024-01-02T00:59:00Z", "2024-01-02T01:00:00Z")]
    assert [(s.status, s.start) for _, s in seen] == [
        (SCHEDULED, game.start), (POSTPONED, game.start), (POSTPONED, game.start),
        (SCHEDULED, new), (IN_PROGRESS, new), (FINAL, new)]


def test_simulated_api_as_of_hides_the_future_and_serves_the_correction_a_day_later() -> None:
    api = SimulatedApi(2024, "tiny", 7, realism=False, as_of=dt.date(2023, 12, 31))
    rng = {"season": "2024", "startDateRange": "2023-12-30T00:00:00Z", "endDateRange": "2024-01-01T23:59:59Z"}
    games = {g["id"]: g for g in api.query("/games", rng)}
    assert games[2400011]["status"] == "postponed" and games[2400012]["status"] == "final"
    assert games[2400014]["status"] == "scheduled" and games[2400014]["homePoints"] is None
    assert {r["gameId"] for r in api.query("/games/teams", rng)} == {2400012, 2400013}   # final games only
    assert api.query("/plays/game/2400014", {}) == [] and api.query("/plays/game/2400012", {}) != []
    first = {r["teamId"]: r["teamStats"]["assists"] for r in api.query("/games/teams", rng) if r["gameId"] == 2400013}
    api.set_as_of(dt.date(2024, 1, 1))
    fixed = {r["teamId"]: r["teamStats"]["assists"] for r in api.query("/games/teams", rng) if r["gameId"] == 2400013}
    assert first == {4: fixed[4] + 2, 7: fixed[7]}                       # home team (4): two assists too many
    truth = {r["teamId"]: r["teamStats"]["assists"] for r in api.season_data(2024).game_records("games_teams", 2400013)}
    assert fixed == truth
    points = {g["id"]: (g["homePoints"], g["awayPoints"]) for g in api.query("/games", rng)}
    assert points[2400013] == (games[2400013]["homePoints"], games[2400013]["awayPoints"])  # points never change
    # season aggregates count only the games final so far (hand count from the schedule): 12 games start
    # before Dec 31, one of them (2400011) postponed; then 2400013 (Dec 31 02:00Z), 2400014 and 2400015
    # (Jan 1 01:30Z and 02:00Z) are final by the Jan 1 morning run: 14 games, two teams each
    played = sum(r["games"] for r in api.query("/stats/team/season", {"season": "2024"}))
    assert played == 2 * 14
    api.set_as_of(None)
    assert all(g["status"] == "final" for g in api.query("/games", {"season": "2024"}))


# ---------------------------------------------------------------- the day ledger and the plan
def _games_fetch(span: tuple[str, str], as_of: str, games: list[tuple[int, str, str]]) -> tuple[dict, list]:
    manifest = {"range": list(span), "as_of": as_of, "fetched_at": "2026-12-01T08:00:00.000Z"}
    return manifest, [{"id": i, "startDate": f"{d}T23:00:00.000Z", "status": s} for i, d, s in games]


def test_day_ledger_marks_a_day_complete_only_when_over_and_settled_at_the_last_fetch() -> None:
    fetches = [
        _games_fetch(("2024-01-01", "2024-01-03"), "2024-01-03",
                     [(1, "2024-01-01", "final"), (2, "2024-01-02", "scheduled"), (3, "2024-01-03", "scheduled")]),
        _games_fetch(("2024-01-02", "2024-01-02"), "2024-01-04", [(2, "2024-01-02", "postponed")]),
    ]
    ledger = day_ledger(2024, reversed(fetches))                         # order of reading does not matter
    assert ledger.seen == {"2024-01-01": "2024-01-03", "2024-01-02": "2024-01-04", "2024-01-03": "2024-01-03"}
    # 01-01 over and final; 01-02 postponed at a later fetch; 01-03 was "today" at its only fetch
    assert ledger.complete == frozenset({"2024-01-01", "2024-01-02"})
    assert ledger.open_days(dt.date(2024, 1, 5))[-2:] == ["2024-01-03", "2024-01-04"]
    assert "2023-08-01" in ledger.open_days(dt.date(2024, 1, 5))          # never fetched: open


def test_incremental_plan_refetches_days_that_were_scheduled_at_the_last_fetch() -> None:
    """Runs skipped for days: the window moved past days last seen scheduled; they are fetched again."""
    complete = frozenset(d.isoformat() for d in (dt.date(2023, 8, 1) + dt.timedelta(days=i) for i in range(155)))
    assert max(complete) == "2024-01-02"
    ledger = DayLedger(2024, {}, complete - {"2023-12-20"})              # 12-20 had a game in progress
    opts = PlanOptions(mode="incremental", window_days=2, as_of=dt.date(2024, 1, 8))
    planner = Planner(select_endpoints(["games", "games_teams", "plays_date"]), [2024], opts, {2024: ledger})
    days = planner.refresh_days(2024)
    assert day_spans(days) == [("2023-12-20", "2023-12-20"), ("2024-01-03", "2024-01-08")]
    games = [c for c in planner.stage1() if c.slug == "games"]
    assert [c.range_ for c in games] == [("2023-12-20", "2023-12-20"), ("2024-01-03", "2024-01-08")]
    assert all(c.force and c.as_of == "2024-01-08" for c in games)
    facts = SeasonFacts(2024, [GameFact(1, "2023-12-20", "A", "B"), GameFact(2, "2023-12-21", "A", "C"),
                               GameFact(3, "2024-01-07", "B", "C"), GameFact(4, "2024-01-08", "A", "B"),
                               GameFact(5, "2024-01-09", "A", "C")])
    stage2 = planner.stage2(facts)
    assert [c.date for c in stage2 if c.slug == "plays_date"] == ["2023-12-20", "2024-01-07", "2024-01-08"]
    assert [c.range_ for c in stage2 if c.slug == "games_teams"] == [("2023-12-20", "2023-12-20"),
                                                                     ("2024-01-03", "2024-01-08")]
    # no ledger (the planner alone): only the window, as before
    assert [c.range_ for c in Planner(select_endpoints(["games"]), [2024], opts).stage1()] == [
        ("2024-01-07", "2024-01-08")]


def test_day_spans_and_season_of() -> None:
    assert day_spans(["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-07"]) == [
        ("2024-01-01", "2024-01-03"), ("2024-01-07", "2024-01-07")]
    assert day_spans([]) == []
    assert season_of(dt.date(2023, 8, 1)) == 2024 and season_of(dt.date(2024, 7, 31)) == 2024


def test_serve_sim_cli_rejects_a_bad_as_of_in_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "cbbd_etl", "serve-sim", "--as-of", "2024-02-31"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not an ISO date" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- five days, end to end
@pytest.mark.slow
def test_five_days_of_a_season_in_progress_silver_follows_every_change(spark, lake, capsys) -> None:
    sd.expected_events_hold()
    cfg = lake.replace(**sd.FAST_LOCAL_API)
    with sd.start_server() as server:
        results = sd.play_days(spark, cfg, sd.daily_workflow(spark, cfg), server)
    assert [r.calls for r in results] == sd.CALLS_PER_DAY
    with capsys.disabled():
        print("\nfive days of a season in progress (window 2 days, games + games_teams + games_players):")
        for r in results:
            print("  " + r.line())
        print("  " + json.dumps({str(r.day): {"calls": r.calls, "seconds": round(r.seconds, 1),
                                              **{k: round(v, 1) for k, v in r.parts.items()}} for r in results}))
