"""Season aggregates: team and player season stats, shooting splits, the leaderboard, team overviews.

Why computed from the game counters on every request: the real endpoints
filter by season type and date range, so the same aggregation must work on
any subset of games; summing a few thousand small tuples is fast enough. The
numbers therefore add up exactly to the box scores (a season's points are the
sum of its games' points), which is what downstream reconciliation checks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .engine import (AST, BLK, DRB, DUNKA, DUNKAST, DUNKM, FG2A, FG2M, FG3A, FG3M, FTA, FTM, JUMPA, JUMPAST,
                     JUMPM, LAYA, LAYAST, LAYM, NSTAT, ON_PA, ON_PF, ON_POSS_A, ON_POSS_F, ORB, PF, PTS, SECS,
                     STARTER, STL, SUMMED, THREEAST, TIPA, TIPM, TOV)
from .fmt import iso, pct, pct0, r1, ratio, season_label, shooting
from .records import four_factors, named_totals, unit_stats
from .schedule import Game

if TYPE_CHECKING:  # pragma: no cover
    from .season import SimulatedSeason

Record = dict[str, Any]


class TeamAgg:
    """One team's summed counters over a set of games."""

    def __init__(self) -> None:
        self.team = [0] * SUMMED
        self.opp = [0] * SUMMED
        self.games = self.wins = self.secs = 0
        self.fast_break = self.off_to = self.opp_fast_break = self.opp_off_to = 0
        self.conf_games = self.conf_wins = 0

    def add(self, g: Game, side: int) -> None:
        o = g.outcome
        t, u = o.totals[side], o.totals[1 - side]
        for i in range(SUMMED):
            self.team[i] += t[i]
            self.opp[i] += u[i]
        self.games += 1
        won = o.points[side] > o.points[1 - side]
        self.wins += won
        if g.conference_game and g.game_type == "STD":
            self.conf_games += 1
            self.conf_wins += won
        self.secs += o.seconds
        self.fast_break += o.fast_break[side]
        self.off_to += o.off_turnovers[side]
        self.opp_fast_break += o.fast_break[1 - side]
        self.opp_off_to += o.off_turnovers[1 - side]

    def named(self) -> tuple[dict[str, float], dict[str, float]]:
        return (named_totals(self.team, self.opp, self.fast_break, self.off_to, 0),
                named_totals(self.opp, self.team, self.opp_fast_break, self.opp_off_to, 0))

    @property
    def pace(self) -> float | None:
        t, o = self.named()
        return r1((t["poss"] + o["poss"]) / 2.0 * 2400.0 / self.secs) if self.secs else None


def team_aggregates(games: Iterable[Game], team_ids: set[int] | None = None) -> dict[int, TeamAgg]:
    out: dict[int, TeamAgg] = {}
    for g in games:
        for side, tid in ((0, g.home_id), (1, g.away_id)):
            if team_ids is None or tid in team_ids:
                out.setdefault(tid, TeamAgg()).add(g, side)
    return out


def _season_unit(x: dict[str, float]) -> Record:
    """TeamSeasonUnitStats: the game unit without byPeriod/largestLead/gameScore."""
    return unit_stats(x, None, False)


def team_season_stats(s: "SimulatedSeason", games: Iterable[Game], team_ids: set[int] | None = None) -> list[Record]:
    aggs = team_aggregates(games, team_ids)
    out = []
    for tid in sorted(aggs, key=lambda t: s.team(t).school):
        a = aggs[tid]
        t, o = a.named()
        out.append({
            "season": s.season, "seasonLabel": season_label(s.season), "teamId": tid, "team": s.team(tid).school,
            "conference": s.conference_abbr(tid), "games": a.games, "wins": a.wins, "losses": a.games - a.wins,
            "totalMinutes": a.secs // 60, "pace": a.pace, "teamStats": _season_unit(t), "opponentStats": _season_unit(o),
        })
    return out


# ---------------------------------------------------------------- players
class PlayerAgg:
    def __init__(self, team_id: int, roster_index: int) -> None:
        self.team_id, self.index = team_id, roster_index
        self.v = [0] * NSTAT
        self.games = 0
        self.team_secs = 0
        self.team_used = 0.0        # team FGA + 0.44 FTA + TOV in the player's games
        self.team_reb = 0           # team ORB + opponent DRB in the player's games

    def add(self, row: tuple[int, ...], g: Game, side: int) -> None:
        for i in range(NSTAT):
            self.v[i] += row[i]
        self.games += 1
        t, u = g.outcome.totals[side], g.outcome.totals[1 - side]
        self.team_secs += g.outcome.seconds
        self.team_used += t[FG2A] + t[FG3A] + 0.44 * t[FTA] + t[TOV]
        self.team_reb += t[ORB] + u[DRB]


