"""Number and date formatting shared by the record builders.

Why one place: the API's conventions (percentages on a 0–100 scale with one
decimal, ``turnoverRatio`` as a fraction, UTC timestamps with milliseconds
and ``Z``) must be identical in box scores, season stats, lineups and the
team overview, or joins and comparisons downstream drift.
"""
from __future__ import annotations

import datetime as dt


def iso(ts: dt.datetime) -> str:
    """``2023-11-06T23:30:00.000Z``, the API's timestamp format."""
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def season_label(season: int) -> str:
    """``2024`` → ``2023-24``."""
    return f"{season - 1}-{season % 100:02d}"


def pct(made: float, attempted: float) -> float | None:
    """Percentage 0–100 with one decimal; None when undefined (no attempts)."""
    return round(100.0 * made / attempted, 1) if attempted else None


def pct0(made: float, attempted: float) -> float:
    """As :func:`pct` but 0.0 when undefined, for fields the models declare non-nullable."""
    return round(100.0 * made / attempted, 1) if attempted else 0.0


def ratio(a: float, b: float, digits: int = 3) -> float | None:
    return round(a / b, digits) if b else None


def r1(x: float) -> float:
    return round(x, 1)


def possessions(fga: float, orb: float, tov: float, fta: float) -> float:
    """Estimated possessions, FGA − OREB + TOV + 0.475·FTA (the formula gold uses, too)."""
    return fga - orb + tov + 0.475 * fta


def game_score(pts: float, fgm: float, fga: float, ftm: float, fta: float, orb: float, drb: float, stl: float,
               ast: float, blk: float, pf: float, tov: float) -> float:
    """Hollinger's game score."""
    return round(pts + 0.4 * fgm - 0.7 * fga - 0.4 * (fta - ftm) + 0.7 * orb + 0.3 * drb + stl + 0.7 * ast
                 + 0.7 * blk - 0.4 * pf - tov, 1)


def shooting(made: int, attempted: int) -> dict[str, object]:
    """``{"pct", "attempted", "made"}`` as in TeamSeasonUnitStatsFieldGoals."""
    return {"pct": pct(made, attempted), "attempted": attempted, "made": made}


def shooting0(made: int, attempted: int) -> dict[str, object]:
    """``{"made", "attempted", "pct"}`` as in ShootingStats (pct non-nullable)."""
    return {"made": made, "attempted": attempted, "pct": pct0(made, attempted)}
