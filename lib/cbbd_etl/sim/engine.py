"""Possession-by-possession game engine: one function, two modes.

Why one engine for box scores and plays: the play-by-play must realise the
box score exactly (scores, made shots, free throws, rebounds, who was on the
floor). Deriving both from the same simulated event stream makes that true
by construction. The engine runs in two modes with the *same* random draws:

* ``record=False`` (every game, at season build): only counters are kept,
  under a millisecond a game, so a 6,000-game season builds in seconds without plays;
* ``record=True`` (one game, on demand): the compact event tuples are kept
  too, and :mod:`.pbp` renders them as plays, substitutions and lineups.

Scoring strength: each side's field-goal make probabilities are scaled so the
expected points per possession equal
``(AVG_EFFICIENCY + offense − opponent defense) / 100`` plus half the
home-court advantage spread over the expected possessions (see
:func:`calibrate`); everything else (turnovers, rebounds, fouls) follows
league-typical rates.

Score effects (why game margins scatter like real ones): with independent
possessions (~1.3 points² of variance each, ~68 a side) a margin scatters
13.5 points around its expectation, but real D1 games scatter less: a
least-squares rating fitted to the real 2021-22 scores (5,504 games between
teams with 15+ games, shared/reference/real-2022) leaves 10.6 points
(closing lines: 10.4-11), while the two teams' scoring residuals there are
positively correlated (+0.44: pace, game environment), so totals stay wide
(17 points). Within a game, teams regress toward their level: a side
running ahead of what both teams' levels predict for the possessions played
so far eases off (bench minutes, clock-milking, worse shots) and the side
behind presses. Each possession's make probabilities are scaled by
``1 − SCORE_EFFECT · ahead`` (``ahead`` = the offense's points beyond
``target ppp × possessions`` minus the defense's; the scale is capped at
1 ± ``SCORE_EFFECT_CAP``): 0.5% per point, so 10 points ahead of the script
costs ~4 points per 100 possessions. Measured on
the simulated ``full`` 2024 season (seeds 7 and 11): margin residual σ
13.5 → 10.7, totals unchanged (~15), expected margins unbiased (slope 0.99);
because the pull is toward the script and not toward a tie, the truth's
``expected_margin`` stays the engine's expectation.

Pace: each side's possession length accounts for its own rebounding and
its opponent's (see :func:`clock_profile`), so a game's expected
possessions are the truth's ``(tempo_home + tempo_away) / 2`` for every
pair of teams, not just on average (a single length left ~0.2 possessions
of per-team bias, which cost the tempo ratings ~0.02 of rank correlation).

Event tuples are ``(code, period, elapsed_in_period, side, player, x1, x2,
x3, home_score, away_score)``; ``side`` is 0 (home), 1 (away) or -1, players
are indices into the side's roster. See the ``EV_*`` constants for the
meaning of ``x1..x3``.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

AVG_EFFICIENCY = 104.0          # league-average points per 100 possessions
REGULATION = 1200               # seconds per half
OVERTIME = 300

# ---------------------------------------------------------------- per-player counters
(PTS, FG2M, FG2A, FG3M, FG3A, FTM, FTA, ORB, DRB, AST, STL, BLK, TOV, PF,
 DUNKM, DUNKA, DUNKAST, LAYM, LAYA, LAYAST, TIPM, TIPA, JUMPM, JUMPA, JUMPAST, THREEAST,
 SECS, STARTER, ON_PF, ON_PA, ON_POSS_F, ON_POSS_A) = range(32)
NSTAT = 32
SUMMED = THREEAST + 1           # counters that add up to team totals

# shot kinds
DUNK, LAYUP, TIP, JUMPER, THREE = range(5)
KIND_MADE = (DUNKM, LAYM, TIPM, JUMPM, FG3M)
KIND_ATT = (DUNKA, LAYA, TIPA, JUMPA, FG3A)
KIND_AST = (DUNKAST, LAYAST, -1, JUMPAST, THREEAST)
BASE_MAKE = (0.90, 0.555, 0.52, 0.372, 0.345)       # dunk, layup, tip, 2pt jumper, three
PUTBACK_MAKE = (0.92, 0.60, 0.52)                     # dunk, layup, tip right after an offensive rebound
ASSIST_P = (0.62, 0.45, 0.0, 0.42, 0.80)
AND_ONE_P = (0.08, 0.07, 0.05, 0.015, 0.008)
BLOCK_P = (0.12, 0.26, 0.10, 0.11, 0.025)             # of missed attempts
DUNK_SHARE, LAYUP_SHARE = 0.075, 0.505                # of non-putback two-point attempts
SHOOTING_FOUL_P = 0.100                               # of attempts: a two- or three-shot trip instead
THREE_SHOT_TRIP_P = 0.06
NONSHOOTING_FOUL_P = 0.130                            # per possession, by the defense
STEAL_SHARE = 0.5                                     # of turnovers
OFFENSIVE_FOUL_SHARE = 0.10                           # of non-steal turnovers
FT_ORB_P = 0.13
PUTBACK_P = 0.40                                      # of attempts right after an offensive rebound
DEAD_BALL_SUB_P = 0.15                                # substitutions at a whistle besides media timeouts
QUICK_AFTER_STEAL, QUICK_AFTER_DRB, QUICK_AFTER_FT_DRB = 0.35, 0.10, 0.08   # next possession starts quick
SCORE_EFFECT = 0.005                                  # make-scale change per point ahead of the script (docstring)
SCORE_EFFECT_CAP = 0.25                               # ... at most this much either way (50 points)

# ---------------------------------------------------------------- event codes
EV_JUMP = 0        # side = winner; player = home jumper; x1 = away jumper
EV_SHOT = 1        # player = shooter; x1 = assister or -1; x2 = kind; x3 = made (0/1)
EV_FT = 2          # player = shooter; x1 = k; x2 = of n; x3 = made
EV_OREB = 3
EV_DREB = 4
EV_TOV = 5         # x1 = stealer (other side) or -1; x2 = 1 for an offensive foul
EV_STEAL = 6       # side = defense
EV_BLOCK = 7       # side = defense
EV_FOUL = 8        # side = fouling team; x1 = 0 personal, 1 shooting, 2 offensive
EV_SUB = 9         # player = out; x1 = in
EV_TIMEOUT = 10    # media timeout
EV_END_PERIOD = 11
EV_END_GAME = 12
EV_POSS = 13       # side = offense; a possession starts (not rendered as a play)
EV_PERIOD_START = 14


@dataclass
class TeamSide:
    """One team-season as the engine sees it: truth, style and per-player weights (roster order)."""

    team_id: int
    player_ids: tuple[int, ...]
    offense: float
    defense: float
    tempo: float
    three_rate: float
    orb_rate: float
    to_rate: float
    share: list[float]              # target fraction of the game on the floor (sums to 5)
    guard: list[bool]
    center: list[bool]
    starters: tuple[int, ...]
    w_three: list[float]
    w_two: list[float]
    w_ast: list[float]
    w_orb: list[float]
    w_drb: list[float]
    w_stl: list[float]
    w_blk: list[float]
    w_foul: list[float]
    w_tov: list[float]
    ft_pct: list[float]

    @property
    def n(self) -> int:
        return len(self.player_ids)


@dataclass
class GameOutcome:
    """What a finished game leaves behind (box-score counters; events only in record mode)."""

    points: tuple[int, int]
    period_points: tuple[tuple[int, ...], tuple[int, ...]]
    possessions: tuple[int, int]
    periods: int
    players: tuple[tuple[tuple[int, tuple[int, ...]], ...], tuple[tuple[int, tuple[int, ...]], ...]]
    totals: tuple[tuple[int, ...], tuple[int, ...]]
    fast_break: tuple[int, int]
    off_turnovers: tuple[int, int]
    largest_lead: tuple[int, int]
    lead_changes: int
    events: list[tuple[int, ...]] | None = field(default=None, repr=False)

    @property
    def seconds(self) -> int:
        return REGULATION * 2 + OVERTIME * (self.periods - 2)


def _expected(k: float, ft: float, three: float, orb: float, to: float) -> float:
    """Expected points per possession of the engine's possession model for make-scale ``k``.

    Mirrors the engine (shooting fouls, and-ones, putbacks, offensive
    rebounds); bonus free throws are left out and corrected for empirically
    in :func:`calibrate`.
    """
    two = 1.0 - three
    shares = (two * DUNK_SHARE, two * LAYUP_SHARE, 0.0, two * (1.0 - DUNK_SHARE - LAYUP_SHARE), three)

    def attempt(kinds: tuple[float, ...], makes: tuple[float, ...]) -> tuple[float, float]:
        pts = cont = 0.0
        for kind, share in enumerate(kinds):
            if not share:
                continue
            p = min(0.97, makes[kind] * k)
            value = 3 if kind == THREE else 2
            pts += share * p * (value + AND_ONE_P[kind] * ft)
            cont += share * (1.0 - p) * orb
        return pts, cont

    sf = SHOOTING_FOUL_P
    reg_pts, reg_cont = attempt(shares, BASE_MAKE)
    reg_pts = sf * 2.0 * ft + (1.0 - sf) * reg_pts
    reg_cont = sf * (1.0 - ft) * FT_ORB_P + (1.0 - sf) * reg_cont
    pb_kinds = (0.05 / PUTBACK_P, 0.20 / PUTBACK_P, 0.15 / PUTBACK_P, 0.0, 0.0)
    pb_pts, pb_cont = attempt(pb_kinds, PUTBACK_MAKE + (0.0, 0.0))
    pb_pts = PUTBACK_P * pb_pts + (1.0 - PUTBACK_P) * reg_pts
    pb_cont = PUTBACK_P * pb_cont + (1.0 - PUTBACK_P) * reg_cont
    after_orb = pb_pts / (1.0 - pb_cont)
    return (1.0 - to) * (reg_pts + reg_cont * after_orb)


# Measured corrections (tests/test_sim.py checks the result): bonus free throws add about BONUS_PPP
# points per possession, and clamped make probabilities flatten the response by ~3%.
BONUS_PPP = 0.011
SLOPE = 1.03


def calibrate(target_ppp: float, ft: float, three: float, orb: float, to: float) -> float:
    """The make-probability scale that gives ``target_ppp`` (two secant steps on :func:`_expected`)."""
    avg = AVG_EFFICIENCY / 100.0
    goal = avg + (target_ppp - avg) * SLOPE - BONUS_PPP
    k0, k1 = 1.0, 1.1
    e0, e1 = _expected(k0, ft, three, orb, to), _expected(k1, ft, three, orb, to)
    for _ in range(2):
        if e1 == e0:
            break
        k2 = k1 + (goal - e1) * (k1 - k0) / (e1 - e0)
        k0, e0, k1 = k1, e1, max(0.3, min(1.8, k2))
        e1 = _expected(k1, ft, three, orb, to)
    return k1


QUICK_LEN = 4.0          # mean seconds of a quick possession (2-6 s)
CLOCK_FACTOR = 1.028     # measured: possessions per 40 then match the truth on average (full season)


def clock_profile(makes: list[float], pb_makes: tuple[float, ...], ft: float, three: float, orb: float,
                  to: float) -> tuple[float, float]:
    """(expected seconds a possession runs past its first action, chance the *next* possession starts quick).

    Why: offensive rebounds extend a possession (~4.5 s after a missed shot, ~3 s after a missed free
    throw, 1 s for the rebound that ends it), and steals and defensive rebounds hand the other side a
    quick possession. A team's style and its opponent's defence change both, so a single league-wide
    possession length would leave each team's tempo biased by its rebounding and shooting (measured
    ~0.2 possessions per game of per-team bias). Mirrors the engine's possession loop (two states: a
    regular attempt, an attempt right after an offensive rebound); bonus free throws are left out.
    """
    two = 1.0 - three
    shares = (two * DUNK_SHARE, two * LAYUP_SHARE, 0.0, two * (1.0 - DUNK_SHARE - LAYUP_SHARE), three)
    sf = SHOOTING_FOUL_P
    miss_r = (1.0 - sf) * sum(sh * (1.0 - makes[k]) for k, sh in enumerate(shares))
    live_r = sf * (1.0 - ft)
    pb = (0.125, 0.5, 0.375)                         # dunk, layup, tip after an offensive rebound (engine)
    miss_pb = sum(w * (1.0 - pb_makes[k]) for k, w in enumerate(pb))
    miss_p = PUTBACK_P * miss_pb + (1.0 - PUTBACK_P) * miss_r
    live_p = (1.0 - PUTBACK_P) * live_r
    cont_r = miss_r * orb + live_r * FT_ORB_P
    cont_p = miss_p * orb + live_p * FT_ORB_P
    visits_p = (1.0 - to) * cont_r / (1.0 - cont_p)  # expected attempts right after an offensive rebound
    n_reg = 1.0 - to
    orb_fg = n_reg * miss_r * orb + visits_p * miss_p * orb
    orb_ft = n_reg * live_r * FT_ORB_P + visits_p * live_p * FT_ORB_P
    drb_fg = n_reg * miss_r * (1.0 - orb) + visits_p * miss_p * (1.0 - orb)
    drb_ft = n_reg * live_r * (1.0 - FT_ORB_P) + visits_p * live_p * (1.0 - FT_ORB_P)
    extra = 4.5 * orb_fg + 3.0 * orb_ft + 1.0 * drb_fg
    quick = to * STEAL_SHARE * QUICK_AFTER_STEAL + drb_fg * QUICK_AFTER_DRB + drb_ft * QUICK_AFTER_FT_DRB
    return extra, quick


_WEIGHTS = ("w_three", "w_two", "w_ast", "w_orb", "w_drb", "w_stl", "w_blk", "w_foul", "w_tov")
(C_THREE, C_TWO, C_AST, C_ORB, C_DRB, C_STL, C_BLK, C_FOUL, C_TOV) = range(9)


def _lineup_cums(side: TeamSide, lineup: tuple[int, ...]) -> tuple[list[float], ...]:
    """Cumulative pick weights of one lineup, cached on the side: lineups recur within and across games."""
    cache = side.__dict__.setdefault("_cums", {})
    found = cache.get(lineup)
    if found is None:
        per_player = side.__dict__.get("_weights")
        if per_player is None:
            per_player = side.__dict__["_weights"] = list(zip(*(getattr(side, w) for w in _WEIGHTS)))
        found = tuple(list(accumulate(col)) for col in zip(*(per_player[i] for i in lineup)))
        cache[lineup] = found
    return found


def simulate_game(home: TeamSide, away: TeamSide, neutral: bool, hca: float, seed: int,
                  record: bool = False) -> GameOutcome:
    """Play one game. Same ``seed`` → the same game, whether or not events are recorded."""
    r = random.Random(seed)
    rand = r.random
    sides = (home, away)
    n_exp = (home.tempo + away.tempo) / 2.0
    ks: list[list[float]] = []
    targets: list[float] = []
    pb_makes: list[tuple[float, ...]] = []
    fts: list[float] = []
    for s in (0, 1):
        me, opp = sides[s], sides[1 - s]
        edge = 0.0 if neutral else (hca / 2.0 if s == 0 else -hca / 2.0)
        target = (AVG_EFFICIENCY + me.offense - opp.defense) / 100.0 + edge / n_exp
        ft = sum(me.ft_pct[i] * me.share[i] for i in range(me.n)) / 5.0
        targets.append(target)
        fts.append(ft)
        k = calibrate(target, ft, me.three_rate, me.orb_rate, me.to_rate)
        ks.append([min(0.97, b * k) for b in BASE_MAKE])
        pb_makes.append(tuple(min(0.97, b * k) for b in PUTBACK_MAKE))

    # Mean possession length (seconds) so that 40 minutes hold n_exp possessions per team *for these two
    # teams*: each side's expected clock after the first shot (rebounds, putbacks) and the share of its
    # possessions that start quick (after the other side's steals and defensive rebounds) come from
    # :func:`clock_profile`; CLOCK_FACTOR (measured) covers the rest (bonus trips, short last possessions).
    prof = [clock_profile(ks[s], pb_makes[s], fts[s], sides[s].three_rate, sides[s].orb_rate, sides[s].to_rate)
            for s in (0, 1)]
    quick_share = [prof[1][1], prof[0][1]]          # side s starts quick after the other side's possession
    mean_len = ((2400.0 / n_exp - QUICK_LEN * sum(quick_share) - prof[0][0] - prof[1][0])
                / (2.0 - sum(quick_share))) * CLOCK_FACTOR

    stats = [[0] * (NSTAT * side.n) for side in sides]
    score = [0, 0]
    period_pts: list[list[int]] = [[], []]
    poss = [0, 0]
    team_fouls = [0, 0]
    fouled_out = [[False] * side.n for side in sides]
    secs = [[0] * side.n for side in sides]       # seconds played, closed stints only
    rotations = [[i for i in range(side.n) if side.share[i] > 0] for side in sides]
    n_rot_ok = [len(rot) >= 6 for rot in rotations]
    pfs = [[0] * side.n for side in sides]        # personal fouls
    on_since = [[-1] * side.n for side in sides]
    base = [[(0, 0, 0, 0)] * side.n for side in sides]
    lineups: list[list[int]] = [list(home.starters), list(away.starters)]
    cums: list[tuple[list[float], ...]] = [(), ()]
    fast_break = [0, 0]
    off_to = [0, 0]
    largest = [0, 0]
    lead_changes = 0
    leader = -1
    events: list[tuple[int, ...]] | None = [] if record else None
    ev = events.append if events is not None else None
    clock = [0, 1, 0]   # game seconds elapsed before this period, period, period length

    def refresh(s: int) -> None:
        lineups[s].sort()
        cums[s] = _lineup_cums(sides[s], tuple(lineups[s]))

    def pick(s: int, what: int) -> int:
        """A player of side ``s`` on the floor, with probability proportional to weight ``what``."""
        c = cums[s][what]
        return lineups[s][bisect_right(c, rand() * c[-1])]

    def go_on(s: int, i: int, now: int) -> None:
        on_since[s][i] = now
        base[s][i] = (score[s], score[1 - s], poss[s], poss[1 - s])

    def go_off(s: int, i: int, now: int) -> None:
        st, o = stats[s], NSTAT * i
        secs[s][i] += now - on_since[s][i]
        b = base[s][i]
        st[o + ON_PF] += score[s] - b[0]
        st[o + ON_PA] += score[1 - s] - b[1]
        st[o + ON_POSS_F] += poss[s] - b[2]
        st[o + ON_POSS_A] += poss[1 - s] - b[3]
        on_since[s][i] = -1

    def rotate(s: int, t: int) -> None:
        """Re-choose the five on the floor from minute targets, foul trouble and the game state."""
        side = sides[s]
        now = clock[0] + t
        per, plen = clock[1], clock[2]
        game_left = (REGULATION * 2 - now) if per <= 2 else (plen - t)
        margin = score[s] - score[1 - s]
        crunch = 500.0 if game_left < 240 and abs(margin) <= 10 else 0.0
        garbage = 500.0 if not crunch and game_left < 300 and abs(margin) >= 20 else 0.0
        trouble = 2 if per == 1 else 4 if per == 2 and game_left > 240 else 99
        since, played, pf, gone, share = on_since[s], secs[s], pfs[s], fouled_out[s], side.share
        horizon = now + 150
        # Only the rotation is considered, unless it is garbage time (or fouls leave too few players).
        pool = rotations[s] if not garbage and n_rot_ok[s] else range(side.n)
        wants = [
            (-(share[i] * horizon - played[i] - (now - since[i] - 45.0 if since[i] >= 0 else 0.0)
               - (400.0 if pf[i] >= trouble else 0.0)
               + (crunch * (share[i] - 0.55) if crunch else -garbage * (share[i] - 0.35) if garbage else 0.0)), i)
            for i in pool if not gone[i]
        ]
        current = lineups[s]
        wants.sort()
        chosen: list[int] = []
        centers = 0
        for _, i in wants:
            if side.center[i] and centers >= 2:
                continue
            chosen.append(i)
            centers += side.center[i]
            if len(chosen) == 5:
                break
        if len(chosen) < 5:   # everyone else fouled out: the rule lets the last ones stay
            chosen += [i for i in current if i not in chosen][: 5 - len(chosen)]
        if not any(side.guard[i] for i in chosen):
            guards = [i for _, i in wants if side.guard[i] and i not in chosen]
            if guards:
                chosen[-1] = guards[0]
        outs = [i for i in current if i not in chosen]
        ins = [i for i in chosen if i not in current]
        if not outs:
            return
        for i_out, i_in in zip(outs, ins):
            if on_since[s][i_out] >= 0:
                go_off(s, i_out, now)
            if per_open[0]:
                go_on(s, i_in, now)
            if ev:
                ev((EV_SUB, per, t, s, i_out, i_in, 0, 0, score[0], score[1]))
        lineups[s] = [i for i in current if i in chosen] + ins
        refresh(s)

    def add_points(s: int, pts: int, per: int) -> None:
        nonlocal lead_changes, leader
        score[s] += pts
        period_pts[s][per - 1] += pts
        lead = score[s] - score[1 - s]
        if lead > largest[s]:
            largest[s] = lead
        now_leader = 0 if score[0] > score[1] else 1 if score[1] > score[0] else -1
        if now_leader >= 0 and leader >= 0 and now_leader != leader:
            lead_changes += 1
        if now_leader >= 0:
            leader = now_leader

    def foul(s: int, i: int, per: int, t: int, kind: int) -> None:
        pfs[s][i] += 1
        if kind != 2:
            team_fouls[s] += 1
        if ev:
            ev((EV_FOUL, per, t, s, i, kind, 0, 0, score[0], score[1]))
        if pfs[s][i] >= 5:
            fouled_out[s][i] = True
            if sum(1 for j in rotations[s] if not fouled_out[s][j]) < 6:
                n_rot_ok[s] = False
            if i in lineups[s]:
                rotate(s, t)

    def free_throws(s: int, shooter: int, n: int, one_and_one: bool, per: int, t: int) -> bool:
        """Shoot a trip; True when the last attempt missed with the ball live (a rebound follows)."""
        st, o = stats[s], NSTAT * shooter
        p = sides[s].ft_pct[shooter]
        made = False
        k = 0
        while k < n:
            k += 1
            made = rand() < p
            st[o + FTA] += 1
            if made:
                st[o + FTM] += 1
                st[o + PTS] += 1
                add_points(s, 1, per)
            if ev:
                ev((EV_FT, per, t, s, shooter, k, n, 1 if made else 0, score[0], score[1]))
            if one_and_one and not made:
                return True
            if one_and_one and k == 1:
                n = 2
        return not made

    per_open = [False]     # inside a period (stints run); a list so the closures can flip it
    refresh(0)
    refresh(1)
    for s in (0, 1):
        for i in lineups[s]:
            stats[s][NSTAT * i + STARTER] = 1

    per = 0
    arrow = 0
    while True:
        per += 1
        plen = REGULATION if per <= 2 else OVERTIME
        clock[0] = REGULATION * min(per - 1, 2) + OVERTIME * max(0, per - 3)
        clock[1], clock[2] = per, plen
        period_pts[0].append(0)
        period_pts[1].append(0)
        if per > 1:
            rotate(0, 0)
            rotate(1, 0)
        per_open[0] = True
        for s in (0, 1):
            for i in lineups[s]:
                go_on(s, i, clock[0])
        if ev:
            ev((EV_PERIOD_START, per, 0, -1, -1, 0, 0, 0, score[0], score[1]))
        if per == 2:
            offense = arrow
        else:
            won = 0 if rand() < 0.5 else 1
            if ev:
                hj = max(lineups[0], key=lambda i: sides[0].w_orb[i] + sides[0].w_blk[i])
                aj = max(lineups[1], key=lambda i: sides[1].w_orb[i] + sides[1].w_blk[i])
                ev((EV_JUMP, per, 0, won, hj, aj, 0, 0, score[0], score[1]))
            offense = won
            if per == 1:
                arrow = 1 - won
        if per == 2:      # team fouls reset at half time; overtime continues the second half's count
            team_fouls[0] = team_fouls[1] = 0
        next_media = 240 if per <= 2 else 10 ** 9
        t = 0
        after_to = False
        quick = 0.0
        while plen - t >= 2:
            if t >= next_media:
                if ev:
                    ev((EV_TIMEOUT, per, t, -1, -1, 0, 0, 0, score[0], score[1]))
                rotate(0, t)
                rotate(1, t)
                while next_media <= t:
                    next_media += 240
            o, d = offense, 1 - offense
            # score effects: how far the offense is ahead of what both sides' levels predict for the
            # possessions played so far (see the module docstring)
            ahead = score[o] - targets[o] * poss[o] - score[d] + targets[d] * poss[d]
            form = 1.0 - SCORE_EFFECT * ahead
            if form > 1.0 + SCORE_EFFECT_CAP:
                form = 1.0 + SCORE_EFFECT_CAP
            elif form < 1.0 - SCORE_EFFECT_CAP:
                form = 1.0 - SCORE_EFFECT_CAP
            poss[o] += 1
            if ev:
                ev((EV_POSS, per, t, o, -1, 0, 0, 0, score[0], score[1]))
            pts_before = score[o]
            if quick and rand() < quick:
                dur = 2 + int(rand() * 5)
                fast = True
            else:
                dur = int(mean_len * (0.35 + 1.3 * rand()) + 0.5)
                fast = False
            if dur > 30:
                dur = 30
            if dur > plen - t:
                dur = plen - t
            t_act = t + dur
            ost, dst = stats[o], stats[d]
            side_o = sides[o]
            ended = False
            next_quick = 0.0
            last_rebounder = -1
            # a non-shooting foul before the action: free throws in the bonus, else an inbound
            if dur >= 5 and rand() < NONSHOOTING_FOUL_P:
                tf = t + dur // 2
                fouler = pick(d, C_FOUL)
                foul(d, fouler, per, tf, 0)
                if team_fouls[d] >= 7:
                    shooter = pick(o, C_TWO)
                    live = free_throws(o, shooter, 2 if team_fouls[d] >= 10 else 1, team_fouls[d] < 10, per, tf)
                    t_act = tf
                    if live:
                        if rand() < FT_ORB_P:
                            rb = pick(o, C_ORB)
                            ost[NSTAT * rb + ORB] += 1
                            if ev:
                                ev((EV_OREB, per, tf, o, rb, 0, 0, 0, score[0], score[1]))
                        else:
                            rb = pick(d, C_DRB)
                            dst[NSTAT * rb + DRB] += 1
                            if ev:
                                ev((EV_DREB, per, tf, d, rb, 0, 0, 0, score[0], score[1]))
                            ended = True
                            next_quick = QUICK_AFTER_FT_DRB
                    else:
                        ended = True
                    if not ended:
                        t_act = min(plen, tf + 2 + int(rand() * 5))
                elif rand() < DEAD_BALL_SUB_P:
                    rotate(o, tf)
                    rotate(d, tf)
            if not ended and rand() < side_o.to_rate:
                c = cums[o][C_TOV]
                i = lineups[o][bisect_right(c, rand() * c[-1])]
                ost[NSTAT * i + TOV] += 1
                stealer = -1
                off_foul = 0
                if rand() < STEAL_SHARE:
                    stealer = pick(d, C_STL)
                    dst[NSTAT * stealer + STL] += 1
                elif rand() < OFFENSIVE_FOUL_SHARE:
                    off_foul = 1
                if ev:
                    ev((EV_TOV, per, t_act, o, i, stealer, off_foul, 0, score[0], score[1]))
                    if stealer >= 0:
                        ev((EV_STEAL, per, t_act, d, stealer, i, 0, 0, score[0], score[1]))
                if off_foul:
                    foul(o, i, per, t_act, 2)
                elif stealer < 0 and rand() < DEAD_BALL_SUB_P:
                    rotate(o, t_act)
                    rotate(d, t_act)
                ended = True
                next_quick = QUICK_AFTER_STEAL if stealer >= 0 else 0.0
                after_next = True
            else:
                after_next = False
            putback = False
            makes = ks[o]
            while not ended:
                if t_act >= plen:
                    t_act = plen
                # lineups only change mid-possession when someone fouls out; re-read them each attempt
                co, lo, cd, ld = cums[o], lineups[o], cums[d], lineups[d]
                u = rand()
                kind = -1
                if putback and u < PUTBACK_P:
                    v = u / PUTBACK_P
                    kind = DUNK if v < 0.125 else TIP if v < 0.5 else LAYUP
                    p_make = pb_makes[o][kind] * form
                    shooter = last_rebounder
                    tip_in = True
                else:
                    tip_in = False
                    if putback:
                        u = (u - PUTBACK_P) / (1.0 - PUTBACK_P)
                    if u < SHOOTING_FOUL_P:
                        shooter = pick(o, C_TWO)
                        fouler = pick(d, C_FOUL)
                        foul(d, fouler, per, t_act, 1)
                        n_ft = 3 if rand() < THREE_SHOT_TRIP_P else 2
                        live = free_throws(o, shooter, n_ft, False, per, t_act)
                        if live:
                            if rand() < FT_ORB_P:
                                rb = pick(o, C_ORB)
                                ost[NSTAT * rb + ORB] += 1
                                if ev:
                                    ev((EV_OREB, per, t_act, o, rb, 0, 0, 0, score[0], score[1]))
                                last_rebounder = rb
                                putback = True
                                t_act += 1 + int(rand() * 5)
                                if t_act >= plen:
                                    break
                                continue
                            rb = pick(d, C_DRB)
                            dst[NSTAT * rb + DRB] += 1
                            if ev:
                                ev((EV_DREB, per, t_act, d, rb, 0, 0, 0, score[0], score[1]))
                            next_quick = QUICK_AFTER_FT_DRB
                        break
                    u = (u - SHOOTING_FOUL_P) / (1.0 - SHOOTING_FOUL_P)
                    if u < side_o.three_rate:
                        kind = THREE
                        c = co[C_THREE]
                    else:
                        v = (u - side_o.three_rate) / (1.0 - side_o.three_rate)
                        kind = DUNK if v < DUNK_SHARE else LAYUP if v < DUNK_SHARE + LAYUP_SHARE else JUMPER
                        c = co[C_TWO]
                    shooter = lo[bisect_right(c, rand() * c[-1])]
                    p_make = makes[kind] * form
                so = NSTAT * shooter
                ost[so + KIND_ATT[kind]] += 1
                if kind != THREE:
                    ost[so + FG2A] += 1
                if rand() < p_make:
                    value = 3 if kind == THREE else 2
                    ost[so + KIND_MADE[kind]] += 1
                    if kind != THREE:
                        ost[so + FG2M] += 1
                    ost[so + PTS] += value
                    assister = -1
                    if rand() < ASSIST_P[kind] and not tip_in:
                        c = co[C_AST]
                        for _ in range(2):
                            assister = lo[bisect_right(c, rand() * c[-1])]
                            if assister != shooter:
                                break
                        if assister == shooter:
                            assister = lo[(lo.index(shooter) + 1) % 5]
                        ost[NSTAT * assister + AST] += 1
                        ost[so + KIND_AST[kind]] += 1
                    add_points(o, value, per)
                    if ev:
                        ev((EV_SHOT, per, t_act, o, shooter, assister, kind, 1, score[0], score[1]))
                    if rand() < AND_ONE_P[kind]:
                        fouler = pick(d, C_FOUL)
                        foul(d, fouler, per, t_act, 1)
                        free_throws(o, shooter, 1, False, per, t_act)
                    break
                # missed
                if ev:
                    ev((EV_SHOT, per, t_act, o, shooter, -1, kind, 0, score[0], score[1]))
                if rand() < BLOCK_P[kind]:
                    c = cd[C_BLK]
                    blocker = ld[bisect_right(c, rand() * c[-1])]
                    dst[NSTAT * blocker + BLK] += 1
                    if ev:
                        ev((EV_BLOCK, per, t_act, d, blocker, shooter, 0, 0, score[0], score[1]))
                t_reb = t_act + 1 if t_act < plen else plen
                if rand() < side_o.orb_rate:
                    c = co[C_ORB]
                    rb = lo[bisect_right(c, rand() * c[-1])]
                    ost[NSTAT * rb + ORB] += 1
                    if ev:
                        ev((EV_OREB, per, t_reb, o, rb, 0, 0, 0, score[0], score[1]))
                    last_rebounder = rb
                    putback = True
                    t_act = t_reb + 1 + int(rand() * 6)
                    if t_act >= plen:
                        t_act = plen
                        break
                    continue
                c = cd[C_DRB]
                rb = ld[bisect_right(c, rand() * c[-1])]
                dst[NSTAT * rb + DRB] += 1
                if ev:
                    ev((EV_DREB, per, t_reb, d, rb, 0, 0, 0, score[0], score[1]))
                t_act = t_reb
                next_quick = QUICK_AFTER_DRB
                break
            gained = score[o] - pts_before
            if gained:
                if after_to:
                    off_to[o] += gained
                if fast:
                    fast_break[o] += gained
            after_to = after_next
            quick = next_quick
            t = t_act if t_act > t else t + 1
            if t > plen:
                t = plen
            offense = d
        # end of period
        per_open[0] = False
        for s in (0, 1):
            for i in lineups[s]:
                go_off(s, i, clock[0] + plen)
        if ev:
            ev((EV_END_PERIOD, per, plen, -1, -1, 0, 0, 0, score[0], score[1]))
        if per >= 2 and score[0] != score[1]:
            break
    if ev:
        ev((EV_END_GAME, per, plen, -1, -1, 0, 0, 0, score[0], score[1]))

    players_out = []
    totals = []
    for s in (0, 1):
        st = stats[s]
        rows = []
        tot = [0] * SUMMED
        for i in range(sides[s].n):
            st[NSTAT * i + SECS] = secs[s][i]
            st[NSTAT * i + PF] = pfs[s][i]
            row = st[NSTAT * i:NSTAT * (i + 1)]
            if row[SECS] > 0 or row[STARTER]:
                rows.append((i, tuple(row)))
                for j in range(SUMMED):
                    tot[j] += row[j]
        players_out.append(tuple(rows))
        totals.append(tuple(tot))
    return GameOutcome(
        points=(score[0], score[1]),
        period_points=(tuple(period_pts[0]), tuple(period_pts[1])),
        possessions=(poss[0], poss[1]),
        periods=per,
        players=(players_out[0], players_out[1]),
        totals=(totals[0], totals[1]),
        fast_break=(fast_break[0], fast_break[1]),
        off_turnovers=(off_to[0], off_to[1]),
        largest_lead=(largest[0], largest[1]),
        lead_changes=lead_changes,
        events=events,
    )
