"""gold.team_season: one profile row per team and season, from final games only.

Definitions (documented in docs/gold_layer_design.md, chosen to match KenPom/Torvik usage):

* possessions = FGA − OREB + TOV + 0.475·FTA, per team per game; a game's
  possession count is the mean of both teams' estimates, and that one count
  is used for offence, defence and tempo alike;
* a game counts toward possessions, tempo, efficiency and four factors only
  when all eight possession inputs (both sides' FGA, OREB, TOV, FTA) are
  present; the others still count in records and points and are counted in
  ``games_missing_box`` (never silently summed into efficiency);
* tempo = 40 · Σ game possessions / Σ game minutes (box-complete games; minutes
  include overtime, 45, 50, …, so overtime games do not inflate pace);
* offensive / defensive efficiency = points scored / allowed per 100 game
  possessions, over box-complete games;
* Pythagorean expectation = off^11.5 / (off^11.5 + def^11.5) of the raw
  efficiencies (11.5 is KenPom's exponent for efficiency), luck = win% − pythag;
* adjusted ratings and strength of schedule (mean final adj_margin of the
  opponents faced) come from the ratings solver (docs/ratings.md).
* four factors from summed counts (never averages of per-game ratios):
  eFG% = (FGM + 0.5·3PM)/FGA, TOV% = TOV/possessions,
  OREB% = OREB/(OREB + opponent DREB), FT rate = FTA/FGA; the defensive
  factors are the same formulas applied to the opponents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame, SparkSession

    from ..config import Config

FT_FACTOR = 0.475
PYTHAG_EXPONENT = 11.5
POSSESSION_INPUTS = ("fg_att", "oreb", "tov", "ft_att")


def possessions(prefix: str) -> "Column":
    from pyspark.sql import functions as F

    return (F.col(f"{prefix}_fg_att") - F.col(f"{prefix}_oreb") + F.col(f"{prefix}_tov")
            + F.lit(FT_FACTOR) * F.col(f"{prefix}_ft_att"))


def game_minutes(team_games: "DataFrame") -> "Column":
    """Reported minutes, else 40 plus 5 per overtime period seen in the period scores."""
    from pyspark.sql import functions as F

    periods = F.size(F.col("team_points_by_period"))
    derived = F.when(periods > 2, F.lit(40.0) + (periods - 2) * 5.0).otherwise(F.lit(40.0))
    return F.coalesce(F.col("game_minutes"), derived)


def final_team_games(team_games: "DataFrame", games: "DataFrame") -> "DataFrame":
    """Team box scores of games that are final with both scores present."""
    from pyspark.sql import functions as F

    final = games.where((F.col("status") == "final") & F.col("home_points").isNotNull()
                        & F.col("away_points").isNotNull()).select("game_id")
    return team_games.join(final, "game_id", "inner").where(
        F.col("team_points").isNotNull() & F.col("opp_points").isNotNull())


def per_game(team_games: "DataFrame") -> "DataFrame":
    """Per team-game facts the season sums are built from."""
    from pyspark.sql import functions as F

    win = F.col("team_points") > F.col("opp_points")
    loss = F.col("team_points") < F.col("opp_points")
    site = F.when(F.col("neutral_site"), "neutral").when(F.col("is_home"), "home").otherwise("away")
    t_poss, o_poss = possessions("team"), possessions("opp")
    complete = F.lit(True)
    for side in ("team", "opp"):
        for c in POSSESSION_INPUTS:
            complete = complete & F.col(f"{side}_{c}").isNotNull()
    box = complete.alias("box")

    def when_box(col: "Column") -> "Column":
        return F.when(complete, col)

    return team_games.select(box,
        "season", "team_id", "team", "conference", "start_date",
        win.cast("int").alias("w"), loss.cast("int").alias("l"),
        F.coalesce(F.col("conference_game"), F.lit(False)).alias("conf"), site.alias("site"),
        F.col("team_points").alias("pf"), F.col("opp_points").alias("pa"),
        when_box(F.col("team_points")).alias("pf_box"), when_box(F.col("opp_points")).alias("pa_box"),
        game_minutes(team_games).alias("minutes"), when_box(game_minutes(team_games)).alias("box_minutes"),
        when_box(t_poss).alias("poss"), when_box(o_poss).alias("opp_poss"),
        when_box((t_poss + o_poss) / 2).alias("game_poss"),
        *[when_box(F.col(f"team_{c}")).alias(f"t_{c}") for c in ("fg_made", "fg_att", "fg3_made", "ft_att", "tov",
                                                                  "oreb", "dreb")],
        *[when_box(F.col(f"opp_{c}")).alias(f"o_{c}") for c in ("fg_made", "fg_att", "fg3_made", "ft_att", "tov",
                                                                 "oreb", "dreb")],
    )


def _ratio(num: "Column", den: "Column") -> "Column":
    from pyspark.sql import functions as F

    return F.when(den > 0, num / den)


def team_season(team_games: "DataFrame", games: "DataFrame") -> "DataFrame":
    """Season profile per team; only final games count."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    g = per_game(final_team_games(team_games, games))
    latest = Window.partitionBy("season", "team_id").orderBy(F.col("start_date").desc())
    names = (g.withColumn("_rn", F.row_number().over(latest)).where("_rn = 1")
             .select("season", "team_id", "team", "conference"))

    def wins_at(cond: "Column", col: str) -> "Column":
        return F.sum(F.when(cond, F.col(col)).otherwise(0)).cast("int")

    s = g.groupBy("season", "team_id").agg(
        F.count("*").cast("int").alias("games"),
        F.sum(F.when(F.col("box"), 0).otherwise(1)).cast("int").alias("games_missing_box"),
        F.sum("pf_box").alias("_pf_box"), F.sum("pa_box").alias("_pa_box"), F.sum("box_minutes").alias("_box_min"),
        F.sum("w").cast("int").alias("wins"), F.sum("l").cast("int").alias("losses"),
        wins_at(F.col("conf"), "w").alias("conf_wins"), wins_at(F.col("conf"), "l").alias("conf_losses"),
        wins_at(F.col("site") == "home", "w").alias("home_wins"),
        wins_at(F.col("site") == "home", "l").alias("home_losses"),
        wins_at(F.col("site") == "away", "w").alias("away_wins"),
        wins_at(F.col("site") == "away", "l").alias("away_losses"),
        wins_at(F.col("site") == "neutral", "w").alias("neutral_wins"),
        wins_at(F.col("site") == "neutral", "l").alias("neutral_losses"),
        F.sum("pf").cast("bigint").alias("points_for"), F.sum("pa").cast("bigint").alias("points_against"),
        F.sum("minutes").alias("minutes"), F.sum("poss").alias("possessions"),
        F.sum("opp_poss").alias("opp_possessions"), F.sum("game_poss").alias("_game_poss"),
        *[F.sum(c).alias(c) for c in ("t_fg_made", "t_fg_att", "t_fg3_made", "t_ft_att", "t_tov", "t_oreb", "t_dreb",
                                      "o_fg_made", "o_fg_att", "o_fg3_made", "o_ft_att", "o_tov", "o_oreb", "o_dreb")],
    )
    c = F.col
    out = s.join(names, ["season", "team_id"]).select(
        "season", "team_id", "team", "conference", "games", "wins", "losses", "conf_wins", "conf_losses",
        "home_wins", "home_losses", "away_wins", "away_losses", "neutral_wins", "neutral_losses",
        "points_for", "points_against",
        (c("points_for") / c("games")).alias("avg_points_for"),
        (c("points_against") / c("games")).alias("avg_points_against"),
        ((c("points_for") - c("points_against")) / c("games")).alias("avg_margin"),
        "games_missing_box", "minutes", "possessions", "opp_possessions", c("_game_poss").alias("game_possessions"),
        _ratio(c("_game_poss") * 40, c("_box_min")).alias("tempo"),
        _ratio(c("_pf_box") * 100, c("_game_poss")).alias("off_efficiency"),
        _ratio(c("_pa_box") * 100, c("_game_poss")).alias("def_efficiency"),
        _ratio((c("t_fg_made") + 0.5 * c("t_fg3_made")), c("t_fg_att")).alias("off_efg_pct"),
        _ratio(c("t_tov"), c("possessions")).alias("off_tov_pct"),
        _ratio(c("t_oreb"), c("t_oreb") + c("o_dreb")).alias("off_oreb_pct"),
        _ratio(c("t_ft_att"), c("t_fg_att")).alias("off_ft_rate"),
        _ratio((c("o_fg_made") + 0.5 * c("o_fg3_made")), c("o_fg_att")).alias("def_efg_pct"),
        _ratio(c("o_tov"), c("opp_possessions")).alias("def_tov_pct"),
        _ratio(c("o_oreb"), c("o_oreb") + c("t_dreb")).alias("def_oreb_pct"),
        _ratio(c("o_ft_att"), c("o_fg_att")).alias("def_ft_rate"),
    )
    pyth = (F.pow(c("off_efficiency"), PYTHAG_EXPONENT)
            / (F.pow(c("off_efficiency"), PYTHAG_EXPONENT) + F.pow(c("def_efficiency"), PYTHAG_EXPONENT)))
    return (out.withColumn("net_efficiency", c("off_efficiency") - c("def_efficiency"))
            .withColumn("win_pct", c("wins") / c("games"))
            .withColumn("pythag_win_pct", pyth)
            .withColumn("luck", c("win_pct") - c("pythag_win_pct")))


