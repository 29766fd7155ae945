"""The metric-filter engine: one stack, CIS-exact filters, an alarm each, and filters that count
what their EventBridge twins match, judged by the CloudWatch Logs oracle on real records."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from moto.events.models import EventPattern

from config import ConfigError, parse_config
from constructs_lib.detections.catalog import (
    ACCOUNT_ID,
    CATALOG,
    CIS_FILTERS,
    KEY_ARN,
    KEY_ID,
    TRUSTED_ACCOUNTS,
)
from constructs_lib.detections.rule_files import rule_events, rules_with_events
from constructs_lib.metric_filters.metric_filter_alarms import filters_of, namespace
from models import limits
from models.cloudwatch_logs_filters import FilterPattern, Undocumented
from ops import readiness
from ops.readiness import evaluate
from tests import synthesized
from tests.cloudtrail import arrays_crushed, envelope, load_corpus
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.oracle import READ_ONLY_DETECTIONS, THRESHOLDS
from tests.oracle import TRUSTED_ACCOUNTS as TRUSTED

METRIC_ONLY = {
    **TEST_CONTEXT,
    "alertEngines": ["metric-filters"],
    "detectionGroups": ALL_GROUPS,
}
METRIC_ONLY.pop("monitoredRegions")
METRIC_ONLY.pop("delivery")
BOTH = {**TEST_CONTEXT, "alertEngines": ["eventbridge", "metric-filters"]}
# The key the tests' records name (tests/synthesized.py), in the home region.
KEY_NAMES = {
    KEY_ID: synthesized.TEST_KEY_ID,
    KEY_ARN: synthesized.test_key_arn("ap-northeast-1"),
    ACCOUNT_ID: synthesized.TEST_ACCOUNT,
    TRUSTED_ACCOUNTS: TRUSTED,
}
FILTERS = filters_of(CATALOG, "api-alerts", KEY_NAMES)


@pytest.fixture(scope="module")
def metric_only(tmp_path_factory):
    settings = parse_config(METRIC_ONLY, {})
    return synthesize_to(settings, tmp_path_factory.mktemp("metric_only") / "cdktf.out")


def test_metric_filters_alone_are_one_stack_with_the_14_cis_filters_byte_for_byte(metric_only):
    assert list(metric_only) == ["ap-northeast-1"]
    home = metric_only["ap-northeast-1"]
    filters = home.resources("aws_cloudwatch_log_metric_filter")
    patterns = [f["pattern"] for f in filters.values()]
    for control, text in CIS_FILTERS.items():
        assert patterns.count(text) == 1, control
    # And one each for the other selected detections a filter can express.
    others = {name for name, f in filters.items() if f["pattern"] not in CIS_FILTERS.values()}
    assert others == {
        "access_key_created",
        "monitor_topic_tampered",
        "monitor_trail_selectors_changed",
        "monitor_trail_bucket_tampered",
        "monitor_alarms_tampered",
        "monitor_roles_tampered",  # the trail's CloudWatch Logs role among them
        # The attack group: every entry has a filter of its own.
        *(d.id for d in CATALOG if "attack" in d.groups),
    }
    # Nothing of the EventBridge engine.
    assert not home.resources("aws_cloudwatch_event_rule")
    assert not home.resources("aws_sqs_queue")


def test_one_alarm_per_filter_sum_at_least_one_in_five_minutes(metric_only):
    home = metric_only["ap-northeast-1"]
    filters = home.resources("aws_cloudwatch_log_metric_filter")
    alarms = dict(home.resources("aws_cloudwatch_metric_alarm"))  # a copy: popped below
    # One per filter, and the self-test alarm, on a metric no filter publishes.
    assert set(alarms) == {*filters, "self_test"}
    self_test = alarms.pop("self_test")
    assert self_test["alarm_name"] == "api-alerts-self-test"
    assert self_test["metric_name"] not in {
        f["metric_transformation"]["name"] for f in filters.values()
    }
    topics = home.resources("aws_sns_topic")
    alert_topic = next(name for name, t in topics.items() if t["name"] == "api-alerts")
    for name, alarm in alarms.items():
        transformation = filters[name]["metric_transformation"]
        assert (alarm["metric_name"], alarm["namespace"]) == (
            transformation["name"],
            transformation["namespace"],
        )
        assert transformation["namespace"] == namespace("api-alerts")
        assert filters[name]["log_group_name"].startswith("${aws_cloudwatch_log_group.")
        assert (alarm["statistic"], alarm["period"], alarm["evaluation_periods"]) == ("Sum", 300, 1)
        # One record alarms, but for the thresholds (tests/oracle.py THRESHOLDS).
        assert alarm["threshold"] == THRESHOLDS.get(name, 1)
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"
        assert f"${{aws_sns_topic.{alert_topic}.arn}}" in alarm["alarm_actions"]
    # Stable, documented metric names: the control for CIS filters, the detection id otherwise.
    names = {f["metric_transformation"]["name"] for f in filters.values()}
    assert {f"CloudWatch.{n}" for n in range(1, 15)} <= names
    assert "access_key_created" in names


def test_the_trail_feeds_the_log_group_through_a_role_only_cloudtrail_assumes(metric_only):
    home = metric_only["ap-northeast-1"]
    (trail,) = home.resources("aws_cloudtrail").values()
    (group_name,) = home.resources("aws_cloudwatch_log_group")
    (group,) = home.resources("aws_cloudwatch_log_group").values()
    (role_name,) = home.resources("aws_iam_role")
    assert trail["is_multi_region_trail"] and trail["include_global_service_events"]
    assert (
        trail["cloud_watch_logs_group_arn"] == f"${{aws_cloudwatch_log_group.{group_name}.arn}}:*"
    )
    assert trail["cloud_watch_logs_role_arn"] == f"${{aws_iam_role.{role_name}.arn}}"
    assert group["retention_in_days"] == 365
    documents = home.data("aws_iam_policy_document")
    trust = next(d for name, d in documents.items() if name.startswith("trail_log_group_trust"))
    (statement,) = trust["statement"]
    assert statement["principals"] == [
        {"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}
    ]
    # The CloudTrail guide's role has no condition, and conditions stopped delivery
    # (prowler-cloud/prowler#4714): none here, the role scoped to writing this log group instead.
    assert "condition" not in statement
    writes = next(d for name, d in documents.items() if name.startswith("trail_log_group_writes"))
    assert sorted(a for s in writes["statement"] for a in s["actions"]) == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    for s in writes["statement"]:
        (resource,) = s["resources"]
        assert ":log-group:api-alerts-trail:log-stream:" in resource and "_CloudTrail_" in resource


def test_both_engines_add_the_log_group_filters_and_alarms_to_todays_stacks(tmp_path):
    today = synthesize_to(parse_config(TEST_CONTEXT, {}), tmp_path / "today")
    both = synthesize_to(parse_config(BOTH, {}), tmp_path / "both")
    assert list(both) == list(today)
    for region, stack in today.items():
        for kind in ("aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_sqs_queue"):
            assert stack.resources(kind) == both[region].resources(kind), (region, kind)
    home = both["ap-northeast-1"]
    assert len(home.resources("aws_cloudwatch_log_group")) == 1
    filters = home.resources("aws_cloudwatch_log_metric_filter")
    # original + self: five CIS controls (1, 4, 5, 10, 11) and seven filters of our own.
    assert len([f for f in filters.values() if f["pattern"] in CIS_FILTERS.values()]) == 5
    assert len(filters) == 13
    assert not both["us-east-1"].resources("aws_cloudwatch_log_metric_filter")


def test_with_a_kms_key_the_log_group_is_encrypted_and_the_key_admits_logs_and_our_alarms(
    tmp_path,
):
    stacks = synthesize_to(
        parse_config({**METRIC_ONLY, "kmsKey": True}, {}), tmp_path / "cdktf.out"
    )
    home = stacks["ap-northeast-1"]
    (group,) = home.resources("aws_cloudwatch_log_group").values()
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    key_policy = next(
        d for n, d in home.data("aws_iam_policy_document").items() if n.startswith("encryption")
    )
    by_sid = {s["sid"]: s for s in key_policy["statement"]}
    logs = by_sid["AllowCloudWatchLogsForTheTrailLogGroup"]
    assert logs["principals"][0]["identifiers"] == ["logs.ap-northeast-1.amazonaws.com"]
    assert logs["condition"][0]["variable"] == "kms:EncryptionContext:aws:logs:arn"
    assert logs["condition"][0]["values"][0].endswith(":log-group:api-alerts-trail")
    alarms = by_sid["AllowOurAlarmsToPublishToTheAlertTopic"]
    assert alarms["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com"]
    assert sorted(alarms["actions"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "condition" not in alarms  # as AWS documents it (policy_statements)
    # The alert topic's policy is what confines publishing to our alarms.
    topic_policy = next(
        d for n, d in home.data("aws_iam_policy_document").items() if n.startswith("alert_topic")
    )
    (publish,) = topic_policy["statement"]
    assert {c["variable"] for c in publish["condition"]} == {"aws:SourceArn", "aws:SourceAccount"}
    # The key's own watch gets a filter too, on the key's id and ARN.
    assert "monitor_key_tampered" in home.resources("aws_cloudwatch_log_metric_filter")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"monitoredRegions": ["ap-northeast-1", "eu-west-1"]}, "monitoredRegions"),
        ({"delivery": "central"}, "delivery"),
        ({"alertEngines": ["metric-filter"]}, "did you mean 'metric-filters'"),
        ({"alertEngines": []}, "select at least one"),
        ({"alertEngines": ["eventbridge", "eventbridge"]}, "duplicate"),
        ({"logRetentionDays": 100}, "logRetentionDays"),
    ],
)
def test_settings_the_engine_cannot_use_are_one_clear_error(extra, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**METRIC_ONLY, **extra}, {})


def test_every_detection_has_a_filter_or_says_why_not_and_fits_cloudwatch_logs():
    for detection in CATALOG:
        metric_filter = detection.metric_filter("api-alerts", KEY_NAMES)
        if metric_filter is None:
            assert detection.no_log_filter, detection.id
            continue
        FilterPattern(metric_filter.pattern)  # parses
        assert len(metric_filter.pattern) <= limits.FILTER_PATTERN.value, detection.id
    # Every filter of the whole catalog fits one log group.
    assert len(FILTERS) <= limits.FILTERS_PER_LOG_GROUP.value


def test_alarm_descriptions_fit_and_name_the_control(metric_only):
    alarms = metric_only["ap-northeast-1"].resources("aws_cloudwatch_metric_alarm")
    for name, alarm in alarms.items():
        assert len(alarm["alarm_description"]) <= limits.ALARM_DESCRIPTION.value
        if name.startswith("cloudwatch_"):
            assert alarm["alarm_description"].startswith(f"Security Hub CloudWatch.{name[11:]}. ")


# ---- the filters judged by the oracle against their EventBridge twins ----


def _records() -> list[tuple[str, dict[str, Any]]]:
    found = [(r.file, r.event) for r in load_corpus()]
    for fixture in rules_with_events():
        for kind, records in rule_events(fixture).items():
            found += [(f"{fixture}:{kind}[{i}]", envelope(r)) for i, r in enumerate(records)]
    # The self-test event is not a CloudTrail record: no log line carries it.
    return [(name, event) for name, event in found if "eventSource" in event["detail"]]


def eventbridge_receives(record: dict[str, Any], detections: Any = ()) -> bool:
    """Rules in state ENABLED receive no read-only management events; only the state
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, the read-only detections', does:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html"""
    every_state = all(d.id in READ_ONLY_DETECTIONS for d in detections) and detections
    return bool(every_state) or record.get("readOnly") is not True


