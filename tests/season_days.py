"""Five consecutive days of a season in progress: the reusable scenario behind test_season_in_progress.

Why a module and not a test body: the same five days must be replayed through other drivers (the
local workflow runner's ``daily`` DAG, for one) with the same checks. A driver is a function
``run_day(day, server) -> calls`` that brings bronze and silver up to date as of ``day`` (the server's
clock is already moved) and returns the API calls it made; :func:`play_days` moves the clock, calls it,
and checks silver against the simulator's as-of truth after every day.

The days and what each must show (tiny season 2024, seed 7; ``season_events`` picks the events):

=========== ====================================================================================
2023-12-30  game 2400011 ``postponed`` (announced a day ahead); 2400012 ``scheduled``
2023-12-31  2400012 ``final`` (scheduled -> final); 2400013 final, box score in its first (wrong)
            version: home assists +2 in /games/teams and for one player in /games/players
2024-01-01  2400013 corrected (one row, true assists); 2400011 ``scheduled`` at its new start
            2024-01-01 23:00Z (same id, one row)
2024-01-02  2400011 ``final`` on its new date; 2400016 ``scheduled``
2024-01-03  2400016 ``final``; 2400018, 2400019 ``scheduled``
=========== ====================================================================================

Calls per day (window 2 days, endpoints games + games_teams + games_players, ingestion by
``ingest_endpoints`` with ``mode="incremental"``), derived by hand from the planner's rules:

* day 1 starts from an empty bronze, so every day of the season from Aug 1 is open: one span
  2023-08-01..2023-12-30. /games is chunked from the monthly estimate (45 games a day in November,
  40 in December, 0 before; a chunk holds 0.8 x 3,000 = 2,400): 1,350 + 1,200 = 2,550 > 2,400, so
  2 chunks; the box scores are packed from the exact count (12 tiny games), 1 chunk each: **4 calls**;
* every later day: the ledger marks every day before the window complete (fetched after it was over,
  every game settled), so only the 2-day window is fetched, one chunk per endpoint: **3 calls**.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from cbbd_etl.api.server import ApiServer, serve_sim
from cbbd_etl.config import Config
from cbbd_etl.sim import SimulatedApi, simulate_season
from cbbd_etl.sim.timeline import FINAL, SeasonAsOf, season_events

SEASON, SIZE, SEED = 2024, "tiny", 7
ENDPOINTS = ["games", "games_teams", "games_players"]
SILVER_JOBS = ["silver_games", "silver_team_game_stats", "silver_player_game_stats"]
WINDOW_DAYS = 2
FIRST_DAY = dt.date(2023, 12, 30)
DAYS = [FIRST_DAY + dt.timedelta(days=i) for i in range(5)]
CALLS_PER_DAY = [4, 3, 3, 3, 3]     # the hand-derived plan above; the bound every run must meet

POSTPONED_ID, CORRECTED_ID = 2400011, 2400013
POSTPONED_STATUSES = ["postponed", "postponed", "scheduled", "final", "final"]
POSTPONED_NEW_START = dt.datetime(2024, 1, 1, 23, 0)          # UTC, as silver shows it (session time zone UTC)
CORRECTED_FIRST_SEEN, CORRECTED_FIXED = dt.date(2023, 12, 31), dt.date(2024, 1, 1)
ASSISTS_DELTA = 2
# Local server: no need for the real API's pacing.
FAST_LOCAL_API = {"api.requests_per_second": 50.0, "api.max_concurrency": 4, "api.monthly_call_budget": 100_000}

# A driver returns the calls it made, or (calls, {part: seconds}) to report where the time went.
RunDay = Callable[[dt.date, ApiServer], "int | tuple[int, dict[str, float]]"]


@dataclass
class DayResult:
    day: dt.date
    calls: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)   # silver.games statuses after the day
    parts: dict[str, float] = field(default_factory=dict)  # seconds per part of the driver's run

    def line(self) -> str:
        statuses = dict(sorted(self.statuses.items()))
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in self.parts.items())
        return f"{self.day}: {self.calls} calls, {self.seconds:.1f} s ({parts}), silver.games {statuses}"


def start_server(realism: bool = False) -> ApiServer:
    """The simulator on 127.0.0.1, clock at the first day.

    ``realism`` off by default: the checks compare silver with the clean truth game by game (the
    realism layer adds games against sentinel opponents and shifts times on first fetches).
    """
    return serve_sim(season=SEASON, size=SIZE, seed=SEED, realism=realism, as_of=DAYS[0])


def daily_workflow(spark: Any, cfg: Config) -> RunDay:
    """The driver: ``workflow run daily`` for the day (the DAG's ingest and the three silver jobs).

    The same runner, run properties and job parameters as ``cbbd-etl workflow run daily --date D``: the
    season comes from the date, ``mode=incremental`` from the workflow's declaration, the window from the
    run options. ``only`` keeps the rest of the DAG (other silver jobs, gap fill, gold, audit, data
    quality) out of a five-day loop whose checks are about ingestion and silver.
    """
    from cbbd_etl.workflow_runner import run_workflow

    def run_day(day: dt.date, server: ApiServer) -> tuple[int, dict[str, float]]:
        run = run_workflow(cfg, "daily", spark=spark, date=day,
                           options={"base_url": server.url, "api_key": server.api_key,
                                    "window_days": WINDOW_DAYS, "endpoints": ENDPOINTS},
                           only=["bronze_ingest", *SILVER_JOBS])
        assert run.succeeded, [(j.job, j.status, j.error) for j in run.jobs]
        assert run.run_properties["mode"] == "incremental"
        ingest = run.reports["bronze_ingest"]
        assert ingest["seasons"] == [SEASON], ingest["seasons"]          # derived from the date
        assert not ingest.get("failures") and ingest["status"] == "complete", ingest
        for job in SILVER_JOBS:
            assert run.reports[job].get("quarantined", 0) == 0, run.reports[job]
        return int(ingest["calls"]), {j.job: j.seconds for j in run.jobs if j.status == "succeeded"}

    return run_day


def play_days(spark: Any, cfg: Config, run_day: RunDay, server: ApiServer,
              days: list[dt.date] | None = None) -> list[DayResult]:
    """Each day: move the server's clock, run the driver, check silver (see the module doc)."""
    source: SimulatedApi = server.source  # type: ignore[assignment]
    results: list[DayResult] = []
    for i, day in enumerate(days or DAYS):
        server.set_as_of(day)
        served_before = server.stats.total
        started = time.monotonic()
        ran = run_day(day, server)
        seconds = time.monotonic() - started
        calls, parts = ran if isinstance(ran, tuple) else (ran, {})
        assert server.stats.total - served_before == calls, "the run's calls are the requests the server saw"
        assert calls <= CALLS_PER_DAY[i], f"{day}: {calls} calls > bound {CALLS_PER_DAY[i]}"
        view = source.view(SEASON)
        assert view is not None
        statuses = check_silver(spark, cfg, view, day, i)
        results.append(DayResult(day, calls, seconds, statuses, parts))
    return results


def _rows(spark: Any, cfg: Config, table: str, columns: str, where: str = "true") -> list[Any]:
    return spark.sql(f"SELECT {columns} FROM {cfg.table(table)} WHERE season = {SEASON} AND ({where})").collect()


def _no_duplicate_keys(table: str, rows: list[Any], keys: tuple[str, ...]) -> None:
    """Natural keys are unique (checked on rows already collected: one query per table and day)."""
    dups = [k for k, n in Counter(tuple(r[c] for c in keys) for r in rows).items() if n > 1]
    assert not dups, f"{table}: duplicate natural keys {dups[:5]}"


def check_silver(spark: Any, cfg: Config, view: SeasonAsOf, day: dt.date, index: int) -> Counter:
    """Silver as of ``day`` equals the simulator's truth; returns the status counts of silver.games."""
    truth = {gid: st for gid, st in view.truth().items() if st.start.date() <= day}
    games = _rows(spark, cfg, "silver.games", "game_id, status, start_date, home_points")
    _no_duplicate_keys("silver.games", games, ("game_id",))
    silver = {r["game_id"]: r for r in games}
    assert set(silver) == set(truth), (f"{day}: silver.games ids differ: missing {sorted(set(truth) - set(silver))},"
                                       f" extra {sorted(set(silver) - set(truth))}")
    wrong = {gid: (silver[gid]["status"], st.status) for gid, st in truth.items() if silver[gid]["status"] != st.status}
    assert not wrong, f"{day}: statuses (silver, truth) differ: {wrong}"
    moved = {gid: (silver[gid]["start_date"], st.start) for gid, st in truth.items()
             if silver[gid]["start_date"] != st.start.replace(tzinfo=None)}
    assert not moved, f"{day}: start dates (silver, truth) differ: {moved}"
    assert all((silver[gid]["home_points"] is None) == (st.status != FINAL) for gid, st in truth.items())

    postponed = silver[POSTPONED_ID]
    assert postponed["status"] == POSTPONED_STATUSES[index], (day, postponed)
    if POSTPONED_STATUSES[index] in ("scheduled", "final"):
        assert postponed["start_date"] == POSTPONED_NEW_START

    final_ids = {gid for gid, st in truth.items() if st.status == FINAL}
    teams = _rows(spark, cfg, "silver.team_game_stats", "game_id, team_id, team_assists, opp_assists")
    players = _rows(spark, cfg, "silver.player_game_stats", "game_id, team_id, athlete_id, assists")
    assert Counter(r["game_id"] for r in teams) == {gid: 2 for gid in final_ids}, f"{day}: team boxes"
    assert {r["game_id"] for r in players} == final_ids, f"{day}: player boxes"
    _no_duplicate_keys("silver.team_game_stats", teams, ("game_id", "team_id"))
    _no_duplicate_keys("silver.player_game_stats", players, ("game_id", "team_id", "athlete_id"))

    if day >= CORRECTED_FIRST_SEEN:
        _check_correction(view, teams, players, day)
    return Counter(r["status"] for r in silver.values())


def _check_correction(view: SeasonAsOf, teams: list[Any], players: list[Any], day: dt.date) -> None:
    """The corrected game: first version (+2 assists) on its first day, the truth from the next day on."""
    corr = view.events.corrected
    assert corr is not None and corr.game_id == CORRECTED_ID
    clean = simulate_season(SEASON, SIZE, SEED).game_records("games_teams", CORRECTED_ID)
    true_team = {r["teamId"]: r["teamStats"]["assists"] for r in clean}
    true_player = {p["athleteId"]: p["assists"] for r in simulate_season(SEASON, SIZE, SEED).game_records(
        "games_players", CORRECTED_ID) for p in r["players"]}
    extra = ASSISTS_DELTA if day < CORRECTED_FIXED else 0
    rows = [r for r in teams if r["game_id"] == CORRECTED_ID]
    assert len(rows) == 2
    for r in rows:
        home = r["team_id"] == corr.team_id
        assert r["team_assists"] == true_team[r["team_id"]] + (extra if home else 0), (day, r)
        assert r["opp_assists"] == true_team[[t for t in true_team if t != r["team_id"]][0]] + (0 if home else extra)
    mine = [r for r in players if r["game_id"] == CORRECTED_ID and r["athlete_id"] == corr.athlete_id]
    assert len(mine) == 1 and mine[0]["assists"] == true_player[corr.athlete_id] + extra, (day, mine)


def expected_events_hold() -> None:
    """The events this scenario is written for are the ones the simulator picks (guards the table above)."""
    ev = season_events(simulate_season(SEASON, SIZE, SEED))
    assert ev.postponed is not None and ev.corrected is not None
    assert (ev.postponed.game_id, ev.corrected.game_id) == (POSTPONED_ID, CORRECTED_ID)
    assert ev.postponed.new_start.replace(tzinfo=None) == POSTPONED_NEW_START
