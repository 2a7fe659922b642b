"""Record builders: one function per endpoint slug, returning SDK-shaped dicts.

Why builders are keyed by slug (``endpoints.slug_of``): the season exposes
``records(slug)`` and the API layer filters those records per request, so
this table is the single answer to "what does endpoint X return". Field
order follows each SDK model's ``__properties`` so dumps read like the API.

Conventions (see :mod:`.fmt`): conference strings are abbreviations (the
API's ``conference`` filter takes abbreviations); percentages are 0–100;
``turnoverRatio`` is a fraction; timestamps are UTC ``...000Z``.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from . import names
from .engine import (AST, BLK, DRB, DUNKM, FG2A, FG2M, FG3A, FG3M, FTA, FTM, LAYM, ON_PA, ON_PF, ON_POSS_A,
                     ON_POSS_F, ORB, PF, PTS, SECS, STARTER, STL, TIPM, TOV)
from .fmt import game_score, iso, pct, possessions, r1, ratio, season_label, shooting
from .players import Player, entering_class
from .rng import rng
from .schedule import Game

if TYPE_CHECKING:  # pragma: no cover
    from .season import SimulatedSeason

Record = dict[str, Any]
POSITION_LONG = {"G": "Guard", "F": "Forward", "C": "Center"}
# the draft's position codes for a roster position, as the /draft/picks ``position`` filter uses them
DRAFT_POSITION_CODES = {"G": ("PG", "SG", "G"), "F": ("SF", "PF", "F"), "C": ("C", "F-C", "C")}


def game_source_id(game: Game) -> str:
    return str(400_000_000 + game.id)


# ---------------------------------------------------------------- reference lists
def conferences(s: "SimulatedSeason") -> list[Record]:
    return [{"id": c.id, "sourceId": c.source_id, "name": c.name, "abbreviation": c.abbreviation,
             "shortName": c.short_name} for c in s.league.conferences]


def conference_history(s: "SimulatedSeason") -> list[Record]:
    out = []
    for c in s.league.conferences:
        members = []
        for t in s.league.teams:
            for m in t.history:
                if m.conference_id == c.id:
                    members.append({"endSeason": m.end_season, "startSeason": m.start_season, "mascot": t.mascot,
                                    "school": t.school, "sourceId": t.source_id, "id": t.id})
        out.append({"id": c.id, "sourceId": c.source_id, "name": c.name, "abbreviation": c.abbreviation,
                    "shortName": c.short_name, "teams": members})
    return out


def venues(s: "SimulatedSeason") -> list[Record]:
    return [{"id": v.id, "sourceId": v.source_id, "name": v.name, "city": v.city, "state": v.state,
             "country": v.country} for v in s.league.venues]


def teams(s: "SimulatedSeason") -> list[Record]:
    out = []
    for t in s.league.teams:
        conf = s.league.conference_by_id[t.conference_id]
        out.append({
            "id": t.id, "sourceId": t.source_id, "school": t.school, "mascot": t.mascot,
            "abbreviation": t.abbreviation, "displayName": t.display_name, "shortDisplayName": t.school,
            "primaryColor": t.primary_color, "secondaryColor": t.secondary_color, "currentVenueId": t.venue.id,
            "currentVenue": t.venue.name, "currentCity": t.venue.city, "currentState": t.venue.state,
            "conferenceId": conf.id, "conference": conf.abbreviation,
            "logos": [f"https://sim.cbbd.invalid/logos/{t.source_id}.png",
                      f"https://sim.cbbd.invalid/logos/dark/{t.source_id}.png"],
        })
    return out


def teams_directory(s: "SimulatedSeason") -> list[Record]:
    """One document (the endpoint returns an object, not a list)."""
    return [{
        "season": s.season,
        "seasonLabel": season_label(s.season),
        "teams": [{"id": t.id, "sourceId": t.source_id, "school": t.school, "mascot": t.mascot,
                   "abbreviation": t.abbreviation, "displayName": t.display_name, "shortDisplayName": t.school,
                   "conferenceId": t.conference_id} for t in s.league.teams],
        "conferences": [{"id": c.id, "name": c.name, "abbreviation": c.abbreviation} for c in s.league.conferences],
    }]


def _hometown(p: Player) -> Record:
    return {"countyFips": f"{p.state_fips}{(p.id % 97) * 2 + 1:03d}", "longitude": p.longitude,
            "latitude": p.latitude, "country": "USA", "state": p.state, "city": p.city}


def rosters(s: "SimulatedSeason") -> list[Record]:
    out = []
    for t in s.league.teams:
        players = sorted(s.rosters[t.id], key=lambda p: (p.jersey, p.id))
        out.append({
            "teamId": t.id, "teamSourceId": t.source_id, "team": t.school, "conference": s.conference_abbr(t.id),
            "season": s.season,
            "players": [{"id": p.id, "sourceId": p.source_id, "name": p.name, "firstName": p.first_name,
                         "lastName": p.last_name, "jersey": str(p.jersey), "position": p.position,
                         "height": p.height, "weight": p.weight, "hometown": _hometown(p),
                         "dateOfBirth": p.birth_date.isoformat(), "startSeason": p.start_season,
                         "endSeason": p.end_season} for p in players],
        })
    return out


PLAY_TYPES: tuple[tuple[int, str], ...] = (
    (402, "End Game"), (412, "End Period"), (437, "TipShot"), (478, "OfficialTVTimeOut"), (519, "PersonalFoul"),
    (521, "Technical Foul"), (540, "MadeFreeThrow"), (558, "JumpShot"), (572, "LayUpShot"), (574, "DunkShot"),
    (582, "RegularTimeOut"), (586, "Offensive Rebound"), (587, "Defensive Rebound"), (588, "Dead Ball Rebound"),
    (598, "Lost Ball Turnover"), (601, "Block Shot"), (607, "Steal"), (615, "Jumpball"),
)


def play_types(s: "SimulatedSeason") -> list[Record]:
    return [{"id": i, "name": n} for i, n in PLAY_TYPES]


def line_providers(s: "SimulatedSeason") -> list[Record]:
    return [{"id": i, "name": n} for i, n in names.LINE_PROVIDERS]


def draft_positions(s: "SimulatedSeason") -> list[Record]:
    return [{"name": n, "abbreviation": a} for n, a in names.DRAFT_POSITIONS]


def draft_teams(s: "SimulatedSeason") -> list[Record]:
    return [{"id": d.id, "sourceId": d.source_id, "location": d.location, "name": d.name,
             "displayName": d.display_name, "abbreviation": d.abbreviation} for d in s.league.draft_teams]


# ---------------------------------------------------------------- games
def _excitement(g: Game) -> float:
    o = g.outcome
    margin = abs(o.points[0] - o.points[1])
    return round(min(10.0, 1.5 + 0.3 * o.lead_changes + 0.45 * max(0, 10 - margin) + 1.5 * (o.periods - 2)), 1)


def game_info(s: "SimulatedSeason", g: Game) -> Record:
    o = g.outcome
    ht, at = s.team(g.home_id), s.team(g.away_id)
    venue = s.league.venue_by_id[g.venue_id]
    home_won = o.points[0] > o.points[1]
    return {
        "id": g.id, "sourceId": game_source_id(g), "seasonLabel": season_label(g.season), "season": g.season,
        "seasonType": g.season_type, "startDate": iso(g.start), "startTimeTbd": False, "neutralSite": g.neutral,
        "conferenceGame": g.conference_game, "gameType": g.game_type, "tournament": g.tournament,
        "gameNotes": g.notes, "status": "final", "attendance": g.attendance,
        "homeTeamId": ht.id, "homeTeam": ht.school, "homeConferenceId": ht.conference_id,
        "homeConference": s.conference_abbr(ht.id), "homeSeed": g.home_seed, "homePoints": o.points[0],
        "homePeriodPoints": list(o.period_points[0]), "homeWinner": home_won, "homeTeamEloStart": g.elo[0],
        "homeTeamEloEnd": g.elo[1],
        "awayTeamId": at.id, "awayTeam": at.school, "awayConferenceId": at.conference_id,
        "awayConference": s.conference_abbr(at.id), "awaySeed": g.away_seed, "awayPoints": o.points[1],
        "awayPeriodPoints": list(o.period_points[1]), "awayWinner": not home_won, "awayTeamEloStart": g.elo[2],
        "awayTeamEloEnd": g.elo[3],
        "excitement": _excitement(g), "venueId": venue.id, "venue": venue.name, "city": venue.city,
        "state": venue.state,
    }


def games(s: "SimulatedSeason") -> list[Record]:
    return [game_info(s, g) for g in s.games]


def named_totals(t: tuple[int, ...] | list[int], u: tuple[int, ...] | list[int], fast_break: int,
                 off_turnovers: int, largest_lead: int) -> dict[str, float]:
    """Named counting stats from a team's and its opponent's summed counters (games or seasons)."""
    fgm, fga = t[FG2M] + t[FG3M], t[FG2A] + t[FG3A]
    return {
        "pts": t[PTS], "fg2m": t[FG2M], "fg2a": t[FG2A], "fg3m": t[FG3M], "fg3a": t[FG3A], "fgm": fgm, "fga": fga,
        "ftm": t[FTM], "fta": t[FTA], "orb": t[ORB], "drb": t[DRB], "ast": t[AST], "stl": t[STL], "blk": t[BLK],
        "tov": t[TOV], "pf": t[PF], "opp_drb": u[DRB], "fast_break": fast_break, "off_turnovers": off_turnovers,
        "in_paint": 2 * (t[DUNKM] + t[LAYM] + t[TIPM]), "largest_lead": largest_lead,
        "poss": possessions(fga, t[ORB], t[TOV], t[FTA]),
    }


def team_totals(g: Game, side: int) -> dict[str, float]:
    """Named counting stats of one side of a game, plus derived possessions (shared by box and season stats)."""
    o = g.outcome
    return named_totals(o.totals[side], o.totals[1 - side], o.fast_break[side], o.off_turnovers[side],
                        o.largest_lead[side])


def four_factors(x: dict[str, float]) -> Record:
    return {
        "freeThrowRate": pct(x["fta"], x["fga"]),
        "offensiveReboundPct": pct(x["orb"], x["orb"] + x["opp_drb"]),
        "turnoverRatio": ratio(x["tov"], x["poss"]),
        "effectiveFieldGoalPct": pct(x["fgm"] + 0.5 * x["fg3m"], x["fga"]),
    }


def unit_stats(x: dict[str, float], by_period: list[int] | None, with_game_score: bool) -> Record:
    """GameBoxScoreTeamStats (and, without gameScore/byPeriod/largestLead, TeamSeasonUnitStats)."""
    points: Record = {"fastBreak": x["fast_break"], "offTurnovers": x["off_turnovers"], "inPaint": x["in_paint"]}
    if with_game_score:
        points.update({"byPeriod": by_period, "largestLead": x["largest_lead"]})
    points["total"] = x["pts"]
    out: Record = {
        "fieldGoals": shooting(x["fgm"], x["fga"]),
        "twoPointFieldGoals": shooting(x["fg2m"], x["fg2a"]),
        "threePointFieldGoals": shooting(x["fg3m"], x["fg3a"]),
        "freeThrows": shooting(x["ftm"], x["fta"]),
        "rebounds": {"total": x["orb"] + x["drb"], "defensive": x["drb"], "offensive": x["orb"]},
        "turnovers": {"teamTotal": 0, "total": x["tov"]},
        "fouls": {"flagrant": 0, "technical": 0, "total": x["pf"]},
        "points": points,
        "fourFactors": four_factors(x),
        "assists": x["ast"], "blocks": x["blk"], "steals": x["stl"],
        "possessions": r1(x["poss"]),
        "rating": r1(100.0 * x["pts"] / x["poss"]) if x["poss"] else None,
        "trueShooting": pct(x["pts"], 2.0 * (x["fga"] + 0.44 * x["fta"])),
    }
    if with_game_score:
        out["gameScore"] = game_score(x["pts"], x["fgm"], x["fga"], x["ftm"], x["fta"], x["orb"], x["drb"],
                                      x["stl"], x["ast"], x["blk"], x["pf"], x["tov"])
    return out


def _game_side_header(s: "SimulatedSeason", g: Game, side: int) -> Record:
    tid, oid = (g.home_id, g.away_id) if side == 0 else (g.away_id, g.home_id)
    return {
        "gameId": g.id, "season": g.season, "seasonLabel": season_label(g.season), "seasonType": g.season_type,
        "tournament": g.tournament, "startDate": iso(g.start), "startTimeTbd": False, "teamId": tid,
        "team": s.team(tid).school, "conference": s.conference_abbr(tid),
        "teamSeed": g.home_seed if side == 0 else g.away_seed, "opponentId": oid, "opponent": s.team(oid).school,
        "opponentConference": s.conference_abbr(oid), "opponentSeed": g.away_seed if side == 0 else g.home_seed,
        "neutralSite": g.neutral, "isHome": side == 0, "conferenceGame": g.conference_game,
        "gameType": g.game_type, "notes": g.notes,
    }


def game_pace(g: Game) -> float:
    x0, x1 = team_totals(g, 0), team_totals(g, 1)
    return r1((x0["poss"] + x1["poss"]) / 2.0 * 2400.0 / g.outcome.seconds)


def box_teams(s: "SimulatedSeason", g: Game) -> list[Record]:
    """GameBoxScoreTeam for both sides, home first."""
    out = []
    pace = game_pace(g)
    for side in (0, 1):
        rec = _game_side_header(s, g, side)
        rec["gameMinutes"] = g.outcome.seconds // 60
        rec["pace"] = pace
        rec["teamStats"] = unit_stats(team_totals(g, side), list(g.outcome.period_points[side]), True)
        rec["opponentStats"] = unit_stats(team_totals(g, 1 - side), list(g.outcome.period_points[1 - side]), True)
        out.append(rec)
    return out


def games_teams(s: "SimulatedSeason") -> list[Record]:
    return [r for g in s.games for r in box_teams(s, g)]


def player_line(p: Player, row: tuple[int, ...], team: dict[str, float], team_secs: int) -> Record:
    """GameBoxScorePlayersPlayersInner from one player's counters."""
    fgm, fga = row[FG2M] + row[FG3M], row[FG2A] + row[FG3A]
    mins = row[SECS] / 60.0
    game_min = team_secs / 60.0      # the team's minutes / 5 in the usual formulas
    used = fga + 0.44 * row[FTA] + row[TOV]
    team_used = team["fga"] + 0.44 * team["fta"] + team["tov"]
    usage = round(100.0 * used * game_min / (mins * team_used), 1) if mins and team_used else None
    ortg = r1(100.0 * row[ON_PF] / row[ON_POSS_F]) if row[ON_POSS_F] else None
    drtg = r1(100.0 * row[ON_PA] / row[ON_POSS_A]) if row[ON_POSS_A] else None
    reb_chances = team["orb"] + team["opp_drb"]
    return {
        "rebounds": {"total": row[ORB] + row[DRB], "defensive": row[DRB], "offensive": row[ORB]},
        "freeThrows": shooting(row[FTM], row[FTA]),
        "threePointFieldGoals": shooting(row[FG3M], row[FG3A]),
        "twoPointFieldGoals": shooting(row[FG2M], row[FG2A]),
        "fieldGoals": shooting(fgm, fga),
        "offensiveReboundPct": (round(100.0 * row[ORB] * game_min / (mins * reb_chances), 1)
                                if mins and reb_chances else None),
        "freeThrowRate": pct(row[FTA], fga),
        "assistsTurnoverRatio": ratio(row[AST], row[TOV], 2),
        "gameScore": game_score(row[PTS], fgm, fga, row[FTM], row[FTA], row[ORB], row[DRB], row[STL], row[AST],
                                row[BLK], row[PF], row[TOV]),
        "trueShootingPct": pct(row[PTS], 2.0 * (fga + 0.44 * row[FTA])),
        "effectiveFieldGoalPct": pct(fgm + 0.5 * row[FG3M], fga),
        "netRating": r1(ortg - drtg) if ortg is not None and drtg is not None else None,
        "defensiveRating": drtg,
        "offensiveRating": ortg,
        "usage": usage,
        "blocks": row[BLK], "steals": row[STL], "assists": row[AST], "fouls": row[PF], "turnovers": row[TOV],
        "points": row[PTS], "minutes": round(mins),
        "ejected": False, "starter": bool(row[STARTER]),
        "position": p.position, "name": p.name, "athleteSourceId": p.source_id, "athleteId": p.id,
    }


