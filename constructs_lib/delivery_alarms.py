"""Alarms that say alerts are not getting through: messages in the dead-letter queue, failed targets."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

# An alarm's metric math may read at most 10 metrics (PutMetricAlarm), one is the sum.
RULES_PER_ALARM = 9
FIVE_MINUTES = 300


class DeliveryAlarms(Construct):
    """An alarm on the dead-letter queue's messages, and on the rules' FailedInvocations.

    ``alarm_actions`` are where the alarms notify (the region's topic); without them the alarms'
    state changes reach the home topic through EventBridge (central delivery).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        name_prefix: str,
        queue_name: str,
        rule_names: Sequence[str],
        alarm_actions: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        common = {
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "threshold": 1,
            "evaluation_periods": 1,
            "treat_missing_data": "notBreaching",
            "alarm_actions": list(alarm_actions),
            "provider": provider,
        }
        CloudwatchMetricAlarm(
            self,
            "undelivered_alerts",
            alarm_name=f"{name_prefix}-undelivered-alerts",
            alarm_description=(
                f"Alerts EventBridge could not deliver are waiting in SQS queue {queue_name}"
            ),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue_name},
            statistic="Maximum",
            period=FIVE_MINUTES,
            **common,
        )
        for number, start in enumerate(range(0, len(rule_names), RULES_PER_ALARM), start=1):
            chunk = rule_names[start : start + RULES_PER_ALARM]
            metrics = [
                CloudwatchMetricAlarmMetricQuery(
                    id=f"m{index}",
                    return_data=False,
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace="AWS/Events",
                        metric_name="FailedInvocations",
                        dimensions={"RuleName": name},
                        period=FIVE_MINUTES,
                        stat="Sum",
                    ),
                )
                for index, name in enumerate(chunk)
            ]
            total = CloudwatchMetricAlarmMetricQuery(
                id="failed",
                expression=f"SUM([{', '.join(f'm{i}' for i in range(len(chunk)))}])",
                label="Failed invocations",
                return_data=True,
            )
            CloudwatchMetricAlarm(
                self,
                f"failed_invocations_{number}",
                alarm_name=f"{name_prefix}-failed-invocations-{number}",
                alarm_description="EventBridge failed to deliver alerts to their target",
                metric_query=[*metrics, total],
                **common,
            )
