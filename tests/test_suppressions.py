"""Suppressions: precise, visible in the plan, and safe. Each kind silences exactly its events,
judged with moto's EventBridge matcher on the synthesized rules (and, for own metric filters,
with the CloudWatch Logs oracle)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from moto.events.models import EventPattern

from config import ConfigError, parse_config
from constructs_lib.detections.catalog import CATALOG, detection
from constructs_lib.detections.outcomes import rule_variants
from constructs_lib.detections.rule_files import rule_events
from constructs_lib.detections.suppressions import narrowed_filter
from models import limits
from models.cloudwatch_logs_filters import FilterPattern
from tests.cloudtrail import envelope
from tests.conftest import ALL_GROUPS, CORE_GROUPS, TEST_CONTEXT, synthesize_to
from tests.test_config import _run_main

TODAY = date.today()
SOON = (TODAY + timedelta(days=90)).isoformat()
EKS = {
    "detections": ["security_group_changes"],
    "principals": ["arn:aws:iam::*:role/eks-*"],
    "reason": "EKS manages node security groups",
    "expires": SOON,
}
ACCOUNT, OTHER_ACCOUNT = "111122223333", "444455556666"


def session_of(role: str, record: dict[str, Any], account: str = ACCOUNT) -> dict[str, Any]:
    """The record as made by a session of this role (CloudTrail's AssumedRole userIdentity:
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html)."""
    made = copy.deepcopy(record)
    made["recipientAccountId"] = account
    made["userIdentity"] = {
        "type": "AssumedRole",
        "principalId": "AROAIDPPEZS35WEXAMPLE:session",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/session",
        "accountId": account,
        "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAIDPPEZS35WEXAMPLE",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2026-11-20T00:00:00Z"},
        },
    }
    return made


def first_fire(detection_id: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(rule_events(detection_id)["fires"][0])
    record.update(changes)
    return record


@pytest.fixture(scope="module")
def eks_stacks(tmp_path_factory):
    settings = parse_config({**TEST_CONTEXT, "suppressions": [EKS]}, {})
    return synthesize_to(settings, tmp_path_factory.mktemp("eks") / "cdktf.out")


def fires(stacks, record: dict[str, Any]) -> set[str]:
    event = envelope(record)
    return set(stacks[event["region"]].firing_detections(event))


def test_an_eks_node_group_session_is_silent_and_an_admin_still_alerts(eks_stacks):
    record = first_fire("security_group_changes")
    assert "security_group_changes" in fires(eks_stacks, session_of("ops-admin", record))
    assert "security_group_changes" not in fires(eks_stacks, session_of("eks-nodegroup-1", record))
    # In another account the role's sessions are covered too: the pattern says any account.
    other = session_of("eks-nodegroup-1", record, OTHER_ACCOUNT)
    assert "security_group_changes" not in fires(eks_stacks, other)
    # Other detections of the same session are untouched.
    acl = first_fire("network_acl_changes")
    assert "network_acl_changes" in fires(eks_stacks, session_of("eks-nodegroup-1", acl))


def test_the_rule_description_names_the_suppression(eks_stacks):
    rules = eks_stacks["ap-northeast-1"].resources("aws_cloudwatch_event_rule")
    for rule_id in ("security_group_changes", "security_group_changes_failed"):
        description = rules[rule_id]["description"]
        assert f"Suppressed: suppressions[0] (EKS manages node security groups, until {SOON})" in (
            description
        )
        assert len(description) <= 512
    assert "Suppressed" not in rules["network_acl_changes"]["description"]


def test_an_expired_suppression_exits_2_naming_it_and_its_reason(tmp_path):
    expired = {**EKS, "expires": (TODAY - timedelta(days=1)).isoformat()}
    result = _run_main(tmp_path, {**TEST_CONTEXT, "suppressions": [expired]})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "suppressions[0].expires" in result.stderr
    assert "EKS manages node security groups" in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


TOO_MANY = [f"arn:aws:iam::*:role/team-{i:03d}-deployment-automation-*" for i in range(60)]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({k: v for k, v in EKS.items() if k != "reason"}, "'reason' is required"),
        ({**EKS, "detections": ["security_group_change"]}, "did you mean 'security_group_changes'"),
        ({**EKS, "detections": ["cloudtrail_changes"]}, "touches critical detections"),
        ({**EKS, "principals": TOO_MANY}, "EventBridge takes 2048"),
    ],
    ids=["no-reason", "unknown-detection", "critical", "over-2048"],
)
def test_bad_suppressions_exit_2_with_one_line_and_write_nothing(tmp_path, entry, message):
    result = _run_main(tmp_path, {**TEST_CONTEXT, "suppressions": [entry]})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "cdktf.out").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"principals": ["arn:aws:iam::*:role/*"]}, "widens to every role"),
        ({"principals": ["arn:aws:iam::123456789012:user/*"]}, "widens to every user"),
        ({"principals": []}, "a suppression for everyone is a switch-off"),
        ({"principals": ["*"]}, "matches everything"),
        ({"principals": ["arn:aws:iam::*:role/eks-**"]}, "no two \\* in a row"),
        ({"expires": (TODAY + timedelta(days=400)).isoformat()}, "at most a year ahead"),
        ({"expires": "next week"}, "an ISO date"),
        ({"sourceIps": ["10.0.0.0/20"]}, "cannot exclude this block"),
        ({"accounts": ["12345"]}, "12 digits"),
        ({"invokedBy": ["autoscaling"]}, "an AWS service principal"),
        ({"detections": "all"}, "must be a list of strings"),
        ({"expiry": SOON}, "did you mean 'expires'"),
        ({"detections": ["root_account_usage"]}, "not among the selected detections"),
        ({"principals": ["arn:aws:iam::*:role/a*"]}, "widens to almost every role"),
        ({"principals": ["arn:aws:iam::*:user/*x*"]}, "at least 3 characters besides"),
    ],
)
def test_suppressions_are_refused_where_they_would_hide_too_much(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**TEST_CONTEXT, "suppressions": [{**EKS, **change}]}, {})


EVERYWHERE = {
    "detections": "*",
    "principals": ["arn:aws:iam::*:role/ci-*"],
    "userAgents": ["*Terraform*"],
    "reason": "CI",
    "expires": SOON,
    "allowCritical": True,
}


def test_a_wildcard_in_every_rule_of_a_bus_is_refused_with_the_quota(tmp_path):
    """EventBridge takes 30 rules containing wildcards per bus, not adjustable (eb-quota.html):
    a "*" suppression with wildcard patterns would put one in every rule of the bus."""
    context = {**TEST_CONTEXT, "detectionGroups": CORE_GROUPS, "suppressions": [EVERYWHERE]}
    result = _run_main(tmp_path, context)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert (
        "rules containing wildcards; EventBridge takes 30 per bus, not adjustable" in result.stderr
    )
    assert "eb-quota.html" in result.stderr and '["suppressions[0]"]' in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.json"]
    # The same entry with patterns that need no wildcard: exact values, a prefix, a suffix.
    settings = parse_config(
        {
            **context,
            "suppressions": [
                {
                    **EVERYWHERE,
                    "principals": ["arn:aws:iam::111122223333:role/ci-*"],
                    "userAgents": ["*Terraform"],
                }
            ],
        },
        {},
    )
    assert settings.suppressions


def test_suppressions_multiplying_out_past_the_bound_are_refused():
    """Each suppression of two conditions doubles the $or branches: five make 32."""
    entries = [
        {
            **EKS,
            "principals": [f"arn:aws:iam::111122223333:role/eks-{i}"],
            "sourceIps": [f"10.0.0.{i}"],
        }
        for i in range(5)
    ]
    with pytest.raises(ConfigError, match=r"32 \$or branches; we write at most 16"):
        parse_config({**TEST_CONTEXT, "suppressions": entries}, {})
    parse_config({**TEST_CONTEXT, "suppressions": entries[:2]}, {})


def test_a_pattern_too_complex_for_eventbridge_is_refused():
    """Event Ruler scores each wildcard value (models.limits.complexity): four user agents and a
    principal pattern on one rule score 12 (3 each; the principal is another field), over the
    9 known to be accepted."""
    entry = {**EKS, "userAgents": [f"*tool-{i}/*" for i in range(4)]}
    with pytest.raises(ConfigError, match="would score 12 in EventBridge's wildcard complexity"):
        parse_config({**TEST_CONTEXT, "suppressions": [entry]}, {})
    parse_config({**TEST_CONTEXT, "suppressions": [{**entry, "userAgents": ["*tool/*"]}]}, {})


def test_critical_detections_take_an_explicit_allow_critical():
    entry = {
        **EKS,
        "detections": ["monitor_rules_tampered"],
        "principals": ["arn:aws:iam::*:role/terraform-deployer"],
        "reason": "our own terraform apply",
    }
    with pytest.raises(ConfigError, match="allowCritical"):
        parse_config({**TEST_CONTEXT, "suppressions": [entry]}, {})
    settings = parse_config(
        {**TEST_CONTEXT, "suppressions": [{**entry, "allowCritical": True}]}, {}
    )
    assert settings.suppressions[0].detections == ("monitor_rules_tampered",)


# ---- each kind of suppression: its events silent, the same by others still alerting ----


_RULES: dict[str, dict[str, list[EventPattern]]] = {}


def _rules(settings) -> dict[str, list[EventPattern]]:
    """Each selected detection's narrowed patterns, as moto loads them (once per configuration)."""
    key = repr(settings)
    if key not in _RULES:
        _RULES[key] = {
            d.id: [
                EventPattern.load(v.event_pattern_json("api-alerts"))
                for v in rule_variants(d, settings.suppressions)
            ]
            for d in settings.detections
            if not d.requires_kms_key
        }
    return _RULES[key]


