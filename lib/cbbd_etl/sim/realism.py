"""How the real CBBD API *presents* records: the quirks of ``shared/cbbd/real-api-facts.md``.

Why a presentation layer apart from the record builders: the season's records
(:meth:`SimulatedSeason.records`) are the clean truth the tests, the demo and
the ratings compare against; the real API adds quirks on top of the same
facts (Eastern wall time labelled ``Z``, falsy numbers turned into ``null``,
``-1`` / ``""`` sentinels, integers where floats were, unrounded floats, rows
of non-D1 teams, plays out of order, ...). :class:`SimulatedApi` applies them
to each response, so the latent truth and every game result stay exactly as
simulated: only the shape and the presentation of records change.

On by default; ``RealismOptions.off()`` (``realism=False``) serves the clean
records. Every quirk is deterministic for a given season and seed, except the
one that depends on *when* a game is fetched (fact 1, early captures): that
state lives in :class:`FetchLog`, one per :class:`SimulatedApi`.

Records coming in are shared and cached: nothing here mutates them; every
change is made on a copy.
"""
from __future__ import annotations

import datetime as dt
import functools
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from .rng import derive_seed, rng

if TYPE_CHECKING:  # pragma: no cover
    from .season import SimulatedSeason

Record = dict[str, Any]
EASTERN_OFFSET_EST, EASTERN_OFFSET_EDT = 5, 4
ELO_KEYS = ("homeTeamEloStart", "homeTeamEloEnd", "awayTeamEloStart", "awayTeamEloEnd")
LINE_NUMBERS = ("spread", "overUnder", "homeMoneyline", "awayMoneyline", "spreadOpen", "overUnderOpen")
PLAY_SLUGS = frozenset({"plays_date", "plays_game", "plays_team", "plays_player", "plays_tournament"})
SENTINEL_GAME_OFFSET = 900_000_000     # ids of the extra games against an unknown (sentinel) opponent
NON_D1_TEAM_OFFSET = 800_000           # ids of the non-D1 teams in /teams and /stats/team/season
NON_D1_NAMES = ("Cotner College", "Holy Spirit", "North Plains", "Mount Harbor", "Saint Alder", "Valley Tech",
                "Coastal Christian", "Prairie View Bible", "Lake Forest Hills", "Bluestem")


@dataclass(frozen=True)
class RealismOptions:
    """Which real-API quirks the simulator adds, and how often (shares are of games, lines or rows)."""

    enabled: bool = True
    early_capture_share: float = 0.2      # 1, 10: first /games fetch of these games: Eastern-as-Z, no Elo keys
    lines_start_shift_share: float = 0.3  # 4: /lines startDate a few minutes off /games
    sentinel_game_every: int = 150        # 8: one extra game vs an unknown opponent (-1 / "") per N games
    sentinel_line_every: int = 100        # 8: one extra /lines row with gameId -1, season -1 per N lines
    blank_play_game_every: int = 25       # 8: plays of one game in N carry gameSourceId "", gameType ""
    moneyline_null_share: float = 0.3     # 11
    opening_lines_from: int = 2026        # 11: spreadOpen / overUnderOpen exist only from 2025-26
    non_d1_share: float = 0.5             # 12: non-D1 rows per D1 row in /stats/team/season
    unknown_source_share: float = 0.08    # 15: /teams rows that are non-D1 with sourceId "UNKNOWN#..."
    shuffle_plays: bool = True            # 3
    eastern_wallclock: bool = True        # 2
    int_floats: bool = True               # 14: integral floats served as integers
    unrounded_floats: bool = True         # 16: gameScore with floating-point noise
    api_units: bool = True                # 18: turnoverRatio per 100 (box) / 1-decimal fraction (season)
    falsy_to_null: bool = True            # 7

    @classmethod
    def off(cls) -> "RealismOptions":
        """The clean simulator: every record exactly as built."""
        return cls(enabled=False)


def resolve(realism: "bool | RealismOptions | None") -> RealismOptions:
    """``True``/``None`` → defaults, ``False`` → off, an options object → itself."""
    if isinstance(realism, RealismOptions):
        return realism
    return RealismOptions() if realism is None or realism else RealismOptions.off()


