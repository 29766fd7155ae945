"""The member accounts' CloudFormation template: forward what the detections match to the security
account's organization bus in the same region, each event once.

Plain data, like the catalog: the StackSet deploys it to every account of the configured OUs, and
the management and security accounts get it as a stack of this app, so one template covers every
account. EventBridge sees a CloudTrail event only in the account and region of the call, so each
member region needs these rules; the detections themselves run in the security account, on the
organization bus, where a forwarded event keeps its own ``account`` and ``region``.

The template depends on the regions and the selected detections only, never on the number of
accounts. It holds:

- per group of regions whose security-account stacks carry the same detections, the rules
  ``forwarding_patterns`` splits them into by source (no event matches two), on the default bus,
  limited to those regions by a CloudFormation condition;
- the role those rules send with: ``events:PutEvents`` on the organization bus of its own region
  only, assumable only by EventBridge for this account's ``<prefix>-org-forward-*`` rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from constructs_lib.detections.catalog import Detection
from constructs_lib.eventbridge.forwarding_patterns import (
    BY_NAMES,
    BY_TYPES,
    EXACT,
    forwarding_rules,
)
from models import limits

MAX_TEMPLATE_BODY = limits.TEMPLATE_BODY.value
MAX_OR = limits.CONDITIONS_PER_OR.value  # Fn::Or takes 2 to 10 conditions
# EventBridge's longest retry: 24 hours, 185 attempts (detection_rule.RETRY_POLICY's numbers).
RETRY = {"MaximumEventAgeInSeconds": 24 * 3600, "MaximumRetryAttempts": 185}


def organization_bus_name(name_prefix: str) -> str:
    """The security account's custom bus, one per region, that members forward to."""
    return f"{name_prefix}-org"


def forwarding_stack_name(name_prefix: str) -> str:
    """The StackSet's name, and the stack's name in the management and security accounts."""
    return f"{name_prefix}-org-forwarding"


def forwarding_role_prefix(name_prefix: str) -> str:
    """The forwarding roles' names start so: ``<prefix>-org-forward-<region>``."""
    return f"{name_prefix}-org-forward-"


def forwarded(detections: Sequence[Detection]) -> tuple[Detection, ...]:
    """What members forward: every detection but those matching the security account's own KMS key,
    which no other account has (they keep their rule on that account's default bus)."""
    return tuple(d for d in detections if not d.requires_kms_key)


def _condition(regions: Sequence[str]) -> dict[str, Any]:
    equals = [{"Fn::Equals": [{"Ref": "AWS::Region"}, region]} for region in regions]
    if len(equals) == 1:
        return equals[0]
    while len(equals) > MAX_OR:  # nest: Fn::Or of at most 10 each
        equals = [
            {"Fn::Or": equals[i : i + MAX_OR]} if len(equals[i : i + MAX_OR]) > 1 else equals[i]
            for i in range(0, len(equals), MAX_OR)
        ]
    return {"Fn::Or": equals}


def member_template(
    detections_by_region: Mapping[str, Sequence[Detection]],
    *,
    name_prefix: str,
    security_account: str,
) -> dict[str, Any]:
    """The template, for the regions (and their security-account detections) it is deployed in.

    If the exact forwarding patterns would not fit CloudFormation's template body, the members
    forward by event name only (forwarding_patterns._broadened), and if that does not fit either
    (a user's many Sigma rules), every call of the services named, of the detail-types named:
    more events cross to the security account, where the organization bus's rules still decide
    what alerts.
    """
    for broaden in (EXACT, BY_NAMES):
        try:
            return _member_template(detections_by_region, name_prefix, security_account, broaden)
        except TemplateTooLargeError:
            continue
    return _member_template(detections_by_region, name_prefix, security_account, BY_TYPES)


class TemplateTooLargeError(ValueError):
    pass


def _member_template(
    detections_by_region: Mapping[str, Sequence[Detection]],
    name_prefix: str,
    security_account: str,
    broaden: int,
) -> dict[str, Any]:
    groups: dict[tuple[str, ...], list[str]] = {}
    detections_of: dict[tuple[str, ...], tuple[Detection, ...]] = {}
    for region, detections in detections_by_region.items():
        chosen = forwarded(detections)
        key = tuple(d.id for d in chosen)
        groups.setdefault(key, []).append(region)
        detections_of[key] = chosen
    bus = organization_bus_name(name_prefix)
    bus_arn = {
        "Fn::Sub": f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:{security_account}:event-bus/{bus}"
    }
    rule_prefix = forwarding_role_prefix(name_prefix)  # the rules are named like the role
    resources: dict[str, Any] = {
        "ForwardingRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                # IAM names are global in an account: one role per region's stack instance.
                "RoleName": {"Fn::Sub": f"{forwarding_role_prefix(name_prefix)}${{AWS::Region}}"},
                "Description": f"Forwards {name_prefix} detections' matches to the security account's bus",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventBridgeForOurRules",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            "Condition": {
                                "ArnLike": {
                                    "aws:SourceArn": {
                                        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:"
                                        f"${{AWS::AccountId}}:rule/{rule_prefix}*"
                                    }
                                },
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                            },
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "put-events-on-the-organization-bus",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "PutEventsOnTheOrganizationBusOnly",
                                    "Effect": "Allow",
                                    "Action": "events:PutEvents",
                                    "Resource": bus_arn,
                                }
                            ],
                        },
                    }
                ],
            },
        }
    }
    conditions: dict[str, Any] = {}
    number = 0
    for group_number, (key, regions) in enumerate(groups.items(), start=1):
        condition_name = f"InRegionGroup{group_number}" if len(groups) > 1 else None
        if condition_name:
            conditions[condition_name] = _condition(regions)
        for state, pattern in forwarding_rules(detections_of[key], name_prefix, broaden):
            number += 1
            rule = {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": f"{rule_prefix}{number}",
                    "Description": f"Forwards matches of {name_prefix}'s detections to the "
                    f"security account's {bus} bus",
                    "EventBusName": "default",
                    "EventPattern": pattern,
                    "State": state,
                    "Targets": [
                        {
                            "Id": "security-account-bus",
                            "Arn": bus_arn,
                            "RoleArn": {"Fn::GetAtt": ["ForwardingRole", "Arn"]},
                            "RetryPolicy": RETRY,
                        }
                    ],
                },
            }
            if condition_name:
                rule["Condition"] = condition_name
            resources[f"Forward{number}"] = rule
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{name_prefix}: forwards API-call events to the security account "
        f"{security_account} for alerting",
    }
    if conditions:
        template["Conditions"] = conditions
    template["Resources"] = resources
    body = template_body(template)
    if len(body.encode()) > MAX_TEMPLATE_BODY:
        raise TemplateTooLargeError(f"the member template needs {len(body.encode())} bytes")
    return template


def template_body(template: Mapping[str, Any]) -> str:
    """The template as CloudFormation receives it: compact JSON, keys in a stable order."""
    return json.dumps(template, separators=(",", ":"), sort_keys=True)
