"""gold.player_game and gold.player_season: per-possession player production and a box-score impact.

Why per possession: minutes and pace differ wildly between players and teams,
so raw per-game lines rank the busy, not the good. Definitions (basketball-
reference conventions; MP = player minutes, Tm = the player's team in the
same games, Opp = its opponents):

* team minutes (Tm MP) = Σ of the team's player minutes in the game (200 in
  regulation), else 5 × the game's minutes when player minutes are missing;
* team possessions = FGA − OREB + TOV + 0.475·FTA (as ``gold.team_season``);
  a player's possessions = Tm poss × MP / (Tm MP / 5);
* eFG% = (FGM + 0.5·3PM) / FGA; TS% = PTS / (2·(FGA + 0.44·FTA)) (fractions);
* usage = 100·((FGA + 0.44·FTA + TOV)·(Tm MP/5)) / (MP·(Tm FGA + 0.44·Tm FTA + Tm TOV));
* AST% = 100·AST / ((MP/(Tm MP/5))·Tm FGM − FGM); TOV% = 100·TOV / (FGA + 0.44·FTA + TOV);
* OREB% = 100·OREB·(Tm MP/5) / (MP·(Tm OREB + Opp DREB)), DREB% likewise with
  Tm DREB + Opp OREB, TREB% with all rebounds;
* per 40 = 40·count/MP; per 100 = 100·count/player possessions.

Every ratio is null when its denominator is not positive (a player with zero
minutes gets nulls, never a division by zero) or when a count it needs is
missing (a team whose box score lacks counts gives null team-context rates;
for a season, a team-context rate is null when any of the player's games lacks
its team counts, so no rate mixes complete and partial denominators).

Box-score impact (BPM-style regression, fitted per season; see :func:`fit_box_weights`):

* fit, on the driver with NumPy: one observation per team-game of a final game
  whose box score has every count needed (others are excluded and counted);
  the target is the team's net points per 100 game possessions,
  y = 100·(PTS − Opp PTS) / ((Tm poss + Opp poss)/2) (as ``gold.team_season``);
  the inputs are the team's box rates per 100 of its own possessions,
  100·f/Tm poss, for the features ``BOX_FEATURES``: scoring = PTS − p·(FGA +
  0.44·FTA) (points above the league's points per scoring attempt p = Σ PTS /
  Σ(FGA + 0.44·FTA) of the fitted team-games: a TS%-based term, so volume
  shooting at league efficiency earns nothing), 3PA, AST, TOV, OREB, DREB,
  STL, BLK, PF. FGA itself is left out: Tm FGA = Tm poss + OREB − TOV −
  0.475·FTA makes it collinear at team level. Ridge regression with an
  unpenalised intercept on standardised inputs, λ = ``RIDGE_LAMBDA`` (0.01:
  ~1% shrinkage of a unit-variance input, enough to keep a thin early-season
  or demo fit stable);
* apply: a player's ``box_score_per100`` = Σ β_f · 100·f_player / player
  possessions (player possessions = Tm poss × MP / (Tm MP / 5), so Σ over a
  team's players of rate × MP/(Tm MP/5) is exactly the team's rate), and
  ``raw_impact`` = box_score_per100 + intercept/5 (a team's minutes-weighted
  sum of these is the regression's prediction of its net rating), centred on
  the player's position and shrunk toward average by possessions played
  (:func:`raw_impact`);
* team adjustment, as in BPM: with ``minutes_share`` = MP / (Tm MP of players
  with an impact / 5) (the shares sum to 5), adjustment = (margin − Σ
  raw·share) / 5 and impact = raw + adjustment, so Σ impact·share equals the
  team's margin per 100 possessions exactly. The margin is the adjusted net
  rating from gold part 1 (``gold.team_ratings_daily.adj_em``, latest
  ``rating_date``) where it has a value, else the team's raw net efficiency
  (points − points allowed per 100 possessions, as
  ``gold.team_season.net_efficiency``). The fitted weights are in the job
  report (``box_weights``) and docs/gold_layer_design.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

FT_FACTOR_POSS = 0.475      # possessions estimate (as gold.team_season)
FT_FACTOR_SHOOT = 0.44      # TS% / usage (basketball-reference)
# Qualifying for the leaders (KenPom's convention for player tables): on the floor for ≥ 40% of the team's
# minutes, and in ≥ 40% of its games.
MIN_MINUTES_SHARE = 0.4
MIN_GAMES_SHARE = 0.4
RIDGE_LAMBDA = 0.01         # ridge penalty on standardised box rates (see the module docstring)
IMPACT_PRIOR_POSSESSIONS = 400.0   # league-average prior behind every raw impact, in possessions (see raw_impact)
# Regression inputs (per 100 possessions); "scoring" = PTS − points_per_attempt·(FGA + 0.44·FTA).
BOX_FEATURES: tuple[str, ...] = ("scoring", "fg3_att", "assists", "turnovers", "oreb", "dreb", "steals", "blocks",
                                 "fouls")
# Team-game fit inputs: name -> silver.team_game_stats column (own counts, then what the target needs).
TEAM_BOX_SOURCES: dict[str, str] = {
    "points": "team_points", "fg_att": "team_fg_att", "ft_att": "team_ft_att", "fg3_att": "team_fg3_att",
    "assists": "team_assists", "turnovers": "team_tov", "oreb": "team_oreb", "dreb": "team_dreb",
    "steals": "team_steals", "blocks": "team_blocks", "fouls": "team_fouls",
    "opp_points": "opp_points", "opp_fg_att": "opp_fg_att", "opp_oreb": "opp_oreb", "opp_tov": "opp_tov",
    "opp_ft_att": "opp_ft_att",
}

# silver.player_game_stats column -> gold count name
PLAYER_COUNT_SOURCES: dict[str, str] = {
    "minutes": "minutes", "points": "points", "fg_made": "field_goals_made", "fg_att": "field_goals_attempted",
    "fg3_made": "three_point_field_goals_made", "fg3_att": "three_point_field_goals_attempted",
    "ft_made": "free_throws_made", "ft_att": "free_throws_attempted", "oreb": "rebounds_offensive",
    "dreb": "rebounds_defensive", "treb": "rebounds_total", "assists": "assists", "turnovers": "turnovers",
    "steals": "steals", "blocks": "blocks", "fouls": "fouls",
}
PLAYER_COUNTS: tuple[str, ...] = tuple(PLAYER_COUNT_SOURCES)
TEAM_CONTEXT: tuple[str, ...] = ("team_minutes", "team_fg_made", "team_fg_att", "team_ft_att", "team_tov",
                                 "team_oreb", "team_dreb", "opp_oreb", "opp_dreb", "team_possessions")
RATE_COLUMNS: tuple[str, ...] = (
    "possessions", "efg_pct", "ts_pct", "usage_rate", "ast_rate", "tov_rate", "oreb_rate", "dreb_rate", "treb_rate",
    "points_per40", "treb_per40", "assists_per40", "points_per100", "treb_per100", "assists_per100",
    "box_score_per100",
)


# --------------------------------------------------------------------------------------------- the box regression
def box_features(get: Callable[[str], Any], points_per_attempt: float) -> dict[str, Any]:
    """The regression's box counts (``BOX_FEATURES``) from a count getter: floats or Spark columns alike.

    Why one function for both: the team-game fit and the player application
    must use the very same features, or the weights mean different things.
    """
    scoring = get("points") - points_per_attempt * (get("fg_att") + FT_FACTOR_SHOOT * get("ft_att"))
    return {"scoring": scoring, **{name: get(name) for name in BOX_FEATURES[1:]}}


def ridge_fit(x: np.ndarray, y: np.ndarray, lam: float = RIDGE_LAMBDA) -> tuple[float, np.ndarray]:
    """Ridge regression y ≈ intercept + x·beta; returns (intercept, beta) in the units of ``x``.

    The intercept is not penalised; columns are standardised (mean 0, sd 1)
    so ``lam`` means the same for points and for blocks: minimises
    Σ(y − a − z·g)²/n + lam·|g|² over standardised z, then maps g back
    (beta = g / sd). A column with no spread gets beta 0 rather than a
    division by zero. Pure: arrays in, coefficients out.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] == 0:
        raise ValueError(f"ridge_fit needs x of shape (n, p) and y of shape (n,), n > 0; got {x.shape}, {y.shape}")
    n, p = x.shape
    mean, sd = x.mean(axis=0), x.std(axis=0)
    keep = sd > 1e-12 * np.maximum(1.0, np.abs(mean))
    beta = np.zeros(p)
    if keep.any():
        z = (x[:, keep] - mean[keep]) / sd[keep]
        gram = z.T @ z / n + lam * np.eye(int(keep.sum()))
        beta[keep] = np.linalg.solve(gram, z.T @ (y - y.mean()) / n) / sd[keep]
    return float(y.mean() - mean @ beta), beta


