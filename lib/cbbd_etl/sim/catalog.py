"""Which builder answers which endpoint slug, for a whole season and for one game.

Why a separate module: the builders live in :mod:`.records`, :mod:`.pbp`
and :mod:`.stats`, which import each other's helpers; this table imports all
three and nothing imports it back, so there is no import cycle.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import pbp, records, stats
from .schedule import Game

if TYPE_CHECKING:  # pragma: no cover
    from .season import SimulatedSeason

Record = dict[str, Any]


def _all_plays(s: "SimulatedSeason") -> list[Record]:
    return [p for g in s.games for p in pbp.game_plays(s, g)]


def _tournament_plays(s: "SimulatedSeason") -> list[Record]:
    return [p for g in s.games if g.tournament for p in pbp.game_plays(s, g)]


def _all_substitutions(s: "SimulatedSeason") -> list[Record]:
    return [r for g in s.games for r in pbp.game_substitutions(s, g)]


def _all_game_lineups(s: "SimulatedSeason") -> list[Record]:
    return [r for g in s.games for r in pbp.game_lineups(s, g)]


def _all_team_lineups(s: "SimulatedSeason") -> list[Record]:
    """Every team's season lineups, replaying each game once (not once per team)."""
    totals = pbp.sum_lineups(s, s.games)
    return [r for t in s.league.teams for r in pbp.lineup_records(s, t.id, totals.get(t.id, {}))]


BUILDERS: dict[str, Callable[["SimulatedSeason"], list[Record]]] = {
    "conferences": records.conferences,
    "conferences_history": records.conference_history,
    "draft_positions": records.draft_positions,
    "draft_teams": records.draft_teams,
    "lines_providers": records.line_providers,
    "plays_types": records.play_types,
    "venues": records.venues,
    "scoreboard": records.scoreboard,
    "teams": records.teams,
    "teams_roster": records.rosters,
    "teams_directory": records.teams_directory,
    "rankings": records.rankings,
    "ratings_adjusted": records.ratings_adjusted,
    "ratings_elo": records.ratings_elo,
    "ratings_srs": records.ratings_srs,
    "recruiting_players": records.recruiting_players,
    "recruiting_teams": records.recruiting_teams,
    "recruiting_portal": records.recruiting_portal,
    "draft_picks": records.draft_picks,
    "stats_team_season": lambda s: stats.team_season_stats(s, s.games),
    "stats_player_season": lambda s: stats.player_season_stats(s, s.games),
    "stats_team_leaderboard": lambda s: stats.leaderboard(s, s.games),
    "stats_team_shooting_season": lambda s: stats.team_shooting(s, s.games),
    "stats_player_shooting_season": lambda s: stats.player_shooting(s, s.games),
    "games": records.games,
    "games_teams": records.games_teams,
    "games_players": records.games_players,
    "games_media": records.games_media,
    "lines": records.lines,
    "plays_date": _all_plays,
    "plays_game": _all_plays,
    "plays_team": _all_plays,
    "plays_player": _all_plays,
    "plays_tournament": _tournament_plays,
    "substitutions_team": _all_substitutions,
    "substitutions_game": _all_substitutions,
    "substitutions_player": _all_substitutions,
    "lineups_team": _all_team_lineups,
    "lineups_game": _all_game_lineups,
    "teams_season_overview": stats.team_overviews,
}
# Rebuilt on every call: a `full` season's plays alone are ~2 million records.
UNCACHED = frozenset({"plays_date", "plays_game", "plays_team", "plays_player", "plays_tournament",
                      "substitutions_team", "substitutions_game", "substitutions_player", "lineups_game"})

GAME_BUILDERS: dict[str, Callable[["SimulatedSeason", Game], list[Record]]] = {
    "plays": pbp.game_plays,
    "substitutions": pbp.game_substitutions,
    "lineups": pbp.game_lineups,
    "games": lambda s, g: [records.game_info(s, g)],
    "games_teams": records.box_teams,
    "games_players": records.box_players,
    "games_media": lambda s, g: [records.media_record(s, g)],
    "lines": lambda s, g: [r for r in (records.lines_record(s, g),) if r is not None],
}


def game_slug(slug: str) -> str:
    """``plays_game``/``plays_date``/… → ``plays``; ``substitutions_*``, ``lineups_*`` likewise."""
    for family in ("plays", "substitutions", "lineups"):
        if slug == family or slug.startswith(family + "_"):
            return family
    if slug not in GAME_BUILDERS:
        raise KeyError(f"no per-game records for {slug!r}; known: {', '.join(sorted(GAME_BUILDERS))}")
    return slug
