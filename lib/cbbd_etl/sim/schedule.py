"""The season calendar: who plays whom, when and where, played in order.

Season ``S`` runs from early November of ``S − 1`` to early April of ``S``:

1. non-conference rounds (Nov–Dec), with 4-team neutral-site early-season
   tournaments in Thanksgiving week and a few neutral "showcase" games;
2. a conference round robin (double, truncated to ``conference_games``),
   January to early March;
3. conference tournaments (neutral, single elimination, seeded by conference
   record) in March — ``seasonType`` "regular", as ESPN files them;
4. the NCAA tournament (``seasonType`` "postseason", ``tournament`` "NCAA"),
   conference champions plus at-large teams by a simple rating of results,
   and in ``demo``/``full`` an NIT for the next teams.

Why games are simulated while the calendar is built: tournament brackets
depend on results (seeds from standings, winners advance). Each game's
randomness comes from its own seed (home, away, day), so the order in which
games are simulated never changes a result.

Tip-off times are US evenings, so many games start after midnight UTC — the
API's dates are UTC, and so are ours.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from .engine import GameOutcome, TeamSide, simulate_game
from .league import League
from .rng import derive_seed, rng
from .truth import SeasonTruth

UTC = dt.timezone.utc
# (UTC hour, weight): 7 pm Eastern is 00:00 UTC the next day.
_TIPOFFS = ((16, 1), (17, 2), (18, 2), (19, 3), (21, 2), (23, 6), (0, 8), (1, 7), (2, 4), (3, 2))


@dataclass
class Game:
    """One scheduled and played game (ids are assigned once the whole season is known)."""

    season: int
    season_type: str
    day: dt.date                   # local (US) calendar day
    start: dt.datetime             # UTC tip-off
    home_id: int
    away_id: int
    neutral: bool
    conference_game: bool
    game_type: str                 # "STD" or "TRNMNT"
    tournament: str | None
    notes: str | None
    venue_id: int
    home_seed: int | None = None
    away_seed: int | None = None
    seed: int = 0
    outcome: GameOutcome = field(default=None, repr=False)  # type: ignore[assignment]
    id: int = 0
    index: int = 0
    attendance: int | None = None
    elo: tuple[int, int, int, int] = (0, 0, 0, 0)   # home start, home end, away start, away end

    @property
    def home_points(self) -> int:
        return self.outcome.points[0]

    @property
    def away_points(self) -> int:
        return self.outcome.points[1]

    @property
    def winner_id(self) -> int:
        return self.home_id if self.home_points > self.away_points else self.away_id

    @property
    def loser_id(self) -> int:
        return self.away_id if self.home_points > self.away_points else self.home_id

    def team_ids(self) -> tuple[int, int]:
        return self.home_id, self.away_id


def _first_weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def season_dates(season: int) -> dict[str, dt.date]:
    """Key dates of season ``season`` (local days)."""
    opening = _first_weekday_on_or_after(dt.date(season - 1, 11, 6), 0)        # a Monday
    thanksgiving = _first_weekday_on_or_after(dt.date(season - 1, 11, 1), 3) + dt.timedelta(days=21)
    title = _first_weekday_on_or_after(dt.date(season, 4, 3), 0)                 # a Monday
    return {
        "preseason_poll": opening - dt.timedelta(days=7),
        "opening": opening,
        "thanksgiving": thanksgiving,
        "nonconference_end": dt.date(season - 1, 12, 30),
        "conference_start": dt.date(season, 1, 2),
        "conference_end": dt.date(season, 3, 2),
        "conference_tournaments": dt.date(season, 3, 5),
        "selection": title - dt.timedelta(days=22),
        "title": title,
    }


def bracket_order(size: int) -> list[int]:
    """Seeds in bracket slot order, so that 1 meets ``size`` first and 1 and 2 meet last."""
    order = [1]
    while len(order) < size:
        m = 2 * len(order)
        order = [x for s in order for x in (s, m + 1 - s)]
    return order


class _Builder:
    def __init__(self, league: League, season: int, truth: SeasonTruth, sides: dict[int, TeamSide]) -> None:
        self.league, self.season, self.truth, self.sides = league, season, truth, sides
        self.r = rng(league.seed, league.size, "schedule", season)
        self.games: list[Game] = []
        self.days: dict[int, set[dt.date]] = {t.id: set() for t in league.teams}
        self.dates = season_dates(season)
        self.neutral_cycle = 0

    # ------------------------------------------------------------ helpers
    def free(self, team_id: int, day: dt.date) -> bool:
        used = self.days[team_id]
        return day not in used and day - dt.timedelta(days=1) not in used and day + dt.timedelta(days=1) not in used

    def neutral_venue(self) -> int:
        venues = self.league.neutral_venues
        self.neutral_cycle += 1
        return venues[self.neutral_cycle % len(venues)].id

    def play(self, home: int, away: int, day: dt.date, *, neutral: bool = False, conference_game: bool = False,
             season_type: str = "regular", game_type: str = "STD", tournament: str | None = None,
             notes: str | None = None, venue_id: int | None = None, home_seed: int | None = None,
             away_seed: int | None = None) -> Game:
        """Schedule and simulate one game."""
        gseed = derive_seed(self.league.seed, self.league.size, self.season, "game", home, away, day.isoformat())
        gr = rng(gseed, "meta")
        hour = gr.choices([h for h, _ in _TIPOFFS], [w for _, w in _TIPOFFS])[0]
        minute = gr.choice((0, 0, 0, 30))
        start = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        if hour < 12:
            start += dt.timedelta(days=1)
        venue = venue_id if venue_id is not None else (self.neutral_venue() if neutral else
                                                        self.league.team_by_id[home].venue.id)
        capacity = self.league.venue_by_id[venue].capacity
        game = Game(self.season, season_type, day, start, home, away, neutral, conference_game, game_type, tournament,
                    notes, venue, home_seed, away_seed, seed=gseed,
                    attendance=int(capacity * gr.uniform(0.35 if neutral else 0.45, 1.0)))
        game.outcome = simulate_game(self.sides[home], self.sides[away], neutral,
                                     self.truth.home_court_advantage, gseed)
        self.days[home].add(day)
        self.days[away].add(day)
        self.games.append(game)
        return game

    def host_first(self, a: int, b: int) -> tuple[int, int]:
        """Stronger programs host more often (buy games), as in real non-conference schedules."""
        ta, tb = self.league.team_by_id[a], self.league.team_by_id[b]
        p = 0.5 + 0.35 * math.tanh((ta.base - tb.base) / 8.0)
        return (a, b) if self.r.random() < p else (b, a)

    # ------------------------------------------------------------ phases
    def nonconference(self) -> None:
        spec, r, d = self.league.spec, self.r, self.dates
        teams = [t.id for t in self.league.teams]
        conf = {t.id: t.conference_id for t in self.league.teams}
        mte_teams: list[list[int]] = []
        pool = teams[:]
        r.shuffle(pool)
        for _ in range(spec.mte_events):
            group: list[int] = []
            for tid in pool:           # four teams from four conferences where possible
                if len(group) < 4 and all(conf[tid] != conf[g] for g in group):
                    group.append(tid)
            for tid in pool:
                if len(group) < 4 and tid not in group:
                    group.append(tid)
            pool = [t for t in pool if t not in group]
            mte_teams.append(group)
        in_mte = {tid for g in mte_teams for tid in g}
        rounds = spec.nonconference_games
        span = (d["nonconference_end"] - d["opening"]).days
        round_days = [d["opening"] + dt.timedelta(days=round(i * span / max(1, rounds - 1))) for i in range(rounds)]
        by_gap = sorted(range(rounds), key=lambda i: abs((round_days[i] - d["thanksgiving"]).days))
        mte_rounds = set(by_gap[:2]) if mte_teams else set()
        played: set[tuple[int, int]] = set()
        for i, day in enumerate(round_days):
            avail = [t for t in teams if not (i in mte_rounds and t in in_mte)]
            r.shuffle(avail)
            taken: set[int] = set()
            for ai, a in enumerate(avail):
                if a in taken:
                    continue
                for b in avail[ai + 1:]:
                    if b in taken or conf[b] == conf[a] or (min(a, b), max(a, b)) in played:
                        continue
                    gday = day + dt.timedelta(days=r.choice((0, 0, 1)))
                    if not (self.free(a, gday) and self.free(b, gday)):
                        gday = day
                        if not (self.free(a, gday) and self.free(b, gday)):
                            continue
                    taken.update((a, b))
                    played.add((min(a, b), max(a, b)))
                    home, away = self.host_first(a, b)
                    neutral = r.random() < 0.04
                    self.play(home, away, gday, neutral=neutral,
                              notes="Showcase" if neutral else None)
                    break
        # early-season tournaments: semifinals on Thanksgiving, final and third place the day after
        for k, group in enumerate(mte_teams):
            name = self.league.mte_names[k % len(self.league.mte_names)]
            venue = self.neutral_venue()
            ranked = sorted(group, key=lambda t: -self.league.team_by_id[t].base)
            day1 = d["thanksgiving"]
            semis = [self.play(ranked[0], ranked[3], day1, neutral=True, game_type="TRNMNT", venue_id=venue,
                               notes=f"{name} - Semifinal"),
                     self.play(ranked[1], ranked[2], day1, neutral=True, game_type="TRNMNT", venue_id=venue,
                               notes=f"{name} - Semifinal")]
            day2 = day1 + dt.timedelta(days=1)
            self.play(semis[0].winner_id, semis[1].winner_id, day2, neutral=True, game_type="TRNMNT",
                      venue_id=venue, notes=f"{name} - Championship")
            self.play(semis[0].loser_id, semis[1].loser_id, day2, neutral=True, game_type="TRNMNT",
                      venue_id=venue, notes=f"{name} - Third Place")

    def conference_round_robin(self) -> None:
        spec, r, d = self.league.spec, self.r, self.dates
        for conf in self.league.conferences:
            ids = [t.id for t in self.league.members(conf.id)]
            r.shuffle(ids)
            single = _round_robin(ids)
            rounds = single + [[(b, a) for a, b in rd] for rd in single]
            n = len(ids)
            needed = spec.conference_games if n % 2 == 0 else math.ceil(spec.conference_games * n / (n - 1))
            rounds = rounds[:needed]
            span = (d["conference_end"] - d["conference_start"]).days
            for i, rd in enumerate(rounds):
                day = d["conference_start"] + dt.timedelta(days=round(i * span / max(1, len(rounds) - 1)))
                for home, away in rd:
                    gday = day + dt.timedelta(days=r.choice((0, 0, 1)))
                    if not (self.free(home, gday) and self.free(away, gday)):
                        gday = day
                    self.play(home, away, gday, conference_game=True)

    def standings(self, conference_id: int) -> list[int]:
        """Conference members by conference wins, then conference point margin."""
        rec: dict[int, list[int]] = {t.id: [0, 0] for t in self.league.members(conference_id)}
        for g in self.games:
            if g.conference_game and g.home_id in rec and g.away_id in rec and g.game_type == "STD":
                m = g.home_points - g.away_points
                rec[g.winner_id][0] += 1
                rec[g.home_id][1] += m
                rec[g.away_id][1] -= m
        return sorted(rec, key=lambda t: (-rec[t][0], -rec[t][1], t))

    def bracket(self, seeds: list[int], days: list[dt.date], *, label: str, notes_prefix: str,
                season_type: str = "regular", tournament: str | None = None, neutral_from: int = 0,
                seed_numbers: dict[int, int] | None = None, conference_game: bool = False,
                venue_id: int | None = None, scale: int = 1) -> int:
        """Single elimination on ``days`` (one per round); ``seeds`` best first; byes for top seeds.

        Rounds before ``neutral_from`` are played at the better seed's arena; ``scale`` is the number
        of parallel brackets (NCAA regions), so rounds are named by the teams left in the whole event.
        Returns the champion.
        """
        size = 1
        while size < len(seeds):
            size *= 2
        slots: list[int | None] = [seeds[s - 1] if s <= len(seeds) else None for s in bracket_order(size)]
        rnd = 0
        rank = {t: i for i, t in enumerate(seeds)}
        while len(slots) > 1:
            name = _round_name(len(slots) * scale, rnd, label)
            nxt: list[int | None] = []
            for a, b in zip(slots[0::2], slots[1::2]):
                if a is None or b is None:
                    nxt.append(a if b is None else b)
                    continue
                home, away = (a, b) if rank[a] < rank[b] else (b, a)
                neutral = rnd >= neutral_from
                g = self.play(home, away, days[min(rnd, len(days) - 1)], neutral=neutral, conference_game=conference_game,
                              season_type=season_type, game_type="TRNMNT", tournament=tournament,
                              notes=f"{notes_prefix} - {name}", venue_id=venue_id if neutral else None,
                              home_seed=(seed_numbers or {}).get(home), away_seed=(seed_numbers or {}).get(away))
                nxt.append(g.winner_id)
            slots = nxt
            rnd += 1
        champion = slots[0]
        assert champion is not None
        return champion

    def conference_tournaments(self) -> dict[int, int]:
        champions: dict[int, int] = {}
        for k, conf in enumerate(self.league.conferences):
            order = self.standings(conf.id)
            start = self.dates["conference_tournaments"] + dt.timedelta(days=k % 4)
            days = [start + dt.timedelta(days=i) for i in range(5)]
            champions[conf.id] = self.bracket(
                order, days, label="conference", notes_prefix=f"{conf.short_name} Tournament",
                seed_numbers={t: i + 1 for i, t in enumerate(order)}, conference_game=True,
                venue_id=self.league.neutral_venues[k % len(self.league.neutral_venues)].id)
        return champions

    def rating(self) -> dict[int, float]:
        """A simple rating of results so far (average margin plus opponents' average, iterated): for selection."""
        margin: dict[int, list[float]] = {t.id: [] for t in self.league.teams}
        opps: dict[int, list[int]] = {t.id: [] for t in self.league.teams}
        for g in self.games:
            hca = 0.0 if g.neutral else self.truth.home_court_advantage
            m = g.home_points - g.away_points - hca
            m = max(-25.0, min(25.0, m))
            margin[g.home_id].append(m)
            margin[g.away_id].append(-m)
            opps[g.home_id].append(g.away_id)
            opps[g.away_id].append(g.home_id)
        avg = {t: (sum(v) / len(v) if v else 0.0) for t, v in margin.items()}
        rating = dict(avg)
        for _ in range(8):
            rating = {t: avg[t] + (sum(rating[o] for o in opps[t]) / len(opps[t]) if opps[t] else 0.0)
                      for t in rating}
        return rating

    def postseason(self, champions: dict[int, int]) -> None:
        spec, d = self.league.spec, self.dates
        rating = self.rating()
        field_size = spec.ncaa_field
        auto = list(dict.fromkeys(champions.values()))[:field_size]
        at_large = [t for t in sorted(rating, key=lambda t: (-rating[t], t)) if t not in auto]
        field = auto + at_large[: field_size - len(auto)]
        field.sort(key=lambda t: (-rating[t], t))
        regions = 4 if field_size >= 16 else 1
        per_region = field_size // regions
        region_teams: list[list[int]] = [[] for _ in range(regions)]
        seed_of: dict[int, int] = {}
        for i, t in enumerate(field):
            line, pos = divmod(i, regions)
            region = pos if line % 2 == 0 else regions - 1 - pos      # serpentine
            region_teams[region].append(t)
            seed_of[t] = line + 1
        title = d["title"]
        all_days = [title - dt.timedelta(days=x) for x in (18, 16, 11, 9, 2, 0)]
        region_rounds = int(math.log2(per_region))
        national_rounds = int(math.log2(regions))
        days = all_days[len(all_days) - region_rounds - national_rounds:]
        champs = [self.bracket(teams, days[:region_rounds], label="ncaa", notes_prefix="NCAA Tournament",
                               season_type="postseason", tournament="NCAA", seed_numbers=seed_of, scale=regions)
                  for teams in region_teams]
        if regions > 1:
            finals = sorted(champs, key=lambda t: (seed_of[t], -rating[t], t))   # best meets fourth best
            self.bracket(finals, days[region_rounds:], label="ncaa", notes_prefix="NCAA Tournament",
                         season_type="postseason", tournament="NCAA", seed_numbers=seed_of)
        nit_size = field_size // 2 if field_size >= 16 else 0
        if nit_size:
            nit = [t for t in sorted(rating, key=lambda t: (-rating[t], t)) if t not in seed_of][:nit_size]
            nit_days = [title - dt.timedelta(days=x) for x in (20, 17, 13, 5, 3)]
            rounds = int(math.log2(nit_size))
            self.bracket(nit, nit_days[len(nit_days) - rounds:], label="nit", notes_prefix="NIT",
                         season_type="postseason", tournament="NIT", neutral_from=max(0, rounds - 2),
                         seed_numbers={t: i // 4 + 1 for i, t in enumerate(nit)})


def _round_name(remaining: int, rnd: int, label: str) -> str:
    if label == "ncaa":
        return {64: "First Round", 32: "Second Round", 16: "Sweet 16", 8: "Elite 8", 4: "Final Four",
                2: "National Championship"}.get(remaining, f"Round {rnd + 1}")
    if remaining == 2:
        return "Championship"
    if remaining == 4:
        return "Semifinals"
    if remaining == 8:
        return "Quarterfinals"
    return f"Round {rnd + 1}"


def _round_robin(ids: list[int]) -> list[list[tuple[int, int]]]:
    """Circle-method single round robin; home and away alternate."""
    teams: list[int | None] = list(ids) + ([None] if len(ids) % 2 else [])
    n = len(teams)
    rounds: list[list[tuple[int, int]]] = []
    for rnd in range(n - 1):
        pairs: list[tuple[int, int]] = []
        for i in range(n // 2):
            a, b = teams[i], teams[n - 1 - i]
            if a is None or b is None:
                continue
            pairs.append((a, b) if (rnd + i) % 2 == 0 else (b, a))
        rounds.append(pairs)
        teams = [teams[0], teams[-1]] + teams[1:-1]
    return rounds


def build_games(league: League, season: int, truth: SeasonTruth, sides: dict[int, TeamSide]) -> list[Game]:
    """Every game of the season, played, in start order, with ids, indices and Elo ratings."""
    b = _Builder(league, season, truth, sides)
    b.nonconference()
    b.conference_round_robin()
    champions = b.conference_tournaments()
    b.postseason(champions)
    games = sorted(b.games, key=lambda g: (g.start, g.home_id))
    for i, g in enumerate(games):
        g.index = i
        g.id = (season - 2000) * 100_000 + i + 1
    _elo(league, games)
    return games


def _elo(league: League, games: list[Game]) -> None:
    """Margin-aware Elo through the season in start order, from program-strength priors."""
    elo = {t.id: 1500.0 + 12.0 * t.base for t in league.teams}
    for g in games:
        h, a = elo[g.home_id], elo[g.away_id]
        adv = 0.0 if g.neutral else 70.0
        expected = 1.0 / (1.0 + 10 ** ((a - h - adv) / 400.0))
        won = 1.0 if g.home_points > g.away_points else 0.0
        mov = abs(g.home_points - g.away_points)
        k = 24.0 * math.log(mov + 1.0) * 2.2 / ((h - a) * (1 if won else -1) * 0.001 + 2.2)
        delta = k * (won - expected)
        elo[g.home_id], elo[g.away_id] = h + delta, a - delta
        g.elo = (round(h), round(h + delta), round(a), round(a - delta))
