"""One region's stack: its provider, its detections, where they deliver, and the trail if it is home."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from config import MonitorConfig
from constructs_lib.chat.chat_channels import ChatChannels, chat_topic_name
from constructs_lib.delivery.delivery_alarms import DeliveryAlarms
from constructs_lib.delivery.notification_topic import NotificationTopic
from constructs_lib.delivery.undelivered_alerts import UndeliveredAlerts
from constructs_lib.detections.catalog import HEALTH_TOPIC_SUFFIX, KEY_ARN, KEY_ID, Severity
from constructs_lib.detections.suppressions import Suppression
from constructs_lib.eventbridge.detection_rule import DetectionRule
from constructs_lib.eventbridge.home_bus_forwarding import HomeBusForwarding
from constructs_lib.foundation.encryption_key import EncryptionKey
from constructs_lib.foundation.region_account import Placement, RegionAccount
from constructs_lib.foundation.resources import JsonStack
from constructs_lib.metric_filters.metric_filter_alarms import MetricFilterAlarms
from constructs_lib.metric_filters.trail_log_group import TrailLogGroup, log_group_name
from constructs_lib.organization.member_forwarding import MemberStack, MemberStackSet
from constructs_lib.organization.member_template import forwarded, organization_bus_name
from constructs_lib.organization.organization_bus import OrganizationBus
from constructs_lib.trail.audit_trail import AuditTrail
from constructs_lib.trail.trail_table import TrailTable
from models.cloudtrail_table import HOME_TABLE, TableLayout
from stacks.backend import use_backend
from stacks.region_plan import RegionPlan


class RegionStack(TerraformStack):
    """``member_template_body``: in organization mode, the members' template (member_template),
    deployed to ``member_regions``; ``chat_regions``: the regions with chat topics, whose topics
    the home stack's chat channels subscribe to."""

    def __init__(
        self,
        scope: Construct,
        plan: RegionPlan,
        settings: MonitorConfig,
        member_template_body: str | None = None,
        member_regions: Sequence[str] = (),
        chat_regions: Sequence[str] = (),
        json_stacks: list[JsonStack] | None = None,
    ) -> None:
        super().__init__(scope, plan.region)
        if json_stacks is not None:  # our constructs write Terraform JSON (resources.py)
            json_stacks.append(JsonStack(self, plan.region))
        use_backend(self, plan.region, settings.state_backend)
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
        # The account and trustedAccounts, for the attack group's shares and grants.
        names = {**key_names, **settings.pattern_names(placement.account_id)}
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
        chat_topic_arns = self._chat(plan, placement, settings, key_arn, chat_regions)
        organization_bus = self._organization(
            plan, placement, settings, member_template_body, member_regions
        )
        if plan.detections:
            self._eventbridge(
                plan,
                placement,
                alert_topic_arn,
                health_topic_arn,
                names,
                settings.suppressions,
                organization_bus,
                chat_topic_arns,
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
                    names=names,
                    suppressions=settings.suppressions,
                    chat_topic_arns=chat_topic_arns,
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
            if settings.athena_database:
                table = TrailTable(
                    self,
                    "trail_table",
                    placement=placement,
                    bucket_name=audit_trail.trail_bucket.bucket,
                    database_name=settings.athena_database,
                    table_name=HOME_TABLE,
                    # The multi-region trail writes every region of the partition it may log.
                    layout=TableLayout(regions=tuple(sorted(settings.partition_regions))),
                )
                TerraformOutput(
                    self, "athena_table", value=f"{table.database_name}.{table.table_name}"
                )

    def _chat(
        self,
        plan: RegionPlan,
        placement: Placement,
        settings: MonitorConfig,
        key_arn: str | None,
        chat_regions: Sequence[str],
    ) -> dict[Severity, str]:
        """Chat: a topic per severity a channel takes (routing by severity, not by filtering),
        and at home the channel configurations. Returns the topics' ARNs by severity."""
        chat_topic_arns: dict[Severity, str] = {}
        if settings.chat and plan.carries_topic:
            wanted = {s for channel in settings.chat for s in channel.severities()}
            for severity in (s for s in Severity if s in wanted):
                chat_topic_arns[severity] = NotificationTopic(
                    self,
                    f"chat_topic_{severity.value}",
                    placement=placement,
                    name=chat_topic_name(placement.name_prefix, severity),
                    subscriptions=(),
                    eventbridge=bool(plan.detections),
                    alarms=bool(plan.metric_filters),
                    kms_key_arn=key_arn,
                ).topic.arn
        if settings.chat and plan.carries_trail:
            ChatChannels(
                self,
                "chat_channels",
                placement=placement,
                channels=settings.chat,
                regions=chat_regions,
            )
        return chat_topic_arns

    def _organization(
        self,
        plan: RegionPlan,
        placement: Placement,
        settings: MonitorConfig,
        member_template_body: str | None,
        member_regions: Sequence[str],
    ) -> OrganizationBus | None:
        """Organization mode: the organization bus, this account's own forwarding, and at home
        the StackSet for the members."""
        organization = settings.organization
        if not organization or member_template_body is None:
            return None
        organization_bus = OrganizationBus(
            self,
            "organization_bus",
            placement=placement,
            organization_id=organization.organization_id,
        )
        # The security account's own events reach the organization bus like a member's.
        MemberStack(
            self,
            "member_forwarding",
            placement=placement,
            template_body=member_template_body,
            depends_on=[organization_bus.policy],
        )
        if plan.carries_trail:
            MemberStackSet(
                self,
                "member_stack_set",
                placement=placement,
                template_body=member_template_body,
                organizational_units=organization.organizational_units,
                regions=member_regions,
                security_account=organization.security_account,
            )
        return organization_bus

    def _eventbridge(
        self,
        plan: RegionPlan,
        placement: Placement,
        alert_topic_arn: str | None,
        health_topic_arn: str,
        pattern_names: Mapping[str, str | tuple[str, ...]],
        suppressions: tuple[Suppression, ...],
        organization_bus: OrganizationBus | None,
        chat_topic_arns: Mapping[Severity, str],
    ) -> None:
        """The EventBridge engine: a rule per detection and outcome, forwarding, the dead-letter
        queue and the alarms on delivery. In organization mode the rules watch the organization
        bus, but for those matching what only this account has (member_template.forwarded)."""
        provider, prefix = placement.provider, placement.name_prefix
        undelivered = UndeliveredAlerts(self, "undelivered_alerts", placement=placement)
        dead_letter_arn = undelivered.queue.arn
        on_organization_bus = {d.id for d in forwarded(plan.local)} if organization_bus else set()
        rules, on_custom_bus = [], []
        for detection in plan.local:
            bus = organization_bus.bus.name if detection.id in on_organization_bus else "default"
            for rule in DetectionRule(
                self,
                detection=detection,
                alert_topic_arn=alert_topic_arn,
                health_topic_arn=health_topic_arn,
                dead_letter_arn=dead_letter_arn,
                name_prefix=prefix,
                provider=provider,
                names=pattern_names,
                suppressions=suppressions,
                event_bus_name=bus,
                chat_topic_arns=chat_topic_arns,
            ).rules:
                rules.append(rule)
                if detection.id in on_organization_bus:
                    on_custom_bus.append(rule)
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
            # One name string per rule: each read of rule.name is a new token.
            rule_names=(names := [rule.name for rule in rules]),
            alarm_actions=[health_topic_arn],
            rule_buses={
                name: organization_bus_name(prefix)
                for name, rule in zip(names, rules, strict=True)
                if rule in on_custom_bus
            },
        )
        TerraformOutput(self, "undelivered_alerts_queue_url", value=undelivered.queue.url)
