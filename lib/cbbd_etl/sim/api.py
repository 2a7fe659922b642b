"""``SimulatedApi``: answers concrete CBBD requests from simulated seasons.

Why a query layer separate from the records: the local HTTP server, the
bronze tests and the demo must see the API's *behaviour* — required
parameters (400), unknown paths (404), filters (team by school name,
conference by abbreviation, date ranges, season types) and result caps
(``cap`` in :mod:`cbbd_etl.api.endpoints`, first records by start date) — not
just its shapes. Parameters arrive as strings, exactly as on the wire.

Parameters the endpoint does not declare are ignored, as the real API does.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

from ..api.endpoints import ENDPOINTS, Endpoint, match_path
from . import pbp, stats
from .fmt import season_label
from .league import size_spec
from .realism import FetchLog, RealismOptions, present, resolve
from .records import DRAFT_POSITION_CODES
from .schedule import Game
from .season import SimulatedSeason, gc_paused, simulate_season
from .timeline import SeasonAsOf, as_of_moment

Record = dict[str, Any]
UTC = dt.timezone.utc
SEASON_TYPES = ("regular", "postseason", "preseason")
GAME_STATUSES = ("scheduled", "in_progress", "final", "postponed", "cancelled")


class SimQueryError(Exception):
    """An API error: ``status`` is the HTTP status the real API would answer (400 or 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def known_paths() -> list[str]:
    """Every path template the simulator serves (all endpoints of the catalog)."""
    return [e.path for e in ENDPOINTS]


def _parse_datetime(name: str, text: str) -> dt.datetime:
    raw = text.strip()
    try:
        if len(raw) == 10:
            parsed = dt.datetime.fromisoformat(raw)
        else:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SimQueryError(400, f"{name}: invalid date-time {text!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_params(endpoint: Endpoint, path_params: dict[str, str], params: dict[str, str]) -> dict[str, Any]:
    """Typed parameter values; 400 for a missing required or malformed one."""
    raw = {**{k: v for k, v in params.items() if v is not None}, **path_params}
    out: dict[str, Any] = {}
    for p in endpoint.params:
        if p.name not in raw or str(raw[p.name]).strip() == "":
            if p.required:
                raise SimQueryError(400, f"{endpoint.path}: missing required parameter {p.name!r}")
            continue
        text = str(raw[p.name])
        if p.type == "integer":
            try:
                out[p.name] = int(text)
            except ValueError:
                raise SimQueryError(400, f"{p.name}: expected an integer, got {text!r}") from None
        elif p.type == "number":
            try:
                out[p.name] = float(text)
            except ValueError:
                raise SimQueryError(400, f"{p.name}: expected a number, got {text!r}") from None
        elif p.type == "boolean":
            if text.lower() not in ("true", "false"):
                raise SimQueryError(400, f"{p.name}: expected true or false, got {text!r}")
            out[p.name] = text.lower() == "true"
        elif p.type == "datetime":
            out[p.name] = _parse_datetime(p.name, text)
        elif p.type == "enum:SeasonType":
            if text not in SEASON_TYPES:
                raise SimQueryError(400, f"{p.name}: must be one of {', '.join(SEASON_TYPES)}")
            out[p.name] = text
        elif p.type == "enum:GameStatus":
            if text not in GAME_STATUSES:
                raise SimQueryError(400, f"{p.name}: must be one of {', '.join(GAME_STATUSES)}")
            out[p.name] = text
        else:
            out[p.name] = text
    return out


def cap_games(records: list[Record], cap: int) -> list[Record]:
    """The records of the first ``cap`` games, as the API documents its caps ("the first 3000 games").

    Records arrive ordered by start date and grouped by game, so for one-record-per-game endpoints this is
    simply the first ``cap`` records; box scores (two records per game) keep both teams of each game.
    """
    seen: set[object] = set()
    for i, r in enumerate(records):
        gid = r.get("gameId", r.get("id"))
        if gid not in seen:
            if len(seen) >= cap:
                return records[:i]
            seen.add(gid)
    return records


def _season_number(value: float | int) -> int | None:
    """A season given as a number: integral values only (``2024.0`` is 2024)."""
    return int(value) if float(value).is_integer() else None


class SimulatedApi:
    """The CBBD API over simulated seasons ``seasons`` (default: just ``season``)."""

    def __init__(self, season: int = 2024, size: str = "demo", seed: int = 7,
                 seasons: Iterable[int] | None = None, realism: bool | RealismOptions = True,
                 as_of: dt.date | dt.datetime | str | None = None) -> None:
        size_spec(size)   # fail at construction, not at the first request
        self.season, self.size, self.seed = season, size, seed
        # the real API's presentation quirks (sim/realism.py); realism=False serves the clean records
        self.realism: RealismOptions = resolve(realism)
        self._fetch_log = FetchLog()
        self.seasons: tuple[int, ...] = tuple(sorted(set(seasons))) if seasons is not None else (season,)
        # a season in progress (sim/timeline.py): None serves every season complete and final
        self._views: dict[int, SeasonAsOf] = {}
        self.as_of: dt.datetime | None = None
        self.set_as_of(as_of)
        self._handlers: dict[str, Callable[[Endpoint, dict[str, Any]], list[Record] | Record]] = {
            "conferences": self._snapshot, "draft_positions": self._snapshot, "draft_teams": self._snapshot,
            "lines_providers": self._snapshot, "plays_types": self._snapshot, "venues": self._snapshot,
            "conferences_history": self._conference_history, "scoreboard": self._scoreboard,
            "teams": self._teams, "teams_roster": self._rosters, "teams_directory": self._directory,
            "rankings": self._rankings, "ratings_adjusted": self._ratings, "ratings_elo": self._ratings,
            "ratings_srs": self._ratings, "recruiting_players": self._recruits, "recruiting_teams": self._recruits,
            "recruiting_portal": self._portal, "draft_picks": self._draft,
            "stats_team_season": self._season_stats, "stats_player_season": self._season_stats,
            "stats_team_shooting_season": self._season_stats, "stats_player_shooting_season": self._season_stats,
            "stats_team_leaderboard": self._season_stats,
            "games": self._games, "games_teams": self._games, "games_players": self._games,
            "games_media": self._games, "lines": self._games,
            "plays_date": self._plays_date, "plays_game": self._by_game, "plays_team": self._by_team,
            "plays_player": self._by_player, "plays_tournament": self._plays_tournament,
            "substitutions_game": self._by_game, "substitutions_team": self._by_team,
            "substitutions_player": self._by_player,
            "lineups_game": self._by_game, "lineups_team": self._lineups_team,
            "teams_season_overview": self._overview,
        }
        missing = {e.slug for e in ENDPOINTS} - set(self._handlers)
        assert not missing, f"no simulator handler for {sorted(missing)}"

    def __repr__(self) -> str:
        return f"SimulatedApi(seasons={list(self.seasons)}, size={self.size!r}, seed={self.seed})"

    # ------------------------------------------------------------ entry point
    def query(self, path: str, params: dict[str, str] | None = None) -> list[Record] | Record:
        """Answer ``GET path?params`` like the real API: a list (or an object), or :class:`SimQueryError`."""
        found = match_path(path.split("?", 1)[0].rstrip("/") or "/")
        if found is None:
            raise SimQueryError(404, f"unknown path {path!r}")
        endpoint, path_params = found
        values = parse_params(endpoint, path_params, dict(params or {}))
        # The whole answer is built with the cyclic collector paused, not only the season-wide builds
        # (SimulatedSeason.records): a day of plays is assembled game by game (game_records) and then copied
        # by the realism layer, and collections rescanning the growing list cost a third of an in-process
        # server's plays rendering (a full season's 126 days: 44.4 -> 31.3 s of CPU, byte-identical answers).
        # The render workers (api/render_pool.py) already pause it around the query and its encoding.
        with gc_paused():
            result = self._handlers[endpoint.slug](endpoint, values)
            if isinstance(result, list) and endpoint.cap is not None:
                result = cap_games(result, endpoint.cap)
            if self.realism.enabled:
                result = present(endpoint.slug, result, self.season_data(self._season_of(values)), self.realism,
                                 self._fetch_log, values)
                if isinstance(result, list) and endpoint.cap is not None:
                    result = cap_games(result, endpoint.cap)
        return result

    def _season_of(self, values: dict[str, Any]) -> int:
        """The season a request is about (for the realism layer's seeds and names)."""
        for key in ("season", "year"):
            number = _season_number(values[key]) if values.get(key) is not None else None
            if number in self.seasons:
                return number
        return self.season

    def season_data(self, season: int) -> SimulatedSeason:
        return simulate_season(season, self.size, self.seed)

    def set_as_of(self, as_of: dt.date | dt.datetime | str | None) -> None:
        """Move the clock: answer as the API would at ``as_of`` (a date is its 06:00 UTC morning run; None:
        the season complete). Thread-safe enough for the local server: the view cache is replaced whole."""
        self.as_of = as_of_moment(as_of) if as_of is not None else None
        self._views = {}

    def view(self, season: int | SimulatedSeason) -> SeasonAsOf | None:
        """The season as of the clock (None when no clock is set)."""
        moment, views = self.as_of, self._views
        if moment is None:
            return None
        s = season if isinstance(season, SimulatedSeason) else self.season_data(season)
        found = views.get(s.season)
        if found is None or found.moment != moment:
            found = views[s.season] = SeasonAsOf(s, moment)
        return found

    def _final_only(self, s: SimulatedSeason, games: Iterable[Game]) -> list[Game]:
        """Games with results as of the clock (all of them without one)."""
        view = self.view(s)
        return list(games) if view is None else view.final_games(games)

    def _served(self, season: int | float | None) -> list[SimulatedSeason]:
        """The seasons a request covers: the one asked for (if served), else all served seasons."""
        if season is None:
            return [self.season_data(s) for s in self.seasons]
        number = _season_number(season)
        return [self.season_data(number)] if number in self.seasons else []

    # ------------------------------------------------------------ shared filters
    @staticmethod
    def _team_ids(s: SimulatedSeason, team: str | None, conference: str | None) -> set[int] | None:
        """Team ids matching ``team`` (school) and ``conference`` (abbreviation); None when unfiltered."""
        if team is None and conference is None:
            return None
        ids = {t.id for t in s.league.teams}
        if team is not None:
            found = s.find_team(team)
            ids &= {found.id} if found else set()
        if conference is not None:
            cid = s.find_conference(conference)
            ids &= {t.id for t in s.league.teams if t.conference_id == cid}
        return ids

    def _games_matching(self, s: SimulatedSeason, v: dict[str, Any], teams: set[int] | None) -> list[Game]:
        start, end = v.get("startDateRange"), v.get("endDateRange")
        season_type, tournament, status = v.get("seasonType"), v.get("tournament"), v.get("status")
        view = self.view(s)
        if status is not None and status != "final" and view is None:
            return []
        out = []
        for g in s.games:
            g_start = g.start if view is None else view.start(g)
            if start is not None and g_start < start or end is not None and g_start > end:
                continue
            if view is not None and status is not None and view.states[g.id].status != status:
                continue
            if season_type is not None and g.season_type != season_type:
                continue
            if tournament is not None and (g.tournament or "").lower() != tournament.strip().lower():
                continue
            if teams is not None and g.home_id not in teams and g.away_id not in teams:
                continue
            out.append(g)
        return out

    @staticmethod
    def _filter(records: list[Record], **wanted: Any) -> list[Record]:
        """Keep records whose fields equal (strings: case-insensitively) every non-None wanted value."""
        checks = [(k, v.lower() if isinstance(v, str) else v) for k, v in wanted.items() if v is not None]
        if not checks:
            return list(records)
        out = []
        for r in records:
            for k, v in checks:
                got = r.get(k)
                if (got.lower() if isinstance(got, str) else got) != v:
                    break
            else:
                out.append(r)
        return out

    # ------------------------------------------------------------ reference data
    def _snapshot(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        return list(self.season_data(self.season).records(e.slug))

    def _conference_history(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        return self._filter(self.season_data(self.season).records(e.slug), abbreviation=v.get("conference"))

    def _scoreboard(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        recs = self.season_data(self.season).records(e.slug)
        conf = v.get("conference")
        if conf is None:
            return list(recs)
        c = conf.lower()
        return [r for r in recs if c in (r["homeTeam"]["conferenceAbbreviation"].lower(),
                                         r["awayTeam"]["conferenceAbbreviation"].lower())]

    def _teams(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        seasons = self._served(v.get("season")) if v.get("season") is not None else [self.season_data(self.season)]
        return [r for s in seasons for r in self._filter(s.records(e.slug), conference=v.get("conference"))]

    def _rosters(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        return [r for s in self._served(v["season"]) for r in self._filter(s.records(e.slug), team=v.get("team"))]

    def _directory(self, e: Endpoint, v: dict[str, Any]) -> Record:
        seasons = self._served(v["season"])
        if not seasons:
            return {"season": v["season"], "seasonLabel": season_label(v["season"]), "teams": [], "conferences": []}
        return seasons[0].records(e.slug)[0]

    def _rankings(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        poll = v.get("pollType")
        if poll is not None:
            poll = {"ap": "AP Top 25", "coaches": "Coaches Poll"}.get(poll.strip().lower(), poll)
        return [r for s in self._served(v.get("season")) for r in self._filter(
            self._polls(s, s.records(e.slug)), seasonType=v.get("seasonType"), week=v.get("week"), pollType=poll,
            team=v.get("team"), conference=v.get("conference"))]

    def _polls(self, s: SimulatedSeason, records: list[Record]) -> list[Record]:
        view = self.view(s)
        return records if view is None else view.polls(records)

    def _ratings(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        return [r for s in self._served(v.get("season")) for r in self._filter(
            s.records(e.slug), team=v.get("team"), conference=v.get("conference"))]

    def _recruits(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out = []
        for s in self._served(v.get("year")):
            for r in s.records(e.slug):
                if e.slug == "recruiting_players":
                    school = r["committedTo"]["name"]
                    conf = r["committedTo"]["conference"]
                    if v.get("position") is not None and (r["position"] or "").lower() != v["position"].lower():
                        continue
                else:
                    school, conf = r["team"], r["conference"]
                if v.get("team") is not None and (school or "").lower() != v["team"].strip().lower():
                    continue
                if v.get("conference") is not None and (conf or "").lower() != v["conference"].strip().lower():
                    continue
                out.append(r)
        return out

    def _portal(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out = []
        wanted = [("origin", "name", v.get("sourceTeam")), ("destination", "name", v.get("destinationTeam")),
                  ("origin", "conference", v.get("sourceConference")),
                  ("destination", "conference", v.get("destinationConference"))]
        for s in self._served(v.get("year")):
            for r in s.records(e.slug):
                if any(want is not None and ((r[part] or {}).get(key) or "").lower() != want.strip().lower()
                       for part, key, want in wanted):
                    continue
                if v.get("position") is not None and r["position"].lower() != v["position"].strip().lower():
                    continue
                out.append(r)
        return out

    def _draft(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out = []
        for s in self._served(v.get("year")):
            for r in s.records(e.slug):
                if v.get("draftTeam") is not None and v["draftTeam"].strip().lower() not in (
                        r["draftTeam"].lower(), r["draftTeam"].split()[-1].lower()):
                    continue
                if v.get("sourceTeam") is not None and (r["sourceTeamLocation"] or "").lower() != \
                        v["sourceTeam"].strip().lower():
                    continue
                if v.get("position") is not None:
                    found = s.player_by_id.get(r["athleteId"])
                    if found is None or v["position"].strip().upper() not in DRAFT_POSITION_CODES[found[1].position]:
                        continue
                out.append(r)
        return out

    # ------------------------------------------------------------ season stats
    def _season_stats(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        if e.slug == "stats_team_season" and v.get("season") is None and v.get("team") is None:
            raise SimQueryError(400, "season is required when team is not provided")
        if e.slug in ("stats_team_shooting_season", "stats_player_shooting_season") and \
                v.get("team") is None and v.get("conference") is None:
            raise SimQueryError(400, "team or conference is required")
        build = {
            "stats_team_season": stats.team_season_stats, "stats_player_season": stats.player_season_stats,
            "stats_team_shooting_season": stats.team_shooting, "stats_player_shooting_season": stats.player_shooting,
            "stats_team_leaderboard": stats.leaderboard,
        }[e.slug]
        out: list[Record] = []
        for s in self._served(v.get("season")):
            teams = self._team_ids(s, v.get("team"), v.get("conference"))
            if teams is not None and not teams:
                continue
            if self.as_of is not None:   # a season in progress: aggregates of the games final so far
                out += build(s, self._final_only(s, self._games_matching(s, v, teams)), teams)
                continue
            if not any(v.get(k) is not None for k in ("seasonType", "startDateRange", "endDateRange")):
                records = s.records(e.slug)
                out += records if teams is None else [r for r in records if r["teamId"] in teams]
                continue
            games = self._games_matching(s, v, teams)
            out += build(s, games, teams)
        return out

    # ------------------------------------------------------------ games, box scores, media, lines
    def _games(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out: list[Record] = []
        for s in self._served(v.get("season")):
            teams = self._team_ids(s, v.get("team"), v.get("conference"))
            if teams is not None and not teams:
                continue
            wanted = {g.id for g in self._games_matching(s, v, teams)}
            key = "id" if e.slug == "games" else "gameId"
            per_team = e.slug in ("games_teams", "games_players")
            found = [r for r in s.records(e.slug)
                     if r[key] in wanted and (not per_team or teams is None or r["teamId"] in teams)]
            view = self.view(s)
            out += found if view is None else view.game_records(e.slug, found)
        return out

    # ------------------------------------------------------------ plays, substitutions, lineups
    @staticmethod
    def _family(e: Endpoint) -> str:
        return e.slug.split("_", 1)[0]

    def _game_records(self, s: SimulatedSeason, family: str, games: Iterable[Game],
                      v: dict[str, Any]) -> list[Record]:
        out: list[Record] = []
        for g in self._final_only(s, games):
            out += s.game_records(family, g.id)
        if family == "plays" and v.get("shootingPlaysOnly"):
            out = [p for p in out if p["shootingPlay"]]
        return out

    def _by_game(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        gid = v["gameId"]
        for season in self.seasons:
            s = self.season_data(season)
            g = s.game_by_id.get(gid)
            if g is not None:
                return self._game_records(s, self._family(e), [g], v)
        return []

    def _plays_date(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        day = v["date"].date()
        offset = dt.timedelta(hours=float(v.get("utcOffset") or 0.0))
        start = dt.datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
        end = start + dt.timedelta(days=1)
        out: list[Record] = []
        for s in self._served(None):
            view = self.view(s)
            games = [g for g in s.games if start <= (g.start if view is None else view.start(g)) < end]
            out += self._game_records(s, "plays", games, v)
        return out

    def _by_team(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out: list[Record] = []
        for s in self._served(v["season"]):
            team = s.find_team(v["team"])
            if team is None:
                continue
            recs = self._game_records(s, self._family(e), s.games_by_team[team.id], v)
            if self._family(e) == "substitutions":
                recs = [r for r in recs if r["teamId"] == team.id]
            out += recs
        return out

    def _by_player(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        pid = v["playerId"]
        out: list[Record] = []
        for s in self._served(v["season"]):
            found = s.player_by_id.get(pid)
            if found is None:
                continue
            team = found[0]
            idx = s.sides[team.id].player_ids.index(pid)
            games = [g for g in s.games_by_team[team.id]
                     if any(i == idx for i, _ in g.outcome.players[0 if g.home_id == team.id else 1])]
            recs = self._game_records(s, self._family(e), games, v)
            if self._family(e) == "plays":
                out += [r for r in recs if any(p["id"] == pid for p in r["participants"])]
            else:
                out += [r for r in recs if r["athleteId"] == pid]
        return out

    def _plays_tournament(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        name = v["tournament"].strip().lower()
        out: list[Record] = []
        for s in self._served(v["season"]):
            games = [g for g in s.games if (g.tournament or "").lower() == name]
            out += self._game_records(s, "plays", games, v)
        return out

    def _lineups_team(self, e: Endpoint, v: dict[str, Any]) -> list[Record]:
        out: list[Record] = []
        for s in self._served(v["season"]):
            team = s.find_team(v["team"])
            if team is None:
                continue
            start, end = v.get("startDateRange"), v.get("endDateRange")
            if start is None and end is None and self.as_of is None:
                out += s.records_of_team("lineups_team", team.id)
                continue
            games = [g for g in self._final_only(s, s.games_by_team[team.id])
                     if (start is None or g.start >= start) and (end is None or g.start <= end)]
            out += pbp.team_lineups(s, team.id, games)
        return out

    def _overview(self, e: Endpoint, v: dict[str, Any]) -> Record:
        seasons = self._served(v["season"])
        if not seasons:
            raise SimQueryError(404, f"no overview for season {v['season']}")
        s = seasons[0]
        if v["teamId"] not in s.league.team_by_id:
            raise SimQueryError(404, f"no team {v['teamId']}")
        return stats.team_overview(s, v["teamId"])
