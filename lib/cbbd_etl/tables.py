"""Declared Iceberg tables: columns, natural keys, partitioning, properties.

Why declare instead of letting Spark infer: the API's JSON has nulls, ints that
are sometimes floats and fields that come and go; an inferred schema would
drift from run to run. Each table is declared once here and used for CREATE
TABLE, the MERGE key, partition-consistency checks, data-quality rules and
docs. Pure Python: importable without Spark (Terraform/docs generators).
"""
from __future__ import annotations

from .table_spec import LINEAGE_COLUMNS, Column, TableSpec, _cols, cols  # noqa: F401  (re-exported)


_BOX_STATS = """
  fg_made INT, fg_att INT, fg_pct DOUBLE, fg2_made INT, fg2_att INT, fg2_pct DOUBLE,
  fg3_made INT, fg3_att INT, fg3_pct DOUBLE, ft_made INT, ft_att INT, ft_pct DOUBLE,
  oreb INT, dreb INT, treb INT, tov INT, team_tov INT, fouls INT, technical_fouls INT, flagrant_fouls INT,
  points INT, points_by_period ARRAY<INT>, fast_break_points INT, points_off_turnovers INT, points_in_paint INT,
  largest_lead INT, assists INT, blocks INT, steals INT, possessions DOUBLE, rating DOUBLE,
  true_shooting DOUBLE, game_score DOUBLE, efg_pct DOUBLE, tov_ratio DOUBLE, oreb_pct DOUBLE, ft_rate DOUBLE
"""
BOX_STAT_FIELDS: tuple[str, ...] = tuple(c.name for c in _cols(_BOX_STATS))


def _prefixed(prefix: str) -> str:
    return ", ".join(f"{prefix}_{c.name} {c.type}" for c in _cols(_BOX_STATS))


SILVER_GAMES = TableSpec(
    name="silver.games",
    comment="One row per game (CBBD /games). Times UTC; game_date is the US/Eastern calendar date.",
    keys=("game_id",),
    partition_by=("season",),
    columns=_cols("""
      game_id BIGINT NOT NULL, source_id STRING, season INT NOT NULL, season_label STRING, season_type STRING,
      start_date TIMESTAMP, game_date DATE, start_time_tbd BOOLEAN, neutral_site BOOLEAN, conference_game BOOLEAN,
      game_type STRING, tournament STRING, game_notes STRING, status STRING, attendance INT,
      home_team_id BIGINT, home_team STRING, home_conference_id BIGINT, home_conference STRING, home_seed INT,
      home_points INT, home_period_points ARRAY<INT>, home_winner BOOLEAN, home_team_elo_start INT, home_team_elo_end INT,
      away_team_id BIGINT, away_team STRING, away_conference_id BIGINT, away_conference STRING, away_seed INT,
      away_points INT, away_period_points ARRAY<INT>, away_winner BOOLEAN, away_team_elo_start INT, away_team_elo_end INT,
      excitement DOUBLE, venue_id BIGINT, venue STRING, city STRING, state STRING
    """),
)

SILVER_TEAM_GAME_STATS = TableSpec(
    name="silver.team_game_stats",
    comment="One row per team per game (CBBD /games/teams): the team's box score and its opponent's.",
    keys=("game_id", "team_id"),
    partition_by=("season",),
    columns=_cols(
        """
      game_id BIGINT NOT NULL, team_id BIGINT NOT NULL, season INT NOT NULL, season_label STRING, season_type STRING,
      tournament STRING, start_date TIMESTAMP, game_date DATE, start_time_tbd BOOLEAN, team STRING, conference STRING,
      team_seed INT, opponent_id BIGINT, opponent STRING, opponent_conference STRING, opponent_seed INT,
      neutral_site BOOLEAN, is_home BOOLEAN, conference_game BOOLEAN, game_type STRING, notes STRING,
      game_minutes DOUBLE, pace DOUBLE,
    """
        + _prefixed("team") + ", " + _prefixed("opp")
    ),
)

