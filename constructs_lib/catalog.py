"""The detection catalog: what to match, why it matters, where AWS delivers it.

Plain data, no AWS objects. The rule construct turns an entry into an
``aws_cloudwatch_event_rule`` + target; the stacks pick entries by delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

API_CALL = "AWS API Call via CloudTrail"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"


class Delivery(Enum):
    """Where EventBridge receives the CloudTrail event."""

    # IAM, STS global endpoint and root console sign-in events reach EventBridge only in the partition's
    # global region (us-east-1): https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
    GLOBAL = "global"
    # Every other API call reaches EventBridge only in the region where it was made.
    REGIONAL = "regional"


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


@dataclass(frozen=True)
class Detection:
    """One detection: an EventBridge pattern over CloudTrail events, with why it matters."""

    id: str  # snake_case; the rule's construct id, Terraform resource name and test name
    title: str
    rationale: str  # why it matters, one or two sentences
    delivery: Delivery
    severity: Severity
    detail_type: str
    detail: Mapping[str, Any]  # the pattern's "detail" object
    source: str | None = None  # the envelope's "source", e.g. "aws.iam"
    standards: tuple[str, ...] = ()
    group: str = "original"

    def __post_init__(self) -> None:
        # A deep, read-only copy: nothing can edit an entry after the fact.
        object.__setattr__(self, "detail", _freeze(self.detail))

    @property
    def event_pattern(self) -> dict[str, Any]:
        """The EventBridge event pattern, as a fresh plain dict."""
        pattern: dict[str, Any] = {}
        if self.source:
            pattern["source"] = [self.source]
        pattern["detail-type"] = [self.detail_type]
        pattern["detail"] = _thaw(self.detail)
        return pattern

    @property
    def description(self) -> str:
        """The rule description EventBridge shows (at most 512 characters)."""
        return f"[{self.severity.value}] {self.title}. {self.rationale}"

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(self.detail.get("eventName", ()))


CATALOG: tuple[Detection, ...] = (
    Detection(
        id="security_group_changes",
        title="Security group rule changed",
        rationale=(
            "An ingress or egress rule was added to or removed from a security group; "
            "one Authorize call can expose an instance to the internet."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        source="aws.ec2",
        detail_type=API_CALL,
        detail={
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": [
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
            ],
        },
        standards=("CIS CloudWatch.10",),
    ),
    Detection(
        id="network_acl_changes",
        title="Network ACL changed",
        rationale=(
            "A network ACL, one of its entries or its subnet association was created, "
            "replaced or deleted; NACLs are the subnet-wide firewall."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        source="aws.ec2",
        detail_type=API_CALL,
        detail={
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": [
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        },
        standards=("CIS CloudWatch.11",),
    ),
    Detection(
        id="cloudtrail_changes",
        title="CloudTrail logging stopped, trail deleted or updated",
        rationale=(
            "Someone stopped, deleted or reconfigured a trail, the usual first step to hide "
            "what follows; failed attempts match too, since an AccessDenied StopLogging is still an attack."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.CRITICAL,
        source="aws.cloudtrail",
        detail_type=API_CALL,
        detail={
            "eventSource": ["cloudtrail.amazonaws.com"],
            "eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"],
        },
        standards=("CIS CloudWatch.5",),
    ),
    Detection(
        id="iam_policy_changes",
        title="IAM policy changed",
        rationale=(
            "An inline or managed IAM policy was created, changed, deleted, attached or detached; "
            "this is how permissions are escalated."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.HIGH,
        source="aws.iam",
        detail_type=API_CALL,
        detail={
            "eventSource": ["iam.amazonaws.com"],
            "eventName": [
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        },
        standards=("CIS CloudWatch.4",),
    ),
    Detection(
        id="root_console_sign_in",
        title="Root user signed in to the console",
        rationale=(
            "The root user can do anything and should almost never be used; "
            "a successful root console sign-in needs an explanation."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.CRITICAL,
        source="aws.signin",
        detail_type=CONSOLE_SIGN_IN,
        detail={
            "userIdentity": {"type": ["Root"]},
            "responseElements": {"ConsoleLogin": ["Success"]},
        },
        standards=("CIS CloudWatch.1",),
    ),
    Detection(
        id="access_key_created",
        title="IAM access key created",
        rationale=(
            "A new long-lived access key was created; attackers create keys to keep access "
            "after the credentials they came in with are revoked."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.MEDIUM,
        source="aws.iam",
        # The original design matched "AWS Console Sign In via CloudTrail" here and so never fired.
        detail_type=API_CALL,
        detail={
            "eventSource": ["iam.amazonaws.com"],
            "eventName": ["CreateAccessKey"],
        },
    ),
)


def detections_for(deliveries: Iterable[Delivery]) -> tuple[Detection, ...]:
    """The catalog entries a stack carrying these deliveries deploys, in catalog order."""
    wanted = frozenset(deliveries)
    return tuple(d for d in CATALOG if d.delivery in wanted)


def detection(detection_id: str) -> Detection:
    """The catalog entry with this id."""
    for entry in CATALOG:
        if entry.id == detection_id:
            return entry
    raise KeyError(detection_id)
