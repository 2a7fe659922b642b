# The one role every Glue job runs as, with exactly what the jobs touch:
# the three buckets (each on its own prefixes), the three Glue databases,
# Glue's CloudWatch log groups and metrics, the lake key, and the API-key
# secret. No AWS managed policy: AWSGlueServiceRole grants s3:* on buckets
# named aws-glue-* and much of Glue, EC2 and IAM besides.

data "aws_iam_policy_document" "glue_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "glue" {
  name               = "${local.prefix}-glue-jobs"
  description        = "Runs the cbbd_etl Glue jobs (least privilege: lake buckets, cbbd databases, logs, API-key secret)."
  assume_role_policy = data.aws_iam_policy_document.glue_assume.json
}

locals {
  glue_arn_prefix = "arn:${local.partition}:glue:${var.region}:${local.account_id}"
  logs_arn_prefix = "arn:${local.partition}:logs:${var.region}:${local.account_id}"
  database_names  = values(var.glue_databases)
}

data "aws_iam_policy_document" "glue" {
  statement {
    sid       = "ListLakeBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [for b in aws_s3_bucket.lake : b.arn]
  }

  # Bronze: raw responses and manifests, written atomically (write then copy/delete).
  statement {
    sid       = "BronzeObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake["bronze"].arn}/bronze/*"]
  }

  # Warehouse: Iceberg data and metadata; snapshot expiry and compaction delete files.
  statement {
    sid       = "WarehouseObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake["warehouse"].arn}/warehouse/*"]
  }

  # Artifacts: code is read-only to the jobs; only tmp/ is theirs to write.
  statement {
    sid     = "ReadCode"
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.lake["artifacts"].arn}/glue_scripts/*",
      "${aws_s3_bucket.lake["artifacts"].arn}/wheels/*",
    ]
  }

  statement {
    sid       = "GlueTempDir"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake["artifacts"].arn}/tmp/*"]
  }

  # Iceberg's GlueCatalog: tables in the three lake databases. The databases
  # themselves are Terraform's (glue.tf), so there is no Create/DeleteDatabase.
  statement {
    sid = "IcebergTables"
    actions = [
      "glue:GetDatabase",
      "glue:GetDatabases",
      "glue:GetTable",
      "glue:GetTables",
      "glue:CreateTable",
      "glue:UpdateTable",
      "glue:DeleteTable",
      "glue:GetPartitions",
    ]
    resources = concat(
      ["${local.glue_arn_prefix}:catalog"],
      [for db in local.database_names : "${local.glue_arn_prefix}:database/${db}"],
      [for db in local.database_names : "${local.glue_arn_prefix}:table/${db}/*"],
    )
  }

  # --enable-glue-datacatalog makes Spark look up the `default` database at start-up.
  statement {
    sid       = "DefaultDatabaseLookup"
    actions   = ["glue:GetDatabase"]
    resources = ["${local.glue_arn_prefix}:catalog", "${local.glue_arn_prefix}:database/default"]
  }

  statement {
    sid = "GlueLogs"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:AssociateKmsKey",
    ]
    resources = [
      "${local.logs_arn_prefix}:log-group:/aws-glue/*",
      "${local.logs_arn_prefix}:log-group:/aws-glue/*:log-stream:*",
    ]
  }

  # PutMetricData has no resource-level permissions; the namespace condition scopes it.
  statement {
    sid       = "GlueMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Glue"]
    }
  }

  statement {
    sid       = "ApiKeySecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_secretsmanager_secret.api_key.arn]
  }

  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role_policy" "glue" {
  name   = "${local.prefix}-glue-jobs"
  role   = aws_iam_role.glue.id
  policy = data.aws_iam_policy_document.glue.json
}
