"""The Sigma backend: every modifier and condition form SigmaHQ's CloudTrail rules use, each either
compiled and matched against records as the engines match them (EventBridge: moto's matcher, where
it agrees with AWS's comparison operators page; CloudWatch Logs: models/cloudwatch_logs_filters.py,
our cited model of the filter syntax page), or refused in one line naming the rule and the
construct. The rules here are written for these tests, in the shapes SigmaHQ's rules take."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from constructs_lib.detections.catalog import detection
from constructs_lib.detections.sigma_backend import (
    EVENTBRIDGE,
    METRIC_FILTER,
    CloudTrailBackend,
    Compiled,
    cased_fields,
    compile_rule,
    placeholder_values,
)
from models.cloudtrail_records import DETAIL_TYPES, envelope
from models.cloudwatch_logs_filters import matches as filter_matches
from tests.cloudtrail import load_corpus

RULE_ID = "00000000-0000-4000-8000-000000000001"
ALL_DETAIL_TYPES = [
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Console Action via CloudTrail",
    "AWS Service Event via CloudTrail",
    "AWS Insight via CloudTrail",
]


def sigma(detection_yaml: str, title: str = "Test rule", extra: str = "") -> str:
    body = "\n".join("    " + line for line in detection_yaml.strip().splitlines())
    return (
        f"title: {title}\nid: {RULE_ID}\nstatus: test\n"
        "logsource:\n    product: aws\n    service: cloudtrail\n"
        f"detection:\n{body}\n{extra}"
    )


def compiled(detection_yaml: str, **kwargs: Any) -> Compiled:
    return compile_rule(sigma(detection_yaml, **kwargs))


def record(**fields: Any) -> dict[str, Any]:
    """A CloudTrail record: an API call by an IAM user, with these fields added or replaced."""
    base = {
        "eventVersion": "1.09",
        "eventTime": "2025-01-01T00:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "DeleteBucket",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": {"bucketName": "logs"},
        "responseElements": None,
    }
    for key, value in fields.items():
        node, *rest = key.split("__")
        if rest:
            base[node] = {**base.get(node, {}), rest[0]: value}
        elif value is ABSENT:
            base.pop(key, None)
        else:
            base[key] = value
    return base


ABSENT = object()


def eventbridge(rule: Compiled, rec: dict[str, Any]) -> bool:
    assert rule.event_pattern is not None, rule.refusals
    return EventPattern.load(json.dumps(rule.event_pattern)).matches_event(envelope(rec))


def metric_filter(rule: Compiled, rec: dict[str, Any]) -> bool:
    assert rule.log_filter is not None, rule.refusals
    return filter_matches(rule.log_filter, rec)


def refused(rule: Compiled, engine: str, *words: str) -> None:
    line = rule.refusals[engine]
    assert "\n" not in line
    assert line.startswith(f'Sigma rule "Test rule" ({RULE_ID}): not compiled to ')
    for word in words:
        assert word in line, line


# ---- plain values, lists, case ----


def test_a_string_matches_in_any_case_in_eventbridge_and_is_refused_by_cloudwatch_logs():
    rule = compiled("selection:\n    eventName: DeleteBucket\ncondition: selection")
    assert rule.event_pattern["detail"] == {"eventName": [{"equals-ignore-case": "DeleteBucket"}]}
    assert rule.event_pattern["detail-type"] == ALL_DETAIL_TYPES
    assert eventbridge(rule, record())
    assert eventbridge(rule, record(eventName="DELETEBUCKET"))
    assert not eventbridge(rule, record(eventName="DeleteBucketPolicy"))
    refused(rule, METRIC_FILTER, "eventName: 'DeleteBucket'", "case sensitive", "|cased")


def test_cased_values_compile_exactly_to_both_engines():
    rule = compiled(
        "selection:\n    eventSource|cased: s3.amazonaws.com\n"
        "    eventName|cased:\n        - DeleteBucket\n        - PutBucketPolicy\n"
        "condition: selection"
    )
    assert rule.event_pattern == {
        "source": ["aws.s3"],
        "detail-type": ALL_DETAIL_TYPES,
        "detail": {
            "eventSource": ["s3.amazonaws.com"],
            "eventName": ["DeleteBucket", "PutBucketPolicy"],
        },
    }
    assert rule.log_filter == (
        '{ ($.eventSource = "s3.amazonaws.com") && '
        '(($.eventName = "DeleteBucket") || ($.eventName = "PutBucketPolicy")) }'
    )
    for rec, fires in [
        (record(), True),
        (record(eventName="PutBucketPolicy"), True),
        (record(eventName="deletebucket"), False),
        (record(eventSource="ec2.amazonaws.com"), False),
    ]:
        assert eventbridge(rule, rec) is fires
        assert metric_filter(rule, rec) is fires


def test_values_without_letters_need_no_cased():
    rule = compiled("selection:\n    recipientAccountId: '111122223333'\ncondition: selection")
    assert rule.event_pattern["detail"] == {"recipientAccountId": ["111122223333"]}
    assert rule.log_filter == '{ $.recipientAccountId = "111122223333" }'
    assert eventbridge(rule, record()) and metric_filter(rule, record())


def test_a_value_outside_ascii_compiles_to_eventbridge_and_is_refused_by_cloudwatch_logs():
    """CloudWatch Logs' filter syntax documents no character outside ASCII in a quoted string,
    and no escape (json.dumps's \\u00c4 would be six characters to it, or an undocumented
    escape): refused for that engine, in one line. EventBridge's pattern is JSON: the value as
    it is."""
    rule = compiled("selection:\n    userAgent|cased: 'Ärger/1.0'\ncondition: selection")
    assert rule.event_pattern["detail"] == {"userAgent": ["Ärger/1.0"]}
    assert eventbridge(rule, record(userAgent="Ärger/1.0"))
    assert not eventbridge(rule, record(userAgent="Arger/1.0"))
    refused(rule, METRIC_FILTER, "userAgent|cased: 'Ärger/1.0'", "outside ASCII", "Multi-byte")
    dash = compiled("selection:\n    userAgent|contains|cased: ' \u2013x '\ncondition: selection")
    refused(dash, METRIC_FILTER, "outside ASCII")
    assert dash.event_pattern["detail"] == {"userAgent": [{"wildcard": "* \u2013x *"}]}


# ---- startswith, endswith, contains, wildcards ----


def test_startswith_and_endswith_ignore_case_in_eventbridge():
    rule = compiled(
        "selection:\n    eventName|startswith: UpdateFunctionConfiguration\n"
        "    userAgent|endswith: '/2.15.0'\ncondition: selection"
    )
    assert rule.event_pattern["detail"] == {
        "eventName": [{"prefix": {"equals-ignore-case": "UpdateFunctionConfiguration"}}],
        "userAgent": [{"suffix": "/2.15.0"}],
    }
    assert eventbridge(rule, record(eventName="updatefunctionconfiguration20150331v2"))
    assert not eventbridge(rule, record(eventName="UpdateFunctionCode"))
    refused(rule, METRIC_FILTER, "eventName|startswith 'UpdateFunctionConfiguration'")


def test_cased_startswith_endswith_contains_are_prefix_suffix_wildcard():
    rule = compiled(
        "selection:\n    eventName|startswith|cased: Put\n"
        "    userAgent|contains|cased: terraform\n"
        "    userIdentity.arn|endswith|cased: ':user/alice'\ncondition: selection"
    )
    assert rule.event_pattern["detail"] == {
        "eventName": [{"prefix": "Put"}],
        "userAgent": [{"wildcard": "*terraform*"}],
        "userIdentity": {"arn": [{"suffix": ":user/alice"}]},
    }
    assert rule.log_filter == (
        '{ ($.eventName = "Put*") && ($.userAgent = "*terraform*") && '
        '($.userIdentity.arn = "*:user/alice") }'
    )
    fires = record(eventName="PutBucketAcl", userAgent="APN/1.0 HashiCorp/1.0 terraform/1.9")
    silent = record(eventName="PutBucketAcl", userAgent="APN/1.0 Terraform/1.9")
    for engine in (eventbridge, metric_filter):
        assert engine(rule, fires)
        assert not engine(rule, silent)


def test_contains_with_letters_is_refused_by_both_engines():
    # EventBridge's wildcard has no equals-ignore-case form; filter patterns are case sensitive.
    rule = compiled("selection:\n    userAgent|contains: TruffleHog\ncondition: selection")
    refused(rule, EVENTBRIDGE, "userAgent|contains 'TruffleHog'", "wildcard is case-sensitive")
    refused(rule, METRIC_FILTER, "case sensitive")


def test_contains_star_is_any_string():
    rule = compiled(
        "selection:\n    errorMessage|contains: '*'\ncondition: selection",
    )
    assert rule.event_pattern["detail"] == {"errorMessage": [{"wildcard": "*"}]}
    assert rule.log_filter == '{ $.errorMessage = "*" }'
    for engine in (eventbridge, metric_filter):
        assert engine(rule, record(errorMessage="Access Denied"))
        assert not engine(rule, record())


def test_a_wildcard_inside_a_value_and_the_single_character_wildcard():
    rule = compiled("selection:\n    sourceIPAddress: '203.0.*.7'\ncondition: selection")
    assert rule.event_pattern["detail"] == {"sourceIPAddress": [{"wildcard": "203.0.*.7"}]}
    assert eventbridge(rule, record()) and metric_filter(rule, record())
    single = compiled("selection:\n    sourceIPAddress: '203.0.113.?'\ncondition: selection")
    refused(single, EVENTBRIDGE, "not compiled to either engine", "one character")


def test_all_on_one_field_compiles_only_to_cloudwatch_logs():
    rule = compiled(
        "selection:\n    userAgent|contains|all|cased:\n        - aws-cli\n        - '2.15'\n"
        "condition: selection"
    )
    refused(rule, EVENTBRIDGE, "userAgent", "both hold", "one list")
    assert rule.log_filter == '{ ($.userAgent = "*aws-cli*") && ($.userAgent = "*2.15*") }'
    assert metric_filter(rule, record())
    assert not metric_filter(rule, record(userAgent="aws-cli/1.0"))


# ---- null, exists, numbers, booleans, cidr ----


def test_null_is_absent_or_json_null():
    rule = compiled(
        "selection_event:\n    eventName|cased: SendCommand\n"
        "selection_status_success:\n    errorCode|cased: Success\n"
        "selection_status_null:\n    errorCode: null\n"
        "condition: selection_event and 1 of selection_status_*"
    )
    assert rule.event_pattern["detail"] == {
        "eventName": ["SendCommand"],
        "errorCode": ["Success", None, {"exists": False}],
    }
    assert rule.log_filter == (
        '{ ($.eventName = "SendCommand") && (($.errorCode = "Success") || '
        "($.errorCode NOT EXISTS || $.errorCode IS NULL)) }"
    )
    for engine in (eventbridge, metric_filter):
        assert engine(rule, record(eventName="SendCommand"))
        assert engine(rule, record(eventName="SendCommand", errorCode=None))
        assert not engine(rule, record(eventName="SendCommand", errorCode="AccessDenied"))


def test_exists_on_documented_fields_and_refused_on_unknown_ones():
    rule = compiled(
        "selection:\n    userIdentity.invokedBy|exists: false\n    errorCode|exists: true\n"
        "condition: selection"
    )
    assert rule.event_pattern["detail"] == {
        "userIdentity": {"invokedBy": [{"exists": False}]},
        "errorCode": [{"exists": True}],
    }
    assert rule.log_filter == '{ ($.userIdentity.invokedBy NOT EXISTS) && ($.errorCode = "*") }'
    for engine in (eventbridge, metric_filter):
        assert engine(rule, record(errorCode="AccessDenied"))
        assert not engine(rule, record())
    unknown = compiled(
        "selection:\n    requestParameters.policy|exists: true\ncondition: selection"
    )
    refused(unknown, EVENTBRIDGE, "leaf nodes only", "api_alerts.field_types")
    refused(unknown, METRIC_FILTER, '= "*"', "not documented")


def test_numbers_and_comparisons_on_declared_scalar_fields():
    extra = "api_alerts:\n    field_types:\n        requestParameters.maxResults: scalar\n"
    rule = compiled(
        "selection:\n    requestParameters.maxResults|gte: 100\n"
        "filter:\n    requestParameters.maxResults: 500\n"
        "condition: selection and not filter",
        extra=extra,
    )
    for value, fires in [(100, True), (1000, True), (500, False), (99, False)]:
        rec = record(requestParameters__maxResults=value)
        assert metric_filter(rule, rec) is fires, value
    refused(rule, EVENTBRIDGE, "two tests of requestParameters.maxResults")
    for modifier, operator in [("lt", "<"), ("lte", "<="), ("gt", ">"), ("gte", ">=")]:
        one = compiled(
            f"selection:\n    requestParameters.maxResults|{modifier}: 100\ncondition: selection",
            extra=extra,
        )
        assert one.event_pattern["detail"] == {
            "requestParameters": {"maxResults": [{"numeric": [operator, 100]}]}
        }
        assert one.log_filter == f"{{ $.requestParameters.maxResults {operator} 100 }}"
        for value in (99, 100, 101):
            rec = record(requestParameters__maxResults=value)
            assert eventbridge(one, rec) is metric_filter(one, rec), (modifier, value)
    undeclared = compiled(
        "selection:\n    requestParameters.maxResults|gt: 1\ncondition: selection"
    )
    assert undeclared.event_pattern is not None  # positive tests need no declaration in EventBridge
    refused(undeclared, METRIC_FILTER, "array or object never matches", "field_types")
    huge = compiled("selection:\n    requestParameters.size|gt: 6000000000\ncondition: selection")
    refused(huge, EVENTBRIDGE, "5.0e9")


@pytest.mark.parametrize(
    ("value", "compiles"),
    [
        ("0.000001", True),
        ("0.0000001", False),  # seven digits right of the point
        ("1234567890.12345", True),  # 15 digits
        ("1234567890.123456", False),  # 16 digits
        ("-5000000000", True),
        ("5000000000.5", False),
    ],
)
def test_numbers_eventbridge_matches_are_within_its_range_and_precision(value, compiles):
    """EventBridge: "limited to values between -5.0e9 and +5.0e9 inclusive, with 15 digits of
    precision, or six digits to the right of the decimal point" (content filtering, numeric
    matching): a number beyond either half is refused, not rounded."""
    rule = compiled(f"selection:\n    requestParameters.size|gte: {value}\ncondition: selection")
    if compiles:
        assert rule.event_pattern["detail"] == {
            "requestParameters": {"size": [{"numeric": [">=", float(value)]}]}
        }
    else:
        refused(rule, EVENTBRIDGE, "numeric matching")


def test_booleans_match_the_literal_and_its_spelling():
    rule = compiled(
        "selection:\n    responseElements.publiclyAccessible: 'true'\ncondition: selection"
    )
    assert rule.event_pattern["detail"] == {
        "responseElements": {"publiclyAccessible": [{"equals-ignore-case": "true"}, True]}
    }
    assert eventbridge(rule, record(responseElements={"publiclyAccessible": True}))
    assert eventbridge(rule, record(responseElements={"publiclyAccessible": "TRUE"}))
    assert not eventbridge(rule, record(responseElements={"publiclyAccessible": False}))
    refused(rule, METRIC_FILTER)
    documented = compiled("selection:\n    readOnly: true\ncondition: selection")
    assert documented.event_pattern["detail"] == {"readOnly": [True]}
    refused(documented, METRIC_FILTER, "IS TRUE")


def test_cidr_compiles_to_eventbridge_only():
    rule = compiled("selection:\n    sourceIPAddress|cidr: 203.0.113.0/24\ncondition: selection")
    assert rule.event_pattern["detail"] == {"sourceIPAddress": [{"cidr": "203.0.113.0/24"}]}
    assert eventbridge(rule, record())
    assert not eventbridge(rule, record(sourceIPAddress="198.51.100.1"))
    refused(rule, METRIC_FILTER, "no CIDR operator")
    negated = compiled(
        "selection:\n    eventName|cased: DeleteBucket\n"
        "filter:\n    sourceIPAddress|cidr: 203.0.113.0/24\ncondition: selection and not filter"
    )
    refused(negated, EVENTBRIDGE, "anything-but takes no cidr")


# ---- not, and, or, 1 of, all of ----


def test_not_is_absent_or_anything_but_on_documented_scalar_fields():
    rule = compiled(
        "selection:\n    eventSource: s3.amazonaws.com\n    eventName: ListBuckets\n"
        "filter:\n    userIdentity.type: AssumedRole\ncondition: selection and not filter"
    )
    assert rule.event_pattern["detail"]["userIdentity"] == {
        "type": [{"exists": False}, {"anything-but": {"equals-ignore-case": "AssumedRole"}}]
    }
    listing = {"eventName": "ListBuckets"}
    assert eventbridge(rule, record(**listing))
    assert eventbridge(rule, record(**listing, userIdentity={"arn": "x"}))  # no type: not filtered
    assert not eventbridge(rule, record(**listing, userIdentity={"type": "assumedrole"}))


def test_not_of_several_filters_is_an_or_of_negations():
    rule = compiled(
        "selection:\n    eventName|cased: GetSigninToken\n"
        "filter_main_agent:\n    userAgent|startswith|cased: Jersey/\n"
        "filter_main_ip:\n    sourceIPAddress|cased: AWS Internal\n"
        "condition: selection and not 1 of filter_main_*"
    )
    assert rule.log_filter == (
        '{ ($.eventName = "GetSigninToken") && (($.userAgent NOT EXISTS || '
        '$.userAgent != "Jersey/*") && ($.sourceIPAddress NOT EXISTS || '
        '$.sourceIPAddress != "AWS Internal")) }'
    )
    token = {"eventName": "GetSigninToken"}
    cases = [
        (record(**token), True),
        (record(**token, userAgent="Jersey/1.0"), False),
        (record(**token, sourceIPAddress="AWS Internal"), False),
        (record(**token, userAgent=ABSENT), True),
    ]
    for rec, fires in cases:
        assert eventbridge(rule, rec) is fires
        assert metric_filter(rule, rec) is fires


def test_not_on_a_field_of_unknown_type_is_refused_because_arrays_match_any_element():
    rule = compiled(
        "selection:\n    eventName|cased: RunInstances\n"
        "filter:\n    requestParameters.instanceType|cased: t3.micro\n"
        "condition: selection and not filter"
    )
    refused(rule, EVENTBRIDGE, "anything-but on an array matches when any element differs")
    refused(rule, METRIC_FILTER, "array or object never matches")
    # Why: the same negation, declared scalar, would read an array as "some element differs".
    declared = compiled(
        "selection:\n    eventName|cased: RunInstances\n"
        "filter:\n    requestParameters.instanceType|cased: t3.micro\n"
        "condition: selection and not filter",
        extra="api_alerts:\n    field_types: {requestParameters.instanceType: scalar}\n",
    )
    both = record(eventName="RunInstances", requestParameters={"instanceType": ["t3.micro", "x"]})
    assert eventbridge(declared, both)  # matched, though an element equals t3.micro


def test_and_of_or_nests_an_or_and_one_of_them():
    rule = compiled(
        "selection_source:\n    eventSource|cased: guardduty.amazonaws.com\n"
        "selection_action_delete:\n    eventName|cased: DeleteDetector\n"
        "selection_action_update:\n    eventName|cased: UpdateDetector\n"
        "    requestParameters.enable: 'false'\n"
        "condition: selection_source and 1 of selection_action_*"
    )
    assert rule.event_pattern["source"] == ["aws.guardduty"]
    assert rule.event_pattern["detail"]["$or"] == [
        {"eventName": ["DeleteDetector"]},
        {
            "eventName": ["UpdateDetector"],
            "requestParameters": {"enable": [{"equals-ignore-case": "false"}, False]},
        },
    ]
    guardduty = {"eventSource": "guardduty.amazonaws.com"}
    assert eventbridge(rule, record(**guardduty, eventName="DeleteDetector"))
    assert eventbridge(
        rule, record(**guardduty, eventName="UpdateDetector", requestParameters={"enable": False})
    )
    assert not eventbridge(
        rule, record(**guardduty, eventName="UpdateDetector", requestParameters={"enable": True})
    )
    every = compiled(
        "selection_a:\n    eventName|cased: A\nselection_b:\n    errorCode|exists: false\n"
        "condition: all of selection_*"
    )
    assert every.event_pattern["detail"] == {"eventName": ["A"], "errorCode": [{"exists": False}]}
    them = compiled(
        "sel_sts:\n    eventSource|cased: sts.amazonaws.com\n"
        "sel_iam:\n    eventSource|cased: iam.amazonaws.com\ncondition: 1 of them"
    )
    assert them.event_pattern["source"] == ["aws.sts", "aws.iam"]
    assert them.log_filter == (
        '{ ($.eventSource = "sts.amazonaws.com") || ($.eventSource = "iam.amazonaws.com") }'
    )


def test_event_type_narrows_the_detail_type():
    rule = compiled(
        "selection:\n    eventType: AwsConsoleSignIn\n    userIdentity.type: Root\n"
        "condition: selection"
    )
    assert rule.event_pattern["detail-type"] == ["AWS Console Sign In via CloudTrail"]
    unknown = compiled("selection:\n    eventType: AwsVpceEvent\ncondition: selection")
    refused(unknown, EVENTBRIDGE, "no documented EventBridge detail-type")


# ---- refused everywhere ----


@pytest.mark.parametrize(
    ("detection_yaml", "words"),
    [
        ("selection:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'", ["|re", "regular"]),
        (
            "selection:\n    userIdentity.arn|fieldref: requestParameters.userName",
            ["|fieldref", "one field with another"],
        ),
        ("keywords:\n    - TruffleHog", ["keyword TruffleHog", "whole record"]),
        ("selection:\n    requestParameters|contains: Suspended", ["is an object"]),
        ("selection:\n    eventName|expand: '%name%'", ["placeholder %name%"]),
        ("selection:\n    eventTime|minute: 5", ["timestamp"]),
    ],
    ids=["re", "fieldref", "keywords", "object-field", "placeholder", "timestamp-part"],
)
def test_refused_by_both_engines_in_one_line(detection_yaml, words):
    name = detection_yaml.split(":")[0]
    rule = compiled(f"{detection_yaml}\ncondition: {name}")
    assert rule.event_pattern is None and rule.log_filter is None
    for engine in (EVENTBRIDGE, METRIC_FILTER):
        refused(rule, engine, *words)


def test_regular_expressions_are_refused_for_what_each_engine_lacks():
    """EventBridge has no regex operator; CloudWatch Logs takes %regex% (in JSON patterns too)
    of a dialect of its own (regex-expressions.html), which Sigma's |re is not translated to."""
    rule = compiled("selection:\n    eventName|re: 'Delete.*'\ncondition: selection")
    for engine in (EVENTBRIDGE, METRIC_FILTER):
        refused(rule, engine, "no regular-expression operator", "%regex%", "regex-expressions")