def alerts(settings, record: dict[str, Any]) -> set[str]:
    """The detections whose rules match: moto's matcher, the event flattened once for all."""
    flat = EventPattern._flatten_dict(envelope(record))
    return {
        d
        for d, patterns in _rules(settings).items()
        if any(p._does_event_match(flat, p._pattern) for p in patterns)
    }


def suppressed(detection_id: str, entry_changes: dict[str, Any], **context: Any):
    entry = {**EKS, "detections": [detection_id], **entry_changes}
    return parse_config({**TEST_CONTEXT, **context, "suppressions": [entry]}, {})


KINDS = {
    # kind: (detection, suppression fields, the suppressed record, records that still alert)
    "role": (
        "security_group_changes",
        {"principals": ["arn:aws:iam::*:role/eks-*"]},
        lambda r: session_of("eks-nodegroup-1", r),
        [lambda r: session_of("ops-admin", r)],
    ),
    "user": (
        "security_group_changes",
        {"principals": ["arn:aws:iam::*:user/ci-*"]},
        lambda r: {
            **r,
            "userIdentity": {**r["userIdentity"], "arn": f"arn:aws:iam::{ACCOUNT}:user/ci-bot"},
        },
        [lambda r: r],  # alice
    ),
    "session": (
        "network_acl_changes",
        {"principals": ["arn:aws:sts::*:assumed-role/network-pipeline/*"]},
        lambda r: session_of("network-pipeline", r),
        [lambda r: session_of("network-admin", r)],
    ),
    "account": (
        "security_group_changes",
        {"principals": ["arn:aws:iam::*:role/eks-*"], "accounts": [ACCOUNT]},
        lambda r: session_of("eks-nodegroup-1", r),
        [lambda r: session_of("eks-nodegroup-1", r, OTHER_ACCOUNT), lambda r: session_of("ops", r)],
    ),
    "source-ip": (
        "security_group_changes",
        {"principals": ["arn:aws:iam::*:role/eks-*"], "sourceIps": ["10.1.0.0/16", "192.0.2.7"]},
        lambda r: {**session_of("eks-nodegroup-1", r), "sourceIPAddress": "10.1.4.20"},
        [
            lambda r: {**session_of("eks-nodegroup-1", r), "sourceIPAddress": "10.2.4.20"},
            lambda r: {**session_of("ops", r), "sourceIPAddress": "10.1.4.20"},
        ],
    ),
    "invoked-by": (
        "security_group_lifecycle",
        {"principals": ["arn:aws:iam::*:role/eks-*"], "invokedBy": ["eks.amazonaws.com"]},
        lambda r: _invoked(session_of("eks-cluster", r), "eks.amazonaws.com"),
        [
            lambda r: session_of("eks-cluster", r),  # not through the service
            lambda r: _invoked(session_of("ops", r), "eks.amazonaws.com"),
        ],
    ),
    "user-agent": (
        "access_key_created",
        {"principals": ["arn:aws:iam::*:user/ci-*"], "userAgents": ["*Terraform/*"]},
        lambda r: _user(r, "ci-bot", "APN/1.0 HashiCorp/1.0 Terraform/1.11.4"),
        [
            lambda r: _user(r, "ci-bot", "aws-cli/2.15.30"),
            lambda r: _user(r, "alice", "Terraform/1.11.4"),
        ],
    ),
}


