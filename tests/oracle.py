"""What each detection must catch, stated in plain terms, independently of the catalog's patterns.

Each oracle reads an EventBridge event (a CloudTrail record in its envelope) and says whether the
detection must fire for it. Where it fires: in the region AWS delivers the event to, if a stack
there carries the detection; ``GLOBAL_DETECTIONS`` live in us-east-1 (IAM and root sign-in events
arrive only there), all others in every monitored region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

API_CALL = "AWS API Call via CloudTrail"
SIGN_IN = "AWS Console Sign In via CloudTrail"


def _api_call(event: dict[str, Any], service: str, names: set[str]) -> bool:
    """A call to one of these APIs of this service, succeeded or not."""
    detail = event["detail"]
    return (
        event["detail-type"] == API_CALL
        and event["source"] == f"aws.{service}"
        and detail.get("eventSource") == f"{service}.amazonaws.com"
        and detail.get("eventName") in names
    )


def security_group_changes(event: dict[str, Any]) -> bool:
    """Any security-group rule authorized or revoked, ingress or egress."""
    return _api_call(
        event,
        "ec2",
        {
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
        },
    )


def network_acl_changes(event: dict[str, Any]) -> bool:
    """A network ACL or entry created, deleted or replaced, or its association replaced."""
    return _api_call(
        event,
        "ec2",
        {
            "CreateNetworkAcl",
            "DeleteNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        },
    )


def cloudtrail_changes(event: dict[str, Any]) -> bool:
    """Logging stopped, a trail deleted or updated: attempts that failed count too."""
    return _api_call(event, "cloudtrail", {"StopLogging", "DeleteTrail", "UpdateTrail"})


def iam_policy_changes(event: dict[str, Any]) -> bool:
    """An IAM policy created, versioned, deleted, put inline, attached or detached."""
    return _api_call(
        event,
        "iam",
        {f"{verb}{kind}Policy" for verb in ("Put", "Delete") for kind in ("Group", "Role", "User")}
        | {"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion"}
        | {
            f"{verb}{kind}Policy"
            for verb in ("Attach", "Detach")
            for kind in ("Group", "Role", "User")
        },
    )


def root_console_sign_in(event: dict[str, Any]) -> bool:
    """The root user signed in to the console successfully (not an IAM user, not a failure)."""
    detail = event["detail"]
    return (
        event["detail-type"] == SIGN_IN
        and event["source"] == "aws.signin"
        and detail.get("userIdentity", {}).get("type") == "Root"
        and (detail.get("responseElements") or {}).get("ConsoleLogin") == "Success"
    )


def access_key_created(event: dict[str, Any]) -> bool:
    """A CreateAccessKey API call, by anyone."""
    return _api_call(event, "iam", {"CreateAccessKey"})


ORACLES: dict[str, Callable[[dict[str, Any]], bool]] = {
    oracle.__name__: oracle
    for oracle in (
        security_group_changes,
        network_acl_changes,
        cloudtrail_changes,
        iam_policy_changes,
        root_console_sign_in,
        access_key_created,
    )
}


GLOBAL_DETECTIONS = frozenset({"iam_policy_changes", "root_console_sign_in", "access_key_created"})


def carrying_regions(detection: str, monitored_regions: Iterable[str]) -> set[str]:
    """The regions whose stacks must carry this detection."""
    return {"us-east-1"} if detection in GLOBAL_DETECTIONS else set(monitored_regions)


def deciding_fields(event: dict[str, Any]) -> str:
    """The fields the oracles read, for a mismatch message."""
    detail = event["detail"]
    login = (
        (detail.get("responseElements") or {}).get("ConsoleLogin")
        if isinstance(detail.get("responseElements"), dict)
        else None
    )
    return (
        f"region={event['region']} source={event['source']} detail-type={event['detail-type']!r} "
        f"eventSource={detail.get('eventSource')} eventName={detail.get('eventName')} "
        f"userIdentity.type={detail.get('userIdentity', {}).get('type')} "
        f"ConsoleLogin={login} errorCode={detail.get('errorCode')}"
    )
