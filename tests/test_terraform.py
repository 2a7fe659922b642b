"""Terraform is generated from the job registry: these tests keep the two in step.

Why parse HCL instead of only running ``terraform validate``: validate needs
the AWS provider, which cannot be downloaded everywhere the tests run, and it
would not know what the registry says anyway. Parsing every ``.tf`` with
python-hcl2 checks the wiring (jobs iterate over ``var.glue_jobs``, every
workflow has a start trigger, every upstream edge becomes a trigger
condition, IAM stays scoped) on any machine. Where a provider is available
offline, ``terraform test`` additionally plans the root against a mocked
provider and evaluates the for-each logic for real.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from cbbd_etl.config import load_config
from cbbd_etl.params import default_arguments
from cbbd_etl.registry import JOBS, WORKFLOWS
from cbbd_etl.registry_export import terraform_jobs, terraform_jobs_json
from cbbd_etl.workflows import WORKFLOW_DECLARATIONS, dependencies, members, triggers

hcl2 = pytest.importorskip("hcl2")

REPO = Path(__file__).resolve().parents[1]
TF = REPO / "terraform"
# Where an AWS provider may already lie on disk (terraform init -plugin-dir).
PLUGIN_DIRS = [p for p in (os.environ.get("CBBD_TF_PLUGIN_DIR", ""), "/opt/tf-plugins") if p]


def _load(path: Path) -> dict[str, Any]:
    """One .tf file as plain Python values: strings unquoted, no comment or block markers."""
    text = path.read_text(encoding="utf-8")
    options_cls = getattr(hcl2, "SerializationOptions", None)
    try:
        options = options_cls(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    except TypeError:  # python-hcl2 without these options (< 7) already returns plain values
        options = None
    return hcl2.loads(text, serialization_options=options) if options else hcl2.loads(text)


class Root:
    """The merged blocks of every .tf file of the root module."""

    def __init__(self, folder: Path) -> None:
        self.files = sorted(folder.glob("*.tf"))
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.terraform: list[dict[str, Any]] = []
        for path in self.files:
            doc = _load(path)
            for kind, target in (("resource", self.resources), ("data", self.data)):
                for block in doc.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            assert (rtype, name) not in target, f"{rtype}.{name} declared twice"
                            target[(rtype, name)] = body
            for block in doc.get("variable", []):
                self.variables.update(block)
            for block in doc.get("locals", []):
                self.locals.update(block)
            for block in doc.get("output", []):
                self.outputs.update(block)
            self.terraform += doc.get("terraform", [])

    def of_type(self, rtype: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    def default(self, variable: str) -> Any:
        return self.variables[variable].get("default")


def _one(value: Any) -> Any:
    """A nested block parses as a list of one dict."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _dynamic(body: dict[str, Any], name: str) -> dict[str, Any]:
    for block in body.get("dynamic", []):
        if name in block:
            return block[name]
    raise AssertionError(f"no dynamic {name!r} block")


@pytest.fixture(scope="module")
def tf() -> Root:
    return Root(TF)


@pytest.fixture(scope="module")
def aws_cfg() -> Any:
    return load_config(profile="aws", env={})


# --- the generated variables file ------------------------------------------------


def test_tfvars_are_the_registry_export() -> None:
    path = TF / "jobs.auto.tfvars.json"
    assert path.read_text(encoding="utf-8") == terraform_jobs_json(), (
        "terraform/jobs.auto.tfvars.json is stale: run `cbbd-etl registry --write terraform/jobs.auto.tfvars.json`")


def test_glue_jobs_variable_type_matches_the_export(tf: Root) -> None:
    """A field the export adds would be dropped silently by Terraform, one it removes would fail the plan."""
    declared = set(re.findall(r"(\w+)\s*=", tf.variables["glue_jobs"]["type"]))
    for name, spec in terraform_jobs()["glue_jobs"].items():
        assert set(spec) == declared, f"{name}: export fields {sorted(set(spec) ^ declared)} differ from variable type"


# --- jobs ------------------------------------------------------------------------


def test_every_tf_file_parses_and_pins_the_aws_provider(tf: Root) -> None:
    assert {p.name for p in tf.files} >= {"versions.tf", "variables.tf", "main.tf", "glue.tf", "iam.tf",
                                          "alerts.tf", "outputs.tf"}
    providers = _one(_one(tf.terraform[0]["required_providers"]))
    assert providers["aws"]["version"] == "~> 5.0"


