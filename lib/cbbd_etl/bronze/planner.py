"""The call planner: the fewest API calls that fetch every record of the chosen endpoints.

Why a planner at all: the free tier is 1,000 calls a month, and the naive
plan for one season (plays, substitutions and lineups per game) needs about
18,000. The same records are reachable through cheaper scopes:

* **plays by date** – one call per game day (~150 a season) instead of one
  per game (~6,000);
* **substitutions and lineups by team** for a season – one call per team
  (~362 each); for a few recent days (incremental runs) whichever of "by
  game" and "by team" needs fewer calls;
* **shooting stats by conference** – the API needs ``team`` or
  ``conference``; ~32 conferences instead of ~362 teams;
* **capped game lists** (``/games``, box scores, media, lines) in date
  chunks sized to stay under the result cap ("the first 3,000 games",
  "the first 1,000 games" for player box scores).

The plan is *staged* because the fan-out depends on data: stage 1 fetches
what needs nothing (reference lists, season documents, ``/games`` in chunks
sized from a per-day estimate, ``/teams``, ``/conferences``); stage 2 reads
the game days, teams and conferences from bronze (that run's or an earlier
one's) and plans per date, per team, per conference, and packs the other
game lists into chunks from the *exact* number of games per day.

Capped chunks are adaptive: a response that reaches the cap is treated as
incomplete ("first N ... ordered by start date") and a continuation from its
last date is planned; its manifest records ``saturated`` so a resumed run
expands it the same way.

Incremental runs follow a season in progress (docs/ingestion.md, "A season in
progress"): they re-fetch the window of the last ``window_days`` days ending at
``as_of`` and every earlier day of the season that is not *complete* in the
:class:`DayLedger` read from bronze. A day is complete only when the latest
``/games`` fetch covering it was made after the day was over and showed every
game of it ``final``, ``cancelled`` or ``postponed``; a day on or after
``as_of`` never is.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from ..api.endpoints import Endpoint, get_endpoint
from ..errors import UserError
from ..seasons import season_window
from .store import BronzeStore, data_key, list_manifests, manifest_key, read_body, request_hash

MODES = ("backfill", "incremental")

# Expected games per day by calendar month (NCAA D1, ~6,000 games a season including non-D1 opponents).
# Only used to size the first /games chunks before any game list exists; an under-estimate costs one
# continuation call, never data.
GAMES_PER_DAY_BY_MONTH = {11: 45.0, 12: 40.0, 1: 45.0, 2: 45.0, 3: 30.0, 4: 3.0}
# Records per game of each capped game-list endpoint (box scores: one record per team and game).
RECORDS_PER_GAME = {"games": 1, "games_teams": 2, "games_players": 2, "games_media": 1, "lines": 1}
# What the documented cap counts: "Returns ... on the first 3000 games that match" -> games.
CAP_UNIT = "games"
FILL_ESTIMATED = 0.8   # chunks from the per-day estimate aim at 80% of the cap
FILL_EXACT = 0.95      # chunks from the exact game counts aim at 95% (games added later are rare)

# The date-range parameters' wire format (ISO 8601 timestamps, as the SDK sends them).
RANGE_START = "{d}T00:00:00Z"
RANGE_END = "{d}T23:59:59.999Z"

# Estimates for a dry run when no bronze and no simulator is used.
ESTIMATED_TEAMS = 362
ESTIMATED_CONFERENCES = 32


# ---------------------------------------------------------------- calls
@dataclass(frozen=True)
class Call:
    """One planned API request: endpoint, wire parameters (path ones included), bronze partition."""

    slug: str
    params: tuple[tuple[str, str], ...]
    season: int | None
    date: str | None = None            # bronze date= partition (date-scoped endpoints)
    stage: int = 1
    force: bool = False                # incremental: re-fetch even when a manifest exists
    note: str = ""                     # why it is in the plan ("prerequisite", "continuation", ...)
    range_: tuple[str, str] | None = None  # date chunk (inclusive) of a capped date_range call
    as_of: str | None = None           # incremental: the run's as-of date, kept in the manifest (DayLedger)

    @staticmethod
    def make(endpoint: Endpoint, params: Mapping[str, object], season: int | None, **kw: Any) -> "Call":
        wire = tuple(sorted((k, _wire(v)) for k, v in params.items()))
        endpoint.concrete(dict(wire))  # validate names and required parameters now, not at fetch time
        return Call(endpoint.slug, wire, season, **kw)

    @property
    def endpoint(self) -> Endpoint:
        return get_endpoint(self.slug)

    @cached_property
    def _concrete(self) -> tuple[str, dict[str, str]]:
        return self.endpoint.concrete(dict(self.params))

    @property
    def path(self) -> str:
        return self._concrete[0]

    @property
    def query(self) -> dict[str, str]:
        return self._concrete[1]

    @property
    def request_hash(self) -> str:
        return request_hash(self.path, self.query)

    @property
    def data_key(self) -> str:
        return data_key(self.slug, self.season, self.request_hash, self.date)

    @property
    def manifest_key(self) -> str:
        return manifest_key(self.data_key)

    def describe(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.path}{'?' + q if q else ''}"


def _wire(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- facts the fan-out needs
@dataclass(frozen=True)
class GameFact:
    id: int
    date: str              # UTC date of the start, YYYY-MM-DD
    home: str | None
    away: str | None
    tournament: str | None = None


@dataclass
class SeasonFacts:
    """Game days, teams and conferences of one season, and where they came from."""

    season: int
    games: list[GameFact] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)      # /teams records (school, conference, id)
    conferences: list[dict[str, Any]] = field(default_factory=list)  # /conferences records
    players: list[int] = field(default_factory=list)               # from /teams/roster (opt-in endpoints)
    source: str = "bronze"

    @property
    def games_per_day(self) -> Counter:
        return Counter(g.date for g in self.games)

    @property
    def game_days(self) -> list[str]:
        return sorted(self.games_per_day)

    def team_names(self) -> list[str]:
        """Teams to fan out over: the season's teams that played at least one game (all, if no games known)."""
        playing = {n for g in self.games for n in (g.home, g.away) if n}
        names = sorted({str(t["school"]) for t in self.teams if t.get("school")})
        return [n for n in names if n in playing] if playing else names

    def conference_params(self) -> tuple[list[str], list[str]]:
        """(conference abbreviations to query, teams without a conference to query one by one)."""
        by_any: dict[str, str] = {}
        for c in self.conferences:
            abbr = c.get("abbreviation") or c.get("shortName") or c.get("name")
            for k in ("abbreviation", "shortName", "name"):
                if c.get(k):
                    by_any[str(c[k])] = str(abbr)
        playing = set(self.team_names())
        confs: set[str] = set()
        loose: list[str] = []
        for t in self.teams:
            if t.get("school") not in playing:
                continue
            conf = t.get("conference")
            if conf:
                confs.add(by_any.get(str(conf), str(conf)))
            else:
                loose.append(str(t["school"]))
        return sorted(confs), sorted(loose)


