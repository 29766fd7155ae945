"""Each detection fired through the synthesized rules, with moto's EventBridge matcher.

Positives must fire exactly their detection in the region where AWS delivers them; near misses
(a Describe call, an IAM user's sign-in, a failed root sign-in, ListAccessKeys, ...) stay silent.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from constructs_lib.catalog import CATALOG
from tests.cloudtrail import envelope, fixture_records

IDS = [d.id for d in CATALOG]


def _fired(stacks, event) -> list[str]:
    return sorted(rule for stack in stacks.values() for rule in stack.firing_rules(event))


@pytest.mark.parametrize("detection_id", IDS)
def test_positives_fire_their_detection_where_aws_delivers_them(stacks, detection_id):
    records = fixture_records(detection_id)["fires"]
    assert records, "every detection needs a positive fixture"
    for record in records:
        event = envelope(record)
        assert _fired(stacks, event) == [detection_id], (
            f"{record['eventName']} in {event['region']} ({record.get('errorCode', 'success')})"
        )


@pytest.mark.parametrize("detection_id", IDS)
def test_near_misses_stay_silent(stacks, detection_id):
    records = fixture_records(detection_id)["silent"]
    assert records, "every detection needs a near-miss fixture"
    for record in records:
        event = envelope(record)
        assert _fired(stacks, event) == [], (
            f"{record['eventName']} {record['userIdentity']['type']}"
        )


@pytest.mark.parametrize("detection_id", IDS)
def test_every_event_name_in_a_pattern_has_a_positive(detection_id):
    detection = next(d for d in CATALOG if d.id == detection_id)
    named = {r["eventName"] for r in fixture_records(detection_id)["fires"]}
    assert set(detection.event_names) <= named


def test_create_access_key_fires_an_enabled_targeted_rule_in_us_east_1(stacks):
    (record, *_) = fixture_records("access_key_created")["fires"]
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
    for record in fixture_records("access_key_created")["fires"]:
        assert not EventPattern.load(json.dumps(original)).matches_event(envelope(record))


def test_regional_events_fire_only_in_their_own_region(stacks):
    (record, *_) = fixture_records("security_group_changes")["fires"]
    elsewhere = envelope({**record, "awsRegion": "eu-west-1"})
    # Not monitored by default: EventBridge in ap-northeast-1 never sees a change made in eu-west-1.
    assert _fired(stacks, elsewhere) == []
