"""gold.market_lines: how the market priced each game, whether it was beaten, and the model's edge.

Conventions (CBBD's): ``spread`` is the home team's line, negative when the
home team is favoured (-4.5: home gives 4.5 points); ``total`` is the
over/under; moneylines are American odds. Per game and provider:

* implied probability of American odds: -150 → 150/250, +130 → 100/230;
  odds with |odds| < 100 (including the API's 0-as-null) give null;
* ``overround`` = home + away implied - 1 (the vig); the vig-free win
  probabilities are each side's implied probability / their sum;
* ``actual_margin`` = home − away points of a final game; ``spread_error`` =
  actual_margin + spread (actual minus the market's expected margin, which is
  −spread); ``ats_result`` = 'home' when spread_error > 0, 'away' when < 0,
  'push' when exactly 0 (a push is never a loss); ``ou_result`` = 'over' /
  'under' / 'push' of the actual total against ``total``; ``total_error`` =
  actual total − total;
* ``spread_move`` = close − open, ``total_move`` likewise: null when the
  opening line is null (the API often has none);
* a ``consensus`` row per game: the median of every provider's closing and
  opening numbers (after the pick'em rule below), ``providers`` = how many.

Pick'em: the real API turns every falsy number into null, so a pick'em spread
of 0 arrives as null (real-api-facts item 7). A null spread is read as 0 and
flagged ``spread_inferred_pickem`` when (a) both moneylines are present and the
vig-free home probability is within ``PICKEM_PROB_TOLERANCE`` of 0.5, or (b) the
provider sent no moneylines but did send a total (it priced the game, and the
only spread that disappears is 0). Lopsided moneylines with a null spread stay
a missing spread. Opening spreads are never inferred (a null open is usually
simply absent).

Model edge and closing-line value (CLV), from the pre-game predicted home
margin of ``gold.game_features`` (null when that table is absent):
``model_edge`` = model_margin + spread (points the model rates the home team
above the close), ``model_edge_open`` the same against the open. The model
takes ``model_side`` = the side its edge favours at the open (at the close
when there is no open); ``model_ats_result`` grades that side at the close
('win' / 'loss' / 'push'); ``model_clv_points`` = how many points the line
moved toward that side between open and close (home: open − close; away:
close − open): positive means the model beat the closing line.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column, DataFrame

PICKEM_PROB_TOLERANCE = 0.04
CONSENSUS = "consensus"
LINE_NUMBERS: tuple[str, ...] = ("spread", "total", "home_moneyline", "away_moneyline", "spread_open", "total_open")
GAME_COLUMNS: tuple[str, ...] = ("season", "game_id", "game_date", "start_date", "status", "home_team_id",
                                 "home_team", "away_team_id", "away_team", "home_points", "away_points")


def implied_probability(odds: "Column") -> "Column":
    """American odds → implied probability (vig included); null for |odds| < 100 or null."""
    from pyspark.sql import functions as F

    return (F.when(odds <= -100, -odds / (-odds + 100))
            .when(odds >= 100, F.lit(100.0) / (odds + 100)))


def provider_lines(lines: "DataFrame", games: "DataFrame") -> "DataFrame":
    """silver.game_lines joined to its game: one row per (game, provider) with the raw numbers.

    Lines whose game is not in silver.games (e.g. the API's ``gameId: -1``
    sentinel) have no result to grade and are left out; the build counts them.
    """
    from pyspark.sql import functions as F

    c = F.col
    lines_sel = lines.select(
        "game_id", "provider",
        c("spread").cast("double").alias("spread"), c("over_under").cast("double").alias("total"),
        c("home_moneyline").cast("double").alias("home_moneyline"),
        c("away_moneyline").cast("double").alias("away_moneyline"),
        c("spread_open").cast("double").alias("spread_open"), c("over_under_open").cast("double").alias("total_open"),
    )
    g = games.select(*GAME_COLUMNS)
    return lines_sel.join(g, "game_id", "inner")


def infer_pickem(df: "DataFrame") -> "DataFrame":
    """Apply the pick'em rule (module docstring): spread null → 0 with ``spread_inferred_pickem``."""
    from pyspark.sql import functions as F

    c = F.col
    ph, pa = implied_probability(c("home_moneyline")), implied_probability(c("away_moneyline"))
    balanced = ph.isNotNull() & pa.isNotNull() & (F.abs(ph / (ph + pa) - 0.5) <= PICKEM_PROB_TOLERANCE)
    no_ml = c("home_moneyline").isNull() & c("away_moneyline").isNull()
    inferred = c("spread").isNull() & (balanced | (no_ml & c("total").isNotNull()))
    return (df.withColumn("spread_inferred_pickem", inferred)
            .withColumn("spread", F.when(inferred, F.lit(0.0)).otherwise(c("spread"))))


