"""`make coverage`: detonation logs, one file per technique, replayed against synthesized stacks.

The logs here are built from the hand-written fixtures (each rule file's events,
constructs_lib/detections/rules/<id>.events.json): for each Stratus Red
Team technique a detection claims (its ``stratus`` entries), a file of that detection's positive
records, as many as its threshold needs within one period, each from an anonymised region as
Stratus publishes them. Every claim must then be alerted on by its detection when its group and
engine are deployed, and what is missed must be a documented gap or a group not deployed.
Stratus's own 35 published logs are measured with `make coverage` on a checkout of its
repository; docs/detections.md reports that run (they are not part of this project).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import parse_config
from constructs_lib.detections.attack import NOT_COVERED, STRATUS
from constructs_lib.detections.catalog import CATALOG
from constructs_lib.detections.rule_files import rule_events
from ops import coverage as coverage_command
from ops.coverage import coverage, placed, report
from tests.conftest import CORPUS_REGIONS_CONTEXT, TEST_CONTEXT, synthesize_to

BOTH = ["eventbridge", "metric-filters"]
ANONYMISED = "cn-northsouth-2r"  # a region name as Stratus's published logs have them


def detonations(folder: Path) -> Path:
    """One log per claimed technique, from the claiming detections' positive fixtures."""
    by_technique: dict[str, list[dict]] = {}
    for detection in CATALOG:
        count = detection.threshold.count if detection.threshold else 1
        for technique in detection.stratus:
            for record in rule_events(detection.id)["fires"]:
                for i in range(count):
                    copy = json.loads(json.dumps(record))
                    copy["eventTime"] = f"2026-12-01T10:00:{i:02d}Z"
                    if copy.get("awsRegion") not in ("us-east-1",):
                        region = copy["awsRegion"]
                        copy = json.loads(json.dumps(copy).replace(region, ANONYMISED))
                    by_technique.setdefault(technique, []).append(copy)
    for technique, records in by_technique.items():
        (folder / f"{technique}.json").write_text(json.dumps({"Records": records}))
    return folder


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return detonations(tmp_path_factory.mktemp("detonations"))


@pytest.fixture(scope="module", params=["every group, both engines", "the default groups"])
def replayed(request, logs, tmp_path_factory):
    context = (
        {**CORPUS_REGIONS_CONTEXT, "alertEngines": BOTH}
        if request.param.startswith("every")
        else TEST_CONTEXT
    )
    settings = parse_config(context, {})
    stacks = synthesize_to(settings, tmp_path_factory.mktemp("coverage") / "cdktf.out")
    documents = {name: stack.document for name, stack in stacks.items()}
    return request.param, settings, coverage(settings, documents, logs)


def test_stratus_techniques_are_claimed_or_a_documented_gap():
    claimed = {technique for d in CATALOG for technique in d.stratus}
    assert len(STRATUS) == 44
    assert set(STRATUS) == claimed | set(NOT_COVERED)
    assert not claimed & set(NOT_COVERED) - {"aws.discovery.ec2-download-user-data"}


def test_an_anonymised_region_is_placed_in_the_home_region_a_real_one_is_kept():
    record = {
        "awsRegion": ANONYMISED,
        "tlsDetails": {"clientProvidedHostHeader": f"sts.{ANONYMISED}.amazonaws.com"},
    }
    moved = placed(record, "ap-northeast-1")
    assert moved["awsRegion"] == "ap-northeast-1"
    assert moved["tlsDetails"]["clientProvidedHostHeader"] == "sts.ap-northeast-1.amazonaws.com"
    assert placed({"awsRegion": "eu-west-1"}, "ap-northeast-1") == {"awsRegion": "eu-west-1"}


def test_every_claimed_technique_is_alerted_on_by_its_detection(replayed):
    name, settings, results = replayed
    by_technique = {t.name: t for t in results}
    selected = {d.id for d in settings.detections}
    for detection in CATALOG:
        if detection.id not in selected:
            continue
        # A CIS-mapped detection's metric filter is its control's (cloudwatch_N).
        names = {detection.id}
        if detection.cis_control:
            names.add(detection.cis_control.lower().replace(".", "_"))
        for technique in detection.stratus:
            if technique in by_technique:
                assert names & set(by_technique[technique].alerts), (name, detection.id, technique)


def test_with_every_group_nothing_claimed_is_missed(replayed):
    name, _, results = replayed
    if name.startswith("every"):
        lines = report(results)
        assert lines[-1] == f"{len(results)} of {len(results)} techniques covered, 0 missed"


def test_make_coverage_prints_and_exits_on_an_unexplained_miss(logs, tmp_path, monkeypatch, capsys):
    context = {**TEST_CONTEXT, "detectionGroups": ["attack"], "alertEngines": BOTH}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    monkeypatch.chdir(tmp_path)
    # The attack group alone misses techniques other groups cover: not deliberate gaps.
    assert coverage_command.main([str(logs)], environ={}) == 1
    out = capsys.readouterr().out.splitlines()
    assert any(
        line.startswith("MISSED   aws.defense-evasion.cloudtrail-stop: not a deliberate gap")
        for line in out
    )
    assert any(
        line.startswith("covered  aws.persistence.iam-backdoor-role: iam_role_trust_policy_changed")
        for line in out
    )
    assert any(
        line.startswith(
            "covered  aws.credential-access.secretsmanager-retrieve-secrets: "
            "secrets_read_in_bulk (metric-filters)"
        )
        for line in out
    )
    code = coverage_command.main([str(tmp_path / "missing")], environ={})
    assert code == 2 and "no such folder" in capsys.readouterr().err
