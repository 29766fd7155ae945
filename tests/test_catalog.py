"""The catalog is data: unique ids, sane descriptions, and the original's six detections exactly."""

from __future__ import annotations

import re

import pytest

from constructs_lib.catalog import API_CALL, CATALOG, CONSOLE_SIGN_IN, Delivery, detections_for

IDS = [d.id for d in CATALOG]


def test_ids_are_unique_snake_case():
    assert len(IDS) == len(set(IDS))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in IDS)


@pytest.mark.parametrize("detection", CATALOG, ids=IDS)
def test_description_fits_eventbridge(detection):
    # EventBridge rule descriptions are at most 512 characters (PutRule API reference).
    assert 0 < len(detection.description) <= 512
    assert detection.severity.value in detection.description


def test_entries_are_read_only():
    detection = CATALOG[0]
    with pytest.raises(TypeError):
        detection.detail["eventName"] = []  # type: ignore[index]
    with pytest.raises(AttributeError):
        detection.detail["eventName"].append("Anything")  # type: ignore[union-attr]
    pattern = detection.event_pattern
    pattern["detail"]["eventName"].append("Anything")
    assert "Anything" not in detection.event_pattern["detail"]["eventName"]


def test_stacks_pick_entries_by_delivery():
    assert [d.id for d in detections_for({Delivery.REGIONAL})] == [
        "security_group_changes",
        "network_acl_changes",
        "cloudtrail_changes",
    ]
    assert [d.id for d in detections_for({Delivery.GLOBAL})] == [
        "iam_policy_changes",
        "root_console_sign_in",
        "access_key_created",
    ]
    assert detections_for(set(Delivery)) == CATALOG


def _pattern(detection_id):
    return next(d for d in CATALOG if d.id == detection_id).event_pattern


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
