"""The SNS topic alerts are published to, who may publish, and who receives them."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformIterator, Token
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from config import Subscription
from constructs_lib.policy_statements import allow_service_from
from constructs_lib.region_account import Placement


class AlertTopic(Construct):
    """An SNS topic named ``<name_prefix>`` that only this account's rules and alarms named
    ``<name_prefix>-*`` may publish to.

    Exposes ``topic``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        subscriptions: Sequence[Subscription],
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        # Encrypted only with a customer managed key: EventBridge cannot use the AWS managed one.
        self.topic = SnsTopic(
            self, "topic", name=prefix, kms_master_key_id=kms_key_arn, provider=provider
        )
        topic_arn = self.topic.arn  # read once: each attribute read is a kernel round trip

        # EventBridge's SNS target permission, narrowed to our rules against the confused deputy:
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
        # CloudWatch alarms publish as cloudwatch.amazonaws.com, scoped the same way:
        # https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
        policy = DataAwsIamPolicyDocument(
            self,
            "topic_policy_document",
            statement=[
                allow_service_from(
                    "AllowOurEventBridgeRulesToPublish",
                    "events.amazonaws.com",
                    ["sns:Publish"],
                    [topic_arn],
                    source_arn=placement.arn("events", f"rule/{prefix}-*"),
                    account_id=placement.account_id,
                ),
                allow_service_from(
                    "AllowOurAlarmsToPublish",
                    "cloudwatch.amazonaws.com",
                    ["sns:Publish"],
                    [topic_arn],
                    source_arn=placement.arn("cloudwatch", f"alarm:{prefix}-*"),
                    account_id=placement.account_id,
                ),
            ],
            provider=provider,
        )
        SnsTopicPolicy(self, "topic_policy", arn=topic_arn, policy=policy.json, provider=provider)

        # One resource per protocol, keyed by endpoint: adding or removing one subscription never
        # touches the others' confirmations. E-mail always, so that the plan shows who is notified.
        by_protocol: dict[str, list[str]] = {"email": []}
        for subscription in subscriptions:
            by_protocol.setdefault(subscription.protocol, []).append(subscription.endpoint)
        for protocol, endpoints in by_protocol.items():
            endpoint = TerraformIterator.from_list(endpoints)
            SnsTopicSubscription(
                self,
                f"{protocol.replace('-', '_')}_subscriptions",
                for_each=endpoint,
                topic_arn=topic_arn,
                protocol=protocol,
                endpoint=Token.as_string(endpoint.value),
                provider=provider,
            )
