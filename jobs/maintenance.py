"""Job maintenance: compact data and delete files, expire old snapshots, for every table."""
from __future__ import annotations

from typing import Any

from cbbd_etl.maintenance import maintain_all
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    tables = maintain_all(ctx.spark, ctx.cfg)
    return {"tables": tables, "rewritten_files": sum(t["rewritten_files"] for t in tables)}
