"""The DQDL rulesets Terraform creates (``aws_glue_data_quality_ruleset``), one per table, from the rules.

``cbbd-etl dq --write-terraform terraform/dq_rulesets.auto.tfvars.json`` writes them;
``tests/test_dq_terraform.py`` fails when the file is stale. Pure Python.
"""
from __future__ import annotations

import json
from typing import Any

from ..specs.dq_rules import all_rules
from .dqdl import references, ruleset_text

TFVARS_PATH = "terraform/dq_rulesets.auto.tfvars.json"


def ruleset_key(table: str) -> str:
    """``silver.games`` → ``silver_games`` (Terraform map key and ruleset name suffix)."""
    return table.replace(".", "_")


def terraform_rulesets() -> dict[str, dict[str, Any]]:
    """Map key → layer (Glue database key), table (Glue table), ruleset (DQDL), references (alias → table)."""
    out: dict[str, dict[str, Any]] = {}
    for table, rules in all_rules().items():
        text = ruleset_text(rules)
        if not text:
            continue
        layer, short = table.split(".", 1)
        out[ruleset_key(table)] = {"layer": layer, "table": short, "ruleset": text,
                                   "references": dict(sorted(references(rules).items()))}
    return out


def terraform_rulesets_json() -> str:
    return json.dumps({"dq_rulesets": terraform_rulesets()}, indent=2, sort_keys=True) + "\n"