def box_players(s: "SimulatedSeason", g: Game) -> list[Record]:
    """GameBoxScorePlayers for both sides: starters first, then by minutes."""
    out = []
    pace = game_pace(g)
    for side in (0, 1):
        tid = g.home_id if side == 0 else g.away_id
        team = team_totals(g, side)
        ros = s.rosters[tid]
        rows = sorted(g.outcome.players[side], key=lambda ir: (-ir[1][STARTER], -ir[1][SECS], ir[0]))
        rec = _game_side_header(s, g, side)
        rec["gameMinutes"] = g.outcome.seconds // 60
        rec["gamePace"] = pace
        rec["players"] = [player_line(ros[i], row, team, g.outcome.seconds) for i, row in rows]
        out.append(rec)
    return out


def games_players(s: "SimulatedSeason") -> list[Record]:
    return [r for g in s.games for r in box_players(s, g)]


# ---------------------------------------------------------------- media and lines
def media_record(s: "SimulatedSeason", g: Game) -> Record:
    r = rng(g.seed, "media")
    strength = max(s.team(g.home_id).base, s.team(g.away_id).base)
    if g.tournament == "NCAA":
        nets = [("CBS", "TV")] if g.notes and ("Final" in g.notes or "Championship" in g.notes) else \
            [r.choice([("CBS", "TV"), ("TBS", "TV"), ("TNT", "TV"), ("truTV", "TV")])]
    elif strength > 6 or g.season_type == "postseason":
        nets = [r.choice(names.BROADCASTS[:6])]
    else:
        nets = [r.choice(names.BROADCASTS[5:])]
    if r.random() < 0.25:
        extra = ("Campus Radio", "Radio")
        if extra not in nets:
            nets.append(extra)
    hdr = _game_side_header(s, g, 0)
    return {
        "gameId": g.id, "season": g.season, "seasonLabel": hdr["seasonLabel"], "seasonType": g.season_type,
        "tournament": g.tournament, "startDate": hdr["startDate"], "startTimeTbd": False,
        "homeTeamId": g.home_id, "homeTeam": hdr["team"], "homeConference": hdr["conference"],
        "awayTeamId": g.away_id, "awayTeam": hdr["opponent"], "awayConference": hdr["opponentConference"],
        "neutralSite": g.neutral, "conferenceGame": g.conference_game, "gameType": g.game_type, "notes": g.notes,
        "broadcasts": [{"broadcastName": n, "broadcastType": t} for n, t in nets],
    }