@dataclass(frozen=True)
class BoxWeights:
    """One season's fitted box regression (per 100 possessions); ``to_dict`` goes into the job report."""

    coefficients: dict[str, float]
    intercept: float
    points_per_attempt: float          # league PTS / (FGA + 0.44·FTA) of the fitted team-games
    team_games: int                    # team-games fitted
    team_games_excluded: int = 0       # final team-games lacking a count the fit needs
    r2: float | None = None            # in-sample R² of the fit
    ridge_lambda: float = RIDGE_LAMBDA
    target: str = field(default="net points per 100 game possessions, per team-game")

    def linear(self, get: Callable[[str], Any]) -> Any:
        """Σ β_f·count_f of a box line (a float or a Spark column): per possession once divided by them."""
        feats = box_features(get, self.points_per_attempt)
        total: Any = 0.0
        for name in BOX_FEATURES:
            total = total + self.coefficients.get(name, 0.0) * feats[name]
        return total

    def to_dict(self) -> dict[str, object]:
        return {"coefficients": {k: round(v, 4) for k, v in self.coefficients.items()},
                "intercept": round(self.intercept, 4), "points_per_attempt": round(self.points_per_attempt, 4),
                "team_games": self.team_games, "team_games_excluded": self.team_games_excluded,
                "r2": None if self.r2 is None else round(self.r2, 4), "ridge_lambda": self.ridge_lambda,
                "target": self.target}