# Every disagreement between a filter and its EventBridge twin, by filter, with its reason.
Reason = Callable[[dict[str, Any]], bool]
EXPLAINED: dict[str, list[tuple[str, Reason]]] = {
    "cloudwatch_1": [
        (
            "a failed root console sign-in: CloudWatch.1 counts every root event; our EventBridge "
            "engine alerts on it as console_authentication_failures (cis group)",
            lambda r: (
                r["eventName"] == "ConsoleLogin"
                and r["responseElements"].get("ConsoleLogin") == "Failure"
            ),
        )
    ],
    "cloudwatch_5": [
        (
            "a VPC endpoint network-activity event (eventType AwsVpceEvent) naming UpdateTrail: "
            "the CIS filter has no eventType; EventBridge does not send it as an API call",
            lambda r: r.get("eventType") == "AwsVpceEvent",
        )
    ],
    "cloudwatch_6": [
        (
            "a failed console sign-in whose errorMessage is not 'Failed authentication': "
            "CloudWatch.6 counts only that message; console_authentication_failures every failure",
            lambda r: r.get("errorMessage") != "Failed authentication",
        )
    ],
    "cloudwatch_4": [
        (
            "another service's DeletePolicy/CreatePolicy (Auto Scaling's): CloudWatch.4 names no "
            "event source; iam_policy_changes matches IAM's only",
            lambda r: r["eventSource"] != "iam.amazonaws.com",
        )
    ],
}


