"""Data-completeness audit: what each season has, and exactly which final games lack what.

Coverage is measured against ``silver.games``: a final game should have
both teams' box scores, player box scores, plays, substitutions, per-game
lineups and (where books posted them) lines. For each season and dataset
the audit stores counts, the coverage percentage and the sorted list of
missing game ids in ``meta.completeness`` (MERGE, so an unchanged lake
gives an unchanged table), and renders a markdown report and a season ×
dataset heatmap. The same missing-id logic is what gap-fill asks the API
for, so the audit and the fix can never disagree.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .config import Config
from .datasets import GAME_DATASETS, GameCoverage  # noqa: F401  (declared there; re-exported)
from .iceberg import MergeResult, merge_upsert, season_row_counts, table_exists
from .spark import map_concurrently
from .tables import META_COMPLETENESS, all_tables

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

AUDIT_SEASONS = tuple(range(2010, 2027))


def coverage_row(season: int, final_ids: Iterable[int], covered_ids: set[int], dataset: str) -> dict[str, Any]:
    """One season's coverage of one dataset: final games, how many are covered, the sorted missing ids.

    Pure and on the driver: a season has a few thousand final games at most, and these are the same sets
    gap-fill asks the API for (:func:`final_game_dates`, :func:`covered_game_ids`).
    """
    finals = sorted(set(final_ids))
    missing = [g for g in finals if g not in covered_ids]
    covered = len(finals) - len(missing)
    pct = (float(Decimal(repr(covered * 100.0 / len(finals))).quantize(Decimal("0.01"), ROUND_HALF_UP))
           if finals else None)
    return {"season": season, "dataset": dataset, "final_games": len(finals), "covered_games": covered,
            "coverage_pct": pct, "missing_games": len(missing), "missing_game_ids": missing}


def final_game_dates(spark: "SparkSession", cfg: Config, seasons: list[int]) -> dict[int, tuple[int, str | None]]:
    """game_id -> (season, UTC date ``yyyy-MM-dd``) of the final games of ``seasons``, in one small query.

    A season holds a few thousand games at most, so the set lives on the driver: gap-fill's anti-join is
    then a set difference instead of a Spark join per dataset.
    """
    from pyspark.sql import functions as F

    ident = cfg.table("silver.games")
    if not table_exists(spark, ident):
        return {}
    rows = (spark.table(ident).where(F.col("season").isin(seasons) & (F.col("status") == "final"))
            .select("game_id", "season", F.date_format("start_date", "yyyy-MM-dd").alias("utc_date"))
            .distinct().collect())
    return {int(r["game_id"]): (int(r["season"]), r["utc_date"]) for r in rows}


def covered_game_ids(spark: "SparkSession", cfg: Config, coverage: GameCoverage, seasons: list[int]) -> set[int]:
    """Game ids of ``seasons`` with at least ``min_rows_per_game`` rows in the dataset's table: one pass over
    the table's ``game_id`` column (pruned to the seasons), the same rule as :func:`game_coverage`."""
    from pyspark.sql import functions as F

    ident = cfg.table(coverage.table)
    if not table_exists(spark, ident):
        return set()
    facts = spark.table(ident).where(F.col("season").isin(seasons)).select("game_id")
    if coverage.min_rows_per_game <= 1:
        return {int(r[0]) for r in facts.distinct().collect() if r[0] is not None}
    per_game = facts.groupBy("game_id").agg(F.count("*").alias("_n"))
    return {int(r[0]) for r in per_game.where(F.col("_n") >= coverage.min_rows_per_game).select("game_id").collect()
            if r[0] is not None}


def with_status(df: "DataFrame", thresholds: dict[str, float]) -> "DataFrame":
    from pyspark.sql import functions as F

    threshold = F.lit(None).cast("double")
    for dataset, pct in thresholds.items():
        threshold = F.when(F.col("dataset") == dataset, F.lit(pct)).otherwise(threshold)
    status = (F.when(F.col("coverage_pct").isNull(), F.when(F.col("rows") > 0, "present").otherwise("empty"))
              .when(F.col("coverage_pct") >= F.col("threshold_pct"), "ok").otherwise("gaps"))
    return df.withColumn("threshold_pct", threshold).withColumn("status", status)


def audit(spark: "SparkSession", cfg: Config, seasons: list[int], thresholds: dict[str, float] | None = None
          ) -> "DataFrame":
    """The completeness rows for ``seasons`` (not yet written anywhere).

    Every count is taken on the driver (row counts from metadata where exact, final and covered game ids as
    sets), so the result is one small local frame: before, a union of ~40 scans was planned and run again by
    each action on it.
    """
    thresholds = {d.dataset: d.threshold_pct for d in GAME_DATASETS} | dict(thresholds or {})
    counts = _row_counts(spark, cfg, seasons)
    rows: list[dict[str, Any]] = [
        {"season": s, "dataset": t, "source_table": t, "rows": n} for (s, t), n in counts.items()]
    if table_exists(spark, cfg.table("silver.games")):
        finals: dict[int, list[int]] = {s: [] for s in seasons}
        for game_id, (season, _) in final_game_dates(spark, cfg, seasons).items():
            finals.setdefault(season, []).append(game_id)
        covered_by = map_concurrently(spark, lambda d: covered_game_ids(spark, cfg, d, seasons), GAME_DATASETS,
                                      cfg.spark.parallel_jobs)
        for d, covered in zip(GAME_DATASETS, covered_by):
            for s in seasons:
                base = {"season": s, "dataset": d.dataset, "source_table": d.table, "rows": counts.get((s, d.table), 0)}
                if finals[s]:
                    base.update(coverage_row(s, finals[s], covered, d.dataset))
                rows.append(base)
    schema = ("season INT, dataset STRING, source_table STRING, rows BIGINT, final_games BIGINT, "
              "covered_games BIGINT, coverage_pct DOUBLE, missing_games BIGINT, missing_game_ids ARRAY<BIGINT>")
    names = [c.split()[0] for c in schema.split(", ")]
    frame = spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], schema)
    return with_status(frame, thresholds)


