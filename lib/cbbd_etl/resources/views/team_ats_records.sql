-- Each team's record against the consensus closing spread (pushes counted apart, never as losses).
WITH sides AS (
  SELECT season, home_team_id AS team_id, home_team AS team,
         CASE ats_result WHEN 'home' THEN 'cover' WHEN 'away' THEN 'loss' ELSE ats_result END AS outcome
  FROM gold.market_lines
  WHERE provider = 'consensus' AND ats_result IS NOT NULL
  UNION ALL
  SELECT season, away_team_id AS team_id, away_team AS team,
         CASE ats_result WHEN 'away' THEN 'cover' WHEN 'home' THEN 'loss' ELSE ats_result END AS outcome
  FROM gold.market_lines
  WHERE provider = 'consensus' AND ats_result IS NOT NULL
)
SELECT
  season, team_id, MAX(team) AS team,
  SUM(CASE WHEN outcome = 'cover' THEN 1 ELSE 0 END) AS ats_wins,
  SUM(CASE WHEN outcome = 'loss' THEN 1 ELSE 0 END) AS ats_losses,
  SUM(CASE WHEN outcome = 'push' THEN 1 ELSE 0 END) AS ats_pushes,
  COUNT(*) AS games
FROM sides
GROUP BY season, team_id
