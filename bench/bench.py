"""``make bench``: how fast and how big the pipeline is on this machine, beside DuckDB, in one run.

Not a test: minutes of work that write ``bench/results.json`` and
``bench/results.md``. Everything runs here, against the local
CBBD-compatible simulator server on 127.0.0.1 (no AWS, no key):

1. ``api_calls_full_season``: a whole season through the daily DAG's jobs
   (ingest in backfill mode -> every silver job -> gap fill -> gold -> audit),
   calls counted at the server; ``fanout_calls_full_season`` is what the same
   data costs asked for one game at a time.
2. ``full_season_seconds`` and ``stages`` (each job's seconds, one SparkSession
   for the run as the local workflow runner does), ``full_season_peak_rss_gb``
   (this process and every child — the JVM — sampled from ``/proc``);
   ``full_season_cpu_seconds`` (the same tree's CPU) beside
   ``full_season_api_standin_cpu_seconds``: the local simulator's, which
   shares the cores during the ingest as a remote API would not.
3. ``incremental_day_seconds_{1,3}_season(s)``: one more game day through the
   daily chain into a lake holding one season, then one holding three.
4. DuckDB on the same files: bronze plays -> Parquet, and ``gold.team_season``
   built whole from the same silver data files (every column, the adjusted
   ratings from the project's NumPy solver fed by DuckDB, written as Parquet;
   checked equal to ours, ``team_season_duckdb_differences``) beside ours:
   the ``gold_team_season`` job recomputing its season in the warm session
   (``team_season_seconds``). ``team_season_profile_duckdb_seconds`` is
   DuckDB's raw profile alone, what this ratio used before. Ours for plays is
   ``silver_plays`` alone in the warm session into an empty table
   (``plays_silver_seconds``; DuckDB has the machine to itself too); its stage
   in the full run, which shares the cores, is ``plays_silver_stage_seconds``.
5. ``noop_job_seconds``: a silver job with nothing new in bronze, warm session.
6. A Glue bill estimate from the measured stage times and each job's declared
   workers (G.1X = 1 DPU, $0.44 per DPU-hour, 1-minute minimum per job run).

Usage: ``make bench [BENCH_ARGS="--size demo --skip incremental"]``; the incremental day alone:
``--skip full,noop,plays,duckdb`` (those three run in the full season's lake).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from cbbd_etl.demo import season_end  # the day after the simulated season's last game

HERE = Path(__file__).resolve().parent
DPU_HOUR_USD = 0.44
DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
BACKFILL_SEASONS = list(range(2010, 2027))
SECTIONS = ("full", "incremental", "duckdb", "noop", "plays")


# ------------------------------------------------------------------ machine and memory
def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def _children(pid: int) -> list[int]:
    out: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    try:
        for task in task_dir.iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    except OSError:
        pass
    return out


def _tree(root: int, exclude: frozenset[int] = frozenset()) -> Iterator[int]:
    """``root`` and all its live descendants, leaving out the pids in ``exclude`` with their descendants."""
    todo, seen = [root], set(exclude)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        yield pid
        todo.extend(_children(pid))


def tree_rss_bytes(root: int, exclude: frozenset[int] = frozenset()) -> int:
    """Resident memory of ``root`` and all its descendants (the JVM is a child of this Python).

    ``exclude``: pids left out with their descendants: the simulator's server process stands in for the
    remote API and is not the pipeline's memory.
    """
    total = 0
    for pid in _tree(root, exclude):
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")   # /proc/<pid>/stat counts CPU in these ticks


def tree_cpu_seconds(root: int, exclude: frozenset[int] = frozenset()) -> float:
    """CPU seconds (user + system) used so far by ``root``'s live tree and the children each has reaped.

    Why: the stand-in API shares the 2 cores with the pipeline during the ingest, which a remote API would not;
    the split says how much of ``full_season_seconds`` is the simulator's, not ours.
    """
    ticks = 0
    for pid in _tree(root, exclude):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 onwards
        ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / _CLOCK_TICKS


class PeakRss:
    """Samples the process tree's RSS every ``interval`` seconds in a daemon thread."""

    def __init__(self, interval: float = 0.25, exclude: frozenset[int] = frozenset()) -> None:
        self.interval = interval
        self.exclude = exclude
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(os.getpid(), self.exclude))
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes(os.getpid(), self.exclude))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return round(time.perf_counter() - t0, 2), out


