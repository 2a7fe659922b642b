"""Job ``data_quality``: every table's rules → ``meta.dq_results``; an ``error`` failure fails the job.

Thin: the work is :func:`cbbd_etl.dq.job.run_data_quality`. Options: ``tables`` (list of logical names),
``as_of`` (YYYY-MM-DD; default: the run date, else today UTC).
"""
from __future__ import annotations

from typing import Any

from cbbd_etl.dq.job import run_data_quality
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    tables = ctx.options.get("tables") or None
    as_of = ctx.options.get("as_of") or ctx.date
    if isinstance(as_of, str):
        from cbbd_etl.seasons import parse_date

        as_of = parse_date(as_of)
    report = run_data_quality(ctx.spark, ctx.cfg, ctx.season, ctx.run_id, tables=tables, as_of=as_of)
    report["table"] = "meta.dq_results"
    return report
