"""Reading synthesized cdk.tf.json the way Terraform will: rules, their targets, their provider's region."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.events.models import EventPattern

from constructs_lib.detections.outcomes import detection_id_of
from tests.cloudtrail import arrays_crushed

RULE = "aws_cloudwatch_event_rule"
TARGET = "aws_cloudwatch_event_target"
TEST_ACCOUNT = "111122223333"
# What Terraform fills in for a region's KMS key, in the tests (the KMS guide's example key id).
TEST_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_REFERENCE = re.compile(r"\$\{aws_kms_key\.[A-Za-z0-9_]+\.(key_id|arn)\}")
# The deploying account's id, as Terraform fills it in from the stack's caller identity.
ACCOUNT_REFERENCE = re.compile(r"\$\{data\.aws_caller_identity\.[A-Za-z0-9_]+\.account_id\}")
# A rule's state, and whether it receives read-only management events: only
# ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does (EventBridge user guide, "Receiving
# read-only management events from AWS services",
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
RECEIVES_READ_ONLY = {"ENABLED": False, "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS": True}


def receives(state: str, event: dict[str, Any]) -> bool:
    """Whether a rule in this state is matched against this event at all."""
    if state not in RECEIVES_READ_ONLY:
        return False  # DISABLED
    read_only = (event.get("detail") or {}).get("readOnly") is True
    return RECEIVES_READ_ONLY[state] or not read_only


def test_key_arn(region: str) -> str:
    return f"arn:aws:kms:{region}:{TEST_ACCOUNT}:key/{TEST_KEY_ID}"


# ---- moto's matcher, the tests' judge, with the work that is the same for every rule done once ----
# moto's EventPattern.matches_event(event) copies the event through JSON, flattens it and matches
# the flat event against the pattern. To judge one event against a stack's hundred-odd rules,
# the event is copied and flattened once (moto_event) and each pattern parsed once per run
# (moto_pattern); moto_matches then does what matches_event does after that, with moto's own
# functions (tests/test_judge.py checks the two agree on every synthesized pattern).


@functools.cache
def moto_pattern(text: str) -> EventPattern:
    return EventPattern.load(text)


def moto_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as matches_event reads it: a JSON copy, flattened."""
    return EventPattern._flatten_dict(json.loads(json.dumps(event)))


def moto_matches(text: str, flat_event: dict[str, Any]) -> bool:
    """EventPattern.load(text).matches_event(event), for flat_event = moto_event(event)."""
    compiled = moto_pattern(text)
    pattern = compiled.get_pattern()
    return not pattern or compiled._does_event_match(flat_event, pattern)


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    document: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return self.document.get("resource", {}).get(resource_type, {})

    def data(self, data_type: str) -> dict[str, dict[str, Any]]:
        return self.document.get("data", {}).get(data_type, {})

    def providers(self) -> dict[str, dict[str, Any]]:
        """Provider blocks by reference, e.g. {"aws.us-east-1": {...}}."""
        blocks = self.document.get("provider", {}).get("aws", [])
        return {f"aws.{block['alias']}" if "alias" in block else "aws": block for block in blocks}

    def region_of(self, block: dict[str, Any]) -> str:
        """The region of the provider a resource or data block is bound to."""
        return self.providers()[block.get("provider", "aws")]["region"]

    def targets_of(self, rule_name: str) -> list[dict[str, Any]]:
        reference = f"${{{RULE}.{rule_name}.name}}"
        return [t for t in self.resources(TARGET).values() if t.get("rule") == reference]

    def pattern_of(self, rule: dict[str, Any]) -> str:
        """The rule's pattern with the Terraform references it holds filled in as in the tests."""
        return _filled(rule["event_pattern"], self.region_of(rule))

    def firing_rules(self, event: dict[str, Any], arrives_in: str | None = None) -> list[str]:
        """Names of the enabled, targeted rules in this stack whose region and pattern match the event.

        An event arrives in its own region, or (``arrives_in``) where another region forwarded it.
        """
        firing = []
        flat = moto_event(arrays_crushed(event))
        targeted = {target.get("rule") for target in self.resources(TARGET).values()}
        providers = self.providers()
        for name, rule in self.resources(RULE).items():
            if not receives(rule.get("state", "ENABLED"), event):
                continue
            if f"${{{RULE}.{name}.name}}" not in targeted:  # targets_of(name) is empty
                continue
            region = providers[rule.get("provider", "aws")]["region"]  # region_of(rule)
            if region != (arrives_in or event["region"]):
                continue
            if moto_matches(_filled(rule["event_pattern"], region), flat):
                firing.append(name)
        return firing

    def firing_detections(self, event: dict[str, Any], arrives_in: str | None = None) -> list[str]:
        """The detections whose rules fire: each at most once, since a detection's rules (one per
        outcome) have complementary patterns."""
        detections = [detection_id_of(rule) for rule in self.firing_rules(event, arrives_in)]
        assert len(detections) == len(set(detections)), f"two outcomes fired: {detections}"
        return detections


@functools.lru_cache(maxsize=4096)
def _filled(pattern: str, region: str) -> str:
    """A pattern's Terraform references filled in as in the tests (SynthesizedStack.pattern_of)."""
    pattern = KEY_REFERENCE.sub(
        lambda m: TEST_KEY_ID if m.group(1) == "key_id" else test_key_arn(region), pattern
    )
    return ACCOUNT_REFERENCE.sub(TEST_ACCOUNT, pattern)


def load_stacks(outdir: Path) -> dict[str, SynthesizedStack]:
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return {
        name: SynthesizedStack(
            name,
            json.loads((outdir / entry["synthesizedStackPath"]).read_text(encoding="utf-8")),
        )
        for name, entry in manifest["stacks"].items()
    }
