"""Team-name crosswalk: every 2022 KenPom and Torvik team maps to exactly one CBBD team; ids, not names."""
from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from cbbd_etl.errors import UserError
from cbbd_etl.gold.crosswalk import (lookup, normalize, seed_frame, seed_teams, stable_ids, team_crosswalk,
                                     unmapped)
from conftest import SHARED

REAL = SHARED / "reference" / "real-2022"


def _names(file: str) -> list[str]:
    with open(REAL / file, encoding="utf-8") as f:
        return [r["TEAM"] for r in csv.DictReader(f)]


def _cbbd_ids() -> dict[str, int]:
    """CBBD school names of the real 2022 scores, ids as the ratings validation (tests/real2022.py) assigns them."""
    names = []
    with open(REAL / "scores_2022.jsonl", encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            names += [g["home_team"], g["away_team"]]
    return stable_ids(names, start=1000)


@pytest.mark.parametrize("source,file", [("kenpom", "kenpom_2022.csv"), ("torvik", "torvik_2022.csv")])
def test_every_2022_team_maps_to_exactly_one_cbbd_id(source: str, file: str) -> None:
    ids = _cbbd_ids()
    names = _names(file)
    assert len(names) == 358
    assert unmapped(source, names) == []
    mapped = {n: ids[lookup(source, n)] for n in names}          # KeyError = a school not in CBBD's names
    dupes = [i for i, k in Counter(mapped.values()).items() if k > 1]
    assert dupes == [], f"two {source} teams share a CBBD id"


def test_kenpom_and_torvik_agree_and_known_hard_names() -> None:
    kenpom = {lookup("kenpom", n) for n in _names("kenpom_2022.csv")}
    torvik = {lookup("torvik", n) for n in _names("torvik_2022.csv")}
    assert kenpom == torvik
    assert lookup("kenpom", "Miami FL") == "Miami" and lookup("kenpom", "Miami OH") == "Miami (OH)"
    assert lookup("kenpom", "Appalachian St.") == "App State"
    assert lookup("torvik", "Texas A&M Corpus Chris") == "Texas A&M-Corpus Christi"
    assert lookup("kenpom", "St. Francis PA") == "St. Francis (PA)"
    assert lookup("kenpom", "Troy St.") == lookup("torvik", "Troy") == "Troy"          # sources disagree
    assert lookup("kaggle", "utrgv") == "UT Rio Grande Valley"                          # Kaggle spelling
    assert lookup("kenpom", "no such school") is None
    with pytest.raises(UserError):
        lookup("espn", "Duke")


def test_seed_is_keyed_by_school_and_division_and_names_normalize() -> None:
    keys = [(t.cbbd_school, t.division) for t in seed_teams()]
    assert len(keys) == len(set(keys))
    assert len({t.kaggle_team_id for t in seed_teams()}) == len(keys)
    assert normalize("San José St.") == normalize("san jose st")
    assert lookup("cbbd", "Holy Cross") == "Holy Cross"
    assert lookup("cbbd", "Holy Cross", division="non-D1") is None


@pytest.mark.spark
def test_join_maps_ids_not_names(spark) -> None:
    teams = spark.createDataFrame(
        [(2022, 1, "Holy Cross", "Patriot"), (2022, 2, "Holy Cross", None), (2022, 3, "Cedarford State", "X")],
        "season INT, team_id BIGINT, school STRING, conference STRING")
    rows = {r["team_id"]: r for r in team_crosswalk(teams, seed_frame(spark)).collect()}
    assert rows[1]["mapped"] and rows[1]["kenpom_name"] == "Holy Cross" and rows[1]["kaggle_team_id"] == 1221
    assert not rows[2]["mapped"] and rows[2]["division"] == "non-D1" and rows[2]["kenpom_name"] is None
    assert not rows[3]["mapped"]


def test_crosswalk_report_command(tmp_path, capsys) -> None:
    from cbbd_etl.cli import main

    assert main(["crosswalk", "report", "--source", "kenpom", "--names-file", str(REAL / "kenpom_2022.csv")]) == 0
    assert "358 of 358 kenpom names map" in capsys.readouterr().out
    names = tmp_path / "names.txt"
    names.write_text("Duke\nMiami FL\nNowhere Tech\n", encoding="utf-8")
    assert main(["crosswalk", "report", "--source", "torvik", "--names-file", str(names)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Nowhere Tech" and "2 of 3 torvik names" in out
    assert main(["crosswalk", "report", "--source", "espn", "--names-file", str(names)]) == 2
    assert main(["crosswalk", "report"]) == 2
    assert "give --season" in capsys.readouterr().err
