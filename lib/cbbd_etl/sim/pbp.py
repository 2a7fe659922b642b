"""Plays, substitutions and lineups of one game, rendered from the engine's event stream.

Why render rather than simulate here: the events are the same draws that
produced the box score, so the plays add up to it exactly (every made shot,
free throw, rebound; the running score; the five players of each team on the
floor) and substitutions and lineup stints agree with ``onFloor``. Shot
coordinates and wall-clock times, which no box score carries, come from a
separate per-game generator so they never disturb the game itself.

Play types follow ESPN's names as CBBD serves them: every free throw is a
``MadeFreeThrow`` play (missed ones have ``scoringPlay`` false and text
"missed Free Throw"), two- and three-point jumpers are both ``JumpShot``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .engine import (DUNK, EV_BLOCK, EV_DREB, EV_END_GAME, EV_END_PERIOD, EV_FOUL, EV_FT, EV_JUMP, EV_OREB,
                     EV_PERIOD_START, EV_POSS, EV_SHOT, EV_STEAL, EV_SUB, EV_TIMEOUT, EV_TOV, JUMPER, LAYUP,
                     OVERTIME, REGULATION, THREE, TIP)
from .fmt import iso, pct0, shooting0
from .records import game_source_id
from .rng import rng
from .schedule import Game

if TYPE_CHECKING:  # pragma: no cover
    from .season import SimulatedSeason

Record = dict[str, Any]
PLAYS_PER_GAME = 1200        # id block per game: play id = season block + game index * 1200 + sequence

_SHOT_TYPE = ("DunkShot", "LayUpShot", "TipShot", "JumpShot", "JumpShot")
_SHOT_NAME = ("Dunk", "Layup", "Tip Shot", "Jumper", "Three Point Jumper")
_SHOT_RANGE = ("rim", "rim", "rim", "jumper", "three_pointer")
_NO_TEAM = {"teamId": None, "team": None, "conference": None, "teamSeed": None, "opponentId": None,
            "opponent": None, "opponentConference": None, "opponentSeed": None}


def _period_offset(per: int) -> int:
    return REGULATION * min(per - 1, 2) + OVERTIME * max(0, per - 3)


def _period_length(per: int) -> int:
    return REGULATION if per <= 2 else OVERTIME


def _ordinal(n: int) -> str:
    return f"{n}{'st' if n == 1 else 'nd' if n == 2 else 'rd' if n == 3 else 'th'}"


def _wallclock(start: dt.datetime) -> Callable[[int], str]:
    """``seconds after tip-off`` → ISO timestamp; formats by arithmetic (strftime per play is the hot spot)."""
    base = int(start.timestamp())
    days: dict[int, str] = {}

    def at(seconds: int) -> str:
        day, sec = divmod(base + seconds, 86400)
        prefix = days.get(day)
        if prefix is None:
            prefix = days[day] = dt.datetime.fromtimestamp(day * 86400, dt.timezone.utc).strftime("%Y-%m-%d")
        h, rest = divmod(sec, 3600)
        return f"{prefix}T{h:02d}:{rest // 60:02d}:{rest % 60:02d}.000Z"

    return at


def _team_fields(s: "SimulatedSeason", g: Game) -> tuple[Record, Record]:
    out = []
    for side in (0, 1):
        tid, oid = (g.home_id, g.away_id) if side == 0 else (g.away_id, g.home_id)
        out.append({"teamId": tid, "team": s.team(tid).school, "conference": s.conference_abbr(tid),
                    "teamSeed": g.home_seed if side == 0 else g.away_seed, "opponentId": oid,
                    "opponent": s.team(oid).school, "opponentConference": s.conference_abbr(oid),
                    "opponentSeed": g.away_seed if side == 0 else g.home_seed})
    return out[0], out[1]


def game_plays(s: "SimulatedSeason", g: Game) -> list[Record]:
    """Every play of one game, in order (PlayInfo)."""
    out_ = s.detail(g)
    assert out_.events is not None
    ros = (s.rosters[g.home_id], s.rosters[g.away_id])
    sides = (s.sides[g.home_id], s.sides[g.away_id])
    schools = (s.team(g.home_id).school, s.team(g.away_id).school)
    person = [[{"name": p.name, "id": p.id} for p in r] for r in ros]
    floor_of = [[{"team": schools[k], "name": p.name, "id": p.id} for p in ros[k]] for k in (0, 1)]
    lineup = [list(sides[0].starters), list(sides[1].starters)]
    on_floor = [floor_of[0][i] for i in lineup[0]] + [floor_of[1][i] for i in lineup[1]]
    fields = _team_fields(s, g)
    r = rng(g.seed, "render")
    pre = s.truth.expected_margin(g.home_id, g.away_id, g.neutral)
    gsrc, gid, gstart = game_source_id(g), g.id, iso(g.start)
    base_id = (g.season - 2000) * 10_000_000 + g.index * PLAYS_PER_GAME
    stype, gtype, tourn = g.season_type, g.game_type, g.tournament
    total_secs = out_.seconds
    plays: list[Record] = []
    seq = 0
    lengths = [0] + [_period_length(k) for k in range(1, out_.periods + 1)]
    offsets = [0] + [_period_offset(k) for k in range(1, out_.periods + 1)]
    wall_of = _wallclock(g.start)
    sqrt2 = math.sqrt(2.0)

    def add(ptype: str, side: int, per: int, t: int, hs: int, as_: int, text: str, participants: list[Record],
            scoring: bool, shooting_play: bool, value: int | None, shot: Record | None) -> None:
        nonlocal seq
        seq += 1
        rem = lengths[per] - t
        elapsed = offsets[per] + t
        if elapsed >= total_secs:
            wp = 1.0 if hs > as_ else 0.0
        else:
            frac = ((2 * REGULATION - elapsed) if per <= 2 else rem) / (2.0 * REGULATION)
            wp = round(0.5 * (1.0 + math.erf((hs - as_ + pre * frac) / (12.0 * math.sqrt(frac) + 0.5) / sqrt2)), 3)
        wall = wall_of(int(elapsed * 2.3) + (900 if per >= 2 else 0) + 120 * (per - 2 if per > 2 else 0))
        plays.append({
            "id": base_id + seq, "sourceId": f"{gsrc}{seq:04d}", "gameId": gid, "gameSourceId": gsrc,
            "gameStartDate": gstart, "season": g.season, "seasonType": stype, "gameType": gtype,
            "tournament": tourn, "playType": ptype, "isHomeTeam": (side == 0) if side >= 0 else None,
            **(fields[side] if side >= 0 else _NO_TEAM),
            "period": per, "clock": f"{rem // 60}:{rem % 60:02d}", "secondsRemaining": rem, "homeScore": hs,
            "awayScore": as_, "homeWinProbability": wp, "scoringPlay": scoring, "shootingPlay": shooting_play,
            "scoreValue": value, "wallclock": wall, "playText": text, "participants": participants,
            "onFloor": list(on_floor), "shotInfo": shot,
        })

    no_one = {"name": None, "id": None}
    for code, per, t, side, p, x1, x2, x3, hs, as_ in out_.events:
        if code == EV_POSS or code == EV_PERIOD_START:
            continue
        if code == EV_SUB:
            lineup[side][lineup[side].index(p)] = x1
            on_floor = [floor_of[0][i] for i in lineup[0]] + [floor_of[1][i] for i in lineup[1]]
            continue
        if code == EV_SHOT:
            shooter = person[side][p]
            made = bool(x3)
            text = f"{shooter['name']} {'made' if made else 'missed'} {_SHOT_NAME[x2]}."
            participants = [shooter]
            assisted = x1 >= 0
            if assisted:
                participants.append(person[side][x1])
                text += f" Assisted by {person[side][x1]['name']}."
            dist = (r.uniform(0.0, 4.0) if x2 <= TIP else r.uniform(8.0, 19.5) if x2 == JUMPER
                    else r.uniform(22.2, 26.5))
            ang = r.uniform(-1.35, 1.35)
            shot = {"shooter": shooter, "made": made, "range": _SHOT_RANGE[x2], "assisted": assisted,
                    "assistedBy": person[side][x1] if assisted else no_one,
                    "location": {"y": round(5.25 + dist * math.cos(ang), 1), "x": round(25.0 + dist * math.sin(ang), 1)}}
            add(_SHOT_TYPE[x2], side, per, t, hs, as_, text, participants, made, True,
                3 if x2 == THREE else 2, shot)
        elif code == EV_FT:
            shooter = person[side][p]
            made = bool(x3)
            shot = {"shooter": shooter, "made": made, "range": "free_throw", "assisted": False,
                    "assistedBy": no_one, "location": {"y": None, "x": None}}
            add("MadeFreeThrow", side, per, t, hs, as_,
                f"{shooter['name']} {'made' if made else 'missed'} Free Throw.", [shooter], made, True, 1, shot)
        elif code == EV_OREB or code == EV_DREB:
            who = person[side][p]
            kind = "Offensive Rebound" if code == EV_OREB else "Defensive Rebound"
            add(kind, side, per, t, hs, as_, f"{who['name']} {kind}.", [who], False, False, None, None)
        elif code == EV_TOV:
            who = person[side][p]
            add("Lost Ball Turnover", side, per, t, hs, as_,
                f"{who['name']} {'Offensive Foul ' if x2 else ''}Turnover.", [who], False, False, None, None)
        elif code == EV_STEAL:
            who = person[side][p]
            add("Steal", side, per, t, hs, as_, f"{who['name']} Steal.", [who], False, False, None, None)
        elif code == EV_BLOCK:
            who = person[side][p]
            add("Block Shot", side, per, t, hs, as_, f"{who['name']} Block.", [who], False, False, None, None)
        elif code == EV_FOUL:
            who = person[side][p]
            add("PersonalFoul", side, per, t, hs, as_,
                f"{'Offensive foul' if x1 == 2 else 'Shooting foul' if x1 == 1 else 'Foul'} on {who['name']}.",
                [who], False, False, None, None)
        elif code == EV_JUMP:
            add("Jumpball", side, per, t, hs, as_, f"Jump Ball won by {schools[side]}",
                [person[0][p], person[1][x1]], False, False, None, None)
        elif code == EV_TIMEOUT:
            add("OfficialTVTimeOut", -1, per, t, hs, as_, "Official TV Timeout", [], False, False, None, None)
        elif code == EV_END_PERIOD:
            label = f"End of {_ordinal(per)} half" if per <= 2 else f"End of {_ordinal(per - 2)} Overtime"
            add("End Period", -1, per, t, hs, as_, label, [], False, False, None, None)
        elif code == EV_END_GAME:
            add("End Game", -1, per, t, hs, as_, "End of Game", [], False, False, None, None)
    if seq >= PLAYS_PER_GAME:   # pragma: no cover - would need a game of many overtimes
        raise AssertionError(f"game {g.id} has {seq} plays; play ids would collide")
    return plays


# ---------------------------------------------------------------- substitutions
def game_substitutions(s: "SimulatedSeason", g: Game) -> list[Record]:
    """One record per stint of a player on the floor (PlayerSubsititution); stints end at period ends."""
    out_ = s.detail(g)
    assert out_.events is not None
    sides = (s.sides[g.home_id], s.sides[g.away_id])
    ros = (s.rosters[g.home_id], s.rosters[g.away_id])
    fields = _team_fields(s, g)
    lineup = [list(sides[0].starters), list(sides[1].starters)]
    open_: list[dict[int, Record]] = [{}, {}]
    closed: list[tuple[int, int, Record, Record]] = []     # side, player, subIn, subOut
    live = False
    start = iso(g.start)

    def mark(side: int, per: int, t: int, hs: int, as_: int) -> Record:
        team_pts, opp_pts = (hs, as_) if side == 0 else (as_, hs)
        return {"opponentPoints": opp_pts, "teamPoints": team_pts, "secondsRemaining": _period_length(per) - t,
                "period": per}

    def close(side: int, p: int, at: Record) -> None:
        began = open_[side].pop(p)
        if (began["period"], began["secondsRemaining"]) != (at["period"], at["secondsRemaining"]):
            closed.append((side, p, began, at))

    def begin(side: int, p: int, at: Record) -> None:
        # back in at the very second he left: the stint simply continues
        for k in range(len(closed) - 1, -1, -1):
            cs, cp, cin, cout = closed[k]
            if cs == side and cp == p and cout == at:
                del closed[k]
                open_[side][p] = cin
                return
        open_[side][p] = at

    for code, per, t, side, p, x1, x2, x3, hs, as_ in out_.events:
        if code == EV_PERIOD_START:
            live = True
            for k in (0, 1):
                for i in lineup[k]:
                    begin(k, i, mark(k, per, t, hs, as_))
        elif code == EV_SUB:
            lineup[side][lineup[side].index(p)] = x1
            if live:
                close(side, p, mark(side, per, t, hs, as_))
                begin(side, x1, mark(side, per, t, hs, as_))
        elif code == EV_END_PERIOD:
            live = False
            for k in (0, 1):
                for i in list(open_[k]):
                    close(k, i, mark(k, per, t, hs, as_))
    recs = []
    for side, p, sin, sout in closed:
        player = ros[side][p]
        f = fields[side]
        recs.append({
            "gameId": g.id, "startDate": start, "teamId": f["teamId"], "team": f["team"],
            "conference": f["conference"], "athleteId": player.id, "athlete": player.name,
            "position": player.position, "opponentId": f["opponentId"], "opponent": f["opponent"],
            "opponentConference": f["opponentConference"], "subIn": sin, "subOut": sout,
        })
    recs.sort(key=lambda x: (x["teamId"] != g.home_id, x["subIn"]["period"], -x["subIn"]["secondsRemaining"],
                             x["athleteId"]))
    return recs


# ---------------------------------------------------------------- lineups
# counters of one unit (a lineup's team or opponent side)
(U_POSS, U_PTS, U_BLK, U_AST, U_STL, U_TOV, U_DRB, U_ORB, U_FGM, U_FGA, U_JM, U_JA, U_LM, U_LA, U_DM, U_DA,
 U_TM, U_TA, U_3M, U_3A, U_FTM, U_FTA) = range(22)
NU = 22
_KIND_COUNTERS = {DUNK: (U_DM, U_DA), LAYUP: (U_LM, U_LA), TIP: (U_TM, U_TA), JUMPER: (U_JM, U_JA),
                  THREE: (U_3M, U_3A)}

def lineup_counters(s: "SimulatedSeason", g: Game) -> dict[tuple[int, tuple[int, ...]], list[int]]:
    """Per (team id, sorted athlete ids): [seconds, team counters..., opponent counters...]."""
    out_ = s.detail(g)
    assert out_.events is not None
    sides = (s.sides[g.home_id], s.sides[g.away_id])
    ids = (sides[0].player_ids, sides[1].player_ids)
    tids = (g.home_id, g.away_id)
    lineup = [list(sides[0].starters), list(sides[1].starters)]
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = {}
    current: list[list[int]] = [[], []]
    since = [0, 0]
    live = False            # between PERIOD_START and END_PERIOD

    def bucket(k: int) -> list[int]:
        key = (tids[k], tuple(sorted(ids[k][i] for i in lineup[k])))
        b = buckets.get(key)
        if b is None:
            b = buckets[key] = [0] * (1 + 2 * NU)
        return b

    def close(k: int, now: int) -> None:
        current[k][0] += now - since[k]

    for code, per, t, side, p, x1, x2, x3, hs, as_ in out_.events:
        now = _period_offset(per) + t
        if code == EV_PERIOD_START:
            live = True
            for k in (0, 1):
                current[k] = bucket(k)
                since[k] = now
            continue
        if code == EV_END_PERIOD:
            live = False
            for k in (0, 1):
                close(k, now)
            continue
        if code == EV_SUB:
            lineup[side][lineup[side].index(p)] = x1
            if live:
                close(side, now)
                current[side] = bucket(side)
                since[side] = now
            continue
        if side < 0 or not live:
            continue
        me, opp = current[side], current[1 - side]
        if code == EV_POSS:
            me[1 + U_POSS] += 1
            opp[1 + NU + U_POSS] += 1
        elif code == EV_SHOT:
            m_idx, a_idx = _KIND_COUNTERS[x2]
            for b, off in ((me, 1), (opp, 1 + NU)):
                b[off + U_FGA] += 1
                b[off + a_idx] += 1
                if x3:
                    b[off + U_FGM] += 1
                    b[off + m_idx] += 1
                    b[off + U_PTS] += 3 if x2 == THREE else 2
                    if x1 >= 0:
                        b[off + U_AST] += 1
        elif code == EV_FT:
            for b, off in ((me, 1), (opp, 1 + NU)):
                b[off + U_FTA] += 1
                if x3:
                    b[off + U_FTM] += 1
                    b[off + U_PTS] += 1
        else:
            idx = {EV_OREB: U_ORB, EV_DREB: U_DRB, EV_TOV: U_TOV, EV_STEAL: U_STL, EV_BLOCK: U_BLK}.get(code)
            if idx is not None:
                me[1 + idx] += 1
                opp[1 + NU + idx] += 1
    return buckets


def _unit(c: list[int], off: int, other_drb: int) -> Record:
    v = c[off:off + NU]
    two_m, two_a = v[U_FGM] - v[U_3M], v[U_FGA] - v[U_3A]
    return {
        "possessions": v[U_POSS], "points": v[U_PTS], "blocks": v[U_BLK], "assists": v[U_AST],
        "steals": v[U_STL], "turnovers": v[U_TOV], "defensiveRebounds": v[U_DRB],
        "offensiveRebounds": v[U_ORB],
        "trueShooting": pct0(v[U_PTS], 2.0 * (v[U_FGA] + 0.44 * v[U_FTA])),
        "fieldGoals": shooting0(v[U_FGM], v[U_FGA]),
        "twoPointers": {**shooting0(two_m, two_a), "jumpers": shooting0(v[U_JM], v[U_JA]),
                        "layups": shooting0(v[U_LM], v[U_LA]), "dunks": shooting0(v[U_DM], v[U_DA]),
                        "tipIns": shooting0(v[U_TM], v[U_TA])},
        "threePointers": shooting0(v[U_3M], v[U_3A]),
        "freeThrows": shooting0(v[U_FTM], v[U_FTA]),
        "fourFactors": {"freeThrowRate": pct0(v[U_FTA], v[U_FGA]),
                        "offensiveReboundPct": pct0(v[U_ORB], v[U_ORB] + other_drb),
                        "turnoverRatio": round(v[U_TOV] / v[U_POSS], 3) if v[U_POSS] else 0.0,
                        "effectiveFieldGoalPct": pct0(v[U_FGM] + 0.5 * v[U_3M], v[U_FGA])},
    }


def lineup_record(s: "SimulatedSeason", team_id: int, athletes: tuple[int, ...], c: list[int]) -> Record:
    """LineupStats from accumulated counters."""
    secs = c[0]
    t_poss, o_poss = c[1 + U_POSS], c[1 + NU + U_POSS]
    off = round(100.0 * c[1 + U_PTS] / t_poss, 1) if t_poss else 0.0
    de = round(100.0 * c[1 + NU + U_PTS] / o_poss, 1) if o_poss else 0.0
    people = []
    for pid in athletes:
        found = s.player_by_id.get(pid)
        people.append({"name": found[1].name if found else str(pid), "id": pid})
    return {
        "teamId": team_id, "team": s.team(team_id).school, "conference": s.conference_abbr(team_id),
        "idHash": hashlib.md5(",".join(map(str, athletes)).encode()).hexdigest(),
        "athletes": people, "totalSeconds": secs,
        "pace": round((t_poss + o_poss) / 2.0 * 2400.0 / secs, 1) if secs else 0.0,
        "offenseRating": off, "defenseRating": de, "netRating": round(off - de, 1),
        "teamStats": _unit(c, 1, c[1 + NU + U_DRB]),
        "opponentStats": _unit(c, 1 + NU, c[1 + U_DRB]),
    }


def game_lineups(s: "SimulatedSeason", g: Game) -> list[Record]:
    """LineupStats per team and lineup for one game (home team first)."""
    buckets = lineup_counters(s, g)
    keys = sorted(buckets, key=lambda k: (k[0] != g.home_id, -buckets[k][0], k[1]))
    return [lineup_record(s, tid, ath, buckets[(tid, ath)]) for tid, ath in keys]


def sum_lineups(s: "SimulatedSeason", games: Iterable[Game],
                team_id: int | None = None) -> dict[int, dict[tuple[int, ...], list[int]]]:
    """Lineup counters summed over ``games``, per team id and lineup (only ``team_id`` if given)."""
    total: dict[int, dict[tuple[int, ...], list[int]]] = {}
    for g in games:
        for (tid, ath), c in lineup_counters(s, g).items():
            if team_id is not None and tid != team_id:
                continue
            acc = total.setdefault(tid, {}).get(ath)
            if acc is None:
                total[tid][ath] = list(c)
            else:
                for i, v in enumerate(c):
                    acc[i] += v
    return total


def lineup_records(s: "SimulatedSeason", team_id: int, totals: dict[tuple[int, ...], list[int]]) -> list[Record]:
    """LineupStats records of one team from summed counters, most-used lineups first."""
    keys = sorted(totals, key=lambda a: (-totals[a][0], a))
    return [lineup_record(s, team_id, ath, totals[ath]) for ath in keys]


def team_lineups(s: "SimulatedSeason", team_id: int, games: Iterable[Game]) -> list[Record]:
    """LineupStats of one team summed over ``games`` (most-used lineups first)."""
    return lineup_records(s, team_id, sum_lineups(s, games, team_id).get(team_id, {}))
