"""The season simulator: determinism, sizes, internal consistency, API behaviour and realism.

Why these checks: downstream code (bronze ingestion, silver reconciliation,
ratings) is tested *against* the simulator, so the simulator itself must be
exactly consistent (plays add up to box scores, players to teams,
substitutions to ``onFloor``), behave like the API (filters, caps, 400/404),
and be realistic enough that a rating method recovering its latent truth
means something. CPU time (not wall time) bounds the speed checks, so a busy
machine does not make them flaky.
"""
from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from cbbd_etl.api.endpoints import ENDPOINTS
from cbbd_etl.metrics import spearman
from cbbd_etl.sim import SIZES, SimQueryError, SimulatedApi, known_paths, simulate_season
from cbbd_etl.sim.season import SimulatedSeason, build_all

REPO = Path(__file__).resolve().parents[1]
SEASON, SEED = 2024, 7


@pytest.fixture(scope="module")
def tiny() -> SimulatedSeason:
    return simulate_season(SEASON, "tiny", SEED)


@pytest.fixture(scope="module")
def demo() -> SimulatedSeason:
    return simulate_season(SEASON, "demo", SEED)


def _digest(season: SimulatedSeason, slugs: list[str]) -> str:
    h = hashlib.sha256()
    for slug in slugs:
        h.update(json.dumps(season.records(slug), sort_keys=True).encode())
    return h.hexdigest()


# ---------------------------------------------------------------- sizes, determinism, speed
def test_public_contract() -> None:
    assert set(SIZES) == {"tiny", "demo", "full"}
    assert sorted(known_paths()) == sorted(e.path for e in ENDPOINTS) and len(known_paths()) == 40
    assert simulate_season(SEASON, "tiny", SEED) is simulate_season(SEASON, "tiny", SEED)   # cached
    with pytest.raises(ValueError):
        simulate_season(SEASON, "huge", SEED)


def test_tiny_builds_every_endpoint() -> None:
    # How fast belongs to `make bench`, not to a timed test (a CPU bound fails on a loaded machine).
    season = SimulatedSeason(SEASON, "tiny", SEED)
    counts = build_all(season)
    assert 8 <= len(season.league.teams) <= 12 and len(season.league.conferences) == 2
    assert all(n >= 1 for n in counts.values()), {k: n for k, n in counts.items() if n < 1}
    per_team = defaultdict(int)
    for g in season.games:
        per_team[g.home_id] += 1
        per_team[g.away_id] += 1
    assert min(per_team.values()) >= 5


def test_same_seed_same_json_other_seed_other_json(tiny: SimulatedSeason) -> None:
    slugs = ["games", "games_players", "teams_roster", "rankings", "lines"]
    again = SimulatedSeason(SEASON, "tiny", SEED)
    assert _digest(again, slugs) == _digest(tiny, slugs)
    game = tiny.games[len(tiny.games) // 2]
    assert json.dumps(again.game_records("plays", game.id)) == json.dumps(tiny.game_records("plays", game.id))
    assert _digest(SimulatedSeason(SEASON, "tiny", SEED + 1), slugs) != _digest(tiny, slugs)


def test_deterministic_across_processes(tiny: SimulatedSeason) -> None:
    """String hashing is salted per process; nothing may depend on it."""
    code = ("import hashlib, json; from cbbd_etl.sim import simulate_season as s; x = s(2024, 'tiny', 7); "
            "print(hashlib.sha256(json.dumps([x.records('games'), x.records('plays_game')[:500], "
            "x.records('substitutions_team')[:200]], sort_keys=True).encode()).hexdigest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    expected = hashlib.sha256(json.dumps([tiny.records("games"), tiny.records("plays_game")[:500],
                                          tiny.records("substitutions_team")[:200]], sort_keys=True).encode())
    assert out.stdout.strip() == expected.hexdigest()