def consensus_lines(rows: "DataFrame") -> "DataFrame":
    """One 'consensus' row per game: medians of every provider's numbers (after the pick'em rule)."""
    from pyspark.sql import functions as F

    firsts = [F.first(c).alias(c) for c in GAME_COLUMNS if c != "game_id"]
    return rows.groupBy("game_id").agg(
        *firsts, *[F.median(c).alias(c) for c in LINE_NUMBERS],
        F.count("*").cast("int").alias("providers"),
        F.coalesce(F.bool_or("spread_inferred_pickem") & ~F.bool_or(~F.col("spread_inferred_pickem")),
                   F.lit(False)).alias("spread_inferred_pickem"),
    ).withColumn("provider", F.lit(CONSENSUS))


def grade(df: "DataFrame") -> "DataFrame":
    """Probabilities, results against the spread and the total, errors and movement (module docstring)."""
    from pyspark.sql import functions as F

    c = F.col
    final = (c("status") == "final") & c("home_points").isNotNull() & c("away_points").isNotNull()
    ph, pa = implied_probability(c("home_moneyline")), implied_probability(c("away_moneyline"))
    margin = F.when(final, c("home_points") - c("away_points"))
    total_pts = F.when(final, c("home_points") + c("away_points"))
    err = margin + c("spread")
    terr = total_pts - c("total")

    def side(x: "Column", pos: str, neg: str) -> "Column":
        return F.when(x > 0, pos).when(x < 0, neg).when(x == 0, "push")

    return (df.withColumn("home_implied_prob", ph).withColumn("away_implied_prob", pa)
            .withColumn("overround", ph + pa - 1)
            .withColumn("home_win_prob", ph / (ph + pa)).withColumn("away_win_prob", pa / (ph + pa))
            .withColumn("spread_move", c("spread") - c("spread_open"))
            .withColumn("total_move", c("total") - c("total_open"))
            .withColumn("actual_margin", margin.cast("int")).withColumn("actual_total", total_pts.cast("int"))
            .withColumn("spread_error", err).withColumn("total_error", terr)
            .withColumn("ats_result", side(err, "home", "away"))
            .withColumn("ou_result", side(terr, "over", "under")))


def with_model(df: "DataFrame", predictions: "DataFrame | None") -> "DataFrame":
    """Join the model's predicted home margin (game_id, model_margin) and compute edge, side, result and CLV."""
    from pyspark.sql import functions as F

    c = F.col
    if predictions is None:
        df = df.withColumn("model_margin", F.lit(None).cast("double"))
    else:
        df = df.join(predictions.select("game_id", c("model_margin").cast("double").alias("model_margin")),
                     "game_id", "left")
    edge, edge_open = c("model_margin") + c("spread"), c("model_margin") + c("spread_open")
    basis = F.coalesce(edge_open, edge)
    model_side = F.when(basis > 0, "home").when(basis < 0, "away")
    df = (df.withColumn("model_edge", edge).withColumn("model_edge_open", edge_open)
          .withColumn("model_side", model_side))
    graded = (F.when(c("ats_result") == "push", "push")
              .when(c("ats_result") == c("model_side"), "win")
              .when(c("ats_result").isNotNull() & c("model_side").isNotNull(), "loss"))
    clv = (F.when(c("model_side") == "home", c("spread_open") - c("spread"))
           .when(c("model_side") == "away", c("spread") - c("spread_open")))
    return df.withColumn("model_ats_result", graded).withColumn("model_clv_points", clv)


