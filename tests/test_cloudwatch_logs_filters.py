"""The CloudWatch Logs filter-pattern oracle, on every JSON example of AWS's "Filter and pattern
syntax" page (CloudWatch Logs user guide, FilterAndPatternSyntax.html; its source,
awsdocs/amazon-cloudwatch-logs-user-guide doc_source/FilterAndPatternSyntax.md at 26c12c3).
Each case names the page's section and example."""

from __future__ import annotations

import pytest

from models.cloudwatch_logs_filters import FilterPattern, Undocumented, matches

PAGE = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html"

# "Matching terms in JSON log events", Example: JSON log event (entered on one line).
TRAIL_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
}
# "Using compound expressions to match terms in JSON objects", Example: JSON object.
USERS_EVENT = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [
        {"id": 2, "email": "John.Doe@example.com"},
        {"id": 3, "email": "Jane.Doe@example.com"},
    ],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}
# "Using values in log events to increment a metric's value": the example event.
LATENCY_EVENT = {"latency": 50, "requestType": "GET"}

DOCUMENTED = [
    # (section: example, pattern, event, what the page says)
    ("Matching terms in JSON: string", '{ $.eventType = "UpdateTrail" }', TRAIL_EVENT, True),
    (
        "Matching terms in JSON: number (wild card, not prefix 123.123)",
        "{ $.sourceIPAddress != 123.123.* }",
        TRAIL_EVENT,
        True,
    ),
    ("Matching terms in JSON: element in array", '{ $.arrayKey[0] = "value" }', TRAIL_EVENT, True),
    ("Matching terms in JSON: object in array", "{ $.objectList[1].id = 2 }", TRAIL_EVENT, True),
    ("Matching terms in JSON: IS", "{ $.SomeObject IS NULL }", TRAIL_EVENT, True),
    ("Matching terms in JSON: NOT EXISTS", "{ $.SomeOtherObject NOT EXISTS }", TRAIL_EVENT, True),
    (
        "Compound: matches using AND",
        '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }',
        USERS_EVENT,
        True,
    ),
    (
        "Compound: matches using OR (&& binds first)",
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
        USERS_EVENT,
        True,
    ),
    (
        "Compound: doesn't match using AND (parentheses first)",
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
        USERS_EVENT,
        False,
    ),
    (
        "Compound: doesn't match using OR",
        '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }',
        USERS_EVENT,
        False,
    ),
    (
        "Publishing dimensions from JSON: the event contains eventType and sourceIPAddress",
        '{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }',
        TRAIL_EVENT,
        True,
    ),
    ("Using values in log events: matches latency 50", "{ $.latency = * }", LATENCY_EVENT, True),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [case[1:] for case in DOCUMENTED],
    ids=[case[0] for case in DOCUMENTED],
)
def test_documented_examples(pattern, event, expected):
    assert matches(pattern, event) is expected


# "Example: Metric filters that match numeric values": the page gives these without an event;
# each is checked on one value either side of its bound.
NUMERIC = [
    ("{ $.bandwidth > 75 }", {"bandwidth": 76}, {"bandwidth": 75}),
    ("{ $.latency < 50 }", {"latency": 49}, {"latency": 50}),
    ("{ $.refreshRate >= 60 }", {"refreshRate": 60}, {"refreshRate": 59}),
    ("{ $.responseTime <= 5 }", {"responseTime": 5}, {"responseTime": 6}),
    ("{ $.errorCode = 400}", {"errorCode": 400}, {"errorCode": 401}),
    ("{ $.errorCode != 500 }", {"errorCode": 404}, {"errorCode": 500}),
    ("{ $.number[0] = 1e-3 }", {"number": [0.001]}, {"number": [0.01]}),
    ("{ $.number[0] != 1e+3 }", {"number": [999]}, {"number": [1000]}),
]


@pytest.mark.parametrize(("pattern", "counted", "not_counted"), NUMERIC)
def test_documented_numeric_operators(pattern, counted, not_counted):
    assert matches(pattern, counted)
    assert not matches(pattern, not_counted)


def test_a_selector_on_an_array_or_object_never_matches():
    # "If a property selector points to an array or object, the metric filter won't match."
    assert not matches('{ $.arrayKey = "value" }', TRAIL_EVENT)
    assert not matches("{ $.objectList[0] = * }", TRAIL_EVENT)


def test_strings_are_case_sensitive_and_wildcards_anchor_both_ends():
    # "Filter patterns are case sensitive." "Use the asterisk ("*") as a wild card to match text."
    assert not matches('{ $.eventType = "updatetrail" }', TRAIL_EVENT)
    assert matches('{ $.eventType = "Update*" }', TRAIL_EVENT)
    assert matches('{ $.eventType = "*Trail" }', TRAIL_EVENT)
    assert not matches('{ $.eventType = "Trail*" }', TRAIL_EVENT)


def test_unquoted_values_as_in_the_cis_filters():
    # Security Hub's CIS filters leave dotted values unquoted ($.eventSource=kms.amazonaws.com).
    event = {"eventSource": "kms.amazonaws.com", "eventName": "DisableKey"}
    assert matches(
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
        event,
    )


def test_a_missing_property_equals_nothing():
    assert not matches('{ $.SomeOtherObject = "*" }', TRAIL_EVENT)
    assert not matches('{ $.SomeOtherObject = "x" }', TRAIL_EVENT)


def test_undocumented_behaviour_is_refused_not_guessed():
    # != on a missing property: the page never says whether it counts.
    with pytest.raises(Undocumented):
        matches('{ $.SomeOtherObject != "x" }', TRAIL_EVENT)
    # ... unless the rest of the expression decides the result without it.
    assert not matches('{ $.eventType = "nope" && $.SomeOtherObject != "x" }', TRAIL_EVENT)
    assert matches('{ $.eventType = "UpdateTrail" || $.SomeOtherObject != "x" }', TRAIL_EVENT)
    # "The variables IS NOT and EXISTS currently aren't supported."
    with pytest.raises(Undocumented):
        FilterPattern("{ $.eventType EXISTS }")
    # Term and space-delimited patterns are outside the model.
    with pytest.raises(Undocumented):
        FilterPattern("ERROR")
    with pytest.raises(Undocumented):
        FilterPattern("[ip, user, ...]")


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" ',
        "{ ($.a = 1 }",
        "{ $.a > abc }",
        "{ eventType = 1 }",
        "{ $.a IS MAYBE }",
        "{ $.a = 1 $.b = 2 }",
    ],
)
def test_malformed_patterns_are_errors(pattern):
    with pytest.raises(ValueError):
        FilterPattern(pattern)
