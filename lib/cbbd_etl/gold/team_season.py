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
    from pyspark.sql import DataFrame, SparkSession

    from ..config import Config

FT_FACTOR = 0.475
PYTHAG_EXPONENT = 11.5
POSSESSION_INPUTS = ("fg_att", "oreb", "tov", "ft_att")


# The profile is written as SQL text (``selectExpr``/``expr``), parsed once by the JVM: built from PySpark
# ``Column`` objects (every ``col``, operator and ``when`` a round trip to the JVM) its plan took 0.65 s of a
# warm job's ~5 s on 2 cores to build, as text 0.27 s (cProfile, full season). Literals carry a ``D`` so they are doubles, as ``F.lit(0.475)`` was (a bare
# ``0.475`` in Spark SQL is a decimal).
def possessions(prefix: str) -> str:
    """FGA − OREB + TOV + 0.475·FTA of one side (``team`` or ``opp``), as SQL."""
    return f"({prefix}_fg_att - {prefix}_oreb + {prefix}_tov + {FT_FACTOR}D * {prefix}_ft_att)"


def game_minutes() -> str:
    """Reported minutes, else 40 plus 5 per overtime period seen in the period scores (SQL)."""
    periods = "size(team_points_by_period)"
    return f"coalesce(game_minutes, CASE WHEN {periods} > 2 THEN 40.0D + ({periods} - 2) * 5.0D ELSE 40.0D END)"


def final_team_games(team_games: "DataFrame", games: "DataFrame") -> "DataFrame":
    """Team box scores of games that are final with both scores present."""
    final = games.where("status = 'final' AND home_points IS NOT NULL AND away_points IS NOT NULL").select("game_id")
    return team_games.join(final, "game_id", "inner").where("team_points IS NOT NULL AND opp_points IS NOT NULL")


def per_game(team_games: "DataFrame") -> "DataFrame":
    """Per team-game facts the season sums are built from."""
    complete = " AND ".join(f"{side}_{c} IS NOT NULL" for side in ("team", "opp") for c in POSSESSION_INPUTS)

    def when_box(sql: str) -> str:
        return f"CASE WHEN {complete} THEN {sql} END"

    t_poss, o_poss = possessions("team"), possessions("opp")
    counts = ("fg_made", "fg_att", "fg3_made", "ft_att", "tov", "oreb", "dreb")
    return team_games.selectExpr(
        f"({complete}) AS box",
        "season", "team_id", "team", "conference", "start_date",
        "CAST(team_points > opp_points AS INT) AS w", "CAST(team_points < opp_points AS INT) AS l",
        "coalesce(conference_game, false) AS conf",
        "CASE WHEN neutral_site THEN 'neutral' WHEN is_home THEN 'home' ELSE 'away' END AS site",
        "team_points AS pf", "opp_points AS pa",
        f"{when_box('team_points')} AS pf_box", f"{when_box('opp_points')} AS pa_box",
        f"{game_minutes()} AS minutes", f"{when_box(game_minutes())} AS box_minutes",
        f"{when_box(t_poss)} AS poss", f"{when_box(o_poss)} AS opp_poss",
        f"{when_box(f'({t_poss} + {o_poss}) / 2')} AS game_poss",
        *[f"{when_box(f'team_{c}')} AS t_{c}" for c in counts],
        *[f"{when_box(f'opp_{c}')} AS o_{c}" for c in counts],
    )


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN {num} / {den} END"