@dataclass
class FetchLog:
    """Which games a :class:`SimulatedApi` has already served on ``/games`` (fact 1: captures change)."""

    served: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_fetch(self, game_ids: Iterable[int]) -> set[int]:
        """The ids among ``game_ids`` served for the first time now (and remember them)."""
        with self.lock:
            new = {g for g in game_ids if g not in self.served}
            self.served |= new
            return new


def _share(share: float, *parts: object) -> bool:
    """A deterministic coin with probability ``share`` for ``parts``."""
    return derive_seed("realism", *parts) % 10_000 < share * 10_000


# ---------------------------------------------------------------- number presentation
_AS_IS = frozenset({int, str, bool, type(None)})


def drop_point_zero(value: Any) -> Any:
    """JSON numbers drop ``.0`` (fact 14): integral floats become ints, recursively (copies).

    Leaves of the exact types that never change (int, str, bool, None) are kept without a call: most leaves
    are such, and the call per leaf was most of the cost (~10 % of the stand-in API's CPU in a full season).
    """
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _AS_IS else drop_point_zero(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _AS_IS else drop_point_zero(v) for v in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: drop_point_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [drop_point_zero(v) for v in value]
    return value


def unrounded(value: float | None) -> float | None:
    """The float the server sends before any rounding (fact 16): ``51.9`` → ``51.900000000000006``.

    The builders round to one decimal; the API sums floats and sends the sum. Re-adding a tenth and taking
    it away reproduces the binary noise of such sums while keeping the value within 1e-12 of the truth.
    """
    if value is None or isinstance(value, bool):
        return value
    noisy = (float(value) + 0.1) - 0.1
    return noisy if noisy != value else float(value) + 7.105427357601002e-15


def eastern_as_z(iso_z: str) -> str:
    """A true-UTC ``...Z`` timestamp re-labelled as US-Eastern wall time with ``Z`` (facts 1, 2).

    Called once per play (~300 per game). The shift is a whole number of hours and DST begins and ends on
    an hour, so the answer depends on the date and hour alone: the first 13 characters map through a cache
    and the minutes, seconds and suffix are kept as they are.
    """
    return _eastern_hour(iso_z[:13]) + iso_z[13:]


@functools.lru_cache(maxsize=1 << 16)
def _eastern_hour(prefix: str) -> str:
    """``YYYY-MM-DDTHH`` in UTC → the same hour in US-Eastern wall time."""
    ts = dt.datetime.fromisoformat(prefix + ":00:00").replace(tzinfo=dt.timezone.utc)
    offset = EASTERN_OFFSET_EDT if _dst(ts) else EASTERN_OFFSET_EST
    return (ts - dt.timedelta(hours=offset)).isoformat(timespec="seconds")[:13]


def _dst(ts: dt.datetime) -> bool:
    """US daylight saving time (second Sunday of March to first Sunday of November, 2 am local)."""
    start, end = _dst_bounds(ts.year)
    return start <= ts < end


@functools.lru_cache(maxsize=None)
def _dst_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants DST starts and ends in ``year`` (2 am local, EST and EDT respectively)."""
    march = dt.datetime(year, 3, 8, 7, tzinfo=dt.timezone.utc)
    start = march + dt.timedelta(days=(6 - march.weekday()) % 7)
    nov = dt.datetime(year, 11, 1, 6, tzinfo=dt.timezone.utc)
    end = nov + dt.timedelta(days=(6 - nov.weekday()) % 7)
    return start, end


# ---------------------------------------------------------------- per endpoint
def present(slug: str, records: list[Record] | Record, season: "SimulatedSeason", opts: RealismOptions,
            log: FetchLog, params: dict[str, Any]) -> list[Record] | Record:
    """``records`` of endpoint ``slug`` as the real API would send them (a new list; inputs untouched)."""
    if not opts.enabled:
        return records
    if isinstance(records, dict):
        return drop_point_zero(records) if opts.int_floats else records
    fn = _BY_SLUG.get("plays" if slug in PLAY_SLUGS else slug)
    out = fn(records, season, opts, log, params) if fn else list(records)
    if opts.int_floats and slug not in PLAY_SLUGS:
        out = [drop_point_zero(r) for r in out]
    return out


def _games(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
           params: dict[str, Any]) -> list[Record]:
    first = log.first_fetch(r["id"] for r in records)
    out = []
    for r in records:
        r = dict(r)
        if r["id"] in first and _share(o.early_capture_share, s.seed, "early", r["id"]):
            # an early-2025 capture: Eastern wall time labelled Z, and no per-game Elo yet (facts 1, 10)
            r["startDate"] = eastern_as_z(r["startDate"])
            for k in ELO_KEYS:
                r.pop(k, None)
        if o.falsy_to_null and not r.get("excitement"):
            r["excitement"] = None                                   # fact 7
        if r.get("status") not in ("final", "in_progress"):
            r["homePoints"] = r["homePoints"] or 0                  # fact 13: scheduled games show 0-0
            r["awayPoints"] = r["awayPoints"] or 0
        out.append(r)
        if o.sentinel_game_every and r["id"] % o.sentinel_game_every == 0 and params.get("team") is None:
            out.append(_sentinel_game(r))                            # fact 8
    return out


def _sentinel_game(r: Record) -> Record:
    """An extra game of the same home team against an opponent the API does not know: -1 and ""."""
    twin = dict(r)
    twin.update({"id": SENTINEL_GAME_OFFSET + r["id"], "sourceId": str(500_000_000 + r["id"]),
                 "awayTeamId": -1, "awayTeam": "", "awayConferenceId": None, "awayConference": None,
                 "awaySeed": None, "neutralSite": False, "conferenceGame": False, "tournament": None})
    for k in ELO_KEYS:
        if k.startswith("away") and k in twin:
            twin[k] = None
    return twin


def _box_teams(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
               params: dict[str, Any]) -> list[Record]:
    out = []
    for r in records:
        r = dict(r)
        for key in ("teamStats", "opponentStats"):
            st = dict(r[key])
            if o.unrounded_floats:
                st["gameScore"] = unrounded(st.get("gameScore"))
            if o.api_units:
                st["fourFactors"] = _box_four_factors(st)
            r[key] = st
        out.append(r)
    return out


def _box_four_factors(st: Record) -> Record:
    """Fact 18: turnoverRatio is turnovers per 100 possessions, offensiveReboundPct is OREB / own rebounds."""
    ff = dict(st["fourFactors"])
    tov, poss = st["turnovers"]["total"], st["possessions"]
    orb, reb = st["rebounds"]["offensive"], st["rebounds"]["total"]
    ff["turnoverRatio"] = round(100.0 * tov / poss, 1) if poss else None
    ff["offensiveReboundPct"] = round(100.0 * orb / reb, 1) if reb else None
    return ff


def _box_players(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
                 params: dict[str, Any]) -> list[Record]:
    if not o.unrounded_floats:
        return list(records)
    out = []
    for r in records:
        r = dict(r)
        r["players"] = [{**p, "gameScore": unrounded(p.get("gameScore"))} for p in r["players"]]
        out.append(r)
    return out


def _lines(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
           params: dict[str, Any]) -> list[Record]:
    out = []
    for r in records:
        r = dict(r)
        gid = r["gameId"]
        if _share(o.lines_start_shift_share, s.seed, "line-start", gid):           # fact 4
            ts = dt.datetime.strptime(r["startDate"][:19], "%Y-%m-%dT%H:%M:%S")
            minutes = 1 + derive_seed("realism", "line-minutes", gid) % 9
            r["startDate"] = (ts + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S") + r["startDate"][19:]
        lines = []
        for line in r["lines"]:
            line = dict(line)
            if _share(o.moneyline_null_share, s.seed, "moneyline", gid, line["provider"]):   # fact 11
                line["homeMoneyline"] = line["awayMoneyline"] = None
            if r["season"] < o.opening_lines_from:
                line["spreadOpen"] = line["overUnderOpen"] = None
            if o.falsy_to_null:                                                      # fact 7
                for k in LINE_NUMBERS:
                    if not line.get(k):
                        line[k] = None
            lines.append(line)
        r["lines"] = lines
        out.append(r)
        if o.sentinel_line_every and gid % o.sentinel_line_every == 0:          # fact 8
            out.append({**r, "gameId": -1, "season": -1})
    return out


def _plays(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
           params: dict[str, Any]) -> list[Record]:
    by_game: dict[int, list[Record]] = {}
    for p in records:
        by_game.setdefault(p["gameId"], []).append(p)
    out: list[Record] = []
    for gid, plays in by_game.items():
        blank = bool(o.blank_play_game_every) and gid % o.blank_play_game_every == 0
        null_at = derive_seed("realism", "wallclock-null", gid) % len(plays)
        game: list[Record] = []
        for i, p in enumerate(plays):
            p = dict(p)
            src = p["sourceId"]
            p["sourceId"] = src[:9] + src[9:].zfill(9)                   # fact 15: 18-digit strings
            if o.eastern_wallclock and p["wallclock"] is not None:     # fact 2
                p["wallclock"] = None if i == null_at else eastern_as_z(p["wallclock"])
            if blank:                                                  # fact 8
                p["gameSourceId"], p["gameType"] = "", ""
            game.append(p)
        if o.shuffle_plays:                                            # fact 3
            rng(s.seed, "realism-order", gid).shuffle(game)
        out += game
    return out


def _stats_team_season(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
                       params: dict[str, Any]) -> list[Record]:
    out = []
    for r in records:
        r = dict(r)
        if o.api_units:                                                 # fact 18: a 1-decimal fraction
            for key in ("teamStats", "opponentStats"):
                ff = dict(r[key]["fourFactors"])
                if ff.get("turnoverRatio") is not None:
                    ff["turnoverRatio"] = round(ff["turnoverRatio"], 1)
                r[key] = {**r[key], "fourFactors": ff}
        out.append(r)
    if o.non_d1_share and params.get("team") is None and params.get("conference") is None and records:
        n = max(1, round(len(records) * o.non_d1_share))
        d1 = list(out)
        out += [_non_d1_stats(d1[i % len(d1)], i, s) for i in range(n)]              # fact 12
    return out


def _non_d1_name(i: int, s: "SimulatedSeason") -> str:
    """Non-D1 names; every third (from the second) repeats a D1 school's name (fact 21: names are not unique)."""
    if i % 3 == 1 and s.league.teams:
        return s.league.teams[(i // 3) % len(s.league.teams)].school
    return f"{NON_D1_NAMES[i % len(NON_D1_NAMES)]}{'' if i < len(NON_D1_NAMES) else f' {i // len(NON_D1_NAMES) + 1}'}"


def _per_game(unit: Record, games: int) -> Record:
    """A season unit scaled to one game: counts divided and rounded, percentages kept."""
    out: Record = {}
    for k, v in unit.items():
        if isinstance(v, dict):
            out[k] = _per_game(v, games) if k != "fourFactors" else dict(v)
        elif isinstance(v, bool) or v is None or k in ("pct", "rating", "trueShooting"):
            out[k] = v
        elif isinstance(v, (int, float)):
            out[k] = round(v / games) if isinstance(v, int) else round(v / games, 1)
        else:
            out[k] = v
    return out


def _non_d1_stats(template: Record, i: int, s: "SimulatedSeason") -> Record:
    """A non-D1 team's season line: its one game against a D1 opponent (conference null, games 1)."""
    games = max(1, int(template["games"]))
    rec = dict(template)
    rec.update({"teamId": NON_D1_TEAM_OFFSET + i, "team": _non_d1_name(i, s), "conference": None, "games": 1,
                "wins": 0, "losses": 1, "totalMinutes": 40,
                "teamStats": _per_game(template["teamStats"], games),
                "opponentStats": _per_game(template["opponentStats"], games)})
    if i % 4 == 0:      # some carry no possessions and no ratings
        for key in ("teamStats", "opponentStats"):
            rec[key] = {**rec[key], "possessions": 0, "rating": None}
    return rec


def _teams(records: list[Record], s: "SimulatedSeason", o: RealismOptions, log: FetchLog,
           params: dict[str, Any]) -> list[Record]:
    out = list(records)
    if not o.unknown_source_share or params.get("conference") is not None or not records:
        return out
    n = max(2, round(len(records) * o.unknown_source_share / (1.0 - o.unknown_source_share)))
    for i in range(n):                                                    # facts 15, 21
        name = _non_d1_name(i, s)
        out.append({"id": NON_D1_TEAM_OFFSET + i, "sourceId": f"UNKNOWN#{name}", "school": name, "mascot": None,
                    "abbreviation": None, "displayName": name, "shortDisplayName": name, "primaryColor": None,
                    "secondaryColor": None, "currentVenueId": None, "currentVenue": None, "currentCity": None,
                    "currentState": None, "conferenceId": None, "conference": None, "logos": []})
    return out


_BY_SLUG = {
    "games": _games, "games_teams": _box_teams, "games_players": _box_players, "lines": _lines,
    "plays": _plays, "stats_team_season": _stats_team_season, "teams": _teams,
}
