"""The latent truth of a season, and each team-season as the game engine sees it.

Sign conventions (the ratings tests depend on them):

* ``offense``: points per 100 possessions *above* the league average the
  team scores against an average defense;
* ``defense``: points per 100 possessions *fewer* than average the team
  allows against an average offense, so **positive defense is better**;
* net strength is ``offense + defense``; a neutral-site game between A and B
  is expected to end ``(off_A + def_A − off_B − def_B) × possessions / 100``;
* ``tempo``: expected possessions per 40 minutes; a game's expected
  possessions are the mean of both teams' tempos;
* ``home_court_advantage``: points of expected margin for the home team in a
  non-neutral game (home +HCA/2, away −HCA/2).

Both offense and defense are centred on zero over the league, so the
average game scores ``AVG_EFFICIENCY`` (104) points per 100 possessions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .engine import TeamSide
from .league import League
from .players import Player, roster
from .rng import rng


@dataclass(frozen=True)
class TeamTruth:
    """One team's latent strength in one season (see the module docstring for signs)."""

    offense: float
    defense: float
    tempo: float

    @property
    def net(self) -> float:
        return self.offense + self.defense


@dataclass(frozen=True)
class SeasonTruth:
    teams: dict[int, TeamTruth]
    home_court_advantage: float
    average_efficiency: float = 104.0

    def expected_margin(self, home_id: int, away_id: int, neutral: bool = False) -> float:
        """Expected home-minus-away points (the engine's model, before randomness)."""
        h, a = self.teams[home_id], self.teams[away_id]
        poss = (h.tempo + a.tempo) / 2.0
        return (h.net - a.net) * poss / 100.0 + (0.0 if neutral else self.home_court_advantage)

    def expected_total(self, home_id: int, away_id: int) -> float:
        h, a = self.teams[home_id], self.teams[away_id]
        poss = (h.tempo + a.tempo) / 2.0
        return (2 * self.average_efficiency + h.offense - a.defense + a.offense - h.defense) * poss / 100.0


def season_truth(league: League, season: int) -> SeasonTruth:
    """Draw every team's offense, defense and tempo for ``season`` around its program's long-run level."""
    r = rng(league.seed, league.size, "truth", season)
    raw: dict[int, tuple[float, float, float]] = {}
    for team in league.teams:
        quality = 0.9 * team.base + r.gauss(0.0, 4.5)
        off = quality / 2.0 + r.gauss(0.0, 5.5)
        de = quality / 2.0 + r.gauss(0.0, 5.5)
        tempo = 68.0 + team.tempo_style + r.gauss(0.0, 1.7)
        raw[team.id] = (off, de, tempo)
    n = len(raw)
    mo = sum(v[0] for v in raw.values()) / n
    md = sum(v[1] for v in raw.values()) / n
    teams = {tid: TeamTruth(round(o - mo, 3), round(d - md, 3), round(min(78.0, max(59.0, t)), 3))
             for tid, (o, d, t) in raw.items()}
    return SeasonTruth(teams, round(2.7 + 0.6 * r.random(), 3))


# ---------------------------------------------------------------- engine sides
_POS = {
    #      three-share, assists, off reb, def reb, steals, blocks, fouls, turnovers, FT%,  usage
    "G": (0.50, 2.6, 0.45, 0.8, 1.4, 0.25, 0.9, 1.2, 0.75, 1.00),
    "F": (0.33, 1.0, 1.20, 1.4, 1.0, 1.00, 1.1, 0.9, 0.70, 1.00),
    "C": (0.06, 0.6, 2.20, 2.2, 0.6, 3.00, 1.5, 0.9, 0.63, 0.85),
}
# Target share of the 40 minutes by rotation rank: starters ~30 minutes, a 9-10 man rotation.
_MINUTES = (0.82, 0.79, 0.76, 0.73, 0.70, 0.45, 0.35, 0.22, 0.12, 0.06)


def starters_of(players: tuple[Player, ...], season: int) -> list[int]:
    """Two best guards, then the best others with at most one center (roster is ordered best first)."""
    chosen = [i for i, p in enumerate(players) if p.position == "G"][:2]
    for i, p in enumerate(players):
        if len(chosen) == 5:
            break
        if i in chosen or (p.position == "C" and any(players[j].position == "C" for j in chosen)):
            continue
        chosen.append(i)
    for i in range(len(players)):          # tiny rosters: fill up regardless of position
        if len(chosen) == 5:
            break
        if i not in chosen:
            chosen.append(i)
    return chosen


def build_side(league: League, team_id: int, season: int, truth: TeamTruth) -> TeamSide:
    """A team-season for the engine: minute targets, per-player tendencies and team style."""
    players = roster(league, team_id, season)
    team = league.team_by_id[team_id]
    r = rng(league.seed, league.size, "side", team_id, season)
    n = len(players)
    starters = starters_of(players, season)
    order = starters + [i for i in range(n) if i not in starters]
    share = [0.0] * n
    for rank, i in enumerate(order[:len(_MINUTES)]):
        share[i] = _MINUTES[rank]
    scale = 5.0 / sum(share)
    share = [min(0.95, s * scale) for s in share]
    pos = [_POS[p.position] for p in players]
    usage = [math.exp(0.1 * p.skill(season)) * pos[i][9] * r.uniform(0.8, 1.2) for i, p in enumerate(players)]
    three = [min(0.8, max(0.02, pos[i][0] + r.gauss(0.0, 0.08))) for i in range(n)]   # weights stay > 0
    return TeamSide(
        team_id=team_id,
        player_ids=tuple(p.id for p in players),
        offense=truth.offense,
        defense=truth.defense,
        tempo=truth.tempo,
        three_rate=team.three_style,
        orb_rate=min(0.36, max(0.22, 0.29 + r.gauss(0.0, 0.02))),
        to_rate=min(0.24, max(0.12, 0.175 - 0.0015 * truth.offense + r.gauss(0.0, 0.01))),
        share=share,
        guard=[p.position == "G" for p in players],
        center=[p.position == "C" for p in players],
        starters=tuple(starters),
        w_three=[usage[i] * three[i] for i in range(n)],
        w_two=[usage[i] * (1.0 - three[i]) for i in range(n)],
        w_ast=[math.sqrt(usage[i]) * pos[i][1] for i in range(n)],
        w_orb=[pos[i][2] * r.uniform(0.8, 1.2) for i in range(n)],
        w_drb=[pos[i][3] * r.uniform(0.8, 1.2) for i in range(n)],
        w_stl=[pos[i][4] * r.uniform(0.7, 1.3) for i in range(n)],
        w_blk=[pos[i][5] * r.uniform(0.6, 1.4) for i in range(n)],
        w_foul=[pos[i][6] * r.uniform(0.8, 1.2) for i in range(n)],
        w_tov=[usage[i] * pos[i][7] for i in range(n)],
        ft_pct=[min(0.92, max(0.45, pos[i][8] + r.gauss(0.0, 0.06))) for i in range(n)],
    )
