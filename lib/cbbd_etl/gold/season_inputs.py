"""Turn one season's games (silver rows or raw API records) into the solver's arrays.

Pure Python/NumPy, no Spark: the Spark side collects ``silver.games`` and
``silver.team_game_stats`` rows of a season as dicts and calls
:func:`season_games_from_rows`; tests and the simulator check call
:func:`season_games_from_records` on ``/games`` + ``/games/teams`` records.

Which games count: status ``final`` with both scores. A game's possessions
are the mean of both teams' FGA − OREB + TOV + 0.475·FTA; it is NaN (the game
then counts in the margin model only) unless all eight inputs are present.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

import numpy as np

from .ratings_model import FT_FACTOR, SeasonGames

EASTERN = ZoneInfo("America/New_York")
EPOCH = dt.date(1970, 1, 1)
POSSESSION_INPUTS = ("fg_att", "oreb", "tov", "ft_att")


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def eastern_date(ts: dt.datetime | str) -> dt.date:
    """The US Eastern calendar date of a UTC timestamp (CBBD's game date)."""
    if isinstance(ts, str):
        ts = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.timezone.utc)
    return ts.astimezone(EASTERN).date()


def is_final(g: Mapping[str, Any]) -> bool:
    return g.get("status") == "final" and g.get("home_points") is not None and g.get("away_points") is not None


_SIDE_KEYS = {prefix: tuple(f"{prefix}_{c}" for c in POSSESSION_INPUTS) for prefix in ("team", "opp")}


def side_possessions(box: Mapping[str, Any], prefix: str = "team") -> float | None:
    """FGA − OREB + TOV + 0.475·FTA of one side, or None if any input is missing.

    Called for every team-game of a season by each rating job (~12,000 times): the column names are built once.
    """
    keys = _SIDE_KEYS.get(prefix) or tuple(f"{prefix}_{c}" for c in POSSESSION_INPUTS)
    fga, oreb, tov, fta = (box.get(k) for k in keys)
    if fga is None or oreb is None or tov is None or fta is None:
        return None
    return float(fga) - float(oreb) + float(tov) + FT_FACTOR * float(fta)


def game_minutes(box: Mapping[str, Any]) -> float:
    """Reported minutes, else 40 plus 5 per overtime seen in the period scores."""
    if box.get("game_minutes") is not None:
        return float(box["game_minutes"])
    periods = box.get("team_points_by_period") or []
    return 40.0 + 5.0 * max(0, len(periods) - 2)


def season_games_from_rows(games: Iterable[Mapping[str, Any]],
                           boxes: Iterable[Mapping[str, Any]] = ()) -> tuple[SeasonGames, list[int]]:
    """Final games of one season as solver arrays, plus the game id of each array position.

    ``games`` are ``silver.games`` rows (``game_date``, ``home_team_id``, ...);
    ``boxes`` are ``silver.team_game_stats`` rows. Team indices follow sorted
    team ids, so the same teams always get the same index.
    """
    final = sorted((g for g in games if is_final(g) and g.get("game_date") is not None),
                   key=lambda g: (g["game_date"], g["game_id"]))
    by_game: dict[int, list[Mapping[str, Any]]] = {}
    for b in boxes:
        by_game.setdefault(int(b["game_id"]), []).append(b)
    team_ids = sorted({int(g["home_team_id"]) for g in final} | {int(g["away_team_id"]) for g in final})
    index = {t: i for i, t in enumerate(team_ids)}
    k = len(final)
    poss = np.full(k, np.nan)
    minutes = np.full(k, 40.0)
    for i, g in enumerate(final):
        sides = by_game.get(int(g["game_id"]), [])
        if len(sides) == 2:
            p = [side_possessions(s, "team") for s in sides]
            if all(x is not None for x in p):
                poss[i] = (p[0] + p[1]) / 2.0
            minutes[i] = game_minutes(sides[0])
    sg = SeasonGames(
        day=np.array([day_number(g["game_date"]) for g in final], dtype=np.int64),
        home=np.array([index[int(g["home_team_id"])] for g in final], dtype=np.int64),
        away=np.array([index[int(g["away_team_id"])] for g in final], dtype=np.int64),
        neutral=np.array([bool(g.get("neutral_site")) for g in final], dtype=bool),
        home_points=np.array([float(g["home_points"]) for g in final]),
        away_points=np.array([float(g["away_points"]) for g in final]),
        possessions=poss, minutes=minutes, team_ids=np.array(team_ids, dtype=np.int64),
    )
    return sg, [int(g["game_id"]) for g in final]


def game_row_from_record(r: Mapping[str, Any]) -> dict[str, Any]:
    """A ``/games`` API record as the silver.games columns the solver reads."""
    return {"game_id": r["id"], "game_date": eastern_date(r["startDate"]), "status": r.get("status"),
            "home_team_id": r["homeTeamId"], "away_team_id": r["awayTeamId"], "home_team": r.get("homeTeam"),
            "away_team": r.get("awayTeam"), "neutral_site": r.get("neutralSite"),
            "home_points": r.get("homePoints"), "away_points": r.get("awayPoints"),
            "home_conference": r.get("homeConference"), "away_conference": r.get("awayConference")}


def box_row_from_record(r: Mapping[str, Any]) -> dict[str, Any]:
    """A ``/games/teams`` API record as the silver.team_game_stats columns the solver reads."""
    t = r.get("teamStats") or {}

    def get(*path: str) -> Any:
        cur: Any = t
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        return cur

    return {"game_id": r["gameId"], "team_id": r["teamId"], "game_minutes": r.get("gameMinutes"),
            "team_fg_att": get("fieldGoals", "attempted"), "team_oreb": get("rebounds", "offensive"),
            "team_tov": get("turnovers", "total"), "team_ft_att": get("freeThrows", "attempted"),
            "team_points_by_period": get("points", "byPeriod")}


def season_games_from_records(games: Iterable[Mapping[str, Any]],
                              game_teams: Iterable[Mapping[str, Any]] = ()) -> SeasonGames:
    """Solver arrays straight from simulator / API records (used by the truth checks)."""
    sg, _ = season_games_from_rows([game_row_from_record(r) for r in games],
                                   [box_row_from_record(r) for r in game_teams])
    return sg
