"""``simulate_season``: one simulated season, its latent truth, and every endpoint's records.

Building a season plays every game in counter-only mode (see
:mod:`.engine`); all other records are built lazily, per endpoint slug, the
first time they are asked for, and cached — except plays, substitutions and
lineups of individual games, which are re-simulated on demand from the game's
seed (an LRU keeps recent games; tiny and demo keep every replay; a ``full`` season keeps the rest of its
replays as packed event arrays, ~15 kB a game) so that a 2-million-play ``full`` season never sits in memory
unless ``records("plays_date")`` is called.

Records are plain JSON-ready dicts in the exact shapes of the official SDK
models (``cbbd==1.30.1``). Nested ``{"name", "id"}`` dicts in plays are shared
between records of one game: treat records as read-only.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import threading
from array import array
from collections import OrderedDict
from typing import Any, Callable, Iterable, Iterator

from .engine import GameOutcome, TeamSide, simulate_game
from .league import League, Team, build_league, size_spec
from .players import Player, roster
from .schedule import Game, build_games, season_dates
from .truth import SeasonTruth, build_side, season_truth

Record = dict[str, Any]
_RECENT = 96                 # per-game records and replays kept for a full season
_KEEP_ALL_REPLAYS = 1500     # up to this many games (tiny, demo) every replay is kept (~75 kB a game)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while bulk-building records.

    Why: building hundreds of thousands of small dicts triggers collections that rescan every live
    object; the records hold no reference cycles, and pausing cuts plays rendering time by more than half.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class SimulatedSeason:
    """A whole simulated season: truth, games and lazily built API records."""

    def __init__(self, season: int, size: str = "demo", seed: int = 7) -> None:
        size_spec(size)
        self.season, self.size, self.seed = season, size, seed
        self.league: League = build_league(size, seed)
        self.truth: SeasonTruth = season_truth(self.league, season)
        self.rosters: dict[int, tuple[Player, ...]] = {t.id: roster(self.league, t.id, season)
                                                         for t in self.league.teams}
        self.sides: dict[int, TeamSide] = {t.id: build_side(self.league, t.id, season, self.truth.teams[t.id])
                                           for t in self.league.teams}
        with gc_paused():
            self.games: list[Game] = build_games(self.league, season, self.truth, self.sides)
        self.game_by_id: dict[int, Game] = {g.id: g for g in self.games}
        self.dates = season_dates(season)
        self._records: dict[str, list[Record]] = {}
        self._by_team: dict[str, dict[int, list[Record]]] = {}
        self._details: OrderedDict[int, GameOutcome] = OrderedDict()
        self._detail_cache = len(self.games) if len(self.games) <= _KEEP_ALL_REPLAYS else _RECENT
        # a full season's replays past the LRU, as flat int arrays (~15 kB a game instead of ~75 kB): a game's
        # plays, its two teams' substitutions and its lineups each need its events, and re-simulating it was
        # ~20 % of the local server's CPU in a full ingest
        self._packed_events: dict[int, tuple[GameOutcome, array]] = {}
        # the local API server answers from threads; builds are CPU-bound anyway, so one lock is enough
        self._lock = threading.RLock()
        self._game_records: OrderedDict[tuple[str, int], list[Record]] = OrderedDict()

    def __repr__(self) -> str:
        return (f"SimulatedSeason(season={self.season}, size={self.size!r}, seed={self.seed}, "
                f"teams={len(self.league.teams)}, games={len(self.games)})")

    # ------------------------------------------------------------ lookups
    @functools.cached_property
    def games_by_team(self) -> dict[int, list[Game]]:
        out: dict[int, list[Game]] = {t.id: [] for t in self.league.teams}
        for g in self.games:
            out[g.home_id].append(g)
            out[g.away_id].append(g)
        return out

    @functools.cached_property
    def player_by_id(self) -> dict[int, tuple[Team, Player]]:
        return {p.id: (self.league.team_by_id[tid], p) for tid, ps in self.rosters.items() for p in ps}

    def team(self, team_id: int) -> Team:
        return self.league.team_by_id[team_id]

    def conference_abbr(self, team_id: int) -> str:
        return self.league.conference_by_id[self.team(team_id).conference_id].abbreviation

    def find_team(self, name: str) -> Team | None:
        """A team by school name, case-insensitive, as the API's ``team`` filter matches."""
        return self._team_names.get(name.strip().lower())

    @functools.cached_property
    def _team_names(self) -> dict[str, Team]:
        return {t.school.lower(): t for t in self.league.teams}

    def find_conference(self, abbr: str) -> int | None:
        """A conference id by abbreviation (or name), case-insensitive."""
        key = abbr.strip().lower()
        for c in self.league.conferences:
            if key in (c.abbreviation.lower(), c.name.lower(), c.short_name.lower()):
                return c.id
        return None

    # ------------------------------------------------------------ games in detail
    def detail(self, game: Game) -> GameOutcome:
        """The game re-simulated with its event stream (identical result; cached for recent games)."""
        with self._lock:
            return self._detail(game)

    def _detail(self, game: Game) -> GameOutcome:
        found = self._details.get(game.id)
        if found is not None:
            self._details.move_to_end(game.id)
            return found
        packed = self._packed_events.get(game.id)
        if packed is not None:
            out = dataclasses.replace(packed[0], events=_unpack_events(packed[1]))
        else:
            out = simulate_game(self.sides[game.home_id], self.sides[game.away_id], game.neutral,
                                self.truth.home_court_advantage, game.seed, record=True)
            if out.points != game.outcome.points:   # pragma: no cover - a broken engine invariant
                raise AssertionError(f"game {game.id}: replay {out.points} != {game.outcome.points}")
            if self._detail_cache < len(self.games):
                self._packed_events[game.id] = (dataclasses.replace(out, events=None), _pack_events(out.events or []))
        self._details[game.id] = out
        if len(self._details) > self._detail_cache:
            self._details.popitem(last=False)
        return out

    def pack_all_replays(self) -> int:
        """Replay every game now and keep its events packed; returns how many games were replayed.

        Why: the local server forks render workers (``api/render_pool.py``), and each worker replays the
        games it renders into its own cache. A game's plays, its two teams' substitutions and the lineups
        then went to up to four workers, and a full season's ingest replayed every game ~3.5 times (~13 s of
        CPU a pass, on the cores the pipeline runs on). Packed before the fork, the replays are shared
        copy-on-write by every worker and run once, while the server starts, like the season's simulation.
        A season small enough to keep every replay whole (``_KEEP_ALL_REPLAYS``) is left to replay lazily.
        """
        if self._detail_cache >= len(self.games):
            return 0
        done = 0
        with self._lock, gc_paused():
            for game in self.games:
                if game.outcome is not None and game.id not in self._packed_events:
                    self._detail(game)
                    done += 1
            self._details.clear()   # the packed copies serve from here; the LRU refills in each worker
        return done

    # ------------------------------------------------------------ records
    def records(self, slug: str) -> list[Record]:
        """All records of one endpoint slug for this season (``plays_*`` are all plays, etc.).

        Cached per slug, except the play-by-play families, which are rebuilt on each call so a
        ``full`` season does not keep millions of plays alive.
        """
        from .catalog import BUILDERS, UNCACHED

        builder = BUILDERS.get(slug)
        if builder is None:
            raise KeyError(f"unknown endpoint slug {slug!r}; known: {', '.join(sorted(BUILDERS))}")
        with self._lock:
            if slug in UNCACHED:
                with gc_paused():
                    return builder(self)
            if slug not in self._records:
                with gc_paused():
                    self._records[slug] = builder(self)
            return self._records[slug]

    def records_of_team(self, slug: str, team_id: int) -> list[Record]:
        """The cached records of ``slug`` whose ``teamId`` is ``team_id``, in their order, from an index built
        once: a ``full`` season's 362 ``/lineups/team`` calls each scanned all ~56,000 lineups before."""
        index = self._by_team.get(slug)
        if index is None:
            built: dict[int, list[Record]] = {}
            for r in self.records(slug):
                built.setdefault(r["teamId"], []).append(r)
            with self._lock:
                index = self._by_team.setdefault(slug, built)
        return index.get(team_id, [])

    def game_records(self, slug: str, game_id: int) -> list[Record]:
        """Records of one game: plays, substitutions, lineups or box scores (``[]`` for unknown games)."""
        from .catalog import GAME_BUILDERS, game_slug

        game = self.game_by_id.get(game_id)
        family = game_slug(slug)
        if game is None:
            return []
        key = (family, game_id)
        with self._lock:
            found = self._game_records.get(key)
            if found is None:
                found = GAME_BUILDERS[family](self, game)
                self._game_records[key] = found
                if len(self._game_records) > _RECENT:
                    self._game_records.popitem(last=False)
            else:
                self._game_records.move_to_end(key)
            return found


