"""The league: sizes, conferences, teams, venues and NBA draft teams.

Why the league depends on ``(size, seed)`` only, not on the season: team and
conference ids, names and arenas must be the same in every simulated season
so multi-season pipelines can join seasons, exactly as real CBBD ids are
stable. What changes per season (strength, rosters, games) lives in
:mod:`.players` and :mod:`.season`.

A program's long-run strength (``Team.base``) comes from its conference's
strength plus a program effect, so conferences differ in strength the way
real ones do and season-to-season ratings are correlated.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from . import names
from .rng import rng


@dataclass(frozen=True)
class SizeSpec:
    """How big a simulated season is."""

    name: str
    conference_sizes: tuple[int, ...]
    conference_games: int          # round-robin games per team (double round robin, truncated)
    nonconference_games: int       # per team, including early-season tournament games
    mte_events: int                # 4-team neutral-site early-season tournaments
    ncaa_field: int                # teams in the postseason tournament (a power of two)
    description: str = ""

    @property
    def teams(self) -> int:
        return sum(self.conference_sizes)


SIZES: dict[str, SizeSpec] = {
    "tiny": SizeSpec("tiny", (5, 5), 4, 3, 1, 4, "10 teams, 2 conferences, ~45 games: unit tests"),
    "demo": SizeSpec("demo", (8,) * 8, 14, 13, 4, 16, "64 teams, 8 conferences, ~950 games: make demo"),
    "full": SizeSpec(
        "full",
        (15, 14, 16, 14, 11, 12, 11, 12, 10, 12, 11, 13, 10, 11, 12, 10, 12, 11, 10, 11, 12, 10, 10, 12, 11, 10,
         9, 12, 8, 11, 9, 10),
        18, 13, 24, 64, "362 teams, 32 conferences, ~6,000 games, ~2 million plays: a real season's volume"),
}


def size_spec(size: str) -> SizeSpec:
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown simulation size {size!r}; known: {', '.join(SIZES)}") from None


@dataclass(frozen=True)
class Conference:
    id: int
    source_id: str
    name: str
    abbreviation: str
    short_name: str
    strength: float  # hidden: mean program strength, points per 100 possessions


@dataclass(frozen=True)
class Venue:
    id: int
    source_id: str
    name: str
    city: str
    state: str
    country: str = "USA"
    capacity: int = 8000


@dataclass(frozen=True)
class Membership:
    conference_id: int
    start_season: int
    end_season: int | None


@dataclass(frozen=True)
class Team:
    id: int
    source_id: str
    school: str
    mascot: str
    abbreviation: str
    primary_color: str
    secondary_color: str
    venue: Venue
    conference_id: int
    place: str
    state: str
    base: float          # hidden long-run program strength (net points per 100 possessions)
    tempo_style: float   # hidden long-run tempo offset (possessions per 40 minutes)
    three_style: float   # share of field-goal attempts that are threes
    history: tuple[Membership, ...]

    @property
    def display_name(self) -> str:
        return f"{self.school} {self.mascot}"


@dataclass(frozen=True)
class DraftTeam:
    id: int
    source_id: int
    location: str
    name: str
    abbreviation: str

    @property
    def display_name(self) -> str:
        return f"{self.location} {self.name}"


@dataclass(frozen=True, eq=False)
class League:
    """Hashed by identity: it is cached per ``(size, seed)`` and used as a cache key itself."""

    size: str
    seed: int
    spec: SizeSpec
    conferences: tuple[Conference, ...]
    teams: tuple[Team, ...]
    neutral_venues: tuple[Venue, ...]
    draft_teams: tuple[DraftTeam, ...]
    mte_names: tuple[str, ...]

    @functools.cached_property
    def team_by_id(self) -> dict[int, Team]:
        return {t.id: t for t in self.teams}

    @functools.cached_property
    def conference_by_id(self) -> dict[int, Conference]:
        return {c.id: c for c in self.conferences}

    @functools.cached_property
    def venues(self) -> tuple[Venue, ...]:
        return tuple(t.venue for t in self.teams) + self.neutral_venues

    @functools.cached_property
    def venue_by_id(self) -> dict[int, Venue]:
        return {v.id: v for v in self.venues}

    def members(self, conference_id: int) -> list[Team]:
        return [t for t in self.teams if t.conference_id == conference_id]


def _place_names(r: random.Random, count: int) -> list[str]:
    """``count`` distinct invented place names ("Cedarford")."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        head, tail = r.choice(names.PLACE_HEADS), r.choice(names.PLACE_TAILS)
        name = head + tail
        if name not in seen and tail[:3] not in head.lower():
            seen.add(name)
            out.append(name)
    return out


def _abbreviation(school: str, taken: set[str]) -> str:
    words = [w for w in school.replace("&", "").split() if w]
    if len(words) == 1:
        base = words[0][:4].upper()
    else:
        base = "".join(w[0] for w in words).upper()
        if len(base) < 3:
            base = (words[0][:3] + words[-1][0]).upper() if words[-1] in ("State", "Tech") else base + words[-1][1:3].upper()
    cand, n = base, 1
    while cand in taken:
        n += 1
        cand = f"{base}{n}"
    taken.add(cand)
    return cand


