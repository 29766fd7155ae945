"""An SNS topic: who may publish to it, and who receives what is published."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import Fn, TerraformIterator, Token

from constructs_lib.delivery import Subscription
from constructs_lib.foundation.policy_statements import (
    allow_eventbridge_unconditioned,
    allow_service_from,
)
from constructs_lib.foundation.region_account import Placement
from constructs_lib.foundation.resources import Component, resolve
from models import terraform

_ENDPOINT_SETS: dict[tuple[str, ...], str] = {}


def _endpoint_set(endpoints: tuple[str, ...], scope: Any) -> str:
    """The for_each of these endpoints as ``TerraformIterator.from_list`` writes it (its
    ``Fn.toset`` of the list), rendered by cdktf once per list: it names nothing of a stack."""
    if endpoints not in _ENDPOINT_SETS:
        _ENDPOINT_SETS[endpoints] = resolve(
            scope, Token.as_string(Fn.toset([terraform.literal_element(e) for e in endpoints]))
        )
    return _ENDPOINT_SETS[endpoints]


class NotificationTopic(Component):
    """An SNS topic named ``name`` that EventBridge (``eventbridge=True``) and/or this account's
    CloudWatch alarms named ``<namePrefix>-*`` (``alarms=True``) may publish to.

    The alert topic takes EventBridge; the health topic takes the alarms, and EventBridge for the
    detections that concern the alert path itself. Encrypted only with ``kms_key_arn``. Exposes
    ``topic``.
    """

    def __init__(
        self,
        scope: Any,
        id: str,
        *,
        placement: Placement,
        name: str,
        subscriptions: Sequence[Subscription],
        eventbridge: bool,
        alarms: bool,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        # EventBridge cannot use the AWS managed SNS key, so a customer managed one or none.
        self.topic = self.resource(
            "aws_sns_topic", "topic", name=name, kms_master_key_id=kms_key_arn, provider=provider
        )
        topic_arn = self.topic.arn  # read once: each attribute read is a kernel round trip

        statements = []
        if eventbridge:
            # No condition: the EventBridge guide's SNS section says "You can't use Condition
            # blocks in Amazon SNS topic policies for EventBridge" (docs/policies.md).
            statements.append(
                allow_eventbridge_unconditioned(
                    "AllowEventBridgeToPublish", ["sns:Publish"], [topic_arn]
                )
            )
        if alarms:
            # CloudWatch alarms, confined to ours with aws:SourceArn and aws:SourceAccount as the
            # CloudWatch user guide shows against the confused deputy:
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
            statements.append(
                allow_service_from(
                    "AllowOurAlarmsToPublish",
                    "cloudwatch.amazonaws.com",
                    ["sns:Publish"],
                    [topic_arn],
                    source_arn=placement.arn("cloudwatch", f"alarm:{prefix}-*"),
                    account_id=placement.account_id,
                )
            )
        policy = self.data(
            "aws_iam_policy_document",
            "topic_policy_document",
            statement=statements,
            provider=provider,
        )
        self.resource(
            "aws_sns_topic_policy",
            "topic_policy",
            arn=topic_arn,
            policy=policy.json,
            provider=provider,
        )

        # One resource per protocol, keyed by endpoint: adding or removing one subscription never
        # touches the others' confirmations. E-mail always, so that the plan shows who is notified.
        by_protocol: dict[str, list[str]] = {"email": []}
        for subscription in subscriptions:
            by_protocol.setdefault(subscription.protocol, []).append(subscription.endpoint)
        for protocol, endpoints in by_protocol.items():
            resource_id = f"{protocol.replace('-', '_')}_subscriptions"
            if self.json is None:  # typed: cdktf's iterator
                endpoint = TerraformIterator.from_list(
                    [terraform.literal_element(e) for e in endpoints]
                )
                for_each, value = endpoint, Token.as_string(endpoint.value)
            else:  # the same for_each, rendered by cdktf, and its element
                for_each = _endpoint_set(tuple(endpoints), self.json.stack)
                value = "${each.value}"
            self.resource(
                "aws_sns_topic_subscription",
                resource_id,
                for_each=for_each,
                topic_arn=topic_arn,
                protocol=protocol,
                endpoint=value,
                provider=provider,
            )
