"""silver.games from CBBD ``/games`` responses."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import eastern_date, technical_columns, utc_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import SilverSource
    from pyspark.sql import DataFrame

# The API record as it arrives (GameInfo in the official SDK); types wide enough never to truncate.
API_SCHEMA = """
  id BIGINT, sourceId STRING, seasonLabel STRING, season INT, seasonType STRING, startDate STRING,
  startTimeTbd BOOLEAN, neutralSite BOOLEAN, conferenceGame BOOLEAN, gameType STRING, tournament STRING,
  gameNotes STRING, status STRING, attendance BIGINT,
  homeTeamId BIGINT, homeTeam STRING, homeConferenceId BIGINT, homeConference STRING, homeSeed INT,
  homePoints INT, homePeriodPoints ARRAY<INT>, homeWinner BOOLEAN, homeTeamEloStart INT, homeTeamEloEnd INT,
  awayTeamId BIGINT, awayTeam STRING, awayConferenceId BIGINT, awayConference STRING, awaySeed INT,
  awayPoints INT, awayPeriodPoints ARRAY<INT>, awayWinner BOOLEAN, awayTeamEloStart INT, awayTeamEloEnd INT,
  excitement DOUBLE, venueId BIGINT, venue STRING, city STRING, state STRING
"""
API_COLUMNS = [part.split()[0] for part in API_SCHEMA.replace("\n", " ").split(",") if part.strip()]

_RENAMES = {
    "id": "game_id", "sourceId": "source_id", "seasonLabel": "season_label", "seasonType": "season_type",
    "startTimeTbd": "start_time_tbd", "neutralSite": "neutral_site", "conferenceGame": "conference_game",
    "gameType": "game_type", "gameNotes": "game_notes",
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


# Scores exist only once a game has started: the API shows 0-0 for scheduled games (real-api-facts 13).
SCORED_STATUSES = ("final", "in_progress")
_SCORE_COLUMNS = ("homePoints", "awayPoints", "homePeriodPoints", "awayPeriodPoints", "homeWinner", "awayWinner")
SENTINEL_TEAM = "home or away team unknown: the API's sentinel team id -1 / empty team name"


def to_silver(raw: "DataFrame") -> "DataFrame":
    """API columns → silver columns: snake_case, UTC timestamp, Eastern game date, lineage kept.

    Scores and winners are null unless the game is final or in progress (a scheduled game's 0-0 is not a
    score); a missing excitement stays null (the API sends null for 0 too).
    """
    from pyspark.sql import functions as F

    scored = F.col("status").isin(list(SCORED_STATUSES))
    cols = []
    for api in API_COLUMNS:
        if api == "startDate":
            continue
        col = F.col(api).cast("int") if api == "attendance" else F.col(api)
        if api in _SCORE_COLUMNS:
            col = F.when(scored, col)
        cols.append(col.alias(_RENAMES.get(api, _snake(api))))
    ts = utc_timestamp("startDate")
    return raw.select(*cols, ts.alias("start_date"), eastern_date(ts).alias("game_date"), *technical_columns(raw))


def source() -> "SilverSource":
    """This table in the generic silver pipeline; enum values are checked against the API model."""
    from ..tables import SILVER_GAMES
    from .api_models import flat_columns
    from .endpoint_transform import enum_rules
    from .pipeline import SilverSource

    return SilverSource(slugs=("games",), api_schema=API_SCHEMA, api_columns=API_COLUMNS, transform=to_silver,
                        table=SILVER_GAMES, extra_rules=lambda: enum_rules(
                            [c for c in flat_columns("GameInfo") if "." not in c.api_path]) + sentinel_rules())


def sentinel_rules() -> list:
    """A game against a team the API does not know (``-1`` / ``""``) cannot be attributed: quarantine it."""
    from pyspark.sql import functions as F

    unknown = F.lit(False)
    for side in ("home", "away"):
        unknown = unknown | (F.col(f"{side}_team_id") == -1) | (F.trim(F.col(f"{side}_team")) == "")
    return [(SENTINEL_TEAM, unknown)]
