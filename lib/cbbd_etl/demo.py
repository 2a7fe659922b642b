"""``make demo``: a simulated season end to end on a laptop, with no AWS and no API key.

simulator → local CBBD-compatible HTTP server (127.0.0.1) → bronze ingest
(the real client, rate limiter and manifests) → silver_games and
silver_team_game_stats (MERGE INTO Iceberg) → gold_team_season, then the
result is printed and checked against the simulator's latent strengths.

Why through HTTP rather than writing bronze directly: the demo then
exercises exactly the code a real backfill uses, so "the demo works" means
"the pipeline works". The API key is a random per-run token the local
server checks; it is never printed.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from .config import Config
from .log import event, get_logger, register_secret
from .metrics import spearman
from .textfmt import render

log = get_logger("demo")

DEMO_ENDPOINTS = ("games", "games_teams")
SILVER_AND_GOLD = ("silver_games", "silver_team_game_stats", "gold_team_season")
SHOWN = ("team", "conference", "games", "wins", "losses", "conf_wins", "conf_losses", "tempo",
         "off_efficiency", "def_efficiency", "net_efficiency", "off_efg_pct", "def_efg_pct")


def run_demo(cfg: Config, season: int = 2024, size: str = "demo", seed: int | None = None, top: int = 25) -> int:
    """Run the whole walking skeleton; returns a process exit code (0 = reconciled and sane)."""
    from .api.server import serve_sim
    from .bronze.ingest import ingest_endpoints
    from .runner import make_context, run_job
    from .seasons import parse_season
    from .sim import simulate_season
    from .spark import build_spark, ensure_namespaces

    season = parse_season(season, cfg.seasons.first, cfg.seasons.last)
    seed = cfg.sim.seed if seed is None else seed
    started = time.time()
    key = secrets.token_urlsafe(24)
    register_secret(key)
    print(f"[demo] simulated season {season} (size={size}, seed={seed}) served on a local CBBD-compatible API")
    with serve_sim(season=season, size=size, seed=seed, api_key=key) as server:
        summary = ingest_endpoints(cfg, [season], list(DEMO_ENDPOINTS), base_url=server.url, api_key=key,
                                   run_id=f"demo-{season}-{int(started)}", progress=True)
    ingest = summary.to_dict()
    print(f"[demo] bronze: {ingest.get('calls')} API calls, {ingest.get('records')} records, "
          f"{ingest.get('skipped', 0)} requests already in bronze -> {cfg.bronze.root}")
    if ingest.get("failures") or ingest.get("dead_letters"):
        print(f"[demo] ingestion had failures: {ingest.get('failures')} (dead letters: {ingest.get('dead_letters')})")
        return 1

    spark = build_spark(cfg, app_name="cbbd_etl:demo")
    ensure_namespaces(spark, cfg)
    ok = True
    for name in SILVER_AND_GOLD:
        report = run_job(make_context(name, cfg, spark=spark, season=season))
        ok &= bool(report.get("reconciled", True))
        print(f"[demo] {name}: " + ", ".join(f"{k}={report[k]}" for k in
                                             ("inserted", "updated", "unchanged", "duplicates", "quarantined",
                                              "reconciled", "seconds") if k in report))

    rows = _gold_rows(spark, cfg, season)
    shown = rows if top <= 0 else rows[:top]
    print(f"\ngold.team_season, season {season}: {len(rows)} teams"
          f"{'' if top <= 0 else f' (top {len(shown)} by net efficiency)'}")
    print(render([{c: r[c] for c in SHOWN} for r in shown], SHOWN))

    truth = simulate_season(season, size, seed).truth
    check = truth_check(rows, {tid: t.offense + t.defense for tid, t in truth.teams.items()},
                        {tid: t.tempo for tid, t in truth.teams.items()})
    print(f"\n[demo] vs the simulator's latent truth: Spearman(net efficiency, true strength) = "
          f"{check['net_spearman']:.3f}; Spearman(tempo, true tempo) = {check['tempo_spearman']:.3f}")
    print(f"[demo] finished in {time.time() - started:.0f}s; tables under {cfg.lake.warehouse}. "
          f"Run it again: bronze is reused and every table stays unchanged.")
    event(log, "demo finished", season=season, size=size, seconds=round(time.time() - started, 1), **check)
    return 0 if ok else 1


def _gold_rows(spark: Any, cfg: Config, season: int) -> list[dict[str, Any]]:
    from pyspark.sql import functions as F

    df = spark.table(cfg.table("gold.team_season")).where(F.col("season") == season)
    return [r.asDict() for r in df.orderBy(F.desc("net_efficiency"), "team").collect()]


def truth_check(rows: list[dict[str, Any]], true_net: dict[int, float], true_tempo: dict[int, float]) -> dict[str, float]:
    """Rank agreement between gold's raw efficiency and the latent truth (raw, so not opponent-adjusted)."""
    ids = [r["team_id"] for r in rows if r["team_id"] in true_net]
    by_id = {r["team_id"]: r for r in rows}
    return {
        "teams": float(len(ids)),
        "net_spearman": spearman([by_id[i]["net_efficiency"] for i in ids], [true_net[i] for i in ids]),
        "tempo_spearman": spearman([by_id[i]["tempo"] for i in ids], [true_tempo[i] for i in ids]),
    }
