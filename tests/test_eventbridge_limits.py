"""EventBridge's own limits, checked on the synthesized rules of every tested configuration.

Quotas: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
"""

from __future__ import annotations

import re
from collections import Counter

RULE = "aws_cloudwatch_event_rule"
TARGET = "aws_cloudwatch_event_target"
NAME = re.compile(r"[\.\-_A-Za-z0-9]{1,64}")


def test_patterns_fit_the_default_quota(configured_stacks):
    _, stacks = configured_stacks
    for stack in stacks.values():
        for rule_id, rule in stack.resources(RULE).items():
            assert len(rule["event_pattern"]) <= 2048, rule_id


def test_rule_names_are_valid_and_unique_per_region(configured_stacks):
    _, stacks = configured_stacks
    by_region: Counter = Counter()
    for stack in stacks.values():
        for rule in stack.resources(RULE).values():
            assert NAME.fullmatch(rule["name"]), rule["name"]
            assert len(rule["description"]) <= 512
            by_region[(stack.region_of(rule), rule["event_bus_name"], rule["name"])] += 1
    assert by_region and max(by_region.values()) == 1


def test_rules_per_bus_and_targets_per_rule(configured_stacks):
    _, stacks = configured_stacks
    per_bus: Counter = Counter()
    for stack in stacks.values():
        for rule_id, rule in stack.resources(RULE).items():
            per_bus[(stack.region_of(rule), rule["event_bus_name"])] += 1
            targets = stack.targets_of(rule_id)
            assert 1 <= len(targets) <= 5, rule_id
            assert all(NAME.fullmatch(t["target_id"]) for t in targets)
    assert max(per_bus.values()) <= 300