def _invoked(record: dict[str, Any], service: str) -> dict[str, Any]:
    made = copy.deepcopy(record)
    made["userIdentity"]["invokedBy"] = service
    return made


def _user(record: dict[str, Any], name: str, agent: str) -> dict[str, Any]:
    made = copy.deepcopy(record)
    made["userIdentity"]["arn"] = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    made["userAgent"] = agent
    return made


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_silences_its_events_and_no_others(kind):
    detection_id, fields, silenced, still = KINDS[kind]
    groups = {"detectionGroups": ALL_GROUPS} if detection_id == "security_group_lifecycle" else {}
    settings = suppressed(detection_id, fields, **groups)
    plain = parse_config({**TEST_CONTEXT, **groups}, {})
    for record in rule_events(detection_id)["fires"]:
        assert detection_id in alerts(plain, silenced(record))
        assert detection_id not in alerts(settings, silenced(record))
        for other in still:
            assert detection_id in alerts(settings, other(record)), kind


def test_two_suppressions_of_one_detection_both_hold():
    second = {
        **EKS,
        "principals": ["arn:aws:iam::*:role/ecs-*"],
        "sourceIps": ["10.9.0.0/16"],
        "reason": "ECS tasks in the 10.9 network",
    }
    settings = parse_config({**TEST_CONTEXT, "suppressions": [EKS, second]}, {})
    record = first_fire("security_group_changes")
    assert "security_group_changes" not in alerts(settings, session_of("eks-a", record))
    ecs = {**session_of("ecs-a", record), "sourceIPAddress": "10.9.1.1"}
    assert "security_group_changes" not in alerts(settings, ecs)
    assert "security_group_changes" in alerts(settings, {**ecs, "sourceIPAddress": "10.8.1.1"})
    assert "security_group_changes" in alerts(settings, session_of("ops", record))


