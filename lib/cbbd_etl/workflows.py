"""Workflows as data: each DAG declared once, run by Glue (Terraform triggers) and on a laptop alike.

A :class:`Workflow` names its jobs (the registry jobs whose ``workflow`` is
``jobs_from``), its schedule (a Glue cron, or none: on demand) and its
default run properties (the values every job of a run reads through the run
contract of :mod:`cbbd_etl.params`: ``mode``, ``window_days``, ``season``,
``as_of`` ...). The edges are not declared here: a job waits for the jobs of
its workflow that write what it reads, plus its ``after`` entries and the
``before`` entries of others (see :class:`cbbd_etl.registry.JobSpec`). So a
gold job registered with ``workflow="daily"`` joins the daily DAG after the
silver jobs it reads and gap fill (``before=("layer:gold",)``), the audit
follows every gold job, and a job with ``after=("*",)`` (data quality) runs
last.

:func:`triggers` turns a DAG into Glue triggers (the start trigger, then one
conditional trigger per distinct set of predecessors: fan-out to all jobs
waiting for the same jobs, fan-in with ``logical = "AND"``), which the
registry export writes into ``terraform/jobs.auto.tfvars.json``;
:mod:`cbbd_etl.workflow_runner` executes the same DAG locally.

A declaration module: no Spark, no boto3, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .errors import UserError
from .registry import JobSpec, all_jobs

MAX_TRIGGER_ACTIONS = 50   # Glue's limit of actions per trigger
# What the scheduled gap fill asks for: every game dataset the season's cheap calls normally bring (box scores,
# plays by day, substitutions by team, lines by date). Per-game lineups are left out: the backfill plan does not
# fetch them (one call per game: ~6,000 a season, six months of the free tier), so every game would be a "gap".
# Ask for them on purpose: run property datasets=...,lineups, or `cbbd-etl gap-fill --datasets lineups`.
SCHEDULED_GAP_FILL = "team_box_scores,player_box_scores,plays,substitutions,lines"


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    schedule: str | None                         # Glue cron(...) expression; None: started on demand
    run_properties: Mapping[str, str] = field(default_factory=dict)
    jobs_from: str = ""                          # JobSpec.workflow of the members (default: this name)

    @property
    def member_workflow(self) -> str:
        return self.jobs_from or self.name

    @property
    def trigger_type(self) -> str:
        return "SCHEDULED" if self.schedule else "ON_DEMAND"


WORKFLOW_DECLARATIONS: tuple[Workflow, ...] = (
    Workflow("daily", "Every morning: incremental ingest of the current season (the last window_days days "
             "again, and whatever became final) -> every silver job -> gap fill -> gold beside the audit -> data "
             "quality.",
             # 10:00 UTC: after the night's games are final and corrected.
             schedule="cron(0 10 * * ? *)",
             run_properties={"mode": "incremental", "window_days": "7", "datasets": SCHEDULED_GAP_FILL}),
    Workflow("backfill", "On demand: the daily jobs in backfill mode (fetch what bronze lacks) for the season "
             "given as run property (aws glue start-workflow-run --run-properties season=2019).",
             schedule=None, run_properties={"mode": "backfill", "datasets": SCHEDULED_GAP_FILL}, jobs_from="daily"),
    Workflow("maintenance", "Weekly: compaction and snapshot expiry on every table.",
             # Sunday mornings.
             schedule="cron(0 12 ? * SUN *)"),
)
_EXTRA: dict[str, Workflow] = {}


def register_workflow(workflow: Workflow) -> Workflow:
    """The hook for workflows declared outside this module (tests); undo with :func:`unregister_workflow`."""
    if workflow.name in {w.name for w in WORKFLOW_DECLARATIONS}:
        raise ValueError(f"workflow {workflow.name} is already declared")
    _EXTRA[workflow.name] = workflow
    return workflow


def unregister_workflow(name: str) -> None:
    _EXTRA.pop(name, None)


def all_workflows() -> tuple[Workflow, ...]:
    return WORKFLOW_DECLARATIONS + tuple(_EXTRA.values())


def get_workflow(name: str) -> Workflow:
    for wf in all_workflows():
        if wf.name == name:
            return wf
    raise UserError(f"unknown workflow {name!r}; known workflows: {', '.join(w.name for w in all_workflows())}")


def members(workflow: Workflow, jobs: tuple[JobSpec, ...] | None = None) -> list[JobSpec]:
    return [j for j in (all_jobs() if jobs is None else jobs) if j.workflow == workflow.member_workflow]


def dependencies(workflow: Workflow, jobs: tuple[JobSpec, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """Job -> the jobs it waits for (transitively reduced), in member order. Raises on a cycle or bad ``after``."""
    nodes = members(workflow, jobs)
    names = [j.name for j in nodes]
    known = {j.name for j in all_jobs()}

    def refs(job: JobSpec, items: tuple[str, ...], field_name: str) -> set[str]:
        out: set[str] = set()
        for ref in items:
            if ref == "*":
                out |= {o.name for o in nodes if o is not job and "*" not in o.after}
            elif ref.startswith("layer:"):
                out |= {o.name for o in nodes if o is not job and o.layer == ref[len("layer:"):]}
            elif ref in names:
                out.add(ref)
            elif ref not in known:
                raise ValueError(f"job {job.name}: {field_name} names unknown job {ref!r}")
        return out

    full: dict[str, set[str]] = {}
    for job in nodes:
        data = {o.name for o in nodes if o is not job and set(job.inputs) & set(o.outputs)}
        full[job.name] = data | refs(job, job.after, "after")
    for job in nodes:
        for later in refs(job, job.before, "before"):
            if job.name not in full[later]:
                full[later].add(job.name)
    ancestors = _ancestors(names, full)
    reduced = {}
    for name in names:
        direct = full[name]
        implied = set().union(*([set()] + [ancestors[p] for p in direct]))
        reduced[name] = tuple(n for n in names if n in direct and n not in implied)
    return reduced


def _ancestors(names: list[str], preds: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Job -> every job it waits for, directly or through others (raises on a cycle, as _topological)."""
    out: dict[str, set[str]] = {}
    for name in _topological(names, preds):
        out[name] = set(preds[name]).union(*[out[p] for p in preds[name]])
    return out


