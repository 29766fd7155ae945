"""The catalog is data: unique ids, sane descriptions, groups, and the original's six exactly."""

from __future__ import annotations

import re

import pytest

from constructs_lib.detections.catalog import (
    API_CALL,
    CATALOG,
    CONSOLE_SIGN_IN,
    Delivery,
    Detection,
    Severity,
    detection,
    selected,
)
from constructs_lib.detections.outcomes import rule_variants

IDS = [d.id for d in CATALOG]


def test_ids_are_unique_snake_case():
    assert len(IDS) == len(set(IDS))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in IDS)


@pytest.mark.parametrize("entry", CATALOG, ids=IDS)
def test_description_fits_eventbridge(entry):
    # EventBridge rule descriptions are at most 512 characters (PutRule API reference).
    for variant in rule_variants(entry):
        assert 0 < len(variant.description) <= 512
        assert entry.severity.value in variant.description


def test_entries_are_read_only():
    entry = CATALOG[0]
    with pytest.raises(TypeError):
        entry.pattern["detail"]["eventName"] = []  # type: ignore[index]
    with pytest.raises(AttributeError):
        entry.pattern["detail"]["eventName"].append("Anything")  # type: ignore[union-attr]
    pattern = entry.event_pattern("p")
    pattern["detail"]["eventName"].append("Anything")
    assert "Anything" not in entry.event_pattern("p")["detail"]["eventName"]


def test_unknown_group_is_refused():
    with pytest.raises(ValueError, match="unknown groups"):
        Detection(
            id="x",
            title="x",
            rationale="x",
            delivery=Delivery.REGIONAL,
            severity=Severity.LOW,
            pattern={},
            groups=frozenset({"sox"}),
        )


def test_groups():
    assert [d.id for d in selected(["original"])] == [
        "security_group_changes",
        "network_acl_changes",
        "cloudtrail_changes",
        "iam_policy_changes",
        "root_console_sign_in",
        "access_key_created",
        "self_test",  # every deployment has it
    ]
    self_group = {
        "self_test",
        "cloudtrail_changes",
        "monitor_rules_tampered",
        "monitor_topic_tampered",
        "monitor_queue_tampered",
        "monitor_trail_selectors_changed",
        "monitor_trail_bucket_tampered",
        "monitor_alarms_tampered",
        "monitor_roles_tampered",
    }
    assert {d.id for d in selected(["self"], kms_key=False)} == self_group
    # The key's own watch exists only where there is a key.
    assert {d.id for d in selected(["self"])} == self_group | {"monitor_key_tampered"}
    # Every group selected is the whole catalog (the attack group included).
    assert selected(["original", "cis", "self", "attack"]) == CATALOG


def test_cis_covers_cloudwatch_1_to_14():
    standards = {s for d in selected(["cis"]) for s in d.standards}
    assert standards == {f"CIS CloudWatch.{n}" for n in range(1, 15)}


def test_self_patterns_name_only_our_resources():
    for entry in selected(["self"]):
        if entry.id in ("cloudtrail_changes",):
            continue
        text = entry.event_pattern_json("acme")
        assert "acme" in text and "{namePrefix}" not in text, entry.id


def _pattern(detection_id):
    return detection(detection_id).event_pattern("api-alerts")


def test_original_six_have_the_specified_semantics():
    assert _pattern("security_group_changes") == {
        "source": ["aws.ec2"],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": [
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
            ],
        },
    }
    nacl = _pattern("network_acl_changes")
    assert nacl["source"] == ["aws.ec2"] and nacl["detail-type"] == [API_CALL]
    assert sorted(nacl["detail"]["eventName"]) == sorted(
        [
            "CreateNetworkAcl",
            "DeleteNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ]
    )
    trail = _pattern("cloudtrail_changes")
    assert trail["detail"] == {
        "eventSource": ["cloudtrail.amazonaws.com"],
        "eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"],
    }
    assert "errorCode" not in str(trail), "failed attempts must match too"
    iam = _pattern("iam_policy_changes")
    assert iam["source"] == ["aws.iam"] and iam["detail"]["eventSource"] == ["iam.amazonaws.com"]
    assert len(set(iam["detail"]["eventName"])) == 16
    assert _pattern("root_console_sign_in") == {
        "source": ["aws.signin"],
        "detail-type": [CONSOLE_SIGN_IN],
        "detail": {
            "userIdentity": {"type": ["Root"]},
            "responseElements": {"ConsoleLogin": ["Success"]},
        },
    }
    # The original matched the sign-in detail-type here, so its rule never fired.
    assert _pattern("access_key_created") == {
        "source": ["aws.iam"],
        "detail-type": [API_CALL],
        "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateAccessKey"]},
    }
    for entry in [d for d in CATALOG if "original" in d.groups]:
        expected = (
            Delivery.GLOBAL
            if entry.pattern["source"][0] in ("aws.iam", "aws.signin")
            else Delivery.REGIONAL
        )
        assert entry.delivery is expected, entry.id


