"""One catalog entry as an EventBridge rule on the default bus, with its one target."""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from constructs import Construct

from constructs_lib.catalog import Detection


def rule_name(name_prefix: str, detection: Detection) -> str:
    return f"{name_prefix}-{detection.id.replace('_', '-')}"


class DetectionRule(Construct):
    """An enabled rule matching the detection's pattern and its target. Exposes ``rule``, ``target``.

    The target is the region's alert topic. The construct id, and both Terraform resource names,
    are the detection's id.
    """

    def __init__(
        self,
        scope: Construct,
        *,
        detection: Detection,
        target_arn: str,
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
            provider=provider,
        )
        self.target.override_logical_id(detection.id)
