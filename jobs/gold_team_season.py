"""Job gold_team_season: ``silver.games`` + ``silver.team_game_stats`` → ``gold.team_season``."""
from __future__ import annotations

from typing import Any

from pyspark.sql import functions as F

from cbbd_etl.gold.team_season import team_season
from cbbd_etl.iceberg import ensure_table, merge_upsert
from cbbd_etl.runner import JobContext
from cbbd_etl.tables import GOLD_TEAM_SEASON, SILVER_GAMES, SILVER_TEAM_GAME_STATS


def run(ctx: JobContext) -> dict[str, Any]:
    season = ctx.require_season()
    spark, cfg = ctx.spark, ctx.cfg
    games = spark.table(ensure_table(spark, cfg, SILVER_GAMES)).where(F.col("season") == season)
    team_games = spark.table(ensure_table(spark, cfg, SILVER_TEAM_GAME_STATS)).where(F.col("season") == season)
    profile = team_season(team_games, games)
    freshness = team_games.groupBy("season", "team_id").agg(F.max("_ingested_at").alias("_ingested_at"))
    rows = (profile.join(freshness, ["season", "team_id"], "left")
            .withColumn("_source_file", F.lit(f"{SILVER_TEAM_GAME_STATS.name},{SILVER_GAMES.name}"))
            .withColumn("_run_id", F.lit(ctx.run_id)))
    merge = merge_upsert(spark, cfg, GOLD_TEAM_SEASON, rows, prune={"season": [season]})
    return {"table": GOLD_TEAM_SEASON.name, **{k: v for k, v in merge.to_dict().items() if k != "table"}}