def _poss(fga: float, oreb: float, tov: float, fta: float) -> float:
    return fga - oreb + tov + FT_FACTOR_POSS * fta


def fit_box_weights(rows: Iterable[Mapping[str, float | None]], lam: float = RIDGE_LAMBDA) -> BoxWeights | None:
    """Fit the box regression on team-game rows keyed like ``TEAM_BOX_SOURCES``; None when no row is complete.

    A row counts only when every count is present and both possession
    estimates are positive; the others are excluded and counted
    (``team_games_excluded``), never filled in.
    """
    complete: list[dict[str, float]] = []
    excluded = 0
    for r in rows:
        vals = {k: r.get(k) for k in TEAM_BOX_SOURCES}
        if any(v is None for v in vals.values()):
            excluded += 1
            continue
        f = {k: float(v) for k, v in vals.items()}   # type: ignore[arg-type]
        own = _poss(f["fg_att"], f["oreb"], f["turnovers"], f["ft_att"])
        opp = _poss(f["opp_fg_att"], f["opp_oreb"], f["opp_tov"], f["opp_ft_att"])
        if own <= 0 or opp <= 0:
            excluded += 1
            continue
        complete.append({**f, "_own": own, "_game": (own + opp) / 2})
    attempts = sum(r["fg_att"] + FT_FACTOR_SHOOT * r["ft_att"] for r in complete)
    if not complete or attempts <= 0:
        return None
    ppa = sum(r["points"] for r in complete) / attempts
    x = np.array([[100 * v / r["_own"] for v in box_features(r.__getitem__, ppa).values()] for r in complete])
    y = np.array([100 * (r["points"] - r["opp_points"]) / r["_game"] for r in complete])
    intercept, beta = ridge_fit(x, y, lam)
    resid = y - intercept - x @ beta
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid ** 2).sum()) / total if total > 0 else None
    return BoxWeights(dict(zip(BOX_FEATURES, (float(b) for b in beta))), intercept, ppa, len(complete), excluded,
                      r2, lam)