@functools.lru_cache(maxsize=8)
def build_league(size: str, seed: int) -> League:
    """Conferences, teams, arenas, neutral sites and NBA draft teams for ``(size, seed)``."""
    spec = size_spec(size)
    r = rng(seed, size, "league")
    n_conf = len(spec.conference_sizes)

    # Conferences: strongest first, so the big conferences of `full` are also the strong ones.
    heads = r.sample(names.CONFERENCE_HEADS, n_conf)
    conferences: list[Conference] = []
    abbrs: set[str] = set()
    for k, head in enumerate(heads):
        tail = r.choice(names.CONFERENCE_TAILS)
        abbr = "".join(w[0] for w in (head + " " + tail).split()).upper()
        while abbr in abbrs:
            abbr += head[1].upper()
        abbrs.add(abbr)
        spread = 0.0 if n_conf == 1 else 1.0 - 2.0 * k / (n_conf - 1)
        strength = 8.0 * spread + r.gauss(0.0, 1.2)
        conferences.append(Conference(k + 1, str(100 + k * 3), f"{head} {tail}", abbr, head, round(strength, 3)))

    spare = spec.teams + 40
    places = _place_names(r, spare + len(names.NEUTRAL_ARENAS) + 30 + spec.mte_events)
    extra = places[spare:]  # places for neutral sites, NBA teams and tournament names, never a school's
    schools: list[tuple[str, str]] = []
    seen: set[str] = set()
    patterns = [p for p, _ in names.SCHOOL_PATTERNS]
    weights = [w for _, w in names.SCHOOL_PATTERNS]
    pi = 0
    while len(schools) < spec.teams:
        pattern = r.choices(patterns, weights)[0]
        place = places[pi]
        pi += 1
        if pi >= spare:
            raise RuntimeError("ran out of place names for schools")
        school = pattern.format(p=place, s=r.choice(names.SAINTS))
        if school in seen:
            continue
        seen.add(school)
        schools.append((school, place))
    schools.sort()

    # Conference membership: shuffle schools into conferences of the declared sizes.
    order = list(range(spec.teams))
    r.shuffle(order)
    conf_of: dict[int, int] = {}
    pos = 0
    for k, n in enumerate(spec.conference_sizes):
        for i in order[pos:pos + n]:
            conf_of[i] = k
        pos += n

    taken: set[str] = set()
    teams: list[Team] = []
    for i, (school, place) in enumerate(schools):
        tid = i + 1
        conf = conferences[conf_of[i]]
        st = r.choice(names.STATES)
        mascot = r.choice(names.MASCOTS)
        arena = r.choice(names.ARENA_PATTERNS).format(school=school, place=place, mascot=mascot.rstrip("s"))
        capacity = int(r.uniform(3000, 9000) + max(0.0, conf.strength) * 900)
        venue = Venue(tid, str(3000 + tid * 7), arena, place, st[0], "USA", capacity)
        c1, c2 = r.sample(names.COLORS, 2)
        history: list[Membership] = []
        joined = r.choice((1948, 1955, 1962, 1970, 1976, 1982, 1991, 1996, 2000, 2005, 2011, 2014))
        if joined >= 1991 and n_conf > 1 and r.random() < 0.6:
            prev = r.choice([c for c in conferences if c.id != conf.id])
            history.append(Membership(prev.id, r.choice((1950, 1960, 1972, 1980)), joined - 1))
        history.append(Membership(conf.id, joined, None))
        teams.append(Team(
            id=tid, source_id=str(2000 + tid * 11), school=school, mascot=mascot,
            abbreviation=_abbreviation(school, taken), primary_color=c1, secondary_color=c2, venue=venue,
            conference_id=conf.id, place=place, state=st[0], base=round(conf.strength + r.gauss(0.0, 7.0), 3),
            tempo_style=round(r.gauss(0.0, 2.4), 3), three_style=round(min(0.48, max(0.28, r.gauss(0.385, 0.04))), 4),
            history=tuple(history),
        ))

    neutral: list[Venue] = []
    n_neutral = min(len(names.NEUTRAL_ARENAS), 4 + n_conf // 2)
    for j, arena in enumerate(names.NEUTRAL_ARENAS[:n_neutral]):
        st = r.choice(names.STATES)
        neutral.append(Venue(spec.teams + j + 1, str(9000 + j * 13), arena, extra[j], st[0], "USA",
                             int(r.uniform(15000, 21000))))

    draft_places = extra[len(names.NEUTRAL_ARENAS):len(names.NEUTRAL_ARENAS) + 30]
    nicks = r.sample(names.NBA_NICKNAMES, 30)
    draft_teams = tuple(
        DraftTeam(j + 1, 70 + j, draft_places[j], nicks[j],
                  (draft_places[j][:2] + nicks[j][0]).upper())
        for j in range(30)
    )
    mte_names = tuple(r.choice(names.MTE_NAMES).format(place=p) for p in extra[len(names.NEUTRAL_ARENAS) + 30:])
    return League(size, seed, spec, tuple(conferences), tuple(teams), tuple(neutral), draft_teams, mte_names)