def test_full_season_games_without_plays() -> None:
    """Games and box scores of a full season never generate play-by-play (plays are built lazily per game).

    How fast that is belongs to ``make bench``, not to a timed test (a CPU bound fails on a loaded machine).
    """
    season = simulate_season(SEASON, "full", SEED)
    games = season.records("games")
    boxes = season.records("games_teams")
    assert len(season.league.teams) == 362 and len(season.league.conferences) == 32
    assert 5500 <= len(games) <= 6500 and len(boxes) == 2 * len(games)
    assert not season._details, "building games and box scores must not generate play-by-play"
    game = season.games[len(season.games) // 3]
    plays = season.game_records("plays_game", game.id)          # lazily, one game
    assert plays[-1]["homeScore"] == game.home_points and plays[-1]["awayScore"] == game.away_points
    assert len(season._details) == 1


def test_a_full_seasons_replay_past_the_lru_comes_back_from_its_packed_events() -> None:
    """Past the LRU of replays, a game's events come back from their packed copy, equal to a new replay."""
    from cbbd_etl.sim.engine import simulate_game
    from cbbd_etl.sim.season import _RECENT

    season = simulate_season(SEASON, "full", SEED)
    game = season.games[len(season.games) // 2]
    first = season.detail(game)
    for other in season.games[:_RECENT + 1]:
        season.detail(other)
    assert game.id not in season._details and game.id in season._packed_events
    again = season.detail(game)
    assert again is not first and again == first
    fresh = simulate_game(season.sides[game.home_id], season.sides[game.away_id], game.neutral,
                          season.truth.home_court_advantage, game.seed, record=True)
    assert again.events == fresh.events and len(again.events) > 300


def test_packing_every_replay_up_front_serves_each_game_without_simulating_it_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``pack_all_replays`` (run by the local server before it forks its render workers) replays each game once;
    afterwards every game's events come from the packed copy, equal to a fresh replay, with no engine call."""
    import cbbd_etl.sim.season as season_mod
    from cbbd_etl.sim.engine import simulate_game

    season = season_mod.SimulatedSeason(SEASON, "tiny", SEED)   # not the cached one: its caches change here
    assert season.pack_all_replays() == 0          # a season this small keeps its replays whole, lazily
    season._detail_cache = 3                       # as a full season's LRU is, relative to its games
    fresh = {g.id: simulate_game(season.sides[g.home_id], season.sides[g.away_id], g.neutral,
                                 season.truth.home_court_advantage, g.seed, record=True) for g in season.games}
    assert season.pack_all_replays() == len(season.games) and not season._details

    def no_engine(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a packed game was simulated again")

    monkeypatch.setattr(season_mod, "simulate_game", no_engine)
    for game in season.games:
        assert season.detail(game) == fresh[game.id]
    assert season.pack_all_replays() == 0          # nothing left to pack


# ---------------------------------------------------------------- consistency
def _team_plays(plays: list[dict[str, Any]], team_id: int, play_type: str | None = None) -> list[dict[str, Any]]:
    return [p for p in plays if p["teamId"] == team_id and (play_type is None or p["playType"] == play_type)]


def test_box_scores_players_plays_substitutions_lineups_agree(tiny: SimulatedSeason) -> None:
    for g in tiny.games:
        info = tiny.game_records("games", g.id)[0]
        teams = tiny.game_records("games_teams", g.id)
        players = tiny.game_records("games_players", g.id)
        plays = tiny.game_records("plays", g.id)
        subs = tiny.game_records("substitutions", g.id)
        lineups = tiny.game_records("lineups", g.id)
        assert [info["homePoints"], info["awayPoints"]] == [teams[0]["teamStats"]["points"]["total"],
                                                            teams[1]["teamStats"]["points"]["total"]]
        assert info["homePoints"] != info["awayPoints"]
        assert sum(info["homePeriodPoints"]) == info["homePoints"] and len(info["homePeriodPoints"]) >= 2
        for side, box in enumerate(teams):
            tid, ts = box["teamId"], box["teamStats"]
            assert box["opponentStats"] == teams[1 - side]["teamStats"]
            fg2, fg3, ft = ts["twoPointFieldGoals"], ts["threePointFieldGoals"], ts["freeThrows"]
            assert ts["points"]["total"] == 2 * fg2["made"] + 3 * fg3["made"] + ft["made"]
            assert ts["fieldGoals"]["made"] == fg2["made"] + fg3["made"]
            assert ts["fieldGoals"]["attempted"] == fg2["attempted"] + fg3["attempted"]
            assert ts["rebounds"]["total"] == ts["rebounds"]["offensive"] + ts["rebounds"]["defensive"]
            # plays realise the box score
            mine = _team_plays(plays, tid)
            assert sum(p["scoreValue"] for p in mine if p["scoringPlay"]) == ts["points"]["total"]
            shots = [p for p in mine if p["shootingPlay"] and p["playType"] != "MadeFreeThrow"]
            frees = _team_plays(plays, tid, "MadeFreeThrow")
            assert (len(shots), sum(p["scoringPlay"] for p in shots)) == (ts["fieldGoals"]["attempted"],
                                                                         ts["fieldGoals"]["made"])
            assert sum(p["scoreValue"] == 3 for p in shots) == fg3["attempted"]
            assert (len(frees), sum(p["scoringPlay"] for p in frees)) == (ft["attempted"], ft["made"])
            assert len(_team_plays(plays, tid, "Offensive Rebound")) == ts["rebounds"]["offensive"]
            assert len(_team_plays(plays, tid, "Defensive Rebound")) == ts["rebounds"]["defensive"]
            assert len(_team_plays(plays, tid, "Lost Ball Turnover")) == ts["turnovers"]["total"]
            assert len(_team_plays(plays, tid, "Steal")) == ts["steals"]
            assert len(_team_plays(plays, tid, "Block Shot")) == ts["blocks"]
            assert len(_team_plays(plays, tid, "PersonalFoul")) == ts["fouls"]["total"]
            assert sum(p["shotInfo"]["assisted"] for p in shots if p["scoringPlay"]) == ts["assists"]
            # players add up to the team
            rows = players[side]["players"]
            assert players[side]["teamId"] == tid and sum(r["starter"] for r in rows) == 5
            for key in ("points", "assists", "steals", "blocks", "turnovers", "fouls"):
                total = ts[key]["total"] if isinstance(ts[key], dict) else ts[key]
                assert sum(r[key] for r in rows) == total, key
            for key in ("fieldGoals", "twoPointFieldGoals", "threePointFieldGoals", "freeThrows"):
                for part in ("made", "attempted"):
                    assert sum(r[key][part] for r in rows) == ts[key][part], (key, part)
            for part in ("offensive", "defensive", "total"):
                assert sum(r["rebounds"][part] for r in rows) == ts["rebounds"][part]
            assert abs(sum(r["minutes"] for r in rows) - 5 * box["gameMinutes"]) <= 6
            # substitutions cover 5 players x the whole game; lineups add up to the team's points
            stints = [x for x in subs if x["teamId"] == tid]
            assert sum(x["subIn"]["secondsRemaining"] - x["subOut"]["secondsRemaining"] for x in stints) == \
                5 * 60 * box["gameMinutes"]
            units = [u for u in lineups if u["teamId"] == tid]
            assert sum(u["totalSeconds"] for u in units) == 60 * box["gameMinutes"]
            assert sum(u["teamStats"]["points"] for u in units) == ts["points"]["total"]
            assert sum(u["opponentStats"]["points"] for u in units) == box["opponentStats"]["points"]["total"]
            assert len({u["idHash"] for u in units}) == len(units)
        # every play: ten distinct players on the floor, participants among them, score never decreasing
        on = defaultdict(list)
        for x in subs:
            on[x["athleteId"]].append((x["subIn"]["period"], x["subIn"]["secondsRemaining"],
                                       x["subOut"]["secondsRemaining"]))
        last = (0, 0)
        for p in plays:
            floor = {f["id"] for f in p["onFloor"]}
            assert len(floor) == 10 and len(p["onFloor"]) == 10
            assert all(q["id"] in floor for q in p["participants"]), p
            assert all(any(per == p["period"] and a >= p["secondsRemaining"] >= b for per, a, b in on[f])
                       for f in floor), (g.id, p["period"], p["secondsRemaining"])
            assert p["homeScore"] >= last[0] and p["awayScore"] >= last[1]
            last = (p["homeScore"], p["awayScore"])
        assert last == (info["homePoints"], info["awayPoints"]) and plays[-1]["playType"] == "End Game"
        assert len({p["id"] for p in plays}) == len(plays)


def test_season_stats_add_up_to_box_scores(tiny: SimulatedSeason) -> None:
    boxes = tiny.records("games_teams")
    for rec in tiny.records("stats_team_season"):
        mine = [b for b in boxes if b["teamId"] == rec["teamId"]]
        assert rec["games"] == len(mine)
        assert rec["teamStats"]["points"]["total"] == sum(b["teamStats"]["points"]["total"] for b in mine)
        assert rec["wins"] == sum(b["teamStats"]["points"]["total"] > b["opponentStats"]["points"]["total"]
                                  for b in mine)
    player_points = sum(r["points"] for r in tiny.records("stats_player_season"))
    assert player_points == sum(b["teamStats"]["points"]["total"] for b in boxes)
    types = {t["name"] for t in tiny.records("plays_types")}
    assert {p["playType"] for p in tiny.records("plays_game")} <= types


# ---------------------------------------------------------------- the API
def test_query_filters(tiny: SimulatedSeason) -> None:
    api = SimulatedApi(SEASON, "tiny", SEED, realism=False)   # exact records; quirks: test_real_api_facts.py
    games = api.query("/games", {"season": "2024"})
    assert len(games) == len(tiny.games) and [g["id"] for g in games] == [g.id for g in tiny.games]
    team = tiny.league.teams[0]
    mine = api.query("/games", {"season": "2024", "team": team.school.upper()})
    assert mine and all(team.id in (g["homeTeamId"], g["awayTeamId"]) for g in mine)
    boxes = api.query("/games/teams", {"season": "2024", "team": team.school})
    assert len(boxes) == len(mine) and all(b["teamId"] == team.id for b in boxes)
    conf = tiny.league.conferences[0].abbreviation
    assert all(conf in (g["homeConference"], g["awayConference"])
               for g in api.query("/games", {"conference": conf.lower()}))
    post = api.query("/games", {"seasonType": "postseason"})
    assert post and all(g["seasonType"] == "postseason" and g["tournament"] == "NCAA" for g in post)
    assert api.query("/games", {"tournament": "ncaa", "season": "2024"}) == post
    start, end = games[5]["startDate"], games[10]["startDate"]
    window = api.query("/games", {"startDateRange": start, "endDateRange": end})
    assert window and all(start <= g["startDate"] <= end for g in window)
    assert api.query("/games", {"season": "2019"}) == [] and api.query("/games", {"team": "Nowhere"}) == []
    assert api.query("/games/teams", {"season": "2024.0"}) == tiny.records("games_teams")
    # plays by date (UTC day), by game, shooting plays only
    day = games[0]["startDate"][:10]
    by_date = api.query("/plays/date", {"date": day})
    assert by_date and all(p["gameStartDate"][:10] == day for p in by_date)
    gid = games[0]["id"]
    shooting = api.query(f"/plays/game/{gid}", {"shootingPlaysOnly": "true"})
    assert shooting and all(p["shootingPlay"] for p in shooting)
    assert len(shooting) < len(api.query(f"/plays/game/{gid}", {}))
    assert api.query("/plays/game/999999999", {}) == []
    # players: plays and substitutions of one player
    pid = tiny.game_records("games_players", gid)[0]["players"][0]["athleteId"]
    plays = api.query(f"/plays/player/{pid}", {"season": "2024"})
    assert plays and all(any(q["id"] == pid for q in p["participants"]) for p in plays)
    assert all(s["athleteId"] == pid for s in api.query(f"/substitutions/player/{pid}", {"season": "2024"}))
    # polls by short type, season stats by date range, shooting by conference
    assert {r["pollType"] for r in api.query("/rankings", {"season": "2024", "pollType": "ap"})} == {"AP Top 25"}
    early = api.query("/stats/team/season", {"season": "2024", "endDateRange": "2023-12-31T23:59:59Z"})
    full = api.query("/stats/team/season", {"season": "2024"})
    assert sum(r["games"] for r in early) < sum(r["games"] for r in full)
    shoot = api.query("/stats/team/shooting/season", {"season": "2024", "conference": conf})
    assert shoot and all(r["conference"] == conf for r in shoot)
    lineups = api.query("/lineups/team", {"season": "2024", "team": team.school,
                                          "endDateRange": "2023-12-31T23:59:59Z"})
    assert lineups and all(r["teamId"] == team.id for r in lineups)
    overview = api.query(f"/teams/{team.id}/season/2024/overview", {})
    assert isinstance(overview, dict) and overview["teamId"] == team.id
    assert isinstance(api.query("/teams/directory", {"season": "2024"}), dict)


def test_query_errors() -> None:
    api = SimulatedApi(SEASON, "tiny", SEED)
    cases = [
        ("/nope", {}, 404), ("/games/extra/thing", {}, 404),
        ("/plays/date", {}, 400), ("/plays/team", {"season": "2024"}, 400),
        ("/games", {"season": "twenty"}, 400), ("/games", {"seasonType": "bogus"}, 400),
        ("/games", {"status": "done"}, 400), ("/games", {"startDateRange": "yesterday"}, 400),
        ("/plays/game/abc", {}, 400), ("/plays/game/1", {"shootingPlaysOnly": "maybe"}, 400),
        ("/stats/team/shooting/season", {"season": "2024"}, 400), ("/stats/team/season", {}, 400),
        ("/teams/roster", {}, 400), ("/teams/999999/season/2024/overview", {}, 404),
    ]
    for path, params, status in cases:
        with pytest.raises(SimQueryError) as err:
            api.query(path, params)
        assert err.value.status == status, (path, params, err.value)
    assert api.query("/games", {"season": "2024", "unknownParam": "x"})   # undeclared parameters are ignored


def test_caps_count_games_like_the_api() -> None:
    """'Returns ... on the first 3000 games ... ordered by start date': box scores keep both teams per game."""
    full = simulate_season(SEASON, "full", SEED)
    api = SimulatedApi(SEASON, "full", SEED, realism=False)
    games = api.query("/games", {"season": "2024"})
    assert len(games) == 3000 and [g["id"] for g in games] == [g.id for g in full.games[:3000]]
    teams = api.query("/games/teams", {"season": "2024"})
    assert len({r["gameId"] for r in teams}) == 3000 and len(teams) == 6000
    players = api.query("/games/players", {"season": "2024"})
    assert len({r["gameId"] for r in players}) == 1000 and len(players) == 2000
    seen = {g["id"] for g in games}
    while len(games) == 3000:        # continue from the last start date, as the planner does
        games = api.query("/games", {"season": "2024", "startDateRange": games[-1]["startDate"]})
        seen |= {g["id"] for g in games}
    assert seen == {g.id for g in full.games}


def test_multiple_seasons_share_the_league() -> None:
    api = SimulatedApi(2024, "tiny", SEED, seasons=[2023, 2024])
    t23, t24 = api.query("/teams", {"season": "2023"}), api.query("/teams", {"season": "2024"})
    assert t23 == t24
    g23, g24 = api.query("/games", {"season": "2023"}), api.query("/games", {"season": "2024"})
    assert g23 and g24 and g23[0]["startDate"] < "2023-06-01" < g24[0]["startDate"]
    assert not {g["id"] for g in g23} & {g["id"] for g in g24}
    assert len(api.query("/games", {})) == len(g23) + len(g24)
    assert api.query("/ratings/srs", {"season": "2025"}) == []
    # a player keeps his id from one season to the next
    r23 = {p["id"] for r in api.query("/teams/roster", {"season": "2023"}) for p in r["players"]}
    r24 = {p["id"] for r in api.query("/teams/roster", {"season": "2024"}) for p in r["players"]}
    assert len(r23 & r24) > len(r24) / 2


# ---------------------------------------------------------------- realism against the truth
def test_truth_and_results_are_realistic(demo: SimulatedSeason) -> None:
    truth = demo.truth
    off = [t.offense for t in truth.teams.values()]
    de = [t.defense for t in truth.teams.values()]
    tempo = [t.tempo for t in truth.teams.values()]
    assert abs(statistics.mean(off)) < 0.01 and abs(statistics.mean(de)) < 0.01
    assert 5.5 < statistics.pstdev(off) < 9.5 and 5.0 < statistics.pstdev(de) < 9.5
    assert 66.0 < statistics.mean(tempo) < 70.0 and 1.8 < statistics.pstdev(tempo) < 4.0
    assert 2.5 <= truth.home_court_advantage <= 3.5
    games = demo.games
    assert 850 <= len(games) <= 1050
    home = [g for g in games if not g.neutral]
    home_win = sum(g.home_points > g.away_points for g in home) / len(home)
    assert 0.55 < home_win < 0.68, home_win
    assert 0.06 < 1 - len(home) / len(games) < 0.18
    points = [p for g in games for p in g.outcome.points]
    assert 66 < statistics.mean(points) < 78
    assert 0.01 < sum(g.outcome.periods > 2 for g in games) / len(games) < 0.10
    # observed efficiency follows the model: E[points per 100] = 104 + off - def (+- HCA)
    expected, actual = [], []
    for g in games:
        for side, (a, b) in enumerate(((g.home_id, g.away_id), (g.away_id, g.home_id))):
            poss = g.outcome.possessions[side]
            hca = 0.0 if g.neutral else (1 if side == 0 else -1) * truth.home_court_advantage / 2
            n = (truth.teams[a].tempo + truth.teams[b].tempo) / 2
            expected.append(104 + truth.teams[a].offense - truth.teams[b].defense + 100 * hca / n)
            actual.append(100.0 * g.outcome.points[side] / poss)
    assert abs(statistics.mean(actual) - statistics.mean(expected)) < 1.0
    mx, my = statistics.mean(expected), statistics.mean(actual)
    slope = sum((x - mx) * (y - my) for x, y in zip(expected, actual)) / sum((x - mx) ** 2 for x in expected)
    assert 0.9 < slope < 1.1, slope
    # the home edge in points is about the truth's HCA
    resid = [g.home_points - g.away_points - truth.expected_margin(g.home_id, g.away_id, True) for g in home]
    assert abs(statistics.mean(resid) - truth.home_court_advantage) < 1.5
    # margins scatter around the truth's expectation like real D1 games (10.6 around a fitted rating, 10.4-11
    # around closing lines; independent possessions alone would give ~13.5), and possessions match the tempos
    noise = [g.home_points - g.away_points - truth.expected_margin(g.home_id, g.away_id, g.neutral) for g in games]
    assert 9.5 < statistics.pstdev(noise) < 12.0 and abs(statistics.mean(noise)) < 1.0
    pace = [sum(g.outcome.possessions) / 2 * 2400 / g.outcome.seconds
            - (truth.teams[g.home_id].tempo + truth.teams[g.away_id].tempo) / 2 for g in games]
    assert abs(statistics.mean(pace)) < 0.4 and 2.0 < statistics.pstdev(pace) < 4.0
    # raw average margin already ranks teams like their true strength
    margin: dict[int, list[int]] = defaultdict(list)
    for g in games:
        margin[g.home_id].append(g.home_points - g.away_points)
        margin[g.away_id].append(g.away_points - g.home_points)
    ids = sorted(margin)
    rho = spearman([statistics.mean(margin[i]) for i in ids], [truth.teams[i].net for i in ids])
    assert rho > 0.8, rho
    # tempo shows in possessions
    poss = {i: statistics.mean(g.outcome.possessions[0 if g.home_id == i else 1] for g in demo.games_by_team[i])
            for i in ids}
    assert spearman([poss[i] for i in ids], [truth.teams[i].tempo for i in ids]) > 0.6


def test_derived_endpoints_follow_the_truth(demo: SimulatedSeason) -> None:
    truth = demo.truth
    adj = demo.records("ratings_adjusted")
    assert spearman([r["netRating"] for r in adj], [truth.teams[r["teamId"]].net for r in adj]) > 0.95
    srs = demo.records("ratings_srs")
    assert spearman([r["rating"] for r in srs], [truth.teams[r["teamId"]].net for r in srs]) > 0.95
    elo = demo.records("ratings_elo")
    assert spearman([r["elo"] for r in elo], [truth.teams[r["teamId"]].net for r in elo]) > 0.7
    lines = demo.records("lines")
    spread = [r["lines"][0]["spread"] for r in lines]
    result = [r["homeScore"] - r["awayScore"] for r in lines]
    assert spearman(spread, [-m for m in result]) > 0.5
    final = [r for r in demo.records("rankings") if r["seasonType"] == "postseason" and r["pollType"] == "AP Top 25"]
    assert len(final) == 21 and statistics.mean(truth.teams[r["teamId"]].net for r in final[:5]) > 12
    # recruits land where they play next season; transfers are on this season's roster
    nxt = simulate_season(SEASON + 1, "demo", SEED)
    ids_next = set(nxt.player_by_id)
    assert all(r["athleteId"] in ids_next for r in demo.records("recruiting_players"))
    on_roster = {(p.name, t) for t, ps in demo.rosters.items() for p in ps}
    assert all((f"{r['firstName']} {r['lastName']}", r["destination"]["id"]) in on_roster
               for r in demo.records("recruiting_portal"))
    drafted = {r["athleteId"] for r in demo.records("draft_picks")}
    assert drafted and drafted <= set(demo.player_by_id) and not drafted & ids_next


@pytest.mark.parametrize("utc,eastern", [
    ("2024-01-15T01:30:07.000Z", "2024-01-14T20:30:07.000Z"),   # EST (UTC-5) across midnight
    ("2024-07-01T23:05:09Z", "2024-07-01T19:05:09Z"),           # EDT (UTC-4)
    ("2024-03-10T06:59:59.000Z", "2024-03-10T01:59:59.000Z"),   # a second before DST begins (2 am EST)
    ("2024-03-10T07:00:00.000Z", "2024-03-10T03:00:00.000Z"),   # DST begins: 2 am becomes 3 am
    ("2024-11-03T05:59:59.000Z", "2024-11-03T01:59:59.000Z"),   # the last second of EDT
    ("2024-11-03T06:00:00.000Z", "2024-11-03T01:00:00.000Z"),   # EST again: 1 am comes twice
    ("2025-01-01T04:59:59.123Z", "2024-12-31T23:59:59.123Z"),   # across a year; fractions kept
])
def test_simulator_eastern_wallclock_by_hand(utc: str, eastern: str) -> None:
    """The simulator's fact-2 shift (hour-prefix cached) against hand-worked US-Eastern times."""
    from cbbd_etl.sim.realism import eastern_as_z

    assert eastern_as_z(utc) == eastern
