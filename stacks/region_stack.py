"""One region's stack: its provider, its detections, where they deliver, and the trail if it is home."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from config import MonitorConfig, RegionPlan, StateBackend
from constructs_lib.audit_trail import AuditTrail
from constructs_lib.catalog import HEALTH_TOPIC_SUFFIX, KEY_ARN, KEY_ID
from constructs_lib.delivery_alarms import DeliveryAlarms
from constructs_lib.detection_rule import DetectionRule
from constructs_lib.encryption_key import EncryptionKey
from constructs_lib.home_bus_forwarding import HomeBusForwarding
from constructs_lib.metric_filter_alarms import MetricFilterAlarms
from constructs_lib.notification_topic import NotificationTopic
from constructs_lib.region_account import Placement, RegionAccount
from constructs_lib.suppressions import Suppression
from constructs_lib.trail_log_group import TrailLogGroup, log_group_name
from constructs_lib.undelivered_alerts import UndeliveredAlerts

# The oldest Terraform our output runs on: the cdktf CLI's requirement (Terraform 1.2+,
# https://developer.hashicorp.com/terraform/tutorials/cdktf/cdktf-install), and 1.10 with the S3
# backend's use_lockfile (S3-native locking, added in Terraform 1.10).
REQUIRED_VERSION = ">= 1.2.0"
REQUIRED_VERSION_S3_LOCKFILE = ">= 1.10.0"


class RegionStack(TerraformStack):
    def __init__(self, scope: Construct, plan: RegionPlan, settings: MonitorConfig) -> None:
        super().__init__(scope, plan.region)
        self._backend(plan.region, settings.state_backend)
        placement = RegionAccount(
            self,
            "region_account",
            region=plan.region,
            partition=settings.partition,
            name_prefix=settings.name_prefix,
            default_tags=settings.default_tags,
            prevent_destroy=settings.prevent_destroy,
        ).placement
        provider, prefix = placement.provider, placement.name_prefix

        key_arn, key_names = None, {}
        if plan.kms_key:
            key = EncryptionKey(
                self,
                "encryption_key",
                placement=placement,
                trail_name=f"{prefix}-trail" if plan.carries_trail else None,
                log_group_name=log_group_name(prefix) if plan.metric_filters else None,
                alarms=bool(plan.metric_filters),
            ).key
            key_arn, key_names = key.arn, {KEY_ID: key.key_id, KEY_ARN: key.arn}
        # Never encrypted: it must reach a person when the alert topic or its key cannot.
        health_topic_arn = NotificationTopic(
            self,
            "health_topic",
            placement=placement,
            name=f"{prefix}{HEALTH_TOPIC_SUFFIX}",
            subscriptions=settings.subscriptions,
            eventbridge=any(d.to_health_topic for d in plan.local),
            alarms=True,
        ).topic.arn
        TerraformOutput(self, "health_topic_arn", value=health_topic_arn)

        alert_topic_arn = None
        if plan.carries_topic:
            alert_topic_arn = NotificationTopic(
                self,
                "alert_topic",
                placement=placement,
                name=prefix,
                subscriptions=settings.subscriptions,
                eventbridge=bool(plan.detections),
                alarms=bool(plan.metric_filters),
                kms_key_arn=key_arn,
            ).topic.arn
            TerraformOutput(self, "alert_topic_arn", value=alert_topic_arn)
        if plan.detections:
            self._eventbridge(
                plan,
                placement,
                alert_topic_arn,
                health_topic_arn,
                key_names,
                settings.suppressions,
            )

        if plan.carries_trail:
            log_group = None
            if plan.metric_filters:
                log_group = TrailLogGroup(
                    self,
                    "trail_log_group",
                    placement=placement,
                    trail_name=f"{prefix}-trail",
                    retention_days=settings.log_retention_days,
                    kms_key_arn=key_arn,
                )
                MetricFilterAlarms(
                    self,
                    "metric_filters",
                    provider=provider,
                    name_prefix=prefix,
                    log_group_name=log_group.log_group.name,
                    detections=plan.metric_filters,
                    alert_topic_arn=alert_topic_arn,
                    health_topic_arn=health_topic_arn,
                    names=key_names,
                    suppressions=settings.suppressions,
                )
                TerraformOutput(self, "trail_log_group_name", value=log_group.log_group.name)
            audit_trail = AuditTrail(
                self,
                "audit_trail",
                placement=placement,
                archive_after_days=settings.log_archive_after_days,
                kms_key_arn=key_arn,
                object_lock=settings.object_lock,
                log_group=log_group,
            )
            TerraformOutput(self, "trail_arn", value=audit_trail.trail.arn)
            TerraformOutput(self, "trail_bucket_name", value=audit_trail.trail_bucket.bucket)

    def _eventbridge(
        self,
        plan: RegionPlan,
        placement: Placement,
        alert_topic_arn: str | None,
        health_topic_arn: str,
        key_names: dict[str, str],
        suppressions: tuple[Suppression, ...],
    ) -> None:
        """The EventBridge engine: a rule per detection and outcome, forwarding, the dead-letter
        queue and the alarms on delivery."""
        provider, prefix = placement.provider, placement.name_prefix
        undelivered = UndeliveredAlerts(self, "undelivered_alerts", placement=placement)
        dead_letter_arn = undelivered.queue.arn
        rules = [
            rule
            for detection in plan.local
            for rule in DetectionRule(
                self,
                detection=detection,
                alert_topic_arn=alert_topic_arn,
                health_topic_arn=health_topic_arn,
                dead_letter_arn=dead_letter_arn,
                name_prefix=prefix,
                provider=provider,
                names=key_names,
                suppressions=suppressions,
            ).rules
        ]
        if plan.forwards_to:
            rules += HomeBusForwarding(
                self,
                "home_bus_forwarding",
                placement=placement,
                home_region=plan.forwards_to,
                detections=plan.forwarded,
                dead_letter_arn=dead_letter_arn,
            ).rules
        DeliveryAlarms(
            self,
            "alarms",
            provider=provider,
            name_prefix=prefix,
            queue_name=undelivered.queue.name,
            rule_names=[rule.name for rule in rules],
            alarm_actions=[health_topic_arn],
        )
        TerraformOutput(self, "undelivered_alerts_queue_url", value=undelivered.queue.url)

    def _backend(self, region: str, backend: StateBackend | None) -> None:
        if backend:
            S3Backend(
                self,
                bucket=backend.bucket,
                key=f"{backend.key_prefix}/{region}.tfstate",
                region=backend.region,
                encrypt=True,
            )
            if backend.lockfile:
                # S3-native locking (Terraform 1.10+), which cdktf's S3Backend does not expose.
                self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            # Relative to cdktf.out/stacks/<stack>/, where terraform runs: state stays in the
            # project folder, outside the output every synth replaces, with no absolute paths.
            LocalBackend(self, path=f"../../../terraform.{region}.tfstate")
        lockfile = bool(backend and backend.lockfile)
        self.add_override(
            "terraform.required_version",
            REQUIRED_VERSION_S3_LOCKFILE if lockfile else REQUIRED_VERSION,
        )