_EVENT_WIDTH = 10            # fields of one engine event: code, period, clock, side, player, x1, x2, x3, scores


def _pack_events(events: list[tuple[int, ...]]) -> array:
    """Events as one flat array: 16-bit when every value fits (they do: clocks, indices, scores), else 64-bit."""
    flat = [v for e in events for v in e]
    if any(len(e) != _EVENT_WIDTH for e in events):   # pragma: no cover - a changed engine event shape
        raise AssertionError(f"engine events are not {_EVENT_WIDTH} wide")
    try:
        return array("h", flat)
    except OverflowError:   # pragma: no cover - no engine value is that large today
        return array("q", flat)


def _unpack_events(packed: array) -> list[tuple[int, ...]]:
    """The event tuples :func:`_pack_events` flattened."""
    it = iter(packed)
    return list(zip(*[it] * _EVENT_WIDTH))


_SIMULATE_LOCK = threading.RLock()   # re-entrant: a season may build on another one


def simulate_season(season: int = 2024, size: str = "demo", seed: int = 7) -> SimulatedSeason:
    """The simulated season for ``(season, size, seed)``; cached, and deterministic for those three.

    The lock matters for the local server: its request threads ask for a season at the same moment, and an
    unguarded cache lets each of them simulate it (the work is pure Python, so they only queue on the GIL).
    """
    with _SIMULATE_LOCK:
        return _simulate_season(season, size, seed)


@functools.lru_cache(maxsize=8)
def _simulate_season(season: int, size: str, seed: int) -> SimulatedSeason:
    return SimulatedSeason(season, size, seed)


simulate_season.cache_clear = _simulate_season.cache_clear  # type: ignore[attr-defined]


def build_all(season: SimulatedSeason, slugs: Iterable[str] | None = None,
              progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Build every endpoint's records once (a smoke test and a timing aid); returns counts per slug."""
    from .catalog import BUILDERS

    counts: dict[str, int] = {}
    for slug in slugs or sorted(BUILDERS):
        counts[slug] = len(season.records(slug))
        if progress:
            progress(slug, counts[slug])
    return counts