def team_box_rows(team_stats: "DataFrame", games: "DataFrame") -> "DataFrame":
    """The fit's team-game rows: final games (as gold.team_season), counts renamed per ``TEAM_BOX_SOURCES``."""
    from pyspark.sql import functions as F

    from .team_season import final_team_games

    return final_team_games(team_stats, games).select(
        *[F.col(src).cast("double").alias(name) for name, src in TEAM_BOX_SOURCES.items()])


def box_weights(team_stats: "DataFrame", games: "DataFrame", lam: float = RIDGE_LAMBDA) -> BoxWeights | None:
    """Fit one season's box regression from silver team box scores (collected: a season is a few thousand rows)."""
    return fit_box_weights((r.asDict() for r in team_box_rows(team_stats, games).collect()), lam)


def _ratio(num: "Column", den: "Column") -> "Column":
    """num / den, null unless den > 0 (a null count makes it null too)."""
    from pyspark.sql import functions as F

    return F.when(den > 0, num / den)


def final_player_games(player_stats: "DataFrame", games: "DataFrame") -> "DataFrame":
    """Player rows of games that are final with both scores (as gold.team_season)."""
    from pyspark.sql import functions as F

    final = games.where((F.col("status") == "final") & F.col("home_points").isNotNull()
                        & F.col("away_points").isNotNull()).select("game_id")
    return player_stats.join(final, "game_id", "inner")


def team_context(player_stats: "DataFrame", team_stats: "DataFrame") -> "DataFrame":
    """Per (game, team): team minutes, team and opponent counts, team possessions."""
    from pyspark.sql import functions as F

    minutes = player_stats.groupBy("game_id", "team_id").agg(F.sum("minutes").alias("_player_minutes"))
    c = F.col
    box = team_stats.select(
        "game_id", "team_id", (c("game_minutes") * 5).alias("_box_minutes"),
        c("team_fg_made").cast("double").alias("team_fg_made"), c("team_fg_att").cast("double").alias("team_fg_att"),
        c("team_ft_att").cast("double").alias("team_ft_att"), c("team_tov").cast("double").alias("team_tov"),
        c("team_oreb").cast("double").alias("team_oreb"), c("team_dreb").cast("double").alias("team_dreb"),
        c("opp_oreb").cast("double").alias("opp_oreb"), c("opp_dreb").cast("double").alias("opp_dreb"),
        (c("team_fg_att") - c("team_oreb") + c("team_tov") + F.lit(FT_FACTOR_POSS) * c("team_ft_att"))
        .cast("double").alias("team_possessions"),
    )
    out = minutes.join(box, ["game_id", "team_id"], "left")
    team_minutes = F.when(c("_player_minutes") > 0, c("_player_minutes")).otherwise(c("_box_minutes"))
    return out.withColumn("team_minutes", team_minutes.cast("double")).drop("_player_minutes", "_box_minutes")


