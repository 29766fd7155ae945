"""Organization mode's management-account stack: the member template in every region, which
StackSets never deploy there, and the organization trail that gives every member the logging
trail EventBridge needs (``memberTrails``: "organization")."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from config import MANAGEMENT_STACK, Management, MonitorConfig
from constructs_lib.foundation.region_account import RegionAccount
from constructs_lib.foundation.resources import JsonStack
from constructs_lib.organization.forwarding_guard import ForwardingGuard
from constructs_lib.organization.member_forwarding import MemberStack
from constructs_lib.trail.audit_trail import AuditTrail
from constructs_lib.trail.trail_table import TrailTable
from models.cloudtrail_table import ORGANIZATION_TABLE, TableLayout
from stacks.backend import use_backend


class ManagementStack(TerraformStack):
    """One aliased provider per region, each assuming ``management.role_arn``."""

    def __init__(
        self,
        scope: Construct,
        settings: MonitorConfig,
        management: Management,
        regions: Sequence[str],
        member_template_body: str,
        json_stacks: list[JsonStack] | None = None,
    ) -> None:
        super().__init__(scope, MANAGEMENT_STACK)
        if json_stacks is not None:  # our constructs write Terraform JSON (resources.py)
            json_stacks.append(JsonStack(self, MANAGEMENT_STACK))
        use_backend(self, MANAGEMENT_STACK, settings.state_backend)
        organization = settings.organization
        assert organization is not None
        for region in regions:
            placement = RegionAccount(
                self,
                f"region_account_{region}",
                region=region,
                partition=settings.partition,
                name_prefix=settings.name_prefix,
                default_tags=settings.default_tags,
                prevent_destroy=settings.prevent_destroy,
                assume_role_arn=management.role_arn,
            ).placement
            MemberStack(
                self,
                f"member_forwarding_{region}",
                placement=placement,
                template_body=member_template_body,
            )
            if management.protect_forwarding and region == settings.home_region:
                # Organizations is global: one policy, from the home region's provider.
                ForwardingGuard(
                    self,
                    "forwarding_guard",
                    placement=placement,
                    security_account=organization.security_account,
                    organizational_units=organization.organizational_units,
                )
            # "To record events with one of the CloudTrail detail-type values, you must enable a
            # CloudTrail trail with logging" (EventBridge guide, eb-service-event-cloudtrail.html):
            # the organization trail is one in every member account (CloudTrail guide,
            # creating-trail-organization.html).
            if organization.member_trails == "organization" and region == settings.home_region:
                trail = AuditTrail(
                    self,
                    "organization_trail",
                    placement=placement,
                    archive_after_days=settings.log_archive_after_days,
                    object_lock=settings.object_lock,
                    organization_id=organization.organization_id,
                )
                TerraformOutput(self, "organization_trail_arn", value=trail.trail.arn)
                TerraformOutput(
                    self, "organization_trail_bucket_name", value=trail.trail_bucket.bucket
                )
                if settings.athena_database:
                    # Beside the bucket, in the account that owns it: the home stack (security
                    # account) cannot name a bucket the management stack creates after it.
                    table = TrailTable(
                        self,
                        "organization_trail_table",
                        placement=placement,
                        bucket_name=trail.trail_bucket.bucket,
                        database_name=settings.athena_database,
                        table_name=ORGANIZATION_TABLE,
                        layout=TableLayout(
                            regions=tuple(sorted(settings.partition_regions)),
                            organization_id=organization.organization_id,
                        ),
                    )
                    TerraformOutput(
                        self,
                        "organization_athena_table",
                        value=f"{table.database_name}.{table.table_name}",
                    )
