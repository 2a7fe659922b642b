# Glue jobs, derived from var.glue_jobs (the job registry); the workflows and
# their triggers are in workflows.tf (var.glue_workflows, the workflow DAGs).
# Nothing here names a job: adding one to lib/cbbd_etl/registry.py and
# regenerating jobs.auto.tfvars.json is enough.

locals {
  # One Spark catalog over the Glue Data Catalog, the same properties
  # cbbd_etl.spark.catalog_conf() sets for the aws profile. They go in --conf
  # because spark.sql.extensions is static: it must be set before the session
  # exists. Glue chains several properties in one --conf value.
  iceberg_conf = join(" --conf ", [
    "spark.sql.extensions=org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    "spark.sql.catalog.${var.iceberg_catalog_name}=org.apache.iceberg.spark.SparkCatalog",
    "spark.sql.catalog.${var.iceberg_catalog_name}.warehouse=${local.warehouse_uri}",
    "spark.sql.catalog.${var.iceberg_catalog_name}.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog",
    "spark.sql.catalog.${var.iceberg_catalog_name}.io-impl=org.apache.iceberg.aws.s3.S3FileIO",
    "spark.sql.defaultCatalog=${var.iceberg_catalog_name}",
    "spark.sql.session.timeZone=UTC",
  ])

  # Every job: the wheel (library + job modules), where the lake is, temp space.
  common_arguments = {
    "--extra-py-files" = local.wheel_uri
    "--TempDir"        = local.temp_uri
    "--warehouse"      = local.warehouse_uri
    "--bronze_root"    = local.bronze_uri
    "--job-language"   = "python"
  }

  # Spark jobs only: Glue's bundled Iceberg runtime and its catalog.
  spark_arguments = {
    "--datalake-formats" = "iceberg"
    "--conf"             = local.iceberg_conf
  }

  is_shell = { for name, job in var.glue_jobs : name => job.command == "pythonshell" }
}

# Terraform owns the databases so the Glue role needs no glue:CreateDatabase.
# location_uri is where Iceberg's GlueCatalog would put them anyway.
resource "aws_glue_catalog_database" "layer" {
  for_each = var.glue_databases

  name         = each.value
  description  = "cbbd_etl ${each.key} layer: Iceberg tables (format-version 2)"
  location_uri = "${local.warehouse_uri}/${each.value}.db"
}

resource "aws_glue_security_configuration" "lake" {
  name = "${local.prefix}-lake"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = aws_kms_key.lake.arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = aws_kms_key.lake.arn
    }
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = aws_kms_key.lake.arn
    }
  }
}

resource "aws_glue_job" "job" {
  for_each = var.glue_jobs

  name                   = "${local.prefix}-${each.key}"
  description            = each.value.description
  role_arn               = aws_iam_role.glue.arn
  glue_version           = local.is_shell[each.key] ? var.pythonshell_glue_version : var.glue_version
  timeout                = each.value.timeout_minutes
  max_retries            = each.value.max_retries
  security_configuration = aws_glue_security_configuration.lake.name

  # Spark jobs are sized in workers, Python-shell jobs in DPUs.
  worker_type       = local.is_shell[each.key] ? null : each.value.worker_type
  number_of_workers = local.is_shell[each.key] ? null : each.value.number_of_workers
  max_capacity      = local.is_shell[each.key] ? var.pythonshell_max_capacity : null

  command {
    name            = each.value.command
    script_location = "s3://${var.artifacts_bucket}/${each.value.script}"
    python_version  = local.is_shell[each.key] ? var.pythonshell_python_version : "3"
  }

  execution_property {
    max_concurrent_runs = each.value.max_concurrent_runs
  }

  default_arguments = merge(
    each.value.default_arguments,
    local.common_arguments,
    local.is_shell[each.key] ? {} : local.spark_arguments,
  )

  tags = {
    job      = each.key
    layer    = each.value.layer
    workflow = each.value.workflow
  }

  lifecycle {
    precondition {
      condition     = each.value.script == "glue_scripts/${each.key}.py"
      error_message = "Job ${each.key}: its script must be glue_scripts/${each.key}.py (deploy.yml uploads that folder)."
    }
    precondition {
      condition     = local.is_shell[each.key] || (each.value.worker_type != "" && each.value.number_of_workers >= 2)
      error_message = "Spark job ${each.key} needs a worker type and at least 2 workers."
    }
  }

  depends_on = [aws_glue_catalog_database.layer]
}
