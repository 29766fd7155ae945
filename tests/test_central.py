"""Central delivery: other regions forward their matches to the home bus, whose rules alert once.

Each event must reach the home topic through exactly the detections the oracles expect, however
many detections it matches where it happened: forwarded once, classified at home.
"""

from __future__ import annotations

import pytest
from moto.events.models import EventPattern

from config import parse_config
from constructs_lib.catalog import CATALOG
from constructs_lib.forwarding_patterns import MAX_PATTERN_CHARACTERS, forwarding_patterns
from tests.cloudtrail import envelope, fixture_records
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.judge import expected_firings
from tests.oracle import HOME_DETECTIONS

HOME = "ap-northeast-1"
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
            for record in fixture_records(entry.id)[kind]:
                yield envelope(record)
                # The same call made in another region, where central mode forwards it home
                # (not calls that only exist in one region: IAM, sign-in, our home trail's).
                if entry.id not in HOME_DETECTIONS and record.get("eventSource") not in (
                    "iam.amazonaws.com",
                    "signin.amazonaws.com",
                ):
                    moved = envelope({**record, "awsRegion": "eu-west-1"})
                    yield {**moved, "region": "eu-west-1"}


def _delivered_home(event, stacks) -> set[tuple[str, str]]:
    """Detections alerting on the home topic for this event, following the forwarding."""
    origin = stacks.get(event["region"])
    if origin is None:
        return set()
    if origin.name == HOME:
        return {(rule, event["region"]) for rule in origin.firing_rules(event)}
    forwarded = origin.firing_rules(event)
    assert len(forwarded) <= 1, f"forwarded {len(forwarded)} times: {forwarded}"
    assert all(rule.startswith("forward_to_home_") for rule in forwarded)
    if not forwarded:
        return set()
    return {(rule, event["region"]) for rule in stacks[HOME].firing_rules(event, arrives_in=HOME)}


def test_only_home_has_a_topic_and_the_detections(central):
    _, stacks = central
    assert sorted(stacks) == sorted([*REGIONS, "ap-southeast-2", "eu-north-1", "us-east-2"])
    home = stacks[HOME]
    assert set(home.resources("aws_cloudwatch_event_rule")) == {d.id for d in CATALOG} | {
        "delivery_alarms"
    }
    assert len(home.resources("aws_sns_topic")) == 1
    for region, stack in stacks.items():
        if region == HOME:
            continue
        assert stack.resources("aws_sns_topic") == {}
        assert all(
            r.startswith("forward_to_home_") for r in stack.resources("aws_cloudwatch_event_rule")
        )
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
        patterns = [
            EventPattern.load(__import__("json").dumps(p))
            for p in forwarding_patterns(plan.detections, "api-alerts")
        ]
        assert all(
            len(__import__("json").dumps(p)) <= MAX_PATTERN_CHARACTERS
            for p in forwarding_patterns(plan.detections, "api-alerts")
        )
        detections = [
            EventPattern.load(d.event_pattern_json("api-alerts")) for d in plan.detections
        ]
        for event in _fixture_events():
            matched = sum(p.matches_event(event) for p in patterns)
            wanted = any(d.matches_event(event) for d in detections)
            assert matched == (1 if wanted else 0), (plan.region, event["detail"]["eventName"])


def test_fixture_events_alert_once_per_detection_at_home(central):
    settings, stacks = central
    for event in _fixture_events():
        assert _delivered_home(event, stacks) == expected_firings(event, settings, stacks), (
            event["region"],
            event["detail"]["eventName"],
        )


def test_corpus_alerts_once_per_detection_at_home(central, corpus):
    settings, stacks = central
    for item in corpus:
        if item.region_is_real:
            event = item.event
            assert _delivered_home(event, stacks) == expected_firings(event, settings, stacks), (
                item.file
            )


def _alarm(region: str, name: str, state: str) -> dict:
    return {
        "version": "0",
        "id": "6a1e0000-0000-4000-8000-000000000300",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": "111122223333",
        "time": "2026-11-20T06:00:00Z",
        "region": region,
        "resources": [f"arn:aws:cloudwatch:{region}:111122223333:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "state": {"value": state, "reason": "Threshold Crossed: 1 datapoint [3.0]"},
            "previousState": {"value": "OK"},
        },
    }


def test_delivery_alarms_in_other_regions_reach_the_home_topic(central):
    settings, stacks = central
    ours = _alarm("eu-west-1", "api-alerts-undelivered-alerts", "ALARM")
    assert _delivered_home(ours, stacks) == {("delivery_alarms", "eu-west-1")}
    assert _delivered_home(ours, stacks) == expected_firings(ours, settings, stacks)
    for silent in (
        _alarm("eu-west-1", "api-alerts-undelivered-alerts", "OK"),
        _alarm("eu-west-1", "billing-high", "ALARM"),
    ):
        assert _delivered_home(silent, stacks) == set()
    # Central delivery: alarms notify through this rule only, never directly.
    for stack in stacks.values():
        for alarm in stack.resources("aws_cloudwatch_metric_alarm").values():
            assert alarm["alarm_actions"] == []
