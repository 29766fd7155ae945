"""The tests' judge (tests/synthesized.py: moto's matcher with each event flattened once for all
rules) says what moto's EventPattern.matches_event says."""

from __future__ import annotations

from moto.events.models import EventPattern

from constructs_lib.detections.rule_files import rule_events, rules_with_events
from tests.cloudtrail import arrays_crushed, envelope
from tests.synthesized import RULE, moto_event, moto_matches


def test_the_judge_matches_as_moto_does(configured_stacks, corpus):
    """Every synthesized pattern against a sample of the corpus and each detection's first event
    that fires and first that stays silent."""
    _, stacks = configured_stacks
    patterns = sorted(
        {
            stack.pattern_of(rule)
            for stack in stacks.values()
            for rule in stack.resources(RULE).values()
        }
    )
    events = [record.event for record in corpus[::10]]
    for detection in rules_with_events():
        events += [envelope(found[0]) for found in rule_events(detection).values() if found]
    matched = 0
    for event in events:
        crushed = arrays_crushed(event)
        flat = moto_event(crushed)
        for text in patterns:
            expected = EventPattern.load(text).matches_event(crushed)
            assert moto_matches(text, flat) == expected, (text, event)
            matched += expected
    assert matched >= len(rules_with_events())  # each detection's event that fires, at least
