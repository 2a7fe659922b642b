"""Builders of small silver frames for transform tests (explicit schemas, no inference)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cbbd_etl.tables import SILVER_GAMES, SILVER_TEAM_GAME_STATS, TableSpec

LINEAGE = {"_ingested_at": dt.datetime(2024, 3, 1, 12, 0), "_source_file": "test", "_run_id": "r", "_row_hash": "h"}


def frame(spark: Any, spec: TableSpec, rows: list[dict[str, Any]]) -> Any:
    """Rows given as partial dicts; every other declared column is null."""
    from cbbd_etl.spark import ddl_schema

    schema = ddl_schema(", ".join(f"{n} {t}" for n, t in spec.all_columns))
    full = [tuple({**LINEAGE, **r}.get(f.name) for f in schema.fields) for r in rows]
    return spark.createDataFrame(full, schema)


def box(prefix: str, fgm: int, fga: int, fg3m: int, ftm: int, fta: int, oreb: int, dreb: int, tov: int) -> dict:
    pts = 2 * (fgm - fg3m) + 3 * fg3m + ftm
    return {f"{prefix}_fg_made": fgm, f"{prefix}_fg_att": fga, f"{prefix}_fg3_made": fg3m,
            f"{prefix}_ft_made": ftm, f"{prefix}_ft_att": fta, f"{prefix}_oreb": oreb, f"{prefix}_dreb": dreb,
            f"{prefix}_tov": tov, f"{prefix}_points": pts}


def team_game(game_id: int, team_id: int, opp_id: int, team_box: dict, opp_box: dict, *, home: bool,
              neutral: bool = False, conf: bool = False, minutes: float | None = 40.0, season: int = 2024,
              day: int = 10) -> dict:
    return {"game_id": game_id, "team_id": team_id, "opponent_id": opp_id, "season": season, "team": f"T{team_id}",
            "conference": "C1", "is_home": home, "neutral_site": neutral, "conference_game": conf,
            "game_minutes": minutes, "start_date": dt.datetime(2023, 12, day, 1, 0),
            **box("team", **team_box), **box("opp", **opp_box)}


def both_sides(game_id: int, home_id: int, away_id: int, home_box: dict, away_box: dict, **kw: Any) -> list[dict]:
    neutral = kw.pop("neutral", False)
    return [team_game(game_id, home_id, away_id, home_box, away_box, home=not neutral, neutral=neutral, **kw),
            team_game(game_id, away_id, home_id, away_box, home_box, home=False, neutral=neutral, **kw)]


def game(game_id: int, status: str = "final", home_points: int | None = 70, away_points: int | None = 60,
         season: int = 2024) -> dict:
    return {"game_id": game_id, "season": season, "status": status, "home_points": home_points,
            "away_points": away_points}


__all__ = ["frame", "both_sides", "game", "SILVER_GAMES", "SILVER_TEAM_GAME_STATS"]
