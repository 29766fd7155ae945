"""Suppressions: events a detection deliberately does not alert on, as data, and the two forms
that express "alert unless suppressed": an EventBridge pattern and a CloudWatch Logs filter.

A suppression holds when all its conditions hold; a condition holds when any of its fields
matches any of its wildcard patterns (``*`` for any characters). A detection alerts on an event
its pattern matches unless one of its suppressions holds. EventBridge has no "not", so the
negation is written with the two matchers its documents give for a leaf:
``{"exists": false}`` (the field is absent) or ``anything-but`` (present, matching none of the
patterns: exact values, one ``prefix`` or ``suffix``, or else ``wildcard``, whichever holds the
fewest wildcards: ``excluding``), listed together, which EventBridge reads as either (Event
Ruler's own tests list ``{"exists": false}`` beside another value: ``"bar": [{"exists": false},
"1"]``) (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html;
the list form of anything-but wildcard: AWS's Event Ruler, the matching library EventBridge
documents, https://github.com/aws/event-ruler#anything-but-matching). Several conditions of one
suppression negate to a ``$or``; several suppressions of one detection combine with "and".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from models import limits

# A CloudTrail record's fields a suppression may name (dotted, under the record).
PRINCIPAL_ARN = "userIdentity.arn"
SESSION_ISSUER_ARN = "userIdentity.sessionContext.sessionIssuer.arn"
ACCOUNT = "recipientAccountId"
SOURCE_IP = "sourceIPAddress"
INVOKED_BY = "userIdentity.invokedBy"
USER_AGENT = "userAgent"
USER_ACCOUNT = "userIdentity.accountId"


class InexpressibleError(ValueError):
    """The suppression cannot be written into this pattern or filter."""


@dataclass(frozen=True)
class Condition:
    """Holds when any of ``fields`` (record path -> wildcard patterns) matches."""

    fields: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Suppression:
    name: str  # where it came from: "suppressions[0]", or a knownNoise name
    detections: tuple[str, ...] | None  # None: every detection it may touch
    conditions: tuple[Condition, ...]
    reason: str
    expires: date | None  # None for the built-in opt-ins, which do not expire
    refused_only: bool = False  # narrows only rules of refused calls (errorCode present)

    def applies_to(self, detection_id: str) -> bool:
        return self.detections is None or detection_id in self.detections

    @property
    def summary(self) -> str:
        until = f", until {self.expires.isoformat()}" if self.expires else ""
        return f"{self.name} ({self.reason}{until})"

    def positive_pattern(self) -> dict[str, Any]:
        """An EventBridge pattern that matches exactly the events this suppression holds for
        (what `make replay` counts as suppressed)."""
        pattern: dict[str, Any] = {}
        alternatives = []
        for condition in self.conditions:
            branches = [
                _nest(("detail", *path.split(".")), [{"wildcard": p} for p in patterns])
                for path, patterns in condition.fields
            ]
            if len(branches) == 1:
                pattern = _merge(pattern, branches[0])
            else:
                alternatives.append(branches)
        if len(alternatives) > 1:
            raise InexpressibleError(f"{self.name}: more than one condition over several fields")
        if alternatives:
            pattern["$or"] = alternatives[0]
        return pattern


def _nest(path: Sequence[str], leaf: Any) -> dict[str, Any]:
    node: Any = leaf
    for step in reversed(path):
        node = {step: node}
    return node


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Both constraints on an event; a leaf constrained on both sides cannot be written."""
    merged = json.loads(json.dumps(base))
    for key, value in extra.items():
        if key not in merged:
            merged[key] = json.loads(json.dumps(value))
        elif isinstance(value, Mapping) and isinstance(merged[key], Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            raise InexpressibleError(f"{key} is already constrained by the detection's pattern")
    return merged


def _negation(condition: Condition) -> dict[str, Any]:
    """Matches when the condition does not hold: every field absent or matching none.

    Leaves are (field path -> patterns) until ``_rendered``: two negations on one field are one,
    absent or matching none of either's patterns.
    """
    term: dict[str, Any] = {}
    for path, patterns in condition.fields:
        term = _merge_negations(term, _nest(("detail", *path.split(".")), _Excluded(patterns)))
    return term


@dataclass(frozen=True)
class _Excluded:
    """A field that must be absent or match none of ``patterns`` (``*``: any characters)."""

    patterns: tuple[str, ...]


def _union(key: str, mine: _Excluded, theirs: _Excluded) -> _Excluded:
    return _Excluded(tuple(dict.fromkeys((*mine.patterns, *theirs.patterns))))


def _merge_negations(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, _Excluded):
            merged[key] = _union(key, merged[key], value)
        else:
            merged[key] = _merge_negations(merged[key], value)
    return merged


def excluding(patterns: Sequence[str]) -> dict[str, Any]:
    """EventBridge's matcher for a present value matching none of ``patterns``, with as few
    wildcards as the patterns allow: EventBridge takes at most 30 rules containing wildcards per
    bus (eb-quota.html), and ``anything-but`` of exact values, or of one ``prefix`` or ``suffix``,
    contains none (the operators page's "Anything-but (begins with)" and "(ends with)" rows)."""
    if not any("*" in p for p in patterns):
        return {"anything-but": patterns[0] if len(patterns) == 1 else list(patterns)}
    if len(patterns) == 1:
        (pattern,) = patterns
        if pattern.endswith("*") and "*" not in pattern[:-1]:
            return {"anything-but": {"prefix": pattern[:-1]}}
        if pattern.startswith("*") and "*" not in pattern[1:]:
            return {"anything-but": {"suffix": pattern[1:]}}
    return {"anything-but": {"wildcard": patterns[0] if len(patterns) == 1 else list(patterns)}}


def _rendered(node: Any) -> Any:
    if isinstance(node, _Excluded):
        return [{"exists": False}, excluding(node.patterns)]
    return {key: _rendered(value) for key, value in node.items()}


def narrowed_pattern(pattern: Mapping[str, Any], suppressions: Iterable[Suppression]) -> dict:
    """The EventBridge pattern, matching what it matched unless a suppression holds."""
    branches: list[dict[str, Any]] = [{}]
    for suppression in suppressions:
        negations = [_negation(c) for c in suppression.conditions]
        branches = [_merge_negations(b, n) for b in branches for n in negations]
        if len(branches) > limits.OR_BRANCHES.value:
            raise InexpressibleError(
                f"its suppressions multiply out to {len(branches)} $or branches; we write at "
                f"most {limits.OR_BRANCHES.value}: fewer suppressions, with more values each"
            )
    branches = [_rendered(b) for b in branches]
    if branches == [{}]:
        return json.loads(json.dumps(pattern))
    if len(branches) == 1:
        return _merge(pattern, branches[0])
    if "$or" in pattern:
        raise InexpressibleError("the detection's pattern already has a top-level $or")
    return {**json.loads(json.dumps(pattern)), "$or": branches}


def narrowed_filter(filter_pattern: str, suppressions: Iterable[Suppression]) -> str:
    """The CloudWatch Logs filter pattern, counting what it counted unless a suppression holds.

    ``!=`` with a ``*`` wild card is documented ({ $.sourceIPAddress != 123.123.* }); a missing
    field is tested with NOT EXISTS, since the page leaves ``!=`` on it undefined.
    """
    parts = [f"({filter_pattern.strip()[1:-1].strip()})"]
    for suppression in suppressions:
        negations = []
        conditions = suppression.conditions
        if suppression.refused_only:  # a filter counts both outcomes: say "refused" here
            conditions += (Condition((("errorCode", ("*",)),)),)
        for condition in conditions:
            fields = []
            for path, patterns in condition.fields:
                differs = " && ".join(f'($.{path} != "{p}")' for p in patterns)
                fields.append(f"(($.{path} NOT EXISTS) || ({differs}))")
            negations.append("(" + " && ".join(fields) + ")")
        parts.append("(" + " || ".join(negations) + ")")
    if len(parts) == 1:
        return filter_pattern
    return "{ " + " && ".join(parts) + " }"


# ---- the built-in opt-ins (knownNoise), each off by default ----

ANONYMOUS_ACCOUNT_IDS = (
    # S3 user guide's correction (awsdocs/amazon-s3-userguide#69, verified by AWS): anonymous
    # requests carry ANONYMOUS_PRINCIPAL in userIdentity.accountId; recent records show
    # "anonymous" there (DataBiosphere/azul#6142, a 2024 S3 ListObjects record).
    "ANONYMOUS_PRINCIPAL",
    "anonymous",
)


@dataclass(frozen=True)
class KnownNoise:
    suppression: Suppression
    explanation: str = ""


def known_noise(non_critical: Sequence[str]) -> dict[str, KnownNoise]:
    """The opt-ins by name; ``non_critical`` are the detection ids they may touch at most."""
    return {
        "identityCenterSignIns": KnownNoise(
            Suppression(
                name="identityCenterSignIns",
                detections=("console_sign_in_without_mfa", "console_authentication_failures"),
                conditions=(
                    Condition(
                        (
                            # IAM Identity Center's permission-set roles live under this path.
                            (
                                SESSION_ISSUER_ARN,
                                ("arn:*:iam::*:role/aws-reserved/sso.amazonaws.com/*",),
                            ),
                            (PRINCIPAL_ARN, ("arn:*:sts::*:assumed-role/AWSReservedSSO_*",)),
                        )
                    ),
                ),
                reason="sign-ins through IAM Identity Center, whose MFA Identity Center enforces",
                expires=None,
            ),
            explanation=(
                "Our MFA detection matches IAM users only, as CloudWatch.3 does, so an Identity "
                "Center sign-in (an AssumedRole one) never alerts there; this opt-in states it "
                "in the pattern for both sign-in detections."
            ),
        ),
        "anonymousDenied": KnownNoise(
            Suppression(
                name="anonymousDenied",
                detections=tuple(non_critical),
                conditions=(Condition(((USER_ACCOUNT, ANONYMOUS_ACCOUNT_IDS),)),),
                reason="calls by anonymous principals, which AWS refused",
                expires=None,
                refused_only=True,
            ),
        ),
        "serviceLinkedSecurityGroups": KnownNoise(
            Suppression(
                name="serviceLinkedSecurityGroups",
                detections=("security_group_lifecycle",),
                conditions=(
                    Condition(((SESSION_ISSUER_ARN, ("arn:*:iam::*:role/aws-service-role/*",)),)),
                ),
                reason="security groups created and deleted by AWS service-linked roles",
                expires=None,
            ),
        ),
    }
