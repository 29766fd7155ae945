"""The IAM policy the deploying identity needs: `make deployer-policy` (`python -m ops deployer-policy`).

Generated from the synthesized stacks: for each Terraform resource type they hold, the API
actions the AWS provider calls to create, read, update, tag and delete it (below, one entry per
type, which a test keeps in step with every type any configuration synthesizes), on resources
named as this deployment names them. Printed as JSON, for an IAM customer managed policy.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from config import MonitorConfig
from constructs_lib.detections.catalog import HEALTH_TOPIC_SUFFIX
from constructs_lib.organization.member_template import forwarding_stack_name, organization_bus_name
from models import limits
from ops.context import OpsError, run, settings_of, synthesized_types

# Terraform resource type -> (statement, actions): the statements are named below, by the
# resources they may touch. Actions the provider calls for CRUD, tags and drift detection.
ACTIONS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "aws_cloudtrail": (
        "Trail",
        (
            "cloudtrail:CreateTrail",
            "cloudtrail:UpdateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:GetTrail",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
            "cloudtrail:GetEventSelectors",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:GetInsightSelectors",
            "cloudtrail:ListTags",
            "cloudtrail:AddTags",
            "cloudtrail:RemoveTags",
        ),
    ),
    "aws_cloudwatch_event_rule": (
        "Rules",
        (
            "events:PutRule",
            "events:DescribeRule",
            "events:DeleteRule",
            "events:EnableRule",
            "events:DisableRule",
            "events:ListTagsForResource",
            "events:TagResource",
            "events:UntagResource",
        ),
    ),
    "aws_cloudwatch_event_bus": (
        "EventBus",
        (
            "events:CreateEventBus",
            "events:DescribeEventBus",
            "events:UpdateEventBus",
            "events:DeleteEventBus",
            "events:ListTagsForResource",
            "events:TagResource",
            "events:UntagResource",
        ),
    ),
    "aws_cloudwatch_event_bus_policy": (
        "EventBus",
        ("events:PutPermission", "events:RemovePermission", "events:DescribeEventBus"),
    ),
    # Organization mode: the member template as a stack, and the StackSet with its instances.
    "aws_cloudformation_stack": (
        "ForwardingStack",
        (
            "cloudformation:CreateStack",
            "cloudformation:UpdateStack",
            "cloudformation:DeleteStack",
            "cloudformation:DescribeStacks",
            "cloudformation:DescribeStackEvents",
            "cloudformation:GetTemplate",
        ),
    ),
    "aws_cloudformation_stack_set": (
        "StackSet",
        (
            "cloudformation:CreateStackSet",
            "cloudformation:UpdateStackSet",
            "cloudformation:DeleteStackSet",
            "cloudformation:DescribeStackSet",
            "cloudformation:DescribeStackSetOperation",
        ),
    ),
    "aws_cloudformation_stack_instances": (
        "StackSet",
        (
            "cloudformation:CreateStackInstances",
            "cloudformation:UpdateStackInstances",
            "cloudformation:DeleteStackInstances",
            "cloudformation:ListStackInstances",
            "cloudformation:DescribeStackInstance",
            "cloudformation:DescribeStackSetOperation",
        ),
    ),
    # Chat: the channel configurations, created through the Chatbot API (us-east-2).
    "aws_chatbot_slack_channel_configuration": (
        "ChatChannels",
        (
            "chatbot:CreateSlackChannelConfiguration",
            "chatbot:DescribeSlackChannelConfigurations",
            "chatbot:UpdateSlackChannelConfiguration",
            "chatbot:DeleteSlackChannelConfiguration",
            "chatbot:ListTagsForResource",
            "chatbot:TagResource",
            "chatbot:UntagResource",
        ),
    ),
    "aws_chatbot_teams_channel_configuration": (
        "ChatChannels",
        (
            "chatbot:CreateMicrosoftTeamsChannelConfiguration",
            "chatbot:GetMicrosoftTeamsChannelConfiguration",
            "chatbot:UpdateMicrosoftTeamsChannelConfiguration",
            "chatbot:DeleteMicrosoftTeamsChannelConfiguration",
            "chatbot:ListTagsForResource",
            "chatbot:TagResource",
            "chatbot:UntagResource",
        ),
    ),
    # Organization mode's forwarding guard (management account): the SCP and its attachments.
    "aws_organizations_policy": (
        "ForwardingGuard",
        (
            "organizations:DescribePolicy",
            "organizations:UpdatePolicy",
            "organizations:DeletePolicy",
            "organizations:ListTagsForResource",
            "organizations:TagResource",
            "organizations:UntagResource",
        ),
    ),
    "aws_organizations_policy_attachment": (
        "ForwardingGuard",
        (
            "organizations:AttachPolicy",
            "organizations:DetachPolicy",
            "organizations:ListTargetsForPolicy",
            # make verify --management counts each OU's SCPs (5 at most) with this role.
            "organizations:ListPoliciesForTarget",
        ),
    ),
    "aws_cloudwatch_event_target": (
        "Rules",
        ("events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"),
    ),
    "aws_cloudwatch_log_group": (
        "LogGroup",
        (
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
            "logs:TagResource",
            "logs:UntagResource",
        ),
    ),
    "aws_cloudwatch_log_metric_filter": (
        "LogGroup",
        ("logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"),
    ),
    "aws_cloudwatch_metric_alarm": (
        "Alarms",
        (
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:ListTagsForResource",
            "cloudwatch:TagResource",
            "cloudwatch:UntagResource",
        ),
    ),
    "aws_iam_role": (
        "ForwardingRole",
        (
            "iam:CreateRole",
            "iam:GetRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:DeleteRole",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
        ),
    ),
    # The trail's Athena table (athenaTable): what the provider's create, read, update and
    # delete of a Glue database and table call (terraform-provider-aws, internal/service/glue:
    # the table's read also asks for its partition indexes).
    "aws_glue_catalog_database": (
        "Catalog",
        (
            "glue:CreateDatabase",
            "glue:GetDatabase",
            "glue:UpdateDatabase",
            "glue:DeleteDatabase",
            "glue:GetTags",
            "glue:TagResource",
            "glue:UntagResource",
        ),
    ),
    "aws_glue_catalog_table": (
        "Catalog",
        (
            "glue:CreateTable",
            "glue:GetTable",
            "glue:UpdateTable",
            "glue:DeleteTable",
            "glue:GetPartitionIndexes",
        ),
    ),
    "aws_iam_role_policy": (
        "ForwardingRole",
        ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
    ),
    "aws_kms_key": (
        "Key",
        (
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:PutKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:EnableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:ListResourceTags",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:ScheduleKeyDeletion",
        ),
    ),
    "aws_kms_alias": ("KeyAlias", ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias")),
    "aws_s3_bucket": (
        "Buckets",
        (
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:GetBucketAcl",
            "s3:GetBucketCORS",
            "s3:GetBucketWebsite",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetReplicationConfiguration",
            "s3:GetBucketTagging",
            "s3:PutBucketTagging",
            # The bucket resource also reads each setting its own resources manage.
            "s3:GetBucketPolicy",
            "s3:GetBucketVersioning",
            "s3:GetBucketLogging",
            "s3:GetLifecycleConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketObjectLockConfiguration",
        ),
    ),
    "aws_s3_bucket_lifecycle_configuration": (
        "Buckets",
        ("s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"),
    ),
    "aws_s3_bucket_logging": ("Buckets", ("s3:PutBucketLogging", "s3:GetBucketLogging")),
    "aws_s3_bucket_object_lock_configuration": (
        "Buckets",
        ("s3:PutBucketObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"),
    ),
    "aws_s3_bucket_ownership_controls": (
        "Buckets",
        ("s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    ),
    "aws_s3_bucket_policy": (
        "Buckets",
        ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
    ),
    "aws_s3_bucket_public_access_block": (
        "Buckets",
        ("s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "Buckets",
        ("s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"),
    ),
    "aws_s3_bucket_versioning": (
        "Buckets",
        ("s3:PutBucketVersioning", "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"),
    ),
    "aws_sns_topic": (
        "Topics",
        (
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:SetTopicAttributes",
            "sns:ListTagsForResource",
            "sns:TagResource",
            "sns:UntagResource",
        ),
    ),
    "aws_sns_topic_policy": ("Topics", ("sns:SetTopicAttributes", "sns:GetTopicAttributes")),
    "aws_sns_topic_subscription": (
        "Topics",
        (
            "sns:Subscribe",
            "sns:Unsubscribe",
            "sns:GetSubscriptionAttributes",
            "sns:SetSubscriptionAttributes",
            "sns:ListSubscriptionsByTopic",
        ),
    ),
    "aws_sqs_queue": (
        "Queue",
        (
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
            "sqs:SetQueueAttributes",
            "sqs:ListQueueTags",
            "sqs:TagQueue",
            "sqs:UntagQueue",
        ),
    ),
    "aws_sqs_queue_policy": ("Queue", ("sqs:SetQueueAttributes", "sqs:GetQueueAttributes")),
    # Data sources: the account id (GetCallerIdentity needs no permission) and policy documents
    # rendered by the provider itself.
    "data.aws_caller_identity": ("", ()),
    "data.aws_iam_policy_document": ("", ()),
}
# Actions that accept no resource but "*" (the service authorization reference marks them so).
UNSCOPED = (
    "cloudtrail:DescribeTrails",
    "cloudwatch:DescribeAlarms",
    "kms:ListAliases",
    "logs:DescribeLogGroups",
)
# What CloudFormation does with the caller's credentials when it creates the member template's
# resources in this account (no service role): its role, and its rules (the Rules statement).
TEMPLATE_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:GetRole",
    "iam:DeleteRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
)


def _organization_resources(settings: MonitorConfig) -> list[str]:
    """The organization's service control policies, OUs and root, by its id."""
    organization = settings.organization
    if not organization:
        return []
    base = f"arn:{settings.partition}:organizations::*"
    org_id = organization.organization_id
    return [
        f"{base}:policy/{org_id}/service_control_policy/*",
        f"{base}:ou/{org_id}/*",
        f"{base}:root/{org_id}/*",
    ]


