"""The metric-filter engine (CloudTrail -> CloudWatch Logs -> metric filter -> alarm -> SNS): the
log group the trail delivers to, the role CloudTrail writes it with, and per detection a metric
filter and its alarm, CIS CloudWatch.1-14's exactly as Security Hub checks them."""
