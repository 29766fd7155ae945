"""Every detection judged against the 250 real CloudTrail records, on the synthesized Terraform JSON.

For every record and every selected detection the oracle (tests/oracle.py) states whether it must
fire; it must then fire in exactly the region AWS delivers the record to, if that region's stack
must carry the detection (oracle.carrying_regions), through an enabled rule with a target.
Records whose region is anonymised are judged on pattern only.
"""

from __future__ import annotations

from collections import Counter

import pytest

from constructs_lib.detections.catalog import CATALOG, GROUPS, selected
from tests.conftest import CORPUS_REPORT
from tests.judge import actual_firings, expected_firings, pattern_expectation, pattern_matches
from tests.oracle import ORACLES, deciding_fields


def test_every_detection_has_an_oracle():
    assert set(ORACLES) == {d.id for d in CATALOG}


def test_corpus(corpus, configured_stacks):
    settings, stacks = configured_stacks
    assert {d.id for d in settings.detections} == {
        d.id for d in selected(GROUPS, kms_key=settings.kms_key, engines=settings.engines)
    }
    problems, fired, silent = [], Counter(), Counter()
    for item in corpus:
        event = item.event
        if item.region_is_real:
            expected, actual = (
                expected_firings(event, settings, stacks),
                actual_firings(event, stacks),
            )
        else:
            expected = {(d, "any region") for d in pattern_expectation(event, settings)}
            actual = {(d, "any region") for d in pattern_matches(event, stacks)}
        wrong = [f"{d} must fire in {r} but did not" for d, r in sorted(expected - actual)]
        wrong += [f"{d} fired in {r} but must not" for d, r in sorted(actual - expected)]
        if wrong:
            problems.append(f"{item.file}: {'; '.join(wrong)}\n    {deciding_fields(event)}")
        for detection in ORACLES:
            (fired if any(d == detection for d, _ in actual) else silent)[detection] += 1

    CORPUS_REPORT.append(
        f"monitored {'/'.join(settings.monitored_regions)} (+{len(stacks) - len(settings.monitored_regions)}"
        f" more stacks): {len(corpus)} records, {len(problems)} mismatches"
    )
    for detection in ORACLES:
        CORPUS_REPORT.append(
            f"  {detection:32} fires {fired[detection]:3}  silent {silent[detection]:3}"
        )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("configured_stacks", ["corpus_regions"], indirect=True)
def test_real_records_prove_every_cis_control(corpus, configured_stacks):
    """Each CIS CloudWatch.1-14 control has a real record firing a detection mapped to it."""
    _, stacks = configured_stacks
    standards = {d.id: d.standards for d in CATALOG}
    proven = {
        standard
        for item in corpus
        if item.region_is_real
        for rule, _ in actual_firings(item.event, stacks)
        for standard in standards[rule]
    }
    CORPUS_REPORT.append(f"CIS controls with a firing real record: {len(proven)} of 14")
    assert proven == {f"CIS CloudWatch.{n}" for n in range(1, 15)}


def test_corpus_holds_positives_for_the_original_detections(corpus):
    for detection in [d.id for d in CATALOG if "original" in d.groups]:
        assert any(ORACLES[detection](item.event) for item in corpus), detection


def test_corpus_is_whole(corpus):
    assert len(corpus) == 250
    assert sum(not item.region_is_real for item in corpus) >= 1