def resources(settings: MonitorConfig) -> dict[str, list[str]]:
    """Statement name -> the ARNs this deployment's resources of that kind have."""
    partition, prefix = settings.partition, settings.name_prefix
    glue, database = f"arn:{partition}:glue:*:*", settings.athena_database or "*"
    return {
        "Trail": [f"arn:{partition}:cloudtrail:*:*:trail/{prefix}-trail"],
        "Rules": [f"arn:{partition}:events:*:*:rule/{prefix}-*"],
        "Alarms": [f"arn:{partition}:cloudwatch:*:*:alarm:{prefix}-*"],
        "ForwardingRole": [
            f"arn:{partition}:iam::*:role/{prefix}-forward-*",
            f"arn:{partition}:iam::*:role/{prefix}-trail-to-logs",
            f"arn:{partition}:iam::*:role/{prefix}-chat",
        ],
        "TemplateRole": [f"arn:{partition}:iam::*:role/{prefix}-org-forward-*"],
        "ChatChannels": [f"arn:{partition}:chatbot::*:chat-configuration/*/{prefix}-chat-*"],
        "ChatRole": [f"arn:{partition}:iam::*:role/{prefix}-chat"],
        "ForwardingGuard": _organization_resources(settings),
        "EventBus": [f"arn:{partition}:events:*:*:event-bus/{organization_bus_name(prefix)}"],
        "ForwardingStack": [
            f"arn:{partition}:cloudformation:*:*:stack/{forwarding_stack_name(prefix)}/*"
        ],
        "StackSet": [
            f"arn:{partition}:cloudformation:*:*:stackset/{forwarding_stack_name(prefix)}:*",
            f"arn:{partition}:cloudformation:*:*:stackset-target/{forwarding_stack_name(prefix)}:*",
            f"arn:{partition}:cloudformation:*::type/resource/*",
        ],
        "LogGroup": [
            f"arn:{partition}:logs:*:*:log-group:{prefix}-trail",
            f"arn:{partition}:logs:*:*:log-group:{prefix}-trail:*",
        ],
        "Key": [f"arn:{partition}:kms:*:*:key/*"],
        "KeyAlias": [f"arn:{partition}:kms:*:*:alias/{prefix}", f"arn:{partition}:kms:*:*:key/*"],
        "Buckets": [
            f"arn:{partition}:s3:::{prefix}-trail-*",
            f"arn:{partition}:s3:::{prefix}-logs-*",
        ],
        "Topics": [
            f"arn:{partition}:sns:*:*:{prefix}",
            f"arn:{partition}:sns:*:*:{prefix}{HEALTH_TOPIC_SUFFIX}",
        ],
        "Queue": [f"arn:{partition}:sqs:*:*:{prefix}-undelivered-alerts"],
        # "Actions on a table ... require permission on the table, database, and catalog";
        # deleting a database, on its tables and user-defined functions too (Glue guide,
        # glue-specifying-resource-arns.html).
        "Catalog": [
            f"{glue}:catalog",
            f"{glue}:database/{database}",
            f"{glue}:table/{database}/*",
            f"{glue}:userDefinedFunction/{database}/*",
        ],
    }


