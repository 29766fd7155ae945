"""The CloudWatch Logs log group the trail delivers to, and the role CloudTrail writes it with."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.region_account import Placement

LOG_GROUP_SUFFIX = "-trail"  # <namePrefix>-trail, the name monitor_alarms_tampered watches


def log_group_name(name_prefix: str) -> str:
    return f"{name_prefix}{LOG_GROUP_SUFFIX}"


class TrailLogGroup(Construct):
    """A log group for the trail named ``<namePrefix>-trail``, kept ``retention_days``, encrypted
    with ``kms_key_arn`` if given, and a role only CloudTrail, for this trail, can assume.

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

        # Trusted by CloudTrail for this trail only (aws:SourceArn, aws:SourceAccount), as the
        # CloudTrail guide's confused-deputy section shows for the CloudWatch Logs role:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cross-service-confused-deputy-prevention.html
        trust = DataAwsIamPolicyDocument(
            self,
            "trust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    effect="Allow",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["cloudtrail.amazonaws.com"]
                        )
                    ],
                    actions=["sts:AssumeRole"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="aws:SourceArn",
                            values=[placement.arn("cloudtrail", f"trail/{trail_name}")],
                        ),
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="aws:SourceAccount",
                            values=[placement.account_id],
                        ),
                    ],
                )
            ],
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
