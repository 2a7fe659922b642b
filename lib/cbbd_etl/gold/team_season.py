"""gold.team_season: one profile row per team and season, from final games only.

Definitions (documented in docs/gold.md, chosen to match KenPom/Torvik usage):

* possessions = FGA − OREB + TOV + 0.475·FTA, per team per game;
* tempo = 40 · Σ game possessions / Σ game minutes, where a game's
  possessions are the mean of both teams' counts and minutes include
  overtime (45, 50, …), so overtime games do not inflate pace;
* offensive / defensive efficiency = points scored / allowed per 100 of the
  team's / the opponent's possessions;
* four factors from summed counts (never averages of per-game ratios):
  eFG% = (FGM + 0.5·3PM)/FGA, TOV% = TOV/possessions,
  OREB% = OREB/(OREB + opponent DREB), FT rate = FTA/FGA; the defensive
  factors are the same formulas applied to the opponents.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

FT_FACTOR = 0.475


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
    return team_games.select(
        "season", "team_id", "team", "conference", "start_date",
        win.cast("int").alias("w"), loss.cast("int").alias("l"),
        F.coalesce(F.col("conference_game"), F.lit(False)).alias("conf"), site.alias("site"),
        F.col("team_points").alias("pf"), F.col("opp_points").alias("pa"),
        game_minutes(team_games).alias("minutes"),
        t_poss.alias("poss"), o_poss.alias("opp_poss"), ((t_poss + o_poss) / 2).alias("game_poss"),
        *[F.col(f"team_{c}").alias(f"t_{c}") for c in ("fg_made", "fg_att", "fg3_made", "ft_att", "tov", "oreb",
                                                        "dreb")],
        *[F.col(f"opp_{c}").alias(f"o_{c}") for c in ("fg_made", "fg_att", "fg3_made", "ft_att", "tov", "oreb",
                                                       "dreb")],
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
        "minutes", "possessions", "opp_possessions",
        _ratio(c("_game_poss") * 40, c("minutes")).alias("tempo"),
        _ratio(c("points_for") * 100, c("possessions")).alias("off_efficiency"),
        _ratio(c("points_against") * 100, c("opp_possessions")).alias("def_efficiency"),
        _ratio((c("t_fg_made") + 0.5 * c("t_fg3_made")), c("t_fg_att")).alias("off_efg_pct"),
        _ratio(c("t_tov"), c("possessions")).alias("off_tov_pct"),
        _ratio(c("t_oreb"), c("t_oreb") + c("o_dreb")).alias("off_oreb_pct"),
        _ratio(c("t_ft_att"), c("t_fg_att")).alias("off_ft_rate"),
        _ratio((c("o_fg_made") + 0.5 * c("o_fg3_made")), c("o_fg_att")).alias("def_efg_pct"),
        _ratio(c("o_tov"), c("opp_possessions")).alias("def_tov_pct"),
        _ratio(c("o_oreb"), c("o_oreb") + c("t_dreb")).alias("def_oreb_pct"),
        _ratio(c("o_ft_att"), c("o_fg_att")).alias("def_ft_rate"),
    )
    return out.withColumn("net_efficiency", F.col("off_efficiency") - F.col("def_efficiency"))