def with_rates(df: "DataFrame", weights: BoxWeights | None = None) -> "DataFrame":
    """Add every rate from the count and team-context columns (same formulas for a game and a season).

    ``box_score_per100`` applies the season's fitted ``weights`` (null without them).
    """
    from pyspark.sql import functions as F

    c = F.col
    slots = c("team_minutes") / 5          # Tm MP / 5: minutes of one floor slot
    share = _ratio(c("minutes"), slots)    # MP / (Tm MP / 5)
    poss = c("team_possessions") * share
    used = c("fg_att") + FT_FACTOR_SHOOT * c("ft_att") + c("turnovers")
    team_used = c("team_fg_att") + FT_FACTOR_SHOOT * c("team_ft_att") + c("team_tov")
    linear = weights.linear(c) if weights is not None else F.lit(None).cast("double")
    return (df.withColumn("possessions", F.when(c("minutes") > 0, poss))
            .withColumn("_linear", linear)
            .withColumn("efg_pct", _ratio(c("fg_made") + 0.5 * c("fg3_made"), c("fg_att")))
            .withColumn("ts_pct", _ratio(c("points"), 2 * (c("fg_att") + FT_FACTOR_SHOOT * c("ft_att"))))
            .withColumn("usage_rate", _ratio(100 * used * slots, c("minutes") * team_used))
            .withColumn("ast_rate", _ratio(100 * c("assists"), share * c("team_fg_made") - c("fg_made")))
            .withColumn("tov_rate", _ratio(100 * c("turnovers"), used))
            .withColumn("oreb_rate", _ratio(100 * c("oreb") * slots, c("minutes") * (c("team_oreb") + c("opp_dreb"))))
            .withColumn("dreb_rate", _ratio(100 * c("dreb") * slots, c("minutes") * (c("team_dreb") + c("opp_oreb"))))
            .withColumn("treb_rate", _ratio(100 * c("treb") * slots,
                                            c("minutes") * (c("team_oreb") + c("team_dreb") + c("opp_oreb")
                                                            + c("opp_dreb"))))
            .withColumn("points_per40", _ratio(40 * c("points"), c("minutes")))
            .withColumn("treb_per40", _ratio(40 * c("treb"), c("minutes")))
            .withColumn("assists_per40", _ratio(40 * c("assists"), c("minutes")))
            .withColumn("points_per100", _ratio(100 * c("points"), c("possessions")))
            .withColumn("treb_per100", _ratio(100 * c("treb"), c("possessions")))
            .withColumn("assists_per100", _ratio(100 * c("assists"), c("possessions")))
            .withColumn("box_score_per100", _ratio(100 * c("_linear"), c("possessions")))
            .drop("_linear"))


def player_game(player_stats: "DataFrame", team_stats: "DataFrame", games: "DataFrame",
                weights: BoxWeights | None = None) -> "DataFrame":
    """gold.player_game: one row per player per final game, counts + team context + rates.

    ``weights`` (the box regression) are fitted from ``team_stats`` and ``games`` when not given: pass one
    season's rows.
    """
    from pyspark.sql import functions as F

    if weights is None:
        weights = box_weights(team_stats, games)
    p = final_player_games(player_stats, games)
    counts = [F.col(src).cast("double").alias(name) for name, src in PLAYER_COUNT_SOURCES.items()]
    base = p.select("season", "game_id", "game_date", "team_id", "team", "conference", "opponent_id", "opponent",
                    "athlete_id", "name", "position", "starter", *counts)
    ctx = team_context(base, team_stats)
    return with_rates(base.join(ctx, ["game_id", "team_id"], "left"), weights)


def raw_team_margins(team_stats: "DataFrame", games: "DataFrame") -> "DataFrame":
    """(season, team_id, team_margin_per100, team_margin_source): raw net efficiency from final games."""
    from pyspark.sql import functions as F

    from .team_season import team_season

    return team_season(team_stats, games).select(
        "season", "team_id", F.col("net_efficiency").alias("team_margin_per100"),
        F.lit("raw net efficiency").alias("team_margin_source"))