def player_aggregates(s: "SimulatedSeason", games: Iterable[Game],
                      team_ids: set[int] | None = None) -> dict[int, PlayerAgg]:
    out: dict[int, PlayerAgg] = {}
    for g in games:
        for side, tid in ((0, g.home_id), (1, g.away_id)):
            if team_ids is not None and tid not in team_ids:
                continue
            ids = s.sides[tid].player_ids
            for i, row in g.outcome.players[side]:
                pid = ids[i]
                agg = out.get(pid)
                if agg is None:
                    agg = out[pid] = PlayerAgg(tid, i)
                agg.add(row, g, side)
    return out


def player_metrics(a: PlayerAgg) -> Record:
    """Derived per-player season metrics shared by season stats and the team overview."""
    v = a.v
    fgm, fga = v[FG2M] + v[FG3M], v[FG2A] + v[FG3A]
    mins = v[SECS] / 60.0
    used = fga + 0.44 * v[FTA] + v[TOV]
    usage = round(100.0 * used * (a.team_secs / 60.0) / (mins * a.team_used), 1) if mins and a.team_used else None
    ortg = r1(100.0 * v[ON_PF] / v[ON_POSS_F]) if v[ON_POSS_F] else None
    drtg = r1(100.0 * v[ON_PA] / v[ON_POSS_A]) if v[ON_POSS_A] else None
    games40 = mins / 40.0
    ows = round((ortg - 92.0) / 100.0 * games40 * 0.7, 2) if ortg is not None else None
    dws = round((108.0 - drtg) / 100.0 * games40 * 0.5, 2) if drtg is not None else None
    total = round(ows + dws, 2) if ows is not None and dws is not None else None
    min_share = mins / (a.team_secs / 60.0) if a.team_secs else 0.0     # share of the minutes played
    return {
        "fgm": fgm, "fga": fga, "minutes": round(mins, 1), "usage": usage, "ortg": ortg, "drtg": drtg,
        "net": r1(ortg - drtg) if ortg is not None and drtg is not None else None,
        "porpag": round((ortg - 88.0) * (usage or 0.0) / 100.0 * min_share, 2) if ortg is not None else None,
        "efg": pct(fgm + 0.5 * v[FG3M], fga), "ts": pct(v[PTS], 2.0 * (fga + 0.44 * v[FTA])),
        "ast_tov": ratio(v[AST], v[TOV], 2), "ftr": pct(v[FTA], fga),
        "orb_pct": (round(100.0 * v[ORB] * (a.team_secs / 60.0) / (mins * a.team_reb), 1)
                    if mins and a.team_reb else None),
        "ws": {"totalPer40": round(total / mins * 40.0, 3) if total is not None and mins else None,
               "total": total, "defensive": dws, "offensive": ows},
    }


def player_season_stats(s: "SimulatedSeason", games: Iterable[Game], team_ids: set[int] | None = None) -> list[Record]:
    aggs = player_aggregates(s, games, team_ids)
    out = []
    for pid in sorted(aggs, key=lambda p: (s.team(aggs[p].team_id).school, p)):
        a = aggs[pid]
        p = s.rosters[a.team_id][a.index]
        m = player_metrics(a)
        v = a.v
        out.append({
            "season": s.season, "seasonLabel": season_label(s.season), "teamId": a.team_id,
            "team": s.team(a.team_id).school, "conference": s.conference_abbr(a.team_id), "athleteId": pid,
            "athleteSourceId": p.source_id, "name": p.name, "position": p.position, "games": a.games,
            "starts": v[STARTER], "minutes": m["minutes"], "points": v[PTS], "turnovers": v[TOV], "fouls": v[PF],
            "assists": v[AST], "steals": v[STL], "blocks": v[BLK], "usage": m["usage"],
            "offensiveRating": m["ortg"], "defensiveRating": m["drtg"], "netRating": m["net"],
            "PORPAG": m["porpag"], "effectiveFieldGoalPct": m["efg"], "trueShootingPct": m["ts"],
            "assistsTurnoverRatio": m["ast_tov"], "freeThrowRate": m["ftr"], "offensiveReboundPct": m["orb_pct"],
            "fieldGoals": shooting(m["fgm"], m["fga"]), "twoPointFieldGoals": shooting(v[FG2M], v[FG2A]),
            "threePointFieldGoals": shooting(v[FG3M], v[FG3A]), "freeThrows": shooting(v[FTM], v[FTA]),
            "rebounds": {"total": v[ORB] + v[DRB], "defensive": v[DRB], "offensive": v[ORB]},
            "winShares": m["ws"],
        })
    return out


