"""Every detection judged against the 250 real CloudTrail records, on the synthesized Terraform JSON.

For every record and every detection the oracle (tests/oracle.py) states whether it must fire;
it must then fire in exactly the region AWS delivers the record to, if that region's stack
carries the detection (regional detections: the monitored regions; global: us-east-1), through
an enabled rule with a target. Records whose region is anonymised are judged on pattern only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from moto.events.models import EventPattern

from constructs_lib.catalog import CATALOG
from tests.conftest import CORPUS_REPORT
from tests.oracle import ORACLES, carrying_regions, deciding_fields

RULE = "aws_cloudwatch_event_rule"


def test_every_detection_has_an_oracle():
    assert set(ORACLES) == {d.id for d in CATALOG}


def _fires_anywhere_by_pattern(stacks, event: dict[str, Any]) -> set[str]:
    return {
        name
        for stack in stacks.values()
        for name, rule in stack.resources(RULE).items()
        if EventPattern.load(rule["event_pattern"]).matches_event(event)
    }


def test_corpus(corpus, configured_stacks):
    settings, stacks = configured_stacks
    carrying = {d: carrying_regions(d, settings.monitored_regions) for d in ORACLES}
    mismatches, fired, silent = [], Counter(), Counter()
    for item in corpus:
        event = item.event
        must = {d for d, oracle in ORACLES.items() if oracle(event)}
        if item.region_is_real:
            expected = {(d, event["region"]) for d in must if event["region"] in carrying[d]}
            actual = {
                (rule, stack.name)
                for stack in stacks.values()
                for rule in stack.firing_rules(event)
            }
        else:
            expected = {(d, "any") for d in must}
            actual = {(d, "any") for d in _fires_anywhere_by_pattern(stacks, event)}
        for detection, region in sorted(expected - actual):
            mismatches.append(f"{item.file}: {detection} must fire in {region} but did not")
        for detection, region in sorted(actual - expected):
            mismatches.append(f"{item.file}: {detection} fired in {region} but must not")
        for detection in ORACLES:
            if any(d == detection for d, _ in actual):
                fired[detection] += 1
            else:
                silent[detection] += 1
        if mismatches and mismatches[-1].startswith(item.file):
            mismatches.append(f"    {deciding_fields(event)}")

    CORPUS_REPORT.append(
        f"[{'/'.join(sorted(settings.monitored_regions))}] {len(corpus)} records, "
        f"{len([m for m in mismatches if not m.startswith(' ')])} mismatches"
    )
    for detection in ORACLES:
        CORPUS_REPORT.append(
            f"  {detection:24} fires {fired[detection]:3}  silent {silent[detection]:3}"
        )
    assert not mismatches, "\n".join(mismatches)


def test_corpus_holds_positives_for_every_detection(corpus):
    for detection, oracle in ORACLES.items():
        assert any(oracle(item.event) for item in corpus), detection


def test_corpus_is_whole(corpus):
    assert len(corpus) == 250
    assert sum(not item.region_is_real for item in corpus) >= 1
