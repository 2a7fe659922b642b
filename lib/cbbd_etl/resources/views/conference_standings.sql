-- Conference standings per season: conference record first, net efficiency breaks ties.
SELECT
  ts.season, ts.conference, ts.team_id, ts.team, ts.conf_wins, ts.conf_losses, ts.wins, ts.losses,
  CASE WHEN ts.conf_wins + ts.conf_losses > 0
       THEN CAST(ts.conf_wins AS DOUBLE) / (ts.conf_wins + ts.conf_losses) END AS conf_win_pct,
  ts.net_efficiency,
  RANK() OVER (PARTITION BY ts.season, ts.conference
               ORDER BY ts.conf_wins - ts.conf_losses DESC, ts.net_efficiency DESC) AS standing
FROM gold.team_season ts
WHERE ts.conference IS NOT NULL
