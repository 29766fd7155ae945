"""Every alert as EventBridge sends it, judged with the template model, never with our own code.

For hand-written and real CloudTrail records, each firing rule's synthesized input transformer is
filled by models/eventbridge_templates.py, the model tested on AWS's documented examples. What a
person reads must hold: one quoted line per line, no escape sequences, no placeholder left, and
an outcome that matches the record (a refused call says so, in the title too).
"""

from __future__ import annotations

import re

import pytest

from config import parse_config
from constructs_lib.detections.catalog import CATALOG, METRIC_FILTERS
from constructs_lib.detections.outcomes import detection_id_of, rule_variants
from constructs_lib.detections.rule_files import rule_events
from constructs_lib.eventbridge.alert_message import alert_message
from models.eventbridge_templates import Rule, fill
from tests.cloudtrail import envelope
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import TARGET, SynthesizedStack

CONTEXT = {
    **TEST_CONTEXT,
    "monitoredRegions": ["ap-northeast-1", "us-east-1", "us-east-2", "us-west-2", "eu-west-1"],
    "detectionGroups": ALL_GROUPS,
    "kmsKey": True,
}
OUR_PLACEHOLDER = re.compile(r"<(?:aws\.events\.[a-z.-]+|[a-zA-Z0-9]+)>")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[str, SynthesizedStack]:
    settings = parse_config(CONTEXT, {})
    return synthesize_to(settings, tmp_path_factory.mktemp("messages") / "cdktf.out")


def delivered(event: dict, stacks: dict[str, SynthesizedStack]) -> dict[str, list[str]]:
    """Rule id -> the text each of its targets receives for this event, as EventBridge fills it."""
    stack = stacks.get(event["region"])
    if stack is None:
        return {}
    texts = {}
    for rule_id in stack.firing_rules(event):
        rule = stack.resources("aws_cloudwatch_event_rule")[rule_id]
        arn = f"arn:aws:events:{event['region']}:{event['account']}:rule/{rule['name']}"
        texts[rule_id] = [
            fill(
                target["input_transformer"]["input_template"],
                target["input_transformer"]["input_paths"],
                event,
                Rule(name=rule["name"], arn=arn),
            )
            for target in stack.targets_of(rule_id)
        ]
    return texts


def problems(text: str, event: dict, rule_id: str) -> list[str]:
    """What is wrong with one delivered alert, if anything."""
    found = []
    lines = text.split("\n")
    found += [f"not one quoted line: {line!r}" for line in lines if not re.fullmatch('".*"', line)]
    if "\\n" in text or '\\"' in text:
        found.append("an escape sequence a person would see")
    found += [f"placeholder left: {p}" for p in OUR_PLACEHOLDER.findall(text)]
    detail = event["detail"]
    if detail.get("eventType") == "AwsConsoleSignIn" or event["detail-type"].startswith(
        "AWS Console Sign In"
    ):
        outcome = (detail.get("responseElements") or {}).get("ConsoleLogin")
        said = "REFUSED" if "REFUSED, the sign-in failed" in text else "signed in"
        wanted = "REFUSED" if outcome == "Failure" else "signed in"
    elif event["source"].startswith("aws."):
        said = "REFUSED" if "Outcome:  REFUSED" in lines[1] else "done"
        wanted = "REFUSED" if detail.get("errorCode") else "done"
        if wanted == "REFUSED" and f"Refused with {detail['errorCode']}:" not in lines[0]:
            found.append(f"title does not say it was refused: {lines[0]}")
    else:
        said = wanted = "n/a"
    if said != wanted:
        found.append(f"says {said} for a call that was {wanted}")
    if "done (" in text and "REFUSED" in text:
        found.append("claims both outcomes")
    return [f"{rule_id}: {problem}" for problem in found]


def _fixture_events():
    for entry in CATALOG:
        if entry.engine == METRIC_FILTERS:
            continue  # a threshold alerts by its alarm, which CloudWatch words
        for record in rule_events(entry.id)["fires"]:
            yield entry.id, envelope(record)


def test_no_input_path_uses_bracket_notation(stacks):
    for entry in CATALOG:
        for variant in rule_variants(entry):
            paths = alert_message(variant).input_paths.values()
            assert not any("[" in path or "]" in path for path in paths), variant.id
    for stack in stacks.values():
        for target in stack.resources(TARGET).values():
            for path in target.get("input_transformer", {}).get("input_paths", {}).values():
                assert "[" not in path and "]" not in path, path


@pytest.mark.parametrize(("detection_id", "event"), list(_fixture_events()))
def test_fixture_alerts_read_as_written_and_state_the_outcome(stacks, detection_id, event):
    texts = delivered(event, stacks)
    assert detection_id in {detection_id_of(rule) for rule in texts}
    for rule_id, rule_texts in texts.items():
        for text in rule_texts:
            assert not problems(text, event, rule_id), text


def test_corpus_alerts_read_as_written_and_state_the_outcome(stacks, corpus):
    found, alerts = [], 0
    for item in corpus:
        if not item.region_is_real:
            continue
        for rule_id, texts in delivered(item.event, stacks).items():
            for text in texts:
                alerts += 1
                found += [f"{item.file} {p}" for p in problems(text, item.event, rule_id)]
    assert not found, "\n".join(found)
    assert alerts > 100


def _corpus_alert(corpus, stacks, file: str, rule_id: str) -> list[str]:
    (item,) = [item for item in corpus if item.file == file]
    (text,) = delivered(item.event, stacks)[rule_id]
    return text.split("\n")


def test_a_denied_stop_logging_says_it_was_refused(stacks):
    (record,) = [
        r
        for r in rule_events("cloudtrail_changes")["fires"]
        if r["eventName"] == "StopLogging" and r.get("errorCode") == "AccessDenied"
    ]
    event = envelope(record)
    (text,) = delivered(event, stacks)["cloudtrail_changes_failed"]
    lines = text.split("\n")
    assert lines[0] == (
        '"[CRITICAL] Refused with AccessDenied: '
        'CloudTrail logging stopped, trail deleted or updated"'
    )
    assert lines[1].startswith('"Outcome:  REFUSED, not carried out. AccessDenied: User: ')
    assert "cloudtrail_changes" not in delivered(event, stacks), "never also as done"


def test_named_corpus_alerts(stacks, corpus):
    root = _corpus_alert(corpus, stacks, "ConsoleLogin__awsdocs-ct__2.json", "root_console_sign_in")
    assert root[:2] == [
        '"[CRITICAL] Root user signed in to the console"',
        '"Outcome:  signed in (ConsoleLogin: Success)"',
    ]
    failed_root = _corpus_alert(
        corpus, stacks, "ConsoleLogin__awsdocs-ct__3.json", "console_authentication_failures"
    )
    assert failed_root[0] == '"[MEDIUM] Console sign-in failed"'
    assert failed_root[1].startswith('"Outcome:  REFUSED, the sign-in failed')
    policy = _corpus_alert(
        corpus, stacks, "AttachRolePolicy__invictus__1.json", "iam_policy_changes"
    )
    assert '"  Policy: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"' in policy
    group = _corpus_alert(
        corpus, stacks, "AuthorizeSecurityGroupIngress__invictus__1.json", "security_group_changes"
    )
    assert group[:2] == [
        '"[HIGH] Security group rule changed"',
        '"Outcome:  done (AWS returned no error code)"',
    ]
    (rules,) = [line for line in group if line.startswith('"  Rules: ')]
    assert '"ipProtocol":"' in rules and '"fromPort":' in rules  # the whole list, minified