def test_the_attack_group_is_opt_in_and_every_entry_names_its_technique():
    from constructs_lib.detections.attack import STRATUS, TACTICS, TECHNIQUES
    from constructs_lib.detections.catalog import DEFAULT_GROUPS, METRIC_FILTERS

    assert "attack" not in DEFAULT_GROUPS
    attack = selected(["attack"])
    assert len(attack) == 24  # 23 and the self-test
    for entry in attack:
        if entry.id == "self_test":
            continue
        assert entry.attack and entry.stratus, entry.id
        for pair in entry.attack:
            tactic, technique = pair.split(":")
            assert tactic in TACTICS and technique in TECHNIQUES
        assert set(entry.stratus) <= set(STRATUS)
        # A person can act on it: the rationale says what happened and what to look at.
        assert len(entry.rationale) >= 80, entry.id
        # Thresholds run only where a metric filter's alarm can count them.
        assert (entry.threshold is not None) == (entry.engine == METRIC_FILTERS), entry.id


def _minimal(**fields):
    """A detection with only what a test needs besides its own fields."""
    return Detection(
        id="x",
        title="x",
        rationale="x",
        delivery=Delivery.REGIONAL,
        severity=Severity.LOW,
        pattern={},
        log_filter="{ $.x = 1 }",
        **fields,
    )


def test_a_threshold_runs_in_the_metric_filters_only_and_tags_are_known():
    from constructs_lib.detections.catalog import METRIC_FILTERS, Threshold

    with pytest.raises(ValueError, match="threshold"):
        _minimal(threshold=Threshold(5))
    with pytest.raises(ValueError, match="threshold 1 in 300"):
        Threshold(1)
    with pytest.raises(ValueError, match="threshold 5 in 90"):
        Threshold(5, 90)
    assert Threshold(5).phrase == "5 or more in 5 minutes"
    entry = _minimal(threshold=Threshold(5), engine=METRIC_FILTERS)
    assert entry.threshold == Threshold(5, 300)
    with pytest.raises(ValueError, match="unknown ATT&CK pair"):
        _minimal(attack=("TA0005:T9999",))
    with pytest.raises(ValueError, match="unknown Stratus techniques"):
        _minimal(stratus=("aws.impact.anything",))


def test_trusted_accounts_fill_a_list_one_element_each():
    from constructs_lib.detections.catalog import ACCOUNT_ID, TRUSTED_ACCOUNTS

    pattern = detection("lambda_permission_granted_outside").event_pattern(
        "p", {ACCOUNT_ID: "111122223333", TRUSTED_ACCOUNTS: ("444455556666", "777788889999")}
    )
    assert pattern["detail"]["requestParameters"]["principal"][0]["anything-but"]["wildcard"] == [
        "*.amazonaws.com",
        "111122223333",
        "arn:*:iam::111122223333:*",
    ]
    pattern = detection("ec2_image_or_snapshot_shared").event_pattern(
        "p", {ACCOUNT_ID: "111122223333", TRUSTED_ACCOUNTS: ("444455556666", "777788889999")}
    )
    (first, *_) = pattern["detail"]["$or"]
    items = first["requestParameters"]["launchPermission"]["add"]["items"]
    assert items["userId"] == [{"anything-but": ["111122223333", "444455556666", "777788889999"]}]
    # No trusted account: the elements that named them go.
    pattern = detection("rds_snapshot_shared").event_pattern(
        "p", {ACCOUNT_ID: "111122223333", TRUSTED_ACCOUNTS: ()}
    )
    assert pattern["detail"]["requestParameters"]["valuesToAdd"] == [
        {"anything-but": ["111122223333"]}
    ]