# ---------------------------------------------------------------- shooting
def _kind(made: int, att: int, assisted: int) -> Record:
    return {"made": made, "attempted": att, "pct": pct0(made, att), "assistedPct": pct0(assisted, made),
            "assisted": assisted}


def shooting_split(v: list[int] | tuple[int, ...]) -> Record:
    """The shared part of SeasonShootingStats / PlayerSeasonShootingStats from summed counters."""
    fga = v[FG2A] + v[FG3A]
    fgm = v[FG2M] + v[FG3M]
    assisted = v[DUNKAST] + v[LAYAST] + v[JUMPAST] + v[THREEAST]
    return {
        "trackedShots": fga, "assistedPct": pct0(assisted, fgm), "freeThrowRate": pct0(v[FTA], fga),
        "dunks": _kind(v[DUNKM], v[DUNKA], v[DUNKAST]),
        "layups": _kind(v[LAYM], v[LAYA], v[LAYAST]),
        "tipIns": {"made": v[TIPM], "attempted": v[TIPA], "pct": pct0(v[TIPM], v[TIPA])},
        "twoPointJumpers": _kind(v[JUMPM], v[JUMPA], v[JUMPAST]),
        "threePointJumpers": _kind(v[FG3M], v[FG3A], v[THREEAST]),
        "freeThrows": {"made": v[FTM], "attempted": v[FTA], "pct": pct0(v[FTM], v[FTA])},
        "attemptsBreakdown": {"threePointJumpers": pct0(v[FG3A], fga), "twoPointJumpers": pct0(v[JUMPA], fga),
                              "tipIns": pct0(v[TIPA], fga), "layups": pct0(v[LAYA], fga),
                              "dunks": pct0(v[DUNKA], fga)},
    }


def team_shooting(s: "SimulatedSeason", games: Iterable[Game], team_ids: set[int] | None = None) -> list[Record]:
    aggs = team_aggregates(games, team_ids)
    return [{"season": s.season, "teamId": tid, "team": s.team(tid).school, "conference": s.conference_abbr(tid),
             **shooting_split(aggs[tid].team)} for tid in sorted(aggs, key=lambda t: s.team(t).school)]


def player_shooting(s: "SimulatedSeason", games: Iterable[Game], team_ids: set[int] | None = None) -> list[Record]:
    aggs = player_aggregates(s, games, team_ids)
    out = []
    for pid in sorted(aggs, key=lambda p: (s.team(aggs[p].team_id).school, p)):
        a = aggs[pid]
        if a.v[FG2A] + a.v[FG3A] + a.v[FTA] == 0:
            continue
        out.append({"season": s.season, "teamId": a.team_id, "team": s.team(a.team_id).school,
                    "conference": s.conference_abbr(a.team_id), **shooting_split(a.v),
                    "athleteId": pid, "athleteName": s.rosters[a.team_id][a.index].name})
    return out


# ---------------------------------------------------------------- leaderboard
def _leader_unit(x: dict[str, float], v: list[int]) -> Record:
    return {
        "points": {"fastBreak": x["fast_break"], "offTurnovers": x["off_turnovers"], "inPaint": x["in_paint"],
                   "total": x["pts"]},
        "possessions": r1(x["poss"]),
        "rawOffensiveRating": r1(100.0 * x["pts"] / x["poss"]) if x["poss"] else None,
        "trueShootingPct": pct(x["pts"], 2.0 * (x["fga"] + 0.44 * x["fta"])),
        "effectiveFieldGoalPct": pct(x["fgm"] + 0.5 * x["fg3m"], x["fga"]),
        "turnoverRatio": ratio(x["tov"], x["poss"]),
        "offensiveReboundPct": pct(x["orb"], x["orb"] + x["opp_drb"]),
        "freeThrowRate": pct(x["fta"], x["fga"]),
        "fieldGoals": {"attempted": x["fga"], "made": x["fgm"]},
        "twoPointFieldGoals": {"attempted": x["fg2a"], "made": x["fg2m"]},
        "threePointFieldGoals": {"attempted": x["fg3a"], "made": x["fg3m"]},
        "freeThrows": {"attempted": x["fta"], "made": x["ftm"]},
        "rebounds": {"total": x["orb"] + x["drb"], "defensive": x["drb"], "offensive": x["orb"]},
        "turnovers": {"technical": 0, "team": 0, "total": x["tov"]},
        "fouls": {"flagrant": 0, "technical": 0, "total": x["pf"]},
        "assists": x["ast"], "blocks": x["blk"], "steals": x["stl"],
    }