def _topological(names: list[str], preds: Mapping[str, set[str]]) -> list[str]:
    """Kahn's order, stable in member order; a cycle is an error naming its jobs."""
    done: list[str] = []
    left = list(names)
    while left:
        ready = [n for n in left if preds[n] <= set(done)]
        if not ready:
            raise ValueError(f"workflow DAG has a cycle among {', '.join(left)}")
        done += ready
        left = [n for n in left if n not in ready]
    return done


def execution_order(workflow: Workflow, jobs: tuple[JobSpec, ...] | None = None) -> list[str]:
    deps = dependencies(workflow, jobs)
    return _topological(list(deps), {k: set(v) for k, v in deps.items()})


def concurrent_writers(workflow: Workflow, jobs: tuple[JobSpec, ...] | None = None) -> list[tuple[str, str, str]]:
    """(job, job, table) for two jobs that may run at once and write the same silver or gold table.

    Both Glue (a trigger starts all its actions together) and the local runner (threads in one session) run
    such jobs concurrently, and two MERGEs into one Iceberg table conflict: one of them fails its commit.
    Every declared workflow must return an empty list (a test checks it).
    """
    deps = dependencies(workflow, jobs)
    ancestors = _ancestors(list(deps), {k: set(v) for k, v in deps.items()})
    specs = {j.name: j for j in members(workflow, jobs)}
    names = list(deps)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a in ancestors[b] or b in ancestors[a]:
                continue
            for table in sorted(set(specs[a].table_outputs) & set(specs[b].table_outputs)):
                out.append((a, b, table))
    return out


@dataclass(frozen=True)
class Trigger:
    """One Glue trigger: ``conditions`` are the jobs whose SUCCEEDED state starts ``actions`` (AND)."""

    name: str
    type: str                  # SCHEDULED | ON_DEMAND | CONDITIONAL
    actions: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    schedule: str | None = None


def triggers(workflow: Workflow, jobs: tuple[JobSpec, ...] | None = None) -> list[Trigger]:
    """The Glue triggers of ``workflow``: every job is the action of exactly one trigger."""
    deps = dependencies(workflow, jobs)
    roots = tuple(n for n, p in deps.items() if not p)
    if not roots:
        raise ValueError(f"workflow {workflow.name} has no job")
    if len(roots) > MAX_TRIGGER_ACTIONS:
        raise ValueError(f"workflow {workflow.name}: {len(roots)} start jobs exceed a trigger's "
                         f"{MAX_TRIGGER_ACTIONS} actions")
    out = [Trigger("start", workflow.trigger_type, roots, schedule=workflow.schedule)]
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, preds in deps.items():
        if preds:
            groups.setdefault(preds, []).append(name)
    for preds, actions in groups.items():
        for i in range(0, len(actions), MAX_TRIGGER_ACTIONS):
            chunk = tuple(actions[i:i + MAX_TRIGGER_ACTIONS])
            out.append(Trigger(f"then-{chunk[0]}", "CONDITIONAL", chunk, conditions=preds))
    return out
