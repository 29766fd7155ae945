"""A customer managed KMS key per region, usable by exactly the services that need it."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from constructs_lib.foundation.policy_statements import (
    allow_alarms_on_key,
    allow_eventbridge_unconditioned,
)
from constructs_lib.foundation.region_account import Placement


def _service(name: str) -> list[DataAwsIamPolicyDocumentStatementPrincipals]:
    return [DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[name])]


def _condition(test: str, variable: str, value: str) -> DataAwsIamPolicyDocumentStatementCondition:
    return DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=[value])


class EncryptionKey(Construct):
    """A rotating KMS key for the trail's log files and the alert topic, which Terraform keeps.

    Exposes ``key``. ``trail_name`` (home region only) admits CloudTrail for that trail;
    ``log_group_name`` CloudWatch Logs for that log group; ``alarms`` our CloudWatch alarms
    publishing to the encrypted alert topic (the metric-filter engine).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        trail_name: str | None = None,
        log_group_name: str | None = None,
        alarms: bool = False,
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
        # EventBridge publishing to the encrypted alert topic. No aws:SourceArn/SourceAccount: the
        # SNS guide says they are not supported for EventBridge-to-encrypted-topic delivery, and
        # with them every alert fails (awslabs/landing-zone-accelerator-on-aws#407). Nothing else
        # uses the key for alerting: the dead-letter queues use SSE-SQS and the health topic is
        # unencrypted, so disabling this key cannot also silence the fallback and the alarms.
        statements.append(
            allow_eventbridge_unconditioned(
                "AllowEventBridgeToPublishToTheAlertTopic",
                ["kms:GenerateDataKey*", "kms:Decrypt"],
                ["*"],
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
        if log_group_name:
            # CloudWatch Logs encrypting this log group only:
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
            statements.append(
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowCloudWatchLogsForTheTrailLogGroup",
                    effect="Allow",
                    principals=_service(f"logs.{placement.region}.amazonaws.com"),
                    actions=[
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    resources=["*"],
                    condition=[
                        _condition(
                            "ArnEquals",
                            "kms:EncryptionContext:aws:logs:arn",
                            placement.arn("logs", f"log-group:{log_group_name}"),
                        )
                    ],
                )
            )
        if alarms:
            # Our alarms publishing to the encrypted alert topic, as AWS documents it, with no
            # condition (policy_statements.UNCONDITIONED_ALARMS_ON_KEY); the alert topic's
            # policy admits only our alarms (aws:SourceArn, aws:SourceAccount).
            statements.append(allow_alarms_on_key("AllowOurAlarmsToPublishToTheAlertTopic"))
        policy = DataAwsIamPolicyDocument(
            self, "key_policy", statement=statements, provider=provider
        )
        self.key = KmsKey(
            self,
            "key",
            description=f"{prefix}: trail logs and the alert topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy.json,
            # It protects the audit logs: a plan that would schedule its deletion fails.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=placement.prevent_destroy),
            provider=provider,
        )
        KmsAlias(
            self,
            "alias",
            name=f"alias/{prefix}",
            target_key_id=self.key.key_id,
            provider=provider,
        )