def test_a_correlation_and_another_logsource_are_refused():
    correlation = (
        sigma("selection:\n    eventName|cased: ConsoleLogin\ncondition: selection")
        + "name: logins\n---\ntitle: Many logins\nid: 00000000-0000-4000-8000-000000000002\n"
        "correlation:\n    type: event_count\n    rules: [logins]\n    group-by: [sourceIPAddress]\n"
        "    timespan: 5m\n    condition:\n        gte: 10\n"
    )
    assert "correlation" in compile_rule(correlation).refusals[EVENTBRIDGE]
    other = compile_rule(
        sigma("selection:\n    eventName: x\ncondition: selection").replace("aws", "gcp")
    )
    assert "logsource gcp/cloudtrail" in other.refusals[METRIC_FILTER]


def test_patterns_and_filters_over_the_engines_limits_are_refused():
    names = "\n".join(f"        - Action{i:03}" for i in range(80))
    rule = compiled(f"selection:\n    eventName|cased:\n{names}\ncondition: selection")
    refused(rule, METRIC_FILTER, "CloudWatch Logs takes 1024")
    many = "\n".join(f"        - LongerActionName{i:03}" for i in range(90))
    rule = compiled(f"selection:\n    eventName|cased:\n{many}\ncondition: selection")
    refused(rule, EVENTBRIDGE, "EventBridge takes 2048")


