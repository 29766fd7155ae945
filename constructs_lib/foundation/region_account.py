"""Where a stack's resources go: the region's aliased AWS provider and the account behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.provider import (
    AwsProvider,
    AwsProviderAssumeRole,
    AwsProviderDefaultTags,
)

from constructs_lib.foundation.resources import Component, name_provider
from models import terraform


@dataclass(frozen=True)
class Placement:
    """What every construct needs to know about where it deploys, and how to name things."""

    provider: TerraformProvider  # aliased after the region; passed to every resource
    region: str
    partition: str
    account_id: str  # a Terraform reference, known at plan time
    name_prefix: str
    # Terraform's prevent_destroy on what keeps the audit data (trail, buckets, key): lifted only
    # for a deliberate teardown (preventDestroy: false).
    prevent_destroy: bool = True

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        """An ARN in this account: ``arn:<partition>:<service>:<region>:<account>:<resource>``."""
        return (
            f"arn:{self.partition}:{service}:{region or self.region}:{self.account_id}:{resource}"
        )


class RegionAccount(Component):
    """The region's AWS provider, aliased after the region and tagging everything it creates,
    and the account it deploys to (one caller-identity lookup per stack). With
    ``assume_role_arn`` the provider works in that role's account (the management account).
    Exposes ``placement``.
    """

    def __init__(
        self,
        scope: Any,
        id: str,
        *,
        region: str,
        partition: str,
        name_prefix: str,
        default_tags: Mapping[str, str],
        prevent_destroy: bool = True,
        assume_role_arn: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        provider = AwsProvider(
            self.cdktf_scope(),  # a provider is cdktf's, in either way of writing (resources.py)
            "aws",
            region=region,
            alias=region,
            default_tags=[
                AwsProviderDefaultTags(
                    tags={
                        terraform.literal(k): terraform.literal(v) for k, v in default_tags.items()
                    }
                )
            ],
            assume_role=(
                [
                    AwsProviderAssumeRole(
                        role_arn=terraform.literal(assume_role_arn), session_name=name_prefix
                    )
                ]
                if assume_role_arn
                else None
            ),
        )
        name_provider(provider, region)
        account = self.data("aws_caller_identity", "account", provider=provider)
        self.placement = Placement(
            provider=provider,
            region=region,
            partition=partition,
            account_id=account.account_id,
            name_prefix=name_prefix,
            prevent_destroy=prevent_destroy,
        )