# The attack group's share and grant filters cannot list trustedAccounts (or, for images and
# snapshots, this account) within 1,024 characters: they count those shares too.
def _shared_with_ours(attribute: str) -> Reason:
    def holds(r: dict[str, Any]) -> bool:
        params = r.get("requestParameters") or {}
        items = ((params.get(attribute) or {}).get("add") or {}).get("items") or []
        return any(item.get("userId") in (synthesized.TEST_ACCOUNT, *TRUSTED) for item in items)

    return holds


EXPLAINED["ec2_image_or_snapshot_shared"] = [
    (
        "a share with this account or trustedAccounts: the filter counts every account",
        lambda r: (
            _shared_with_ours("launchPermission")(r)
            or _shared_with_ours("createVolumePermission")(r)
        ),
    )
]
EXPLAINED["rds_snapshot_shared"] = [
    (
        "a share with trustedAccounts: the filter counts every account but this one",
        lambda r: any(
            v in TRUSTED for v in (r.get("requestParameters") or {}).get("valuesToAdd", [])
        ),
    )
]
ANY_FILTER: list[tuple[str, Reason]] = [
    (
        "a read-only call: the filter counts it; EventBridge rules in state ENABLED never see it",
        lambda r: not eventbridge_receives(r),
    )
]
# Records on which the oracle cannot decide: AWS does not document != on a missing property.
# Nor IS TRUE on one: a GetParameter without withDecryption (its default, false) is not counted
# by the documented reading, which the threshold's near miss states.
UNDECIDED = {
    ("cloudwatch_3", "ConsoleLogin__panther__5.json"),
    ("ssm_secure_parameters_read_in_bulk", "ssm_secure_parameters_read_in_bulk:silent[1]"),
}


