"""Season arithmetic. A CBBD season S runs from August 1 of S-1 to July 31 of S."""
from __future__ import annotations

import datetime as dt

from .errors import UserError


def season_window(season: int) -> tuple[dt.date, dt.date]:
    return dt.date(season - 1, 8, 1), dt.date(season, 7, 31)


def season_of(day: dt.date) -> int:
    return day.year + 1 if day.month >= 8 else day.year


def parse_season(text: str | int, first: int, last: int) -> int:
    try:
        season = int(text)
    except (TypeError, ValueError):
        raise UserError(f"season {text!r} is not a year like 2024") from None
    if not first <= season <= last:
        raise UserError(f"season {season} is outside the supported range {first}-{last}")
    return season


def parse_seasons(text: str, first: int, last: int) -> list[int]:
    """``"2015-2024"`` or ``"2019,2021"`` → sorted unique seasons, each validated."""
    out: set[int] = set()
    for part in str(text).split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            a, b = parse_season(lo, first, last), parse_season(hi, first, last)
            if a > b:
                raise UserError(f"season range {part!r} runs backwards")
            out.update(range(a, b + 1))
        elif part:
            out.add(parse_season(part, first, last))
    if not out:
        raise UserError("no season given")
    return sorted(out)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise UserError(f"date {text!r} is not an ISO date like 2024-01-31") from None
