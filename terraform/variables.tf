# ---------------------------------------------------------------------------
# Generated: the job registry (jobs.auto.tfvars.json). Do not edit by hand.
# ---------------------------------------------------------------------------

variable "glue_jobs" {
  description = "Every job of lib/cbbd_etl/registry.py, exported by `cbbd-etl registry --write terraform/jobs.auto.tfvars.json`."
  type = map(object({
    description         = string
    script              = string
    command             = string
    worker_type         = string
    number_of_workers   = number
    timeout_minutes     = number
    max_retries         = number
    max_concurrent_runs = number
    workflow            = string
    layer               = string
    parameters          = list(string)
    inputs              = list(string)
    outputs             = list(string)
    upstream            = list(string)
    default_arguments   = map(string)
  }))

  validation {
    condition     = alltrue([for j in values(var.glue_jobs) : contains(["glueetl", "pythonshell"], j.command)])
    error_message = "glue_jobs[*].command must be glueetl or pythonshell."
  }

  validation {
    condition     = alltrue([for j in values(var.glue_jobs) : alltrue([for u in j.upstream : contains(keys(var.glue_jobs), u)])])
    error_message = "glue_jobs[*].upstream names a job that is not in glue_jobs; regenerate jobs.auto.tfvars.json."
  }
}

# ---------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------

variable "region" {
  description = "AWS region of the lake (config: aws.region)."
  type        = string
  default     = "us-east-1"
}

variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "cbbd"
}

variable "environment" {
  description = "Deployment stage, part of resource names (dev, prod, ...)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,16}$", var.environment))
    error_message = "environment must be 1-16 lower-case letters, digits or dashes."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# Bucket names are globally unique, so they are chosen by whoever deploys
# rather than derived here.
variable "bronze_bucket" {
  description = "S3 bucket for raw API responses and manifests (bronze)."
  type        = string
}

variable "warehouse_bucket" {
  description = "S3 bucket holding the Iceberg warehouse (silver, gold, meta data and metadata files)."
  type        = string
}

variable "artifacts_bucket" {
  description = "S3 bucket for Glue scripts (glue_scripts/), the cbbd_etl wheel (wheels/) and Glue temp files (tmp/)."
  type        = string
}

variable "wheel_name" {
  description = "File name of the cbbd_etl wheel under s3://<artifacts_bucket>/wheels/ (make wheel builds it into dist/)."
  type        = string
  default     = "cbbd_etl-0.1.0-py3-none-any.whl"
}

# ---------------------------------------------------------------------------
# Glue runtime
# ---------------------------------------------------------------------------

variable "glue_version" {
  description = "Glue version of Spark (glueetl) jobs. 5.1 = Spark 3.5.6, Python 3.11, Iceberg 1.10; 5.0 = Spark 3.5.4, Iceberg 1.7.1."
  type        = string
  default     = "5.1"

  validation {
    condition     = contains(["5.0", "5.1"], var.glue_version)
    error_message = "glue_version must be 5.0 or 5.1 (the code targets Spark 3.5 + Iceberg format-version 2)."
  }
}

# Python-shell jobs do not exist on Glue 4/5: the newest runtime is Glue 3.0
# with Python 3.9. See docs/operations.md ("Python-shell jobs").
variable "pythonshell_glue_version" {
  description = "Glue version of Python-shell jobs (only 3.0 offers Python 3.9)."
  type        = string
  default     = "3.0"
}

variable "pythonshell_python_version" {
  description = "Python version of Python-shell jobs."
  type        = string
  default     = "3.9"
}

variable "pythonshell_max_capacity" {
  description = "DPUs of a Python-shell job: 0.0625 (1/16) or 1."
  type        = number
  default     = 0.0625

  validation {
    condition     = contains([0.0625, 1], var.pythonshell_max_capacity)
    error_message = "pythonshell_max_capacity must be 0.0625 or 1."
  }
}

variable "current_season" {
  description = "Unused by the jobs since the run contract (lib/cbbd_etl/params.py): the daily workflow takes the season of its as-of date, a backfill the season run property. Kept for outputs and older callers."
  type        = number
  default     = 2026
}

variable "iceberg_catalog_name" {
  description = "Spark catalog name of the Glue Data Catalog (config profile aws: lake.catalog_name)."
  type        = string
  default     = "glue_catalog"
}

variable "glue_databases" {
  description = "Logical layer -> Glue database (config profile aws: lake.namespaces)."
  type        = map(string)
  default = {
    silver = "cbbd_silver"
    gold   = "cbbd_gold"
    meta   = "cbbd_meta"
  }

  validation {
    condition     = length(setsubtract(["silver", "gold", "meta"], keys(var.glue_databases))) == 0
    error_message = "glue_databases needs silver, gold and meta."
  }
}

variable "api_key_secret_name" {
  description = "Secrets Manager secret holding the CBBD API key (config profile aws: api.key_secret_name). Terraform creates it empty; put the value with `aws secretsmanager put-secret-value`."
  type        = string
  default     = "cbbd/api-key"
}

# ---------------------------------------------------------------------------
# Schedules and alerts
# ---------------------------------------------------------------------------

variable "workflow_schedules" {
  description = "Whether each scheduled workflow's start trigger is on. The schedule itself is declared in lib/cbbd_etl/workflows.py (var.glue_workflows); tests/test_terraform.py fails when these differ."
  type = map(object({
    schedule = string
    enabled  = bool
  }))
  default = {
    # 10:00 UTC: after the night's games are final and corrected.
    daily = { schedule = "cron(0 10 * * ? *)", enabled = true }
    # Backfills are started by hand (aws glue start-workflow-run); the schedule is off.
    backfill = { schedule = "cron(0 6 1 1 ? *)", enabled = false }
    # Compaction and snapshot expiry, Sunday mornings.
    maintenance = { schedule = "cron(0 12 ? * SUN *)", enabled = true }
  }
}

variable "alert_email" {
  description = "E-mail subscribed to the failure topic (empty: no subscription; subscribe anything else to the topic yourself)."
  type        = string
  default     = ""
}

variable "alert_states" {
  description = "Glue job run states that raise an alert."
  type        = list(string)
  default     = ["FAILED", "TIMEOUT", "ERROR"]
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted S3 object version is kept (versioning protects against bad deletes; Iceberg's own snapshot expiry removes files)."
  type        = number
  default     = 30
}

variable "manage_catalog_encryption" {
  description = "Also set the account-wide Glue Data Catalog encryption (one per account and region: leave false if something else manages it)."
  type        = bool
  default     = false
}