def judged() -> dict[str, dict[str, Any]]:
    records = _records()
    report: dict[str, dict[str, Any]] = {}
    for filter_id, (metric_filter, detections) in FILTERS.items():
        pattern = FilterPattern(metric_filter.pattern)
        twins = [
            EventPattern.load(d.event_pattern_json("api-alerts", KEY_NAMES)) for d in detections
        ]
        counts, unexplained, undecided = Counter(), [], []
        for name, event in records:
            record = event["detail"]
            try:
                counted = pattern.matches(record)
            except Undocumented:
                undecided.append(name)
                continue
            # A threshold's twin is what one record must be to count: it receives what the
            # filter reads, read-only calls included (no rule of it exists).
            receives = eventbridge_receives(record, detections) or any(
                d.id in THRESHOLDS for d in detections
            )
            crushed = arrays_crushed(event)
            matched = receives and any(t.matches_event(crushed) for t in twins)
            counts["filter"] += counted
            counts["eventbridge"] += matched
            if counted != matched:
                reasons = [
                    why for why, holds in EXPLAINED.get(filter_id, []) + ANY_FILTER if holds(record)
                ]
                counts["explained"] += bool(reasons)
                if not reasons:
                    unexplained.append(f"{name}: filter {counted}, EventBridge {matched}")
        report[filter_id] = {
            "detections": [d.id for d in detections],
            "counts": counts,
            "unexplained": unexplained,
            "undecided": undecided,
        }
    return report