def test_glue_job_resource_iterates_over_the_registry(tf: Root) -> None:
    jobs = tf.of_type("aws_glue_job")
    assert list(jobs) == ["job"], "exactly one aws_glue_job resource, driven by var.glue_jobs"
    job = jobs["job"]
    assert job["for_each"] == "${var.glue_jobs}"
    assert "var.glue_version" in job["glue_version"] and "var.pythonshell_glue_version" in job["glue_version"]
    command = _one(job["command"])
    assert command["name"] == "${each.value.command}"
    assert command["script_location"] == "s3://${var.artifacts_bucket}/${each.value.script}"
    assert "each.value.worker_type" in job["worker_type"]
    assert "each.value.number_of_workers" in job["number_of_workers"]
    assert job["timeout"] == "${each.value.timeout_minutes}"
    assert job["max_retries"] == "${each.value.max_retries}"
    assert "each.value.max_concurrent_runs" in _one(job["execution_property"])["max_concurrent_runs"]
    assert job["security_configuration"] == "${aws_glue_security_configuration.lake.name}"
    args = job["default_arguments"]
    for part in ("each.value.default_arguments", "local.common_arguments", "local.spark_arguments"):
        assert part in args, part
    # A Glue default argument counts as explicit and would beat the workflow's run properties.
    assert "--season" not in args and "current_season" not in args


def test_every_registry_script_is_where_terraform_points(tf: Root) -> None:
    for job in JOBS:
        assert job.glue_script == f"glue_scripts/{job.name}.py"
        assert (REPO / job.glue_script).is_file()


def test_job_arguments_load_the_wheel_and_iceberg(tf: Root, aws_cfg: Any) -> None:
    common = tf.locals["common_arguments"]
    assert common["--extra-py-files"] == "${local.wheel_uri}"
    assert "${var.artifacts_bucket}/wheels/${var.wheel_name}" in tf.locals["wheel_uri"]
    for arg in ("--warehouse", "--bronze_root", "--TempDir"):
        assert arg in common, arg
    spark = tf.locals["spark_arguments"]
    assert spark["--datalake-formats"] == "iceberg"
    assert spark["--conf"] == "${local.iceberg_conf}"
    conf = tf.locals["iceberg_conf"]
    for needle in ("IcebergSparkSessionExtensions", "org.apache.iceberg.spark.SparkCatalog",
                   "org.apache.iceberg.aws.glue.GlueCatalog", "org.apache.iceberg.aws.s3.S3FileIO",
                   "spark.sql.catalog.${var.iceberg_catalog_name}.warehouse=${local.warehouse_uri}"):
        assert needle in conf, needle
    assert tf.default("iceberg_catalog_name") == aws_cfg.lake.catalog_name


def test_glue_version_is_5x(tf: Root) -> None:
    assert tf.default("glue_version") in ("5.0", "5.1")
    # Python-shell has no Glue 4/5 runtime: 3.0 (Python 3.9) is the newest.
    assert tf.default("pythonshell_glue_version") == "3.0"


# --- workflows and triggers --------------------------------------------------------


def test_job_default_arguments_are_the_param_declarations() -> None:
    """default_arguments carry each declared default no run property may set, and no param a workflow sets."""
    exported = terraform_jobs()["glue_jobs"]
    for job in JOBS:
        args = exported[job.name]["default_arguments"]
        assert {k: v for k, v in args.items() if k[2:] in job.param_names} == default_arguments(job), job.name
        for param in job.params:
            if param.property_name:
                assert param.flag not in args, f"{job.name}: {param.flag} would override the run property"
        assert exported[job.name]["parameters"] == list(job.param_names)


