"""Point-in-time opponent-adjusted team ratings: a pure NumPy solver (arrays in, arrays out).

No Spark, no I/O: the Glue job collects one season's games to the driver, calls
:func:`daily_ratings`, and writes the result. A season is small (about 6,000
games, 362 teams), so a dense weighted ridge regression per rating date is the
fastest and clearest tool; each date's solve is warm-started from the previous
date's solution (conjugate gradients), so ~130 dates solve in about a second.

Three linear models, each a weighted least-squares fit with a ridge pull toward
a preseason prior (see docs/ratings.md for every parameter and why):

* **margin** (scores only, so every season is rated):
  ``margin_g = m_home − m_away + hca · [not neutral]`` in points, where the
  observed margin is blowout-damped. ``adj_margin`` is ``m`` (points better
  than an average team on a neutral floor).
* **efficiency** (games whose four possession inputs are all present):
  each team-game is one observation of points per 100 possessions,
  ``100 · pts / poss = μ + O_off − D_def ± h/2`` (home +, away −, 0 neutral);
  ``adj_off = μ + O`` (points scored per 100 against an average defence),
  ``adj_def = μ − D`` (points allowed per 100 against an average offence;
  lower is better, KenPom's convention) and ``adj_em = adj_off − adj_def``.
  A game's possessions are the mean of both teams' estimates
  (FGA − OREB + TOV + 0.475·FTA), used for both offence and defence.
* **tempo**: ``40 · poss / minutes = τ + t_home + t_away``;
  ``adj_tempo = τ + t`` (possessions per 40 minutes against an average-tempo
  opponent).

Weights: an exponential recency weight with a half-life in days, measured
back from the rating date. Prior: each team is pulled toward last season's
final rating regressed to the mean with a weight of ``prior_games``
pseudo-games that fades linearly to ``ridge_games`` over the first
``prior_fade_games`` games played; teams without a prior are pulled toward
the league mean with the same schedule.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

FT_FACTOR = 0.475


@dataclass(frozen=True)
class ModelParams:
    """Every tunable of the solver, with the value used in production (docs/ratings.md says why)."""

    recency_half_life_days: float = 120.0   # a game 120 days old counts half as much as yesterday's
    blowout_threshold: float = 20.0         # points of margin counted in full ...
    blowout_slope: float = 0.5              # ... beyond it each extra point counts this much
    prior_games: float = 4.0                # preseason prior worth this many games on opening day ...
    prior_fade_games: float = 14.0          # ... fading linearly to ridge_games by this many games played
    prior_regression: float = 0.6           # keep 60% of last season's deviation from the mean
    ridge_games: float = 0.1                # pull toward the prior that never fades (identifiability)
    cg_tol: float = 1e-9                    # relative residual at which a warm-started solve stops


@dataclass
class SeasonGames:
    """One season's final games as parallel arrays; ``team_index`` maps team ids to 0..n-1.

    ``possessions`` is the game's possession count (mean of both teams'
    estimates), NaN when any possession input is missing; such a game still
    counts in the margin model. ``minutes`` includes overtime.
    """

    day: np.ndarray            # int: days since 1970-01-01 (the US Eastern game date)
    home: np.ndarray           # int team index
    away: np.ndarray           # int team index
    neutral: np.ndarray        # bool
    home_points: np.ndarray    # float
    away_points: np.ndarray    # float
    possessions: np.ndarray    # float, NaN when the box score is incomplete
    minutes: np.ndarray        # float
    team_ids: np.ndarray       # int64 id of each index

    @property
    def n_teams(self) -> int:
        return int(len(self.team_ids))

    def __len__(self) -> int:
        return int(len(self.day))


@dataclass
class Prior:
    """Last season's final ratings as deviations from the mean, per team index (NaN = no prior)."""

    margin: np.ndarray
    off: np.ndarray
    defense: np.ndarray     # deviation of points allowed (positive = better), i.e. mean − adj_def
    tempo: np.ndarray

    @staticmethod
    def empty(n: int) -> "Prior":
        nan = np.full(n, np.nan)
        return Prior(nan.copy(), nan.copy(), nan.copy(), nan.copy())


@dataclass
class Ratings:
    """Ratings of every team as of one date (from games strictly before it)."""

    day: int
    games_played: np.ndarray
    adj_margin: np.ndarray
    adj_off: np.ndarray          # NaN without possession data
    adj_def: np.ndarray
    adj_tempo: np.ndarray
    home_court: float            # fitted home-court advantage, points
    home_court_eff: float        # the same per 100 possessions (efficiency model); NaN without box scores
    mean_eff: float              # μ: league points per 100 possessions
    mean_tempo: float            # τ·: an average game's possessions per 40
    prior_weight: np.ndarray     # share of each team's weight that is still the prior, 0..1
    box_games_played: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def adj_em(self) -> np.ndarray:
        return self.adj_off - self.adj_def