def test_each_filter_counts_what_its_eventbridge_twin_matches_or_the_difference_is_explained():
    report = judged()
    for filter_id, found in report.items():
        assert not found["unexplained"], (filter_id, found["unexplained"])
        assert {(filter_id, name) for name in found["undecided"]} <= UNDECIDED
    # The known differences are real: each shows on at least one record.
    for filter_id in EXPLAINED:
        assert report[filter_id]["counts"]["explained"] >= 1, filter_id
    # Every filter counts at least one record: none is dead text.
    assert all(found["counts"]["filter"] >= 1 for found in report.values())


def test_cis_filter_texts_are_the_ones_deployed():
    # The filters CIS-mapped detections carry are CIS_FILTERS' texts, untouched by any placeholder.
    for metric_filter, _ in FILTERS.values():
        if metric_filter.control:
            assert metric_filter.pattern == CIS_FILTERS[metric_filter.control]


if __name__ == "__main__":  # the closing note's table: python -m tests.test_metric_filters
    for filter_id, found in judged().items():
        counts = found["counts"]
        print(
            f"{filter_id:34} {'+'.join(found['detections']):70} filter {counts['filter']:3}"
            f"  eventbridge {counts['eventbridge']:3}  explained {counts['explained']}"
            f"  undecided {len(found['undecided'])}"
        )


# ---- the Security Hub readiness check ----


def test_readiness_passes_all_14_controls_for_the_metric_filter_deployment(metric_only):
    results = evaluate(metric_only["ap-northeast-1"].document)
    assert [control for control, _, _ in results] == list(CIS_FILTERS)
    assert all(passes for _, passes, _ in results), results


def test_readiness_names_every_control_a_deployment_without_subscribers_fails(
    tmp_path, monkeypatch, capsys
):
    context = {**METRIC_ONLY, "notificationEmails": []}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    monkeypatch.chdir(tmp_path)
    assert readiness.main([], environ={}) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 14 and all(line.startswith("FAIL CloudWatch.") for line in lines)
    assert "no subscription" in lines[0]
    assert "CloudWatch.1, CloudWatch.2" in err and "CloudWatch.14 would fail" in err


def test_readiness_says_which_setting_the_controls_need(tmp_path, monkeypatch, capsys):
    """The default configuration (EventBridge, no "cis"): every control fails, and one line per
    missing setting says what to add."""
    context = {"notificationEmails": ["secops@example.com"]}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    monkeypatch.chdir(tmp_path)
    assert readiness.main([], environ={}) == 1
    warnings = capsys.readouterr().err.splitlines()
    assert [w.split(":")[1].strip() for w in warnings] == [
        'alertEngines lacks "metric-filters"',
        'detectionGroups lacks "cis"',
    ]


def test_readiness_fails_the_eventbridge_engine_alone_for_want_of_a_log_group(stacks):
    results = evaluate(stacks["ap-northeast-1"].document)
    assert {why for _, passes, why in results if not passes} == {
        "no multi-region trail delivers to CloudWatch Logs"
    }
    assert len(results) == 14


def test_readiness_fails_a_filter_one_character_off(metric_only):
    document = json.loads(json.dumps(metric_only["ap-northeast-1"].document))
    filters = document["resource"]["aws_cloudwatch_log_metric_filter"]
    filters["cloudwatch_6"]["pattern"] = filters["cloudwatch_6"]["pattern"].replace("=", " = ", 1)
    failed = [(c, why) for c, passes, why in evaluate(document) if not passes]
    assert failed == [("CloudWatch.6", "no metric filter with the exact CIS pattern")]


def test_the_trail_waits_for_the_role_policy_it_writes_with(metric_only):
    home = metric_only["ap-northeast-1"]
    (trail,) = home.resources("aws_cloudtrail").values()
    (policy,) = home.resources("aws_iam_role_policy")
    assert f"aws_iam_role_policy.{policy}" in trail["depends_on"]


