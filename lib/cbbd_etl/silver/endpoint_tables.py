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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Mapping

from ..tables import Column, TableSpec
from .api_models import FlatColumn, fields, flat_columns, read_schema, response_model, snake

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import Column as SparkColumn
    from pyspark.sql import DataFrame

    from ..runner import JobContext
    from .pipeline import SilverSource


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
        return TableSpec(name=self.table, columns=tuple(cols), keys=self.keys, partition_by=self.partition_by,
                         comment=self.comment or f"CBBD {', '.join(self.sources)} records ({self.model}).",
                         merge_on_read=self.merge_on_read)

    def transform(self, raw: "DataFrame") -> "DataFrame":
        """API records → silver rows: flatten structs, type timestamps, explode, derive season and game date."""
        from pyspark.sql import functions as F

        from .common import eastern_date, season_of_date, technical_columns

        tech = technical_columns(raw)
        df = raw
        if self.explode:
            # explode_outer keeps a record whose array is empty/null as one row, so it is quarantined
            # (null key) rather than vanishing from the reconciliation.
            df = df.select("*", F.explode_outer(F.col(f"`{self.explode}`")).alias("_el"))
        cols = [_typed(c).alias(c.name) for c in self.columns]
        # The text of each parsed timestamp rides along so a value that failed to parse can be told from a null.
        cols += [_raw_path(c).alias(f"_raw_{c.name}") for c in self.columns if c.source_kind in ("datetime", "date")]
        cols += [F.get_json_object("_params", f"$.{param}").cast("bigint").alias(name)
                 for name, param in self.from_params.items()]
        out = df.select(*cols, *tech)
        if self.season_from == "manifest":
            # Game-scoped requests carry no season: fall back to the season of the game's date.
            fallback = season_of_date(eastern_date(F.col(self.date_from))) if self.date_from else F.lit(None)
            out = out.withColumn("season", F.coalesce(F.col("_season").cast("int"), fallback))
        elif self.season_from and self.season_from != "season":
            out = out.withColumn("season", F.col(self.season_from).cast("int"))
        elif self.season_from:
            out = out.withColumn("season", F.col("season").cast("int"))
        if self.date_from:
            out = out.withColumn("game_date", eastern_date(F.col(self.date_from)))
        return out

    def enum_rules(self) -> list[tuple[str, "SparkColumn"]]:
        """An enum value the model does not allow is a type change: quarantine, never null."""
        from pyspark.sql import functions as F

        rules = enum_rules(self.columns)
        for c in self.columns:
            if c.source_kind in ("datetime", "date"):
                rules.append((f"{c.name} is not an ISO {c.source_kind}",
                              F.col(c.name).isNull() & F.col(f"_raw_{c.name}").isNotNull()))
        return rules


def enum_rules(columns: list[FlatColumn]) -> list[tuple[str, "SparkColumn"]]:
    """A value outside the model's enum is a changed type: the record is quarantined, never nulled."""
    from pyspark.sql import functions as F

    return [(f"{c.name} has a value outside {'/'.join(c.enum_values)}",
             F.col(c.name).isNotNull() & ~F.col(c.name).isin(list(c.enum_values)))
            for c in columns if c.enum_values]


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


def _raw_path(c: FlatColumn) -> "SparkColumn":
    from pyspark.sql import functions as F

    return F.col(".".join(f"`{p}`" for p in c.api_path.split(".")))


def _typed(c: FlatColumn) -> "SparkColumn":
    """Read-typed API value → silver type (timestamps parsed; arrays re-typed positionally to snake_case)."""
    from pyspark.sql import functions as F

    col = _raw_path(c)
    if c.source_kind == "datetime":
        return F.to_timestamp(col)
    if c.source_kind == "date":
        return F.to_date(col)
    if c.source_kind == "array":
        return col.cast(c.type)
    if _int_like(c):
        return col.cast("bigint")
    return col


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
                  comment="Teams as listed for a season (conference membership changes between seasons)."),
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
                  comment="Play by play; on_floor and participants kept as arrays (always read with the play)."),
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
    EndpointTable("silver.team_season_stats", ("/stats/team/season",), ("season", "team_id")),
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


def silver_source(t: EndpointTable) -> "SilverSource":
    """The generic pipeline's view of a declaration."""
    from ..api.endpoints import slug_of
    from .api_models import field_names
    from .pipeline import SilverSource

    return SilverSource(slugs=tuple(slug_of(p) for p in t.sources), api_schema=t.read_ddl,
                        api_columns=field_names(t.model), transform=t.transform, table=t.spec,
                        date_col=t.date_from, response=t.response, exploded=bool(t.explode),
                        extra_rules=t.enum_rules)


def run_endpoint_tables(ctx: "JobContext", tables: tuple[str, ...]) -> dict[str, object]:
    """Run the generic pipeline for several tables of one job; reconciled only if every table is."""
    from .pipeline import run_silver

    reports = [run_silver(ctx, silver_source(get_endpoint_table(name))) for name in tables]
    return {"tables": reports, "reconciled": all(r["reconciled"] for r in reports),
            **{k: sum(int(r.get(k, 0)) for r in reports)
               for k in ("bronze_records", "inserted", "updated", "unchanged", "duplicates", "quarantined")}}
