"""Gold tables of ratings and pre-game features (gold part 1). Declared here, built by ``cbbd_etl.gold``.

Model and column meanings: docs/ratings.md. Every table is rebuilt per season
partition (``merge_upsert(..., delete_missing=True)``).
"""
from __future__ import annotations

from ..table_spec import TableSpec, cols

GOLD_TEAM_RATINGS_DAILY = TableSpec(
    name="gold.team_ratings_daily",
    comment="Point-in-time ratings per team and game date, from final games strictly before rating_date "
            "(US Eastern dates). adj_off/adj_def/adj_tempo null without box scores.",
    keys=("season", "rating_date", "team_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, rating_date DATE NOT NULL, team_id BIGINT NOT NULL, team STRING, conference STRING,
      games_played INT, box_games_played INT, adj_off DOUBLE, adj_def DOUBLE, adj_tempo DOUBLE, adj_em DOUBLE,
      adj_margin DOUBLE, rank_em INT, rank_margin INT, home_court DOUBLE, home_court_eff DOUBLE,
      mean_efficiency DOUBLE, mean_tempo DOUBLE, prior_weight DOUBLE
    """),
)

GOLD_POWER_RANKINGS = TableSpec(
    name="gold.power_rankings",
    comment="Weekly composite rank of the project's ratings (as of the week's last day), CBBD's end-of-season "
            "SRS/adjusted/Elo snapshots (flagged end_of_season_snapshot) and the AP/Coaches polls.",
    keys=("season", "week", "team_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, week INT NOT NULL, week_end DATE, team_id BIGINT NOT NULL, team STRING,
      rank_margin INT, rank_em INT, rank_cbbd_srs INT, rank_cbbd_adjusted INT, rank_cbbd_elo INT,
      ap_rank INT, coaches_rank INT, composite_score DOUBLE, composite_rank INT, sources INT,
      end_of_season_snapshot BOOLEAN
    """),
)

GOLD_GAME_FEATURES = TableSpec(
    name="gold.game_features",
    comment="Two rows per final game (one per team): pre-game features only (ratings as of the day before, "
            "form, rest, site) and the game's labels.",
    keys=("season", "game_id", "team_id"),
    partition_by=("season",),
    columns=cols("""
      season INT NOT NULL, game_id BIGINT NOT NULL, team_id BIGINT NOT NULL, game_date DATE, team STRING,
      opponent_id BIGINT, opponent STRING, site STRING, is_home BOOLEAN, neutral_site BOOLEAN, conference_game BOOLEAN,
      team_adj_margin DOUBLE, opp_adj_margin DOUBLE, team_adj_off DOUBLE, team_adj_def DOUBLE, team_adj_tempo DOUBLE,
      opp_adj_off DOUBLE, opp_adj_def DOUBLE, opp_adj_tempo DOUBLE, team_games_played INT, opp_games_played INT,
      team_prior_weight DOUBLE, opp_prior_weight DOUBLE, home_court DOUBLE,
      predicted_margin DOUBLE, predicted_total DOUBLE,
      form_margin_last5 DOUBLE, form_margin_last10 DOUBLE, form_wins_last5 INT, form_wins_last10 INT,
      opp_form_margin_last5 DOUBLE, opp_form_margin_last10 DOUBLE,
      rest_days INT, opp_rest_days INT,
      result STRING, won BOOLEAN, points_for INT, points_against INT, margin INT, total INT
    """),
)

TABLES: tuple[TableSpec, ...] = (GOLD_TEAM_RATINGS_DAILY, GOLD_POWER_RANKINGS, GOLD_GAME_FEATURES)