def test_workflows_and_triggers_iterate_over_the_declared_dags(tf: Root) -> None:
    assert tf.variables["glue_workflows"]["type"]
    workflow = tf.of_type("aws_glue_workflow")["workflow"]
    assert workflow["for_each"] == "${var.glue_workflows}"
    assert workflow["default_run_properties"] == "${each.value.default_run_properties}"
    assert set(tf.of_type("aws_glue_trigger")) == {"trigger"}, "one trigger resource, driven by the DAG"
    trigger = tf.of_type("aws_glue_trigger")["trigger"]
    assert trigger["for_each"] == "${local.glue_triggers}"
    assert trigger["type"] == "${each.value.type}"
    assert trigger["workflow_name"] == "${aws_glue_workflow.workflow[each.value.workflow].name}"
    assert "var.glue_workflows" in json.dumps(tf.locals["glue_triggers"])
    predicate = _dynamic(trigger, "predicate")
    assert "CONDITIONAL" in predicate["for_each"]
    content = _one(predicate["content"])
    assert content["logical"] == "AND", "logical is set even for one condition"
    conditions = _dynamic(content, "conditions")
    assert conditions["for_each"] == "${predicate.value}"
    assert _one(conditions["content"]) == {"job_name": "${aws_glue_job.job[conditions.value].name}",
                                           "state": "SUCCEEDED", "logical_operator": "EQUALS"}
    actions = _dynamic(trigger, "actions")
    assert actions["for_each"] == "${each.value.actions}"
    assert _one(actions["content"]) == {"job_name": "${aws_glue_job.job[actions.value].name}"}


def test_generated_triggers_are_the_declared_dags() -> None:
    """The tfvars hold, per workflow, exactly the triggers of its DAG; re-derived here from the DAG's edges."""
    exported = terraform_jobs()["glue_workflows"]
    assert set(exported) == {wf.name for wf in WORKFLOW_DECLARATIONS} == set(WORKFLOWS)
    for wf in WORKFLOW_DECLARATIONS:
        got = exported[wf.name]
        assert got["default_run_properties"] == dict(wf.run_properties)
        deps = dependencies(wf, JOBS)
        tr = got["triggers"]
        assert tr == {t.name: {"type": t.type, "schedule": t.schedule, "actions": list(t.actions),
                               "conditions": list(t.conditions)} for t in triggers(wf, JOBS)}
        start = tr["start"]
        assert start["type"] == ("ON_DEMAND" if wf.name == "backfill" else "SCHEDULED")
        assert start["conditions"] == [] and sorted(start["actions"]) == sorted(n for n, p in deps.items() if not p)
        started = [a for t in tr.values() for a in t["actions"]]
        assert sorted(started) == sorted(j.name for j in members(wf, JOBS)), f"{wf.name}: one trigger per job"
        for name, t in tr.items():
            assert 1 <= len(t["actions"]) <= 50
            if name != "start":
                assert t["type"] == "CONDITIONAL" and t["schedule"] is None
                for job in t["actions"]:
                    assert sorted(t["conditions"]) == sorted(deps[job]), f"{wf.name}/{name}: {job}"


def test_schedule_switches_match_the_declared_schedules(tf: Root) -> None:
    schedules = tf.default("workflow_schedules")
    for wf in WORKFLOW_DECLARATIONS:
        assert wf.name in schedules, f"workflow_schedules lacks {wf.name}"
        if wf.schedule:
            assert re.fullmatch(r"cron\((\S+ ){5}\S+\)", wf.schedule), f"{wf.name}: not a Glue cron()"
            assert schedules[wf.name]["schedule"] == wf.schedule, f"{wf.name}: variables.tf and workflows.py differ"
    assert "var.workflow_schedules" in tf.of_type("aws_glue_trigger")["trigger"]["enabled"]


# --- storage, IAM, alerts ----------------------------------------------------------


def test_buckets_are_private_versioned_and_encrypted(tf: Root) -> None:
    assert set(tf.locals["buckets"]) == {"bronze", "warehouse", "artifacts"}
    assert tf.of_type("aws_s3_bucket")["lake"]["for_each"] == "${local.buckets}"
    pab = tf.of_type("aws_s3_bucket_public_access_block")["lake"]
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert pab[flag] is True, flag
    versioning = tf.of_type("aws_s3_bucket_versioning")["lake"]
    assert _one(versioning["versioning_configuration"])["status"] == "Enabled"
    sse = _one(_one(tf.of_type("aws_s3_bucket_server_side_encryption_configuration")["lake"]["rule"])
               ["apply_server_side_encryption_by_default"])
    assert sse["sse_algorithm"] == "aws:kms"
    for rtype in ("aws_s3_bucket_public_access_block", "aws_s3_bucket_versioning",
                  "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_policy"):
        assert tf.of_type(rtype)["lake"]["for_each"] == "${aws_s3_bucket.lake}", rtype
    deny = _one(tf.data[("aws_iam_policy_document", "bucket")]["statement"])
    assert deny["effect"] == "Deny" and _one(deny["condition"])["variable"] == "aws:SecureTransport"