def say(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def guarded(section: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one section; a failure is recorded as ``{section}_error`` so the other results are still written."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what broke instead of losing the run
        say(f"{section} failed: {type(exc).__name__}: {exc}")
        return {f"{section}_error": f"{type(exc).__name__}: {exc}"}


# ------------------------------------------------------------------ the lake under test
def _local_config() -> Any:
    from cbbd_etl.config import load_config

    return load_config(profile="local")


def bench_cfg(root: Path, shuffle: int | None = None) -> Any:
    from cbbd_etl.api.server import local_server_api

    cfg = _local_config()
    overrides: dict[str, Any] = {"lake.warehouse": str(root / "warehouse"), "bronze.root": str(root / "bronze"),
                                 **local_server_api(cfg), "api.monthly_call_budget": 100_000}
    if shuffle:
        overrides["spark.shuffle_partitions"] = shuffle
    return cfg.replace(**overrides)


def run_daily(cfg: Any, spark: Any, server: Any, season: int, as_of: dt.date, mode: str) -> Any:
    from cbbd_etl.workflow_runner import run_workflow

    return run_workflow(cfg, "daily", spark=spark, date=as_of, season=season,
                        options={"mode": mode, "base_url": server.url, "api_key": server.api_key,
                                 "progress": False}, progress=sys.stderr)


def stage_seconds(run: Any) -> dict[str, float]:
    return {j.job: j.seconds for j in run.jobs}


# ------------------------------------------------------------------ sections
def bench_full(args: argparse.Namespace, work: Path, spark_box: dict[str, Any]) -> dict[str, Any]:
    from cbbd_etl.api.server import SimServerProcess
    from cbbd_etl.log import register_secret

    cfg = bench_cfg(work / "full", args.shuffle)
    key = secrets.token_urlsafe(16)
    register_secret(key)
    out: dict[str, Any] = {"size": args.size, "season": args.season}
    # The simulator serves from its own process (as the real API is another machine), left out of the RSS.
    # The clock starts when it serves, as the real API does before a run: neither its simulation of the season
    # nor the harness's own (season_end: the date to run as of, ~5 s of a full season) is the pipeline's work.
    with SimServerProcess(season=args.season, size=args.size, seed=args.seed, api_key=key) as server:
        end = season_end(args.season, args.size, args.seed)
        _ = server.url
        standin = frozenset({server.pid})
        with PeakRss(exclude=standin) as rss:
            cpu0 = tree_cpu_seconds(os.getpid(), standin), tree_cpu_seconds(server.pid)
            t0 = time.perf_counter()
            run = run_daily(cfg, None, server, args.season, end, "backfill")
            out["full_season_seconds"] = round(time.perf_counter() - t0, 2)
            cpu1 = tree_cpu_seconds(os.getpid(), standin), tree_cpu_seconds(server.pid)
        stats = server.stats.snapshot()
    # The stand-in API's CPU in the same interval: cores it took from the pipeline (a real API is remote).
    out["full_season_cpu_seconds"] = round(cpu1[0] - cpu0[0], 1)
    out["full_season_api_standin_cpu_seconds"] = round(cpu1[1] - cpu0[1], 1)
    out["full_season_peak_rss_gb"] = round(rss.peak / 1024 ** 3, 2)
    out["api_calls_full_season"] = stats["total"]
    out["stages"] = stage_seconds(run)
    out["workflow_succeeded"] = run.succeeded
    out["failed_jobs"] = [j.job for j in run.jobs if j.status != "succeeded"]
    out["fanout_calls_full_season"] = fanout_calls(cfg, args.season, args.size)
    spark_box["cfg"] = cfg
    return out


def fanout_calls(cfg: Any, season: int, size: str) -> int:
    """What the same season costs asked one game at a time: the planner's dry-run per-game equivalent."""
    from cbbd_etl.bronze.ingest import ingest_endpoints

    summary = ingest_endpoints(cfg.replace(**{"bronze.root": str(Path(cfg.bronze.root).parent / "dry")}),
                               [season], None, dry_run=True, plan_source=f"sim:{size}", progress=False)
    return int(summary.per_game_fanout)


def bench_noop(args: argparse.Namespace, spark_box: dict[str, Any]) -> dict[str, Any]:
    from cbbd_etl.runner import make_context, run_job
    from cbbd_etl.spark import build_spark, ensure_namespaces

    cfg = spark_box["cfg"]
    spark = build_spark(cfg, app_name="cbbd_etl:bench")
    ensure_namespaces(spark, cfg)
    spark_box["spark"] = spark
    run_job(make_context("silver_games", cfg, spark=spark, season=args.season))   # warm: classes loaded, tables open
    seconds, report = timed(lambda: run_job(make_context("silver_games", cfg, spark=spark, season=args.season)))
    # reprocess: the job computes its season although nothing changed since the full run (which it would skip).
    seconds_tsg, _ = timed(lambda: run_job(make_context("gold_team_season", cfg, spark=spark, season=args.season,
                                                        options={"reprocess": True})))
    return {"noop_job_seconds": seconds, "noop_job": "silver_games", "noop_committed": report.get("committed"),
            "team_season_seconds": seconds_tsg}


def bench_plays_alone(args: argparse.Namespace, spark_box: dict[str, Any], work: Path) -> dict[str, Any]:
    """silver_plays alone in the warm session: the full season's bronze plays into an empty table of a fresh lake.

    The like-for-like partner of DuckDB's timing, which has the machine to itself: in the full run the
    stage shares 2 cores with the other silver jobs (``plays_silver_stage_seconds``).
    """
    from cbbd_etl.runner import make_context, run_job
    from cbbd_etl.spark import attach_catalog, build_spark, ensure_namespaces

    cfg = spark_box["cfg"].replace(**{"lake.warehouse": str(work / "plays_alone" / "warehouse"),
                                      "lake.catalog_name": "plays_alone"})
    spark = spark_box.get("spark") or build_spark(cfg, app_name="cbbd_etl:bench")
    spark_box["spark"] = spark
    attach_catalog(spark, cfg)
    ensure_namespaces(spark, cfg)
    seconds, report = timed(lambda: run_job(make_context("silver_plays", cfg, spark=spark, season=args.season)))
    return {"plays_silver_seconds": seconds, "plays_silver_rows": report.get("inserted"),
            "plays_silver_reconciled": report.get("reconciled")}


def _data_files(cfg: Any, logical: str) -> list[str]:
    """Current data files of an Iceberg table (pyiceberg, no JVM); copy-on-write tables have no delete files."""
    from cbbd_etl.lake_catalog import load_local_table

    tasks = list(load_local_table(cfg, logical).scan().plan_files())
    if any(t.delete_files for t in tasks):
        raise RuntimeError(f"{logical} has delete files; DuckDB comparison needs compacted data")
    return [t.file.file_path.removeprefix("file:") for t in tasks]


# The raw profile alone (the first 14 columns of gold.team_season, no adjusted ratings): what the bench timed
# up to stop 39, kept so its ratio stays comparable (``team_season_profile_duckdb_seconds``).
TEAM_SEASON_PROFILE_SQL = """
WITH final AS (SELECT game_id FROM games WHERE status = 'final' AND home_points IS NOT NULL
               AND away_points IS NOT NULL),
g AS (
  SELECT t.*, (team_fg_att - team_oreb + team_tov + 0.475 * team_ft_att) AS poss,
         (opp_fg_att - opp_oreb + opp_tov + 0.475 * opp_ft_att) AS opp_poss,
         coalesce(game_minutes, 40.0) AS minutes
  FROM tgs t JOIN final USING (game_id)
  WHERE team_points IS NOT NULL AND opp_points IS NOT NULL
)
SELECT season, team_id, count(*) AS games,
       sum(CASE WHEN team_points > opp_points THEN 1 ELSE 0 END) AS wins,
       sum(CASE WHEN team_points < opp_points THEN 1 ELSE 0 END) AS losses,
       sum(team_points) AS points_for, sum(opp_points) AS points_against,
       40 * sum((poss + opp_poss) / 2) / sum(minutes) AS tempo,
       100 * sum(team_points) / sum(poss) AS off_efficiency,
       100 * sum(opp_points) / sum(opp_poss) AS def_efficiency,
       (sum(team_fg_made) + 0.5 * sum(team_fg3_made)) / sum(team_fg_att) AS off_efg_pct,
       sum(team_tov) / sum(poss) AS off_tov_pct,
       sum(team_oreb) / (sum(team_oreb) + sum(opp_dreb)) AS off_oreb_pct,
       sum(team_ft_att) / sum(team_fg_att) AS off_ft_rate
FROM g GROUP BY season, team_id
"""

# Every column of gold.team_season but the solver's, written independently of lib/cbbd_etl/gold/team_season.py
# from the definitions in its docstring (docs/gold_layer_design.md): possessions and four factors over
# box-complete games only, minutes from the period count when not reported, names from each team's latest game.
_BOX_COMPLETE = " AND ".join(f"{side}_{c} IS NOT NULL" for side in ("team", "opp")
                             for c in ("fg_att", "oreb", "tov", "ft_att"))
_COUNTS = ("fg_made", "fg_att", "fg3_made", "ft_att", "tov", "oreb", "dreb")
TEAM_SEASON_PROFILE_FULL_SQL = f"""
WITH final AS (SELECT game_id FROM games WHERE season = $season AND status = 'final'
               AND home_points IS NOT NULL AND away_points IS NOT NULL),
g AS (
  SELECT t.season, t.team_id, t.team, t.conference, t.start_date, ({_BOX_COMPLETE}) AS box,
         CAST(team_points > opp_points AS INTEGER) AS w, CAST(team_points < opp_points AS INTEGER) AS l,
         coalesce(conference_game, false) AS conf,
         CASE WHEN neutral_site THEN 'neutral' WHEN is_home THEN 'home' ELSE 'away' END AS site,
         team_points AS pf, opp_points AS pa,
         coalesce(game_minutes, CASE WHEN len(team_points_by_period) > 2
                                     THEN 40.0 + (len(team_points_by_period) - 2) * 5.0 ELSE 40.0 END) AS minutes,
         team_fg_att - team_oreb + team_tov + 0.475 * team_ft_att AS tp,
         opp_fg_att - opp_oreb + opp_tov + 0.475 * opp_ft_att AS op,
         {", ".join(f"team_{c} AS t_{c}, opp_{c} AS o_{c}" for c in _COUNTS)}
  FROM tgs t JOIN final USING (game_id)
  WHERE t.season = $season AND team_points IS NOT NULL AND opp_points IS NOT NULL
),
s AS (
  SELECT season, team_id,
         arg_max(struct_pack(team := team, conference := conference), start_date) AS latest,
         CAST(count(*) AS INTEGER) AS games, CAST(sum(CASE WHEN box THEN 0 ELSE 1 END) AS INTEGER) AS missing,
         CAST(sum(w) AS INTEGER) AS wins, CAST(sum(l) AS INTEGER) AS losses,
         {", ".join(f"CAST(sum(CASE WHEN {cond} THEN {x} ELSE 0 END) AS INTEGER) AS {name}_{word}"
                    for name, cond in (("conf", "conf"), ("home", "site = 'home'"), ("away", "site = 'away'"),
                                       ("neutral", "site = 'neutral'"))
                    for x, word in (("w", "wins"), ("l", "losses")))},
         CAST(sum(pf) AS BIGINT) AS points_for, CAST(sum(pa) AS BIGINT) AS points_against,
         sum(minutes) AS minutes,
         sum(tp) FILTER (WHERE box) AS possessions, sum(op) FILTER (WHERE box) AS opp_possessions,
         sum((tp + op) / 2) FILTER (WHERE box) AS game_poss,
         sum(pf) FILTER (WHERE box) AS pf_box, sum(pa) FILTER (WHERE box) AS pa_box,
         sum(minutes) FILTER (WHERE box) AS box_minutes,
         {", ".join(f"sum({p}_{c}) FILTER (WHERE box) AS {p}_{c}" for p in ("t", "o") for c in _COUNTS)}
  FROM g GROUP BY season, team_id
),
r AS (
  SELECT *, CASE WHEN game_poss > 0 THEN 100.0 * pf_box / game_poss END AS off_eff,
            CASE WHEN game_poss > 0 THEN 100.0 * pa_box / game_poss END AS def_eff
  FROM s
)
SELECT season, team_id, latest.team AS team, latest.conference AS conference, games, wins, losses,
       conf_wins, conf_losses, home_wins, home_losses, away_wins, away_losses, neutral_wins, neutral_losses,
       points_for, points_against, points_for / games AS avg_points_for, points_against / games AS avg_points_against,
       (points_for - points_against) / games AS avg_margin, minutes, possessions, opp_possessions,
       CASE WHEN box_minutes > 0 THEN 40.0 * game_poss / box_minutes END AS tempo,
       off_eff AS off_efficiency, def_eff AS def_efficiency, off_eff - def_eff AS net_efficiency,
       CASE WHEN t_fg_att > 0 THEN (t_fg_made + 0.5 * t_fg3_made) / t_fg_att END AS off_efg_pct,
       CASE WHEN possessions > 0 THEN t_tov / possessions END AS off_tov_pct,
       CASE WHEN t_oreb + o_dreb > 0 THEN t_oreb / (t_oreb + o_dreb) END AS off_oreb_pct,
       CASE WHEN t_fg_att > 0 THEN t_ft_att / t_fg_att END AS off_ft_rate,
       CASE WHEN o_fg_att > 0 THEN (o_fg_made + 0.5 * o_fg3_made) / o_fg_att END AS def_efg_pct,
       CASE WHEN opp_possessions > 0 THEN o_tov / opp_possessions END AS def_tov_pct,
       CASE WHEN o_oreb + t_dreb > 0 THEN o_oreb / (o_oreb + t_dreb) END AS def_oreb_pct,
       CASE WHEN o_fg_att > 0 THEN o_ft_att / o_fg_att END AS def_ft_rate,
       missing AS games_missing_box, game_poss AS game_possessions, wins / games AS win_pct,
       pow(off_eff, 11.5) / (pow(off_eff, 11.5) + pow(def_eff, 11.5)) AS pythag_win_pct,
       wins / games - pow(off_eff, 11.5) / (pow(off_eff, 11.5) + pow(def_eff, 11.5)) AS luck
FROM r
"""
ADJUSTED_COLUMNS = ("sos", "adj_off", "adj_def", "adj_tempo", "adj_em", "adj_margin", "rank_adj_margin")


def duckdb_dicts(con: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """The rows of a DuckDB query as dicts by column name."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _silver_views(con: Any, games_files: list[str], tgs_files: list[str]) -> None:
    """``games`` and ``tgs``: DuckDB views over silver.games' and silver.team_game_stats' Parquet data files."""
    con.execute(f"CREATE OR REPLACE VIEW games AS SELECT * FROM read_parquet({games_files!r})")
    con.execute(f"CREATE OR REPLACE VIEW tgs AS SELECT * FROM read_parquet({tgs_files!r})")


def duckdb_team_season(con: Any, games_files: list[str], tgs_files: list[str], season: int, target: Path) -> int:
    """``gold.team_season`` for ``season`` by DuckDB from silver's Parquet files, written to ``target``.

    The whole table, as the Spark job builds it: DuckDB computes the profile and reads the rows the
    adjusted-ratings solver needs (this season's and, for the prior, the last one's); the solver is the
    project's NumPy code, which no SQL engine has, so both sides pay it alike.
    """
    import pyarrow as pa

    from cbbd_etl.gold.ratings import BOX_COLUMNS, GAME_COLUMNS, SeasonData, final_team_ratings, prior_from_season
    from cbbd_etl.gold.ratings_model import ModelParams

    _silver_views(con, games_files, tgs_files)

    def season_data(year: int) -> Any:
        return SeasonData.from_rows(
            year, duckdb_dicts(con, f"SELECT {', '.join(GAME_COLUMNS)} FROM games WHERE season = ?", [year]),
            duckdb_dicts(con, f"SELECT {', '.join(BOX_COLUMNS)} FROM tgs WHERE season = ?", [year]))

    params = ModelParams()
    data = season_data(season)
    prior = prior_from_season(data, season_data(season - 1), params) if len(data.games) else None
    adjusted = final_team_ratings(data, params, prior)
    adj = pa.Table.from_pylist([{"season": season, "team_id": tid, **{c: v[c] for c in ADJUSTED_COLUMNS}}
                                for tid, v in adjusted.items()],
                               schema=pa.schema([("season", pa.int32()), ("team_id", pa.int64()),
                                                 *[(c, pa.int32() if c == "rank_adj_margin" else pa.float64())
                                                   for c in ADJUSTED_COLUMNS]]))
    con.register("adjusted", adj)
    con.execute(f"COPY (SELECT p.*, {', '.join(f'a.{c}' for c in ADJUSTED_COLUMNS)} "
                f"FROM ({TEAM_SEASON_PROFILE_FULL_SQL}) p LEFT JOIN adjusted a USING (season, team_id)) "
                f"TO '{target}' (FORMAT parquet)", {"season": season})
    con.unregister("adjusted")
    return int(con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0])


def team_season_differences(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], columns: list[str],
                            rel: float = 1e-9) -> list[str]:
    """Where two builds of a season of ``gold.team_season`` disagree: ``"team_id column: ours != theirs"``.

    Floats match within ``rel`` (both engines sum in their own order); everything else exactly.
    """
    import math

    a = {r["team_id"]: r for r in ours}
    b = {r["team_id"]: r for r in theirs}
    out = [f"team {t} only in ours" for t in sorted(a.keys() - b.keys())]
    out += [f"team {t} only in theirs" for t in sorted(b.keys() - a.keys())]
    for t in sorted(a.keys() & b.keys()):
        for c in columns:
            x, y = a[t].get(c), b[t].get(c)
            same = (x == y if not (isinstance(x, float) or isinstance(y, float)) or x is None or y is None
                    else math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-12))
            if not same:
                out.append(f"{t} {c}: {x!r} != {y!r}")
    return out


def bench_duckdb(args: argparse.Namespace, spark_box: dict[str, Any], stages: dict[str, float],
                 work: Path) -> dict[str, Any]:
    import duckdb

    cfg = spark_box["cfg"]
    bronze = Path(cfg.bronze.root)
    # The endpoints silver.plays reads; bronze keeps each under its slug (plays_date, plays_game, ...).
    from cbbd_etl.api.endpoints import slug_of
    from cbbd_etl.silver.endpoint_tables import get_endpoint_table

    slugs = [slug_of(path) for path in get_endpoint_table("silver.plays").sources]
    plays = sorted(str(p) for slug in slugs if (bronze / slug).is_dir() for p in (bronze / slug).rglob("*.json.gz"))
    out: dict[str, Any] = {"duckdb_version": duckdb.__version__, "plays_bronze_files": len(plays)}
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 2}")
    if plays:
        target = work / "duckdb_plays.parquet"
        files = "[" + ", ".join(f"'{p}'" for p in plays) + "]"
        sec, _ = timed(lambda: con.execute(
            f"COPY (SELECT * FROM read_json({files}, format='array', union_by_name=true, "
            f"maximum_object_size=268435456)) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"))
        out["plays_duckdb_seconds"] = sec
        out["plays_duckdb_rows"] = con.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0]
    out["plays_silver_stage_seconds"] = stages.get("silver_plays")

    games = _data_files(cfg, "silver.games")
    tgs = _data_files(cfg, "silver.team_game_stats")

    def profile_only() -> int:
        _silver_views(con, games, tgs)
        return len(con.execute(TEAM_SEASON_PROFILE_SQL).fetchall())

    sec, _ = timed(profile_only)
    out["team_season_profile_duckdb_seconds"] = sec
    target = work / "duckdb_team_season.parquet"
    sec, rows = timed(lambda: duckdb_team_season(con, games, tgs, args.season, target))
    out.update({"team_season_duckdb_seconds": sec, "team_season_duckdb_rows": rows})
    # The two builds must agree, or the timing compares different work.
    from cbbd_etl.lake_catalog import load_local_table
    from cbbd_etl.tables import GOLD_TEAM_SEASON

    columns = GOLD_TEAM_SEASON.data_columns
    ours = (load_local_table(cfg, GOLD_TEAM_SEASON.name).scan(row_filter=f"season = {args.season}")
            .to_arrow().to_pylist())
    diffs = team_season_differences(ours, duckdb_dicts(con, f"SELECT * FROM '{target}'"), columns)
    out["team_season_duckdb_differences"] = len(diffs)
    if diffs:
        say(f"gold.team_season: DuckDB's build differs from ours in {len(diffs)} values, e.g. {diffs[:5]}")
    return out


def bench_incremental(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """One more game day into a lake of one season, then of three: the cost should follow the day, not history."""
    from cbbd_etl.api.server import serve_sim
    from cbbd_etl.sim import simulate_season
    from cbbd_etl.spark import build_spark, ensure_namespaces

    size = args.incremental_size
    season = args.season
    sim = simulate_season(season, size, args.seed)
    days = sorted({g.day for g in sim.games})
    day = days[len(days) // 2]
    out: dict[str, Any] = {"incremental_size": size, "incremental_day": day.isoformat()}
    for n_seasons in (1, 3):
        cfg = bench_cfg(work / f"inc{n_seasons}", args.shuffle)
        spark = build_spark(cfg, app_name=f"cbbd_etl:bench-inc{n_seasons}")
        ensure_namespaces(spark, cfg)
        history = list(range(season - n_seasons + 1, season))
        for past in history:
            say(f"incremental: loading history season {past} ({size})")
            with serve_sim(season=past, size=size, seed=args.seed) as srv:
                run_daily(cfg, spark, srv, past, season_end(past, size, args.seed), "backfill")
        with serve_sim(season=season, size=size, seed=args.seed, as_of=day) as srv:
            say(f"incremental: season {season} up to {day} ({n_seasons} season lake)")
            run_daily(cfg, spark, srv, season, day, "backfill")
            srv.set_as_of(day + dt.timedelta(days=1))
            before = srv.stats.snapshot()["total"]
            sec, run = timed(lambda: run_daily(cfg, spark, srv, season, day + dt.timedelta(days=1), "incremental"))
            calls = srv.stats.snapshot()["total"] - before
        key = "incremental_day_seconds_1_season" if n_seasons == 1 else "incremental_day_seconds_3_seasons"
        out[key] = sec
        out[f"incremental_day_calls_{n_seasons}"] = calls
        out[f"incremental_day_stages_{n_seasons}"] = stage_seconds(run)
        spark.stop()
    out["incremental_ratio"] = round(out["incremental_day_seconds_3_seasons"] / out["incremental_day_seconds_1_season"], 2)
    return out


def glue_bill(stages: dict[str, float]) -> dict[str, Any]:
    from cbbd_etl.registry import get_job

    per_job, total = {}, 0.0
    for job, seconds in stages.items():
        spec = get_job(job)
        dpus = DPU_PER_WORKER.get(spec.glue.worker_type, 1.0) * spec.glue.number_of_workers
        billed = max(60.0, seconds)
        usd = dpus * billed / 3600 * DPU_HOUR_USD
        per_job[job] = round(usd, 4)
        total += usd
    return {"per_job_usd": per_job, "total_usd": round(total, 3)}


# ------------------------------------------------------------------ report
GOALS = {
    "full_season_seconds": ("<=", 240), "full_season_peak_rss_gb": ("<=", 6), "plays_duckdb_ratio": ("<=", 1.5),
    "duckdb_ratio": ("<=", 3), "incremental_day_seconds_1_season": ("<=", 60), "incremental_ratio": ("<=", 1.3),
    "noop_job_seconds": ("<=", 2), "tables_seconds": ("<=", 3), "api_calls_full_season": ("<=", 1000),
}


def render_md(results: dict[str, Any]) -> str:
    lines = ["# make bench results", "", f"Run {results['started_at']} on {results['machine']['cores']} cores, "
             f"{results['machine']['memory_gb']} GB ({results['machine']['platform']}).", "",
             "| metric | value | goal | met |", "|---|---|---|---|"]
    for key, (op, goal) in GOALS.items():
        value = results.get(key)
        met = "" if value is None else ("yes" if value <= goal else "**no**")
        lines.append(f"| `{key}` | {value if value is not None else 'not measured'} | {op} {goal} | {met} |")
    lines += ["", "| other | value |", "|---|---|"]
    for key in ("fanout_calls_full_season", "full_season_cpu_seconds", "full_season_api_standin_cpu_seconds",
                "plays_silver_seconds", "plays_silver_stage_seconds",
                "plays_duckdb_seconds", "team_season_seconds",
                "team_season_duckdb_seconds", "team_season_duckdb_differences",
                "team_season_profile_duckdb_seconds", "duckdb_profile_ratio", "incremental_day_seconds_3_seasons",
                "incremental_day_calls_1", "incremental_day_calls_3", "noop_error", "plays_error", "duckdb_error",
                "incremental_error", "failed_jobs"):
        if key in results:
            lines.append(f"| `{key}` | {results[key]} |")
    if results.get("stages"):
        lines += ["", "## Full season, per stage (seconds)", "",
                  f"Up to {results.get('parallel_jobs', 1)} jobs ran at once (`spark.parallel_jobs`), so a stage's "
                  "seconds include the cores it shared; the total is wall time.", "", "| job | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in results["stages"].items()]
    if results.get("glue_daily"):
        lines += ["", "## Glue bill estimate", "",
                  f"- a daily run (the incremental day's stages): ${results['glue_daily']['total_usd']}",
                  f"- a 2010-2026 backfill (17 x the full season's stages): "
                  f"{'$' + str(results['glue_backfill_usd']) if 'glue_backfill_usd' in results else 'not measured'}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make bench")
    p.add_argument("--size", default="full", choices=("tiny", "demo", "full"))
    p.add_argument("--incremental-size", default="demo", choices=("tiny", "demo", "full"))
    p.add_argument("--season", type=int, default=2024)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--shuffle", type=int, default=None, help="spark.sql.shuffle.partitions (default: config)")
    p.add_argument("--skip", default="", help=f"comma list of sections to skip: {', '.join(SECTIONS)}")
    p.add_argument("--out", default=str(HERE))
    args = p.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    needs_full = {"noop", "plays", "duckdb"} - skip
    if "full" in skip and needs_full:
        p.error(f"--skip full needs {', '.join(sorted(needs_full))} skipped too: they run in the full season's lake")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    results: dict[str, Any] = {"started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                               "machine": machine(), "args": vars(args),
                               "parallel_jobs": _local_config().spark.parallel_jobs}
    with tempfile.TemporaryDirectory(prefix="cbbd-bench-") as tmp:
        work = Path(tmp)
        box: dict[str, Any] = {}
        results["stages"] = {}
        if "full" not in skip:
            say(f"full season ({args.size}) through the daily DAG")
            results.update(bench_full(args, work, box))
            say(f"full season: {results['full_season_seconds']} s, {results['api_calls_full_season']} calls")
            t0 = time.perf_counter()
            from cbbd_etl.lake_catalog import list_tables

            list_tables(box["cfg"])
            results["tables_seconds"] = round(time.perf_counter() - t0, 3)
        if "noop" not in skip:
            results.update(guarded("noop", lambda: bench_noop(args, box)))
        if "plays" not in skip:
            results.update(guarded("plays", lambda: bench_plays_alone(args, box, work)))
        if "duckdb" not in skip:
            results.update(guarded("duckdb", lambda: bench_duckdb(args, box, results["stages"], work)))
            # Without the plays section, ours is silver_plays' stage in the full run (sharing the cores).
            plays = results.get("plays_silver_seconds") or results.get("plays_silver_stage_seconds")
            if plays and results.get("plays_duckdb_seconds"):
                results["plays_duckdb_ratio"] = round(plays / results["plays_duckdb_seconds"], 2)
            # Without the noop section the team-season time is the full run's gold stage.
            ours = results.get("team_season_seconds") or results["stages"].get("gold_team_season")
            if ours and results.get("team_season_duckdb_seconds"):
                results["duckdb_ratio"] = round(ours / max(results["team_season_duckdb_seconds"], 0.01), 2)
            # Before stop 40 DuckDB's side was the raw profile alone (no adjusted ratings, nothing written).
            if ours and results.get("team_season_profile_duckdb_seconds"):
                results["duckdb_profile_ratio"] = round(
                    ours / max(results["team_season_profile_duckdb_seconds"], 0.01), 2)
        if box.get("spark") is not None:
            box["spark"].stop()
        if "incremental" not in skip:
            results.update(guarded("incremental", lambda: bench_incremental(args, work)))
    if results["stages"]:
        results["glue_backfill_usd"] = round(glue_bill(results["stages"])["total_usd"] * len(BACKFILL_SEASONS), 2)
    daily_stages = results.get("incremental_day_stages_1") or results["stages"]
    if daily_stages:
        results["glue_daily"] = glue_bill(daily_stages)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "results.md").write_text(render_md(results))
    print(render_md(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