def test_selftest_sets_the_self_test_alarm_to_alarm(metric_only, tmp_path, monkeypatch, capsys):
    """make selftest with the metric filters alone: SetAlarmState on the synthesized alarm, whose
    name ops/selftest.py rebuilds without the provider bindings."""
    import boto3
    from moto import mock_aws

    from ops import selftest

    (tmp_path / "cdktf.json").write_text(json.dumps({"context": METRIC_ONLY}))
    synthesize_to(parse_config(METRIC_ONLY, {}), tmp_path / "cdktf.out")
    monkeypatch.chdir(tmp_path)
    alarm = metric_only["ap-northeast-1"].resources("aws_cloudwatch_metric_alarm")["self_test"]
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="ap-northeast-1")
        cloudwatch.put_metric_alarm(
            AlarmName=alarm["alarm_name"],
            Namespace=alarm["namespace"],
            MetricName=alarm["metric_name"],
            Statistic="Sum",
            Period=alarm["period"],
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator=alarm["comparison_operator"],
        )
        assert selftest.main(["--dry-run"], {}) == 0
        assert "would set alarm api-alerts-self-test to ALARM" in capsys.readouterr().out
        assert selftest.main([], {}) == 0
        assert (
            capsys.readouterr().out == "ap-northeast-1: alarm api-alerts-self-test set to ALARM\n"
        )
        (found,) = cloudwatch.describe_alarms(AlarmNames=[alarm["alarm_name"]])["MetricAlarms"]
        assert found["StateValue"] == "ALARM" and found["StateReason"].startswith("Self-test by ")


# ---- thresholds: a count of records within one period, which only an alarm can keep ----


def alarms(pattern: str, threshold: int, records: list[dict[str, Any]], period: int = 300) -> bool:
    """Whether an alarm on Sum >= ``threshold`` over one ``period`` fires for these records: the
    filter publishes 1 per record it counts, and the alarm sums them per period, periods aligned
    to the clock (PutMetricAlarm, Period and Threshold;
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""
    from datetime import datetime

    per_period: Counter = Counter()
    for record in records:
        if FilterPattern(pattern).matches(record):
            moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
            per_period[int(moment.timestamp()) // period] += 1
    return any(count >= threshold for count in per_period.values())


def _burst(record: dict[str, Any], times: int, start: str = "10:00:00") -> list[dict[str, Any]]:
    """``times`` copies of the record, a second apart from ``start`` (2026-12-01, UTC)."""
    from datetime import datetime, timedelta

    first = datetime.fromisoformat(f"2026-12-01T{start}")
    return [
        {**record, "eventTime": (first + timedelta(seconds=i)).isoformat() + "Z"}
        for i in range(times)
    ]


@pytest.mark.parametrize("detection_id", sorted(THRESHOLDS))
def test_a_threshold_alarms_at_its_count_within_one_period_and_not_below(detection_id):
    from constructs_lib.detections.catalog import detection
    from constructs_lib.detections.rule_files import rule_events

    entry = detection(detection_id)
    count = THRESHOLDS[detection_id]
    assert entry.threshold.count == count and entry.threshold.period == 300
    pattern = entry.metric_filter("api-alerts", KEY_NAMES).pattern
    fixtures = rule_events(detection_id)
    for record in fixtures["fires"]:
        assert not alarms(pattern, count, _burst(record, count - 1)), record["eventName"]
        assert alarms(pattern, count, _burst(record, count)), record["eventName"]
        # The same count split across two periods (10:00-10:05, 10:05-10:10): below it in each.
        half = count // 2
        split = _burst(record, half, "10:04:30") + _burst(record, count - half, "10:05:00")
        assert not alarms(pattern, count, split)
    for record in fixtures["silent"]:
        try:
            counted = alarms(pattern, 1, [record])
        except Undocumented:
            continue  # UNDECIDED above says why
        assert not counted, record["eventName"]


def test_threshold_alarms_are_synthesized_with_their_count(metric_only):
    home = metric_only["ap-northeast-1"]
    alarms_ = home.resources("aws_cloudwatch_metric_alarm")
    for detection_id, count in THRESHOLDS.items():
        alarm = alarms_[detection_id]
        assert (alarm["threshold"], alarm["period"], alarm["evaluation_periods"]) == (count, 300, 1)
        assert alarm["alarm_description"].endswith(f"Alarms at {count} or more in 5 minutes")