def test_databases_and_secret_match_the_aws_profile(tf: Root, aws_cfg: Any) -> None:
    assert tf.default("glue_databases") == dict(aws_cfg.lake.namespaces)
    assert tf.default("api_key_secret_name") == aws_cfg.api.key_secret_name
    assert tf.default("region") == aws_cfg.aws.region
    assert tf.of_type("aws_glue_catalog_database")["layer"]["for_each"] == "${var.glue_databases}"


def test_glue_role_is_least_privilege(tf: Root) -> None:
    assert "aws_iam_role_policy_attachment" not in {t for t, _ in tf.resources}, "no managed policies"
    assert tf.of_type("aws_iam_role_policy")["glue"]["role"] == "${aws_iam_role.glue.id}"
    statements = tf.data[("aws_iam_policy_document", "glue")]["statement"]
    by_sid = {s["sid"]: s for s in statements}
    for s in statements:
        actions = s["actions"]
        assert not any(a == "*" or a.endswith(":*") for a in actions), f"{s['sid']}: wildcard action"
        if isinstance(s["resources"], list) and "*" in s["resources"]:
            assert actions == ["cloudwatch:PutMetricData"] and "condition" in s, f"{s['sid']}: resource *"
    assert by_sid["ApiKeySecret"]["resources"] == ["${aws_secretsmanager_secret.api_key.arn}"]
    assert by_sid["LakeKey"]["resources"] == ["${aws_kms_key.lake.arn}"]
    glue_resources = json.dumps(by_sid["IcebergTables"]["resources"])
    assert "local.database_names" in glue_resources and "*:database/*" not in glue_resources
    s3_resources = [r for s in statements if any(a.startswith("s3:") for a in s["actions"])
                    for r in (s["resources"] if isinstance(s["resources"], list) else [s["resources"]])]
    assert s3_resources and all("aws_s3_bucket.lake" in json.dumps(r) for r in s3_resources)
    assume = _one(tf.data[("aws_iam_policy_document", "glue_assume")]["statement"])
    assert _one(assume["principals"])["identifiers"] == ["glue.amazonaws.com"]


def test_failed_job_runs_alert_through_sns(tf: Root) -> None:
    rule = tf.of_type("aws_cloudwatch_event_rule")["glue_job_failed"]
    pattern = rule["event_pattern"]
    for needle in ("aws.glue", "Glue Job State Change", "aws_glue_job.job", "var.alert_states"):
        assert needle in pattern, needle
    target = tf.of_type("aws_cloudwatch_event_target")["glue_job_failed"]
    assert target["arn"] == "${aws_sns_topic.alerts.arn}"
    assert set(tf.default("alert_states")) >= {"FAILED", "TIMEOUT"}
    assert "aws_sns_topic_policy" in {t for t, _ in tf.resources}


# --- the terraform binary, where there is one -------------------------------------


def _terraform() -> str:
    exe = shutil.which("terraform")
    if not exe:
        pytest.skip("terraform is not installed")
    return exe


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_terraform_fmt() -> None:
    result = _run([_terraform(), "fmt", "-check", "-recursive", "-diff", str(TF)], REPO)
    assert result.returncode == 0, f"terraform fmt -check failed; run `terraform fmt -recursive terraform`\n{result.stdout}"


@pytest.fixture
def offline_plugins() -> Iterator[str]:
    for folder in PLUGIN_DIRS:
        if any(Path(folder).glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            yield folder
            return
    pytest.skip("no AWS provider on disk (set CBBD_TF_PLUGIN_DIR); CI's terraform job runs `terraform test`")


def test_terraform_validate_and_plan_with_mock_provider(tmp_path: Path, offline_plugins: str) -> None:
    """Plans the real root over jobs.auto.tfvars.json (terraform/tests/*.tftest.hcl), no AWS account needed."""
    exe = _terraform()
    work = tmp_path / "terraform"
    shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"))
    init = _run([exe, "init", "-backend=false", f"-plugin-dir={offline_plugins}", "-no-color"], work)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = _run([exe, "validate", "-no-color"], work)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    test = _run([exe, "test", "-no-color"], work)
    assert test.returncode == 0, test.stdout + test.stderr
    assert re.search(r"Success! \d+ passed, 0 failed", test.stdout), test.stdout