def games_media(s: "SimulatedSeason") -> list[Record]:
    return [media_record(s, g) for g in s.games]


def _moneyline(p: float) -> int:
    """American odds for win probability ``p``, with a bookmaker's margin of ~2.5 points each side."""
    p = min(0.99, max(0.01, p + 0.025))
    return -round(100 * p / (1 - p) / 5) * 5 if p >= 0.5 else round(100 * (1 - p) / p / 5) * 5


def pregame_line(s: "SimulatedSeason", g: Game) -> tuple[float, float] | None:
    """The market's view of a game: (home spread, total), or None for the ~8% of games without lines.

    The spread is minus the expected home margin from the truth, plus market noise, so "lines spread ≈
    predicted margin" holds as it does for real books.
    """
    r = rng(g.seed, "lines")
    if r.random() < 0.08:
        return None
    margin = s.truth.expected_margin(g.home_id, g.away_id, g.neutral) + r.gauss(0.0, 1.8)
    total = s.truth.expected_total(g.home_id, g.away_id) + r.gauss(0.0, 2.5)
    return -round(margin * 2) / 2, round(total * 2) / 2


def lines_record(s: "SimulatedSeason", g: Game) -> Record | None:
    line = pregame_line(s, g)
    if line is None:
        return None
    spread, total = line
    r = rng(g.seed, "providers")
    providers = [p for p in names.LINE_PROVIDERS if r.random() < 0.8] or [names.LINE_PROVIDERS[0]]
    lines = []
    for _, provider in providers:
        sp = spread + r.choice((-0.5, 0.0, 0.0, 0.0, 0.5))
        tot = total + r.choice((-1.0, -0.5, 0.0, 0.0, 0.5, 1.0))
        p_home = 0.5 * (1.0 + math.erf(-sp / 11.0 / math.sqrt(2.0)))
        lines.append({"provider": provider, "spread": sp, "overUnder": tot, "homeMoneyline": _moneyline(p_home),
                      "awayMoneyline": _moneyline(1.0 - p_home), "spreadOpen": sp + r.choice((-1.0, -0.5, 0.0, 0.5)),
                      "overUnderOpen": tot + r.choice((-1.5, -0.5, 0.0, 0.5, 1.5))})
    hdr = _game_side_header(s, g, 0)
    return {
        "gameId": g.id, "season": g.season, "seasonType": g.season_type, "startDate": hdr["startDate"],
        "homeTeamId": g.home_id, "homeTeam": hdr["team"], "homeConference": hdr["conference"],
        "homeScore": g.home_points, "awayTeamId": g.away_id, "awayTeam": hdr["opponent"],
        "awayConference": hdr["opponentConference"], "awayScore": g.away_points, "lines": lines,
    }