# ---- the built-in opt-ins ----


def test_known_noise_is_off_by_default_and_silences_only_its_noise():
    plain = parse_config({**TEST_CONTEXT, "detectionGroups": ALL_GROUPS}, {})
    quiet = parse_config(
        {
            **TEST_CONTEXT,
            "detectionGroups": ALL_GROUPS,
            "knownNoise": [
                "identityCenterSignIns",
                "anonymousDenied",
                "serviceLinkedSecurityGroups",
            ],
        },
        {},
    )
    assert plain.suppressions == ()
    # Service-linked roles' security groups; an ordinary role's still alert.
    created = first_fire("security_group_lifecycle")
    slr = session_of(
        "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling", created
    )
    assert "security_group_lifecycle" in alerts(plain, slr)
    assert "security_group_lifecycle" not in alerts(quiet, slr)
    assert "security_group_lifecycle" in alerts(quiet, session_of("ops", created))
    # Anonymous denied calls (awsdocs/amazon-s3-userguide#69): silent; an anonymous call that
    # AWS did not refuse, and a denied call by someone else, still alert.
    denied = first_fire(
        "s3_bucket_policy_changes", errorCode="AccessDenied", errorMessage="Access Denied"
    )
    anonymous = {
        **denied,
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": "",
            "accountId": "ANONYMOUS_PRINCIPAL",
        },
    }
    assert {"s3_bucket_policy_changes", "unauthorized_api_calls"} <= alerts(plain, anonymous)
    assert not {"s3_bucket_policy_changes", "unauthorized_api_calls"} & alerts(quiet, anonymous)
    assert "unauthorized_api_calls" in alerts(quiet, denied)
    done = {k: v for k, v in anonymous.items() if k not in ("errorCode", "errorMessage")}
    assert "s3_bucket_policy_changes" in alerts(quiet, done)
    # Identity Center sign-ins: an AssumedRole sign-in; an IAM user's still alerts.
    for detection_id in ("console_sign_in_without_mfa", "console_authentication_failures"):
        login = first_fire(detection_id)
        sso = session_of(
            "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef", login
        )
        assert detection_id not in alerts(quiet, sso)
        assert detection_id in alerts(quiet, login)


