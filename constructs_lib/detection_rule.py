"""One catalog entry as an EventBridge rule on the default bus, with its one target."""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetInputTransformer,
    CloudwatchEventTargetRetryPolicy,
)
from constructs import Construct

from constructs_lib.alert_message import alert_message
from constructs_lib.catalog import Detection

# EventBridge's longest retry: 24 hours, 185 attempts; then the dead-letter queue.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
RETRY_POLICY = CloudwatchEventTargetRetryPolicy(
    maximum_event_age_in_seconds=24 * 3600, maximum_retry_attempts=185
)


def rule_name(name_prefix: str, detection: Detection) -> str:
    return f"{name_prefix}-{detection.id.replace('_', '-')}"


class DetectionRule(Construct):
    """An enabled rule matching the detection's pattern and its target. Exposes ``rule``, ``target``.

    The target is the region's alert topic, sent a message a person can read (alert_message),
    retried for 24 hours, then kept in ``dead_letter_arn``. The construct id, and both Terraform
    resource names, are the detection's id.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        detection: Detection,
        target_arn: str,
        dead_letter_arn: str,
        name_prefix: str,
        provider: TerraformProvider,
    ) -> None:
        super().__init__(scope, detection.id)
        message = alert_message(detection)
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=rule_name(name_prefix, detection),
            description=detection.description,
            event_bus_name="default",
            event_pattern=detection.event_pattern_json(name_prefix),
            state="ENABLED",
            provider=provider,
        )
        self.rule.override_logical_id(detection.id)
        self.target = CloudwatchEventTarget(
            self,
            "target",
            rule=self.rule.name,
            event_bus_name="default",
            target_id="alert-topic",
            arn=target_arn,
            input_transformer=CloudwatchEventTargetInputTransformer(
                input_paths=message.input_paths, input_template=message.input_template
            ),
            retry_policy=RETRY_POLICY,
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dead_letter_arn),
            provider=provider,
        )
        self.target.override_logical_id(detection.id)
