output "glue_role_arn" {
  description = "Role the Glue jobs run as."
  value       = aws_iam_role.glue.arn
}

output "glue_jobs" {
  description = "Registry job name -> Glue job name."
  value       = { for name, job in aws_glue_job.job : name => job.name }
}

output "glue_workflows" {
  description = "Registry workflow -> Glue workflow name (start one with `aws glue start-workflow-run --name ...`)."
  value       = { for wf, w in aws_glue_workflow.workflow : wf => w.name }
}

output "glue_databases" {
  description = "Layer -> Glue database (the aws profile's lake.namespaces)."
  value       = { for layer, db in aws_glue_catalog_database.layer : layer => db.name }
}

output "buckets" {
  description = "Bucket of each role: bronze, warehouse, artifacts."
  value       = { for role, b in aws_s3_bucket.lake : role => b.bucket }
}

output "warehouse_uri" {
  description = "Iceberg warehouse root (the jobs' --warehouse)."
  value       = local.warehouse_uri
}

output "bronze_uri" {
  description = "Bronze root (the jobs' --bronze_root)."
  value       = local.bronze_uri
}

output "wheel_uri" {
  description = "Where deploy.yml uploads the cbbd_etl wheel (the jobs' --extra-py-files)."
  value       = local.wheel_uri
}

output "alerts_topic_arn" {
  description = "SNS topic receiving failed Glue job runs."
  value       = aws_sns_topic.alerts.arn
}

output "kms_key_arn" {
  description = "Customer-managed key encrypting the buckets, logs, secret and topic."
  value       = aws_kms_key.lake.arn
}

output "api_key_secret_arn" {
  description = "Put the CBBD API key here: aws secretsmanager put-secret-value --secret-id <arn> --secret-string ..."
  value       = aws_secretsmanager_secret.api_key.arn
}
