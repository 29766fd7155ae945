"""The app: one stack per region the configuration plans (``region_plan``, plain data the
configuration also reads); in organization mode, also the management account's stack.

The stacks, and the cdktf they import, load in ``build_app``: only once the configuration is
valid (main.py), and never when the configuration reads the plans.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdktf import App

    from config import MonitorConfig


def build_app(settings: MonitorConfig, outdir: str, typed: bool | None = None) -> App:
    """The app; its stacks write our constructs' resources as Terraform JSON (``app.json_stacks``,
    for ``resources.write`` once cdktf has synthesized), or with ``typed`` (default:
    ``API_ALERTS_TYPED_SYNTHESIS=1``) through the provider's classes (constructs_lib/resources)."""
    from cdktf import App

    from constructs_lib.foundation.resources import JsonStack, typed_synthesis
    from constructs_lib.organization.member_template import member_template, template_body
    from stacks.management_stack import ManagementStack
    from stacks.region_stack import RegionStack

    if typed is None:
        typed = typed_synthesis()
    app = App(outdir=outdir, stack_traces=False)
    json_stacks: list[JsonStack] | None = None if typed else []
    app.json_stacks = [] if json_stacks is None else json_stacks
    plans = settings.region_plans()
    regions = [plan.region for plan in plans]
    organization = settings.organization
    body = None
    if organization:
        body = template_body(
            member_template(
                {plan.region: plan.local for plan in plans},
                name_prefix=settings.name_prefix,
                security_account=organization.security_account,
            )
        )
    chat_regions = [plan.region for plan in plans if plan.carries_topic] if settings.chat else []
    stacks = [
        RegionStack(app, plan, settings, body, regions if body else (), chat_regions, json_stacks)
        for plan in plans
    ]
    # Deployment order (`cdktf deploy '*'`): the home stack after the others when it needs what
    # they create: their organization buses, which its StackSet's members forward to, and their
    # chat topics, which its chat channels subscribe to; the management account last.
    if organization or chat_regions:
        for other in stacks[1:]:
            stacks[0].add_dependency(other)
    if organization and organization.management:
        management = ManagementStack(
            app, settings, organization.management, regions, body, json_stacks
        )
        for stack in stacks:
            management.add_dependency(stack)
    return app