def policy(settings: MonitorConfig, types: set[str], management: bool = False) -> dict[str, Any]:
    """The policy document for a deployment whose stacks hold these resource and data types
    (``management``: organization mode's management-account stack)."""
    unscoped = list(UNSCOPED)
    unknown = sorted(types - set(ACTIONS))
    if unknown:
        raise OpsError(
            f"no deployer actions known for {', '.join(unknown)}: ops/deployer_policy.py"
        )
    grouped: dict[str, set[str]] = {}
    for kind in sorted(types):
        name, actions = ACTIONS[kind]
        if actions:
            grouped.setdefault(name, set()).update(actions)
    arns = resources(settings)
    statements: list[dict[str, Any]] = []
    for name, actions in sorted(grouped.items()):
        statement: dict[str, Any] = {
            "Sid": name,
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": arns[name],
        }
        if name == "Key":
            # Only keys of this deployment, by the Project tag every resource carries.
            statement["Condition"] = {
                "StringEquals": {"aws:ResourceTag/Project": settings.name_prefix}
            }
        statements.append(statement)
    if "aws_kms_key" in types:
        statements.append(
            {
                "Sid": "CreateKeyTagged",
                "Effect": "Allow",
                "Action": ["kms:CreateKey", "kms:TagResource"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestTag/Project": settings.name_prefix}},
            }
        )
    if "aws_iam_role" in types:
        # The forwarding rules' targets name the role (central delivery).
        statements.append(
            {
                "Sid": "PassTheForwardingRoleToEventBridge",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": arns["ForwardingRole"],
                "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
            }
        )
    if "aws_cloudformation_stack" in types:
        statements += [
            {
                "Sid": "TemplateRole",
                "Effect": "Allow",
                "Action": list(TEMPLATE_ROLE_ACTIONS),
                "Resource": arns["TemplateRole"],
            },
            {
                "Sid": "TemplateRules",
                "Effect": "Allow",
                "Action": [
                    "events:PutRule",
                    "events:DescribeRule",
                    "events:DeleteRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:ListTargetsByRule",
                ],
                "Resource": [
                    f"arn:{settings.partition}:events:*:*:rule/{settings.name_prefix}-org-forward-*"
                ],
            },
            {
                "Sid": "PassTheTemplateRoleToEventBridge",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": arns["TemplateRole"],
                "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
            },
        ]
    if "aws_chatbot_slack_channel_configuration" in types or (
        "aws_chatbot_teams_channel_configuration" in types
    ):
        # Describing Slack configurations is a list call: it takes no configuration's ARN.
        unscoped.append("chatbot:DescribeSlackChannelConfigurations")
        # The channel configurations name the chat role.
        statements.append(
            {
                "Sid": "PassTheChatRoleToTheChatIntegration",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": arns["ChatRole"],
                "Condition": {"StringEquals": {"iam:PassedToService": "chatbot.amazonaws.com"}},
            }
        )
    if "aws_organizations_policy" in types:
        # CreatePolicy names no policy yet: it takes only "*".
        unscoped.append("organizations:CreatePolicy")
    if "aws_cloudformation_stack_set" in types:
        # A delegated administrator's calls fail with "Account used is not a delegated
        # administrator" without it (Terraform registry, aws_cloudformation_stack_set).
        unscoped.append("organizations:ListDelegatedAdministrators")
    if "aws_cloudtrail" in types and settings.organization and management:
        # An organization trail: CloudTrail checks the organization and its trusted access
        # (CloudTrail guide, creating a trail for an organization).
        unscoped += [
            "organizations:DescribeOrganization",
            "organizations:ListAWSServiceAccessForOrganization",
        ]
    if "aws_cloudwatch_log_group" in types:
        # The trail names the role it writes to CloudWatch Logs with (metric-filter engine).
        statements.append(
            {
                "Sid": "PassTheLogsRoleToCloudTrail",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": [
                    f"arn:{settings.partition}:iam::*:role/{settings.name_prefix}-trail-to-logs"
                ],
                "Condition": {"StringEquals": {"iam:PassedToService": "cloudtrail.amazonaws.com"}},
            }
        )
    statements.append(
        {"Sid": "ListAndDescribe", "Effect": "Allow", "Action": unscoped, "Resource": "*"}
    )
    backend = settings.state_backend
    if backend:
        bucket = f"arn:{settings.partition}:s3:::{backend.bucket}"
        statements.append(
            {
                "Sid": "TerraformState",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [bucket, f"{bucket}/{backend.key_prefix}/*"],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


# Each role's policy its own file: the management role's never overwrites the deployer's.
DEFAULT_OUTPUT = {False: "deployer-policy.json", True: "management-policy.json"}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make deployer-policy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--output", type=Path, help="write the policy here instead of stdout")
    parser.add_argument(
        "--to-file",
        action="store_true",
        help=f"without --output, write {DEFAULT_OUTPUT[False]} ({DEFAULT_OUTPUT[True]} with "
        "--management): what make deployer-policy passes",
    )
    parser.add_argument(
        "--management",
        action="store_true",
        help="organization mode: the policy of the role the management stack assumes",
    )
    return parser


def output_of(args: argparse.Namespace) -> Path | None:
    """Where the policy goes: --output, else with --to-file each role's own file, else stdout."""
    if args.output is None and args.to_file:
        return Path(DEFAULT_OUTPUT[args.management])
    return args.output


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    args = parser().parse_args(argv)
    args.output = output_of(args)

    def body() -> int:
        settings = settings_of(environ)
        if args.management and not (settings.organization and settings.organization.management):
            raise OpsError("--management: the configuration has no organization.management")
        types = synthesized_types(settings, environ, management=args.management)
        document = json.dumps(policy(settings, types, management=args.management), indent=2)
        # IAM "does not count white space when calculating the size of a policy" (IAM quotas).
        size = len(json.dumps(json.loads(document), separators=(",", ":")))
        if size > limits.MANAGED_POLICY.value:
            print(
                f"warning: {size:,} characters: over a managed policy's "
                f"{limits.MANAGED_POLICY.value:,} ({limits.IAM_QUOTAS}); attach it inline "
                f"(a role's inline policies hold {limits.INLINE_ROLE_POLICIES.value:,}) or split it",
                file=sys.stderr,
            )
        if "aws_glue_catalog_database" in types:
            # IAM alone decides only while Lake Formation's "Use only IAM access control" is
            # on, its default (change-settings.html); docs/tuning.md has the grants and pages.
            print(
                "note: where Lake Formation governs the Data Catalog, the deployer also needs "
                "its CREATE_DATABASE (or data lake administrator) to create the athenaTable "
                "database: docs/tuning.md, Lake Formation",
                file=sys.stderr,
            )
        if args.output:
            args.output.write_text(document + "\n", encoding="utf-8")
            print(
                f"wrote {args.output} ({size:,} characters as IAM counts them, without "
                f"whitespace; a managed policy holds {limits.MANAGED_POLICY.value:,})"
            )
        else:
            print(document)
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
