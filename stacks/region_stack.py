"""One region's stack: its provider, its detections, where they deliver, and the trail if it is home."""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from config import MonitorConfig, RegionPlan
from constructs_lib.alert_topic import AlertTopic
from constructs_lib.audit_trail import AuditTrail
from constructs_lib.detection_rule import DetectionRule
from constructs_lib.home_bus_forwarding import HomeBusForwarding


class RegionStack(TerraformStack):
    def __init__(self, scope: Construct, plan: RegionPlan, settings: MonitorConfig) -> None:
        super().__init__(scope, plan.region)
        # Relative to cdktf.out/stacks/<stack>/, where terraform runs: state stays in the project
        # folder, outside the output that every synth replaces, and the JSON has no absolute paths.
        LocalBackend(self, path=f"../../../terraform.{plan.region}.tfstate")
        provider = AwsProvider(
            self,
            "aws",
            region=plan.region,
            alias=plan.region,
            default_tags=[AwsProviderDefaultTags(tags=settings.default_tags)],
        )
        prefix = settings.name_prefix

        if plan.forwards_to:
            HomeBusForwarding(
                self,
                "home_bus_forwarding",
                provider=provider,
                name_prefix=prefix,
                partition=settings.partition,
                region=plan.region,
                home_region=plan.forwards_to,
                detections=plan.detections,
            )
        else:
            alert_topic = AlertTopic(
                self,
                "alert_topic",
                provider=provider,
                topic_name=prefix,
                rule_name_prefix=f"{prefix}-",
                emails=settings.notification_emails,
                partition=settings.partition,
                region=plan.region,
            )
            TerraformOutput(self, "alert_topic_arn", value=alert_topic.topic.arn)
            for detection in plan.detections:
                DetectionRule(
                    self,
                    detection=detection,
                    target_arn=alert_topic.topic.arn,
                    name_prefix=prefix,
                    provider=provider,
                )

        if plan.carries_trail:
            audit_trail = AuditTrail(
                self,
                "audit_trail",
                provider=provider,
                name_prefix=prefix,
                partition=settings.partition,
                region=plan.region,
            )
            TerraformOutput(self, "trail_arn", value=audit_trail.trail.arn)
            TerraformOutput(self, "trail_bucket_name", value=audit_trail.trail_bucket.bucket)
