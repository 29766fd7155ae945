"""Central delivery: rules that forward this region's matches to the home bus, and their role."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.detections.catalog import Detection
from constructs_lib.eventbridge.detection_rule import RETRY_POLICY
from constructs_lib.eventbridge.forwarding_patterns import compact, forwarding_rules
from constructs_lib.foundation.policy_statements import allow_service_from
from constructs_lib.foundation.region_account import Placement
from models import terraform


class HomeBusForwarding(Construct):
    """Rules forwarding what ``detections`` match, each event once, to the home region's default bus.

    The home region's rules, which carry every detection, then deliver to its topic. Exposes
    ``home_bus_arn``, ``role`` and ``rules``. Cross-Region targets need a role EventBridge assumes:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        placement: Placement,
        home_region: str,
        detections: Sequence[Detection],
        dead_letter_arn: str,
    ) -> None:
        super().__init__(scope, id)
        provider, name_prefix, region = placement.provider, placement.name_prefix, placement.region
        self.home_bus_arn = placement.arn("events", "event-bus/default", region=home_region)

        # Only EventBridge, only for our rules in this account and region, may assume it.
        trust = DataAwsIamPolicyDocument(
            self,
            "trust_policy",
            statement=[
                allow_service_from(
                    "EventBridgeForOurRules",
                    "events.amazonaws.com",
                    ["sts:AssumeRole"],
                    None,
                    source_arn=placement.arn("events", f"rule/{name_prefix}-*"),
                    account_id=placement.account_id,
                )
            ],
            provider=provider,
        )
        self.role = IamRole(
            self,
            "role",
            name=f"{name_prefix}-forward-{region}",
            description=f"Forwards {name_prefix} alerts from {region} to the {home_region} default bus",
            assume_role_policy=trust.json,
            provider=provider,
        )
        put_events = DataAwsIamPolicyDocument(
            self,
            "put_events_policy",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="PutEventsOnTheHomeBusOnly",
                    effect="Allow",
                    actions=["events:PutEvents"],
                    resources=[self.home_bus_arn],
                )
            ],
            provider=provider,
        )
        IamRolePolicy(
            self,
            "role_policy",
            name="put-events-on-home-bus",
            role=self.role.id,
            policy=put_events.json,
            provider=provider,
        )

        role_arn = self.role.arn
        self.rules = []
        for number, (state, pattern) in enumerate(
            forwarding_rules(detections, name_prefix), start=1
        ):
            rule = CloudwatchEventRule(
                self,
                f"forward_to_home_{number}",
                name=f"{name_prefix}-forward-to-home-{number}",
                description=f"Forwards matches of {name_prefix}'s detections to the {home_region} bus",
                event_bus_name="default",
                event_pattern=terraform.literal(compact(pattern)),
                state=state,
                provider=provider,
            )
            rule.override_logical_id(f"forward_to_home_{number}")
            target = CloudwatchEventTarget(
                self,
                f"forward_to_home_{number}_target",
                rule=rule.name,
                event_bus_name="default",
                target_id="home-bus",
                arn=self.home_bus_arn,
                role_arn=role_arn,
                retry_policy=RETRY_POLICY,
                dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dead_letter_arn),
                provider=provider,
            )
            target.override_logical_id(f"forward_to_home_{number}")
            self.rules.append(rule)
