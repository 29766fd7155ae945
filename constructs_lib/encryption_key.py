"""A customer managed KMS key per region, usable by exactly the services that need it."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib.policy_statements import allow_service_from
from constructs_lib.region_account import Placement


def _service(name: str) -> list[DataAwsIamPolicyDocumentStatementPrincipals]:
    return [DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[name])]


def _condition(test: str, variable: str, value: str) -> DataAwsIamPolicyDocumentStatementCondition:
    return DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=[value])


class EncryptionKey(Construct):
    """A rotating KMS key for the trail's log files, the topics and the dead-letter queues.

    Exposes ``key``. ``trail_name`` (home region only) admits CloudTrail for that trail.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        trail_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        partition, account_id = placement.partition, placement.account_id
        statements = [
            # The default key policy's first statement: IAM policies in this account govern use.
            # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
            DataAwsIamPolicyDocumentStatement(
                sid="EnableIAMPolicies",
                effect="Allow",
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="AWS", identifiers=[f"arn:{partition}:iam::{account_id}:root"]
                    )
                ],
                actions=["kms:*"],
                resources=["*"],
            ),
        ]
        # EventBridge publishing to an encrypted topic or dead-letter queue, CloudWatch alarms
        # publishing to an encrypted topic:
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        for sid, service, source in (
            (
                "AllowOurRulesToEncrypt",
                "events",
                placement.arn("events", f"rule/{prefix}-*"),
            ),
            (
                "AllowOurAlarmsToEncrypt",
                "cloudwatch",
                placement.arn("cloudwatch", f"alarm:{prefix}-*"),
            ),
        ):
            statements.append(
                allow_service_from(
                    sid,
                    f"{service}.amazonaws.com",
                    ["kms:GenerateDataKey*", "kms:Decrypt"],
                    ["*"],
                    source_arn=source,
                    account_id=account_id,
                )
            )
        if trail_name:
            trail_arn = placement.arn("cloudtrail", f"trail/{trail_name}")
            # CloudTrail encrypting log files for this trail only:
            # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
            statements += [
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowCloudTrailToEncryptLogs",
                    effect="Allow",
                    principals=_service("cloudtrail.amazonaws.com"),
                    actions=["kms:GenerateDataKey*"],
                    resources=["*"],
                    condition=[
                        _condition("StringEquals", "aws:SourceArn", trail_arn),
                        _condition(
                            "StringLike",
                            "kms:EncryptionContext:aws:cloudtrail:arn",
                            f"arn:{partition}:cloudtrail:*:{account_id}:trail/*",
                        ),
                    ],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowCloudTrailToDescribeKey",
                    effect="Allow",
                    principals=_service("cloudtrail.amazonaws.com"),
                    actions=["kms:DescribeKey"],
                    resources=["*"],
                    condition=[_condition("StringEquals", "aws:SourceArn", trail_arn)],
                ),
            ]
        policy = DataAwsIamPolicyDocument(
            self, "key_policy", statement=statements, provider=provider
        )
        self.key = KmsKey(
            self,
            "key",
            description=f"{prefix}: trail logs, alert topics and dead-letter queues",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy.json,
            provider=provider,
        )
        KmsAlias(
            self,
            "alias",
            name=f"alias/{prefix}",
            target_key_id=self.key.key_id,
            provider=provider,
        )
