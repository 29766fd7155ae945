"""Central delivery: other regions forward their matches to the home bus, whose rules alert once.

Each event must reach the home topic through exactly the detections the oracles expect, however
many detections it matches where it happened: forwarded once, classified at home.
"""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from config import parse_config
from constructs_lib.detections.catalog import CATALOG, METRIC_FILTERS
from constructs_lib.detections.outcomes import detection_id_of
from constructs_lib.detections.rule_files import rule_events
from constructs_lib.eventbridge.detection_rule import rule_state
from constructs_lib.eventbridge.forwarding_patterns import compact, forwarding_rules
from models import limits
from tests.cloudtrail import arrays_crushed, envelope
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.judge import expected_firings
from tests.oracle import HOME_DETECTIONS
from tests.synthesized import receives

HOME = "ap-northeast-1"
# Delivered to the health topic of the region they happen in, not forwarded.
LOCAL = {d.id for d in CATALOG if d.to_health_topic and not d.requires_kms_key}
REGIONS = ["ap-northeast-1", "eu-west-1", "us-east-1"]
CENTRAL = {
    **TEST_CONTEXT,
    "monitoredRegions": REGIONS,
    "detectionGroups": ALL_GROUPS,
    "delivery": "central",
}


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    settings = parse_config(CENTRAL, {})
    return settings, synthesize_to(settings, tmp_path_factory.mktemp("central") / "cdktf.out")


def _fixture_events():
    for entry in CATALOG:
        for kind in ("fires", "silent"):
            for record in rule_events(entry.id)[kind]:
                yield envelope(record)
                # The same call made in another region, where central mode forwards it home
                # (not calls that only exist in one region: IAM, Organizations, sign-in, our
                # home trail's).
                if entry.id not in HOME_DETECTIONS and record.get("eventSource") not in (
                    "iam.amazonaws.com",
                    "organizations.amazonaws.com",
                    "signin.amazonaws.com",
                ):
                    moved = envelope({**record, "awsRegion": "eu-west-1"})
                    yield {**moved, "region": "eu-west-1"}


def _delivered(event, stacks) -> set[tuple[str, str]]:
    """Detections alerting for this event: at home (the home topic, following the forwarding) or
    on the health topic of the region it happened in."""
    origin = stacks.get(event["region"])
    if origin is None:
        return set()
    if origin.name == HOME:
        return {(d, event["region"]) for d in origin.firing_detections(event)}
    fired = origin.firing_rules(event)
    forwarded = [rule for rule in fired if rule.startswith("forward_to_home_")]
    local = {(d, event["region"]) for d in origin.firing_detections(event) if d in LOCAL}
    assert len(forwarded) <= 1, f"forwarded {len(forwarded)} times: {forwarded}"
    assert len(fired) == len(forwarded) + len(local), fired
    if not forwarded:
        return local
    home = {(d, event["region"]) for d in stacks[HOME].firing_detections(event, arrives_in=HOME)}
    assert not home & local, "delivered both at home and locally"
    return home | local


def test_only_home_has_an_alert_topic_and_every_detection(central):
    _, stacks = central
    assert sorted(stacks) == sorted([*REGIONS, "ap-southeast-2", "eu-north-1", "us-east-2"])
    home = stacks[HOME]
    rules = home.resources("aws_cloudwatch_event_rule")
    # Every detection but the key's and the thresholds (which only the metric filters count).
    assert {detection_id_of(r) for r in rules} == {
        d.id for d in CATALOG if not d.requires_kms_key and d.engine != METRIC_FILTERS
    }
    assert {t["name"] for t in home.resources("aws_sns_topic").values()} == {
        "api-alerts",
        "api-alerts-health",
    }
    for region, stack in stacks.items():
        if region == HOME:
            continue
        (topic,) = stack.resources("aws_sns_topic").values()
        assert topic["name"] == "api-alerts-health" and "kms_master_key_id" not in topic
        rules = stack.resources("aws_cloudwatch_event_rule")
        assert {detection_id_of(r) for r in rules if not r.startswith("forward_to_home_")} == LOCAL
        assert len(stack.resources("aws_iam_role")) == 1
        assert len(stack.resources("aws_iam_role_policy")) == 1
        assert "alert_topic_arn" not in stack.document.get("output", {})
        (queue,) = stack.resources("aws_sqs_queue")
        for target in stack.resources("aws_cloudwatch_event_target").values():
            assert target["retry_policy"]["maximum_retry_attempts"] == 185
            assert target["dead_letter_config"] == {"arn": f"${{aws_sqs_queue.{queue}.arn}}"}


def test_forwarding_patterns_fit_and_split_events_by_source():
    settings = parse_config(CENTRAL, {})
    for plan in settings.region_plans():
        found = forwarding_rules(plan.forwarded, "api-alerts")
        # What the rule is sent: the compact text (home_bus_forwarding).
        assert all(len(compact(p)) <= limits.EVENT_PATTERN.value for _, p in found)
        patterns = [(state, EventPattern.load(json.dumps(p))) for state, p in found]
        detections = [
            (rule_state(d), EventPattern.load(d.event_pattern_json("api-alerts")))
            for d in plan.forwarded
        ]
        for event in _fixture_events():
            crushed = arrays_crushed(event)
            matched = sum(receives(s, event) and p.matches_event(crushed) for s, p in patterns)
            wanted = any(receives(s, event) and d.matches_event(crushed) for s, d in detections)
            # A source too big for one pattern (EC2's, with every group) is forwarded by its
            # event names (forwarding_patterns._broadened): more, never twice.
            assert matched == 1 if wanted else matched <= 1, (
                plan.region,
                event["detail"]["eventName"],
            )


def test_fixture_events_alert_once_per_detection_at_home(central):
    settings, stacks = central
    for event in _fixture_events():
        assert _delivered(event, stacks) == expected_firings(event, settings, stacks), (
            event["region"],
            event["detail"]["eventName"],
        )


def test_corpus_alerts_once_per_detection_at_home(central, corpus):
    settings, stacks = central
    for item in corpus:
        if item.region_is_real:
            event = item.event
            assert _delivered(event, stacks) == expected_firings(event, settings, stacks), item.file


def test_every_alarm_notifies_its_regions_health_topic_directly(central):
    _, stacks = central
    for region, stack in stacks.items():
        (health,) = [
            name
            for name, topic in stack.resources("aws_sns_topic").items()
            if topic["name"] == "api-alerts-health"
        ]
        alarms = stack.resources("aws_cloudwatch_metric_alarm").values()
        assert alarms, region
        for alarm in alarms:
            assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{health}.arn}}"], region
        # Every rule of the stack, forwarding ones included, is watched for lost alerts.
        watched = {
            query["metric"]["dimensions"]["RuleName"]
            for alarm in alarms
            for query in alarm.get("metric_query", [])
            if query.get("metric", {}).get("metric_name") == "InvocationsFailedToBeSentToDlq"
        }
        assert watched == {
            f"${{aws_cloudwatch_event_rule.{name}.name}}"
            for name in stack.resources("aws_cloudwatch_event_rule")
        }, region
