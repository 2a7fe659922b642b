-- How fresh each fact table is: latest game date covered, latest ingest time, rows.
SELECT 'silver.games' AS table_name, MAX(game_date) AS latest_game_date,
       MAX("_ingested_at") AS latest_ingested_at, COUNT(*) AS row_count
FROM silver.games WHERE status = 'final'
UNION ALL
SELECT 'silver.team_game_stats', MAX(game_date), MAX("_ingested_at"), COUNT(*) FROM silver.team_game_stats
UNION ALL
SELECT 'silver.player_game_stats', MAX(game_date), MAX("_ingested_at"), COUNT(*) FROM silver.player_game_stats
UNION ALL
SELECT 'silver.game_lines', MAX(game_date), MAX("_ingested_at"), COUNT(*) FROM silver.game_lines
UNION ALL
SELECT 'gold.player_game', MAX(game_date), MAX("_ingested_at"), COUNT(*) FROM gold.player_game
UNION ALL
SELECT 'gold.market_lines', MAX(game_date), MAX("_ingested_at"), COUNT(*) FROM gold.market_lines
