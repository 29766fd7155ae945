"""Organization mode, optional: a service control policy that keeps the members' forwarding
rules and role out of reach of everyone in the member accounts but StackSets itself.

Why: a member account's administrator who deletes the forwarding rule that carries EventBridge's
own events can hardly be reported (the call removed the rule that would forward its record),
and every later change goes unforwarded. SCPs apply to every principal of the accounts
below the OUs they are attached to, administrators included, but not to the management account
(AWS Organizations User Guide, orgs_manage_policies_scps.html). StackSets works in a member
account through the execution role it creates there, "named stacksets-exec-*" (CloudFormation
User Guide, stacksets-custom-execution-role.html): it alone may change them. The security account
may too, since it deploys its own copy of the template with Terraform.

The IAM actions are every write that changes what the forwarding role may do or who may assume
it: its inline and attached policies, its trust policy, its deletion, and its permissions boundary
("The effective permissions are the intersection of both policy types", IAM User Guide,
access_policies_boundaries.html: a boundary allowing nothing silences the account as surely as a
deleted rule). Tags decide nothing here (no condition of the template, the bus policy or this
SCP reads a tag), and iam:UpdateRole changes only the description and the maximum session
duration (IAM API reference, UpdateRole), so neither is denied.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdktf_cdktf_provider_aws.organizations_policy import OrganizationsPolicy
from cdktf_cdktf_provider_aws.organizations_policy_attachment import (
    OrganizationsPolicyAttachment,
)
from constructs import Construct

from constructs_lib.foundation.region_account import Placement
from constructs_lib.organization.member_template import forwarding_role_prefix
from models import limits

GUARDED_ACTIONS = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
)


def guard_document(partition: str, name_prefix: str, security_account: str) -> dict:
    """The SCP: deny changing the forwarding rules and role, but to StackSets' execution role and
    to the security account."""
    prefix = forwarding_role_prefix(name_prefix)  # the rules and the role share it
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyStackSetsChangesTheAlertForwarding",
                "Effect": "Deny",
                "Action": list(GUARDED_ACTIONS),
                "Resource": [
                    f"arn:{partition}:events:*:*:rule/{prefix}*",
                    f"arn:{partition}:iam::*:role/{prefix}*",
                ],
                "Condition": {
                    "ArnNotLike": {
                        "aws:PrincipalArn": [f"arn:{partition}:iam::*:role/stacksets-exec-*"]
                    },
                    "StringNotEquals": {"aws:PrincipalAccount": [security_account]},
                },
            }
        ],
    }


class ForwardingGuard(Construct):
    """The SCP, attached to each of ``organizational_units``. Exposes ``policy``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        security_account: str,
        organizational_units: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        document = guard_document(placement.partition, placement.name_prefix, security_account)
        content = json.dumps(document, separators=(",", ":"))
        if len(content) > limits.SCP_SIZE.value:
            raise ValueError(f"the forwarding guard needs {len(content)} characters")
        self.policy = OrganizationsPolicy(
            self,
            "policy",
            name=f"{placement.name_prefix}-protect-alert-forwarding",
            description="Only StackSets may change the API-call alert forwarding rules and role",
            type="SERVICE_CONTROL_POLICY",
            content=content,
            provider=placement.provider,
        )
        for unit in organizational_units:
            OrganizationsPolicyAttachment(
                self,
                f"attachment_{unit.replace('-', '_')}",
                policy_id=self.policy.id,
                target_id=unit,
                provider=placement.provider,
            )