def market_lines(lines: "DataFrame", games: "DataFrame", predictions: "DataFrame | None" = None) -> "DataFrame":
    """gold.market_lines rows: every provider's graded line plus the consensus row per game."""
    from pyspark.sql import functions as F

    per_provider = infer_pickem(provider_lines(lines, games)).withColumn("providers", F.lit(1))
    both = per_provider.unionByName(consensus_lines(per_provider))
    return with_model(grade(both), predictions)


# --------------------------------------------------------------------------------------------- the build
FEATURES_TABLE = "gold.game_features"


def predicted_margin_column(names: list[str]) -> str | None:
    """The predicted-home-margin column of gold.game_features (declared by gold part 1)."""
    for preferred in ("predicted_margin", "pred_margin", "predicted_home_margin", "model_margin"):
        if preferred in names:
            return preferred
    return next((n for n in names if "pred" in n and "margin" in n), None)


def model_predictions(spark: "object", cfg: "object", season: int, games: "DataFrame") -> "DataFrame | None":
    """(game_id, model_margin) from gold.game_features, home perspective; None when absent."""
    from pyspark.sql import functions as F

    from ..iceberg import table_exists
    from ..tables import all_tables

    spec = next((t for t in all_tables() if t.name == FEATURES_TABLE), None)
    if spec is None or not table_exists(spark, cfg.table(FEATURES_TABLE)):
        return None
    col = predicted_margin_column(spec.data_columns)
    if col is None:
        return None
    feats = spark.table(cfg.table(FEATURES_TABLE))
    if "season" in spec.data_columns:
        feats = feats.where(F.col("season") == season)
    if "team_id" in spec.data_columns:   # one row per team and game: keep the home team's view
        home = games.select("game_id", F.col("home_team_id").alias("team_id"))
        feats = feats.join(home, ["game_id", "team_id"], "inner")
    return feats.select("game_id", F.col(col).alias("model_margin")).dropDuplicates(["game_id"])


def build_market_lines(spark: "object", cfg: "object", season: int, run_id: str) -> dict[str, object]:
    """Rebuild the season partition of gold.market_lines; returns a report (rows, unmatched lines, CLV source)."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table, merge_upsert
    from ..log import event, get_logger
    from ..spark import materialized
    from ..specs.gold_analytics import GOLD_MARKET_LINES
    from ..tables import SILVER_GAMES, get_table

    lines_spec = get_table("silver.game_lines")
    lines = spark.table(ensure_table(spark, cfg, lines_spec)).where(F.col("season") == season)
    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(F.col("season") == season)
    predictions = model_predictions(spark, cfg, season, games)
    fresh = lines.groupBy("game_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    rows = materialized(market_lines(lines, games, predictions).join(fresh, "game_id", "left")
                        .withColumn("_source_file", F.lit(f"{lines_spec.name},{SILVER_GAMES.name}"))
                        .withColumn("_run_id", F.lit(run_id)))
    merge = merge_upsert(spark, cfg, GOLD_MARKET_LINES, rows, prune={"season": [season]}, delete_missing=True)
    unmatched = lines.join(games.select("game_id"), "game_id", "left_anti").count()
    report = {"season": season, **merge.to_dict(), "lines_without_game": unmatched,
              "model_predictions": FEATURES_TABLE if predictions is not None else None}
    event(get_logger("gold.markets"), "market lines built", season=season, run_id=run_id,
          rows=merge.source_rows, lines_without_game=unmatched)
    return report
