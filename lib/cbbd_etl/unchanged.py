"""Skip a derived job whose inputs, outputs, parameters, code and config are what they were after its last success.

Why: a gold job rebuilds its season from silver every run, and its MERGE then
finds nothing to change; on a day without new games (and on every replay,
a second ``make demo``) the gold phase spent ~20 s recomputing what it had.
Iceberg snapshots are immutable, so "every table the job reads and writes is
at the snapshot it was after the last successful run" means the job would
write nothing. The check is metadata only (each table's current snapshot
through the catalog the session holds, no Spark job).

What the fingerprint holds, and why each part:

* the snapshot of each declared input table, taken before the job ran (the DAG
  keeps every writer of an input upstream, so the job read exactly those);
* the snapshot of each declared output table, taken after it ran (a table
  rewritten, compacted or dropped since then makes the job run again);
* the job's resolved parameters (run id aside);
* a hash of the package's files (code and seed data: a new version of a model
  reruns it) and of the lake's config.

Only jobs that declare ``skip_if_unchanged`` take part (:class:`cbbd_etl.registry.JobSpec`):
their result must be a function of their declared tables alone. ``reprocess=true`` runs the job anyway
(and records the state it leaves, so the next run can skip again). The record
is a small JSON file beside the run reports (``runs/unchanged/``), not a table:
skipping must commit nothing. On AWS there is no runs folder and every job
runs (each Glue job run is billed for its first minute anyway).
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .config import Config
from .iceberg import snapshot_labels
from .log import event, get_logger

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from .runner import JobContext

log = get_logger("unchanged")

_NOT_PARAMS = ("run_id", "job_name", "reprocess")   # reprocess forces a run; the record it leaves is the same
_ZEROED = ("inserted", "updated", "deleted", "duplicates", "quarantined")
_CARRIED = ("table",)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every file of the installed package and of its jobs (code, seed CSVs, defaults)."""
    import importlib.util

    roots = [Path(__file__).parent]
    spec = importlib.util.find_spec("cbbd_etl.jobs")
    roots += [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    digest = hashlib.sha256()
    for root in dict.fromkeys(roots):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _params_key(ctx: "JobContext") -> str:
    params = {k: v for k, v in sorted(ctx.params.items()) if k not in _NOT_PARAMS}
    return hashlib.sha256(json.dumps(params, default=str, sort_keys=True).encode()).hexdigest()[:16]


def fingerprint(inputs: Mapping[str, str], outputs: Mapping[str, str], params_key: str, code: str,
                config: str) -> str:
    """One hash of the state a job run leaves (pure: the parts are given)."""
    parts = [f"code={code}", f"config={config}", f"params={params_key}"]
    parts += [f"in:{k}@{v}" for k, v in sorted(inputs.items())]
    parts += [f"out:{k}@{v}" for k, v in sorted(outputs.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _config_version(cfg: Config) -> str:
    """The config a derived table depends on: where the lake is and the season bounds (not the API's
    address, which a local server picks anew each run, nor Spark's tuning)."""
    return hashlib.sha256(repr((cfg.lake, cfg.seasons)).encode()).hexdigest()[:16]


@dataclass
class Check:
    """The state of one job before it runs: its inputs' snapshots and, if they match, the earlier run."""

    path: Path
    params_key: str
    inputs: dict[str, str]
    earlier: dict[str, Any] | None = None

    def skipped_report(self) -> dict[str, Any]:
        """The report of a skipped run: nothing written, the earlier run named."""
        prev = (self.earlier or {}).get("report") or {}
        out = {k: prev[k] for k in _CARRIED if k in prev}
        out.update({k: 0 for k in _ZEROED}, committed=False, reconciled=True,
                   unchanged_since=(self.earlier or {}).get("run_id"),
                   skipped="inputs, outputs, parameters and code unchanged since its last successful run")
        return out


def check(ctx: "JobContext", runs: Path | None) -> Check | None:
    """None when the job does not take part (or there is no ``runs`` folder to keep the record in); otherwise
    its inputs' snapshots and, when everything matches, the earlier run."""
    if not ctx.job.skip_if_unchanged or ctx.spark is None or runs is None:
        return None
    key = _params_key(ctx)
    path = runs / "unchanged" / f"{ctx.job.name}-{key}.json"
    found = Check(path, key, snapshot_labels(ctx.spark, ctx.cfg, [t for t in ctx.job.inputs if "." in t]))
    if not path.is_file():
        return found
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):   # a truncated record: run the job, which rewrites it
        return found
    outputs = snapshot_labels(ctx.spark, ctx.cfg, ctx.job.table_outputs)
    now = fingerprint(found.inputs, outputs, key, code_version(), _config_version(ctx.cfg))
    if earlier.get("fingerprint") == now and not ctx.params.get("reprocess"):
        found.earlier = earlier
        event(log, "job unchanged", job=ctx.job.name, run_id=ctx.run_id, since=earlier.get("run_id"))
    return found


def record(ctx: "JobContext", found: Check, report: Mapping[str, Any]) -> None:
    """After a successful run: the inputs as they were before it, the outputs as it left them."""
    outputs = snapshot_labels(ctx.spark, ctx.cfg, ctx.job.table_outputs)
    doc = {"job": ctx.job.name, "run_id": ctx.run_id,
           "fingerprint": fingerprint(found.inputs, outputs, found.params_key, code_version(),
                                      _config_version(ctx.cfg)),
           "inputs": found.inputs, "outputs": outputs, "report": dict(report)}
    found.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = found.path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    tmp.replace(found.path)
