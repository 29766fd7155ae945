"""Succeeded or refused: one rule per outcome, so that no alert claims what did not happen.

An input transformer cannot branch on a field, so a single rule's message cannot say "done" for a
call that succeeded and "refused" for one that AWS denied. Each detection whose events can go
either way therefore becomes two rules with complementary patterns (CloudTrail's ``errorCode`` is
present exactly when the call failed; a console sign-in's ``responseElements.ConsoleLogin`` is
``Success`` or ``Failure``), each with its own wording. Every event still matches exactly one of a
detection's rules, so it alerts once per detection. Plain data: no AWS objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from constructs_lib.detections.catalog import API_CALL, CONSOLE_SIGN_IN, Detection, Names
from constructs_lib.detections.suppressions import Suppression, narrowed_pattern
from models import limits

FAILED_SUFFIX = "_failed"  # the refused variant's id: <detection id>_failed


@dataclass(frozen=True)
class Outcome:
    """How one of a detection's rules narrows its pattern, and how its alert states the outcome."""

    suffix: str  # "" or FAILED_SUFFIX: the rule's id is the detection id plus this
    title_prefix: str  # before the detection's title, e.g. "Refused with <errorCode>: "
    line: str  # the alert's "Outcome:" line; "" for events that are not CloudTrail records
    detail: Mapping[str, Any] = field(default_factory=dict)  # merged into the pattern's detail


# Placeholders (<errorCode>, <errorMessage>) are the alert message's shared variables.
DONE = Outcome(
    "", "", "Outcome:  done (AWS returned no error code)", {"errorCode": [{"exists": False}]}
)
REFUSED = Outcome(
    FAILED_SUFFIX,
    "Refused with <errorCode>: ",
    "Outcome:  REFUSED, not carried out. <errorCode>: <errorMessage>",
    {"errorCode": [{"exists": True}]},
)
SIGNED_IN = Outcome(
    "",
    "",
    "Outcome:  signed in (ConsoleLogin: Success)",
    {"responseElements": {"ConsoleLogin": ["Success"]}},
)
SIGN_IN_REFUSED = Outcome(
    FAILED_SUFFIX,
    "Refused: ",
    "Outcome:  REFUSED, the sign-in failed (ConsoleLogin: Failure). <errorMessage>",
    {"responseElements": {"ConsoleLogin": ["Failure"]}},
)
NO_OUTCOME = Outcome("", "", "")  # the self-test and other events of our own


@dataclass(frozen=True)
class RuleVariant:
    """One of a detection's rules."""

    detection: Detection
    outcome: Outcome
    suppressions: tuple[Suppression, ...] = ()  # those of the configuration for this detection

    @property
    def id(self) -> str:
        """The rule's construct id and Terraform resource name."""
        return self.detection.id + self.outcome.suffix

    def event_pattern(self, name_prefix: str, names: Names | None = None) -> dict:
        pattern = self.detection.event_pattern(name_prefix, names)
        if self.outcome.detail:
            pattern["detail"] = _merge(pattern.get("detail", {}), self.outcome.detail)
        return narrowed_pattern(pattern, self.active_suppressions)

    @property
    def active_suppressions(self) -> tuple[Suppression, ...]:
        """The suppressions this rule's pattern leaves out: all, but those of refused calls
        only where the rule matches refused calls alone."""
        refused = self.outcome is REFUSED or _constrained(self.detection.pattern, "errorCode")
        return tuple(s for s in self.suppressions if refused or not s.refused_only)

    def event_pattern_json(self, name_prefix: str, names: Names | None = None) -> str:
        return json.dumps(self.event_pattern(name_prefix, names))

    @property
    def description(self) -> str:
        """The rule description EventBridge shows (at most 512 characters)."""
        which = ""
        if self.outcome is DONE:
            which = " (calls that succeeded)"
        elif self.outcome is REFUSED:
            which = " (calls AWS refused)"
        detection = self.detection
        head = f"[{detection.severity.value}] {detection.title}{which}."
        if not self.active_suppressions:
            # A rationale too long for the rule (a user's Sigma description) stays in the alert.
            full = f"{head} {detection.rationale}"
            return full if len(full) <= limits.RULE_DESCRIPTION.value else head
        # What the pattern leaves out comes first, where `terraform plan` shows it with the
        # pattern; the rationale follows if it fits (config.py refuses what cannot fit).
        summaries = "; ".join(s.summary for s in self.active_suppressions)
        suppressed = f"{head} Suppressed: {summaries}."
        full = f"{suppressed} {detection.rationale}"
        return full if len(full) <= limits.RULE_DESCRIPTION.value else suppressed


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = json.loads(json.dumps(value))
    return merged


def _constrained(pattern: Mapping[str, Any], *path: str) -> Any:
    node: Any = pattern.get("detail", {})
    for step in path:
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
    return node


def outcomes_of(detection: Detection) -> tuple[Outcome, ...]:
    """The outcomes a detection's events can have, one rule each."""
    pattern = detection.pattern
    detail_types = pattern.get("detail-type", ())
    if tuple(detail_types) == (CONSOLE_SIGN_IN,):
        login = _constrained(pattern, "responseElements", "ConsoleLogin")
        if login is None:
            return (SIGNED_IN, SIGN_IN_REFUSED)
        # The detection is about that outcome alone: its title says so already.
        only = SIGNED_IN if tuple(login) == ("Success",) else SIGN_IN_REFUSED
        return (Outcome("", "", only.line),)
    could_be_api_call = API_CALL in detail_types or any(
        isinstance(t, Mapping) and "anything-but" in t for t in detail_types
    )
    if not could_be_api_call:
        return (NO_OUTCOME,)
    if _constrained(pattern, "errorCode") is not None:
        # The pattern matches failed calls only (unauthorized_api_calls): one rule, one wording.
        return (Outcome("", REFUSED.title_prefix, REFUSED.line),)
    return (DONE, REFUSED)


def rule_variants(
    detection: Detection, suppressions: tuple[Suppression, ...] = ()
) -> tuple[RuleVariant, ...]:
    """One rule per outcome, each narrowed by the suppressions that apply to the detection."""
    mine = tuple(s for s in suppressions if s.applies_to(detection.id))
    return tuple(RuleVariant(detection, outcome, mine) for outcome in outcomes_of(detection))


def detection_id_of(rule_id: str) -> str:
    """The detection a rule id belongs to."""
    return rule_id.removesuffix(FAILED_SUFFIX)
