-- Athena (engine v3, Trino SQL) examples over the cbbd_etl lake.
--
-- Databases: cbbd_silver, cbbd_gold, cbbd_meta (Glue Data Catalog; Iceberg v2 tables, so Athena reads them
-- directly, including time travel with FOR TIMESTAMP AS OF / FOR VERSION AS OF). Locally, the same queries run
-- through `cbbd-etl sql` with the table names lake.silver.games etc.
-- Every table and column used here is declared in lib/cbbd_etl/tables.py or lib/cbbd_etl/specs/
-- (see docs/data_dictionary.md); tests/test_docs.py parses each query with sqlglot (dialect trino) and fails
-- on an undeclared table or column. Partition filters (season = ...) keep scans to one season.

-- 1. The season's top 25 teams by opponent-adjusted margin, with record and four factors.
SELECT rank_adj_margin, team, conference, wins, losses, adj_off, adj_def, adj_tempo, adj_margin,
       off_efg_pct, off_tov_pct, off_oreb_pct, off_ft_rate
FROM cbbd_gold.team_season
WHERE season = 2024
ORDER BY rank_adj_margin
LIMIT 25;

-- 2. Luck: teams whose win percentage most exceeds their Pythagorean expectation.
SELECT team, conference, games, win_pct, pythag_win_pct, luck, sos
FROM cbbd_gold.team_season
WHERE season = 2024 AND games >= 20
ORDER BY luck DESC
LIMIT 15;

-- 3. How a team's adjusted rating moved through the season (one row per rating date).
SELECT rating_date, games_played, adj_off, adj_def, adj_em, rank_em
FROM cbbd_gold.team_ratings_daily
WHERE season = 2024 AND team = 'Houston'
ORDER BY rating_date;

-- 4. Weekly power rankings: our composite against the AP and coaches' polls.
SELECT week, week_end, composite_rank, team, rank_margin, rank_em, ap_rank, coaches_rank, sources
FROM cbbd_gold.power_rankings
WHERE season = 2024 AND week = (SELECT max(week) FROM cbbd_gold.power_rankings WHERE season = 2024)
ORDER BY composite_rank
LIMIT 25;

-- 5. Pre-game features: how well the leak-free predicted margin explains the result, by month.
SELECT date_trunc('month', game_date) AS month,
       count(*) AS games,
       avg(abs(predicted_margin - margin)) AS mean_abs_error,
       avg(CASE WHEN (predicted_margin > 0) = (margin > 0) THEN 1.0 ELSE 0.0 END) AS winner_accuracy
FROM cbbd_gold.game_features
WHERE season = 2024 AND is_home AND margin IS NOT NULL
GROUP BY date_trunc('month', game_date)
ORDER BY month;

-- 6. Against the spread: how often favourites covered, per provider.
SELECT provider,
       count(*) AS games,
       avg(CASE WHEN ats_result = 'home' THEN 1.0 ELSE 0.0 END) AS home_cover_rate,
       avg(abs(spread_error)) AS mean_abs_spread_error,
       avg(abs(total_error)) AS mean_abs_total_error
FROM cbbd_gold.market_lines
WHERE season = 2024 AND spread IS NOT NULL
GROUP BY provider
ORDER BY games DESC;

-- 7. Player impact leaders among qualified players.
SELECT impact_rank, name, team, position, games, minutes_per_game, points_per_game, usage_rate, ts_pct, impact
FROM cbbd_gold.player_season
WHERE season = 2024 AND qualified
ORDER BY impact_rank
LIMIT 20;

-- 8. Closest finishes: final games decided by one point, with venue and attendance.
SELECT game_date, home_team, home_points, away_points, away_team, venue, attendance
FROM cbbd_silver.games
WHERE season = 2024 AND status = 'final' AND abs(home_points - away_points) = 1
ORDER BY game_date;

-- 9. Biggest single-game scoring performances, joined to the game for context.
SELECT p.game_date, p.name, p.team, p.opponent, p.points, p.minutes, p.field_goals_made, p.field_goals_attempted,
       g.home_points, g.away_points
FROM cbbd_silver.player_game_stats AS p
JOIN cbbd_silver.games AS g ON g.game_id = p.game_id
WHERE p.season = 2024 AND g.season = 2024
ORDER BY p.points DESC
LIMIT 20;

-- 10. Scoring plays by period and shot range (plays are partitioned by season and game_date).
SELECT period, shot_info_range, count(*) AS shots,
       avg(CASE WHEN shot_info_made THEN 1.0 ELSE 0.0 END) AS make_rate
FROM cbbd_silver.plays
WHERE season = 2024 AND game_date BETWEEN DATE '2024-01-01' AND DATE '2024-01-31' AND shooting_play
GROUP BY period, shot_info_range
ORDER BY period, shots DESC;

-- 11. Completeness: seasons and datasets below their coverage threshold, with the exact missing games.
SELECT season, dataset, coverage_pct, threshold_pct, missing_games, slice(missing_game_ids, 1, 10) AS first_missing
FROM cbbd_meta.completeness
WHERE coverage_pct < threshold_pct
ORDER BY season DESC, coverage_pct;

-- 12. Quarantine: why records were rejected, per target table, in the last 7 days.
SELECT target_table, reason, count(*) AS records, max(quarantined_at) AS last_seen
FROM cbbd_meta.quarantine
WHERE quarantined_at >= current_timestamp - INTERVAL '7' DAY
GROUP BY target_table, reason
ORDER BY records DESC;

-- 13. Data quality: the latest run's failing rules, errors first.
SELECT table_name, rule, severity, failing_count, sample_failing_keys, message
FROM cbbd_meta.dq_results
WHERE run_id = (SELECT max_by(run_id, evaluated_at) FROM cbbd_meta.dq_results) AND NOT passed
ORDER BY severity, failing_count DESC;
