"""Each detection fired through the synthesized rules, with moto's EventBridge matcher.

The hand-written records in constructs_lib/detections/rules/<detection>.events.json: positives must fire their detection
in the region where AWS delivers them; near misses (a Describe call, an IAM user's sign-in, a
failed root sign-in, ListAccessKeys, someone else's rule...) must not. Every record fires exactly
the detections the oracles expect, no more.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from config import parse_config
from constructs_lib.detections.catalog import CATALOG, METRIC_FILTERS
from constructs_lib.detections.rule_files import rule_events
from tests.cloudtrail import envelope
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.judge import actual_firings, expected_firings
from tests.oracle import deciding_fields

# The thresholds run in the metric-filter engine only (tests/test_metric_filters.py judges them).
IDS = [d.id for d in CATALOG if d.engine != METRIC_FILTERS]


@pytest.fixture(scope="module")
def every_detection(tmp_path_factory):
    """The default regions with every detection group selected."""
    settings = parse_config({**TEST_CONTEXT, "detectionGroups": ALL_GROUPS, "kmsKey": True}, {})
    return settings, synthesize_to(settings, tmp_path_factory.mktemp("all") / "cdktf.out")


def _judge(every_detection, record):
    settings, stacks = every_detection
    event = envelope(record)
    expected, actual = expected_firings(event, settings, stacks), actual_firings(event, stacks)
    assert actual == expected, deciding_fields(event)
    return {d for d, _ in actual}


@pytest.mark.parametrize("detection_id", IDS)
def test_positives_fire_their_detection_where_aws_delivers_them(every_detection, detection_id):
    records = rule_events(detection_id)["fires"]
    assert records, "every detection needs a positive fixture"
    for record in records:
        assert detection_id in _judge(every_detection, record), envelope(record)["detail"]


@pytest.mark.parametrize("detection_id", IDS)
def test_near_misses_stay_silent(every_detection, detection_id):
    records = rule_events(detection_id)["silent"]
    assert records, "every detection needs a near-miss fixture"
    for record in records:
        assert detection_id not in _judge(every_detection, record), envelope(record)["detail"]


@pytest.mark.parametrize("control", range(1, 15))
def test_each_cis_control_is_proven_by_a_record(every_detection, control):
    """CIS CloudWatch.N: some hand-written record fires a detection mapped to it."""
    mapped = {d.id for d in CATALOG if f"CIS CloudWatch.{control}" in d.standards}
    proven = {
        detection
        for detection in mapped
        for record in rule_events(detection)["fires"]
        if detection in _judge(every_detection, record)
    }
    assert proven, f"no record proves CIS CloudWatch.{control}"


@pytest.mark.parametrize("detection_id", IDS)
def test_every_event_name_in_a_pattern_has_a_positive(detection_id):
    detection = next(d for d in CATALOG if d.id == detection_id)
    named = {envelope(r)["detail"].get("eventName") for r in rule_events(detection_id)["fires"]}
    assert set(detection.event_names) <= named


def test_create_access_key_fires_an_enabled_targeted_rule_in_us_east_1(stacks):
    (record, *_) = rule_events("access_key_created")["fires"]
    event = envelope(record)
    assert event["region"] == "us-east-1"
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    us = stacks["us-east-1"]
    rule = us.resources("aws_cloudwatch_event_rule")["access_key_created"]
    assert rule["state"] == "ENABLED" and us.region_of(rule) == "us-east-1"
    assert len(us.targets_of("access_key_created")) == 1
    assert us.firing_rules(event) == ["access_key_created"]
    # The home region never receives IAM events, so nothing there may depend on them.
    assert stacks["ap-northeast-1"].firing_rules({**event, "region": "ap-northeast-1"}) == []


def test_the_originals_access_key_pattern_never_fires():
    original = {
        "source": ["aws.iam"],
        "detail-type": ["AWS Console Sign In via CloudTrail"],
        "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateAccessKey"]},
    }
    for record in rule_events("access_key_created")["fires"]:
        assert not EventPattern.load(json.dumps(original)).matches_event(envelope(record))


def test_unmonitored_regions_are_not_watched(stacks):
    (record, *_) = rule_events("security_group_changes")["fires"]
    elsewhere = envelope({**record, "awsRegion": "eu-west-1"})
    # EventBridge in ap-northeast-1 never sees a change made in eu-west-1: monitor it to see it.
    assert actual_firings(elsewhere, stacks) == set()


# Where an attack detection fires on another detection's fixture: each the same change seen
# twice (docs/detections.md, Noise). Nothing else of theirs may set one off.
ATTACK_CROSS_FIRES = {
    ("iam_role_trust_policy_changed", "iam_policy_changes", "silent", 3),
    ("iam_role_trust_policy_changed", "monitor_roles_tampered", "fires", 7),
    ("trail_event_selectors_changed", "monitor_trail_selectors_changed", "fires", 0),
    ("trail_event_selectors_changed", "monitor_trail_selectors_changed", "silent", 0),
    ("ec2_serial_console_used", "instance_connect_keys_sent_in_bulk", "silent", 0),
    ("secrets_batch_retrieved", "secrets_read_in_bulk", "silent", 1),
}


def test_attack_detections_fire_on_other_fixtures_only_where_documented(every_detection):
    from constructs_lib.detections.rule_files import rules_with_events

    attack = {d.id for d in CATALOG if "attack" in d.groups}
    found = set()
    for fixture in rules_with_events():
        for kind, records in rule_events(fixture).items():
            for index, record in enumerate(records):
                for detection_id in _judge(every_detection, record) & attack:
                    if detection_id != fixture:
                        found.add((detection_id, fixture, kind, index))
    assert found == ATTACK_CROSS_FIRES
