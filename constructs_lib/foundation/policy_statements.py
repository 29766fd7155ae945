"""The shapes every service grant here takes: a named service, named actions, bound where AWS allows.

A service principal is confined with ``aws:SourceArn`` (ArnLike: one of our resources or a name
pattern of ours) and ``aws:SourceAccount`` (this account), against the confused deputy:
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
except where AWS states that the service's requests carry no such context, in which case a
condition would deny every request: ``allow_eventbridge_unconditioned``.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)

EVENTBRIDGE = "events.amazonaws.com"

# Where AWS says conditions on EventBridge's requests are not supported (docs/policies.md, Policy
# decisions). The least-privilege test admits an unconditioned statement only with one of these.
UNCONDITIONED_EVENTBRIDGE = {
    # EventBridge user guide, Amazon SNS permissions: "You can't use Condition blocks in Amazon
    # SNS topic policies for EventBridge."
    "sns": "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions",
    # SNS developer guide, key management: aws:SourceAccount / aws:SourceArn are not supported
    # for EventBridge-to-encrypted-topic delivery (awslabs/landing-zone-accelerator-on-aws#407).
    "kms": "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services",
}


# Key grants AWS documents without a condition: CloudWatch alarms publishing to a topic encrypted
# with the key, the form of AWS's knowledge-center article (and of awslabs/landing-zone-accelerator-
# on-aws#31); CloudWatch calls KMS itself (aws-devtools-labs/aws-blocks#336). Whether it carries
# aws:SourceArn there is not documented, so no condition may deny the alarms' notifications.
UNCONDITIONED_ALARMS_ON_KEY = (
    "https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger"
)
ALARMS = "cloudwatch.amazonaws.com"
ALARM_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")

# Role trusts AWS documents without a condition, where conditions are known to break the service:
# CloudTrail assuming the role it writes CloudWatch Logs with. The CloudTrail guide's role
# (CloudTrail_CloudWatchLogs_Role) has none, and adding aws:SourceArn/aws:SourceAccount to it
# stopped delivery (prowler-cloud/prowler#4714; services that send neither: prowler#7021).
UNCONDITIONED_TRUSTS = {
    "cloudtrail.amazonaws.com": "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html",
    # The chat channels' role, which holds no permission and is capped by a deny-all guardrail;
    # the service's guides give its trust as chatbot.amazonaws.com alone, with no source keys.
    "chatbot.amazonaws.com": "https://docs.aws.amazon.com/chatbot/latest/adminguide/security_iam_service-with-iam-id-based-policies.html",
}


def _service(service: str) -> list[DataAwsIamPolicyDocumentStatementPrincipals]:
    return [DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])]


def allow_service_from(
    sid: str,
    service: str,
    actions: Sequence[str],
    resources: Sequence[str] | None,
    *,
    source_arn: str,
    account_id: str,
) -> DataAwsIamPolicyDocumentStatement:
    """Allow ``service`` (e.g. "cloudwatch.amazonaws.com") only on behalf of ``source_arn`` here."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Allow",
        principals=_service(service),
        actions=list(actions),
        resources=list(resources) if resources is not None else None,
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test="ArnLike", variable="aws:SourceArn", values=[source_arn]
            ),
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="aws:SourceAccount", values=[account_id]
            ),
        ],
    )


def trusted_service(sid: str, service: str) -> DataAwsIamPolicyDocumentStatement:
    """A role's trust in ``service`` with no condition: only for the services of
    UNCONDITIONED_TRUSTS, each with the page that gives its trust so."""
    if service not in UNCONDITIONED_TRUSTS:
        raise ValueError(f"{sid}: bind {service}'s trust with allow_service_from")
    return DataAwsIamPolicyDocumentStatement(
        sid=sid, effect="Allow", principals=_service(service), actions=["sts:AssumeRole"]
    )


def allow_eventbridge_unconditioned(
    sid: str, actions: Sequence[str], resources: Sequence[str]
) -> DataAwsIamPolicyDocumentStatement:
    """Allow EventBridge these actions on these resources, with no condition AWS would not honour.

    Only for actions of a service in UNCONDITIONED_EVENTBRIDGE (sns:, kms:), which the
    least-privilege test checks.
    """
    if {action.split(":")[0] for action in actions} - set(UNCONDITIONED_EVENTBRIDGE):
        raise ValueError(f"{sid}: AWS supports conditions for these actions: {list(actions)}")
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Allow",
        principals=_service(EVENTBRIDGE),
        actions=list(actions),
        resources=list(resources),
    )


def allow_alarms_on_key(sid: str) -> DataAwsIamPolicyDocumentStatement:
    """In a key policy: CloudWatch alarms may encrypt notifications to topics under this key
    (UNCONDITIONED_ALARMS_ON_KEY). The topics' own policies still admit only our alarms."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Allow",
        principals=_service(ALARMS),
        actions=list(ALARM_KEY_ACTIONS),
        resources=["*"],
    )
