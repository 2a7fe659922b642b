"""Export the job registry for Terraform, so jobs are declared once (in Python).

``terraform/jobs.auto.tfvars.json`` is generated from this and checked in;
``tests/test_registry.py`` fails when it is stale.
"""
from __future__ import annotations

import json
from typing import Any

from .registry import JOBS, upstream


def terraform_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = {}
    for job in JOBS:
        args = {"--job_name": job.name, "--profile": "aws", "--enable-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true", "--enable-glue-datacatalog": "true"}
        if job.glue.command == "glueetl":
            args["--datalake-formats"] = "iceberg"
        if job.glue.python_modules:
            args["--additional-python-modules"] = ",".join(job.glue.python_modules)
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
            "parameters": list(job.parameters),
            "inputs": list(job.inputs),
            "outputs": list(job.outputs),
            "upstream": [u.name for u in upstream(job)],
            "default_arguments": args,
        }
    return {"glue_jobs": jobs}


def terraform_jobs_json() -> str:
    return json.dumps(terraform_jobs(), indent=2, sort_keys=True) + "\n"