def with_adjusted(profile: "DataFrame", adjusted: "DataFrame") -> "DataFrame":
    """Join the solver's final adjusted ratings and strength of schedule (by season, team_id)."""
    return profile.join(adjusted, ["season", "team_id"], "left")


def build_team_season(spark: "SparkSession", cfg: "Config", season: int, run_id: str) -> dict[str, Any]:
    """Rebuild one season partition of gold.team_season (raw profile + solver's final adjusted ratings)."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table, merge_upsert
    from ..spark import ddl_schema, local_frame, materialized
    from ..tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS
    from .ratings import final_team_ratings, load_season, season_prior
    from .ratings_model import ModelParams

    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(F.col("season") == season)
    team_games = spark.table(ensure_table(spark, cfg, SILVER_TEAM_GAME_STATS)).where(F.col("season") == season)
    profile = team_season(team_games, games)
    data = load_season(spark, cfg, season)
    params = ModelParams()
    prior = season_prior(spark, cfg, season, data, params) if len(data.games) else None
    adjusted = final_team_ratings(data, params, prior)
    cols = ["adj_off", "adj_def", "adj_tempo", "adj_em", "adj_margin", "rank_adj_margin", "sos"]
    schema = ddl_schema("season INT, team_id BIGINT, adj_off DOUBLE, adj_def DOUBLE, adj_tempo DOUBLE, "
                        "adj_em DOUBLE, adj_margin DOUBLE, rank_adj_margin INT, sos DOUBLE")
    adj_df = local_frame(spark, [(season, tid, *[v[c] for c in cols]) for tid, v in adjusted.items()], schema)
    freshness = team_games.groupBy("season", "team_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    rows = materialized(with_adjusted(profile, adj_df).join(freshness, ["season", "team_id"], "left")
                        .withColumn("_source_file", F.lit(f"{SILVER_TEAM_GAME_STATS.name},{SILVER_GAMES.name}"))
                        .withColumn("_run_id", F.lit(run_id)))
    missing = rows.agg(F.sum("games_missing_box").alias("m")).collect()[0]["m"] or 0
    merge = merge_upsert(spark, cfg, GOLD_TEAM_SEASON, rows, prune={"season": [season]}, delete_missing=True)
    # each game is counted once per team: team-games without a complete box score
    return {"table": GOLD_TEAM_SEASON.name, "team_games_missing_box": int(missing),
            **{k: v for k, v in merge.to_dict().items() if k != "table"}}
