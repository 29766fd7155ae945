"""The app: one stack per region the configuration plans; in organization mode, also the
management account's stack."""

from __future__ import annotations

from cdktf import App

from config import MonitorConfig
from constructs_lib.member_template import member_template, template_body
from stacks.management_stack import ManagementStack
from stacks.region_stack import RegionStack


def build_app(settings: MonitorConfig, outdir: str) -> App:
    app = App(outdir=outdir, stack_traces=False)
    plans = settings.region_plans()
    organization = settings.organization
    chat_regions = [plan.region for plan in plans if plan.carries_topic] if settings.chat else []
    if not organization:
        stacks = [RegionStack(app, plan, settings, chat_regions=chat_regions) for plan in plans]
        if chat_regions:
            # The chat channels (home) subscribe to every region's chat topics: those first.
            for other in stacks[1:]:
                stacks[0].add_dependency(other)
        return app
    regions = [plan.region for plan in plans]
    body = template_body(
        member_template(
            {plan.region: plan.local for plan in plans},
            name_prefix=settings.name_prefix,
            security_account=organization.security_account,
        )
    )
    stacks = [RegionStack(app, plan, settings, body, regions, chat_regions) for plan in plans]
    # Deployment order (`cdktf deploy '*'`): every region's organization bus before the home
    # stack's StackSet starts forwarding to them, and all of them before the management account.
    home, others = stacks[0], stacks[1:]
    for other in others:
        home.add_dependency(other)
    if organization.management:
        management = ManagementStack(app, settings, organization.management, regions, body)
        for stack in stacks:
            management.add_dependency(stack)
    return app