GOLD_TEAM_SEASON = TableSpec(
    name="gold.team_season",
    comment="Team season profile from final games: records, scoring, possessions, tempo, efficiency, four factors "
            "(box-complete games only; the rest counted in games_missing_box), pythag, luck, SOS, final adjusted ratings.",
    keys=("season", "team_id"),
    partition_by=("season",),
    columns=_cols("""
      season INT NOT NULL, team_id BIGINT NOT NULL, team STRING, conference STRING,
      games INT, wins INT, losses INT, conf_wins INT, conf_losses INT, home_wins INT, home_losses INT,
      away_wins INT, away_losses INT, neutral_wins INT, neutral_losses INT,
      points_for BIGINT, points_against BIGINT, avg_points_for DOUBLE, avg_points_against DOUBLE, avg_margin DOUBLE,
      minutes DOUBLE, possessions DOUBLE, opp_possessions DOUBLE, tempo DOUBLE,
      off_efficiency DOUBLE, def_efficiency DOUBLE, net_efficiency DOUBLE,
      off_efg_pct DOUBLE, off_tov_pct DOUBLE, off_oreb_pct DOUBLE, off_ft_rate DOUBLE,
      def_efg_pct DOUBLE, def_tov_pct DOUBLE, def_oreb_pct DOUBLE, def_ft_rate DOUBLE,
      games_missing_box INT, game_possessions DOUBLE, win_pct DOUBLE, pythag_win_pct DOUBLE, luck DOUBLE,
      sos DOUBLE, adj_off DOUBLE, adj_def DOUBLE, adj_tempo DOUBLE, adj_em DOUBLE, adj_margin DOUBLE,
      rank_adj_margin INT
    """),
)

META_QUARANTINE = TableSpec(
    name="meta.quarantine",
    comment="Records that failed parsing or validation, with the reason and the raw JSON; nothing is dropped silently.",
    keys=("quarantine_id",),
    partition_by=("target_table",),
    lineage=False,
    columns=_cols("""
      quarantine_id STRING NOT NULL, target_table STRING NOT NULL, natural_key STRING, reason STRING NOT NULL,
      raw_json STRING, source_file STRING, season INT, run_id STRING, quarantined_at TIMESTAMP
    """),
)

META_SCHEMA_DRIFT = TableSpec(
    name="meta.schema_drift",
    comment="Fields the API sent that the declared schema lacks: first sighting per table and field.",
    keys=("target_table", "field"),
    lineage=False,
    columns=_cols("""
      target_table STRING NOT NULL, field STRING NOT NULL, example_json STRING, source_file STRING,
      records BIGINT, first_run_id STRING, first_seen_at TIMESTAMP
    """),
)

META_BRONZE_PROCESSED = TableSpec(
    name="meta.bronze_processed",
    comment="Bronze responses each silver table has loaded (by file and content hash): runs read only new ones.",
    keys=("target_table", "source_file", "sha256"),
    partition_by=("target_table",),
    lineage=False,
    columns=_cols("""
      target_table STRING NOT NULL, source_file STRING NOT NULL, sha256 STRING NOT NULL, season INT,
      record_count BIGINT, fetched_at TIMESTAMP, outcome STRING, run_id STRING, processed_at TIMESTAMP
    """),
)

META_COMPLETENESS = TableSpec(
    name="meta.completeness",
    comment="Per season and dataset: rows, and for game-level facts the final games covered and the exact missing ids.",
    keys=("season", "dataset"),
    partition_by=("season",),
    columns=_cols("""
      season INT NOT NULL, dataset STRING NOT NULL, source_table STRING, rows BIGINT, final_games BIGINT,
      covered_games BIGINT, coverage_pct DOUBLE, missing_games BIGINT, missing_game_ids ARRAY<BIGINT>,
      threshold_pct DOUBLE, status STRING
    """),
)

META_GAP_FILL_LOG = TableSpec(
    name="meta.gap_fill_log",
    comment="Every (dataset, game) gap-fill asked for: when, how often, and whether the API had it.",
    keys=("dataset", "game_id"),
    partition_by=("season",),
    columns=_cols("""
      dataset STRING NOT NULL, game_id BIGINT NOT NULL, season INT NOT NULL, attempts INT,
      last_asked_at TIMESTAMP, outcome STRING, recheck_after DATE, run_id STRING
    """),
)

from .specs.dq_tables import META_DQ_RESULTS  # noqa: E402  (declared beside the data-quality rules)

CURATED_TABLES: tuple[TableSpec, ...] = (SILVER_GAMES, SILVER_TEAM_GAME_STATS, GOLD_TEAM_SEASON, META_QUARANTINE,
                                         META_SCHEMA_DRIFT, META_BRONZE_PROCESSED, META_COMPLETENESS,
                                         META_GAP_FILL_LOG, META_DQ_RESULTS)


def all_tables() -> tuple[TableSpec, ...]:
    """Every declared table: the curated ones above plus one per API model (silver.endpoint_tables)."""
    from .silver.endpoint_tables import ENDPOINT_TABLES
    from .specs import gold_analytics, gold_ratings

    return (CURATED_TABLES + tuple(t.spec for t in ENDPOINT_TABLES) + gold_ratings.TABLES
            + gold_analytics.TABLES)


def get_table(name: str) -> TableSpec:
    for table in all_tables():
        if table.name == name:
            return table
    raise KeyError(name)
