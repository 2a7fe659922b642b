"""Gold tables of players, betting markets and the team-name crosswalk (gold part 2).

Declared here (pure: no Spark, no I/O), built by ``cbbd_etl.gold.players``,
``cbbd_etl.gold.markets`` and ``cbbd_etl.gold.crosswalk``. Every gold table is
rebuilt per season partition, so the season is the partition of each.
Conventions: ``*_pct`` shooting columns (eFG%, TS%) are fractions 0–1; the
``*_rate`` columns (usage, assist, turnover, rebound rates) are percentages
0–100 as basketball-reference prints them. Definitions: docs/gold_layer_design.md.
"""
from __future__ import annotations

from ..table_spec import TableSpec, cols

_PLAYER_COUNTS = """
  minutes DOUBLE, points DOUBLE, fg_made DOUBLE, fg_att DOUBLE, fg3_made DOUBLE, fg3_att DOUBLE,
  ft_made DOUBLE, ft_att DOUBLE, oreb DOUBLE, dreb DOUBLE, treb DOUBLE, assists DOUBLE, turnovers DOUBLE,
  steals DOUBLE, blocks DOUBLE, fouls DOUBLE,
  team_minutes DOUBLE, team_fg_made DOUBLE, team_fg_att DOUBLE, team_ft_att DOUBLE, team_tov DOUBLE,
  team_oreb DOUBLE, team_dreb DOUBLE, opp_oreb DOUBLE, opp_dreb DOUBLE, team_possessions DOUBLE,
  possessions DOUBLE,
  efg_pct DOUBLE, ts_pct DOUBLE, usage_rate DOUBLE, ast_rate DOUBLE, tov_rate DOUBLE,
  oreb_rate DOUBLE, dreb_rate DOUBLE, treb_rate DOUBLE,
  points_per40 DOUBLE, treb_per40 DOUBLE, assists_per40 DOUBLE,
  points_per100 DOUBLE, treb_per100 DOUBLE, assists_per100 DOUBLE, box_score_per100 DOUBLE
"""

GOLD_PLAYER_GAME = TableSpec(
    name="gold.player_game",
    comment="One row per player per final game: box counts, team context, shooting, rates, per-40 and per-100.",
    keys=("game_id", "team_id", "athlete_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, game_id BIGINT NOT NULL, game_date DATE, team_id BIGINT NOT NULL, team STRING,
      conference STRING, opponent_id BIGINT, opponent STRING, athlete_id BIGINT NOT NULL, name STRING,
      position STRING, starter BOOLEAN,
    """ + _PLAYER_COUNTS),
)

GOLD_PLAYER_SEASON = TableSpec(
    name="gold.player_season",
    comment=("One row per player, team and season: summed counts, rates, per-40/100 and the team-adjusted box impact "
             "(a BPM-style ridge regression of team net rating on box rates, fitted per season)."),
    keys=("season", "team_id", "athlete_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, team_id BIGINT NOT NULL, team STRING, conference STRING, athlete_id BIGINT NOT NULL,
      name STRING, position STRING, games INT, starts INT, team_games INT, minutes_per_game DOUBLE,
      points_per_game DOUBLE, treb_per_game DOUBLE, assists_per_game DOUBLE,
    """ + _PLAYER_COUNTS + """,
      minutes_share DOUBLE, qualified BOOLEAN, raw_impact DOUBLE, team_margin_per100 DOUBLE,
      team_margin_source STRING, impact_team_adjustment DOUBLE, impact DOUBLE, impact_rank INT
    """),
)

GOLD_MARKET_LINES = TableSpec(
    name="gold.market_lines",
    comment=("One row per game and line provider, plus provider 'consensus' (medians): closing and opening lines, "
             "vig-free win probabilities, results against the spread and the total, and model edge / CLV."),
    keys=("game_id", "provider"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, game_id BIGINT NOT NULL, provider STRING NOT NULL, providers INT, game_date DATE,
      start_date TIMESTAMP, status STRING, home_team_id BIGINT, home_team STRING, away_team_id BIGINT,
      away_team STRING, home_points INT, away_points INT,
      spread DOUBLE, spread_inferred_pickem BOOLEAN, total DOUBLE, home_moneyline DOUBLE, away_moneyline DOUBLE,
      home_implied_prob DOUBLE, away_implied_prob DOUBLE, overround DOUBLE,
      home_win_prob DOUBLE, away_win_prob DOUBLE,
      spread_open DOUBLE, total_open DOUBLE, spread_move DOUBLE, total_move DOUBLE,
      actual_margin INT, actual_total INT, ats_result STRING, ou_result STRING,
      spread_error DOUBLE, total_error DOUBLE,
      model_margin DOUBLE, model_edge DOUBLE, model_edge_open DOUBLE, model_side STRING, model_ats_result STRING,
      model_clv_points DOUBLE
    """),
)

GOLD_TEAM_CROSSWALK = TableSpec(
    name="gold.team_crosswalk",
    comment=("One row per CBBD team id and season: the names KenPom, Torvik, Kaggle and sportsbooks use for it, "
             "from the packaged seed (resources/crosswalk); mapped=false when the seed has no entry."),
    keys=("season", "team_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, team_id BIGINT NOT NULL, school STRING, conference STRING, division STRING,
      kenpom_name STRING, torvik_name STRING, kaggle_team_id INT, kaggle_name STRING, sportsbook_name STRING,
      mapped BOOLEAN NOT NULL
    """),
)

TABLES: tuple[TableSpec, ...] = (GOLD_PLAYER_GAME, GOLD_PLAYER_SEASON, GOLD_MARKET_LINES, GOLD_TEAM_CROSSWALK)