def lines(s: "SimulatedSeason") -> list[Record]:
    return [rec for g in s.games if (rec := lines_record(s, g)) is not None]


def scoreboard(s: "SimulatedSeason") -> list[Record]:
    """The "live" scoreboard: the season's last game day, every game final."""
    last_day = s.games[-1].day
    out = []
    for g in s.games:
        if g.day != last_day:
            continue
        venue = s.league.venue_by_id[g.venue_id]
        media = media_record(s, g)
        line = pregame_line(s, g)
        sides = []
        for side, tid in ((0, g.home_id), (1, g.away_id)):
            conf = s.league.conference_by_id[s.team(tid).conference_id]
            sides.append({"lineScores": list(g.outcome.period_points[side]), "points": g.outcome.points[side],
                          "conferenceAbbreviation": conf.abbreviation, "conference": conf.name,
                          "location": s.team(tid).school, "name": s.team(tid).mascot, "id": tid})
        betting: Record = {"awayMoneyline": None, "homeMoneyline": None, "overUnder": None, "spread": None}
        if line is not None:
            p_home = 0.5 * (1.0 + math.erf(-line[0] / 11.0 / math.sqrt(2.0)))
            betting = {"awayMoneyline": _moneyline(1 - p_home), "homeMoneyline": _moneyline(p_home),
                       "overUnder": line[1], "spread": line[0]}
        out.append({
            "id": g.id, "startDate": iso(g.start), "startTimeTbd": False,
            "tv": media["broadcasts"][0]["broadcastName"], "neutralSite": g.neutral,
            "conferenceGame": g.conference_game, "status": "final", "period": g.outcome.periods, "clock": "0:00",
            "venue": venue.name, "city": venue.city, "state": venue.state, "homeTeam": sides[0],
            "awayTeam": sides[1], "betting": betting,
        })
    return out


