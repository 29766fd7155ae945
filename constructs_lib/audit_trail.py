"""The multi-region CloudTrail trail and the S3 bucket it writes to."""

from __future__ import annotations

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudtrail import Cloudtrail
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

CLOUDTRAIL = DataAwsIamPolicyDocumentStatementPrincipals(
    type="Service", identifiers=["cloudtrail.amazonaws.com"]
)


class AuditTrail(Construct):
    """A multi-region trail with log-file validation, writing to a private, encrypted, versioned bucket.

    Exposes ``trail_bucket`` and ``trail``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        name_prefix: str,
        partition: str,
        region: str,
    ) -> None:
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account", provider=provider)
        trail_name = f"{name_prefix}-trail"
        # Built from parts: the bucket policy must name the trail before the trail exists.
        trail_arn = f"arn:{partition}:cloudtrail:{region}:{account.account_id}:trail/{trail_name}"

        # A name prefix, not a fixed name: bucket names are global across all AWS accounts.
        self.trail_bucket = S3Bucket(
            self, "trail_bucket", bucket_prefix=f"{name_prefix}-trail-", provider=provider
        )
        bucket = self.trail_bucket
        public_access_block = S3BucketPublicAccessBlock(
            self,
            "trail_bucket_public_access_block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            provider=provider,
        )
        S3BucketOwnershipControls(
            self,
            "trail_bucket_ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            provider=provider,
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "trail_bucket_encryption",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="AES256"
                    )
                )
            ],
            provider=provider,
        )
        S3BucketVersioningA(
            self,
            "trail_bucket_versioning",
            bucket=bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            provider=provider,
        )

        # CloudTrail's required bucket policy, confined to this trail with aws:SourceArn:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
        this_trail = DataAwsIamPolicyDocumentStatementCondition(
            test="StringEquals", variable="aws:SourceArn", values=[trail_arn]
        )
        policy = DataAwsIamPolicyDocument(
            self,
            "trail_bucket_policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSCloudTrailAclCheck",
                    effect="Allow",
                    principals=[CLOUDTRAIL],
                    actions=["s3:GetBucketAcl"],
                    resources=[bucket.arn],
                    condition=[this_trail],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AWSCloudTrailWrite",
                    effect="Allow",
                    principals=[CLOUDTRAIL],
                    actions=["s3:PutObject"],
                    resources=[f"{bucket.arn}/AWSLogs/{account.account_id}/*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="s3:x-amz-acl",
                            values=["bucket-owner-full-control"],
                        ),
                        this_trail,
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])
                    ],
                    actions=["s3:*"],
                    resources=[bucket.arn, f"{bucket.arn}/*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
            ],
            provider=provider,
        )
        bucket_policy = S3BucketPolicy(
            self,
            "trail_bucket_policy",
            bucket=bucket.id,
            policy=policy.json,
            # S3 rejects concurrent policy and public-access-block writes on one bucket.
            depends_on=[public_access_block],
            provider=provider,
        )

        self.trail = Cloudtrail(
            self,
            "trail",
            name=trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            # Without the policy in place CreateTrail fails with InsufficientS3BucketPolicyException.
            depends_on=[bucket_policy],
            provider=provider,
        )
