"""Job audit_completeness: coverage of final games per season and dataset → meta.completeness, a markdown report
and a heatmap; plus the partition-consistency checks (declared specs, bronze manifests, season windows)."""
from __future__ import annotations

from typing import Any

from cbbd_etl.audit import AUDIT_SEASONS, heatmap_png, markdown_report, reports_dir, write_audit
from cbbd_etl.audit import audit as completeness
from cbbd_etl.consistency import check_all
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    seasons = ctx.seasons or ([ctx.season] if ctx.season else list(AUDIT_SEASONS))
    rows_df = completeness(ctx.spark, ctx.cfg, seasons).cache()
    merge = write_audit(ctx.spark, ctx.cfg, rows_df, ctx.run_id)
    rows = [r.asDict() for r in rows_df.collect()]
    rows_df.unpersist()
    out_dir = reports_dir(ctx.cfg)
    paths = _write_reports(out_dir, rows, ctx.options.get("report_name", "completeness"))
    gaps = {f"{r['season']}:{r['dataset']}": r["missing_games"] for r in rows if r.get("missing_games")}
    consistency = check_all(ctx.spark, ctx.cfg, seasons)
    return {"table": merge.table, "inserted": merge.inserted, "updated": merge.updated, "unchanged": merge.unchanged,
            "seasons": [min(seasons), max(seasons)], "gaps": gaps, "missing_games": sum(gaps.values()),
            "consistent": consistency["consistent"], "consistency_problems": consistency["problems"][:50], **paths}


def _write_reports(out_dir: str, rows: list[dict[str, Any]], name: str) -> dict[str, str]:
    import tempfile
    from pathlib import Path

    from cbbd_etl.bronze.store import BronzeStore

    store = BronzeStore.for_root(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        png = heatmap_png(rows, Path(tmp) / f"{name}.png")
        store.put_bytes(f"{name}.png", png.read_bytes())
    store.put_bytes(f"{name}.md", markdown_report(rows).encode())
    return {"report": store.uri(f"{name}.md"), "heatmap": store.uri(f"{name}.png")}
