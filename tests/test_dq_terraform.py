"""Terraform's Glue Data Quality rulesets are the rule declarations: the generated tfvars is current, the
resource iterates over it into the layer databases, and a mocked plan creates one ruleset per table."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cbbd_etl.dq.dqdl import ruleset_text, shape_of
from cbbd_etl.dq.terraform import TFVARS_PATH, terraform_rulesets, terraform_rulesets_json
from cbbd_etl.specs.dq_rules import all_rules

hcl2 = pytest.importorskip("hcl2")

REPO = Path(__file__).resolve().parents[1]
TF = REPO / "terraform"
PLUGIN_DIRS = [p for p in (os.environ.get("CBBD_TF_PLUGIN_DIR", ""), "/opt/tf-plugins") if p]


def _hcl(path: Path) -> dict[str, Any]:
    options_cls = getattr(hcl2, "SerializationOptions", None)
    text = path.read_text(encoding="utf-8")
    if options_cls is None:  # python-hcl2 < 7 returns plain values already
        return hcl2.loads(text)
    return hcl2.loads(text, serialization_options=options_cls(with_comments=False, explicit_blocks=False,
                                                                strip_string_quotes=True))


def test_tfvars_is_the_generator_output() -> None:
    assert (REPO / TFVARS_PATH).read_text(encoding="utf-8") == terraform_rulesets_json(), (
        f"{TFVARS_PATH} is stale: run `cbbd-etl dq --write-terraform {TFVARS_PATH}`")


def test_one_ruleset_per_table_with_its_dqdl() -> None:
    rulesets = json.loads((REPO / TFVARS_PATH).read_text(encoding="utf-8"))["dq_rulesets"]
    catalog = all_rules()
    assert set(rulesets) == {t.replace(".", "_") for t, rules in catalog.items() if ruleset_text(rules)}
    assert len(rulesets) == len(catalog)             # every declared table has at least one DQDL rule
    for key, rs in rulesets.items():
        table = f"{rs['layer']}.{rs['table']}"
        assert key == table.replace(".", "_")
        assert rs["ruleset"] == ruleset_text(catalog[table])
        body = rs["ruleset"].strip()
        assert body.startswith("Rules = [\n") and body.endswith("\n]")
        for line in body.splitlines()[1:-1]:
            assert shape_of(line.strip().rstrip(",")) is not None, (table, line)
    assert rulesets["silver_plays"]["references"] == {"games": "silver.games"}
    assert rulesets["silver_games"]["references"] == {}


def test_resource_targets_the_layer_databases() -> None:
    doc = _hcl(TF / "data_quality.tf")
    resources = {name: body for block in doc["resource"] for rtype, named in block.items()
                 for name, body in named.items() if rtype == "aws_glue_data_quality_ruleset"}
    assert list(resources) == ["table"]
    rs = resources["table"]
    assert "var.dq_rulesets" in rs["for_each"]
    assert rs["ruleset"] == "${each.value.ruleset}"
    target = rs["target_table"][0]
    assert target["database_name"] == "${aws_glue_catalog_database.layer[each.value.layer].name}"
    assert target["table_name"] == "${each.value.table}"
    variables = {k: v for block in doc["variable"] for k, v in block.items()}
    assert set(variables) == {"dq_rulesets", "create_dq_rulesets"}
    glue_dbs = {k: v for path in TF.glob("*.tf") for block in _hcl(path).get("variable", [])
                for k, v in block.items()}["glue_databases"]["default"]
    assert {rs["layer"] for rs in terraform_rulesets().values()} <= set(glue_dbs)


_PLAN_TEST = """
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[]}" }
  }
}

variables {
  bronze_bucket    = "test-cbbd-bronze"
  warehouse_bucket = "test-cbbd-warehouse"
  artifacts_bucket = "test-cbbd-artifacts"
}

run "one_dq_ruleset_per_table" {
  command = plan

  assert {
    condition     = length(aws_glue_data_quality_ruleset.table) == length(var.dq_rulesets)
    error_message = "every generated ruleset must become one aws_glue_data_quality_ruleset"
  }

  assert {
    condition     = aws_glue_data_quality_ruleset.table["silver_plays"].target_table[0].database_name == "cbbd_silver"
    error_message = "silver rulesets target the silver database"
  }

  assert {
    condition     = aws_glue_data_quality_ruleset.table["gold_team_season"].target_table[0].table_name == "team_season"
    error_message = "a ruleset targets its table"
  }
}
"""


@pytest.mark.slow
def test_mocked_plan_creates_one_ruleset_per_table(tmp_path: Path) -> None:
    exe = shutil.which("terraform")
    plugins = next((d for d in PLUGIN_DIRS
                    if any(Path(d).glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*"))), None)
    if not exe or not plugins:
        pytest.skip("terraform or an offline AWS provider is not available")
    work = tmp_path / "terraform"
    shutil.copytree(TF, work, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*",
                                                            "tests"))
    (work / "tests").mkdir()
    (work / "tests" / "dq_rulesets.tftest.hcl").write_text(_PLAN_TEST, encoding="utf-8")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *args], cwd=work, capture_output=True, text=True, env=env, timeout=600)

    init = run("init", "-backend=false", f"-plugin-dir={plugins}", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    validate = run("validate", "-no-color")
    assert validate.returncode == 0, validate.stdout + validate.stderr
    test = run("test", "-no-color")
    assert test.returncode == 0 and "1 passed, 0 failed" in test.stdout, test.stdout + test.stderr
