"""The SNS topic alerts are published to, who may publish, and who receives them."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformIterator, TerraformProvider, Token
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct


class AlertTopic(Construct):
    """An SNS topic only this account's EventBridge rules named ``<rule_name_prefix>*`` may publish to.

    Exposes ``topic``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        topic_name: str,
        rule_name_prefix: str,
        emails: Sequence[str],
        partition: str,
        region: str,
    ) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account", provider=provider)
        self.topic = SnsTopic(self, "topic", name=topic_name, provider=provider)

        # EventBridge's SNS target permission, narrowed to our rules against the confused deputy:
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
        our_rules = f"arn:{partition}:events:{region}:{account.account_id}:rule/{rule_name_prefix}*"
        policy = DataAwsIamPolicyDocument(
            self,
            "topic_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowOurEventBridgeRulesToPublish",
                    effect="Allow",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["events.amazonaws.com"]
                        )
                    ],
                    actions=["sns:Publish"],
                    resources=[self.topic.arn],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike", variable="aws:SourceArn", values=[our_rules]
                        ),
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="aws:SourceAccount",
                            values=[account.account_id],
                        ),
                    ],
                )
            ],
            provider=provider,
        )
        SnsTopicPolicy(
            self, "topic_policy", arn=self.topic.arn, policy=policy.json, provider=provider
        )

        # Keyed by address, so adding or removing one never touches the others' confirmations.
        addresses = TerraformIterator.from_list(list(emails))
        SnsTopicSubscription(
            self,
            "email_subscriptions",
            for_each=addresses,
            topic_arn=self.topic.arn,
            protocol="email",
            endpoint=Token.as_string(addresses.value),
            provider=provider,
        )
