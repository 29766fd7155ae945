"""Slack and Microsoft Teams channels of Amazon Q Developer in chat applications (formerly AWS
Chatbot), each subscribed to the chat topics of the severities it takes, in every region.

Notifications reach a channel through the service's own service-linked role
(AWSServiceRoleForAWSChatbot, "Amazon SNS notifications"):
https://docs.aws.amazon.com/chatbot/latest/adminguide/slr-permissions.html
so the channel role the configuration names needs no permission at all, and gets none. Its
guardrail denies every action from the channel: without one, "The AWS managed
AdministratorAccess policy is applied by default" (CreateSlackChannelConfiguration,
GuardrailPolicyArns). Users must also have their own role to run anything
(user_authorization_required), which the guardrail still caps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cdktf_cdktf_provider_aws.chatbot_slack_channel_configuration import (
    ChatbotSlackChannelConfiguration,
)
from cdktf_cdktf_provider_aws.chatbot_teams_channel_configuration import (
    ChatbotTeamsChannelConfiguration,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct

from constructs_lib.chat import ChatChannel
from constructs_lib.detections.catalog import CHAT_TOPIC_INFIX, Severity
from constructs_lib.foundation.policy_statements import trusted_service
from constructs_lib.foundation.region_account import Placement
from models import terraform

# The Chatbot API's regions are us-east-2, us-west-2, ap-southeast-1 and eu-west-1, its console
# us-east-2 only (API reference, Welcome); a configuration takes SNS topics of any supported
# region (admin guide, chatbot-regions.html).
CHATBOT_API_REGION = "us-east-2"
# The AWS managed policy that denies every action: the guardrail.
DENY_ALL = "iam::aws:policy/AWSDenyAll"
CHATBOT = "chatbot.amazonaws.com"


def chat_topic_name(name_prefix: str, severity: Severity) -> str:
    return f"{name_prefix}{CHAT_TOPIC_INFIX}{severity.value}"


class ChatChannels(Construct):
    """One channel configuration per entry of ``channels`` (a ``ChatChannel``), subscribed to
    the chat topics of its severities in each of ``regions``, and the role they name.
    Exposes ``role`` and ``configurations``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        channels: Sequence[ChatChannel],
        regions: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        trust = DataAwsIamPolicyDocument(
            self,
            "trust_policy",
            statement=[trusted_service("AmazonQDeveloperInChatApplications", CHATBOT)],
            provider=provider,
        )
        # No policy: delivery runs under the service-linked role; nothing runs from the channel.
        self.role = IamRole(
            self,
            "role",
            name=f"{prefix}-chat",
            description=f"{prefix}'s chat channels: no permissions (notifications only)",
            assume_role_policy=trust.json,
            provider=provider,
        )
        deny_all = f"arn:{placement.partition}:{DENY_ALL}"
        self.configurations = []
        for number, channel in enumerate(channels, start=1):
            topics = [
                placement.arn("sns", chat_topic_name(prefix, severity), region=region)
                for region in regions
                for severity in channel.severities()
            ]
            common: Mapping = {
                "configuration_name": f"{prefix}-chat-{number}",
                "iam_role_arn": self.role.arn,
                "sns_topic_arns": topics,
                "guardrail_policy_arns": [deny_all],
                "user_authorization_required": True,
                "logging_level": "ERROR",
                "region": CHATBOT_API_REGION,
                "provider": provider,
            }
            kind = (
                ChatbotSlackChannelConfiguration
                if channel.kind == "slack"
                else ChatbotTeamsChannelConfiguration
            )
            ids = {name: terraform.literal(value) for name, value in channel.ids.items()}
            configuration = kind(self, f"{channel.kind}_{number}", **ids, **common)
            self.configurations.append(configuration)
