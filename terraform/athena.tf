# Athena: the workgroup analysts and `cbbd-etl views deploy` run in.
#
# Why enforce the workgroup configuration: query results contain lake data, so
# every query's results must land in one known, encrypted location, whatever
# the client asks for (enforce_workgroup_configuration = true ignores the
# client-side OutputLocation and encryption settings). Results are encrypted
# with the lake's KMS key and expire with the artifacts bucket's lifecycle.
# The views themselves are SQL files in the wheel (cbbd_etl/resources/views)
# created by `cbbd-etl views deploy --workgroup <this name>`.

resource "aws_athena_workgroup" "analytics" {
  name          = "${local.prefix}-analytics"
  description   = "${local.prefix}: analyst queries and the gold views over the Iceberg lake"
  state         = "ENABLED"
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 107374182400 # 100 GiB: a runaway scan stops, not the bill

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.artifacts_bucket}/athena-results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.lake.arn
      }

      acl_configuration {
        s3_acl_option = "BUCKET_OWNER_FULL_CONTROL"
      }
    }
  }
}

output "athena_workgroup" {
  description = "Athena workgroup with the enforced, encrypted result location (cbbd-etl views deploy --workgroup)."
  value       = aws_athena_workgroup.analytics.name
}