# ---------------------------------------------------------------- ratings and polls
def _rank(values: dict[int, float], descending: bool = True) -> dict[int, int]:
    order = sorted(values, key=lambda t: ((-values[t] if descending else values[t]), t))
    return {t: i + 1 for i, t in enumerate(order)}



def ratings_adjusted(s: "SimulatedSeason") -> list[Record]:
    """Adjusted efficiencies: the truth plus estimation noise (points per 100; lower defense is better)."""
    r = rng(s.seed, s.size, "adjusted", s.season)
    off: dict[int, float] = {}
    de: dict[int, float] = {}
    for t in s.league.teams:
        tr = s.truth.teams[t.id]
        off[t.id] = round(s.truth.average_efficiency + tr.offense + r.gauss(0.0, 1.2), 1)
        de[t.id] = round(s.truth.average_efficiency - tr.defense + r.gauss(0.0, 1.2), 1)
    net = {t: round(off[t] - de[t], 1) for t in off}
    rn, ro, rd = _rank(net), _rank(off), _rank(de, descending=False)
    return [{"season": s.season, "teamId": t.id, "team": t.school, "conference": s.conference_abbr(t.id),
             "offensiveRating": off[t.id], "defensiveRating": de[t.id], "netRating": net[t.id],
             "rankings": {"net": rn[t.id], "defense": rd[t.id], "offense": ro[t.id]}} for t in s.league.teams]


