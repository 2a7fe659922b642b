# Storage and keys of the lake: three buckets (bronze, warehouse, artifacts),
# one customer-managed KMS key, and the API-key secret.
#
# Why three buckets: each has its own lifecycle and its own reader/writer set.
# Bronze is append-mostly raw JSON, the warehouse is Iceberg (whose snapshot
# expiry deletes files, so S3 versioning only guards against mistakes), and
# artifacts holds code and Glue temp files that may be thrown away.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  prefix     = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  buckets = {
    bronze    = var.bronze_bucket
    warehouse = var.warehouse_bucket
    artifacts = var.artifacts_bucket
  }

  # Paths the jobs use; they override the aws profile's defaults through
  # the --warehouse and --bronze_root job arguments (cbbd_etl.glue_entry).
  warehouse_uri = "s3://${var.warehouse_bucket}/warehouse"
  bronze_uri    = "s3://${var.bronze_bucket}/bronze"
  wheel_uri     = "s3://${var.artifacts_bucket}/wheels/${var.wheel_name}"
  temp_uri      = "s3://${var.artifacts_bucket}/tmp/"
}

# ---------------------------------------------------------------------------
# KMS: one key for buckets, Glue logs/bookmarks, the secret and the alert topic
# ---------------------------------------------------------------------------

data "aws_iam_policy_document" "kms" {
  # In a key policy "*" means "this key", not every resource:
  #checkov:skip=CKV_AWS_109:Key policy; Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_111:Key policy; Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy; Resource "*" is the key itself.
  # The account administers the key through IAM; that is what lets the Glue
  # role's IAM policy (iam.tf) grant it Encrypt/Decrypt without naming it here.
  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # Glue's security configuration encrypts its CloudWatch log groups with this key.
  statement {
    sid       = "CloudWatchLogsForGlueLogGroups"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws-glue/*"]
    }
  }

  # EventBridge publishes failure events to the encrypted SNS topic.
  statement {
    sid       = "EventBridgePublishesToEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "lake" {
  description             = "${local.prefix} lake: S3 buckets, Glue logs and bookmarks, API-key secret, alert topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${local.prefix}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

# ---------------------------------------------------------------------------
# S3 buckets
# ---------------------------------------------------------------------------

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_18:Server access logs are the account's CloudTrail data-event choice, not this module's.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision left to the deployer; bronze can be re-fetched and silver/gold rebuilt.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications: Glue workflows are scheduled, not event driven.
  for_each = local.buckets

  bucket = each.value
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  for_each = aws_s3_bucket.lake

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  for_each = aws_s3_bucket.lake

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  for_each = aws_s3_bucket.lake

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  for_each = aws_s3_bucket.lake

  bucket = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    # Bucket keys cut KMS requests (and cost) for Iceberg's many small metadata files.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  for_each = aws_s3_bucket.lake

  bucket = each.value.id

  rule {
    id     = "abort-incomplete-uploads-and-expire-old-versions"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }

  # Glue's --TempDir only in the artifacts bucket.
  dynamic "rule" {
    for_each = each.key == "artifacts" ? ["tmp/"] : []
    content {
      id     = "expire-glue-temp"
      status = "Enabled"
      filter {
        prefix = rule.value
      }
      expiration {
        days = 7
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

data "aws_iam_policy_document" "bucket" {
  for_each = aws_s3_bucket.lake

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  for_each = aws_s3_bucket.lake

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.lake]
}

# ---------------------------------------------------------------------------
# The CBBD API key
# ---------------------------------------------------------------------------

resource "aws_secretsmanager_secret" "api_key" {
  #checkov:skip=CKV2_AWS_57:A third-party API key cannot be rotated by a Lambda; it is replaced by hand in the CBBD account.
  name                    = var.api_key_secret_name
  description             = "CollegeBasketballData.com API key (bearer). The value is put outside Terraform so it never lands in state."
  kms_key_id              = aws_kms_key.lake.arn
  recovery_window_in_days = 7
}

# Account-wide: only when nothing else manages the Data Catalog's encryption.
resource "aws_glue_data_catalog_encryption_settings" "catalog" {
  count = var.manage_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.lake.arn
    }
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.lake.arn
    }
  }
}
