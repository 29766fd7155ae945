"""The multi-region CloudTrail trail, the bucket it writes to, and that bucket's access logs."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudtrail import Cloudtrail
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct

from constructs_lib.foundation.policy_statements import allow_service_from
from constructs_lib.foundation.region_account import Placement
from constructs_lib.metric_filters.trail_log_group import TrailLogGroup
from constructs_lib.trail.bucket_settings import ObjectLock, Retention
from constructs_lib.trail.hardened_bucket import HardenedBucket

CLOUDTRAIL = DataAwsIamPolicyDocumentStatementPrincipals(
    type="Service", identifiers=["cloudtrail.amazonaws.com"]
)
# Versions replaced or deleted in the trail bucket: kept a year, long enough to notice tampering.
NONCURRENT_DAYS = 365
# Server access logs of the trail bucket: kept a year.
ACCESS_LOG_DAYS = 365


class AuditTrail(Construct):
    """A multi-region trail with log-file validation, writing to a hardened, access-logged bucket.

    With ``log_group``, the trail also delivers to that CloudWatch Logs log group. With
    ``organization_id`` (in the management account) it is the organization's trail, logging every
    member account under ``AWSLogs/<organization id>/``.
    Exposes ``trail_bucket``, ``log_bucket`` and ``trail``; none can be destroyed by Terraform.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        archive_after_days: int,
        kms_key_arn: str | None = None,
        object_lock: ObjectLock | None = None,
        log_group: TrailLogGroup | None = None,
        organization_id: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider, name_prefix = placement.provider, placement.name_prefix
        partition, account_id = placement.partition, placement.account_id
        # Built from parts: the bucket policy must name the trail before the trail exists.
        trail_name = f"{name_prefix}-trail"
        this_trail_arn = placement.arn("cloudtrail", f"trail/{trail_name}")
        trail_bucket_prefix = f"{name_prefix}-trail-"

        def logging_statements(bucket_arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
            # S3 server access logging, from the trail bucket only:
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
            return [
                allow_service_from(
                    "S3ServerAccessLogsFromTheTrailBucket",
                    "logging.s3.amazonaws.com",
                    ["s3:PutObject"],
                    [f"{bucket_arn}/*"],
                    source_arn=f"arn:{partition}:s3:::{trail_bucket_prefix}*",
                    account_id=account_id,
                )
            ]

        # Server access logs support SSE-S3 only, so this bucket never uses the KMS key.
        self.log_bucket = HardenedBucket(
            self,
            "log_bucket",
            provider=provider,
            prevent_destroy=placement.prevent_destroy,
            bucket_prefix=f"{name_prefix}-logs-",
            statements=logging_statements,
            retention=Retention(
                archive_after_days=None,
                expire_after_days=ACCESS_LOG_DAYS,
                noncurrent_expire_days=30,
            ),
        ).bucket

        def cloudtrail_statements(bucket_arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
            # CloudTrail's required bucket policy, confined to this trail with aws:SourceArn:
            # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
            this_trail = DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="aws:SourceArn", values=[this_trail_arn]
            )
            owner_full_control = DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals",
                variable="s3:x-amz-acl",
                values=["bucket-owner-full-control"],
            )

            def write(sid: str, logs: str) -> DataAwsIamPolicyDocumentStatement:
                return DataAwsIamPolicyDocumentStatement(
                    sid=sid,
                    effect="Allow",
                    principals=[CLOUDTRAIL],
                    actions=["s3:PutObject"],
                    resources=[f"{bucket_arn}/AWSLogs/{logs}/*"],
                    condition=[owner_full_control, this_trail],
                )

            # An organization trail also writes every member's logs under the organization's
            # id (the same page, "Create or update an Amazon S3 bucket to use to store the log
            # files for an organization trail"); the trail is the management account's, so
            # aws:SourceArn still names it.
            organization = (
                [write("AWSCloudTrailOrganizationWrite", organization_id)]
                if organization_id
                else []
            )
            return [
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSCloudTrailAclCheck",
                    effect="Allow",
                    principals=[CLOUDTRAIL],
                    actions=["s3:GetBucketAcl"],
                    resources=[bucket_arn],
                    condition=[this_trail],
                ),
                write("AWSCloudTrailWrite", account_id),
                *organization,
            ]

        trail_bucket = HardenedBucket(
            self,
            "trail_bucket",
            provider=provider,
            prevent_destroy=placement.prevent_destroy,
            bucket_prefix=trail_bucket_prefix,
            statements=cloudtrail_statements,
            retention=Retention(
                archive_after_days=archive_after_days,
                expire_after_days=None,
                noncurrent_expire_days=NONCURRENT_DAYS,
            ),
            kms_key_arn=kms_key_arn,
            log_bucket=self.log_bucket.id,
            object_lock=object_lock,
        )
        self.trail_bucket = trail_bucket.bucket

        self.trail = Cloudtrail(
            self,
            "trail",
            name=trail_name,
            s3_bucket_name=self.trail_bucket.id,
            is_multi_region_trail=True,
            is_organization_trail=True if organization_id else None,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=kms_key_arn,
            # The metric-filter engine's feed: every region's records, delivered to one log group.
            cloud_watch_logs_group_arn=log_group.trail_target_arn if log_group else None,
            cloud_watch_logs_role_arn=log_group.role.arn if log_group else None,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=placement.prevent_destroy),
            # Without the policy in place CreateTrail fails with InsufficientS3BucketPolicyException;
            # without the role's permissions, with InvalidCloudWatchLogsRoleArnException
            # (cloudposse/terraform-aws-cloudtrail-cloudwatch-alarms#2, aws/aws-cdk#1966).
            depends_on=[trail_bucket.policy, *([log_group.role_policy] if log_group else [])],
            provider=provider,
        )
