"""Every silver table fed by an API endpoint, declared once, with one generic transform.

A declaration names the bronze endpoints that carry the records (several
endpoints can feed one table: plays arrive by date, game, team, player or
tournament), the API model, the natural key in silver column names, how
the table is partitioned and whether an array of each record becomes rows
of its own (``explode``: a box score's ``players`` are one row per player).
Columns, types and the read schema all come from the API models
(:mod:`cbbd_etl.silver.api_models`), so nothing here repeats a field list.

``silver.games`` and ``silver.team_game_stats`` keep hand-written transforms
(their column names are the contract the gold layer was built on); their
read schemas are checked against the same models by a test.

This module is a declaration (no Spark, no I/O at import, nothing from the
execution layers): the job registry and the table catalog read it. The Spark
side (transform, enum rules, the pipeline wiring) is
:mod:`cbbd_etl.silver.endpoint_transform`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

from ..table_spec import Column, TableSpec
from .api_models import FlatColumn, fields, flat_columns, read_schema, response_model, snake  # noqa: F401



@dataclass(frozen=True)
class EndpointTable:
    """How the records of one API model become one silver table."""

    table: str                               # "silver.plays"
    sources: tuple[str, ...]                 # endpoint paths feeding it, cheapest scope first
    keys: tuple[str, ...]                    # natural key, silver names
    renames: Mapping[str, str] = field(default_factory=dict)
    explode: str | None = None               # API array field whose elements become the rows
    element_prefix: str = ""                 # prefix for element columns that collide with parent ones
    season_from: str | None = "season"       # silver column holding the season; "manifest" = request's season
    date_from: str | None = None             # silver timestamp column whose Eastern date is game_date
    partition_by: tuple[str, ...] = ("season",)
    merge_on_read: bool = False
    from_params: Mapping[str, str] = field(default_factory=dict)   # silver column <- request parameter
    comment: str = ""
    # real API shapes (docs/real_api_shapes.md): columns whose "" sentinel means "unknown" (-> null), and
    # derived BOOLEAN flags, silver column -> Spark SQL condition over silver columns
    blank_to_null: tuple[str, ...] = ()
    flags: Mapping[str, str] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return response_model(self.sources[0])[0]

    @property
    def response(self) -> str:
        return "array" if response_model(self.sources[0])[1] else "object"

    @cached_property
    def read_ddl(self) -> str:
        return read_schema(self.model)

    @cached_property
    def columns(self) -> list[FlatColumn]:
        """Silver columns in order: parent fields (minus the exploded array), then element fields."""
        parent = [c for c in flat_columns(self.model) if c.api_path != self.explode]
        out = [self._renamed(c) for c in parent]
        if self.explode:
            element = _element_model(self.model, self.explode)
            taken = {c.name for c in out}
            for c in flat_columns(element, "_el.", ""):
                name = self.renames.get(f"{self.explode}.{c.name}", c.name)
                if name in taken:
                    name = self.element_prefix + name
                out.append(FlatColumn(name, c.api_path, c.type, c.source_kind, c.enum_values))
        return out

    def _renamed(self, c: FlatColumn) -> FlatColumn:
        return FlatColumn(self.renames.get(c.name, c.name), c.api_path, c.type, c.source_kind, c.enum_values)

    @cached_property
    def spec(self) -> TableSpec:
        cols = [Column(c.name, _silver_type(c), nullable=c.name not in self.keys) for c in self.columns]
        cols += [Column(name, "BIGINT", nullable=name not in self.keys) for name in self.from_params]
        names = {c.name for c in cols}
        if self.season_from and "season" not in names:
            cols.append(Column("season", "INT", nullable=False))
        elif "season" in names:
            cols = [Column("season", "INT", nullable=False) if c.name == "season" else c for c in cols]
        if self.date_from:
            cols.append(Column("game_date", "DATE"))
        cols += [Column(name, "BOOLEAN") for name in self.flags]
        return TableSpec(name=self.table, columns=tuple(cols), keys=self.keys, partition_by=self.partition_by,
                         comment=self.comment or f"CBBD {', '.join(self.sources)} records ({self.model}).",
                         merge_on_read=self.merge_on_read)


def _element_model(model: str, array_field: str) -> str:
    for f in fields(model):
        if f["name"] == array_field:
            return f["type"]["array"]["model"]
    raise KeyError(f"{model} has no array field {array_field}")


_INT_LIKE = ("season", "year", "week")


def _int_like(c: FlatColumn) -> bool:
    """Ids and seasons the API types as ``number`` (float or int) are integers in silver."""
    return c.source_kind == "number" and (c.name.endswith("_id") or c.name == "id" or c.name in _INT_LIKE)


def _silver_type(c: FlatColumn) -> str:
    return "BIGINT" if _int_like(c) else c.type


# ---------------------------------------------------------------------------------------------- declarations
_SEASON_DIM: tuple[str, ...] = ("season",)
ENDPOINT_TABLES: tuple[EndpointTable, ...] = (
    # Dimensions from reference lists (no season).
    EndpointTable("silver.conferences", ("/conferences",), ("conference_id",), {"id": "conference_id"},
                  season_from=None, partition_by=()),
    EndpointTable("silver.conference_history", ("/conferences/history",), ("conference_id",),
                  {"id": "conference_id"}, season_from=None, partition_by=(),
                  comment="Conferences with their member teams by season range (teams kept as an array)."),
    EndpointTable("silver.venues", ("/venues",), ("venue_id",), {"id": "venue_id"}, season_from=None,
                  partition_by=()),
    EndpointTable("silver.play_types", ("/plays/types",), ("play_type_id",), {"id": "play_type_id"},
                  season_from=None, partition_by=()),
    EndpointTable("silver.line_providers", ("/lines/providers",), ("provider_id",), {"id": "provider_id"},
                  season_from=None, partition_by=()),
    EndpointTable("silver.draft_teams", ("/draft/teams",), ("draft_team_id",), {"id": "draft_team_id"},
                  season_from=None, partition_by=()),
    EndpointTable("silver.draft_positions", ("/draft/positions",), ("abbreviation",), season_from=None,
                  partition_by=()),
    # Season-scoped dimensions.
    EndpointTable("silver.teams", ("/teams",), ("season", "team_id"), {"id": "team_id"}, season_from="manifest",
                  flags={"is_division_i": "conference IS NOT NULL"},
                  comment="Teams as listed for a season: a snapshot at fetch time (conference membership changes "
                          "between seasons; history from silver.games or silver.conference_history). Non-D1 "
                          "teams have no conference (is_division_i false)."),
    EndpointTable("silver.team_directory", ("/teams/directory",), ("season", "team_id"),
                  {"teams.id": "team_id"}, explode="teams", element_prefix="team_"),
    EndpointTable("silver.rosters", ("/teams/roster",), ("season", "team_id", "player_id"),
                  {"players.id": "player_id"}, explode="players", element_prefix="player_"),
    # Game facts.
    EndpointTable("silver.player_game_stats", ("/games/players",), ("game_id", "team_id", "athlete_id"),
                  explode="players", date_from="start_date", partition_by=("season",)),
    EndpointTable("silver.game_media", ("/games/media",), ("game_id",), date_from="start_date"),
    EndpointTable("silver.game_lines", ("/lines",), ("game_id", "provider"), explode="lines",
                  date_from="start_date", comment="Betting lines, one row per game and provider."),
    EndpointTable("silver.plays", ("/plays/date", "/plays/game/{gameId}", "/plays/team", "/plays/player/{playerId}",
                                   "/plays/tournament"),
                  ("play_id",), {"id": "play_id"}, date_from="game_start_date",
                  partition_by=("season", "game_date"), merge_on_read=True,
                  blank_to_null=("game_source_id", "game_type"),
                  comment="Play by play; on_floor and participants kept as arrays (always read with the play). "
                          "wallclock is US-Eastern wall time labelled Z as the API sends it: not an instant."),
    EndpointTable("silver.substitutions", ("/substitutions/team", "/substitutions/game/{gameId}",
                                           "/substitutions/player/{playerId}"),
                  ("game_id", "athlete_id", "sub_in_period", "sub_in_seconds_remaining"), season_from="manifest",
                  date_from="start_date", merge_on_read=True),
    EndpointTable("silver.lineups", ("/lineups/team",), ("season", "team_id", "id_hash"), season_from="manifest",
                  comment="Season lineup stats per team and five-man unit (athletes kept as an array)."),
    EndpointTable("silver.game_lineups", ("/lineups/game/{gameId}",), ("game_id", "team_id", "id_hash"),
                  season_from="manifest", from_params={"game_id": "gameId"}, comment="Lineup stats of one game (game id from the request path)."),
    # Polls and ratings.
    EndpointTable("silver.rankings", ("/rankings",), ("season", "season_type", "week", "poll_type", "team_id")),
    EndpointTable("silver.ratings_adjusted", ("/ratings/adjusted",), ("season", "team_id")),
    EndpointTable("silver.ratings_srs", ("/ratings/srs",), ("season", "team_id")),
    EndpointTable("silver.ratings_elo", ("/ratings/elo",), ("season", "team_id")),
    # Season stats.
    EndpointTable("silver.team_season_stats", ("/stats/team/season",), ("season", "team_id"),
                  flags={"is_division_i": "conference IS NOT NULL"},
                  comment="Team season stats; the API includes non-D1 teams (conference null, is_division_i false). "
                          "four factors' turnover_ratio is a fraction rounded to 0.1 here (per 100 in box scores)."),
    EndpointTable("silver.player_season_stats", ("/stats/player/season",), ("season", "team_id", "athlete_id")),
    EndpointTable("silver.team_leaderboard", ("/stats/team/leaderboard",), ("season", "team_id")),
    EndpointTable("silver.team_season_shooting", ("/stats/team/shooting/season",), ("season", "team_id")),
    EndpointTable("silver.player_season_shooting", ("/stats/player/shooting/season",),
                  ("season", "team_id", "athlete_id")),
    EndpointTable("silver.team_overviews", ("/teams/{teamId}/season/{season}/overview",), ("season", "team_id")),
    # People.
    EndpointTable("silver.recruits", ("/recruiting/players",), ("recruit_id",), {"id": "recruit_id"},
                  season_from="year"),
    EndpointTable("silver.recruiting_teams", ("/recruiting/teams",), ("season", "team_id"), season_from="year"),
    EndpointTable("silver.transfers", ("/recruiting/portal",), ("transfer_id",), {"id": "transfer_id"},
                  season_from="year"),
    EndpointTable("silver.draft_picks", ("/draft/picks",), ("season", "overall"), season_from="year"),
    # Live.
    EndpointTable("silver.scoreboard", ("/scoreboard",), ("game_id",), {"id": "game_id"}, season_from=None,
                  partition_by=(), comment="Latest live scoreboard state per game (incremental runs only)."),
)

_BY_TABLE = {t.table: t for t in ENDPOINT_TABLES}


def get_endpoint_table(name: str) -> EndpointTable:
    return _BY_TABLE[name]
