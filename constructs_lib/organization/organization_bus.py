"""The security account's organization bus: members' forwarded events arrive here, and only theirs."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_bus_policy import CloudwatchEventBusPolicy
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct

from constructs_lib.foundation.region_account import Placement
from constructs_lib.organization.member_template import (
    forwarding_role_prefix,
    organization_bus_name,
)


class OrganizationBus(Construct):
    """A custom event bus ``<prefix>-org`` whose policy admits ``events:PutEvents`` only from the
    member template's forwarding roles (aws:PrincipalArn) in accounts of ``organization_id``
    (aws:PrincipalOrgID, the EventBridge guide's organization statement:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).

    A forwarded event keeps the ``account`` it was recorded in: "Rules that have an event pattern
    containing an Account field do not match events sent from accounts that are not listed"
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html). Exposes ``bus`` and ``policy``.
    """

    def __init__(
        self, scope: Construct, id: str, *, placement: Placement, organization_id: str
    ) -> None:
        super().__init__(scope, id)
        provider = placement.provider
        self.bus = CloudwatchEventBus(
            self,
            "bus",
            name=organization_bus_name(placement.name_prefix),
            description="API-call events forwarded by the organization's accounts",
            provider=provider,
        )
        document = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PutEventsFromThisOrganizationOnly",
                    effect="Allow",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])
                    ],
                    actions=["events:PutEvents"],
                    resources=[self.bus.arn],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="StringEquals",
                            variable="aws:PrincipalOrgID",
                            values=[organization_id],
                        ),
                        # Only the member template's forwarding roles: for a role, the request
                        # context's aws:PrincipalArn is the role's ARN (IAM User Guide, global
                        # condition keys, reference_policies_condition-keys.html#condition-keys-principalarn).
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="ArnLike",
                            variable="aws:PrincipalArn",
                            values=[
                                f"arn:{placement.partition}:iam::*:role/"
                                f"{forwarding_role_prefix(placement.name_prefix)}*"
                            ],
                        ),
                    ],
                )
            ],
            provider=provider,
        )
        self.policy = CloudwatchEventBusPolicy(
            self,
            "policy",
            event_bus_name=self.bus.name,
            policy=document.json,
            provider=provider,
        )
