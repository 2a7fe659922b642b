"""The catalog of all 40 CBBD API endpoints: one declaration per endpoint, used everywhere.

Why one table: the HTTP client, the local server, the call planner, the bronze
layout (``slug``) and the silver jobs (``silver_table``, ``natural_keys``) all
need the same facts about an endpoint. Declaring them once, and testing the
declaration against both the OpenAPI spec (v1.22.4, 33 endpoints) and the
official SDK (``cbbd==1.30.1``, 40 endpoints), means a renamed parameter or a
missing endpoint fails a test instead of silently fetching nothing.

Scopes say what one request covers, which is what the planner fans out over:

``snapshot``          no season; fetched once per run (reference lists)
``season``            one request per season (``season`` or ``year`` param)
``date_range``        a season in date chunks, because the result is capped
``date``              one request per game day (UTC date)
``game``              one request per game id
``team_season``       one request per (team name, season)
``player_season``     one request per (player id, season)
``team_id_season``    one request per (team id, season) in the path
``conference_season`` one request per (conference, season): the shooting
                      stats need ``team`` or ``conference`` besides ``season``
``tournament_season`` one request per (tournament, season)

``default=False`` endpoints are not part of "all endpoints" because another
endpoint (``covered_by``) carries the same records more cheaply, or (the team
overview) because the document is derived from data other endpoints already
carry and costs one call per team; ``--endpoints`` still fetches them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Mapping
from urllib.parse import quote

from ..errors import UserError

Scope = Literal[
    "snapshot", "season", "date_range", "date", "game", "team_season", "player_season",
    "team_id_season", "conference_season", "tournament_season",
]
SCOPES: tuple[str, ...] = (
    "snapshot", "season", "date_range", "date", "game", "team_season", "player_season",
    "team_id_season", "conference_season", "tournament_season",
)
PARAM_TYPES = ("integer", "number", "string", "boolean", "datetime", "enum:SeasonType", "enum:GameStatus")


@dataclass(frozen=True)
class Param:
    """One request parameter exactly as it goes over the wire."""

    name: str
    type: str
    required: bool = False
    location: Literal["query", "path"] = "query"


@dataclass(frozen=True)
class Endpoint:
    """Everything the pipeline needs to know about one API endpoint."""

    path: str
    params: tuple[Param, ...]
    scope: Scope
    natural_keys: tuple[str, ...]
    silver_table: str
    cap: int | None = None
    response: Literal["array", "object"] = "array"
    default: bool = True
    covered_by: str | None = None
    live: bool = False
    context_keys: tuple[str, ...] = ()
    season_param: str | None = None
    family: str | None = None
    description: str = ""

    @property
    def slug(self) -> str:
        return slug_of(self.path)

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.path} has no parameter {name!r}")

    def has_param(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def concrete(self, params: Mapping[str, object]) -> tuple[str, dict[str, str]]:
        """Split ``params`` into the concrete path and the query string parameters.

        Why here: the path template and the parameter locations live in this
        catalog, so nothing else needs to know that ``gameId`` is a path
        segment for ``/plays/game/{gameId}`` but a filter elsewhere.
        """
        path = self.path
        query: dict[str, str] = {}
        known = {p.name for p in self.params}
        for name, value in params.items():
            if name not in known:
                raise UserError(f"{self.path}: unknown parameter {name!r}")
            text = _wire(value)
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", quote(text, safe=""))
            else:
                query[name] = text
        missing = [p.name for p in self.params if p.required and p.name not in params]
        if missing:
            raise UserError(f"{self.path}: missing required parameter(s) {', '.join(missing)}")
        return path, dict(sorted(query.items()))


def _wire(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def slug_of(path: str) -> str:
    """``/games/teams`` → ``games_teams``; path parameters are dropped (``/plays/game/{gameId}`` → ``plays_game``)."""
    parts = [p for p in path.strip("/").split("/") if p and not p.startswith("{")]
    return "_".join(parts)


# ---------------------------------------------------------------- parameter groups
def _q(name: str, type_: str, required: bool = False) -> Param:
    return Param(name, type_, required, "query")


def _path(name: str) -> Param:
    return Param(name, "integer", True, "path")


def _game_filters(season_type: str) -> tuple[Param, ...]:
    return (
        _q("startDateRange", "datetime"), _q("endDateRange", "datetime"), _q("team", "string"),
        _q("conference", "string"), _q("season", season_type), _q("seasonType", "enum:SeasonType"),
        _q("tournament", "string"),
    )


def _season_stats(season_type: str) -> tuple[Param, ...]:
    return (
        _q("season", season_type, True), _q("seasonType", "enum:SeasonType"), _q("team", "string"),
        _q("conference", "string"), _q("startDateRange", "datetime"), _q("endDateRange", "datetime"),
    )


_RATING = (_q("season", "integer"), _q("team", "string"), _q("conference", "string"))
_SHOOTING_ONLY = _q("shootingPlaysOnly", "boolean")

# ---------------------------------------------------------------- the catalog
ENDPOINTS: tuple[Endpoint, ...] = (
    # Reference lists: one call per run covers every season.
    Endpoint("/conferences", (), "snapshot", ("id",), "silver.conferences"),
    Endpoint("/conferences/history", (_q("conference", "string"),), "snapshot", ("id",), "silver.conference_history"),
    Endpoint("/draft/positions", (), "snapshot", ("abbreviation",), "silver.draft_positions"),
    Endpoint("/draft/teams", (), "snapshot", ("id",), "silver.draft_teams"),
    Endpoint("/lines/providers", (), "snapshot", ("id",), "silver.line_providers"),
    Endpoint("/plays/types", (), "snapshot", ("id",), "silver.play_types"),
    Endpoint("/venues", (), "snapshot", ("id",), "silver.venues"),
    Endpoint("/scoreboard", (_q("conference", "string"),), "snapshot", ("id",), "silver.scoreboard", live=True,
             description="Live scoreboard of current games; only incremental runs fetch it."),
    # One call per season.
    Endpoint("/teams", (_q("conference", "string"), _q("season", "integer")), "season", ("id",), "silver.teams",
             context_keys=("season",), season_param="season"),
    Endpoint("/teams/roster", (_q("season", "integer", True), _q("team", "string")), "season",
             ("teamId", "season"), "silver.rosters", season_param="season"),
    Endpoint("/teams/directory", (_q("season", "integer", True),), "season", ("season",), "silver.team_directory",
             response="object", season_param="season"),
    Endpoint("/rankings", (_q("season", "integer"), _q("seasonType", "enum:SeasonType"), _q("week", "integer"),
                           _q("pollType", "string"), _q("team", "string"), _q("conference", "string")),
             "season", ("season", "seasonType", "week", "pollType", "teamId"), "silver.rankings",
             season_param="season"),
    Endpoint("/ratings/adjusted", _RATING, "season", ("season", "teamId"), "silver.ratings_adjusted",
             season_param="season"),
    Endpoint("/ratings/elo", _RATING, "season", ("season", "teamId"), "silver.ratings_elo", season_param="season"),
    Endpoint("/ratings/srs", _RATING, "season", ("season", "teamId"), "silver.ratings_srs", season_param="season"),
    Endpoint("/recruiting/players", (_q("year", "integer"), _q("team", "string"), _q("conference", "string"),
                                     _q("position", "string")),
             "season", ("id",), "silver.recruits", season_param="year"),
    Endpoint("/recruiting/teams", (_q("year", "integer"), _q("team", "string"), _q("conference", "string")),
             "season", ("year", "teamId"), "silver.recruiting_teams", season_param="year"),
    Endpoint("/recruiting/portal", (_q("year", "number"), _q("sourceTeam", "string"), _q("destinationTeam", "string"),
                                    _q("sourceConference", "string"), _q("destinationConference", "string"),
                                    _q("position", "string")),
             "season", ("id",), "silver.transfers", season_param="year"),
    Endpoint("/draft/picks", (_q("year", "integer"), _q("draftTeam", "string"), _q("sourceTeam", "string"),
                              _q("position", "string")),
             "season", ("year", "overall"), "silver.draft_picks", season_param="year"),
    Endpoint("/stats/team/season", (_q("season", "number"),) + _season_stats("number")[1:], "season",
             ("season", "teamId"), "silver.team_season_stats", season_param="season"),
    Endpoint("/stats/player/season", _season_stats("number"), "season", ("season", "teamId", "athleteId"),
             "silver.player_season_stats", season_param="season"),
    Endpoint("/stats/team/leaderboard", (_q("season", "number"), _q("team", "string"), _q("conference", "string")),
             "season", ("season", "teamId"), "silver.team_leaderboard", season_param="season"),
    # Shooting stats need team or conference as well as season: one call per conference.
    Endpoint("/stats/team/shooting/season", _season_stats("integer"), "conference_season", ("season", "teamId"),
             "silver.team_season_shooting", season_param="season"),
    Endpoint("/stats/player/shooting/season", _season_stats("integer"), "conference_season",
             ("season", "teamId", "athleteId"), "silver.player_season_shooting", season_param="season"),
    # Capped game lists: a season in date chunks that stay under the cap.
    Endpoint("/games", _game_filters("integer")[:6] + (_q("status", "enum:GameStatus"), _q("tournament", "string")),
             "date_range", ("id",), "silver.games", cap=3000, season_param="season"),
    Endpoint("/games/teams", _game_filters("number"), "date_range", ("gameId", "teamId"), "silver.team_game_stats",
             cap=3000, season_param="season", family="box_scores"),
    Endpoint("/games/players", _game_filters("number"), "date_range", ("gameId", "teamId"),
             "silver.player_game_stats", cap=1000, season_param="season", family="box_scores"),
    Endpoint("/games/media", _game_filters("number"), "date_range", ("gameId",), "silver.game_media", cap=3000,
             season_param="season"),
    Endpoint("/lines", (_q("season", "integer"), _q("team", "string"), _q("conference", "string"),
                        _q("startDateRange", "datetime"), _q("endDateRange", "datetime")),
             "date_range", ("gameId",), "silver.game_lines", cap=3000, season_param="season"),
    # Play by play: the same records by date (cheapest for a season), game, team, player or tournament.
    Endpoint("/plays/date", (_q("date", "datetime", True), _SHOOTING_ONLY, _q("utcOffset", "number")), "date",
             ("id",), "silver.plays", family="plays"),
    Endpoint("/plays/game/{gameId}", (_path("gameId"), _SHOOTING_ONLY), "game", ("id",), "silver.plays",
             default=False, covered_by="plays_date", family="plays"),
    Endpoint("/plays/team", (_q("season", "integer", True), _q("team", "string", True), _SHOOTING_ONLY),
             "team_season", ("id",), "silver.plays", default=False, covered_by="plays_date", season_param="season",
             family="plays"),
    Endpoint("/plays/player/{playerId}", (_path("playerId"), _q("season", "integer", True), _SHOOTING_ONLY),
             "player_season", ("id",), "silver.plays", default=False, covered_by="plays_date",
             season_param="season", family="plays"),
    Endpoint("/plays/tournament", (_q("tournament", "string", True), _q("season", "number", True), _SHOOTING_ONLY),
             "tournament_season", ("id",), "silver.plays", default=False, covered_by="plays_date",
             season_param="season", family="plays"),
    # Substitutions: by team for a season (≈362 calls) instead of by game (≈6,000).
    Endpoint("/substitutions/team", (_q("season", "integer", True), _q("team", "string", True)), "team_season",
             ("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"), "silver.substitutions",
             season_param="season", family="plays"),
    Endpoint("/substitutions/game/{gameId}", (_path("gameId"),), "game",
             ("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"), "silver.substitutions",
             default=False, covered_by="substitutions_team", family="plays"),
    Endpoint("/substitutions/player/{playerId}", (_path("playerId"), _q("season", "integer", True)),
             "player_season", ("gameId", "athleteId", "subIn.period", "subIn.secondsRemaining"),
             "silver.substitutions", default=False, covered_by="substitutions_team", season_param="season",
             family="plays"),
    # Lineups: by team for a season; by game for a few days (incremental).
    Endpoint("/lineups/team", (_q("season", "integer", True), _q("team", "string", True),
                               _q("startDateRange", "datetime"), _q("endDateRange", "datetime")),
             "team_season", ("teamId", "idHash"), "silver.lineups", context_keys=("season",),
             season_param="season", family="lineups"),
    Endpoint("/lineups/game/{gameId}", (_path("gameId"),), "game", ("teamId", "idHash"), "silver.lineups",
             default=False, covered_by="lineups_team", context_keys=("gameId",), family="lineups"),
    # A per-team document derived from the data above; one call per team, so opt-in.
    Endpoint("/teams/{teamId}/season/{season}/overview", (_path("teamId"), _path("season")), "team_id_season",
             ("teamId", "season"), "silver.team_overviews", response="object", default=False,
             season_param="season"),
)

_BY_SLUG: dict[str, Endpoint] = {e.slug: e for e in ENDPOINTS}
_BY_PATH: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS}


def get_endpoint(name: str) -> Endpoint:
    """Look an endpoint up by slug (``games_teams``) or path template (``/games/teams``)."""
    found = _BY_SLUG.get(name) or _BY_PATH.get(name)
    if found is None:
        raise UserError(f"unknown endpoint {name!r}; known: {', '.join(sorted(_BY_SLUG))}")
    return found


def default_endpoints() -> list[Endpoint]:
    """The endpoints that together carry all data once ("all endpoints" for a backfill)."""
    return [e for e in ENDPOINTS if e.default]


def select_endpoints(names: list[str] | None) -> list[Endpoint]:
    """``None`` → the default set; otherwise the named ones (slugs or paths), in catalog order."""
    if not names:
        return default_endpoints()
    wanted = {get_endpoint(n.strip()).slug for part in names for n in part.split(",") if n.strip()}
    return [e for e in ENDPOINTS if e.slug in wanted]


def match_path(path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint whose template matches a concrete path, with the path parameters it binds."""
    for endpoint in ENDPOINTS:
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(endpoint.path)) + "$"
        m = re.match(pattern, path)
        if m:
            return endpoint, m.groupdict()
    return None


def natural_key(endpoint: Endpoint, record: Mapping[str, object], context: Mapping[str, object]) -> tuple:
    """The natural key of one record: dotted JSON fields, then request context (e.g. the path's gameId)."""
    values: list[object] = []
    for dotted in endpoint.natural_keys:
        node: object = record
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        values.append(node)
    values.extend(context.get(k) for k in endpoint.context_keys)
    return tuple(values)