def player_season(player_games: "DataFrame", team_margins: "DataFrame | None" = None,
                  min_minutes_share: float = MIN_MINUTES_SHARE,
                  min_games_share: float = MIN_GAMES_SHARE, weights: BoxWeights | None = None,
                  prior_possessions: float = IMPACT_PRIOR_POSSESSIONS) -> "DataFrame":
    """gold.player_season from gold.player_game rows; ``team_margins`` as from :func:`raw_team_margins`.

    ``weights`` are the season's box regression (:func:`box_weights`, the ones
    ``player_games`` were built with); without them box_score_per100 and every
    impact column are null. ``qualified`` = games ≥ ``min_games_share`` × the
    team's games and minutes ≥ ``min_minutes_share`` × the team's minutes / 5
    (one floor slot of every team game; 200 team minutes for a game without
    minutes);
    ``impact_rank`` ranks qualified players of the season by impact;
    ``raw_impact`` is role-centred and shrunk by ``prior_possessions`` (see
    :func:`raw_impact`). Without
    ``team_margins`` the impact is not team-adjusted (adjustment and impact
    null, raw_impact kept).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    c = F.col
    keys = ["season", "team_id", "athlete_id"]
    latest = Window.partitionBy(*keys).orderBy(c("game_date").desc_nulls_last(), c("game_id").desc())
    names = (player_games.withColumn("_rn", F.row_number().over(latest)).where("_rn = 1")
             .select(*keys, "team", "conference", "name", "position"))

    def strict_sum(col: str) -> "Column":
        """Σ over the player's games, null if any game lacks it (no partial denominators)."""
        return F.when(F.count(col) == F.count("*"), F.sum(col))

    agg = player_games.groupBy(*keys).agg(
        F.count("*").cast("int").alias("games"),
        F.sum(F.coalesce(c("starter").cast("int"), F.lit(0))).cast("int").alias("starts"),
        *[F.sum(n).alias(n) for n in PLAYER_COUNTS],
        *[strict_sum(n).alias(n) for n in TEAM_CONTEXT],
    )
    team_games = (player_games.groupBy("season", "team_id", "game_id").agg(F.max("team_minutes").alias("_tm"))
                  .groupBy("season", "team_id")
                  .agg(F.count("*").cast("int").alias("team_games"),
                       F.sum(F.coalesce(c("_tm"), F.lit(200.0))).alias("_team_season_minutes")))
    s = with_rates(agg.join(names, keys).join(team_games, ["season", "team_id"]), weights)
    s = (s.withColumn("minutes_per_game", _ratio(c("minutes"), c("games")))
         .withColumn("points_per_game", _ratio(c("points"), c("games")))
         .withColumn("treb_per_game", _ratio(c("treb"), c("games")))
         .withColumn("assists_per_game", _ratio(c("assists"), c("games")))
         .withColumn("qualified", F.coalesce((c("games") >= F.lit(min_games_share) * c("team_games"))
                                             & (c("minutes") >= F.lit(min_minutes_share)
                                                * c("_team_season_minutes") / 5),
                                             F.lit(False)))
         .drop("_team_season_minutes"))
    s = s.withColumn("raw_impact", raw_impact(c, weights, prior_possessions))
    team_w = Window.partitionBy("season", "team_id")
    impact_minutes = F.sum(F.when(c("raw_impact").isNotNull(), c("minutes"))).over(team_w)
    s = s.withColumn("minutes_share", F.when(c("raw_impact").isNotNull(), _ratio(c("minutes"), impact_minutes / 5)))
    if team_margins is None:
        s = (s.withColumn("team_margin_per100", F.lit(None).cast("double"))
             .withColumn("team_margin_source", F.lit(None).cast("string")))
    else:
        s = s.join(team_margins.select("season", "team_id", "team_margin_per100", "team_margin_source"),
                   ["season", "team_id"], "left")
    weighted = F.sum(c("raw_impact") * c("minutes_share")).over(team_w)
    s = s.withColumn("impact_team_adjustment", (c("team_margin_per100") - weighted) / 5)
    s = s.withColumn("impact", F.when(c("raw_impact").isNotNull(), c("raw_impact") + c("impact_team_adjustment")))
    rank_w = Window.partitionBy("season", F.col("qualified")).orderBy(c("impact").desc_nulls_last(),
                                                                       c("athlete_id"))
    return s.withColumn("impact_rank", F.when(c("qualified") & c("impact").isNotNull(),
                                              F.row_number().over(rank_w)).cast("int"))


