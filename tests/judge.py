"""Judging one event against synthesized stacks: what the oracles expect, what the rules do."""

from __future__ import annotations

from typing import Any

from config import MonitorConfig
from constructs_lib.detections.outcomes import detection_id_of
from tests.cloudtrail import arrays_crushed
from tests.oracle import ORACLES, READ_ONLY_DETECTIONS, carrying_regions
from tests.synthesized import RULE, SynthesizedStack, moto_event, moto_matches, receives

Firings = set[tuple[str, str]]  # (detection id, region)


def expected_firings(
    event: dict[str, Any], settings: MonitorConfig, stacks: dict[str, SynthesizedStack]
) -> Firings:
    """Each selected detection whose oracle holds, in the delivery region if a stack there must carry it."""
    selected = {d.id for d in settings.detections}
    region = event["region"]
    return {
        (detection, region)
        for detection, oracle in ORACLES.items()
        if detection in selected
        and delivered(detection, event)
        and oracle(event)
        and region
        in carrying_regions(
            detection, settings.monitored_regions, settings.home_region, deployed=stacks
        )
    }


def delivered(detection: str, event: dict[str, Any]) -> bool:
    """EventBridge delivers read-only management events only to rules in state
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, which only the read-only detections have
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html)."""
    return (
        detection in READ_ONLY_DETECTIONS or (event.get("detail") or {}).get("readOnly") is not True
    )


def actual_firings(event: dict[str, Any], stacks: dict[str, SynthesizedStack]) -> Firings:
    """Each detection with an enabled, targeted rule in the event's region whose pattern matches."""
    return {
        (detection, stack.name)
        for stack in stacks.values()
        for detection in stack.firing_detections(event)
    }


def pattern_matches(event: dict[str, Any], stacks: dict[str, SynthesizedStack]) -> set[str]:
    """Detections with a rule in any stack whose pattern matches, region aside (for anonymised
    regions)."""
    flat = moto_event(arrays_crushed(event))
    return {
        detection_id_of(name)
        for stack in stacks.values()
        for name, rule in stack.resources(RULE).items()
        if receives(rule.get("state", "ENABLED"), event)
        and moto_matches(stack.pattern_of(rule), flat)
    }


def pattern_expectation(event: dict[str, Any], settings: MonitorConfig) -> set[str]:
    selected = {d.id for d in settings.detections}
    return {
        d
        for d, oracle in ORACLES.items()
        if d in selected and delivered(d, event) and oracle(event)
    }