def damp_margin(margin: np.ndarray, threshold: float, slope: float) -> np.ndarray:
    """Blowout damping: margins beyond ``threshold`` count ``slope`` per extra point (sign kept)."""
    m = np.asarray(margin, dtype=float)
    a = np.abs(m)
    return np.sign(m) * np.where(a <= threshold, a, threshold + slope * (a - threshold))


def game_possessions(fga: np.ndarray, oreb: np.ndarray, tov: np.ndarray, fta: np.ndarray) -> np.ndarray:
    """One team's possession estimate: FGA − OREB + TOV + 0.475·FTA (NaN if any input is NaN)."""
    return np.asarray(fga, float) - np.asarray(oreb, float) + np.asarray(tov, float) + FT_FACTOR * np.asarray(fta, float)


def prior_weights(games_played: np.ndarray, p: ModelParams, has_prior: np.ndarray | None = None) -> np.ndarray:
    """Pseudo-games of prior per team: ``prior_games`` at 0 games, linear down to ``ridge_games``.

    A team without a prior (new to the data, or a non-D1 opponent) gets only
    ``ridge_games``: pulling an unknown team toward the league mean would rate
    a non-D1 opponent as average and credit its D1 opponents with a big win.
    """
    fade = np.clip(1.0 - games_played / p.prior_fade_games, 0.0, 1.0)
    w = p.ridge_games + (p.prior_games - p.ridge_games) * fade
    if has_prior is not None:
        w = np.where(has_prior, w, p.ridge_games)
    return w


