"""A small, fast stand-in for the simulator's query source, for ingestion unit tests.

It answers every default endpoint with records in the API's shapes (only the
fields ingestion looks at), honours the parameters the planner sends
(season, date ranges, date, team, conference, gameId) and applies the real
caps ("the first N games ordered by start date"). ``records(slug)`` returns
everything it can emit, for completeness checks. The must-show tests use
the real simulator; this keeps the unit tests independent of its speed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from cbbd_etl.api.endpoints import get_endpoint, match_path


class FakeQueryError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeApi:
    def __init__(self, season: int = 2024, teams: int = 12, conferences: int = 3, days: int = 20,
                 games_per_day: int = 3, first_day: dt.date = dt.date(2023, 11, 6)) -> None:
        self.season = season
        self.conferences = [{"id": c, "name": f"Conference {c}", "abbreviation": f"C{c}", "shortName": f"Conf{c}"}
                            for c in range(conferences)]
        self.teams = [{"id": t, "school": f"School {t:02d}", "conference": f"Conference {t % conferences}",
                       "conferenceId": t % conferences} for t in range(teams)]
        self.games: list[dict[str, Any]] = []
        gid = 1000
        for d in range(days):
            day = first_day + dt.timedelta(days=d * 2)
            for k in range(games_per_day):
                home = self.teams[(d + 2 * k) % teams]
                away = self.teams[(d + 2 * k + 1 + d % 3) % teams]
                if home is away:
                    away = self.teams[(home["id"] + 1) % teams]
                gid += 1
                minute = 12 * 60 + k  # games from noon UTC, one a minute
                self.games.append({"id": gid, "season": season,
                                   "startDate": f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00.000Z",
                                   "homeTeam": home["school"], "homeTeamId": home["id"],
                                   "awayTeam": away["school"], "awayTeamId": away["id"],
                                   "homeConference": f"C{home['conferenceId']}", "tournament": None})
        self.calls = 0

    # ------------------------------------------------------------ records
    def _game_records(self, slug: str, game: dict[str, Any]) -> list[dict[str, Any]]:
        base = {"gameId": game["id"], "season": self.season, "startDate": game["startDate"]}
        if slug == "games":
            return [game]
        if slug in ("games_teams", "games_players"):
            return [{**base, "teamId": game[f"{side}TeamId"], "team": game[f"{side}Team"]}
                    for side in ("home", "away")]
        if slug in ("games_media", "lines"):
            return [dict(base)]
        if slug == "plays_date":
            return [{"id": game["id"] * 100 + i, "gameId": game["id"], "gameStartDate": game["startDate"]}
                    for i in range(5)]
        if slug == "substitutions_team":
            return [{"gameId": game["id"], "teamId": game[f"{side}TeamId"], "team": game[f"{side}Team"],
                     "athleteId": game[f"{side}TeamId"] * 10 + i,
                     "subIn": {"period": 1, "secondsRemaining": 1200 - i}} for side in ("home", "away")
                    for i in range(2)]
        return []

    def records(self, slug: str) -> list[dict[str, Any]]:
        e = get_endpoint(slug)
        if e.scope in ("date_range", "date") or slug == "substitutions_team":
            return [r for g in self.games for r in self._game_records(slug, g)]
        if slug == "lineups_team":
            return [r for t in self.teams for r in self._lineups(t["school"])]
        if slug == "teams":
            return list(self.teams)
        if slug == "conferences":
            return list(self.conferences)
        if e.scope == "conference_season":
            return [{"season": self.season, "teamId": t["id"]} for t in self.teams]
        if e.response == "object":
            return [{"season": self.season}]
        return [{"id": 1, "season": self.season, "year": self.season, "teamId": 1, "abbreviation": "X",
                 "overall": 1, "seasonType": "regular", "week": 1, "pollType": "AP", "athleteId": 1}]

    def _lineups(self, school: str) -> list[dict[str, Any]]:
        team = next(t for t in self.teams if t["school"] == school)
        if not any(school in (g["homeTeam"], g["awayTeam"]) for g in self.games):
            return []
        return [{"teamId": team["id"], "team": school, "idHash": f"{team['id']}-{i}"} for i in range(3)]

    # ------------------------------------------------------------ query
    def query(self, path: str, params: dict[str, str]) -> Any:
        self.calls += 1
        matched = match_path(path)
        if matched is None:
            raise FakeQueryError(404, "not found")
        e, path_params = matched
        season = params.get(e.season_param or "season")
        if season is not None and int(float(season)) != self.season:
            return [] if e.response == "array" else {}
        if e.scope == "date_range":
            lo, hi = params.get("startDateRange"), params.get("endDateRange")
            games = [g for g in self.games if (lo is None or _ts(lo) <= _ts(g["startDate"]))
                     and (hi is None or _ts(g["startDate"]) <= _ts(hi))]
            games.sort(key=lambda g: (g["startDate"], g["id"]))
            games = games[: e.cap]
            return [r for g in games for r in self._game_records(e.slug, g)]
        if e.slug == "plays_date":
            day = params["date"][:10]
            return [r for g in self.games if g["startDate"][:10] == day for r in self._game_records(e.slug, g)]
        if e.slug == "substitutions_team":
            team = params["team"]
            return [r for g in self.games if team in (g["homeTeam"], g["awayTeam"])
                    for r in self._game_records(e.slug, g) if r["team"] == team]
        if e.slug == "lineups_team":
            return self._lineups(params["team"])
        if e.scope == "conference_season":
            if "conference" not in params and "team" not in params:
                raise FakeQueryError(400, "team or conference is required")
            conf = params.get("conference")
            abbr_to_name = {c["abbreviation"]: c["name"] for c in self.conferences}
            return [{"season": self.season, "teamId": t["id"]} for t in self.teams
                    if t["conference"] == abbr_to_name.get(conf) or t["school"] == params.get("team")]
        if e.scope in ("snapshot", "season"):
            return self.records(e.slug)[0] if e.response == "object" else self.records(e.slug)
        return []


def _ts(text: str) -> dt.datetime:
    text = text.replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
