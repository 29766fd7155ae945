"""One region's stack: its provider, its detections, where they deliver, and the trail if it is home."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from config import MonitorConfig, RegionPlan
from constructs_lib.alert_topic import AlertTopic
from constructs_lib.audit_trail import AuditTrail
from constructs_lib.delivery_alarms import DeliveryAlarms
from constructs_lib.detection_rule import DetectionRule
from constructs_lib.encryption_key import EncryptionKey
from constructs_lib.home_bus_forwarding import HomeBusForwarding
from constructs_lib.region_account import RegionAccount
from constructs_lib.undelivered_alerts import UndeliveredAlerts


class RegionStack(TerraformStack):
    def __init__(self, scope: Construct, plan: RegionPlan, settings: MonitorConfig) -> None:
        super().__init__(scope, plan.region)
        backend = settings.state_backend
        if backend:
            S3Backend(
                self,
                bucket=backend.bucket,
                key=f"{backend.key_prefix}/{plan.region}.tfstate",
                region=backend.region,
                encrypt=True,
            )
            if backend.lockfile:
                # S3-native locking (Terraform 1.10+), which cdktf's S3Backend does not expose.
                self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            # Relative to cdktf.out/stacks/<stack>/, where terraform runs: state stays in the
            # project folder, outside the output every synth replaces, with no absolute paths.
            LocalBackend(self, path=f"../../../terraform.{plan.region}.tfstate")
        placement = RegionAccount(
            self,
            "region_account",
            region=plan.region,
            partition=settings.partition,
            name_prefix=settings.name_prefix,
            default_tags=settings.default_tags,
        ).placement
        provider, prefix = placement.provider, placement.name_prefix

        key_arn = None
        if settings.kms_key:
            key_arn = EncryptionKey(
                self,
                "encryption_key",
                placement=placement,
                trail_name=f"{prefix}-trail" if plan.carries_trail else None,
            ).key.arn
        undelivered = UndeliveredAlerts(
            self,
            "undelivered_alerts",
            placement=placement,
            kms_key_arn=key_arn,
        )
        dead_letter_arn = undelivered.queue.arn
        if plan.forwards_to:
            forwarding = HomeBusForwarding(
                self,
                "home_bus_forwarding",
                placement=placement,
                home_region=plan.forwards_to,
                detections=plan.detections,
                dead_letter_arn=dead_letter_arn,
            )
            rules = forwarding.rules
        else:
            alert_topic = AlertTopic(
                self,
                "alert_topic",
                placement=placement,
                subscriptions=settings.subscriptions,
                kms_key_arn=key_arn,
            )
            topic_arn = alert_topic.topic.arn
            TerraformOutput(self, "alert_topic_arn", value=topic_arn)
            rules = [
                DetectionRule(
                    self,
                    detection=detection,
                    target_arn=topic_arn,
                    dead_letter_arn=dead_letter_arn,
                    name_prefix=prefix,
                    provider=provider,
                ).rule
                for detection in plan.detections
            ]
        DeliveryAlarms(
            self,
            "alarms",
            provider=provider,
            name_prefix=prefix,
            queue_name=undelivered.queue.name,
            rule_names=[rule.name for rule in rules],
            # Central delivery: alarm state changes travel like alerts (the delivery_alarms rule).
            alarm_actions=[] if settings.delivery_mode == "central" else [topic_arn],
        )
        TerraformOutput(self, "undelivered_alerts_queue_url", value=undelivered.queue.url)

        if plan.carries_trail:
            audit_trail = AuditTrail(
                self,
                "audit_trail",
                placement=placement,
                archive_after_days=settings.log_archive_after_days,
                kms_key_arn=key_arn,
                object_lock=settings.object_lock,
            )
            TerraformOutput(self, "trail_arn", value=audit_trail.trail.arn)
            TerraformOutput(self, "trail_bucket_name", value=audit_trail.trail_bucket.bucket)
