"""Alarms that say alerts are not getting through, sent straight to the health topic.

An alert EventBridge finally fails to deliver goes to the dead-letter queue (EventBridge sends
"all failed events" there, and permission or missing-target errors at once, without retrying:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). So two signals cover
every lost alert: a message waiting in the queue, and ``InvocationsFailedToBeSentToDlq``, the
metric that moves when the fallback itself breaks (EventBridge metrics:
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import TerraformProvider

from constructs_lib.foundation.resources import Component
from models import limits

# An alarm's metric math reads at most 10 metrics (PutMetricAlarm): 9 rules and their sum.
RULES_PER_ALARM = limits.METRICS_PER_ALARM.value - 1
FIVE_MINUTES = 300


def _rule_dimensions(rule_name: str, bus: str | None) -> dict[str, str]:
    """ "Metrics that specify only the RuleName dimension refer to the default event bus. Metrics
    that specify both the EventBusName and RuleName dimensions refer to a custom event bus."
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html)"""
    return {"EventBusName": bus, "RuleName": rule_name} if bus else {"RuleName": rule_name}


class DeliveryAlarms(Component):
    """An alarm on the dead-letter queue's depth, and alarms on the rules' failed dead-lettering.

    ``rule_buses`` names the custom bus of each rule not on the default bus. Both notify
    ``alarm_actions`` (the region's health topic) directly, never through EventBridge,
    whose failure they report.
    """

    def __init__(
        self,
        scope: Any,
        id: str,
        *,
        provider: TerraformProvider,
        name_prefix: str,
        queue_name: str,
        rule_names: Sequence[str],
        alarm_actions: Sequence[str],
        rule_buses: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        if not alarm_actions:
            raise ValueError("a delivery alarm must notify someone directly")
        common = {
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "threshold": 1,
            "evaluation_periods": 1,
            # EventBridge publishes these metrics only when they are not zero.
            "treat_missing_data": "notBreaching",
            "alarm_actions": list(alarm_actions),
            "provider": provider,
        }
        self.resource(
            "aws_cloudwatch_metric_alarm",
            "undelivered_alerts",
            alarm_name=f"{name_prefix}-undelivered-alerts",
            alarm_description=(
                f"Alerts EventBridge could not deliver are waiting in SQS queue {queue_name}: "
                "read and replay them (README, None lost on the way)"
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
                {
                    "id": f"m{index}",
                    "return_data": False,
                    "metric": {
                        "namespace": "AWS/Events",
                        "metric_name": "InvocationsFailedToBeSentToDlq",
                        "dimensions": _rule_dimensions(name, (rule_buses or {}).get(name)),
                        "period": FIVE_MINUTES,
                        "stat": "Sum",
                    },
                }
                for index, name in enumerate(chunk)
            ]
            total = {
                "id": "lost",
                "expression": f"SUM([{', '.join(f'm{i}' for i in range(len(chunk)))}])",
                "label": "Alerts lost: not delivered and not dead-lettered",
                "return_data": True,
            }
            self.resource(
                "aws_cloudwatch_metric_alarm",
                f"lost_alerts_{number}",
                alarm_name=f"{name_prefix}-lost-alerts-{number}",
                alarm_description=(
                    "EventBridge could neither deliver alerts nor put them in the dead-letter "
                    "queue: they are lost. Check the queue's policy"
                ),
                metric_query=[*metrics, total],
                **common,
            )
