"""Players: recruiting classes per program, and the roster of a season.

Why classes rather than rosters: a player generated once per ``(team,
entering year, slot)`` keeps the same id, name and hometown in every season he
appears, so rosters, recruiting (the class entering next season), the transfer
portal (players who join a program after their first year) and the draft
(players whose last college season is this one) all agree with each other and
across seasons, with no global state.

Talent is in "points of impact" units: it decides minutes, usage, recruiting
stars and draft order. It does not decide the score; team strength does (see
:mod:`.season`), so the latent truth stays exactly what the ratings tests
compare against.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from . import names
from .league import League
from .rng import rng

CLASS_SLOTS = 5          # at most four scholarship players and a walk-on per entering class
POSITIONS = ("G", "F", "C")


@dataclass(frozen=True)
class Player:
    id: int
    source_id: str
    team_id: int
    first_name: str
    last_name: str
    jersey: int
    position: str            # G, F or C
    height: int              # inches
    weight: int              # pounds
    city: str
    state: str
    state_fips: str
    latitude: float
    longitude: float
    birth_date: dt.date
    start_season: int        # first college season
    join_season: int         # first season at this program (later than start for transfers in)
    end_season: int          # last season at this program
    talent: float
    walk_on: bool
    stars: int
    recruit_rating: float
    origin_team_id: int | None   # the program a transfer came from
    early_entry: bool            # leaves for the NBA draft after end_season

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def skill(self, season: int) -> float:
        """Talent plus growth: upperclassmen play more, as in real rotations."""
        return self.talent + 1.3 * (season - self.start_season)


def player_id(team_id: int, start_season: int, slot: int) -> int:
    """Stable, collision-free athlete id: one block of 1,000 per program, 20 per entering class."""
    return team_id * 1000 + (start_season % 50) * 20 + slot


@functools.lru_cache(maxsize=4096)
def entering_class(league: League, team_id: int, year: int) -> tuple[Player, ...]:
    """The players who start their college career at ``team_id`` in season ``year``."""
    team = league.team_by_id[team_id]
    r = rng(league.seed, league.size, "class", team_id, year)
    others = [t.id for t in league.teams if t.id != team_id]
    out: list[Player] = []
    scholarships = 4 if r.random() < 0.45 else 3
    has_walk_on = r.random() < 0.5
    for slot in range(CLASS_SLOTS):
        walk_on = slot == CLASS_SLOTS - 1
        if (walk_on and not has_walk_on) or (not walk_on and slot >= scholarships):
            continue
        position = r.choices(POSITIONS, (0.45, 0.38, 0.17))[0]
        talent = (-6.0 + r.gauss(0.0, 1.5)) if walk_on else (0.35 * team.base + r.gauss(0.0, 3.5))
        rating = min(0.9999, max(0.70, 0.855 + 0.011 * talent + r.gauss(0.0, 0.015)))
        stars = 5 if rating >= 0.98 else 4 if rating >= 0.93 else 3 if rating >= 0.87 else 2
        end = year + 3
        early = False
        if not walk_on and talent > 6.5 and r.random() < 0.75:
            end, early = year + r.choice((0, 1, 1, 2)), True
        elif not walk_on and r.random() < 0.12:
            end = year + r.choice((0, 1, 2))      # transfers out
        join, origin = year, None
        if not walk_on and end > year and r.random() < 0.16:
            join = year + r.choice((1, 1, 2)) if end >= year + 2 else year + 1
            origin = r.choice(others)
        height = {"G": 74, "F": 78, "C": 82}[position] + round(r.gauss(0.0, 1.5))
        weight = int(height * 2.6 + r.gauss(0.0, 12.0) + (10 if position == "C" else 0))
        st = r.choice(names.STATES)
        birth = dt.date(year - 19, 1, 1) + dt.timedelta(days=r.randrange(0, 540))
        pid = player_id(team_id, year, slot)
        out.append(Player(
            id=pid, source_id=str(4_400_000 + pid), team_id=team_id, first_name=r.choice(names.FIRST_NAMES),
            last_name=r.choice(names.LAST_NAMES), jersey=r.choice((0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21,
                                                                    22, 23, 24, 25, 30, 31, 32, 33, 34, 35, 40, 41,
                                                                    42, 44, 50, 55)),
            position=position, height=height, weight=weight,
            city=r.choice(names.PLACE_HEADS) + r.choice(("ton", "ville", "field", "port", "wood")), state=st[0],
            state_fips=st[1], latitude=round(st[2] + r.uniform(-1.5, 1.5), 4),
            longitude=round(st[3] + r.uniform(-1.5, 1.5), 4), birth_date=birth, start_season=year,
            join_season=join, end_season=end, talent=round(talent, 3), walk_on=walk_on, stars=stars,
            recruit_rating=round(rating, 4), origin_team_id=origin, early_entry=early,
        ))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def roster(league: League, team_id: int, season: int) -> tuple[Player, ...]:
    """Everyone at ``team_id`` in ``season``: classes of the last four years still here, best first.

    Jersey numbers are made unique within the roster (older players keep theirs).
    """
    players = [p for year in range(season - 3, season + 1) for p in entering_class(league, team_id, year)
               if p.join_season <= season <= p.end_season]
    players.sort(key=lambda p: (p.join_season, p.id))
    used: set[int] = set()
    fixed: list[Player] = []
    for p in players:
        jersey = p.jersey
        while jersey in used:
            jersey = (jersey + 1) % 60
        used.add(jersey)
        fixed.append(p if jersey == p.jersey else _with_jersey(p, jersey))
    fixed.sort(key=lambda p: (-p.skill(season), p.id))
    return tuple(fixed)


def _with_jersey(p: Player, jersey: int) -> Player:
    from dataclasses import replace

    return replace(p, jersey=jersey)

