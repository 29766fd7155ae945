"""An S3 bucket that keeps what it is given: private, encrypted, versioned, TLS-only, undeletable."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
    S3BucketLifecycleConfigurationRuleTransition,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_object_lock_configuration import (
    S3BucketObjectLockConfigurationA,
)
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

from constructs_lib.trail.bucket_settings import ObjectLock, Retention

# Objects S3 transitions: over 128 KB (lifecycle-transition-general-considerations, see below).
ARCHIVE_MIN_BYTES = 128 * 1024
# The statements a bucket's policy adds to the TLS-only deny, given the bucket's ARN.
PolicyStatements = Callable[[str], Sequence[DataAwsIamPolicyDocumentStatement]]


class HardenedBucket(Construct):
    """A bucket with all four public-access blocks, owner-enforced ownership, default encryption
    (``kms_key_arn`` or SSE-S3), versioning, a lifecycle, a TLS-only policy plus ``statements``,
    optional server access logging to ``log_bucket`` and Object Lock, and ``prevent_destroy``
    (lifted only for a deliberate teardown).

    Exposes ``bucket``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        provider: TerraformProvider,
        prevent_destroy: bool = True,
        bucket_prefix: str,
        statements: PolicyStatements,
        retention: Retention,
        kms_key_arn: str | None = None,
        log_bucket: str | None = None,
        object_lock: ObjectLock | None = None,
    ) -> None:
        super().__init__(scope, id)
        # No force_destroy, and Terraform refuses to plan the bucket's deletion: audit data must
        # outlive the tooling. A name prefix: bucket names are global across all AWS accounts.
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket_prefix=bucket_prefix,
            object_lock_enabled=True if object_lock else None,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=prevent_destroy),
            provider=provider,
        )
        bucket, bucket_arn = self.bucket.id, self.bucket.arn
        public_access_block = S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            provider=provider,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
            provider=provider,
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms" if kms_key_arn else "AES256",
                        kms_master_key_id=kms_key_arn,
                    ),
                    bucket_key_enabled=True if kms_key_arn else None,
                )
            ],
            provider=provider,
        )
        versioning = S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
            provider=provider,
        )
        rules = [
            S3BucketLifecycleConfigurationRule(
                id="retention",
                status="Enabled",
                # An empty filter: every object (checkov CKV_AWS_300 reads a prefix filter as partial).
                filter=[S3BucketLifecycleConfigurationRuleFilter()],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                        days_after_initiation=7
                    )
                ],
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                        noncurrent_days=retention.noncurrent_expire_days
                    )
                ],
                expiration=[
                    S3BucketLifecycleConfigurationRuleExpiration(days=retention.expire_after_days)
                ]
                if retention.expire_after_days
                else None,
            )
        ]
        if retention.archive_after_days:
            # Only objects over 128 KB: S3 no longer transitions smaller ones by default (since
            # September 2024), Glacier Instant Retrieval bills each object as at least 128 KB, and
            # most CloudTrail log files are smaller. Written out so that the plan says so.
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html
            rules.append(
                S3BucketLifecycleConfigurationRule(
                    id="archive-large-objects",
                    status="Enabled",
                    filter=[
                        S3BucketLifecycleConfigurationRuleFilter(
                            object_size_greater_than=ARCHIVE_MIN_BYTES
                        )
                    ],
                    transition=[
                        S3BucketLifecycleConfigurationRuleTransition(
                            days=retention.archive_after_days, storage_class="GLACIER_IR"
                        )
                    ],
                )
            )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket,
            rule=rules,
            transition_default_minimum_object_size="all_storage_classes_128K",
            # S3 requires versioning before a noncurrent-version rule.
            depends_on=[versioning],
            provider=provider,
        )
        if log_bucket:
            S3BucketLoggingA(
                self,
                "access_logging",
                bucket=bucket,
                target_bucket=log_bucket,
                target_prefix=f"{bucket_prefix.rstrip('-')}/",
                provider=provider,
            )
        if object_lock:
            S3BucketObjectLockConfigurationA(
                self,
                "object_lock",
                bucket=bucket,
                rule={"default_retention": {"mode": object_lock.mode, "days": object_lock.days}},
                depends_on=[versioning],
                provider=provider,
            )

        policy = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                *statements(bucket_arn),
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])
                    ],
                    actions=["s3:*"],
                    resources=[bucket_arn, f"{bucket_arn}/*"],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
            ],
            provider=provider,
        )
        self.policy = S3BucketPolicy(
            self,
            "policy",
            bucket=bucket,
            policy=policy.json,
            # S3 rejects concurrent policy and public-access-block writes on one bucket.
            depends_on=[public_access_block],
            provider=provider,
        )