def test_a_suppression_is_named_alike_from_cdktf_json_and_the_shell():
    """Its name goes into the rules' descriptions: where it was written must not change what is
    deployed."""
    from_file = parse_config({**TEST_CONTEXT, "suppressions": [EKS]}, {})
    from_shell = parse_config(TEST_CONTEXT, {"ALERTS_SUPPRESSIONS": json.dumps([EKS])})
    assert [s.name for s in from_shell.suppressions] == ["suppressions[0]"]
    assert from_shell.suppressions == from_file.suppressions


def test_known_noise_names_are_checked():
    with pytest.raises(ConfigError, match="did you mean 'anonymousDenied'"):
        parse_config({**TEST_CONTEXT, "knownNoise": ["anonymousDenial"]}, {})


def test_an_error_caused_by_known_noise_alone_names_its_key():
    """The metric-filter engine cannot narrow a CIS filter: turning on known noise that would
    is an error at knownNoise, not at a suppressions key the user never wrote."""
    context = {
        **TEST_CONTEXT,
        "alertEngines": ["metric-filters"],
        "monitoredRegions": None,
        "detectionGroups": ALL_GROUPS,
        "knownNoise": ["anonymousDenied"],
    }
    with pytest.raises(ConfigError, match=r"^knownNoise = \["):
        parse_config(context, {})


# ---- the corpus: counts change by the suppressed records only ----


CORPUS_KINDS = {
    # kind: the entry's fields (each holds for some of the corpus's records). They name accounts,
    # and a star only at the end: an entry for every detection ("*") must add no wildcard to
    # the rules, since a bus takes 30 rules containing wildcards (tests/test_limits.py).
    "user": {"principals": ["arn:aws:iam::123837392027:user/bert-jan"]},
    "role": {
        "principals": [
            "arn:aws:iam::123456789012:role/tester",
            "arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role",
        ]
    },
    "session": {"principals": ["arn:aws:sts::112233445566:assumed-role/TestAdmin/*"]},
    "account": {
        "principals": ["arn:aws:iam::123456789012:role/tester"],
        "accounts": ["123456789012"],
    },
    "source-ip": {
        "principals": ["arn:aws:iam::123837392027:user/bert-jan"],
        "sourceIps": ["192.168.10.0/24"],
    },
    "user-agent": {
        "principals": ["arn:aws:iam::123837392027:user/bert-jan"],
        "userAgents": ["APN/1.0 HashiCorp/1.0 Terraform/*"],
    },
    "invoked-by": {
        "principals": ["arn:aws:iam::123456789012:role/example-role"],
        "invokedBy": ["cloudformation.amazonaws.com"],
    },
}


