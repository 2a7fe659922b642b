"""A simulated season *as of* a moment: what the real API would answer on that day.

Why: the daily workflow runs against a season in progress. Games after "now"
are ``scheduled`` (no scores, no box scores, no plays), games go final as the
clock moves, box scores get corrected after the fact, and games get postponed
and replayed under the same id on another date. Ingestion and silver must
follow every one of those changes; they can only be tested against a source
that changes the same way between two fetches.

The latent truth is untouched: a game's result never depends on the as-of
moment (the season is simulated once, in full); only *what is visible* does.

Clock:

* an as-of **date** ``D`` means the morning run of ``D``: 06:00 UTC (1-2 am US
  Eastern), when every game of the previous US evening is over;
* a game is ``final`` from ``start + GAME_LENGTH`` on, ``in_progress`` from its
  start, ``scheduled`` before.

Events (deterministic, from the season alone; see :func:`season_events`):

* **postponed**: the first game of a mid-season game day ``P`` (UTC) is
  announced ``postponed`` a day ahead of its original start and stays so
  until a day ahead of its new start, ``POSTPONED_DAYS`` later at the same
  time of day; then ``scheduled`` at the new start, then ``final`` (same id).
* **corrected box score**: the first game of day ``P + 1`` is served with a
  wrong stat (``CORRECTED_STAT`` of its home team's first listed player, and
  the same amount in the team and opponent totals; points unchanged) from its
  end until a day later; from then on the true box score. The uncorrected
  version is the exception: without an as-of moment the simulator serves the
  truth, as before.

Season aggregates as of the moment: team and player season stats (and
shooting, leaderboards) are computed from the games final so far; polls are
those published by then; lineups by team cover the games final so far.
Ratings (adjusted, SRS, Elo), ``/teams/season-overview`` and the live
scoreboard stay season-final values (documented simplification: rebuilding
them per moment is not cheap and no daily test needs it).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from .fmt import iso

if TYPE_CHECKING:  # pragma: no cover
    from .schedule import Game
    from .season import SimulatedSeason

Record = dict[str, Any]
UTC = dt.timezone.utc

GAME_LENGTH = dt.timedelta(hours=2)          # tip-off to final
MORNING_RUN = dt.time(6, 0)                   # an as-of date is this moment (UTC) of that day
ANNOUNCE_AHEAD = dt.timedelta(hours=24)       # postponements and reschedules are announced a day ahead
CORRECTION_AFTER = dt.timedelta(hours=24)     # the box score is corrected a day after the game ended
POSTPONED_DAYS = 2                            # the postponed game is played this many days later
CORRECTED_STAT = "assists"
CORRECTION_DELTA = 2                          # the first version shows this many assists too many
# What a not-yet-final game shows for its scores (real API: 0 or null; see real-api-facts item 13).
UNPLAYED_POINTS: int | None = None

SCHEDULED, IN_PROGRESS, FINAL, POSTPONED = "scheduled", "in_progress", "final", "postponed"


def as_of_moment(value: dt.date | dt.datetime | str) -> dt.datetime:
    """An as-of date or date-time as an aware UTC moment (a date is its morning run, 06:00 UTC)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (dt.date.fromisoformat(text) if len(text) == 10
                     else dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            raise ValueError(f"as-of {text!r} is not an ISO date or date-time") from None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return dt.datetime.combine(value, MORNING_RUN, tzinfo=UTC)


@dataclass(frozen=True)
class Postponement:
    game_id: int
    original_start: dt.datetime
    new_start: dt.datetime


@dataclass(frozen=True)
class BoxCorrection:
    game_id: int
    team_id: int                 # the home team
    athlete_id: int              # the home team's first listed player
    stat: str
    delta: int                   # first version = truth + delta
    corrected_at: dt.datetime    # from this moment on, the truth


@dataclass(frozen=True)
class SeasonEvents:
    postponed: Postponement | None = None
    corrected: BoxCorrection | None = None


@dataclass(frozen=True)
class GameState:
    """What the API shows for one game at one moment."""

    status: str
    start: dt.datetime

    @property
    def date(self) -> str:
        """UTC date of the (current) start, as the planner keys game days."""
        return self.start.astimezone(UTC).date().isoformat()


def _utc_day(g: "Game") -> dt.date:
    return g.start.astimezone(UTC).date()


def season_events(s: "SimulatedSeason") -> SeasonEvents:
    """The season's postponed game and corrected box score (deterministic; see the module doc).

    ``P`` is the first regular-season game day, from a quarter into the season's game days, such that
    ``P``, ``P+1`` and ``P+2`` are all game days: a five-day window from ``P`` sees every event.
    """
    regular = sorted((g for g in s.games if g.season_type == "regular"), key=lambda g: (g.start, g.id))
    days = sorted({_utc_day(g) for g in regular})
    one = dt.timedelta(days=1)
    for p in days[len(days) // 4:]:
        if p + one in days and p + 2 * one in days:
            break
    else:
        return SeasonEvents()
    first = next(g for g in regular if _utc_day(g) == p)
    fixed = next(g for g in regular if _utc_day(g) == p + one)
    moved = Postponement(first.id, first.start, first.start + dt.timedelta(days=POSTPONED_DAYS))
    from .records import box_players

    athlete = box_players(s, fixed)[0]["players"][0]["athleteId"]
    correction = BoxCorrection(fixed.id, fixed.home_id, athlete, CORRECTED_STAT, CORRECTION_DELTA,
                               fixed.start + GAME_LENGTH + CORRECTION_AFTER)
    return SeasonEvents(moved, correction)


def game_state(game: "Game", moment: dt.datetime, events: SeasonEvents) -> GameState:
    """The status and start date the API shows for ``game`` at ``moment``."""
    p = events.postponed
    start = game.start
    if p is not None and p.game_id == game.id:
        if moment < p.original_start - ANNOUNCE_AHEAD:
            return GameState(SCHEDULED, p.original_start)
        if moment < p.new_start - ANNOUNCE_AHEAD:
            return GameState(POSTPONED, p.original_start)
        start = p.new_start
    if moment >= start + GAME_LENGTH:
        return GameState(FINAL, start)
    return GameState(IN_PROGRESS if moment >= start else SCHEDULED, start)


class SeasonAsOf:
    """One simulated season seen at one moment: game states and the as-of view of records."""

    def __init__(self, season: "SimulatedSeason", moment: dt.datetime, events: SeasonEvents | None = None) -> None:
        self.season = season
        self.moment = moment
        self.events = events if events is not None else season_events(season)
        self.states: dict[int, GameState] = {g.id: game_state(g, moment, self.events) for g in season.games}

    def __repr__(self) -> str:
        return f"SeasonAsOf(season={self.season.season}, moment={iso(self.moment)})"

    def start(self, game: "Game") -> dt.datetime:
        return self.states[game.id].start

    def is_final(self, game: "Game") -> bool:
        return self.states[game.id].status == FINAL

    def final_games(self, games: Iterable["Game"] | None = None) -> list["Game"]:
        return [g for g in (self.season.games if games is None else games) if self.is_final(g)]

    def truth(self) -> dict[int, GameState]:
        """Every game's state at this moment (what a fully caught-up silver.games must show)."""
        return dict(self.states)

    # ------------------------------------------------------------ records
    def game_records(self, slug: str, records: Iterable[Record]) -> list[Record]:
        """Records of a game-list endpoint (games, box scores, media, lines) as of the moment.

        Box scores exist only for final games (and show the first, wrong version of the corrected game
        until its correction); game records of unplayed games carry their status and no scores; every
        record carries the game's current start. Ordered by (current) start date, as the API orders.
        """
        key = "id" if slug == "games" else "gameId"
        out: list[Record] = []
        for r in records:
            state = self.states.get(r[key])
            if state is None:
                continue
            final = state.status == FINAL
            if slug in ("games_teams", "games_players") and not final:
                continue
            r = self._corrected(slug, r)
            stamp = iso(state.start)
            if slug == "games" and not final:
                r = {**r, "status": state.status, "startDate": stamp, "attendance": None,
                     "homePoints": UNPLAYED_POINTS, "awayPoints": UNPLAYED_POINTS, "homePeriodPoints": None,
                     "awayPeriodPoints": None, "homeWinner": None, "awayWinner": None, "homeTeamEloEnd": None,
                     "awayTeamEloEnd": None, "excitement": None}
            elif slug == "lines" and not final:
                r = {**r, "startDate": stamp, "homeScore": None, "awayScore": None}
            elif r.get("startDate") != stamp:
                r = {**r, "startDate": stamp}
            out.append(r)
        out.sort(key=lambda r: self.states[r[key]].start)
        return out

    def _corrected(self, slug: str, r: Record) -> Record:
        """The first (wrong) version of the corrected box score before its correction; else ``r``."""
        c = self.events.corrected
        if c is None or r.get("gameId") != c.game_id or self.moment >= c.corrected_at:
            return r
        if slug == "games_teams":
            side = "teamStats" if r["teamId"] == c.team_id else "opponentStats"
            return {**r, side: {**r[side], c.stat: r[side][c.stat] + c.delta}}
        if slug == "games_players" and r["teamId"] == c.team_id:
            players = [{**p, c.stat: p[c.stat] + c.delta} if p["athleteId"] == c.athlete_id else p
                       for p in r["players"]]
            return {**r, "players": players}
        return r

    def polls(self, records: Iterable[Record]) -> list[Record]:
        """Polls published by the moment."""
        stamp = iso(self.moment)
        return [r for r in records if str(r.get("pollDate") or "") <= stamp]