# ---- choosing case-sensitive fields, and our own catalog as Sigma ----


def test_a_pipeline_can_make_chosen_fields_case_sensitive():
    text = sigma(
        "selection:\n    eventSource: cloudtrail.amazonaws.com\n"
        "    eventName:\n        - StopLogging\n        - DeleteTrail\n        - UpdateTrail\n"
        "condition: selection"
    )
    rule = compile_rule(text, CloudTrailBackend(cased_fields(["eventSource", "eventName"])))
    assert rule.event_pattern["detail"]["eventName"] == [
        "StopLogging",
        "DeleteTrail",
        "UpdateTrail",
    ]
    assert rule.log_filter is not None


def test_the_catalog_cloudtrail_changes_written_in_sigma_matches_as_the_catalog_does():
    """The backend reproduces a catalog pattern's meaning on every record of the shared corpus."""
    rule = compiled(
        "selection:\n    eventSource|cased: cloudtrail.amazonaws.com\n"
        "    eventName|cased:\n        - StopLogging\n        - DeleteTrail\n"
        "        - UpdateTrail\ncondition: selection"
    )
    catalog = detection("cloudtrail_changes").event_pattern("api-alerts")
    assert rule.event_pattern["source"] == catalog["source"]
    assert rule.event_pattern["detail"] == catalog["detail"]
    catalog_rule = EventPattern.load(json.dumps(catalog))
    fired = only_in_the_log = 0
    for item in load_corpus():
        ours = eventbridge(rule, item.record)
        assert ours is catalog_rule.matches_event(item.event), item.file
        fired += ours
        counted = metric_filter(rule, item.record)
        if item.record.get("eventType") in DETAIL_TYPES:
            assert counted is ours, item.file
        else:
            # CloudTrail sends EventBridge five event types (eb-service-event-cloudtrail.html);
            # a network activity record (AwsVpceEvent) reaches the log group alone.
            only_in_the_log += counted
    assert fired and only_in_the_log  # neither comparison is vacuous