def team_season(team_games: "DataFrame", games: "DataFrame") -> "DataFrame":
    """Season profile per team; only final games count."""
    from pyspark.sql import functions as F

    g = per_game(final_team_games(team_games, games))

    def wins_at(cond: str, col: str) -> str:
        return f"CAST(sum(CASE WHEN {cond} THEN {col} ELSE 0 END) AS INT)"

    sites = [(f"{site}_{res}", wins_at(f"site = '{site}'", col)) for site in ("home", "away", "neutral")
             for res, col in (("wins", "w"), ("losses", "l"))]
    sums = [f"sum({c}) AS {c}" for c in ("t_fg_made", "t_fg_att", "t_fg3_made", "t_ft_att", "t_tov", "t_oreb",
                                         "t_dreb", "o_fg_made", "o_fg_att", "o_fg3_made", "o_ft_att", "o_tov",
                                         "o_oreb", "o_dreb")]
    s = g.groupBy("season", "team_id").agg(*[F.expr(e) for e in (
        # the name and conference of the team's latest game, in the same pass (no window, no join)
        "max_by(named_struct('team', team, 'conference', conference), "
        "coalesce(start_date, CAST(0 AS TIMESTAMP))) AS _latest",
        "CAST(count(*) AS INT) AS games",
        "CAST(sum(CASE WHEN box THEN 0 ELSE 1 END) AS INT) AS games_missing_box",
        "sum(pf_box) AS _pf_box", "sum(pa_box) AS _pa_box", "sum(box_minutes) AS _box_min",
        "CAST(sum(w) AS INT) AS wins", "CAST(sum(l) AS INT) AS losses",
        f"{wins_at('conf', 'w')} AS conf_wins", f"{wins_at('conf', 'l')} AS conf_losses",
        *[f"{sql} AS {name}" for name, sql in sites],
        "CAST(sum(pf) AS BIGINT) AS points_for", "CAST(sum(pa) AS BIGINT) AS points_against",
        "sum(minutes) AS minutes", "sum(poss) AS possessions",
        "sum(opp_poss) AS opp_possessions", "sum(game_poss) AS _game_poss",
        *sums)])
    off_eff, def_eff = _ratio("_pf_box * 100", "_game_poss"), _ratio("_pa_box * 100", "_game_poss")
    pyth = f"pow({off_eff}, {PYTHAG_EXPONENT}D) / (pow({off_eff}, {PYTHAG_EXPONENT}D) + pow({def_eff}, {PYTHAG_EXPONENT}D))"
    return s.selectExpr(
        "season", "team_id", "_latest.team AS team", "_latest.conference AS conference", "games", "wins", "losses", "conf_wins", "conf_losses",
        "home_wins", "home_losses", "away_wins", "away_losses", "neutral_wins", "neutral_losses",
        "points_for", "points_against",
        "points_for / games AS avg_points_for",
        "points_against / games AS avg_points_against",
        "(points_for - points_against) / games AS avg_margin",
        "games_missing_box", "minutes", "possessions", "opp_possessions", "_game_poss AS game_possessions",
        f"{_ratio('_game_poss * 40', '_box_min')} AS tempo",
        f"{off_eff} AS off_efficiency",
        f"{def_eff} AS def_efficiency",
        f"{_ratio('(t_fg_made + 0.5D * t_fg3_made)', 't_fg_att')} AS off_efg_pct",
        f"{_ratio('t_tov', 'possessions')} AS off_tov_pct",
        f"{_ratio('t_oreb', '(t_oreb + o_dreb)')} AS off_oreb_pct",
        f"{_ratio('t_ft_att', 't_fg_att')} AS off_ft_rate",
        f"{_ratio('(o_fg_made + 0.5D * o_fg3_made)', 'o_fg_att')} AS def_efg_pct",
        f"{_ratio('o_tov', 'opp_possessions')} AS def_tov_pct",
        f"{_ratio('o_oreb', '(o_oreb + t_dreb)')} AS def_oreb_pct",
        f"{_ratio('o_ft_att', 'o_fg_att')} AS def_ft_rate",
        f"{off_eff} - {def_eff} AS net_efficiency",
        "wins / games AS win_pct",
        f"{pyth} AS pythag_win_pct",
        f"wins / games - {pyth} AS luck",
    )


def with_adjusted(profile: "DataFrame", adjusted: "DataFrame") -> "DataFrame":
    """Join the solver's final adjusted ratings and strength of schedule (by season, team_id).

    ``adjusted`` has a row per team at most, built on the driver: broadcast, so the profile is not shuffled and
    sorted again to meet it (Spark cannot size a frame made from driver rows and would plan a sort-merge join).
    """
    from pyspark.sql import functions as F

    return profile.join(F.broadcast(adjusted), ["season", "team_id"], "left")


def build_team_season(spark: "SparkSession", cfg: "Config", season: int, run_id: str) -> dict[str, Any]:
    """Rebuild one season partition of gold.team_season (raw profile + solver's final adjusted ratings)."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table, merge_upsert
    from ..spark import ddl_schema, local_frame, materialized
    from ..tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS
    from .ratings import final_team_ratings, load_with_prior
    from .ratings_model import ModelParams

    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(F.col("season") == season)
    team_games = spark.table(ensure_table(spark, cfg, SILVER_TEAM_GAME_STATS)).where(F.col("season") == season)
    profile = team_season(team_games, games)
    params = ModelParams()
    data, prior = load_with_prior(spark, cfg, season, params)
    adjusted = final_team_ratings(data, params, prior)
    cols = ["adj_off", "adj_def", "adj_tempo", "adj_em", "adj_margin", "rank_adj_margin", "sos"]
    schema = ddl_schema("season INT, team_id BIGINT, adj_off DOUBLE, adj_def DOUBLE, adj_tempo DOUBLE, "
                        "adj_em DOUBLE, adj_margin DOUBLE, rank_adj_margin INT, sos DOUBLE")
    adj_df = local_frame(spark, [(season, tid, *[v[c] for c in cols]) for tid, v in adjusted.items()], schema)
    freshness = team_games.groupBy("season", "team_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    rows = materialized(with_adjusted(profile, adj_df).join(freshness, ["season", "team_id"], "left")
                        .withColumn("_source_file", F.lit(f"{SILVER_TEAM_GAME_STATS.name},{SILVER_GAMES.name}"))
                        .withColumn("_run_id", F.lit(run_id)))
    missing, count = rows.selectExpr("sum(games_missing_box)", "count(*)").first()
    merge = merge_upsert(spark, cfg, GOLD_TEAM_SEASON, rows, prune={"season": [season]}, delete_missing=True,
                         source_rows=count)
    # each game is counted once per team: team-games without a complete box score
    return {"table": GOLD_TEAM_SEASON.name, "team_games_missing_box": int(missing or 0),
            **{k: v for k, v in merge.to_dict().items() if k != "table"}}