def facts_from_bronze(store: BronzeStore, season: int, players: bool = False) -> SeasonFacts:
    """Facts from bronze responses already fetched (this run's or earlier runs').

    ``players`` also reads the rosters (only the opt-in by-player endpoints need them).
    """
    facts = SeasonFacts(season=season, source="bronze")
    latest: dict[int, GameFact] = {}
    # oldest fetch first, so a game's latest record wins (a postponed game moves to its new date)
    for m in sorted(list_manifests(store, "games", season), key=fetch_order):
        for rec in _records(store, m):
            g = game_fact(rec)
            if g:
                latest[g.id] = g
    facts.games = list(latest.values())
    facts.teams = _dedup([r for m in list_manifests(store, "teams", season) for r in _records(store, m)], "id")
    facts.conferences = _dedup([r for m in list_manifests(store, "conferences", None)
                                for r in _records(store, m)], "id")
    if players:
        ids = {p.get("id") for m in list_manifests(store, "teams_roster", season) for r in _records(store, m)
               for p in (r.get("players") or []) if isinstance(p, dict)}
        facts.players = sorted(p for p in ids if isinstance(p, int))
    facts.games.sort(key=lambda g: (g.date, g.id))
    return facts


def _records(store: BronzeStore, manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    doc = read_body(store, manifest)
    return [r for r in doc if isinstance(r, dict)] if isinstance(doc, list) else []


def _dedup(records: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for r in records:
        out.setdefault(r.get(key), r)
    return list(out.values())


def game_fact(rec: Mapping[str, Any]) -> GameFact | None:
    gid = rec.get("id")
    start = rec.get("startDate")
    if not isinstance(gid, int) or not start:
        return None
    return GameFact(gid, utc_date(str(start)), rec.get("homeTeam"), rec.get("awayTeam"), rec.get("tournament"))


def utc_date(timestamp: str) -> str:
    """The UTC calendar date of an ISO timestamp (``2023-11-07T00:30:00.000Z`` → ``2023-11-07``)."""
    text = timestamp.strip().replace("Z", "+00:00")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text[:10]
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return when.date().isoformat()


# ---------------------------------------------------------------- what earlier fetches knew
DONE_STATUSES = frozenset({"final", "cancelled", "postponed"})


def fetched_as_of(manifest: Mapping[str, Any]) -> str:
    """The date a response describes: the run's ``as_of`` (incremental runs record it), else the UTC date
    it was fetched (backfills of past seasons)."""
    return str(manifest.get("as_of") or utc_date(str(manifest.get("fetched_at") or "")))


def fetch_order(manifest: Mapping[str, Any]) -> tuple[str, str]:
    """Oldest first: by the date the response describes, then by when it was written."""
    return fetched_as_of(manifest), str(manifest.get("fetched_at") or "")


def manifest_range(manifest: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (inclusive) UTC days a ``/games`` response covers, from its recorded range or its parameters."""
    span = manifest.get("range")
    if isinstance(span, (list, tuple)) and len(span) == 2:
        return str(span[0]), str(span[1])
    params = manifest.get("params") or {}
    start, end = params.get("startDateRange"), params.get("endDateRange")
    return (utc_date(str(start)), utc_date(str(end))) if start and end else None


@dataclass(frozen=True)
class DayLedger:
    """Per UTC day of a season, what the latest ``/games`` fetch covering it knew.

    Why per day and not per request: the window moves every day, so no two daily requests are the
    same; what persists is knowledge about days. ``seen`` maps a day to the as-of date of its latest
    fetch; ``complete`` holds the days that fetch showed over and settled (every game final, cancelled
    or postponed, or no game at all). Anything else (never fetched, fetched while scheduled or in
    progress) is open and is fetched again.
    """

    season: int
    seen: Mapping[str, str] = field(default_factory=dict)
    complete: frozenset[str] = frozenset()

    def open_days(self, until: dt.date) -> list[str]:
        """Days of the season before ``until`` that are not complete (never fetched or not settled)."""
        lo, hi = season_window(self.season)
        end = min(hi, until - dt.timedelta(days=1))
        return [d.isoformat() for d in _days(lo, end) if d.isoformat() not in self.complete]


def day_ledger(season: int, fetches: Iterable[tuple[Mapping[str, Any], list[dict[str, Any]]]]) -> DayLedger:
    """The ledger from ``(manifest, records)`` pairs of ``/games`` responses (any order)."""
    latest: dict[str, tuple[tuple[str, str], str, bool]] = {}
    for manifest, records in fetches:
        span = manifest_range(manifest)
        if span is None:
            continue
        order, as_of = fetch_order(manifest), fetched_as_of(manifest)
        # a record without a status (not the real API) cannot say more than its fetch time: settled
        unsettled = {utc_date(str(r.get("startDate"))) for r in records
                     if r.get("startDate") and r.get("status") and str(r["status"]).lower() not in DONE_STATUSES}
        for d in _days(dt.date.fromisoformat(span[0]), dt.date.fromisoformat(span[1])):
            day = d.isoformat()
            if day not in latest or order > latest[day][0]:
                latest[day] = (order, as_of, day < as_of and day not in unsettled)
    return DayLedger(season, {d: v[1] for d, v in latest.items()},
                     frozenset(d for d, v in latest.items() if v[2]))


def day_ledger_from_bronze(store: BronzeStore, season: int) -> DayLedger:
    """The ledger of every ``/games`` response of ``season`` in bronze."""
    return day_ledger(season, ((m, _records(store, m)) for m in list_manifests(store, "games", season)))


def day_spans(days: Iterable[str]) -> list[tuple[str, str]]:
    """Consecutive ISO days as inclusive (start, end) spans: ``[1, 2, 3, 7]`` → ``[(1, 3), (7, 7)]``."""
    spans: list[list[str]] = []
    for day in sorted(set(days)):
        if spans and dt.date.fromisoformat(spans[-1][1]) + dt.timedelta(days=1) == dt.date.fromisoformat(day):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return [(a, b) for a, b in spans]


def facts_from_source(source: Any, season: int) -> SeasonFacts:
    """Facts straight from a query source (the simulator) without HTTP: for dry runs with no bronze yet."""
    facts = SeasonFacts(season=season, source="simulator")
    endpoint = get_endpoint("games")
    seen: set[int] = set()
    pending = list(estimated_chunks("games", season))
    while pending:
        start, end = pending.pop(0)
        records = source.query("/games", dict(range_params(endpoint, season, start, end)))
        for rec in records:
            g = game_fact(rec)
            if g and g.id not in seen:
                seen.add(g.id)
                facts.games.append(g)
        more = continuation("games", records, start, end)
        if more:
            pending[:0] = more
    facts.teams = list(source.query("/teams", {"season": str(season)}))
    facts.conferences = list(source.query("/conferences", {}))
    facts.games.sort(key=lambda g: (g.date, g.id))
    return facts


def facts_from_estimate(season: int) -> SeasonFacts:
    """A full D1 season by rule of thumb: 362 teams in 32 conferences, games from early November to the
    title game in early April (no games on December 24-25), ~6,000 games."""
    start, end = typical_season_days(season)
    facts = SeasonFacts(season=season, source="estimate")
    gid = 0
    day = start
    while day <= end:
        if not (day.month == 12 and day.day in (24, 25)):
            for _ in range(max(1, round(GAMES_PER_DAY_BY_MONTH.get(day.month, 0.0)))):
                gid += 1
                facts.games.append(GameFact(gid, day.isoformat(), None, None))
        day += dt.timedelta(days=1)
    facts.conferences = [{"id": i, "abbreviation": f"C{i:02d}"} for i in range(ESTIMATED_CONFERENCES)]
    facts.teams = [{"id": i, "school": f"Team {i:03d}", "conference": f"C{i % ESTIMATED_CONFERENCES:02d}"}
                   for i in range(ESTIMATED_TEAMS)]
    return facts


def typical_season_days(season: int) -> tuple[dt.date, dt.date]:
    """First Monday on or after November 3 to the first Monday on or after April 3 (the title game)."""
    def monday_on_or_after(d: dt.date) -> dt.date:
        return d + dt.timedelta(days=(7 - d.weekday()) % 7)

    return monday_on_or_after(dt.date(season - 1, 11, 3)), monday_on_or_after(dt.date(season, 4, 3))


# ---------------------------------------------------------------- date chunks
def range_params(endpoint: Endpoint, season: int, start: str, end: str) -> dict[str, str]:
    params = {"startDateRange": RANGE_START.format(d=start), "endDateRange": RANGE_END.format(d=end)}
    if endpoint.season_param:
        params[endpoint.season_param] = str(season)
    return params


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def _limit(slug: str, fill: float) -> float:
    cap = get_endpoint(slug).cap or 0
    per_game = 1 if CAP_UNIT == "games" else RECORDS_PER_GAME.get(slug, 1)
    return cap * fill / per_game  # in games


def estimated_chunks(slug: str, season: int, start: dt.date | None = None,
                     end: dt.date | None = None) -> list[tuple[str, str]]:
    """Chunks of the season window whose *estimated* games stay under the cap (adaptive if wrong)."""
    lo, hi = season_window(season)
    start, end = max(start or lo, lo), min(end or hi, hi)
    counts = {d.isoformat(): GAMES_PER_DAY_BY_MONTH.get(d.month, 0.0) for d in _days(start, end)}
    return pack_days(counts, _limit(slug, FILL_ESTIMATED), start.isoformat(), end.isoformat())


def exact_chunks(slug: str, season: int, games_per_day: Mapping[str, int], start: dt.date | None = None,
                 end: dt.date | None = None) -> list[tuple[str, str]]:
    """Chunks of the season window packed from the exact games per day (stage 2)."""
    lo, hi = season_window(season)
    start, end = max(start or lo, lo), min(end or hi, hi)
    counts = {d.isoformat(): float(games_per_day.get(d.isoformat(), 0)) for d in _days(start, end)}
    return pack_days(counts, _limit(slug, FILL_EXACT), start.isoformat(), end.isoformat())


def pack_days(counts: Mapping[str, float], limit: float, start: str, end: str) -> list[tuple[str, str]]:
    """Greedy: consecutive days into chunks whose summed count stays ≤ ``limit``; covers start..end exactly."""
    if start > end:
        return []
    chunks: list[tuple[str, str]] = []
    days = sorted(d for d in counts if start <= d <= end)
    chunk_start, total = days[0], 0.0
    prev = days[0]
    for d in days:
        if total + counts[d] > limit and total > 0:
            chunks.append((chunk_start, prev))
            chunk_start, total = d, 0.0
        total += counts[d]
        prev = d
    chunks.append((chunk_start, prev))
    return chunks


def is_saturated(slug: str, records: Any) -> bool:
    """Whether a capped response reached its cap (so it may be missing games after its last date).

    The documented caps count games ("the first 1000 games"), and box scores
    carry one record per team and game, so the test counts distinct game
    ids; records without one are counted as they are.
    """
    cap = get_endpoint(slug).cap
    if not cap or not isinstance(records, list):
        return False
    games = {r.get("gameId", r.get("id")) for r in records if isinstance(r, dict)}
    games.discard(None)
    return (len(games) if games else len(records)) >= cap


def continuation(slug: str, records: Any, start: str, end: str) -> list[tuple[str, str]]:
    """The chunk(s) still to fetch after a saturated response (empty when not saturated).

    Results are "the first N games ordered by start date", so everything
    before the last date seen is complete: continue from that date. If the
    cap was reached within the first day, halve the chunk instead; a single
    day over the cap cannot be split by date and is reported by the caller.
    """
    if not is_saturated(slug, records):
        return []
    dates = [utc_date(str(r.get("startDate") or r.get("gameStartDate") or "")) for r in records
             if isinstance(r, dict) and (r.get("startDate") or r.get("gameStartDate"))]
    last = max(dates) if dates else start
    if start < last <= end:
        return [(last, end)]
    if start == end:
        return []
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    mid = a + (b - a) // 2
    return [(start, mid.isoformat()), ((mid + dt.timedelta(days=1)).isoformat(), end)]


# ---------------------------------------------------------------- the plan
PREREQUISITES = {
    "date": ("games",), "game": ("games",), "tournament_season": ("games",),
    "team_season": ("teams", "games"), "team_id_season": ("teams",),
    "conference_season": ("teams", "conferences", "games"), "player_season": ("teams_roster",),
}
STAGE1_SCOPES = ("snapshot", "season")


@dataclass
class PlanOptions:
    mode: str = "backfill"
    window_days: int = 7
    as_of: dt.date | None = None

    def window(self, season: int) -> tuple[dt.date, dt.date] | None:
        """Incremental window ∩ the season window (None in backfill mode or when they do not meet)."""
        if self.mode != "incremental":
            return None
        as_of = self.today()
        lo, hi = season_window(season)
        start, end = max(lo, as_of - dt.timedelta(days=max(0, self.window_days - 1))), min(hi, as_of)
        return (start, end) if start <= end else None

    def today(self) -> dt.date:
        """The as-of date (default: today, UTC)."""
        return self.as_of or dt.datetime.now(dt.timezone.utc).date()


class Planner:
    """Builds the staged plan for (seasons, endpoints, mode)."""

    def __init__(self, endpoints: Sequence[Endpoint], seasons: Sequence[int], options: PlanOptions | None = None,
                 ledgers: Mapping[int, DayLedger] | None = None):
        self.options = options or PlanOptions()
        # incremental: what earlier fetches knew per day (None: only the window is re-fetched)
        self.ledgers = dict(ledgers) if ledgers is not None else None
        if self.options.mode not in MODES:
            raise UserError(f"mode must be one of {', '.join(MODES)}, got {self.options.mode!r}")
        self.endpoints = list(endpoints)
        self.seasons = list(seasons)
        chosen = {e.slug for e in self.endpoints}
        needed: set[str] = set()
        for e in self.endpoints:
            needed.update(PREREQUISITES.get(e.scope, ()))
            if e.scope == "date_range" and e.slug != "games":
                needed.add("games")
        self.prerequisites = sorted(needed - chosen)
        self.stage1_endpoints = [e for e in self.endpoints if e.scope in STAGE1_SCOPES or e.slug == "games"]
        self.stage1_endpoints += [get_endpoint(s) for s in self.prerequisites]
        self.stage2_endpoints = [e for e in self.endpoints if e not in self.stage1_endpoints]

    @property
    def needs_players(self) -> bool:
        return any(e.scope == "player_season" for e in self.stage2_endpoints)

    @property
    def incremental(self) -> bool:
        return self.options.mode == "incremental"

    def needs_facts(self) -> bool:
        return bool(self.stage2_endpoints)

    def refresh_days(self, season: int) -> list[str] | None:
        """Incremental: the UTC days of ``season`` to fetch again (None in backfill mode: everything).

        The window (last ``window_days`` days up to ``as_of``) plus, when a ledger is known, every earlier
        open day of the season: never fetched, or fetched before it was over or while a game of it was
        not settled. Nothing after ``as_of`` (the future has nothing to fetch yet).
        """
        if not self.incremental:
            return None
        window = self.options.window(season)
        days = {d.isoformat() for d in _days(*window)} if window else set()
        ledger = (self.ledgers or {}).get(season)
        if ledger is not None:
            days.update(ledger.open_days(self.options.today()))
        return sorted(days)

    def _stamp(self, calls: list[Call]) -> list[Call]:
        """Incremental calls carry the run's as-of date into their manifests (the next run's ledger)."""
        if not self.incremental:
            return calls
        as_of = self.options.today().isoformat()
        return [c if c.as_of == as_of else replace(c, as_of=as_of) for c in calls]

    # ------------------------------------------------------------ stage 1
    def stage1(self) -> list[Call]:
        calls: list[Call] = []
        for e in self.stage1_endpoints:
            note = "prerequisite" if e.slug in self.prerequisites else ""
            if e.scope == "snapshot":
                if e.live and not self.incremental:
                    continue  # a live scoreboard only makes sense in incremental runs
                calls.append(Call.make(e, {}, None, note=note, force=e.live))
            elif e.scope == "season":
                for s in self.seasons:
                    calls.append(Call.make(e, {e.season_param or "season": s}, s, note=note,
                                           force=self._refresh_season_docs(s)))
            elif e.slug == "games":
                for s in self.seasons:
                    days = self.refresh_days(s)
                    spans = day_spans(days) if days is not None else [(None, None)]
                    for a, b in spans:
                        lo, hi = (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) if a and b else (None, None)
                        for start, end in estimated_chunks("games", s, lo, hi):
                            calls.append(Call.make(e, range_params(e, s, start, end), s, note=note,
                                                   range_=(start, end), force=days is not None))
        return self._stamp(calls)

    def _refresh_season_docs(self, season: int) -> bool:
        """Season documents (ratings, stats, rankings) change while a season runs: incremental re-fetches
        the ones of a season whose window is open."""
        return self.incremental and self.options.window(season) is not None

    # ------------------------------------------------------------ stage 2
    def stage2(self, facts: SeasonFacts) -> list[Call]:
        s = facts.season
        window = self.options.window(s)
        days = self.refresh_days(s)
        if days is not None and not days:
            return []
        wanted = set(days or ())
        in_window = (lambda d: d in wanted) if days is not None else (lambda d: True)
        # Games after "today" have no plays, substitutions or lineups yet: asking would store empty answers
        # that a backfill then treats as done. Incremental runs pick those days up once they are played.
        today = (self.options.as_of or dt.datetime.now(dt.timezone.utc).date()).isoformat()
        games = [g for g in facts.games if in_window(g.date) and g.date <= today]
        force = days is not None
        calls: list[Call] = []
        for e in self.stage2_endpoints:
            if e.scope == "date_range":
                for a, b in (day_spans(days) if days is not None else [(None, None)]):
                    lo, hi = (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) if a and b else (None, None)
                    for start, end in exact_chunks(e.slug, s, facts.games_per_day, lo, hi):
                        calls.append(Call.make(e, range_params(e, s, start, end), s, stage=2,
                                               range_=(start, end), force=force))
            elif e.scope == "date":
                for day in sorted({g.date for g in games}):
                    calls.append(Call.make(e, {"date": day}, s, date=day, stage=2, force=force))
            elif e.scope == "game":
                calls.extend(Call.make(e, {"gameId": g.id}, s, stage=2, force=force) for g in games)
            elif e.scope == "team_season":
                calls.extend(self._team_calls(e, s, facts, games, window if days is None else (
                    dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])), force))
            elif e.scope == "conference_season":
                conferences, loose = facts.conference_params()
                base = {e.season_param or "season": s}
                calls.extend(Call.make(e, {**base, "conference": c}, s, stage=2, force=force) for c in conferences)
                calls.extend(Call.make(e, {**base, "team": t}, s, stage=2, force=force, note="no conference")
                             for t in loose)
            elif e.scope == "tournament_season":
                for t in sorted({g.tournament for g in facts.games if g.tournament}):
                    calls.append(Call.make(e, {"tournament": t, "season": s}, s, stage=2, force=force))
            elif e.scope == "team_id_season":
                calls.extend(Call.make(e, {"teamId": t["id"], "season": s}, s, stage=2, force=force)
                             for t in facts.teams if isinstance(t.get("id"), int))
            elif e.scope == "player_season":
                calls.extend(Call.make(e, {"playerId": p, "season": s}, s, stage=2, force=force)
                             for p in facts.players)
        return self._stamp(calls)

    def _team_calls(self, e: Endpoint, season: int, facts: SeasonFacts, games: list[GameFact],
                    window: tuple[dt.date, dt.date] | None, force: bool) -> list[Call]:
        """By team for a season; in an incremental window, by game when that needs fewer calls.

        The by-team call stays season-long even in a window: a lineup record
        is an aggregate over the games its request covers, so a windowed
        by-team request would return different records under the same
        natural key as the season-long one.
        """
        base = {e.season_param or "season": season}
        if window is None:
            return [Call.make(e, {**base, "team": t}, season, stage=2) for t in facts.team_names()]
        playing = sorted({n for g in games for n in (g.home, g.away) if n})
        team_calls = [Call.make(e, {**base, "team": t}, season, stage=2, force=True) for t in playing]
        twin = _game_twin(e)
        if twin and len(games) < len(team_calls):
            return [Call.make(get_endpoint(twin), {"gameId": g.id}, season, stage=2, force=True,
                              note="window by game") for g in games]
        return team_calls


def _game_twin(e: Endpoint) -> str | None:
    """The by-game endpoint carrying the same records as a by-team one (substitutions, lineups)."""
    from ..api.endpoints import ENDPOINTS

    for other in ENDPOINTS:
        if other.scope == "game" and other.covered_by == e.slug:
            return other.slug
    return None


# ---------------------------------------------------------------- dry-run summary
def summarize(calls: Iterable[Call]) -> dict[str, int]:
    out: Counter = Counter(c.slug for c in calls)
    return dict(sorted(out.items()))
