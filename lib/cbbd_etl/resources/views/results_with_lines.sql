-- Final games with the consensus closing line and how the game went against it.
SELECT
  g.season, g.game_id, g.game_date, g.home_team, g.away_team, g.home_points, g.away_points,
  m.spread, m.spread_inferred_pickem, m.total, m.home_win_prob, m.away_win_prob,
  m.actual_margin, m.spread_error, m.ats_result, m.ou_result, m.providers,
  m.model_margin, m.model_edge, m.model_side, m.model_ats_result, m.model_clv_points
FROM silver.games g
JOIN gold.market_lines m ON m.game_id = g.game_id AND m.provider = 'consensus'
WHERE g.status = 'final'
