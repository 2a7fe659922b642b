"""Job gold_team_crosswalk: thin wrapper; the logic and its documentation are in ``cbbd_etl.gold.crosswalk``."""
from __future__ import annotations

from typing import Any

from cbbd_etl.gold.crosswalk import build_team_crosswalk
from cbbd_etl.runner import JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    return build_team_crosswalk(ctx.spark, ctx.cfg, ctx.require_season(), ctx.run_id)
