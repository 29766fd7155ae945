"""The member template deployed: to the organization's OUs by a service-managed StackSet, and to
one account (management, security) as a plain CloudFormation stack."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudformation_stack import CloudformationStack
from cdktf_cdktf_provider_aws.cloudformation_stack_instances import (
    CloudformationStackInstances,
    CloudformationStackInstancesDeploymentTargets,
    CloudformationStackInstancesOperationPreferences,
)
from cdktf_cdktf_provider_aws.cloudformation_stack_set import (
    CloudformationStackSet,
    CloudformationStackSetAutoDeployment,
    CloudformationStackSetManagedExecution,
    CloudformationStackSetOperationPreferences,
)
from constructs import Construct

from constructs_lib.member_template import forwarding_stack_name
from constructs_lib.region_account import Placement
from models import terraform

# The template names its IAM role (CreateStack's "Acknowledging IAM resources").
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]


class MemberStack(Construct):
    """The member template as one stack in the account ``placement`` deploys to. Exposes ``stack``."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        template_body: str,
        depends_on: Sequence[ITerraformDependable] = (),
    ) -> None:
        super().__init__(scope, id)
        self.stack = CloudformationStack(
            self,
            "stack",
            name=forwarding_stack_name(placement.name_prefix),
            template_body=terraform.literal(template_body),
            capabilities=CAPABILITIES,
            on_failure="ROLLBACK",
            depends_on=list(depends_on) or None,
            provider=placement.provider,
        )


class MemberStackSet(Construct):
    """A service-managed StackSet of the member template, administered by this (the delegated
    administrator) account, with automatic deployment to accounts that join the OUs, and its
    instances in ``regions`` for every account of ``organizational_units`` but
    ``excluded_accounts`` (which carry the template as a stack of their own).

    StackSets: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html
    Account filter: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/account-level-targets.html
    Exposes ``stack_set`` and ``instances``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        template_body: str,
        organizational_units: Sequence[str],
        regions: Sequence[str],
        excluded_accounts: Sequence[str],
    ) -> None:
        super().__init__(scope, id)
        provider = placement.provider
        self.stack_set = CloudformationStackSet(
            self,
            "stack_set",
            name=forwarding_stack_name(placement.name_prefix),
            description=f"{placement.name_prefix}: forwards API-call events to the security account",
            permission_model="SERVICE_MANAGED",
            # Created from the delegated administrator account, not the management account.
            call_as="DELEGATED_ADMIN",
            auto_deployment=CloudformationStackSetAutoDeployment(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            # Operations queue rather than fail when another is running.
            managed_execution=CloudformationStackSetManagedExecution(active=True),
            capabilities=CAPABILITIES,
            template_body=terraform.literal(template_body),
            operation_preferences=CloudformationStackSetOperationPreferences(
                region_concurrency_type="PARALLEL",
                max_concurrent_percentage=100,
                failure_tolerance_percentage=10,
            ),
            # AWS fills in the service-linked administration role, which hashicorp/aws 6.25 then
            # plans to remove on every apply (hashicorp/terraform-provider-aws#23464, fixed by
            # #45992 after 6.25).
            lifecycle=TerraformResourceLifecycle(ignore_changes=["administration_role_arn"]),
            provider=provider,
        )
        self.instances = CloudformationStackInstances(
            self,
            "instances",
            stack_set_name=self.stack_set.name,
            call_as="DELEGATED_ADMIN",
            regions=list(regions),
            deployment_targets=CloudformationStackInstancesDeploymentTargets(
                organizational_unit_ids=list(organizational_units),
                account_filter_type="DIFFERENCE",
                accounts=list(excluded_accounts),
            ),
            operation_preferences=CloudformationStackInstancesOperationPreferences(
                region_concurrency_type="PARALLEL",
                max_concurrent_percentage=100,
                failure_tolerance_percentage=10,
            ),
            provider=provider,
        )
