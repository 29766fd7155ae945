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

from constructs_lib.foundation.region_account import Placement
from constructs_lib.organization.member_template import forwarding_stack_name
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
    ``security_account`` (which carries the template as a stack of its own).

    StackSets: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html
    Account filter: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/account-level-targets.html

    A change of ``security_account`` is refused while ``prevent_destroy`` holds: hashicorp/aws
    updates a DIFFERENCE exclusion list by deleting instances for the accounts it drops, which
    under DIFFERENCE means every account but those (hashicorp/terraform-provider-aws#47721, open;
    its fix #47722 was closed unmerged). So the instances are replaced instead of updated when the
    security account changes (the StackSet's description names it, and ``replace_triggered_by``
    on that attribute: "any change to the attribute value will trigger replacement", Terraform
    lifecycle meta-argument), and ``prevent_destroy`` makes Terraform reject that plan.
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
        security_account: str,
    ) -> None:
        super().__init__(scope, id)
        provider = placement.provider
        self.stack_set = CloudformationStackSet(
            self,
            "stack_set",
            name=forwarding_stack_name(placement.name_prefix),
            # Changes only with the security account: the instances' replacement trigger.
            description=f"{placement.name_prefix}: forwards API-call events to the security "
            f"account {security_account}",
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
            # The security account carries the template as a stack of its own.
            deployment_targets=CloudformationStackInstancesDeploymentTargets(
                organizational_unit_ids=list(organizational_units),
                account_filter_type="DIFFERENCE",
                accounts=[security_account],
            ),
            operation_preferences=CloudformationStackInstancesOperationPreferences(
                region_concurrency_type="PARALLEL",
                max_concurrent_percentage=100,
                failure_tolerance_percentage=10,
            ),
            lifecycle=TerraformResourceLifecycle(
                prevent_destroy=placement.prevent_destroy,
                replace_triggered_by=[
                    f"{self.stack_set.terraform_resource_type}."
                    f"{self.stack_set.friendly_unique_id}.description"
                ],
            ),
            provider=provider,
        )