def _shot_profile(v: list[int]) -> Record:
    fga = v[FG2A] + v[FG3A]
    fgm = v[FG2M] + v[FG3M]
    rim_m, rim_a = v[DUNKM] + v[LAYM] + v[TIPM], v[DUNKA] + v[LAYA] + v[TIPA]
    rim_ast = v[DUNKAST] + v[LAYAST]
    return {
        "assistedPct": pct0(v[DUNKAST] + v[LAYAST] + v[JUMPAST] + v[THREEAST], fgm),
        "atRim": {"assistedPct": pct(rim_ast, rim_m), "pct": pct(rim_m, rim_a), "rate": pct(rim_a, fga)},
        "dunk": {"rate": pct(v[DUNKA], fga), "assisted": v[DUNKAST], "made": v[DUNKM], "attempts": v[DUNKA]},
        "layup": {"rate": pct(v[LAYA], fga), "assisted": v[LAYAST], "made": v[LAYM], "attempts": v[LAYA]},
        "tipIn": {"rate": pct(v[TIPA], fga), "made": v[TIPM], "attempts": v[TIPA]},
        "twoPointJumper": {"assistedPct": pct(v[JUMPAST], v[JUMPM]), "pct": pct(v[JUMPM], v[JUMPA]),
                           "rate": pct(v[JUMPA], fga), "assisted": v[JUMPAST], "made": v[JUMPM],
                           "attempts": v[JUMPA]},
        "threePointJumper": {"assistedPct": pct(v[THREEAST], v[FG3M]), "pct": pct(v[FG3M], v[FG3A]),
                             "rate": pct(v[FG3A], fga), "assisted": v[THREEAST], "made": v[FG3M],
                             "attempts": v[FG3A]},
        "freeThrows": {"rate": pct0(v[FTA], fga), "made": v[FTM], "attempts": v[FTA]},
        "distribution": {"threeRate": pct(v[FG3A], fga), "jumperRate": pct(v[JUMPA] + v[FG3A], fga),
                         "midrangeRate": pct(v[JUMPA], fga)},
    }


def leaderboard(s: "SimulatedSeason", games: Iterable[Game], team_ids: set[int] | None = None) -> list[Record]:
    aggs = team_aggregates(games, team_ids)
    adjusted = {r["teamId"]: r for r in s.records("ratings_adjusted")}
    out = []
    for tid in sorted(aggs, key=lambda t: s.team(t).school):
        a = aggs[tid]
        t, o = a.named()
        conf = s.league.conference_by_id[s.team(tid).conference_id]
        adj = adjusted.get(tid)
        raw_net = (r1(100.0 * t["pts"] / t["poss"] - 100.0 * o["pts"] / o["poss"])
                   if t["poss"] and o["poss"] else None)
        out.append({
            "season": s.season, "teamId": tid, "team": s.team(tid).school,
            "conference": {"id": conf.id, "abbreviation": conf.abbreviation},
            "record": {"games": a.games, "wins": a.wins, "losses": a.games - a.wins},
            "summary": {"totalMinutes": a.secs // 60, "trackedShots": t["fga"], "pace": a.pace,
                        "rawNetRating": raw_net},
            "teamStats": _leader_unit(t, a.team), "opponentStats": _leader_unit(o, a.opp),
            "shotProfile": _shot_profile(a.team),
            "adjustedEfficiency": None if adj is None else {
                "offensiveRating": adj["offensiveRating"], "defensiveRating": adj["defensiveRating"],
                "netRating": adj["netRating"], "rankings": dict(adj["rankings"])},
        })
    return out


