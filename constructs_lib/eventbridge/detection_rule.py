"""One catalog entry as EventBridge rules on the default bus, one per outcome, with their targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import TerraformProvider

from constructs_lib.chat.chat_message import chat_message
from constructs_lib.detections.catalog import Detection, Names, Severity
from constructs_lib.detections.outcomes import RuleVariant, rule_variants
from constructs_lib.detections.suppressions import Suppression
from constructs_lib.eventbridge.alert_message import alert_message
from constructs_lib.eventbridge.forwarding_patterns import ALL_MANAGEMENT_EVENTS
from constructs_lib.foundation.resources import Component
from models import terraform

# EventBridge's longest retry: 24 hours, 185 attempts; then the dead-letter queue.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
RETRY_POLICY = {"maximum_event_age_in_seconds": 24 * 3600, "maximum_retry_attempts": 185}


def terraform_pattern(variant: RuleVariant, name_prefix: str, names: Names | None) -> str:
    """The rule's pattern as Terraform must read it: configured text (suppressions, trusted
    accounts) literal, the string ``names`` (Terraform references: the KMS key's id and ARN, the
    account's id) interpolated."""
    references = {k: v for k, v in (names or {}).items() if isinstance(v, str)}
    stand_ins = {name: terraform.placeholder(name) for name in references}
    lists = {k: v for k, v in (names or {}).items() if not isinstance(v, str)}
    pattern = variant.event_pattern(name_prefix, {**stand_ins, **lists})
    return terraform.literal_json(pattern, {stand_ins[k]: v for k, v in references.items()})


# EventBridge matches read-only management events only against rules in state
# ALL_MANAGEMENT_EVENTS ("Receiving read-only management events from AWS services",
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html);
# the provider's `state` takes it (registry docs, aws_cloudwatch_event_rule, "state").


def rule_state(detection: Detection) -> str:
    """ENABLED, or for a detection of read-only calls, the state that receives them."""
    return ALL_MANAGEMENT_EVENTS if detection.read_only else "ENABLED"


def rule_name(name_prefix: str, rule_id: str) -> str:
    """The EventBridge name of a rule: <namePrefix>-<rule id with hyphens>."""
    return f"{name_prefix}-{rule_id.replace('_', '-')}"


# What a rule's texts depend on is the same in every region of a synthesis (the references in
# ``names`` name the same logical ids in every stack), so they are worked out once per variant
# and reused: a stack of 34 regions would otherwise build each pattern and message 34 times.
# Keys hold the objects' ids, and entries the objects, so that an id is never reused while cached.
_MEMO: dict[tuple, tuple] = {}
_MEMO_SIZE = 20_000


def _memo(key: tuple, keep: tuple, make: Any) -> Any:
    found = _MEMO.get(key)
    if found is None or any(a is not b for a, b in zip(found[0], keep, strict=True)):
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.clear()
        found = _MEMO[key] = (keep, make())
    return found[1]


def _variants(detection: Detection, suppressions: tuple[Suppression, ...]) -> list[RuleVariant]:
    return _memo(
        ("variants", id(detection), id(suppressions)),
        (detection, suppressions),
        lambda: list(rule_variants(detection, suppressions)),
    )


def _texts(
    variant: RuleVariant,
    name_prefix: str,
    names: Names | None,
    other_accounts: bool,
    target_ids: tuple[str, ...],
) -> tuple[str, str, dict[str, Any]]:
    """The rule's pattern and description, and each target's message, as Terraform reads them."""
    named = tuple(sorted((names or {}).items()))
    return _memo(
        ("texts", id(variant), name_prefix, named, other_accounts, target_ids),
        (variant,),
        lambda: (
            terraform_pattern(variant, name_prefix, names),
            terraform.literal(variant.description),
            {
                target_id: _transformer(variant, other_accounts, target_id)
                for target_id in target_ids
            },
        ),
    )


