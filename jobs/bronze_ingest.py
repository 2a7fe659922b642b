"""Job bronze_ingest: CBBD API → bronze gzip JSON + manifests for one season.

A job that needs no Spark: ingestion is I/O bound and rate limited to a few
calls a second, so Spark workers would only add cost. The planner, client,
checkpoints and bronze store live in ``cbbd_etl.bronze``.

Params (declared in the registry): ``mode`` backfill (fetch what bronze
lacks) or incremental (the daily workflow: also re-fetch the last
``window_days`` days up to the as-of ``date``, whose season is the default
season), ``endpoints``, ``max_calls``, ``base_url``; a Python caller may add
``api_key`` and ``progress`` to the options.
"""
from __future__ import annotations

from typing import Any

from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    from cbbd_etl.bronze.ingest import ingest_endpoints

    endpoints = ctx.options.get("endpoints")
    summary = ingest_endpoints(
        ctx.cfg,
        [ctx.require_season()],
        endpoints.split(",") if isinstance(endpoints, str) else endpoints,
        base_url=ctx.options.get("base_url"),
        api_key=ctx.options.get("api_key"),
        run_id=ctx.run_id,
        mode=ctx.options.get("mode") or "backfill",
        window_days=int(ctx.options.get("window_days") or 7),
        max_calls=ctx.options.get("max_calls"),
        progress=bool(ctx.options.get("progress", False)),
        as_of=ctx.date,
    )
    report = summary.to_dict()
    report["reconciled"] = not report.get("failures") and not report.get("budget_exhausted")
    return report
