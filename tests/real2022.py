"""Helpers for the real 2022 reference data in ``../shared/reference/real-2022`` (test references only).

* :func:`scores_as_game_records`: the 5,977 real final scores as CBBD-shaped
  ``/games`` records (stable team ids per distinct name, sorted; no neutral
  flag exists in the file, so every game is home/away);
* :func:`write_games_bronze`: those records written to bronze exactly as the
  ingester does (``cbbd_etl.bronze.store.write_response``);
* :func:`normalise` / :func:`match_names`: a small name matcher between CBBD
  school names and KenPom / Torvik spellings, via the Kaggle spellings file
  plus a few normalisation rules. Temporary: the gold-part-2 crosswalk
  replaces it.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "real-2022"


def load_scores() -> list[dict[str, Any]]:
    with (REAL / "scores_2022.jsonl").open() as fh:
        return [json.loads(line) for line in fh if line.strip()]


def team_ids(scores: list[dict[str, Any]]) -> dict[str, int]:
    names = sorted({r["home_team"] for r in scores} | {r["away_team"] for r in scores})
    return {name: 1000 + i for i, name in enumerate(names)}


def scores_as_game_records(season: int = 2022) -> list[dict[str, Any]]:
    """CBBD ``/games`` (GameInfo) records; 17:00Z start keeps the US Eastern date equal to the file's date."""
    scores = load_scores()
    ids = team_ids(scores)
    out = []
    for i, r in enumerate(sorted(scores, key=lambda r: (r["date"], r["home_team"], r["away_team"]))):
        hp, ap = int(r["home_score"]), int(r["away_score"])
        out.append({
            "id": 220000 + i, "sourceId": str(4220000 + i), "seasonLabel": f"{season - 1}-{season % 100:02d}",
            "season": season, "seasonType": "regular", "startDate": f"{r['date']}T17:00:00.000Z",
            "startTimeTbd": False, "neutralSite": False, "conferenceGame": False, "gameType": "STD",
            "tournament": None, "gameNotes": None, "status": "final", "attendance": None,
            "homeTeamId": ids[r["home_team"]], "homeTeam": r["home_team"], "homeConferenceId": None,
            "homeConference": None, "homeSeed": None, "homePoints": hp, "homePeriodPoints": None,
            "homeWinner": hp > ap, "homeTeamEloStart": None, "homeTeamEloEnd": None,
            "awayTeamId": ids[r["away_team"]], "awayTeam": r["away_team"], "awayConferenceId": None,
            "awayConference": None, "awaySeed": None, "awayPoints": ap, "awayPeriodPoints": None,
            "awayWinner": ap > hp, "awayTeamEloStart": None, "awayTeamEloEnd": None, "excitement": None,
            "venueId": None, "venue": None, "city": None, "state": None,
        })
    return out


def write_games_bronze(bronze_root: str, records: list[dict[str, Any]], season: int = 2022,
                       run_id: str = "real2022") -> dict[str, Any]:
    """One ``/games`` response for the season, written through the ingester's own bronze writer."""
    from cbbd_etl.bronze.store import BronzeStore, write_response

    store = BronzeStore.for_root(bronze_root)
    body = json.dumps(records).encode()
    return write_response(store, endpoint="/games", slug="games", path="/games",
                          params={"season": str(season)}, season=season, date=None, status=200, body=body,
                          record_count=len(records), run_id=run_id)


