"""silver.team_game_stats from CBBD ``/games/teams`` responses (one row per team per game)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..tables import BOX_STAT_FIELDS
from .common import eastern_date, technical_columns, utc_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import SilverSource
    from pyspark.sql import Column, DataFrame

_SHOOT = "STRUCT<made: DOUBLE, attempted: DOUBLE, pct: DOUBLE>"
_STATS = (
    f"STRUCT<fieldGoals: {_SHOOT}, twoPointFieldGoals: {_SHOOT}, threePointFieldGoals: {_SHOOT}, "
    f"freeThrows: {_SHOOT}, rebounds: STRUCT<total: DOUBLE, defensive: DOUBLE, offensive: DOUBLE>, "
    "turnovers: STRUCT<total: DOUBLE, teamTotal: DOUBLE>, "
    "fouls: STRUCT<total: DOUBLE, technical: DOUBLE, flagrant: DOUBLE>, "
    "points: STRUCT<total: DOUBLE, byPeriod: ARRAY<DOUBLE>, largestLead: DOUBLE, fastBreak: DOUBLE, "
    "inPaint: DOUBLE, offTurnovers: DOUBLE>, "
    "fourFactors: STRUCT<effectiveFieldGoalPct: DOUBLE, turnoverRatio: DOUBLE, offensiveReboundPct: DOUBLE, "
    "freeThrowRate: DOUBLE>, "
    "assists: DOUBLE, blocks: DOUBLE, steals: DOUBLE, possessions: DOUBLE, rating: DOUBLE, "
    "trueShooting: DOUBLE, gameScore: DOUBLE>"
)

# GameBoxScoreTeam in the official SDK. Counts arrive as numbers that may be floats.
API_SCHEMA = f"""
  gameId BIGINT, season INT, seasonLabel STRING, seasonType STRING, tournament STRING, startDate STRING,
  startTimeTbd BOOLEAN, teamId BIGINT, team STRING, conference STRING, teamSeed INT, opponentId BIGINT,
  opponent STRING, opponentConference STRING, opponentSeed INT, neutralSite BOOLEAN, isHome BOOLEAN,
  conferenceGame BOOLEAN, gameType STRING, notes STRING, gameMinutes DOUBLE, pace DOUBLE,
  teamStats {_STATS}, opponentStats {_STATS}
"""
API_COLUMNS = [
    "gameId", "season", "seasonLabel", "seasonType", "tournament", "startDate", "startTimeTbd", "teamId", "team",
    "conference", "teamSeed", "opponentId", "opponent", "opponentConference", "opponentSeed", "neutralSite",
    "isHome", "conferenceGame", "gameType", "notes", "gameMinutes", "pace", "teamStats", "opponentStats",
]

# silver stat name -> path inside the API stats struct
STAT_PATHS: dict[str, str] = {
    "fg_made": "fieldGoals.made", "fg_att": "fieldGoals.attempted", "fg_pct": "fieldGoals.pct",
    "fg2_made": "twoPointFieldGoals.made", "fg2_att": "twoPointFieldGoals.attempted",
    "fg2_pct": "twoPointFieldGoals.pct",
    "fg3_made": "threePointFieldGoals.made", "fg3_att": "threePointFieldGoals.attempted",
    "fg3_pct": "threePointFieldGoals.pct",
    "ft_made": "freeThrows.made", "ft_att": "freeThrows.attempted", "ft_pct": "freeThrows.pct",
    "oreb": "rebounds.offensive", "dreb": "rebounds.defensive", "treb": "rebounds.total",
    "tov": "turnovers.total", "team_tov": "turnovers.teamTotal",
    "fouls": "fouls.total", "technical_fouls": "fouls.technical", "flagrant_fouls": "fouls.flagrant",
    "points": "points.total", "points_by_period": "points.byPeriod", "fast_break_points": "points.fastBreak",
    "points_off_turnovers": "points.offTurnovers", "points_in_paint": "points.inPaint",
    "largest_lead": "points.largestLead",
    "assists": "assists", "blocks": "blocks", "steals": "steals", "possessions": "possessions",
    "rating": "rating", "true_shooting": "trueShooting", "game_score": "gameScore",
    "efg_pct": "fourFactors.effectiveFieldGoalPct", "tov_ratio": "fourFactors.turnoverRatio",
    "oreb_pct": "fourFactors.offensiveReboundPct", "ft_rate": "fourFactors.freeThrowRate",
}
assert set(STAT_PATHS) == set(BOX_STAT_FIELDS), "every declared box-score column needs an API path"

_SCALARS = {
    "gameId": "game_id", "teamId": "team_id", "season": "season", "seasonLabel": "season_label",
    "seasonType": "season_type", "tournament": "tournament", "startTimeTbd": "start_time_tbd", "team": "team",
    "conference": "conference", "teamSeed": "team_seed", "opponentId": "opponent_id", "opponent": "opponent",
    "opponentConference": "opponent_conference", "opponentSeed": "opponent_seed", "neutralSite": "neutral_site",
    "isHome": "is_home", "conferenceGame": "conference_game", "gameType": "game_type", "notes": "notes",
    "gameMinutes": "game_minutes", "pace": "pace",
}


def _stat(prefix_struct: str, path: str) -> "Column":
    from pyspark.sql import functions as F

    return F.col(f"{prefix_struct}.{path}")


def _tov_ratio(struct: str, other: str) -> "Column":
    """Turnovers per possession (a fraction), from counts: the API's box value is per 100 possessions."""
    from pyspark.sql import functions as F

    poss = _stat(struct, "possessions")
    return F.when(poss > 0, _stat(struct, "turnovers.total") / poss)


