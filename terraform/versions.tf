# Terraform root for the cbbd_etl lakehouse on AWS Glue + Iceberg.
#
# The Glue jobs are not listed here: they come from jobs.auto.tfvars.json,
# which `cbbd-etl registry --write terraform/jobs.auto.tfvars.json` generates
# from lib/cbbd_etl/registry.py (tests/test_registry.py and
# tests/test_terraform.py fail when it is stale). Add a job in the registry,
# regenerate, apply: nothing in this folder changes.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Remote state; the bucket, key, region and lock table are passed at init:
  #   terraform init -backend-config=bucket=... -backend-config=key=cbbd_etl/terraform.tfstate \
  #     -backend-config=region=... -backend-config=dynamodb_table=...
  # Local experiments: terraform init -backend=false && terraform validate
  backend "s3" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        project     = var.project
        environment = var.environment
        managed_by  = "terraform"
        source      = "cbbd_etl"
      },
      var.tags,
    )
  }
}