def _transformer(variant: RuleVariant, other_accounts: bool, target_id: str) -> dict[str, Any]:
    """A target's input transformer: its message, literal (a user's Sigma rule writes text)."""
    message = (chat_message if target_id == "chat" else alert_message)(variant, other_accounts)
    return {
        "input_paths": {k: terraform.literal(v) for k, v in message.input_paths.items()},
        "input_template": terraform.literal(message.input_template),
    }


class DetectionRule(Component):
    """An enabled rule per outcome of the detection (outcomes.py), each with its targets.

    Targets: ``alert_topic_arn`` (if the stack has one) and, for detections that concern the alert
    path itself (``Detection.to_health_topic``), ``health_topic_arn``; each is sent a message a
    person can read (alert_message), retried for 24 hours, then kept in ``dead_letter_arn``. With
    ``chat_topic_arns``, the chat topic of the detection's severity, if any, is a further target,
    sent a custom notification (chat_message), retried and dead-lettered alike.
    ``names`` fills the pattern's placeholders besides the name prefix (the KMS key's id and ARN);
    ``suppressions`` (the configuration's) narrow the patterns of the detection they apply to.
    Each rule's construct id and Terraform resource names are the rule id (the detection id, or
    ``<id>_failed``). The rules watch ``event_bus_name`` (organization mode: the organization
    bus). Exposes ``rules`` and ``event_bus_name``.
    """

    def __init__(
        self,
        scope: Any,
        *,
        detection: Detection,
        alert_topic_arn: str | None,
        health_topic_arn: str,
        dead_letter_arn: str,
        name_prefix: str,
        provider: TerraformProvider,
        names: Names | None = None,
        suppressions: tuple[Suppression, ...] = (),
        event_bus_name: str = "default",
        chat_topic_arns: Mapping[Severity, str] | None = None,
    ) -> None:
        super().__init__(scope, detection.id)
        self.event_bus_name = event_bus_name
        targets = {"alert-topic": alert_topic_arn} if alert_topic_arn else {}
        if detection.to_health_topic:
            targets["health-topic"] = health_topic_arn
        # The chat channels' topic of this severity, if a channel takes it (routing by severity).
        if chat_topic_arns and detection.severity in chat_topic_arns:
            targets["chat"] = chat_topic_arns[detection.severity]
        if not targets:
            raise ValueError(f"{detection.id}: no target in this stack")
        self.rules: list[Any] = []  # the rules: provider objects, or references (resources.py)
        for variant in _variants(detection, suppressions):
            self.rules.append(
                self._rule(variant, targets, dead_letter_arn, name_prefix, provider, names)
            )

    def _rule(
        self,
        variant: RuleVariant,
        targets: Mapping[str, str],
        dead_letter_arn: str,
        name_prefix: str,
        provider: TerraformProvider,
        names: Names | None,
    ) -> Any:
        # On the organization bus an event may come from any account of the organization.
        other_accounts = self.event_bus_name != "default"
        pattern, description, messages = _texts(
            variant, name_prefix, names, other_accounts, tuple(targets)
        )
        rule = self.resource(
            "aws_cloudwatch_event_rule",
            f"{variant.id}_rule",
            logical_id=variant.id,
            name=rule_name(name_prefix, variant.id),
            description=description,
            event_bus_name=self.event_bus_name,
            event_pattern=pattern,
            state=rule_state(variant.detection),
            provider=provider,
        )
        rule_reference = rule.name
        for target_id, arn in targets.items():
            message = messages[target_id]
            suffix = {"alert-topic": "", "health-topic": "_to_health_topic", "chat": "_to_chat"}[
                target_id
            ]
            self.resource(
                "aws_cloudwatch_event_target",
                f"{variant.id}_{target_id}",
                logical_id=variant.id + suffix,
                rule=rule_reference,
                event_bus_name=self.event_bus_name,
                target_id=target_id,
                arn=arn,
                input_transformer=message,
                retry_policy=RETRY_POLICY,
                dead_letter_config={"arn": dead_letter_arn},
                provider=provider,
            )
        return rule