# ---------------------------------------------------------------- team overview
def _box(x: dict[str, float], minutes: int) -> Record:
    return {
        "fieldGoals": shooting(x["fgm"], x["fga"]), "twoPointFieldGoals": shooting(x["fg2m"], x["fg2a"]),
        "threePointFieldGoals": shooting(x["fg3m"], x["fg3a"]), "freeThrows": shooting(x["ftm"], x["fta"]),
        "rebounds": {"total": x["orb"] + x["drb"], "defensive": x["drb"], "offensive": x["orb"]},
        "assists": x["ast"], "steals": x["stl"], "blocks": x["blk"], "turnovers": x["tov"], "fouls": x["pf"],
        "minutes": minutes, "teamTurnovers": 0, "technicalFouls": 0, "flagrantFouls": 0,
        "pointsInPaint": x["in_paint"], "pointsOffTurnovers": x["off_turnovers"], "fastBreakPoints": x["fast_break"],
        "trueShootingPct": pct(x["pts"], 2.0 * (x["fga"] + 0.44 * x["fta"])),
    }


def _unit_metrics(x: dict[str, float], minutes: int) -> Record:
    ff = four_factors(x)
    return {"boxScore": _box(x, minutes), "points": x["pts"], "possessions": r1(x["poss"]),
            "rawRating": r1(100.0 * x["pts"] / x["poss"]) if x["poss"] else None,
            "effectiveFieldGoalPct": ff["effectiveFieldGoalPct"],
            "turnoverPct": pct(x["tov"], x["poss"]), "offensiveReboundPct": ff["offensiveReboundPct"],
            "freeThrowRate": ff["freeThrowRate"]}


def _poll_standing(s: "SimulatedSeason", team_id: int, poll: str) -> Record:
    polls = [r for r in s.records("rankings") if r["pollType"] == poll]
    if not polls:
        return {"state": "unavailable", "date": None, "week": None, "seasonType": None, "rank": None}
    last_week = max(r["week"] for r in polls)
    final = [r for r in polls if r["week"] == last_week]
    mine = next((r for r in final if r["teamId"] == team_id), None)
    return {"state": "ranked" if mine else "unranked", "date": final[0]["pollDate"], "week": last_week,
            "seasonType": final[0]["seasonType"], "rank": mine["ranking"] if mine else None}