@pytest.mark.parametrize("kind", list(CORPUS_KINDS))
def test_corpus_counts_change_only_by_the_records_a_suppression_holds_for(corpus, kind):
    entry = {
        "detections": "*",
        "reason": f"the corpus's {kind}",
        "expires": SOON,
        "allowCritical": True,
        **CORPUS_KINDS[kind],
    }
    context = {**TEST_CONTEXT, "detectionGroups": CORE_GROUPS}
    plain = parse_config(context, {})
    quiet = parse_config({**context, "suppressions": [entry]}, {})
    holds = EventPattern.load(json.dumps(quiet.suppressions[0].positive_pattern()))
    before, after, expected = Counter(), Counter(), Counter()
    for item in corpus:
        if "eventSource" not in item.event["detail"]:
            continue
        was, now = alerts(plain, item.record), alerts(quiet, item.record)
        before.update(was)
        after.update(now)
        assert now <= was, item.file
        if holds.matches_event(item.event):
            expected.update(was)
        else:
            assert now == was, item.file
    assert before - after == expected
    assert sum(expected.values()) >= 1, kind  # the corpus has such records: the test is not empty


# ---- the metric-filter engine ----


def test_own_metric_filters_carry_suppressions_and_cis_filters_refuse_them(tmp_path):
    entry = {
        **EKS,
        "detections": ["access_key_created"],
        "principals": ["arn:aws:iam::*:user/ci-*"],
    }
    context = {k: v for k, v in TEST_CONTEXT.items() if k not in ("monitoredRegions", "delivery")}
    settings = parse_config(
        {**context, "alertEngines": ["metric-filters"], "suppressions": [entry]}, {}
    )
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    pattern = stacks["ap-northeast-1"].resources("aws_cloudwatch_log_metric_filter")[
        "access_key_created"
    ]["pattern"]
    counts = FilterPattern(pattern)
    for record in rule_events("access_key_created")["fires"]:
        assert counts.matches(record)
        assert not counts.matches(_user(record, "ci-bot", record.get("userAgent", "aws-cli")))
    with pytest.raises(ConfigError, match="exact CIS filter"):
        parse_config({**context, "alertEngines": ["metric-filters"], "suppressions": [EKS]}, {})


def test_every_catalog_detection_accepts_a_principal_suppression():
    """No detection's pattern already constrains the principal fields: a suppression always
    fits (the merge refuses a leaf constrained twice)."""
    for entry in CATALOG:
        # A threshold runs only in the metric-filter engine, whose filter the suppression narrows.
        engines = {"alertEngines": ["eventbridge", "metric-filters"]} if entry.threshold else {}
        suppression = parse_config(
            {
                **TEST_CONTEXT,
                **engines,
                "detectionGroups": ALL_GROUPS,
                "kmsKey": True,
                "suppressions": [
                    {
                        **EKS,
                        "detections": [entry.id],
                        "principals": ["arn:aws:iam::*:role/eks-*", "arn:aws:iam::*:user/ci-*"],
                        "allowCritical": True,
                    }
                ],
            },
            {},
        ).suppressions
        for variant in rule_variants(detection(entry.id), suppression):
            assert "anything-but" in variant.event_pattern_json("api-alerts"), entry.id
        if entry.threshold:
            text = narrowed_filter(entry.log_filter, suppression)
            assert "role/eks-*" in text and len(text) <= limits.FILTER_PATTERN.value, entry.id