def _oreb_pct(struct: str, other: str) -> "Column":
    """OREB / (OREB + opponent DREB) × 100, from counts: the API divides by the team's own rebounds."""
    from pyspark.sql import functions as F

    chances = _stat(struct, "rebounds.offensive") + _stat(other, "rebounds.defensive")
    return F.when(chances > 0, 100.0 * _stat(struct, "rebounds.offensive") / chances)


# Four-factor columns silver recomputes from raw counts (real-api-facts 18), ignoring the API's value.
RECOMPUTED = {"tov_ratio": _tov_ratio, "oreb_pct": _oreb_pct}


def to_silver(raw: "DataFrame") -> "DataFrame":
    """Flatten the team's and the opponent's box score into ``team_*`` / ``opp_*`` columns."""
    from pyspark.sql import functions as F

    ts = utc_timestamp("startDate")
    cols = [F.col(api).alias(name) for api, name in _SCALARS.items()]
    cols += [ts.alias("start_date"), eastern_date(ts).alias("game_date")]
    for prefix, struct in (("team", "teamStats"), ("opp", "opponentStats")):
        other = "opponentStats" if struct == "teamStats" else "teamStats"
        for name, path in STAT_PATHS.items():
            col = _stat(struct, path)
            if name in RECOMPUTED:
                col = RECOMPUTED[name](struct, other)
            elif name == "points_by_period":
                col = col.cast("array<int>")
            elif not name.endswith(("_pct", "possessions", "rating", "true_shooting", "game_score", "_ratio",
                                    "_rate")):
                col = F.round(col).cast("int")
            cols.append(col.alias(f"{prefix}_{name}"))
    return raw.select(*cols, *technical_columns(raw))


def source() -> "SilverSource":
    """This table in the generic silver pipeline; enum values are checked against the API model."""
    from ..tables import SILVER_TEAM_GAME_STATS
    from .api_models import flat_columns
    from .endpoint_transform import enum_rules
    from .pipeline import SilverSource

    return SilverSource(slugs=("games_teams",), api_schema=API_SCHEMA, api_columns=API_COLUMNS, transform=to_silver,
                        table=SILVER_TEAM_GAME_STATS, extra_rules=lambda: enum_rules(
                            [c for c in flat_columns("GameBoxScoreTeam") if "." not in c.api_path]))
