-- Qualified players (minimum games and minutes) ranked by the team-adjusted box impact.
SELECT
  p.season, p.impact_rank, p.athlete_id, p.name, p.team, p.conference, p.position, p.games,
  p.minutes_per_game, p.points_per_game, p.treb_per_game, p.assists_per_game,
  p.efg_pct, p.ts_pct, p.usage_rate, p.ast_rate, p.tov_rate, p.treb_rate,
  p.points_per100, p.raw_impact, p.impact, p.team_margin_per100
FROM gold.player_season p
WHERE p.qualified = TRUE AND p.impact_rank IS NOT NULL