# ---- what the catalog's rules need, each exact ----


def test_event_type_becomes_the_detail_type_and_leaves_the_detail():
    fixed = compiled(
        "selection:\n    eventType|cased: AwsApiCall\n    eventName|cased: StopLogging\n"
        "condition: selection"
    )
    assert fixed.event_pattern == {
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["StopLogging"]},
    }
    # Not eventType X: anything-but X's detail-type (every record EventBridge gets has a type).
    excluded = compiled(
        "selection:\n    userIdentity.type|cased: Root\n"
        "filter:\n    eventType|cased: [AwsConsoleSignIn, AwsServiceEvent]\n"
        "condition: selection and not filter"
    )
    assert excluded.event_pattern["detail-type"] == [
        {"anything-but": ["AWS Console Sign In via CloudTrail", "AWS Service Event via CloudTrail"]}
    ]
    assert "eventType" not in excluded.event_pattern["detail"]
    root_call = record(userIdentity={"type": "Root"})
    assert eventbridge(excluded, root_call)
    assert not eventbridge(
        excluded, record(userIdentity={"type": "Root"}, eventType="AwsServiceEvent")
    )
    # The metric filter keeps the test: the log group also holds types EventBridge never gets.
    assert '$.eventType != "AwsConsoleSignIn"' in excluded.log_filter


