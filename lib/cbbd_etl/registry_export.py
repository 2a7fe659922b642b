"""Export the job registry and the workflow DAGs for Terraform, so both are declared once (in Python).

``terraform/jobs.auto.tfvars.json`` is generated from this and checked in
(``cbbd-etl registry --write terraform/jobs.auto.tfvars.json``);
``tests/test_registry.py`` and ``tests/test_terraform.py`` fail when it is stale.

* ``glue_jobs``: one entry per :data:`cbbd_etl.registry.JOBS` job; its
  ``default_arguments`` come from the job's param declarations
  (:func:`cbbd_etl.params.default_arguments`) plus the Glue flags every job needs.
* ``glue_workflows``: one entry per declared workflow with its default run
  properties and its triggers (:func:`cbbd_etl.workflows.triggers`): the start
  trigger (SCHEDULED or ON_DEMAND) and the conditional ones, keyed by name.
"""
from __future__ import annotations

import json
from typing import Any

from .params import default_arguments
from .registry import JOBS, JobSpec
from .workflows import WORKFLOW_DECLARATIONS, dependencies, members, triggers


def glue_default_arguments(job: JobSpec) -> dict[str, str]:
    args = {"--job_name": job.name, "--profile": "aws", "--enable-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true", "--enable-glue-datacatalog": "true"}
    if job.glue.command == "glueetl":
        args["--datalake-formats"] = "iceberg"
    if job.glue.python_modules:
        args["--additional-python-modules"] = ",".join(job.glue.python_modules)
    args.update(default_arguments(job))
    return args


def terraform_workflows() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for wf in WORKFLOW_DECLARATIONS:
        if not members(wf, JOBS):
            continue  # a Glue workflow needs a job for its start trigger
        out[wf.name] = {
            "description": wf.description,
            "default_run_properties": dict(wf.run_properties),
            "triggers": {t.name: {"type": t.type, "schedule": t.schedule, "actions": list(t.actions),
                                  "conditions": list(t.conditions)} for t in triggers(wf, JOBS)},
        }
    return out


def terraform_jobs() -> dict[str, Any]:
    waits: dict[str, list[str]] = {}
    for wf in WORKFLOW_DECLARATIONS:
        for name, preds in dependencies(wf, JOBS).items():
            waits.setdefault(name, list(preds))
    jobs: dict[str, Any] = {}
    for job in JOBS:
        jobs[job.name] = {
            "description": job.description,
            "script": job.glue_script,
            "command": job.glue.command,
            "worker_type": job.glue.worker_type,
            "number_of_workers": job.glue.number_of_workers,
            "timeout_minutes": job.glue.timeout_minutes,
            "max_retries": job.glue.max_retries,
            "max_concurrent_runs": job.glue.max_concurrent_runs,
            "workflow": job.workflow,
            "layer": job.layer,
            "parameters": list(job.param_names),
            "inputs": list(job.inputs),
            "outputs": list(job.outputs),
            "upstream": waits.get(job.name, []),
            "default_arguments": glue_default_arguments(job),
        }
    return {"glue_jobs": jobs, "glue_workflows": terraform_workflows()}


def terraform_jobs_json() -> str:
    return json.dumps(terraform_jobs(), indent=2, sort_keys=True) + "\n"