# ------------------------------------------------------------------ names
_ALIASES = {
    "miami": "miami fl", "miami (fl)": "miami fl", "miami (oh)": "miami oh", "app state": "appalachian state",
    "ut rio grande valley": "utrgv", "texas a&m-corpus christi": "texas a&m corpus christi",
    "texas a&m corpus chris": "texas a&m corpus christi", "st. francis (pa)": "st francis pa",
    "st. francis pa": "st francis pa", "saint francis": "st francis pa", "st. francis brooklyn": "st francis ny",
    "st. francis (bkn)": "st francis ny", "st. francis ny": "st francis ny", "louisiana": "louisiana lafayette",
    "ul monroe": "louisiana monroe", "uconn": "connecticut", "ole miss": "mississippi", "pitt": "pittsburgh",
    "umass": "massachusetts", "unc": "north carolina", "nc state": "north carolina state",
    "n.c. state": "north carolina state", "troy st.": "troy", "hawai'i": "hawaii", "se louisiana": "southeastern louisiana",
    "southeast missouri state": "southeast missouri", "southeast missouri st.": "southeast missouri",
    "liu": "liu brooklyn", "long island university": "liu brooklyn", "gardner-webb": "gardner webb",
    "purdue fort wayne": "ipfw", "omaha": "nebraska omaha", "little rock": "arkansas little rock",
    "detroit mercy": "detroit", "sam houston": "sam houston state", "sam houston st.": "sam houston state",
    "mcneese": "mcneese state", "tarleton state": "tarleton state", "tarleton st.": "tarleton state",
    "cal baptist": "california baptist", "california baptist": "california baptist", "utah tech": "dixie state",
    "queens university": "queens nc", "st. thomas-minnesota": "st thomas mn", "st. thomas": "st thomas mn",
    "kansas city": "umkc", "umkc": "umkc", "loyola maryland": "loyola md", "loyola (md)": "loyola md",
    "loyola chicago": "loyola chicago", "iu indianapolis": "iupui", "iupui": "iupui", "grambling": "grambling state",
    "grambling st.": "grambling state", "bethune-cookman": "bethune cookman", "usc upstate": "usc upstate",
    "south carolina upstate": "usc upstate", "college of charleston": "college of charleston", "charleston": "college of charleston",
    "mississippi valley st.": "mississippi valley state", "arkansas-pine bluff": "arkansas pine bluff",
    "texas a&m-commerce": "texas a&m commerce", "nicholls": "nicholls state", "nicholls st.": "nicholls state",
    "prairie view": "prairie view a&m", "southern": "southern university", "southern univ.": "southern university",
    "siu edwardsville": "siue", "southern illinois edwardsville": "siue", "fiu": "florida international",
    "florida international": "florida international", "uic": "illinois chicago", "illinois-chicago": "illinois chicago",
    "central connecticut": "central connecticut state", "central connecticut st.": "central connecticut state",
    "md.-eastern shore": "maryland eastern shore", "maryland-eastern shore": "maryland eastern shore",
    "cal state northridge": "cs northridge", "cal st. northridge": "cs northridge", "csun": "cs northridge",
    "cal state fullerton": "cs fullerton", "cal st. fullerton": "cs fullerton", "cal state bakersfield": "cs bakersfield",
    "cal st. bakersfield": "cs bakersfield", "long beach state": "long beach state", "long beach st.": "long beach state",
    "seattle u": "seattle", "ualbany": "albany", "albany": "albany", "albany (ny)": "albany",
    "tennessee-martin": "ut martin", "ut martin": "ut martin", "tennessee martin": "ut martin",
    "saint mary's": "st mary's ca", "st. mary's (ca)": "st mary's ca", "mount st. mary's": "mt st mary's",
    "the citadel": "citadel", "vmi": "vmi", "william & mary": "william & mary", "stephen f. austin": "stephen f austin",
    "sfa": "stephen f austin", "fort wayne": "ipfw", "winston-salem": "winston salem",
}


def normalise(name: str) -> str:
    """Lower case, ``St.`` → ``state`` at the end, punctuation dropped, aliases applied."""
    n = name.strip().lower().replace("\u2019", "'")
    n = _ALIASES.get(n, n)
    n = re.sub(r"\bst\.$", "state", n)
    n = re.sub(r"\bst\.\s", "st ", n)
    n = n.replace("&amp;", "&").replace("-", " ").replace(".", "").replace("(", "").replace(")", "")
    n = re.sub(r"\bsaint\b", "st", n)
    n = re.sub(r"\s+", " ", n).strip()
    return _ALIASES.get(n, n)


@lru_cache(maxsize=1)
def _spellings() -> dict[str, int]:
    out: dict[str, int] = {}
    with (REAL / "MTeamSpellings.csv").open(encoding="latin-1") as fh:
        for row in csv.DictReader(fh):
            tid = int(row["TeamID"])
            out.setdefault(row["TeamNameSpelling"].strip().lower(), tid)
            out.setdefault(normalise(row["TeamNameSpelling"]), tid)
    with (REAL / "MTeams.csv").open(encoding="latin-1") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(normalise(row["TeamName"]), int(row["TeamID"]))
    return out


def kaggle_id(name: str) -> int | None:
    sp = _spellings()
    for key in (name.strip().lower(), normalise(name)):
        if key in sp:
            return sp[key]
    return None


def match_names(ours: list[str], theirs: list[str]) -> dict[str, str]:
    """Our name -> their name, when both resolve to the same Kaggle team id (or normalise equal)."""
    by_id: dict[Any, str] = {}
    for t in theirs:
        by_id.setdefault(kaggle_id(t) or ("n", normalise(t)), t)
    out = {}
    for o in ours:
        key = kaggle_id(o) or ("n", normalise(o))
        if key in by_id:
            out[o] = by_id[key]
    return out


def load_kenpom() -> dict[str, dict[str, float]]:
    with (REAL / "kenpom_2022.csv").open() as fh:
        return {r["TEAM"]: {"adj_em": float(r["ADJEM"]), "adj_oe": float(r["ADJOE"]), "adj_de": float(r["ADJDE"]),
                            "adj_t": float(r["ADJ_T"])} for r in csv.DictReader(fh) if r["YEAR"] == "2022"}


def load_torvik() -> dict[str, dict[str, float]]:
    with (REAL / "torvik_2022.csv").open() as fh:
        return {r["TEAM"]: {"adj_em": float(r["ADJOE"]) - float(r["ADJDE"]), "adj_oe": float(r["ADJOE"]),
                            "adj_de": float(r["ADJDE"]), "adj_t": float(r["ADJ_T"])}
                for r in csv.DictReader(fh) if r["YEAR"] == "2022"}


def load_peer() -> dict[str, dict[str, float]]:
    doc = json.loads((REAL / "peer_hoops_edge_ratings_2022.json").read_text())
    return {t["team"]: {"adj_em": float(t["adj_margin"]), "adj_oe": float(t["adj_oe"]), "adj_de": float(t["adj_de"]),
                        "adj_t": float(t["adj_tempo"])} for t in doc["teams"]}


def eastern_date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso[:10])
