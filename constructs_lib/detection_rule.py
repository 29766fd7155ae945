"""One catalog entry as an EventBridge rule on the default bus, targeting an alert topic."""

from __future__ import annotations

import json

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from constructs import Construct

from constructs_lib.catalog import Detection


def rule_name(name_prefix: str, detection: Detection) -> str:
    return f"{name_prefix}-{detection.id.replace('_', '-')}"


class DetectionRule(Construct):
    """An enabled rule matching ``detection.event_pattern`` and its target. Exposes ``rule`` and ``target``.

    Its construct id, and both Terraform resource names, are the detection's id.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        detection: Detection,
        topic_arn: str,
        name_prefix: str,
        provider: TerraformProvider,
    ) -> None:
        super().__init__(scope, detection.id)
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=rule_name(name_prefix, detection),
            description=detection.description,
            event_bus_name="default",
            event_pattern=json.dumps(detection.event_pattern),
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
            arn=topic_arn,
            provider=provider,
        )
        self.target.override_logical_id(detection.id)
