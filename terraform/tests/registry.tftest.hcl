# `terraform test` (plan only, mocked AWS provider: no credentials, no calls):
# evaluates the for_each logic of glue.tf over the real jobs.auto.tfvars.json.
# tests/test_terraform.py runs it when a provider is available offline; CI's
# terraform job runs it after `terraform init -backend=false`.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  bronze_bucket    = "test-cbbd-bronze"
  warehouse_bucket = "test-cbbd-warehouse"
  artifacts_bucket = "test-cbbd-artifacts"
}

run "one_glue_job_per_registry_job" {
  command = plan

  assert {
    condition     = length(aws_glue_job.job) == length(var.glue_jobs)
    error_message = "every registry job must become one aws_glue_job"
  }

  assert {
    condition = alltrue([
      for name, job in var.glue_jobs :
      aws_glue_job.job[name].command[0].script_location == "s3://test-cbbd-artifacts/glue_scripts/${name}.py"
    ])
    error_message = "script_location must be s3://<artifacts>/glue_scripts/<job>.py"
  }

  assert {
    condition = alltrue([
      for name, job in var.glue_jobs :
      aws_glue_job.job[name].default_arguments["--extra-py-files"] == "s3://test-cbbd-artifacts/wheels/${var.wheel_name}"
    ])
    error_message = "every job loads the cbbd_etl wheel"
  }

  assert {
    condition = alltrue([
      for name, job in var.glue_jobs :
      job.command == "pythonshell" ? (
        aws_glue_job.job[name].glue_version == var.pythonshell_glue_version && aws_glue_job.job[name].max_capacity == var.pythonshell_max_capacity
        ) : (
        aws_glue_job.job[name].glue_version == var.glue_version &&
        aws_glue_job.job[name].worker_type == job.worker_type &&
        aws_glue_job.job[name].number_of_workers == job.number_of_workers &&
        aws_glue_job.job[name].default_arguments["--datalake-formats"] == "iceberg" &&
        strcontains(aws_glue_job.job[name].default_arguments["--conf"], "spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog")
      )
    ])
    error_message = "Spark jobs: Glue 5.x, registry workers, Iceberg; Python-shell jobs: Glue 3.0 with DPUs"
  }

  assert {
    condition     = alltrue([for name, job in var.glue_jobs : aws_glue_job.job[name].timeout == job.timeout_minutes])
    error_message = "timeouts come from the registry"
  }
}

run "workflows_and_triggers_follow_the_declared_dags" {
  command = plan

  assert {
    condition     = toset(keys(aws_glue_workflow.workflow)) == toset(keys(var.glue_workflows))
    error_message = "one Glue workflow per declared workflow"
  }

  assert {
    condition     = alltrue([for wf, w in var.glue_workflows : aws_glue_workflow.workflow[wf].default_run_properties == w.default_run_properties])
    error_message = "workflow default run properties come from the declaration"
  }

  assert {
    condition     = length(aws_glue_trigger.trigger) == sum([for w in values(var.glue_workflows) : length(w.triggers)])
    error_message = "one aws_glue_trigger per declared trigger"
  }

  assert {
    condition = alltrue([
      for key, t in local.glue_triggers :
      aws_glue_trigger.trigger[key].type == t.type &&
      aws_glue_trigger.trigger[key].workflow_name == aws_glue_workflow.workflow[t.workflow].name &&
      toset([for a in aws_glue_trigger.trigger[key].actions : a.job_name]) == toset([for j in t.actions : aws_glue_job.job[j].name])
    ])
    error_message = "every trigger starts exactly its declared jobs in its own workflow"
  }

  assert {
    condition = alltrue([
      for key, t in local.glue_triggers : (
        aws_glue_trigger.trigger[key].predicate[0].logical == "AND" &&
        toset([for c in aws_glue_trigger.trigger[key].predicate[0].conditions : c.job_name]) == toset([for j in t.conditions : aws_glue_job.job[j].name]) &&
        alltrue([for c in aws_glue_trigger.trigger[key].predicate[0].conditions : c.state == "SUCCEEDED"])
      ) if t.type == "CONDITIONAL"
    ])
    error_message = "a conditional trigger waits (AND) for the success of exactly its declared predecessors"
  }

  assert {
    condition = alltrue([
      for key, t in local.glue_triggers : aws_glue_trigger.trigger[key].schedule == t.schedule if t.type == "SCHEDULED"
    ])
    error_message = "scheduled start triggers use the declared cron"
  }
}
