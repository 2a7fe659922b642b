"""One test per item of ``shared/cbbd/real-api-facts.md``: the simulator reproduces it, silver handles it.

Why one shared lake: every silver assertion needs the same small bronze built from the simulator (a tiny
season served by :class:`SimulatedApi` with realism on, sentinels made frequent so a tiny season shows
them), and loading it once through the real silver pipeline (Spark + Iceberg, MERGE, quarantine) keeps the
module's Spark cost to one load. Expected values come from the simulator's *clean* records
(``realism=False``) and from hand-written formulas, never from the code under test.
The decisions are documented in ``docs/real_api_shapes.md``.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from bronze_fixtures import write_response
from cbbd_etl.api.endpoints import get_endpoint
from cbbd_etl.bronze.planner import is_saturated
from cbbd_etl.runner import make_context, run_job
from cbbd_etl.silver.endpoint_tables import get_endpoint_table
from cbbd_etl.silver.endpoint_transform import silver_source
from cbbd_etl.silver.games import SENTINEL_TEAM
from cbbd_etl.silver.pipeline import run_silver
from cbbd_etl.sim import SimulatedApi, simulate_season
from cbbd_etl.sim.api import cap_games
from cbbd_etl.sim.realism import ELO_KEYS, FetchLog, RealismOptions, eastern_as_z, present

SEASON, SEED = 2024, 7
EASTERN = ZoneInfo("America/New_York")
OPTIONS = RealismOptions(sentinel_game_every=10, sentinel_line_every=10, blank_play_game_every=3,
                         early_capture_share=0.5)
EARLY, LATE = "2025-02-01T12:00:00Z", "2025-11-01T12:00:00Z"


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Fetched:
    """What the realistic API answered (the bronze), the clean truth, and the silver lake built from it."""

    def __init__(self, spark: Any, cfg: Any) -> None:
        self.spark, self.cfg = spark, cfg
        self.season = simulate_season(SEASON, "tiny", SEED)
        api = SimulatedApi(SEASON, "tiny", SEED, realism=OPTIONS)
        clean = SimulatedApi(SEASON, "tiny", SEED, realism=False)
        q = {"season": str(SEASON)}
        self.games_first = api.query("/games", q)             # an "early-2025 capture"
        self.games_later = api.query("/games", q)             # the same games fetched again later
        self.clean_games = {r["id"]: r for r in clean.query("/games", q)}
        days = sorted({r["startDate"][:10] for r in self.clean_games.values()})
        self.window_a = api.query("/games", {**q, "startDateRange": days[0], "endDateRange": days[len(days) // 2]})
        self.window_b = api.query("/games", {**q, "startDateRange": days[len(days) // 3], "endDateRange": days[-1]})
        self.lines = api.query("/lines", q)
        self.clean_lines = {r["gameId"]: r for r in clean.query("/lines", q)}
        self.boxes = api.query("/games/teams", q)
        self.clean_boxes = {(r["gameId"], r["teamId"]): r for r in clean.query("/games/teams", q)}
        self.team_stats = api.query("/stats/team/season", q)
        self.player_stats = api.query("/stats/player/season", q)
        self.teams = api.query("/teams", q)
        self.play_games = [g.id for g in self.season.games[:6]]
        self.plays = {gid: api.query(f"/plays/game/{gid}") for gid in self.play_games}
        self.clean_plays = {gid: clean.query(f"/plays/game/{gid}") for gid in self.play_games}
        root = cfg.bronze.root
        write_response(root, "games", SEASON, self.games_first, name="first", fetched_at=EARLY, run_id="r1")
        write_response(root, "games", SEASON, self.games_later, name="later", fetched_at=LATE, run_id="r2")
        write_response(root, "games", SEASON, self.window_a, name="win_a", fetched_at=LATE, run_id="r2")
        write_response(root, "games", SEASON, self.window_b, name="win_b", fetched_at=LATE, run_id="r2")
        write_response(root, "lines", SEASON, self.lines, name="lines", fetched_at=LATE)
        write_response(root, "games_teams", SEASON, self.boxes, name="boxes", fetched_at=LATE)
        write_response(root, "stats_team_season", SEASON, self.team_stats, name="ts", fetched_at=LATE)
        write_response(root, "stats_player_season", SEASON, self.player_stats, name="ps", fetched_at=LATE)
        write_response(root, "teams", SEASON, self.teams, name="teams", fetched_at=LATE)
        for gid, plays in self.plays.items():
            write_response(root, "plays_game", SEASON, plays, name=f"p{gid}", fetched_at=LATE)
        self.reports: dict[str, dict[str, Any]] = {}
        for job in ("silver_games", "silver_team_game_stats"):
            self.reports[job] = run_job(make_context(job, cfg, spark=spark, season=SEASON))
        ctx = make_context("silver_games", cfg, spark=spark, season=SEASON)
        for table in ("silver.game_lines", "silver.plays", "silver.team_season_stats",
                      "silver.player_season_stats", "silver.teams"):
            self.reports[table] = run_silver(ctx, silver_source(get_endpoint_table(table)), season=SEASON)

    def rows(self, table: str, where: str = "true") -> list[Any]:
        return self.spark.table(self.cfg.table(table)).where(where).collect()

    def quarantine(self, table: str) -> list[Any]:
        return self.rows("meta.quarantine", f"target_table = '{table}'")


@pytest.fixture(scope="module")
def fetched(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetched]:
    from cbbd_etl.spark import attach_catalog, ensure_namespaces
    from conftest import make_cfg

    cfg = make_cfg(tmp_path_factory.mktemp(f"facts{uuid.uuid4().hex[:6]}"))
    attach_catalog(spark, cfg)
    ensure_namespaces(spark, cfg)
    yield Fetched(spark, cfg)


def spark_test(fn: Any) -> Any:
    """Tests on the shared lake: real Spark; the one load takes about a minute on 2 busy cores (slow)."""
    return pytest.mark.slow(pytest.mark.spark(fn))


# ---------------------------------------------------------------------------------------------- time
@spark_test
def test_fact01_start_moves_between_fetches_and_silver_keeps_the_latest(fetched: Fetched) -> None:
    first = {r["id"]: r for r in fetched.games_first}
    later = {r["id"]: r for r in fetched.games_later}
    moved = [gid for gid in first if first[gid]["startDate"] != later[gid]["startDate"]
             and gid in fetched.clean_games]
    assert moved, "some games must come back Eastern-labelled-Z on the first fetch"
    for gid in moved:
        assert later[gid]["startDate"] == fetched.clean_games[gid]["startDate"]      # later fetch: true UTC
        shift = _utc(later[gid]["startDate"]) - _utc(first[gid]["startDate"])
        assert shift in (dt.timedelta(hours=4), dt.timedelta(hours=5))
    rows = {r["game_id"]: r for r in fetched.rows("silver.games")}
    assert len(rows) == len(fetched.clean_games)                                    # one row per game
    for gid in moved:
        assert rows[gid]["start_date"] == _utc(fetched.clean_games[gid]["startDate"]).replace(tzinfo=None)


@spark_test
def test_fact02_wallclock_is_eastern_labelled_z_and_may_be_null(fetched: Fetched) -> None:
    for gid in fetched.play_games:
        got = {p["id"]: p["wallclock"] for p in fetched.plays[gid]}
        clean = {p["id"]: p["wallclock"] for p in fetched.clean_plays[gid]}
        assert sum(v is None for v in got.values()) == 1
        assert all(got[i] == eastern_as_z(clean[i]) for i in got if got[i] is not None)
    rows = fetched.rows("silver.plays")
    nulls = [r for r in rows if r["wallclock"] is None]
    assert len(nulls) == len(fetched.play_games)                     # kept, not quarantined
    some = next(p for p in fetched.plays[fetched.play_games[0]] if p["wallclock"])
    row = next(r for r in rows if r["play_id"] == some["id"])
    assert row["wallclock"] == _utc(some["wallclock"]).replace(tzinfo=None)   # kept as sent (Eastern wall time)


@spark_test
def test_fact03_plays_arrive_out_of_order_and_sort_by_period_clock_id(fetched: Fetched) -> None:
    gid = fetched.play_games[0]
    got, clean = fetched.plays[gid], fetched.clean_plays[gid]
    assert [p["id"] for p in got] != [p["id"] for p in clean]
    ordered = sorted(got, key=lambda p: (p["period"], -p["secondsRemaining"], p["id"]))
    assert [p["id"] for p in ordered] == [p["id"] for p in clean]
    assert len(fetched.rows("silver.plays", f"game_id = {gid}")) == len(clean)


@spark_test
def test_fact04_lines_start_differs_from_games_and_silver_joins_on_game_id(fetched: Fetched) -> None:
    real = [r for r in fetched.lines if r["gameId"] != -1]
    off = [r for r in real if r["startDate"] != fetched.clean_games[r["gameId"]]["startDate"]]
    assert off and all(dt.timedelta(0) < _utc(r["startDate"]) - _utc(fetched.clean_games[r["gameId"]]["startDate"])
                       < dt.timedelta(minutes=10) for r in off)
    games = {r["game_id"] for r in fetched.rows("silver.games")}
    line_games = {r["game_id"] for r in fetched.rows("silver.game_lines")}
    assert line_games == {r["gameId"] for r in real} and line_games <= games


@spark_test
def test_fact05_game_date_is_the_eastern_date(fetched: Fetched) -> None:
    rows = fetched.rows("silver.games")
    evening = 0
    for r in rows:
        utc = r["start_date"].replace(tzinfo=dt.timezone.utc)
        assert r["game_date"] == utc.astimezone(EASTERN).date()
        evening += r["game_date"] != utc.date()
    assert evening > 0, "some tip-offs are after 7 pm Eastern (the next UTC day)"


@spark_test
def test_fact06_season_is_the_ending_year_and_conference_tournaments_are_regular(fetched: Fetched) -> None:
    demo = simulate_season(SEASON, "demo", SEED).games
    conf_tourney = [g for g in demo if g.game_type == "TRNMNT" and g.tournament is None]
    assert conf_tourney and all(g.season_type == "regular" for g in conf_tourney)
    assert all(g.season_type == "postseason" for g in demo if g.tournament == "NCAA")
    rows = fetched.rows("silver.games")
    assert {r["season"] for r in rows} == {SEASON}
    assert min(r["game_date"] for r in rows).year == SEASON - 1


# ---------------------------------------------------------------------------------------------- nulls, sentinels
@spark_test
def test_fact07_falsy_line_numbers_become_null_and_silver_keeps_null(fetched: Fetched) -> None:
    assert all(v != 0 for r in fetched.lines for line in r["lines"] for v in line.values() if v is not None)
    pickem = {"gameId": 1, "season": SEASON, "startDate": "2024-01-01T00:00:00.000Z",
              "lines": [{"provider": "ESPN BET", "spread": 0.0, "overUnder": 140.5, "homeMoneyline": -110,
                         "awayMoneyline": -110, "spreadOpen": 0.0, "overUnderOpen": 141.0}]}
    sent = present("lines", [pickem], fetched.season, RealismOptions(moneyline_null_share=0.0,
                                                                         opening_lines_from=2000,
                                                                         lines_start_shift_share=0.0),
                   FetchLog(), {})
    assert sent[0]["lines"][0]["spread"] is None and sent[0]["lines"][0]["spreadOpen"] is None
    assert sent[0]["lines"][0]["overUnder"] == 140.5
    assert pickem["lines"][0]["spread"] == 0.0                       # the input record is not mutated
    rows = fetched.rows("silver.game_lines")
    assert not any(r["spread"] == 0 for r in rows)
    assert not any("spread" in q["reason"] for q in fetched.quarantine("silver.game_lines"))


@spark_test
def test_fact08_sentinels_are_quarantined_or_nulled(fetched: Fetched) -> None:
    sentinel_games = [r for r in fetched.games_later if r["awayTeamId"] == -1]
    assert sentinel_games and all(r["awayTeam"] == "" for r in sentinel_games)
    assert not fetched.rows("silver.games", "home_team_id = -1 or away_team_id = -1")
    q = [r for r in fetched.quarantine("silver.games") if r["reason"] == SENTINEL_TEAM]
    assert {int(r["natural_key"]) for r in q} == {r["id"] for r in sentinel_games}
    sentinel_lines = [r for r in fetched.lines if r["gameId"] == -1]
    assert sentinel_lines and all(r["season"] == -1 for r in sentinel_lines)
    assert not fetched.rows("silver.game_lines", "game_id = -1")
    assert fetched.quarantine("silver.game_lines")
    blank = [p for ps in fetched.plays.values() for p in ps if p["gameSourceId"] == ""]
    assert blank and all(p["gameType"] == "" for p in blank)
    rows = fetched.rows("silver.plays", "game_source_id is null")
    assert len(rows) == len(blank) and all(r["game_type"] is None for r in rows)
    assert fetched.rows("silver.plays", "game_source_id = ''") == []


@spark_test
def test_fact09_plays_without_team_shots_and_assists_keep_their_nulls(fetched: Fetched) -> None:
    plays = [p for ps in fetched.plays.values() for p in ps]
    assert any(p["teamId"] is None and p["isHomeTeam"] is None for p in plays)
    ft = [p for p in plays if p["shotInfo"] and p["shotInfo"]["location"] == {"y": None, "x": None}]
    unassisted = [p for p in plays if p["shotInfo"] and p["shotInfo"]["assistedBy"] == {"name": None, "id": None}]
    assert ft and unassisted
    assert len(fetched.rows("silver.plays", "team_id is null")) == sum(p["teamId"] is None for p in plays)
    row = fetched.rows("silver.plays", f"play_id = {ft[0]['id']}")[0]
    assert row["shot_info_location_x"] is None and row["shot_info_location_y"] is None
    assert fetched.reports["silver.plays"]["quarantined"] == 0


@spark_test
def test_fact10_elo_absent_in_early_captures_filled_by_later_fetch(fetched: Fetched) -> None:
    without = [r for r in fetched.games_first if not all(k in r for k in ELO_KEYS)]
    assert without and all(all(k in r for k in ELO_KEYS) for r in fetched.games_later)
    rows = {r["game_id"]: r for r in fetched.rows("silver.games")}
    for r in without:
        if r["awayTeamId"] == -1:
            continue
        assert rows[r["id"]]["home_team_elo_start"] == fetched.clean_games[r["id"]]["homeTeamEloStart"]
    reasons = {q["reason"] for q in fetched.quarantine("silver.games")}
    assert reasons == {SENTINEL_TEAM}                          # missing keys are drift, not bad records


@spark_test
def test_fact11_moneylines_often_null_opening_lines_only_from_2026(fetched: Fetched) -> None:
    lines = [line for r in fetched.lines if r["gameId"] != -1 for line in r["lines"]]
    share = sum(line["homeMoneyline"] is None for line in lines) / len(lines)
    assert 0.15 <= share <= 0.45, share
    assert all(line["spreadOpen"] is None and line["overUnderOpen"] is None for line in lines)
    assert any(" " in line["provider"] for line in lines)
    rows = fetched.rows("silver.game_lines")
    assert len(rows) == len(lines)
    assert sum(r["home_moneyline"] is None for r in rows) == sum(line["homeMoneyline"] is None for line in lines)


@spark_test
def test_fact12_non_d1_rows_are_kept_and_flagged(fetched: Fetched) -> None:
    non_d1 = [r for r in fetched.team_stats if r["conference"] is None]
    assert non_d1 and all(r["games"] == 1 for r in non_d1)
    assert any(r["teamStats"]["possessions"] == 0 and r["teamStats"]["rating"] is None for r in non_d1)
    rows = fetched.rows("silver.team_season_stats")
    assert len(rows) == len(fetched.team_stats)
    flagged = [r for r in rows if r["is_division_i"] is False]
    assert len(flagged) == len(non_d1) and all(r["conference"] is None for r in flagged)
    assert sum(r["is_division_i"] is True for r in rows) == len(fetched.season.league.teams)


@spark_test
def test_fact13_scheduled_games_show_0_0_and_silver_nulls_the_score(fetched: Fetched, spark: Any,
                                                                    tmp_path: Path) -> None:
    from cbbd_etl.spark import attach_catalog, ensure_namespaces
    from conftest import make_cfg

    clean = next(iter(fetched.clean_games.values()))
    scheduled = {**clean, "id": 777, "status": "scheduled", "homePoints": None, "awayPoints": None,
                 "homeWinner": None, "awayWinner": None}
    sent = present("games", [scheduled, {**clean, "id": 778}], fetched.season, RealismOptions.off(), FetchLog(), {})
    assert sent[0]["homePoints"] is None                                 # realism off: untouched
    sent = present("games", [scheduled, {**clean, "id": 778}], fetched.season, RealismOptions(), FetchLog(), {})
    assert (sent[0]["homePoints"], sent[0]["awayPoints"]) == (0, 0)
    cfg = make_cfg(tmp_path)
    attach_catalog(spark, cfg)
    ensure_namespaces(spark, cfg)
    write_response(cfg.bronze.root, "games", SEASON, sent, name="sched")
    run_job(make_context("silver_games", cfg, spark=spark, season=SEASON))
    rows = {r["game_id"]: r for r in spark.table(cfg.table("silver.games")).collect()}
    assert rows[777]["home_points"] is None and rows[777]["away_points"] is None
    assert rows[777]["home_winner"] is None
    assert rows[778]["home_points"] == clean["homePoints"]


# ---------------------------------------------------------------------------------------------- types
@spark_test
def test_fact14_integers_where_floats_were_load_as_double_without_quarantine(fetched: Fetched) -> None:
    paces = [r["pace"] for r in fetched.boxes]
    effs = [r["teamStats"]["fourFactors"]["effectiveFieldGoalPct"] for r in fetched.boxes]
    assert any(isinstance(v, int) for v in paces + effs) and any(isinstance(v, float) for v in paces + effs)
    assert fetched.reports["silver_team_game_stats"]["quarantined"] == 0
    rows = {(r["game_id"], r["team_id"]): r for r in fetched.rows("silver.team_game_stats")}
    for key, clean in fetched.clean_boxes.items():
        assert rows[key]["pace"] == pytest.approx(clean["pace"])
        assert rows[key]["team_efg_pct"] == pytest.approx(clean["teamStats"]["fourFactors"]["effectiveFieldGoalPct"])


@spark_test
def test_fact15_source_ids_are_strings_kept_as_strings(fetched: Fetched) -> None:
    unknown = [r for r in fetched.teams if r["sourceId"].startswith("UNKNOWN#")]
    assert unknown and 0.04 <= len(unknown) / len(fetched.teams) <= 0.2
    plays = [p for ps in fetched.plays.values() for p in ps]
    assert all(len(p["sourceId"]) == 18 and p["sourceId"].isdigit() for p in plays)
    schema = {f.name: f.dataType.simpleString() for f in fetched.spark.table(fetched.cfg.table("silver.teams")).schema}
    assert schema["source_id"] == "string"
    kept = {r["source_id"] for r in fetched.rows("silver.teams")}
    assert {r["sourceId"] for r in unknown} <= kept
    assert {p["sourceId"] for p in plays} == {r["source_id"] for r in fetched.rows("silver.plays")}


@spark_test
def test_fact16_unrounded_floats_are_kept_as_sent(fetched: Fetched) -> None:
    scores = [r["teamStats"]["gameScore"] for r in fetched.boxes]
    assert any(round(v, 1) != v for v in scores)                      # e.g. 51.900000000000006
    rows = {(r["game_id"], r["team_id"]): r for r in fetched.rows("silver.team_game_stats")}
    for r in fetched.boxes:
        clean = fetched.clean_boxes[(r["gameId"], r["teamId"])]["teamStats"]["gameScore"]
        got = rows[(r["gameId"], r["teamId"])]["team_game_score"]
        assert got == r["teamStats"]["gameScore"] and abs(got - clean) < 1e-9


@spark_test
def test_fact17_porpag_maps_to_a_snake_case_column(fetched: Fetched) -> None:
    assert all("PORPAG" in r for r in fetched.player_stats)
    rows = {(r["team_id"], r["athlete_id"]): r for r in fetched.rows("silver.player_season_stats")}
    for r in fetched.player_stats[:20]:
        assert rows[(r["teamId"], r["athleteId"])]["porpag"] == pytest.approx(r["PORPAG"])


# ---------------------------------------------------------------------------------------------- semantics
@spark_test
def test_fact18_four_factors_recomputed_from_counts_whatever_the_api_units(fetched: Fetched) -> None:
    r = fetched.boxes[0]
    st = r["teamStats"]
    assert st["fourFactors"]["turnoverRatio"] == round(100 * st["turnovers"]["total"] / st["possessions"], 1)
    assert st["fourFactors"]["offensiveReboundPct"] == round(100 * st["rebounds"]["offensive"]
                                                             / st["rebounds"]["total"], 1)
    season_ratios = [x["teamStats"]["fourFactors"]["turnoverRatio"] for x in fetched.team_stats
                     if x["teamStats"]["fourFactors"]["turnoverRatio"] is not None]
    assert all(0.0 <= v < 1.0 and round(v, 1) == v for v in season_ratios)
    rows = {(x["game_id"], x["team_id"]): x for x in fetched.rows("silver.team_game_stats")}
    for key, clean in fetched.clean_boxes.items():
        t, o = clean["teamStats"], clean["opponentStats"]
        row = rows[key]
        assert row["team_tov_ratio"] == pytest.approx(t["turnovers"]["total"] / t["possessions"])
        assert row["team_oreb_pct"] == pytest.approx(
            100 * t["rebounds"]["offensive"] / (t["rebounds"]["offensive"] + o["rebounds"]["defensive"]))
        assert row["opp_oreb_pct"] == pytest.approx(
            100 * o["rebounds"]["offensive"] / (o["rebounds"]["offensive"] + t["rebounds"]["defensive"]))


@spark_test
def test_fact19_rating_is_unadjusted_points_per_100_possessions(fetched: Fetched) -> None:
    for r in fetched.rows("silver.team_game_stats"):
        assert r["team_rating"] == pytest.approx(100 * r["team_points"] / r["team_possessions"], abs=0.2)


@spark_test
def test_fact20_historical_conference_comes_from_game_rows(fetched: Fetched) -> None:
    s = fetched.season
    for r in fetched.rows("silver.games"):
        assert r["home_conference"] == s.conference_abbr(r["home_team_id"])
    assert "snapshot" in get_endpoint_table("silver.teams").spec.comment


@spark_test
def test_fact21_school_names_are_not_unique_and_silver_keys_on_ids(fetched: Fetched) -> None:
    by_name: dict[str, set[int]] = {}
    for r in fetched.rows("silver.teams"):
        by_name.setdefault(r["school"], set()).add(r["team_id"])
    twice = {n: ids for n, ids in by_name.items() if len(ids) > 1}
    assert twice, "a D1 and a non-D1 team share a school name"
    d1 = {t.school for t in fetched.season.league.teams}
    assert set(twice) <= d1
    assert len(fetched.rows("silver.teams")) == len(fetched.teams)


def test_fact22_ratings_are_undated_end_of_season_snapshots() -> None:
    api = SimulatedApi(SEASON, "tiny", SEED)
    for path in ("/ratings/adjusted", "/ratings/srs", "/ratings/elo"):
        recs = api.query(path, {"season": str(SEASON)})
        assert recs and not any("date" in k.lower() for r in recs for k in r)
    for table in ("silver.ratings_adjusted", "silver.ratings_srs", "silver.ratings_elo"):
        spec = get_endpoint_table(table).spec
        assert spec.keys == ("season", "team_id")
        assert not [c for c in spec.columns if c.type in ("DATE", "TIMESTAMP")]


def test_fact23_neutral_sites_are_common() -> None:
    games = simulate_season(SEASON, "demo", SEED).games
    share = sum(g.neutral for g in games) / len(games)
    assert 0.05 <= share <= 0.25, share


# ---------------------------------------------------------------------------------------------- volume
def test_fact24_games_stop_at_the_cap_ordered_by_start_and_the_planner_sees_it() -> None:
    assert get_endpoint("games").cap == 3000
    records = SimulatedApi(SEASON, "tiny", SEED, realism=False).query("/games", {"season": str(SEASON)})
    assert [r["startDate"] for r in records] == sorted(r["startDate"] for r in records)
    first = cap_games(records, 10)
    assert [r["id"] for r in first] == [r["id"] for r in records[:10]]
    at_cap = [{"id": i} for i in range(3000)]
    assert is_saturated("games", at_cap) and not is_saturated("games", at_cap[:-1])


@spark_test
def test_fact25_overlapping_pulls_duplicate_and_silver_keeps_one_row_per_key(fetched: Fetched) -> None:
    ids_a = {r["id"] for r in fetched.window_a}
    ids_b = {r["id"] for r in fetched.window_b}
    assert ids_a & ids_b
    report = fetched.reports["silver_games"]
    assert report["duplicates"] > 0 and report["reconciled"]
    rows = fetched.rows("silver.games")
    assert len(rows) == len({r["game_id"] for r in rows}) == len(fetched.clean_games)


def test_realism_switch_off_serves_the_clean_records() -> None:
    """``realism=False`` is the clean truth: every response equals the season's records."""
    api = SimulatedApi(SEASON, "tiny", SEED, realism=False)
    s = simulate_season(SEASON, "tiny", SEED)
    assert api.query("/games", {"season": str(SEASON)}) == s.records("games")
    assert api.query("/stats/team/season", {"season": str(SEASON)}) == s.records("stats_team_season")
    assert json.dumps(api.query("/lines", {"season": str(SEASON)})) == json.dumps(s.records("lines"))
    realistic = SimulatedApi(SEASON, "tiny", SEED)
    assert realistic.query("/games", {"season": str(SEASON)}) != s.records("games")
    # the realism layer never changes a game's result
    for r in realistic.query("/games", {"season": str(SEASON)}):
        if r["awayTeamId"] != -1:
            g = s.game_by_id[r["id"]]
            assert (r["homePoints"], r["awayPoints"]) == g.outcome.points


def test_serve_sim_realism_switch_over_http() -> None:
    """The switch reaches the wire: ``serve_sim(realism=False)`` (``serve-sim --no-realism``) serves the clean
    records, the default serves the real API's shapes (an early capture lacks Elo on the first fetch)."""
    import urllib.request

    from cbbd_etl.api.server import serve_sim
    from cbbd_etl.cli import build_parser

    assert build_parser().parse_args(["serve-sim", "--no-realism"]).no_realism is True
    assert build_parser().parse_args(["serve-sim"]).no_realism is False
    clean = simulate_season(SEASON, "tiny", SEED).records("games")
    got = {}
    for realism in (False, True):
        with serve_sim(season=SEASON, size="tiny", seed=SEED, realism=realism) as srv:
            req = urllib.request.Request(f"{srv.url}/games?season={SEASON}",
                                         headers={"Authorization": f"Bearer {srv.api_key}"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                got[realism] = json.loads(resp.read())
    assert got[False] == json.loads(json.dumps(clean))
    assert any(not all(k in r for k in ELO_KEYS) for r in got[True])
