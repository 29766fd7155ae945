"""The CloudWatch Logs log group the trail delivers to, and the role CloudTrail writes it with."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.foundation.policy_statements import trusted_service
from constructs_lib.foundation.region_account import Placement

CLOUDTRAIL = "cloudtrail.amazonaws.com"  # one of policy_statements.UNCONDITIONED_TRUSTS

LOG_GROUP_SUFFIX = "-trail"  # <namePrefix>-trail, the name monitor_alarms_tampered watches


def log_group_name(name_prefix: str) -> str:
    return f"{name_prefix}{LOG_GROUP_SUFFIX}"


class TrailLogGroup(Construct):
    """A log group for the trail named ``<namePrefix>-trail``, kept ``retention_days``, encrypted
    with ``kms_key_arn`` if given, and a role CloudTrail assumes to write it.

    Exposes ``log_group``, ``role``, ``role_policy`` and ``trail_target_arn`` (what the trail's
    ``cloud_watch_logs_group_arn`` takes: the log group ARN with ``:*``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        trail_name: str,
        retention_days: int,
        kms_key_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        name = log_group_name(prefix)
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=name,
            retention_in_days=retention_days,
            kms_key_id=kms_key_arn,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=placement.prevent_destroy),
            provider=provider,
        )
        self.trail_target_arn = f"{self.log_group.arn}:*"

        # Trusted by CloudTrail, with no condition: see policy_statements.UNCONDITIONED_TRUSTS.
        # Another account cannot hand this role to its trail (iam:PassRole passes roles of the
        # caller's own account only), and the role can do nothing but write this log group.
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[trusted_service("CloudTrailWritesTheTrailLogGroup", CLOUDTRAIL)],
            provider=provider,
        )
        self.role = IamRole(
            self,
            "role",
            name=f"{prefix}-trail-to-logs",
            assume_role_policy=trust.json,
            provider=provider,
        )
        # The policy CloudTrail documents: create streams and put events in this group's streams,
        # named <account>_CloudTrail_<region>:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
        streams = placement.arn(
            "logs",
            f"log-group:{name}:log-stream:{placement.account_id}_CloudTrail_{placement.region}*",
        )
        writes = DataAwsIamPolicyDocument(
            self,
            "writes",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSCloudTrailCreateLogStream",
                    effect="Allow",
                    actions=["logs:CreateLogStream"],
                    resources=[streams],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSCloudTrailPutLogEvents",
                    effect="Allow",
                    actions=["logs:PutLogEvents"],
                    resources=[streams],
                ),
            ],
            provider=provider,
        )
        self.role_policy = IamRolePolicy(
            self,
            "role_policy",
            name="write-trail-log-group",
            role=self.role.id,
            policy=writes.json,
            provider=provider,
        )