def test_a_console_sign_in_implies_aws_signin_as_the_source():
    rule = compiled(
        "selection:\n    eventType|cased: AwsConsoleSignIn\n    userIdentity.type|cased: Root\n"
        "condition: selection"
    )
    assert rule.event_pattern["source"] == ["aws.signin"]
    sign_in = record(
        eventSource="signin.amazonaws.com",
        eventName="ConsoleLogin",
        eventType="AwsConsoleSignIn",
        userIdentity={"type": "Root"},
    )
    assert eventbridge(rule, sign_in)


def test_a_named_field_and_its_exclusions_are_one_anything_but():
    """exists: true and not X: anything-but alone (it never matches a missing field); exact
    values and wildcards excluded together share one anything-but wildcard list."""
    rule = compiled(
        "selection:\n    eventName|cased: AddPermission\n"
        "named:\n    requestParameters.principal|exists: true\n"
        "ours:\n    requestParameters.principal|cased:\n"
        "        - '*.amazonaws.com'\n        - '111122223333'\n        - 'arn:*:iam::111122223333:*'\n"
        "condition: selection and named and not ours",
        extra="api_alerts:\n    field_types: {requestParameters.principal: string}\n",
    )
    assert rule.event_pattern["detail"]["requestParameters"] == {
        "principal": [
            {
                "anything-but": {
                    "wildcard": ["*.amazonaws.com", "111122223333", "arn:*:iam::111122223333:*"]
                }
            }
        ]
    }
    for principal, fires in [
        ("*", True),
        ("444455556666", True),
        ("s3.amazonaws.com", False),
        ("111122223333", False),
        ("arn:aws:iam::111122223333:role/x", False),
    ]:
        rec = record(eventName="AddPermission", requestParameters={"principal": principal})
        assert eventbridge(rule, rec) is fires, principal
    assert not eventbridge(rule, record(eventName="AddPermission", requestParameters={}))


