# Alerts: any run of one of our Glue jobs that ends FAILED, TIMEOUT or ERROR
# is published to an SNS topic. EventBridge sees every state change without
# polling, and a job added to the registry is covered without touching this.

resource "aws_sns_topic" "alerts" {
  name              = "${local.prefix}-glue-alerts"
  display_name      = "cbbd_etl Glue failures"
  kms_master_key_id = aws_kms_key.lake.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_event_rule" "glue_job_failed" {
  name        = "${local.prefix}-glue-job-failed"
  description = "A cbbd_etl Glue job run ended in ${join("/", var.alert_states)}."

  event_pattern = jsonencode({
    source      = ["aws.glue"]
    detail-type = ["Glue Job State Change"]
    detail = {
      jobName = sort([for job in aws_glue_job.job : job.name])
      state   = var.alert_states
    }
  })
}

resource "aws_cloudwatch_event_target" "glue_job_failed" {
  rule      = aws_cloudwatch_event_rule.glue_job_failed.name
  target_id = "sns"
  arn       = aws_sns_topic.alerts.arn

  input_transformer {
    input_paths = {
      job     = "$.detail.jobName"
      state   = "$.detail.state"
      run     = "$.detail.jobRunId"
      message = "$.detail.message"
      time    = "$.time"
    }
    input_template = "\"cbbd_etl: Glue job <job> ended <state> at <time> (run <run>): <message>\""
  }
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "EventBridgePublishesGlueFailures"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.glue_job_failed.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}
