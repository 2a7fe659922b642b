"""Team-name crosswalk: CBBD team ids ↔ the names KenPom, Torvik, Kaggle and sportsbooks use.

Why a curated seed: every outside rating site spells schools its own way
("Miami FL", "Appalachian St.", "Texas A&M Corpus Chris") and names are not
unique across divisions (a D1 and a non-D1 "Holy Cross"), so joins by name
silently drop or duplicate teams. The seed ships in the package
(``resources/crosswalk/teams.csv``: one row per CBBD school name and division
with each source's name; ``aliases.csv``: further spellings per source, e.g.
Kaggle's ``MTeamSpellings``) and is keyed by (CBBD school, division), never by
the name alone. The job joins it to ``silver.teams`` ids: a team's division
is ``D1`` when CBBD lists a conference for it that season, else ``non-D1``.

Pure Python up to :func:`crosswalk_rows` (no Spark): ``lookup(source, name)``
answers "which CBBD school is KenPom's 'St. Francis PA'?" for any caller
(the ratings validation uses it for the 2022 KenPom/Torvik comparison).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Iterable

from ..errors import UserError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

SOURCES: tuple[str, ...] = ("cbbd", "kenpom", "torvik", "kaggle", "sportsbook")
D1, NON_D1 = "D1", "non-D1"


@dataclass(frozen=True)
class SeedTeam:
    cbbd_school: str
    division: str
    conference_2022: str
    kenpom_name: str
    torvik_name: str
    kaggle_team_id: int | None
    kaggle_name: str
    sportsbook_name: str

    def primary(self, source: str) -> str:
        return {"cbbd": self.cbbd_school, "kenpom": self.kenpom_name, "torvik": self.torvik_name,
                "kaggle": self.kaggle_name, "sportsbook": self.sportsbook_name}[source]


def normalize(name: str) -> str:
    """Case, accents, punctuation and spacing do not distinguish teams ("San José St." == "san jose st")."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ").replace("'", "")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("cbbd_etl").joinpath("resources", "crosswalk", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def seed_teams() -> tuple[SeedTeam, ...]:
    """The packaged seed, one entry per (CBBD school, division)."""
    out = []
    for r in _read("teams.csv"):
        kid = r["kaggle_team_id"].strip()
        out.append(SeedTeam(r["cbbd_school"], r["division"], r["conference_2022"], r["kenpom_name"],
                            r["torvik_name"], int(kid) if kid else None, r["kaggle_name"], r["sportsbook_name"]))
    return tuple(out)


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """(source, normalized name) → the (school, division) entries it names (usually exactly one)."""
    idx: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for t in seed_teams():
        for source in SOURCES:
            if t.primary(source):
                idx.setdefault((source, normalize(t.primary(source))), set()).add((t.cbbd_school, t.division))
    for a in _read("aliases.csv"):
        idx.setdefault((a["source"], normalize(a["alias"])), set()).add((a["cbbd_school"], a["division"]))
    return {k: tuple(sorted(v)) for k, v in idx.items()}


def lookup(source: str, name: str, division: str | None = D1) -> str | None:
    """The CBBD school name a source uses ``name`` for, or None when the seed does not know it.

    ``division`` picks between same-named schools (default D1, the division
    rating sites cover; None = any). Raises UserError for an unknown source or
    a name that still names two schools.
    """
    if source not in SOURCES:
        raise UserError(f"unknown crosswalk source {source!r}; known: {', '.join(SOURCES)}")
    hits = [h for h in _index().get((source, normalize(name)), ()) if division is None or h[1] == division]
    if len(hits) > 1:
        raise UserError(f"{source} name {name!r} is ambiguous: {', '.join(f'{s} ({d})' for s, d in hits)}")
    return hits[0][0] if hits else None


def stable_ids(names: Iterable[str], start: int = 1) -> dict[str, int]:
    """Ids for CBBD school names when no CBBD ids exist (reference data): sorted distinct → start, start+1, …

    ``tests/real2022.py`` (the ratings validation) numbers from 1000; pass ``start=1000`` to agree with it.
    """
    return {n: i for i, n in enumerate(sorted(set(names)), start=start)}


def division_of(conference: str | None) -> str:
    """CBBD lists a conference for D1 teams; teams without one (non-D1 opponents) are non-D1."""
    return D1 if conference and conference.strip() else NON_D1


def unmapped(source: str, names: Iterable[str], division: str | None = D1) -> list[str]:
    """Names of ``source`` the seed cannot map (the crosswalk report)."""
    return sorted({n for n in names if lookup(source, n, division) is None})


# ---------------------------------------------------------------------------------------------- Spark side
def seed_frame(spark: "object") -> "DataFrame":
    """The seed as a DataFrame keyed by (school, division)."""
    schema = ("cbbd_school STRING, division STRING, kenpom_name STRING, torvik_name STRING, kaggle_team_id INT, "
              "kaggle_name STRING, sportsbook_name STRING")
    rows = [(t.cbbd_school, t.division, t.kenpom_name or None, t.torvik_name or None, t.kaggle_team_id,
             t.kaggle_name or None, t.sportsbook_name or None) for t in seed_teams()]
    return spark.createDataFrame(rows, schema)


def team_crosswalk(teams: "DataFrame", seed: "DataFrame") -> "DataFrame":
    """gold.team_crosswalk: every silver.teams row with its seed names; ``mapped`` false when none."""
    from pyspark.sql import functions as F

    c = F.col
    division = F.when(F.length(F.trim(F.coalesce(c("conference"), F.lit("")))) > 0, D1).otherwise(NON_D1)
    t = teams.select("season", "team_id", "school", "conference", division.alias("division"))
    s = seed.withColumnRenamed("division", "_seed_division")
    joined = t.join(s, (t["school"] == s["cbbd_school"]) & (t["division"] == s["_seed_division"]), "left")
    return joined.select("season", "team_id", "school", "conference", "division", "kenpom_name", "torvik_name",
                         "kaggle_team_id", "kaggle_name", "sportsbook_name",
                         c("cbbd_school").isNotNull().alias("mapped"))


def build_team_crosswalk(spark: "object", cfg: "object", season: int, run_id: str) -> dict[str, object]:
    """Rebuild the season partition of gold.team_crosswalk from silver.teams and the packaged seed."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table, merge_upsert
    from ..log import event, get_logger
    from ..spark import materialized
    from ..specs.gold_analytics import GOLD_TEAM_CROSSWALK
    from ..tables import get_table

    teams_spec = get_table("silver.teams")
    teams = spark.table(ensure_table(spark, cfg, teams_spec)).where(F.col("season") == season)
    rows = materialized(team_crosswalk(teams, seed_frame(spark))
                        .join(teams.select("season", "team_id", "_ingested_at"), ["season", "team_id"], "left")
                        .withColumn("_source_file", F.lit(f"{teams_spec.name},resources/crosswalk"))
                        .withColumn("_run_id", F.lit(run_id)))
    merge = merge_upsert(spark, cfg, GOLD_TEAM_CROSSWALK, rows, prune={"season": [season]}, delete_missing=True)
    by_mapped = rows.groupBy("mapped").agg(F.count("*").alias("n")).collect()
    counts = {bool(r["mapped"]): int(r["n"]) for r in by_mapped}
    report = {"season": season, **merge.to_dict(), "mapped": counts.get(True, 0), "unmapped": counts.get(False, 0)}
    event(get_logger("gold.crosswalk"), "team crosswalk built", season=season, run_id=run_id,
          mapped=report["mapped"], unmapped=report["unmapped"])
    return report


def crosswalk_report(spark: "object", cfg: "object", season: int) -> list[dict[str, object]]:
    """D1 teams of silver.teams the seed cannot map (non-D1 opponents are listed with division non-D1)."""
    from pyspark.sql import functions as F

    from ..iceberg import ensure_table
    from ..tables import get_table

    teams = spark.table(ensure_table(spark, cfg, get_table("silver.teams"))).where(F.col("season") == season)
    out = team_crosswalk(teams, seed_frame(spark)).where(~F.col("mapped"))
    return [r.asDict() for r in out.orderBy("division", "school").collect()]