def test_a_declared_list_reads_a_negation_as_some_element():
    rule = compiled(
        "selection:\n    eventName|cased: ModifyDBSnapshotAttribute\n"
        "ours:\n    requestParameters.valuesToAdd|cased: '111122223333'\n"
        "condition: selection and not ours",
        extra="api_alerts:\n    field_types: {requestParameters.valuesToAdd: list}\n",
    )
    shared = record(
        eventName="ModifyDBSnapshotAttribute",
        requestParameters={"valuesToAdd": ["111122223333", "444455556666"]},
    )
    assert eventbridge(rule, shared)  # some element is not ours: the declared meaning
    refused(rule, METRIC_FILTER, "array or object never matches")


def test_events_put_on_the_bus_compile_to_eventbridge_alone():
    text = sigma(
        "selection:\n    source|cased: api-alerts.selftest\n    detail-type|cased: Alert self-test\n"
        "condition: selection"
    ).replace("service: cloudtrail", "service: eventbridge")
    rule = compile_rule(text)
    assert rule.event_pattern == {
        "source": ["api-alerts.selftest"],
        "detail-type": ["Alert self-test"],
    }
    refused(rule, METRIC_FILTER, "no log group")


def test_placeholders_are_filled_by_the_pipeline_and_stay_cased():
    text = sigma(
        "selection:\n    requestParameters.name|expand|startswith|cased: '%namePrefix%-'\n"
        "    requestParameters.accountId|expand|cased: '%accounts%'\n"
        "condition: selection",
        extra="api_alerts:\n    field_types:\n        requestParameters.name: string\n"
        "        requestParameters.accountId: string\n",
    )
    rule = compile_rule(
        text,
        CloudTrailBackend(placeholder_values({"namePrefix": "Alerts", "accounts": ["1", "2"]})),
    )
    assert rule.event_pattern["detail"]["requestParameters"] == {
        "name": [{"prefix": "Alerts-"}],
        "accountId": ["1", "2"],
    }
    assert '$.requestParameters.name = "Alerts-*"' in rule.log_filter
