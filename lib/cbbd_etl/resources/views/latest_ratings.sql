-- Latest ratings: each team's opponent-adjusted ratings on the latest rating date of the latest season
-- (gold.team_ratings_daily, gold part 1), its record and raw efficiency (gold.team_season), CBBD's own
-- adjusted net rating (silver.ratings_adjusted) and the outside names to join KenPom/Torvik/Kaggle.
WITH latest AS (
  SELECT season, MAX(rating_date) AS rating_date
  FROM gold.team_ratings_daily
  GROUP BY season
)
SELECT
  r.season, r.rating_date, r.team_id, r.team, r.conference, r.games_played,
  r.adj_off, r.adj_def, r.adj_tempo, r.adj_em, r.adj_margin, r.rank_em, r.rank_margin,
  ts.wins, ts.losses, ts.net_efficiency,
  ra.net_rating AS cbbd_adj_net,
  cw.kenpom_name, cw.torvik_name, cw.kaggle_team_id
FROM gold.team_ratings_daily r
JOIN latest l ON l.season = r.season AND l.rating_date = r.rating_date
LEFT JOIN gold.team_season ts ON ts.season = r.season AND ts.team_id = r.team_id
LEFT JOIN silver.ratings_adjusted ra ON ra.season = r.season AND ra.team_id = r.team_id
LEFT JOIN gold.team_crosswalk cw ON cw.season = r.season AND cw.team_id = r.team_id
WHERE r.season = (SELECT MAX(season) FROM gold.team_ratings_daily)