def ratings_srs(s: "SimulatedSeason") -> list[Record]:
    """SRS: expected margin against an average team on a neutral floor, plus noise."""
    r = rng(s.seed, s.size, "srs", s.season)
    out = []
    for t in s.league.teams:
        tr = s.truth.teams[t.id]
        out.append({"season": s.season, "teamId": t.id, "team": t.school, "conference": s.conference_abbr(t.id),
                    "rating": round(tr.net * tr.tempo / 100.0 + r.gauss(0.0, 1.0), 2)})
    return out


def final_elo(s: "SimulatedSeason") -> dict[int, int]:
    elo = {t.id: round(1500 + 12.0 * t.base) for t in s.league.teams}
    for g in s.games:
        elo[g.home_id], elo[g.away_id] = g.elo[1], g.elo[3]
    return elo


def ratings_elo(s: "SimulatedSeason") -> list[Record]:
    elo = final_elo(s)
    return [{"season": s.season, "teamId": t.id, "team": t.school, "conference": s.conference_abbr(t.id),
             "elo": elo[t.id]} for t in s.league.teams]


POLL_VOTERS = {"AP Top 25": 62, "Coaches Poll": 32}


def poll_weeks(s: "SimulatedSeason") -> list[tuple[int, str, dt.date]]:
    """(week, seasonType, poll day): preseason, every Monday to Selection Sunday, and a final poll."""
    d = s.dates
    weeks = [(1, "regular", d["preseason_poll"])]
    day = d["opening"] + dt.timedelta(days=7)
    while day <= d["selection"] + dt.timedelta(days=1):
        weeks.append((len(weeks) + 1, "regular", day))
        day += dt.timedelta(days=7)
    weeks.append((len(weeks) + 1, "postseason", d["title"] + dt.timedelta(days=1)))
    return weeks


