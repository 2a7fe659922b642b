# Glue workflows and triggers, generated from the workflow DAGs declared in
# lib/cbbd_etl/workflows.py (exported into jobs.auto.tfvars.json as
# var.glue_workflows by `cbbd-etl registry --write`). Each workflow has one
# start trigger (SCHEDULED or ON_DEMAND) and one CONDITIONAL trigger per
# distinct set of predecessor jobs: fan-out to every job waiting for the same
# jobs, fan-in with logical = "AND" and one condition per predecessor. Every
# job is the action of exactly one trigger of each workflow it belongs to.

variable "glue_workflows" {
  description = "Generated: every workflow of lib/cbbd_etl/workflows.py with its default run properties and triggers. Do not edit by hand."
  type = map(object({
    description            = string
    default_run_properties = map(string)
    triggers = map(object({
      type       = string
      schedule   = string
      actions    = list(string)
      conditions = list(string)
    }))
  }))

  validation {
    condition = alltrue(flatten([for w in values(var.glue_workflows) : [
      for t in values(w.triggers) : contains(["SCHEDULED", "ON_DEMAND", "CONDITIONAL"], t.type) &&
      length(t.actions) > 0 && length(t.actions) <= 50 && (t.type == "CONDITIONAL") == (length(t.conditions) > 0)
    ]]))
    error_message = "glue_workflows: a trigger has 1-50 actions, and conditions exactly when it is CONDITIONAL."
  }
}

locals {
  # "<workflow>/<trigger>" => the trigger and its workflow.
  glue_triggers = merge([
    for wf, w in var.glue_workflows : {
      for name, t in w.triggers : "${wf}/${name}" => merge(t, { workflow = wf, name = name })
    }
  ]...)
}

resource "aws_glue_workflow" "workflow" {
  for_each = var.glue_workflows

  name                   = "${local.prefix}-${each.key}"
  description            = each.value.description
  max_concurrent_runs    = 1
  default_run_properties = each.value.default_run_properties
}

resource "aws_glue_trigger" "trigger" {
  for_each = local.glue_triggers

  name          = "${local.prefix}-${each.value.workflow}-${each.value.name}"
  description   = "${each.value.workflow}: starts ${join(", ", each.value.actions)}${length(each.value.conditions) > 0 ? " when ${join(" AND ", each.value.conditions)} succeeded" : ""}."
  workflow_name = aws_glue_workflow.workflow[each.value.workflow].name
  type          = each.value.type
  schedule      = each.value.type == "SCHEDULED" ? each.value.schedule : null
  # A schedule can be switched off (var.workflow_schedules); conditional triggers are always on.
  enabled = each.value.type == "SCHEDULED" ? try(var.workflow_schedules[each.value.workflow].enabled, true) : (
    each.value.type == "CONDITIONAL" ? true : null
  )

  dynamic "predicate" {
    for_each = each.value.type == "CONDITIONAL" ? [each.value.conditions] : []
    content {
      logical = "AND"

      dynamic "conditions" {
        for_each = predicate.value
        content {
          job_name         = aws_glue_job.job[conditions.value].name
          state            = "SUCCEEDED"
          logical_operator = "EQUALS"
        }
      }
    }
  }

  dynamic "actions" {
    for_each = each.value.actions
    content {
      job_name = aws_glue_job.job[actions.value].name
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for j in concat(each.value.actions, each.value.conditions) : contains(keys(var.glue_jobs), j)])
      error_message = "Trigger ${each.key} names a job that is not in var.glue_jobs; regenerate jobs.auto.tfvars.json."
    }
  }
}