def _row_counts(spark: "SparkSession", cfg: Config, seasons: list[int]) -> dict[tuple[int, str], int]:
    """(season, table) → rows of every seasonal silver table (0 where the table or season is absent).

    From Iceberg metadata where it is exact (:func:`season_row_counts`: no delete files), else one Spark
    count per table.
    """
    from pyspark.sql import functions as F

    out: dict[tuple[int, str], int] = {}
    for spec in all_tables():
        if spec.layer != "silver" or "season" not in spec.data_columns:
            continue
        ident = cfg.table(spec.name)
        counts: dict[int, int] = {}
        if table_exists(spark, ident):
            found = season_row_counts(spark, ident, seasons) if "season" in spec.partition_by else None
            counts = found if found is not None else {
                int(r["season"]): int(r["count"]) for r in
                spark.table(ident).where(F.col("season").isin(seasons)).groupBy("season").count().collect()}
        out.update({(s, spec.name): counts.get(s, 0) for s in seasons})
    return out


def write_audit(spark: "SparkSession", cfg: Config, rows: "DataFrame", run_id: str) -> MergeResult:
    from pyspark.sql import functions as F

    rows = (rows.withColumn("_ingested_at", F.current_timestamp()).withColumn("_source_file", F.lit("audit"))
            .withColumn("_run_id", F.lit(run_id)))
    return merge_upsert(spark, cfg, META_COMPLETENESS, rows)


# ------------------------------------------------------------------------------------------------ reports
def markdown_report(rows: list[dict[str, Any]], max_ids: int = 50) -> str:
    """Coverage table per season (game datasets) plus the exact missing ids of every dataset with gaps."""
    cov = [r for r in rows if r.get("final_games") is not None]
    datasets = [d.dataset for d in GAME_DATASETS]
    seasons = sorted({r["season"] for r in rows})
    by = {(r["season"], r["dataset"]): r for r in cov}
    out = ["# Data completeness", "",
           "Coverage of final games (% with data) per season; `—` where the season has no final games.", "",
           "| season | final games | " + " | ".join(datasets) + " |",
           "|---|---|" + "---|" * len(datasets)]
    for s in seasons:
        finals = next((by[(s, d)]["final_games"] for d in datasets if (s, d) in by), 0) or 0
        cells = []
        for d in datasets:
            r = by.get((s, d))
            cells.append("—" if not r or not r["final_games"] else f"{r['coverage_pct']:.1f}")
        out.append(f"| {s} | {finals} | " + " | ".join(cells) + " |")
    gaps = [r for r in cov if r.get("missing_games")]
    if gaps:
        out += ["", "## Missing games", ""]
        for r in sorted(gaps, key=lambda r: (r["season"], r["dataset"])):
            ids = list(r["missing_game_ids"] or [])
            more = f" … (+{len(ids) - max_ids})" if len(ids) > max_ids else ""
            out.append(f"- {r['season']} {r['dataset']}: {r['missing_games']} missing — "
                       f"{', '.join(str(i) for i in ids[:max_ids])}{more}")
    return "\n".join(out) + "\n"


def heatmap_png(rows: list[dict[str, Any]], path: Path, title: str = "Coverage of final games (%)") -> Path:
    """Season × dataset heatmap; grey cells are seasons without final games."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    datasets = [d.dataset for d in GAME_DATASETS]
    seasons = sorted({r["season"] for r in rows})
    grid = np.full((len(seasons), len(datasets)), np.nan)
    for r in rows:
        if r.get("final_games") and r["dataset"] in datasets:
            grid[seasons.index(r["season"]), datasets.index(r["dataset"])] = r["coverage_pct"]
    fig, ax = plt.subplots(figsize=(1.4 * len(datasets) + 2, 0.35 * len(seasons) + 1.5))
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#dddddd")   # grey: no final games
    im = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(datasets)), datasets, rotation=30, ha="right")
    ax.set_yticks(range(len(seasons)), [str(s) for s in seasons])
    for i in range(len(seasons)):
        for j in range(len(datasets)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.0f}", ha="center", va="center", fontsize=7)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def reports_dir(cfg: Config) -> str:
    """Reports sit beside the lake: ``.lake/reports`` locally, ``s3://…/reports`` on AWS."""
    root = cfg.bronze.root.rstrip("/")
    return root.rsplit("/", 1)[0] + "/reports" if "/" in root else "reports"