def _pcg(a: np.ndarray, b: np.ndarray, x0: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Jacobi-preconditioned conjugate gradients on the SPD normal matrix, warm-started at ``x0``.

    Yesterday's ratings are within a few tenths of today's, so a handful of
    iterations suffice; a solve that does not converge falls back to an exact one.
    """
    inv_d = 1.0 / np.diag(a)
    x = x0.copy()
    r = b - a @ x
    z = inv_d * r
    p = z.copy()
    rz = float(r @ z)
    bnorm = float(np.sqrt(b @ b)) or 1.0
    for _ in range(max_iter):
        if np.sqrt(float(r @ r)) <= tol * bnorm:
            return x
        ap = a @ p
        alpha = rz / float(p @ ap)
        x += alpha * p
        r -= alpha * ap
        z = inv_d * r
        rz_new = float(r @ z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return np.linalg.solve(a, b)


def _normal(cols: list[np.ndarray], coefs: list[np.ndarray], y: np.ndarray, w: np.ndarray,
            n: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted normal equations ``(XᵀWX, XᵀWy)`` of observations ``Σ_k coef_k·x[col_k] ≈ y``."""
    a = np.zeros((n, n))
    b = np.zeros(n)
    for ci, c_i in zip(cols, coefs):
        for cj, c_j in zip(cols, coefs):
            np.add.at(a, (ci, cj), w * c_i * c_j)
        b += np.bincount(ci, weights=w * c_i * y, minlength=n)
    return a, b


def _ridge_solve(a_raw: np.ndarray, b_raw: np.ndarray, scale: float, lam: np.ndarray, target: np.ndarray,
                 x0: np.ndarray | None, tol: float) -> np.ndarray:
    """Solve ``(scale·A + Λ) x = scale·b + Λ·target``; parameters past ``len(lam)`` are unpenalised."""
    n_pen = len(lam)
    a = a_raw * scale
    b = b_raw * scale
    idx = np.arange(n_pen)
    a[idx, idx] += lam
    b[:n_pen] += lam * target
    free = np.arange(n_pen, len(b))
    a[free, free] += 1e-9
    if x0 is None or len(x0) != len(b):
        return np.linalg.solve(a, b)
    return _pcg(a, b, x0, tol, 2 * len(b))


def _observations(games: SeasonGames, sel: np.ndarray, p: ModelParams) -> dict[str, tuple]:
    """The three models' design (columns, coefficients, targets) for the selected games."""
    n = games.n_teams
    h, a = games.home[sel], games.away[sel]
    site = np.where(games.neutral[sel], 0.0, 1.0)
    hp, ap = games.home_points[sel], games.away_points[sel]
    k = len(h)
    one = np.ones(k)
    out: dict[str, tuple] = {
        "margin": ([h, a, np.full(k, n)], [one, -one, site],
                   damp_margin(hp - ap, p.blowout_threshold, p.blowout_slope), np.ones(k, bool)),
    }
    poss = games.possessions[sel]
    box = np.isfinite(poss) & (poss > 0)
    hb, ab, sb, pb = h[box], a[box], site[box], poss[box]
    kb = len(hb)
    e_h = 100.0 * hp[box] / pb
    e_a = 100.0 * ap[box] / pb
    # damp the efficiency gap with the same margin rule, in this game's per-100 units
    per100 = 100.0 / pb
    gap = e_h - e_a
    shift = (gap - damp_margin(gap / per100, p.blowout_threshold, p.blowout_slope) * per100) / 2.0
    e_h, e_a = e_h - shift, e_a + shift
    one_b = np.ones(2 * kb)
    out["eff"] = ([np.concatenate([hb, ab]), np.concatenate([ab, hb]) + n, np.full(2 * kb, 2 * n),
                   np.full(2 * kb, 2 * n + 1)],
                  [one_b, -one_b, one_b, np.concatenate([sb * 0.5, -sb * 0.5])],
                  np.concatenate([e_h, e_a]), box)
    out["tempo"] = ([hb, ab, np.full(kb, n)], [np.ones(kb)] * 3, 40.0 * pb / games.minutes[sel][box], box)
    return out


_SIZES = {"margin": lambda n: n + 1, "eff": lambda n: 2 * n + 2, "tempo": lambda n: n + 1}


def solve(games: SeasonGames, as_of_day: int, params: ModelParams = ModelParams(),
          prior: Prior | None = None, warm: dict | None = None) -> tuple[Ratings, dict]:
    """Ratings from the games strictly before ``as_of_day``; returns them and the state for the next day.

    The state carries the normal equations accumulated so far (with weights
    ``2^((d − d0)/half_life)``, so yesterday's sums only need today's games
    added and one rescale) and yesterday's solutions (the warm start).
    """
    p = params
    n = games.n_teams
    prior = prior or Prior.empty(n)
    d0 = int(games.day.min()) if len(games) else 0
    hl = p.recency_half_life_days
    state = dict(warm) if warm and warm.get("upto", 10 ** 9) <= as_of_day and warm.get("n") == n else {}
    upto = state.get("upto", -10 ** 9)
    new = (games.day >= upto) & (games.day < as_of_day)
    growth = np.power(2.0, (games.day[new] - d0) / hl) if hl > 0 else np.ones(int(new.sum()))
    for name, (cols, coefs, y, box_new) in _observations(games, new, p).items():
        size = _SIZES[name](n)
        w = {"margin": growth, "eff": np.concatenate([growth[box_new], growth[box_new]]),
             "tempo": growth[box_new]}[name]
        a_add, b_add = _normal(cols, coefs, y, w, size)
        if f"A_{name}" in state:
            state[f"A_{name}"] = state[f"A_{name}"] + a_add
            state[f"b_{name}"] = state[f"b_{name}"] + b_add
        else:
            state[f"A_{name}"], state[f"b_{name}"] = a_add, b_add
    state["upto"], state["n"] = int(as_of_day), n
    scale = float(np.power(0.5, (as_of_day - d0) / hl)) if hl > 0 else 1.0

    use = games.day < as_of_day
    h, a = games.home[use], games.away[use]
    w_now = np.power(0.5, (as_of_day - games.day[use]) / hl) if hl > 0 else np.ones(int(use.sum()))
    played = np.bincount(h, minlength=n) + np.bincount(a, minlength=n)
    box = np.isfinite(games.possessions[use]) & (games.possessions[use] > 0)
    box_played = np.bincount(h[box], minlength=n) + np.bincount(a[box], minlength=n)

    # ---- margin: x = [m_0..m_{n-1}, hca]
    lam = prior_weights(played.astype(float), p, np.isfinite(prior.margin))
    tgt = np.nan_to_num(prior.margin * p.prior_regression)
    xm = _ridge_solve(state["A_margin"], state["b_margin"], scale, lam, tgt, state.get("x_margin"), p.cg_tol)
    state["x_margin"] = xm
    margin = xm[:n] - np.average(xm[:n], weights=np.maximum(played, 1))
    hca = float(xm[n])

    adj_off = np.full(n, np.nan)
    adj_def = np.full(n, np.nan)
    adj_tempo = np.full(n, np.nan)
    mu = tau = hca_eff = float("nan")
    if box.sum() >= 1:
        # ---- efficiency: x = [O.., D.., mu, h]
        lam_b = prior_weights(box_played.astype(float), p, np.isfinite(prior.off))
        tgt_e = np.concatenate([np.nan_to_num(prior.off * p.prior_regression),
                                np.nan_to_num(prior.defense * p.prior_regression)])
        xe = _ridge_solve(state["A_eff"], state["b_eff"], scale, np.concatenate([lam_b, lam_b]), tgt_e,
                          state.get("x_eff"), p.cg_tol)
        state["x_eff"] = xe
        wt = np.maximum(box_played, 1)
        o, dv = xe[:n], xe[n:2 * n]
        mo, md = np.average(o, weights=wt), np.average(dv, weights=wt)
        mu = float(xe[2 * n] + mo - md)
        hca_eff = float(xe[2 * n + 1])
        adj_off = np.where(box_played > 0, mu + (o - mo), np.nan)
        adj_def = np.where(box_played > 0, mu - (dv - md), np.nan)
        # ---- tempo: x = [t.., tau]; game tempo = tau + t_home + t_away
        tgt_t = np.nan_to_num(prior.tempo * p.prior_regression)
        xt = _ridge_solve(state["A_tempo"], state["b_tempo"], scale, lam_b, tgt_t, state.get("x_tempo"), p.cg_tol)
        state["x_tempo"] = xt
        mt = np.average(xt[:n], weights=wt)
        tau = float(xt[n] + 2 * mt)
        adj_tempo = np.where(box_played > 0, tau + (xt[:n] - mt), np.nan)
    team_w = np.bincount(h, weights=w_now, minlength=n) + np.bincount(a, weights=w_now, minlength=n)
    ratings = Ratings(day=int(as_of_day), games_played=played, adj_margin=margin, adj_off=adj_off, adj_def=adj_def,
                      adj_tempo=adj_tempo, home_court=hca, home_court_eff=hca_eff, mean_eff=mu, mean_tempo=tau,
                      prior_weight=lam / (lam + team_w), box_games_played=box_played)
    return ratings, state


def daily_ratings(games: SeasonGames, days: list[int] | np.ndarray | None = None,
                  params: ModelParams = ModelParams(), prior: Prior | None = None) -> list[Ratings]:
    """Ratings as of every date with games (or the given ``days``), each from earlier games only.

    Each solve is warm-started from the previous date's solution.
    """
    days = sorted({int(d) for d in (games.day if days is None else days)})
    out: list[Ratings] = []
    warm: dict[str, np.ndarray] | None = None
    for day in days:
        r, warm = solve(games, day, params, prior, warm)
        out.append(r)
    return out


def final_ratings(games: SeasonGames, params: ModelParams = ModelParams(), prior: Prior | None = None) -> Ratings:
    """End-of-season ratings: every game counts (rated as of the day after the last game)."""
    last = int(games.day.max()) + 1 if len(games) else 0
    return solve(games, last, params, prior)[0]


def prior_from(final: Ratings, team_ids: np.ndarray, prev_team_ids: np.ndarray) -> Prior:
    """Last season's final ratings re-indexed onto this season's teams (deviations from the mean)."""
    pos = {int(t): i for i, t in enumerate(prev_team_ids)}
    n = len(team_ids)
    pr = Prior.empty(n)
    off_dev = final.adj_off - final.mean_eff
    def_dev = final.mean_eff - final.adj_def
    tempo_dev = final.adj_tempo - final.mean_tempo
    for i, t in enumerate(team_ids):
        j = pos.get(int(t))
        if j is None or final.games_played[j] == 0:
            continue
        pr.margin[i] = final.adj_margin[j]
        pr.off[i], pr.defense[i], pr.tempo[i] = off_dev[j], def_dev[j], tempo_dev[j]
    return pr


def predict(r: Ratings, home: np.ndarray, away: np.ndarray, neutral: np.ndarray) -> dict[str, np.ndarray]:
    """Pre-game predictions from ratings: home-minus-away margin (margin model) and total (efficiency model)."""
    site = np.where(neutral, 0.0, 1.0)
    margin = r.adj_margin[home] - r.adj_margin[away] + r.home_court * site
    poss = r.adj_tempo[home] + r.adj_tempo[away] - r.mean_tempo
    pts_h = (r.adj_off[home] + r.adj_def[away] - r.mean_eff + site * r.home_court_eff / 2) * poss / 100.0
    pts_a = (r.adj_off[away] + r.adj_def[home] - r.mean_eff - site * r.home_court_eff / 2) * poss / 100.0
    return {"margin": margin, "total": pts_h + pts_a, "possessions": poss, "eff_margin": pts_h - pts_a}


def with_params(**over: float) -> ModelParams:
    return replace(ModelParams(), **over)