def rankings(s: "SimulatedSeason") -> list[Record]:
    """AP and Coaches polls: a preseason view of program and team strength, then more and more results."""
    n_ranked = min(25, max(5, len(s.league.teams) // 3))
    r = rng(s.seed, s.size, "polls", s.season)
    prior = {t.id: 0.6 * t.base + 0.4 * s.truth.teams[t.id].net + r.gauss(0.0, 3.0) for t in s.league.teams}
    games = sorted(s.games, key=lambda g: g.start)
    out: list[Record] = []
    gi = 0
    won: dict[int, int] = {t.id: 0 for t in s.league.teams}
    played: dict[int, int] = {t.id: 0 for t in s.league.teams}
    margin: dict[int, float] = {t.id: 0.0 for t in s.league.teams}
    for week, season_type, day in poll_weeks(s):
        cutoff = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
        while gi < len(games) and games[gi].start < cutoff:
            g = games[gi]
            m = g.home_points - g.away_points
            for tid, mm in ((g.home_id, m), (g.away_id, -m)):
                played[tid] += 1
                won[tid] += mm > 0
                margin[tid] += max(-20.0, min(20.0, mm)) + 0.4 * prior[g.away_id if tid == g.home_id else g.home_id]
            gi += 1
        for poll, voters in POLL_VOTERS.items():
            pr = rng(s.seed, s.size, "poll", s.season, week, poll)
            score = {}
            for tid in prior:
                n = played[tid]
                w = max(0.25, 1.0 - n / 12.0)
                resume = (margin[tid] / n + 12.0 * (won[tid] / n - 0.5)) if n else prior[tid]
                score[tid] = w * prior[tid] + (1 - w) * resume + pr.gauss(0.0, 1.0)
            ranked = sorted(score, key=lambda t: (-score[t], t))[:n_ranked]
            top_gap = score[ranked[0]] - score[ranked[1]]
            first_votes = min(voters, max(voters // 2, round(voters * (0.55 + 0.1 * top_gap))))
            rest = voters - first_votes
            for rank, tid in enumerate(ranked, start=1):
                fpv = first_votes if rank == 1 else (rest // 2 if rank == 2 else (rest - rest // 2 if rank == 3 else 0))
                points = voters * (n_ranked + 1 - rank) + (fpv if rank <= 3 else 0) - (pr.randrange(0, voters // 2)
                                                                                       if rank > 1 else 0)
                out.append({"season": s.season, "seasonType": season_type, "week": week,
                            "pollDate": f"{day.isoformat()}T00:00:00.000Z", "pollType": poll, "teamId": tid,
                            "team": s.team(tid).school, "conference": s.conference_abbr(tid), "ranking": rank,
                            "points": points, "firstPlaceVotes": fpv})
    return out


# ---------------------------------------------------------------- recruiting, portal, draft
def _recruit_position(p: Player) -> str:
    return {"G": ("PG", "SG", "CG")[p.id % 3], "F": ("SF", "PF", "WF")[p.id % 3], "C": "C"}[p.position]


def recruits_of_year(s: "SimulatedSeason", year: int) -> list[tuple[int, Player]]:
    """High-school recruits of class ``year``: the players who start college in season ``year + 1``."""
    out = []
    for t in s.league.teams:
        for p in entering_class(s.league, t.id, year + 1):
            if not p.walk_on and p.origin_team_id is None:
                out.append((t.id, p))
    out.sort(key=lambda tp: (-tp[1].recruit_rating, tp[1].id))
    return out


def recruiting_players(s: "SimulatedSeason") -> list[Record]:
    out = []
    for rank, (tid, p) in enumerate(recruits_of_year(s, s.season), start=1):
        t = s.team(tid)
        out.append({
            "id": 10_000_000 + p.id, "sourceId": str(80_000 + p.id), "position": _recruit_position(p),
            "schoolId": 5_000 + p.id % 4_000, "school": f"{p.city} High School", "hometown": _hometown(p),
            "committedTo": {"conference": s.conference_abbr(tid), "name": t.school, "id": t.id},
            "athleteId": p.id, "year": s.season, "name": p.name, "heightInches": p.height,
            "weightPounds": p.weight, "stars": p.stars, "rating": p.recruit_rating, "ranking": rank,
        })
    return out


def recruiting_teams(s: "SimulatedSeason") -> list[Record]:
    points: dict[int, float] = {}
    for tid, p in recruits_of_year(s, s.season):
        points[tid] = points.get(tid, 0.0) + 100.0 * p.recruit_rating ** 4
    order = sorted(points, key=lambda t: (-points[t], t))
    return [{"teamId": tid, "team": s.team(tid).school, "conference": s.conference_abbr(tid), "year": s.season,
             "ranking": i + 1, "rating": round(points[tid], 2)} for i, tid in enumerate(order)]


def recruiting_portal(s: "SimulatedSeason") -> list[Record]:
    """Transfers whose first season at their new program is this season."""
    out = []
    for t in s.league.teams:
        for p in s.rosters[t.id]:
            if p.join_season != s.season or p.origin_team_id is None:
                continue
            origin = s.team(p.origin_team_id)
            out.append({
                "id": 20_000_000 + p.id, "sourceId": str(90_000 + p.id), "year": s.season,
                "firstName": p.first_name, "lastName": p.last_name, "position": POSITION_LONG[p.position],
                "origin": {"conference": s.conference_abbr(origin.id), "name": origin.school, "id": origin.id},
                "destination": {"conference": s.conference_abbr(t.id), "name": t.school, "id": t.id},
                "eligibility": "Immediate", "yearsRemaining": p.end_season - s.season + 1, "stars": p.stars,
                "rating": p.recruit_rating,
            })
    out.sort(key=lambda x: x["id"])
    return out



def draft_picks(s: "SimulatedSeason") -> list[Record]:
    """Players whose college career ends this season, best first: two rounds of up to 30 picks."""
    pool = [(t, p) for t in s.league.teams for p in s.rosters[t.id]
            if p.end_season == s.season and not p.walk_on and (p.early_entry or p.start_season + 3 == s.season)]
    pool.sort(key=lambda tp: (-tp[1].skill(s.season), tp[1].id))
    drafted = [tp for tp in pool if tp[1].skill(s.season) >= 6.0][:60] or pool[:2]
    r = rng(s.seed, s.size, "draft", s.season)
    order = list(s.league.draft_teams)
    r.shuffle(order)
    pos_rank: dict[str, int] = {}
    out = []
    for overall, (t, p) in enumerate(drafted, start=1):
        rnd, pick = divmod(overall - 1, 30)
        nba = order[pick]
        pos_rank[p.position] = pos_rank.get(p.position, 0) + 1
        out.append({
            "athleteId": p.id, "sourceTeamId": t.id, "sourceTeamLocation": t.school, "sourceTeamName": t.mascot,
            "sourceTeamLeagueAffiliation": "NCAA Division I", "sourceTeamCollegeId": t.id,
            "draftTeamId": nba.id, "draftTeam": nba.display_name, "year": s.season, "overall": overall,
            "round": rnd + 1, "pick": pick + 1, "name": p.name,
            "overallRank": overall + r.choice((-2, -1, 0, 0, 1, 3)) if overall > 2 else overall,
            "positionRank": pos_rank[p.position], "height": p.height, "weight": p.weight,
        })
    return out
