"""models.event_patterns, the matcher `make replay` runs: first on AWS's own documented examples
(each cited by page), then against moto's matcher on every pattern the tests synthesize, over the
corpus and every fixture. Where moto and AWS differ, the test follows AWS and names the
difference."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from moto.events.models import EventPattern

from config import parse_config
from constructs_lib.detections.catalog import KEY_ARN, KEY_ID
from constructs_lib.detections.outcomes import rule_variants
from constructs_lib.detections.rule_files import rule_events, rules_with_events
from models.cloudtrail_records import envelope
from models.event_patterns import PatternError, compile_pattern
from tests import synthesized
from tests.cloudtrail import arrays_crushed
from tests.conftest import (
    ALL_GROUPS,
    CONFIGS,
    CORE_GROUPS,
    CORPUS_REGIONS_CONTEXT,
    TEST_CONTEXT,
    synthesize_to,
)
from tests.synthesized import RULE
from tests.test_eventbridge_templates import EC2_EVENT

GUIDE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/"
PATTERNS = GUIDE + "eb-event-patterns.html"
OPERATORS = GUIDE + "eb-create-pattern-operators.html"
ARRAYS = GUIDE + "eb-event-patterns-arrays.html"
NULLS = GUIDE + "eb-event-patterns-null-values.html"
FILTERING = GUIDE + "eb-event-patterns-content-based-filtering.html"
WILDCARD_BLOG = (
    "https://aws.amazon.com/blogs/compute/"
    "filtering-events-in-amazon-eventbridge-with-wildcard-pattern-matching/"
)
RULER = "https://github.com/aws/event-ruler#json-array-matching"

EC2_TERMINATED = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
AUTOSCALING = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}
# The content filtering page's exists example: the guide's EC2 event, state pending.
PENDING = {**EC2_EVENT, "detail": {"instance-id": "i-abcd1111", "state": "pending"}}
NO_STATE = {
    "detail-type": ["EC2 Instance State-change Notification"],
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
    "detail": {"c-count": {"c1": 100}},
}
RUNNING = {
    "time": "2017-10-02T16:24:49Z",
    "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "state": "running"},
}

# (page, pattern, event, matches): the guide's examples, and the operator table's rows applied
# to events that do and do not have what the row's "Example" column says.
DOCUMENTED = [
    (PATTERNS, {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
                "detail": {"state": ["terminated"]}}, EC2_TERMINATED, True),
    (PATTERNS, {"source": ["aws.ec2"], "detail": {"state": ["running"]}}, EC2_TERMINATED, False),
    # "the event must contain all the field names listed in the event pattern"
    (PATTERNS, {"detail": {"state": ["terminated"], "reason": ["x"]}}, EC2_TERMINATED, False),
    # Values are in an array: "aws.ec2" or "aws.fargate".
    (PATTERNS, {"source": ["aws.ec2", "aws.fargate"]}, EC2_TERMINATED, True),
    # "exact character-by-character matching without case-folding"
    (PATTERNS, {"source": ["AWS.EC2"]}, EC2_TERMINATED, False),
    # "For numbers, EventBridge uses string representation. 300, 300.0 and 3.0e2 are not equal."
    (PATTERNS, {"detail": {"x": [300]}}, {"detail": {"x": 300.0}}, False),
    (PATTERNS, {"detail": {"x": [300]}}, {"detail": {"x": 300}}, True),
    # The Macie example: a score of 1 and a count of 2.
    (PATTERNS, {"detail": {"severity": {"score": [1]}, "count": [2]}},
     {"detail": {"severity": {"score": 1, "description": "Low"}, "count": 2}}, True),
    (NULLS, {"detail": {"eventVersion": [""]}}, AUTOSCALING, True),
    (NULLS, {"detail": {"responseElements": [None]}}, AUTOSCALING, True),
    # "null values and empty strings are not interchangeable"
    (NULLS, {"detail": {"responseElements": [""]}}, AUTOSCALING, False),
    (NULLS, {"detail": {"eventVersion": [None]}}, AUTOSCALING, False),
    (ARRAYS, {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                            "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]},
     {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-"
                    "401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
                    "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, True),
    (ARRAYS, {"resources": ["arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]},
     {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, False),
    # The operator table, row by row.
    (OPERATORS, {"Location": ["New York"], "Day": ["Monday"]},
     {"Location": "New York", "Day": "Monday"}, True),
    (OPERATORS, {"Location": ["New York"], "Day": ["Monday"]},
     {"Location": "New York", "Day": "Tuesday"}, False),
    (OPERATORS, {"state": [{"anything-but": "initializing"}]}, {"state": "running"}, True),
    (OPERATORS, {"state": [{"anything-but": "initializing"}]}, {"state": "initializing"}, False),
    (OPERATORS, {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    (OPERATORS, {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"}, False),
    (OPERATORS, {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    (OPERATORS, {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"}, False),
    (OPERATORS, {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
     {"state": "INITIALIZING"}, False),
    (OPERATORS, {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
     {"state": "running"}, True),
    (OPERATORS, {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
     {"FilePath": "/usr/lib/x.so"}, False),
    (OPERATORS, {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
     {"FilePath": "/usr/bin/x"}, True),
    (OPERATORS, {"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, True),
    (OPERATORS, {"Region": [{"prefix": "us-"}]}, {"Region": "eu-west-1"}, False),
    (OPERATORS, {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
     {"service": "EventBridge"}, True),
    (OPERATORS, {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]},
     {"service": "SNS"}, False),
    (OPERATORS, {"LastName": [""]}, {"LastName": ""}, True),
    (OPERATORS, {"LastName": [""]}, {"LastName": "Doe"}, False),
    (OPERATORS, {"Name": ["Alice"]}, {"Name": "Alice"}, True),
    (OPERATORS, {"Name": ["Alice"]}, {"Name": "alice"}, False),
    (OPERATORS, {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alice"}, True),
    (OPERATORS, {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.png"}, True),
    (OPERATORS, {"FileName": [{"suffix": ".png"}]}, {"FileName": "photo.PNG"}, False),
    (OPERATORS, {"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]},
     {"service": "EventBridge"}, True),
    (OPERATORS, {"ProductName": [{"exists": True}]}, {"ProductName": "x"}, True),
    (OPERATORS, {"ProductName": [{"exists": True}]}, {"Other": "x"}, False),
    (OPERATORS, {"ProductName": [{"exists": False}]}, {"Other": "x"}, True),
    (OPERATORS, {"ProductName": [{"exists": False}]}, {"ProductName": "x"}, False),
    (OPERATORS, {"UserID": [None]}, {"UserID": None}, True),
    (OPERATORS, {"UserID": [None]}, {"Other": None}, False),
    (OPERATORS, {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100}, True),
    (OPERATORS, {"Price": [{"numeric": ["=", 100]}]}, {"Price": 101}, False),
    (OPERATORS, {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 20}, True),
    (OPERATORS, {"Price": [{"numeric": [">", 10, "<=", 20]}]}, {"Price": 10}, False),
    (OPERATORS, {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Debit"}, True),
    (OPERATORS, {"PaymentType": ["Credit", "Debit"]}, {"PaymentType": "Cash"}, False),
    (OPERATORS, {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
     {"Location": "Paris", "Day": "Monday"}, True),
    (OPERATORS, {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
     {"Location": "Paris", "Day": "Sunday"}, False),
    (OPERATORS, {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Sunny"}, True),
    (OPERATORS, {"Weather": [{"anything-but": ["Raining"]}]}, {"Weather": "Raining"}, False),
    (OPERATORS, {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}, {"sourceIPAddress": "10.0.0.255"},
     True),
    (OPERATORS, {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}, {"sourceIPAddress": "10.0.1.0"},
     False),
    (OPERATORS, {"sourceIPAddress": [{"cidr": "2001:db8::/32"}]},
     {"sourceIPAddress": "2001:db8::1"}, True),
    # The content filtering page's sections.
    (FILTERING, {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    (FILTERING, {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
     {"detail": {"state": "overloaded"}}, False),
    (FILTERING, {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
     {"detail": {"x-limit": 301.8}}, True),
    (FILTERING, {"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 123}},
     False),
    (FILTERING, {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
     {"detail": {"state": "initializing"}}, False),
    (FILTERING, {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                            "d-count": [{"numeric": ["<", 10]}],
                            "x-limit": [{"numeric": ["=", 3.018e2]}]}},
     {"detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8}}, True),
    (FILTERING, {"detail": {"state": [{"exists": True}]}}, PENDING, True),
    (FILTERING, {"detail": {"state": [{"exists": True}]}}, NO_STATE, False),
    (FILTERING, {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]},
     NO_STATE, True),
    (FILTERING, {"time": [{"prefix": "2017-10-02"}],
                 "detail": {"state": [{"anything-but": "initializing"}],
                            "c-count": [{"numeric": [">", 0, "<=", 5]}],
                            "d-count": [{"numeric": ["<", 10]}],
                            "x-limit": [{"anything-but": [100, 200, 300]}]}}, RUNNING, True),
    (FILTERING, {"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                                    {"d-count": [{"numeric": ["<", 10]}]},
                                    {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}},
     {"detail": {"c-count": 50, "d-count": 30, "x-limit": 301.8}}, True),
    (FILTERING, {"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]},
                                    {"d-count": [{"numeric": ["<", 10]}]}]}},
     {"detail": {"c-count": 50, "d-count": 30}}, False),
    # The wildcard filter's announcement: "*.png" ends with .png, "*Title*" has Title inside.
    (WILDCARD_BLOG, {"key": [{"wildcard": "*.png"}]}, {"key": "a/b/c.png"}, True),
    (WILDCARD_BLOG, {"key": [{"wildcard": "*.png"}]}, {"key": "a/b/c.png.txt"}, False),
    (WILDCARD_BLOG, {"title": [{"wildcard": "*Title*"}]}, {"title": "The Title of it"}, True),
    # Event Ruler, where the guide is silent: fields inside arrays of objects have the values
    # of every element ("JSON Array Matching").
    (RULER, {"employees": {"firstName": ["Anna"]}},
     {"employees": [{"firstName": "John", "lastName": "Doe"},
                    {"firstName": "Anna", "lastName": "Smith"}]}, True),
    (RULER, {"employees": {"firstName": ["Anna"]}},
     {"employees": [[{"firstName": "John"}, {"firstName": "Anna"}], [{"firstName": "Peter"}]]},
     True),
]  # fmt: skip


@pytest.mark.parametrize(
    "page, pattern, event, matches", DOCUMENTED, ids=[f"{i}" for i in range(len(DOCUMENTED))]
)
def test_aws_documented_examples(page, pattern, event, matches):
    assert compile_pattern(pattern)(event) is matches, page


def test_a_wildcard_escapes_its_star_and_its_backslash():
    """Event Ruler README, "Wildcard matching": \\* is a star, \\\\ a backslash."""
    star = compile_pattern({"a": [{"wildcard": "x\\*y"}]})
    assert star({"a": "x*y"}) and not star({"a": "x-y"})
    backslash = compile_pattern({"a": [{"wildcard": "x\\\\*"}]})
    assert backslash({"a": "x\\anything"}) and not backslash({"a": "xanything"})


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": "aws.ec2"},  # the values to match are an array
        {"a": [{"wildcard": "a**b"}]},  # two stars in a row (Event Ruler README)
        {"a": [{"wildcard": "a\\b"}]},  # a backslash escapes only * and \
        {"a": [{"anything-but": ["x", 1]}]},  # strings only, or numbers only
        {"a": [{"anything-but": {"numeric": [">", 1]}}]},
        {"a": [{"numeric": [">", "1"]}]},
        {"a": [{"cidr": "10.0.0.0/33"}]},
        {"a": [{"prefix": "x", "suffix": "y"}]},
        {"a": [{"contains": "x"}]},  # not an EventBridge operator
    ],
)
def test_what_eventbridge_does_not_document_is_refused(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)


# ---- where moto and AWS differ: ours follows AWS ----


def _moto(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return EventPattern.load(json.dumps(pattern)).matches_event(event)


@pytest.mark.parametrize(
    "page, pattern, event, aws",
    [
        # eb-event-patterns.html: numbers by their string representation; moto compares
        # Python values, so 300 == 300.0 and 1 == true.
        (PATTERNS, {"x": [300]}, {"x": 300.0}, False),
        (PATTERNS, {"x": [1]}, {"x": True}, False),
        (PATTERNS, {"x": [{"anything-but": [1]}]}, {"x": True}, True),
        # Numeric matching "works with values that are JSON numbers": moto counts true as 1.
        (FILTERING, {"x": [{"numeric": [">", 0]}]}, {"x": True}, False),
        # IP address matching is of addresses: moto reads the number 167772161 as 10.0.0.1.
        (FILTERING, {"x": [{"cidr": "10.0.0.0/24"}]}, {"x": 167772161}, False),
        # Exists "only works on leaf nodes": an empty object or array is none (Event Ruler
        # records no value for them); moto counts the empty object as the field.
        (FILTERING, {"x": [{"exists": True}]}, {"x": {}}, False),
        (FILTERING, {"x": [{"exists": False}]}, {"x": {}}, True),
        (FILTERING, {"x": [{"exists": True}]}, {"x": []}, False),
        # Arrays of objects: moto does not look inside them (Event Ruler, JSON Array Matching).
        (RULER, {"items": {"name": ["a"]}}, {"items": [{"name": "b"}, {"name": "a"}]}, True),
    ],
)
def test_where_moto_differs_ours_follows_aws(page, pattern, event, aws):
    assert compile_pattern(pattern)(event) is aws, page
    assert _moto(pattern, event) is not aws, f"moto now agrees with {page}: drop this case"


# ---- agreement with moto on every synthesized pattern, over the corpus and the fixtures ----


def _configurations() -> dict[str, dict[str, Any]]:
    from tests.test_central import CENTRAL
    from tests.test_hardening import HARDENING_CONFIGS
    from tests.test_replay import SUPPRESSION
    from tests.test_suppressions import CORPUS_KINDS

    found = {**CONFIGS, **HARDENING_CONFIGS, "central": CENTRAL}
    found["replay_suppression"] = {**CORPUS_REGIONS_CONTEXT, "suppressions": [SUPPRESSION]}
    found["known_noise"] = {
        **TEST_CONTEXT,
        "detectionGroups": ALL_GROUPS,
        "knownNoise": ["identityCenterSignIns", "anonymousDenied", "serviceLinkedSecurityGroups"],
    }
    for kind, fields in CORPUS_KINDS.items():
        entry = {"detections": "*", "reason": kind, "allowCritical": True, **fields}
        found[f"suppressed_{kind}"] = {
            **TEST_CONTEXT,
            "detectionGroups": CORE_GROUPS,
            "suppressions": [{**entry, "expires": SUPPRESSION["expires"]}],
        }
    return found


@cache
def _synthesized_patterns(tmp: str) -> dict[str, str]:
    """Every event pattern of every configuration: the synthesized rules (organization mode's
    member template too), each detection's unsuppressed variants and each suppression's own."""
    from pathlib import Path

    from tests.test_organization import _template

    patterns: dict[str, str] = {}
    for name, context in _configurations().items():
        settings = parse_config(context, {})
        if not name.startswith(("suppressed_", "known_noise")):
            stacks = synthesize_to(settings, Path(tmp) / name / "cdktf.out")
            for stack in stacks.values():
                for rule_id, rule in stack.resources(RULE).items():
                    patterns[stack.pattern_of(rule)] = f"{name}: {stack.name} {rule_id}"
                if stack.resources("aws_cloudformation_stack_set"):
                    for resource in _template({"ap-northeast-1": stack})["Resources"].values():
                        if resource["Type"] == "AWS::Events::Rule":
                            text = resource["Properties"]["EventPattern"]
                            patterns[text] = f"{name}: member template"
        keys = {KEY_ID: synthesized.TEST_KEY_ID, KEY_ARN: synthesized.test_key_arn("us-east-1")}
        for detection in settings.detections:
            for variant in (
                *rule_variants(detection, settings.suppressions),
                *rule_variants(detection),
            ):
                text = variant.event_pattern_json(settings.name_prefix, keys)
                patterns.setdefault(text, f"{name}: {variant.id}")
        for suppression in settings.suppressions:
            patterns.setdefault(
                json.dumps(suppression.positive_pattern()), f"{name}: {suppression.name}"
            )
    return patterns


def _events(corpus) -> list[dict[str, Any]]:
    events = [item.event for item in corpus]
    for detection_id in rules_with_events():
        for records in rule_events(detection_id).values():
            events += [envelope(record) for record in records]
    return events


def test_ours_and_motos_agree_on_every_synthesized_pattern(corpus, tmp_path_factory):
    patterns = _synthesized_patterns(str(tmp_path_factory.mktemp("patterns")))
    events = _events(corpus)
    assert len(patterns) > 300 and len(events) > 400
    # moto does not look inside arrays of objects; Event Ruler reads their objects' values as the
    # field's (tests.cloudtrail.arrays_crushed), as ours does.
    flats = [EventPattern._flatten_dict(json.loads(json.dumps(arrays_crushed(e)))) for e in events]
    disagreements, matched = [], 0
    for text, where in patterns.items():
        ours, moto = compile_pattern(text), EventPattern.load(text)
        for event, flat in zip(events, flats, strict=True):
            expected = moto._does_event_match(flat, moto._pattern)
            matched += expected
            if ours(event) is not expected:
                disagreements.append((where, event["detail"].get("eventName"), expected))
    assert not disagreements, disagreements[:10]
    assert matched > 3000  # not agreement on silence alone