def team_overview(s: "SimulatedSeason", team_id: int) -> Record:
    """TeamSeasonOverview: one document per team-season, derived from every other endpoint's data."""
    team = s.team(team_id)
    conf = s.league.conference_by_id[team.conference_id]
    games = s.games_by_team[team_id]
    agg = team_aggregates(games, {team_id}).get(team_id) or TeamAgg()
    t, o = agg.named()
    minutes = agg.secs // 60
    n = agg.games
    adjusted = {r["teamId"]: r for r in s.records("ratings_adjusted")}
    adj = adjusted[team_id]
    srs = next(r["rating"] for r in s.records("ratings_srs") if r["teamId"] == team_id)
    elo = next(r["elo"] for r in s.records("ratings_elo") if r["teamId"] == team_id)
    population = len(adjusted)
    coverage = {"state": "available", "reason": None, "eligibleGames": n, "coveredGames": n}
    v = agg.team
    fga = v[FG2A] + v[FG3A]
    buckets = [
        ("at_rim", v[DUNKA] + v[LAYA] + v[TIPA], v[DUNKM] + v[LAYM] + v[TIPM]),
        ("two_point_jumper", v[JUMPA], v[JUMPM]),
        ("three_point_jumper", v[FG3A], v[FG3M]),
    ]
    players = player_aggregates(s, games, {team_id})
    rows = []
    for p in s.rosters[team_id]:
        a = players.get(p.id)
        if a is None:
            rows.append({"athleteId": p.id, "name": p.name, "position": p.position, "onRoster": True,
                         "hasStats": False, "games": 0, "minutes": 0, "points": 0, "rebounds": 0, "assists": 0,
                         "minutesPerGame": None, "pointsPerGame": None, "usagePct": None, "trueShootingPct": None,
                         "effectiveFieldGoalPct": None, "usageGames": 0, "complete": True})
            continue
        m = player_metrics(a)
        pv = a.v
        rows.append({
            "seasonStats": {
                "fieldGoals": shooting(m["fgm"], m["fga"]), "twoPointFieldGoals": shooting(pv[FG2M], pv[FG2A]),
                "threePointFieldGoals": shooting(pv[FG3M], pv[FG3A]), "freeThrows": shooting(pv[FTM], pv[FTA]),
                "rebounds": {"total": pv[ORB] + pv[DRB], "defensive": pv[DRB], "offensive": pv[ORB]},
                "assists": pv[AST], "steals": pv[STL], "blocks": pv[BLK], "turnovers": pv[TOV], "fouls": pv[PF],
                "starts": pv[STARTER], "assistTurnoverRatio": m["ast_tov"], "freeThrowRate": m["ftr"],
                "offensiveReboundPct": m["orb_pct"],
                "advanced": {"winShares": {"per40": m["ws"]["totalPer40"], "total": m["ws"]["total"],
                                           "defensive": m["ws"]["defensive"], "offensive": m["ws"]["offensive"]},
                             "porpag": m["porpag"], "netRating": m["net"], "defensiveRating": m["drtg"],
                             "offensiveRating": m["ortg"], "games": a.games},
            },
            "athleteId": p.id, "name": p.name, "position": p.position, "onRoster": True, "hasStats": True,
            "games": a.games, "minutes": m["minutes"], "points": pv[PTS], "rebounds": pv[ORB] + pv[DRB],
            "assists": pv[AST], "minutesPerGame": round(m["minutes"] / a.games, 1),
            "pointsPerGame": round(pv[PTS] / a.games, 1), "usagePct": m["usage"], "trueShootingPct": m["ts"],
            "effectiveFieldGoalPct": m["efg"], "usageGames": a.games, "complete": True,
        })
    rows.sort(key=lambda row: (-(row["minutes"] or 0), row["athleteId"]))
    schedule = []
    for g in games:
        side = 0 if g.home_id == team_id else 1
        oid = g.away_id if side == 0 else g.home_id
        mine, theirs = g.outcome.points[side], g.outcome.points[1 - side]
        schedule.append({
            "id": g.id, "opponentId": oid, "opponent": s.team(oid).school, "opponentHasProfile": True,
            "startDate": iso(g.start), "calendarDate": g.day.isoformat(), "startTimeTbd": False,
            "location": "neutral" if g.neutral else ("home" if side == 0 else "away"), "status": "final",
            "seasonType": g.season_type, "gameType": g.game_type, "eligibility": "counted",
            "conferenceGame": g.conference_game, "teamPoints": mine, "opponentPoints": theirs,
            "result": "W" if mine > theirs else "L", "venue": s.league.venue_by_id[g.venue_id].name,
        })
    last = iso(games[-1].start) if games else None
    return {
        "formatVersion": 2, "teamId": team_id, "season": s.season, "seasonLabel": season_label(s.season),
        "generatedAt": iso(s.games[-1].start) if s.games else "",
        "team": {"conference": {"id": conf.id, "name": conf.name, "abbreviation": conf.abbreviation},
                 "sourceId": team.source_id, "mascot": team.mascot, "school": team.school},
        "record": {"unknownConferenceGames": 0, "unknownEligibilityGames": 0, "complete": True,
                   "conference": {"games": agg.conf_games, "wins": agg.conf_wins,
                                  "losses": agg.conf_games - agg.conf_wins, "unresolved": 0},
                   "overall": {"games": n, "wins": agg.wins, "losses": n - agg.wins, "unresolved": 0}},
        "ratings": {"polls": {"coaches": _poll_standing(s, team_id, "Coaches Poll"),
                              "ap": _poll_standing(s, team_id, "AP Top 25")},
                    "srs": srs, "elo": elo,
                    "adjusted": {"offense": {"value": adj["offensiveRating"], "rank": adj["rankings"]["offense"]},
                                 "defense": {"value": adj["defensiveRating"], "rank": adj["rankings"]["defense"]},
                                 "net": {"value": adj["netRating"], "rank": adj["rankings"]["net"]},
                                 "population": population}},
        "efficiency": {"defense": _unit_metrics(o, minutes), "offense": _unit_metrics(t, minutes), "paceGames": n,
                       "pace": agg.pace, "coverage": dict(coverage)},
        "shooting": {"buckets": [{"key": k, "attempts": att, "made": made, "attemptPct": pct(att, fga),
                                  "fieldGoalPct": pct(made, att)} for k, att, made in buckets],
                     "trackedAttempts": fga, "coverage": dict(coverage)},
        "players": {"rows": rows, "coverage": dict(coverage)},
        "schedule": {"games": schedule},
        "sources": {"notes": ["Simulated season: every game is final and fully tracked."],
                    "latestFinalStartDate": last, "leaderboardUpdatedAt": last},
    }


def team_overviews(s: "SimulatedSeason") -> list[Record]:
    return [team_overview(s, t.id) for t in s.league.teams]