def raw_impact(c: Callable[[str], "Column"], weights: BoxWeights | None,
               prior_possessions: float = IMPACT_PRIOR_POSSESSIONS) -> "Column":
    """A season row's raw impact: box value, centred on its position, shrunk toward average by possessions.

    * box value b = box_score_per100 + intercept/5: the regression's intercept
      split over the five floor slots, so Σ b·share is the team's net rating
      predicted from its own box score;
    * role centring, as BPM's position term: b − (minutes-weighted mean b of
      the season's players at the position − that mean over every player).
      The team-level fit gives defensive rebounds and steals the credit of the
      whole team's defence and cannot say who earned it, so without it the
      position that rebounds rates above the positions that do not, whatever
      the players' value (on the demo season centres +10.9, guards −4.5). A
      player without a position is not moved;
    * shrinkage: × poss / (poss + ``prior_possessions``), a prior of
      league-average (0) worth that many possessions, so 300 possessions of a
      deep reserve are not read as a season of a starter (a full-time starter
      plays ~2,000 a season, a 13-minute reserve ~650).

    The team adjustment is then applied to these values, so a team's impacts
    still sum exactly to its margin.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if weights is None:
        return F.lit(None).cast("double")
    box = c("box_score_per100") + F.lit(weights.intercept / 5)
    minutes = F.when(box.isNotNull(), c("minutes"))

    def mean(w: Any) -> "Column":
        return F.sum(box * minutes).over(w) / F.sum(minutes).over(w)

    role = mean(Window.partitionBy("season", "position")) - mean(Window.partitionBy("season"))
    centred = box - F.when(c("position").isNotNull(), role).otherwise(F.lit(0.0))
    poss = c("possessions")
    return (centred * poss / (poss + F.lit(float(prior_possessions)))).cast("double")


def adjusted_team_margins(ratings: "DataFrame", margin_column: str, date_column: str | None) -> "DataFrame":
    """Latest adjusted margin per (season, team_id) from a ratings table (gold part 1's daily ratings)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = ratings
    if date_column:
        w = Window.partitionBy("season", "team_id").orderBy(F.col(date_column).desc())
        df = df.withColumn("_rn", F.row_number().over(w)).where("_rn = 1")
    return df.select("season", "team_id", F.col(margin_column).cast("double").alias("team_margin_per100"),
                     F.lit(f"adjusted: {margin_column}").alias("team_margin_source"))


# --------------------------------------------------------------------------------------------- the build
RATINGS_TABLE = "gold.team_ratings_daily"
# Margin columns per 100 possessions first (the impact is per 100 possessions).
MARGIN_CANDIDATES: tuple[str, ...] = ("adj_em", "adj_net", "adj_margin", "adjusted_margin", "net_rating")
DATE_CANDIDATES: tuple[str, ...] = ("as_of_date", "rating_date", "as_of", "date", "game_date")


def _declared(name: str) -> "object | None":
    from ..tables import all_tables

    return next((t for t in all_tables() if t.name == name), None)


def ratings_margins(spark: "object", cfg: "object", season: int) -> "DataFrame | None":
    """Latest adjusted margins from gold part 1's daily ratings, or None when that table is absent or empty."""
    from pyspark.sql import functions as F

    from ..iceberg import table_exists

    spec = _declared(RATINGS_TABLE)
    if spec is None or not table_exists(spark, cfg.table(RATINGS_TABLE)):
        return None
    names = spec.data_columns
    margin = next((m for m in MARGIN_CANDIDATES if m in names), None)
    if margin is None or "team_id" not in names or "season" not in names:
        return None
    date = next((d for d in DATE_CANDIDATES if d in names), None)
    df = spark.table(cfg.table(RATINGS_TABLE)).where(F.col("season") == season)
    if df.limit(1).count() == 0:
        return None
    return adjusted_team_margins(df, margin, date)


def build_player_season(spark: "object", cfg: "object", season: int, run_id: str) -> dict[str, object]:
    """Rebuild the season partitions of gold.player_game and gold.player_season from silver; returns a report."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table, merge_upsert
    from ..log import event, get_logger
    from ..spark import map_concurrently, materialized
    from ..specs.gold_analytics import GOLD_PLAYER_GAME, GOLD_PLAYER_SEASON
    from ..tables import SILVER_GAMES, SILVER_TEAM_GAME_STATS, get_table

    in_season = F.col("season") == season
    pgs_spec = get_table("silver.player_game_stats")
    players = spark.table(ensure_table(spark, cfg, pgs_spec)).where(in_season)
    teams = spark.table(ensure_table(spark, cfg, SILVER_TEAM_GAME_STATS)).where(in_season)
    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(in_season)
    weights = box_weights(teams, games)
    margins = raw_team_margins(teams, games)
    adjusted = ratings_margins(spark, cfg, season)
    if adjusted is not None:   # adjusted where the ratings have a value, raw elsewhere (e.g. no box scores)
        adj = adjusted.withColumnRenamed("team_margin_per100", "_adj").withColumnRenamed("team_margin_source", "_src")
        margins = (margins.join(adj, ["season", "team_id"], "left")
                   .select("season", "team_id",
                           F.coalesce("_adj", "team_margin_per100").alias("team_margin_per100"),
                           F.when(F.col("_adj").isNotNull(), F.col("_src"))
                           .otherwise(F.col("team_margin_source")).alias("team_margin_source")))
    # Computed once each (a few hundred teams, a season of player-games): the season rows below and both
    # merges then plan over two scans instead of the whole derivation (see spark.materialized).
    margins = materialized(margins)
    freshness = players.groupBy("game_id", "team_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    lineage = F.lit(f"{pgs_spec.name},{SILVER_TEAM_GAME_STATS.name},{SILVER_GAMES.name}")
    pg = materialized(player_game(players, teams, games, weights).join(freshness, ["game_id", "team_id"], "left")
                      .withColumn("_source_file", lineage).withColumn("_run_id", F.lit(run_id)))
    ps_fresh = pg.groupBy("season", "team_id", "athlete_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    # materialized too: a season of player rows is small enough for merge_upsert to classify on the driver,
    # which reads its source twice when it writes (the counts, then the rows), and this derivation (windows,
    # joins, ~40 columns over the player-games) would run for each read.
    ps = materialized(player_season(pg.drop("_ingested_at", "_source_file", "_run_id"), margins, weights=weights)
                      .join(ps_fresh, ["season", "team_id", "athlete_id"], "left")
                      .withColumn("_source_file", lineage).withColumn("_run_id", F.lit(run_id)))
    # The two merges read the same materialized rows and write different tables: side by side (as
    # silver's tables of one job, spark.parallel_tables), since each is a chain of small serial Spark jobs.
    games_merge, season_merge = map_concurrently(
        spark, lambda target: merge_upsert(spark, cfg, *target, prune={"season": [season]}, delete_missing=True),
        [(GOLD_PLAYER_GAME, pg), (GOLD_PLAYER_SEASON, ps)], cfg.spark.parallel_tables)
    sources = sorted(r[0] for r in margins.select("team_margin_source").distinct().collect())
    report = {"season": season, "player_game": games_merge.to_dict(), "player_season": season_merge.to_dict(),
              "team_margin_sources": sources, "box_weights": weights.to_dict() if weights is not None else None}
    event(get_logger("gold.players"), "player season built", season=season, run_id=run_id,
          player_game_rows=games_merge.source_rows, player_season_rows=season_merge.source_rows,
          box_weights=report["box_weights"])
    return report
