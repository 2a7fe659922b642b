# AWS Glue Data Quality: one DQDL ruleset per lake table, generated from the
# rule declarations (lib/cbbd_etl/specs/dq_rules.py) into
# dq_rulesets.auto.tfvars.json by
#   cbbd-etl dq --write-terraform terraform/dq_rulesets.auto.tfvars.json
# (tests/test_dq_terraform.py fails when the file is stale). Nothing here
# lists a rule: add one in the declaration, regenerate, apply.
#
# The rulesets target the Iceberg tables in the layer databases (glue.tf);
# the data_quality Glue job evaluates the same DQDL with EvaluateDataQuality
# and passes the tables named in `references` as additional data sources
# (ReferentialIntegrity). Rules DQDL cannot express run in that job only.
# The tables are created by the jobs' first run: apply this after it, or
# set create_dq_rulesets = false until then.

variable "dq_rulesets" {
  description = "Table key -> layer (key of var.glue_databases), Glue table name, DQDL ruleset and the additional data sources its ReferentialIntegrity rules need (alias -> logical table). Generated: dq_rulesets.auto.tfvars.json."
  type = map(object({
    layer      = string
    table      = string
    ruleset    = string
    references = map(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for key, rs in var.dq_rulesets : contains(["silver", "gold", "meta"], rs.layer)])
    error_message = "every ruleset's layer must be silver, gold or meta."
  }

  validation {
    condition     = alltrue([for key, rs in var.dq_rulesets : startswith(trimspace(rs.ruleset), "Rules = [")])
    error_message = "every ruleset must be a DQDL document starting with `Rules = [`."
  }
}

variable "create_dq_rulesets" {
  description = "Create the Glue Data Quality rulesets (their tables must exist: run the daily workflow once first)."
  type        = bool
  default     = true
}

resource "aws_glue_data_quality_ruleset" "table" {
  for_each = var.create_dq_rulesets ? var.dq_rulesets : {}

  name        = "${local.prefix}-${each.key}"
  description = "cbbd_etl data quality of ${each.value.layer}.${each.value.table} (generated from dq_rules.py)"
  ruleset     = each.value.ruleset

  target_table {
    database_name = aws_glue_catalog_database.layer[each.value.layer].name
    table_name    = each.value.table
  }
}
