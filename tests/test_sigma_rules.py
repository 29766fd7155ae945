"""Sigma rule files: the catalog's, one per detection with its events, and a user's own
(sigmaRules), which join the same pipeline: placement by where AWS delivers the event, outcome
variants, messages, suppressions by the rule's name, both engines, the limits; a rule an engine
cannot run exactly is one error line, exit 2, nothing written, unless skipped and reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from config import ConfigError, parse_config
from constructs_lib.detections import rule_files
from constructs_lib.detections.catalog import CATALOG, Delivery
from constructs_lib.detections.rule_files import rule_events, rules_with_events
from constructs_lib.eventbridge.detection_rule import rule_state
from constructs_lib.eventbridge.forwarding_patterns import (
    BY_NAMES,
    BY_TYPES,
    EXACT,
    compact,
    forwarding_rules,
)
from models import limits
from models.cloudwatch_logs_filters import matches as filter_matches
from tests.cloudtrail import arrays_crushed, envelope
from tests.conftest import TEST_CONTEXT, synthesize_to
from tests.synthesized import receives
from tests.test_config import _run_main

PROJECT = Path(__file__).resolve().parent.parent

# A user's rules: one IAM call (delivered in us-east-1 only), one EC2 call (in its region).
IAM_RULE = """\
title: Login profile deleted
id: 2f0d3c8e-5b1a-4c7e-9f00-000000000001
status: experimental
description: A user's console password was removed.
author: a user
date: 2026-12-01
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource|cased: iam.amazonaws.com
        eventName|cased: DeleteLoginProfile
    condition: selection
fields:
    - requestParameters.userName
level: high
"""
EC2_RULE = """\
title: EBS encryption by default disabled
id: 2f0d3c8e-5b1a-4c7e-9f00-000000000002
name: ebs_default_encryption_disabled
status: experimental
description: New volumes in this region are no longer encrypted unless asked.
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource|cased: ec2.amazonaws.com
        eventName|cased: DisableEbsEncryptionByDefault
    condition: selection
level: medium
"""
# Sigma matches case-insensitively: EventBridge's wildcard cannot (sigma_backend's docstring).
REFUSED_RULE = """\
title: S3 Browser used
id: 2f0d3c8e-5b1a-4c7e-9f00-000000000003
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        userAgent|contains: S3 Browser
    condition: selection
level: medium
"""


def call(source: str, name: str, region: str, **fields) -> dict:
    return {
        "eventVersion": "1.09",
        "eventTime": "2026-12-01T00:00:00Z",
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2.15.0",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": {},
        **fields,
    }


@pytest.fixture(scope="module")
def rules_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("my-rules")
    (folder / "login_profile_deleted.yml").write_text(IAM_RULE)
    (folder / "ebs.yml").write_text(EC2_RULE)
    return folder


# ---- the catalog ----


def test_every_detection_is_a_rule_file_with_its_events():
    files = {p.name.removesuffix(".yml") for p in rule_files.rule_paths(rule_files.CATALOG_RULES)}
    assert files == {d.id for d in CATALOG} == set(rules_with_events())
    for path in rule_files.rule_paths(rule_files.CATALOG_RULES):
        text = path.read_text(encoding="utf-8")
        name = path.name.removesuffix(".yml")
        assert f"\nname: {name}\n" in text
        assert f"\nid: {rule_files.rule_id(name)}\n" in text  # stable: uuid5 of the name
        assert uuid.UUID(rule_files.rule_id(name)).version == 5
        events = rule_events(name)
        assert events["fires"] and events["silent"], name


def test_the_catalog_rules_tags_give_each_detection_its_attack_pairs_groups_and_standards():
    iam = next(d for d in CATALOG if d.id == "iam_policy_changes")
    assert iam.attack == ("TA0003:T1098.003", "TA0004:T1098.003")
    assert iam.groups == {"original", "cis"} and iam.standards == ("CIS CloudWatch.4",)
    layer = next(d for d in CATALOG if d.id == "lambda_layer_attached_by_person")
    assert layer.attack == ("TA0003:T1098", "TA0002:T1648")


def test_an_unchanged_catalog_loads_without_importing_pysigma(tmp_path):
    probe = (
        "import sys; sys.path.insert(0, '.'); import constructs_lib.detections.catalog as c; "
        "print(len(c.CATALOG), 'sigma' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe], cwd=PROJECT, env=env, capture_output=True, text=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [[str(len(CATALOG)), "True"], [str(len(CATALOG)), "False"]]
    assert len(list(tmp_path.glob("api-call-alerts/sigma-*.json"))) == 1


# ---- a user's rules ----


def test_a_users_rule_folder_adds_rules_where_aws_delivers_their_events(rules_folder, tmp_path):
    context = {**TEST_CONTEXT, "sigmaRules": [str(rules_folder)]}
    settings = parse_config(context, {})
    mine = {d.id: d for d in settings.sigma_rules}
    # No name: the file's; IAM delivers in us-east-1 only, EC2 in each region.
    assert mine["login_profile_deleted"].delivery is Delivery.GLOBAL
    assert mine["ebs_default_encryption_disabled"].delivery is Delivery.REGIONAL
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    iam = envelope(call("iam", "DeleteLoginProfile", "us-east-1"))
    assert [s for s in stacks if "login_profile_deleted" in stacks[s].firing_detections(iam)] == [
        "us-east-1"
    ]
    for region in settings.monitored_regions:
        ec2 = envelope(call("ec2", "DisableEbsEncryptionByDefault", region))
        fired = [
            s
            for s in stacks
            if "ebs_default_encryption_disabled" in stacks[s].firing_detections(ec2)
        ]
        assert fired == [region]
        near_miss = envelope(call("ec2", "EnableEbsEncryptionByDefault", region))
        assert not any(stacks[s].firing_detections(near_miss) for s in stacks)
    # One rule per outcome, as the catalog's; the message shows the rule's fields.
    us = stacks["us-east-1"].resources("aws_cloudwatch_event_rule")
    assert {"login_profile_deleted", "login_profile_deleted_failed"} <= set(us)
    refused = envelope(call("iam", "DeleteLoginProfile", "us-east-1", errorCode="AccessDenied"))
    assert stacks["us-east-1"].firing_rules(refused) == ["login_profile_deleted_failed"]
    (target, *_) = stacks["us-east-1"].targets_of("login_profile_deleted")
    assert "$.detail.requestParameters.userName" in json.dumps(target["input_transformer"])


def test_a_users_rule_runs_in_both_engines_and_takes_suppressions_by_name(rules_folder):
    context = {
        **TEST_CONTEXT,
        "alertEngines": ["eventbridge", "metric-filters"],
        "sigmaRules": [str(rules_folder / "ebs.yml")],
        "suppressions": [
            {
                "detections": ["ebs_default_encryption_disabled"],
                "principals": ["arn:aws:iam::111122223333:role/ci-*"],
                "reason": "CI pipeline",
                "expires": "2027-06-01",
            }
        ],
    }
    settings = parse_config(context, {}, today=__import__("datetime").date(2026, 12, 1))
    (rule,) = settings.sigma_rules
    assert rule in settings.metric_filter_detections and rule in settings.eventbridge_detections
    counted = call("ec2", "DisableEbsEncryptionByDefault", "eu-west-1")
    assert filter_matches(rule.metric_filter("api-alerts").pattern, counted)
    assert not filter_matches(
        rule.metric_filter("api-alerts").pattern,
        call("ec2", "EnableEbsEncryptionByDefault", "eu-west-1"),
    )
    assert settings.suppressions[0].applies_to("ebs_default_encryption_disabled")
    assert "2 to EventBridge" not in settings.compiled_summary
    assert "(1 of sigmaRules)" in settings.compiled_summary


def test_a_rule_an_engine_refuses_is_one_line_exit_2_and_nothing_written(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "browser.yml").write_text(REFUSED_RULE)
    result = _run_main(tmp_path, {"sigmaRules": ["rules"]})
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith('configuration error: sigmaRules[0] = "')
    assert "browser.yml" in line and "userAgent|contains 'S3 Browser'" in line
    assert "not compiled to EventBridge" in line
    assert not (tmp_path / "cdktf.out").exists()


def test_a_skipped_rule_is_reported_and_the_others_synthesized(tmp_path, rules_folder):
    (tmp_path / "browser.yml").write_text(REFUSED_RULE)
    (tmp_path / "ebs.yml").write_text(EC2_RULE)
    result = _run_main(
        tmp_path,
        {
            "notificationEmails": ["secops@example.com"],
            "sigmaRules": [{"path": ".", "skipRefused": True}],
        },
    )
    assert result.returncode == 0, result.stderr
    assert (
        "note: sigmaRules: " in result.stderr
        and "browser.yml: skipped for EventBridge" in result.stderr
    )
    assert "Sigma rules compiled: " in result.stdout and "1 skipped" in result.stdout
    written = (tmp_path / "cdktf.out" / "stacks" / "ap-northeast-1" / "cdk.tf.json").read_text()
    assert "ebs_default_encryption_disabled" in written and "s3_browser" not in written


@pytest.mark.parametrize(
    ("entry", "files", "message"),
    [
        ("missing", {}, "no such file or folder"),
        ("empty", {"empty/readme.txt": "x"}, "no Sigma rules (*.yml) there"),
        (
            "taken.yml",
            {
                "taken.yml": EC2_RULE.replace(
                    "ebs_default_encryption_disabled", "cloudtrail_changes"
                )
            },
            "is taken",
        ),
        ("bad.yml", {"bad.yml": "title: x\n"}, "not a Sigma rule"),
        ("broken.yml", {"broken.yml": "title: x\n  bad: [\n"}, "not YAML: "),
        ("README.md", {"README.md": "# Rules\n\nSee: the docs: here\n"}, "not YAML: "),
        (
            "name.yml",
            {"name.yml": EC2_RULE.replace("name: ebs_default", "name: Ebs-default")},
            "lower-case letters",
        ),
    ],
    ids=["missing", "empty-folder", "name-taken", "not-sigma", "not-yaml", "markdown", "bad-name"],
)
def test_bad_entries_are_one_configuration_error_naming_the_key(tmp_path, entry, files, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=r"^sigmaRules\[0\] = ") as error:
        parse_config({"sigmaRules": [entry]}, {}, base=tmp_path)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_shell_override_takes_paths_or_json(tmp_path):
    (tmp_path / "ebs.yml").write_text(EC2_RULE)
    for raw in ("ebs.yml", '[{"path": "ebs.yml"}]'):
        settings = parse_config({}, {"ALERTS_SIGMA_RULES": raw}, base=tmp_path)
        assert [d.id for d in settings.sigma_rules] == ["ebs_default_encryption_disabled"]


# ---- central delivery and organization mode: forwarded once, exactly ----

# SigmaHQ writes eventSource and eventName without |cased, so EventBridge compares them ignoring
# case: the pattern's source is {"equals-ignore-case": "aws.iam"}, which the forwarding rules
# split events by. (tests/test_terraform_text.py runs a |cased rule through every key.)
UNCASED_RULES = {
    "uncased_user_created.yml": IAM_RULE.replace("|cased", "")
    .replace("DeleteLoginProfile", "CreateUser")
    .replace("title: Login profile deleted", "title: User created\nname: uncased_user_created"),
    "uncased_flow_logs_deleted.yml": EC2_RULE.replace("|cased", "")
    .replace("DisableEbsEncryptionByDefault", "DeleteFlowLogs")
    .replace("ebs_default_encryption_disabled", "uncased_flow_logs_deleted"),
    # A rule naming no source: forwarded by every forwarding rule's share of the sources.
    "any_source_key_deleted.yml": IAM_RULE.replace(
        "        eventSource|cased: iam.amazonaws.com\n", ""
    )
    .replace("eventName|cased: DeleteLoginProfile", "eventName: ScheduleKeyDeletion")
    .replace("title: Login profile deleted", "title: Key deleted\nname: any_source_key_deleted"),
}
ORG_REGIONS = ["ap-northeast-1", "us-east-1", "eu-west-1"]


@pytest.fixture(scope="module")
def uncased_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("uncased-rules")
    for name, text in UNCASED_RULES.items():
        (folder / name).write_text(text)
    return folder


def _forwarded_events(settings, region: str) -> list[dict]:
    """The catalog's fixture events and the rules' calls, as AWS sends them, in other cases in
    the record, and with the envelope's source in another case (put on the bus by a program:
    nothing AWS documents keeps AWS.IAM off a bus), all in ``region``."""
    records = [
        record
        for detection in settings.detections
        if detection.id in {d.id for d in CATALOG}
        for records in rule_events(detection.id).values()
        for record in records
    ]
    for source, name in [
        ("iam", "CreateUser"),
        ("ec2", "DeleteFlowLogs"),
        ("kms", "ScheduleKeyDeletion"),
        ("iam", "DeleteUser"),
    ]:
        records += [call(source, name, region), call(source, name.lower(), region)]
        records.append(
            {**call(source, name, region), "eventSource": f"{source.upper()}.amazonaws.com"}
        )
    events = [{**envelope(r), "region": region} for r in records]
    return events + [
        {**e, "source": e["source"].upper()} for e in events if e["source"].startswith("aws.")
    ]


def _check_split(rules: list[tuple[str, dict]], detections, events) -> int:
    """Every event is forwarded by at most one rule, and by one if a detection matches it;
    returns how many were forwarded."""
    patterns = [(state, EventPattern.load(json.dumps(p))) for state, p in rules]
    wanted = [
        (rule_state(d), EventPattern.load(d.event_pattern_json("api-alerts"))) for d in detections
    ]
    sent = 0
    for event in events:
        crushed = arrays_crushed(event)
        matched = sum(receives(s, event) and p.matches_event(crushed) for s, p in patterns)
        should = any(receives(s, event) and d.matches_event(crushed) for s, d in wanted)
        assert matched <= 1 and matched >= should, (event["source"], event["detail"]["eventName"])
        sent += matched
    return sent


def test_uncased_sources_are_forwarded_once_in_central_delivery(uncased_folder, tmp_path):
    context = {
        **TEST_CONTEXT,
        "monitoredRegions": ORG_REGIONS,
        "delivery": "central",
        "sigmaRules": [str(uncased_folder)],
    }
    settings = parse_config(context, {})
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    home = "ap-northeast-1"
    for region, record in [
        ("us-east-1", call("iam", "CreateUser", "us-east-1")),
        ("eu-west-1", call("ec2", "deleteflowlogs", "eu-west-1")),
        ("eu-west-1", call("kms", "ScheduleKeyDeletion", "eu-west-1")),
    ]:
        event = envelope(record)
        forwards = [r for r in stacks[region].firing_rules(event) if r.startswith("forward_to_")]
        assert len(forwards) == 1, (region, forwards)
        mine = {d.id for d in settings.sigma_rules}
        assert len(mine & set(stacks[home].firing_detections(event, arrives_in=home))) == 1
    for plan in settings.region_plans():
        if not plan.forwarded:
            continue
        events = _forwarded_events(settings, plan.region)
        for broaden in (EXACT, BY_NAMES, BY_TYPES):
            rules = forwarding_rules(plan.forwarded, "api-alerts", broaden)
            assert _check_split(rules, plan.forwarded, events) > 0, plan.region
        # An ignore-case source is owned ignoring case: a source differing only in case is not
        # folded into aws.iam's share, nor forwarded twice.
        patterns = json.dumps(forwarding_rules(plan.forwarded, "api-alerts"))
        assert '"anything-but": {"equals-ignore-case": [' in patterns


def test_uncased_sources_are_forwarded_once_in_organization_mode(uncased_folder, tmp_path):
    from constructs_lib.organization.member_template import forwarded
    from tests.test_organization import ORGANIZATION, _template, member_rules

    context = {
        **TEST_CONTEXT,
        "monitoredRegions": ORG_REGIONS,
        "organization": ORGANIZATION,
        "sigmaRules": [str(uncased_folder)],
    }
    settings = parse_config(context, {})
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    template = _template(stacks)
    for plan in settings.region_plans():
        rules = [
            (r.get("State", "ENABLED"), r["EventPattern"])
            for r in member_rules(template, plan.region)
        ]
        events = _forwarded_events(settings, plan.region)
        assert _check_split(rules, forwarded(plan.local), events) > 0, plan.region
    # The security account's bus rule alerts on the member's call.
    event = envelope(call("iam", "CreateUser", "us-east-1"))
    assert "uncased_user_created" in stacks["us-east-1"].firing_detections(event)


def test_many_uncased_rules_fit_the_forwarding_patterns_and_the_member_template(tmp_path):
    """A folder of many rules (SigmaHQ's overflowed): a source with too many names to list is
    forwarded by its detail-types, rules naming no source by their event names together, and a
    member template too big for CloudFormation by the sources and detail-types alone: more
    events forwarded, each once."""
    from constructs_lib.organization.member_template import (
        MAX_TEMPLATE_BODY,
        TemplateTooLargeError,
        _member_template,
        forwarded,
        member_template,
        template_body,
    )
    from tests.test_organization import ORGANIZATION, member_rules

    for number in range(45):
        names = "".join(f"            - Action{number}Name{k}\n" for k in range(40))
        source = "" if number % 9 == 8 else f"        eventSource: svc{number}.amazonaws.com\n"
        (tmp_path / f"rule_{number}.yml").write_text(
            f"title: Rule {number}\nname: rule_{number}\n"
            "logsource:\n    product: aws\n    service: cloudtrail\n"
            f"detection:\n    selection:\n{source}        eventName:\n{names}"
            "    condition: selection\nlevel: low\n"
        )
    context = {**TEST_CONTEXT, "monitoredRegions": ORG_REGIONS, "sigmaRules": [str(tmp_path)]}
    events = [
        {**envelope(call(f"svc{n}", f"Action{n}Name{k}", "eu-west-1")), "region": "eu-west-1"}
        for n in range(45)
        for k in (0, 39)
    ]
    central = parse_config({**context, "delivery": "central"}, {})
    plan = next(p for p in central.region_plans() if p.region == "eu-west-1")
    for broaden in (EXACT, BY_NAMES, BY_TYPES):
        rules = forwarding_rules(plan.forwarded, "api-alerts", broaden)
        assert all(len(compact(p)) <= limits.EVENT_PATTERN.value for _, p in rules)
        assert _check_split(rules, plan.forwarded, events) == len(events)
    organization = parse_config({**context, "organization": ORGANIZATION}, {})
    by_region = {p.region: p.local for p in organization.region_plans()}
    security_account = ORGANIZATION["securityAccount"]
    with pytest.raises(TemplateTooLargeError):  # exact, and by event names: too big
        _member_template(by_region, "api-alerts", security_account, BY_NAMES)
    template = member_template(
        by_region, name_prefix="api-alerts", security_account=security_account
    )
    assert len(template_body(template).encode()) <= MAX_TEMPLATE_BODY
    plan = next(p for p in organization.region_plans() if p.region == "eu-west-1")
    rules = [
        (r.get("State", "ENABLED"), r["EventPattern"]) for r in member_rules(template, "eu-west-1")
    ]
    assert _check_split(rules, forwarded(plan.local), events) == len(events)


# ---- the alert's fields: EventBridge's input transformer, checked when the rule is loaded ----


def _with_fields(fields: str, name: str = "fielded") -> str:
    """IAM_RULE with these lines in place of its fields."""
    return IAM_RULE.replace("fields:\n    - requestParameters.userName\n", fields).replace(
        "title: Login profile deleted", f"title: Login profile deleted\nname: {name}"
    )


def test_fields_differing_in_case_or_punctuation_show_their_own_values(tmp_path):
    from constructs_lib.chat.chat_message import chat_message
    from constructs_lib.detections.outcomes import rule_variants
    from constructs_lib.eventbridge.alert_message import alert_message
    from models.eventbridge_templates import Rule, fill

    fields = ["userName", "username", "user_name", "user.name"]
    (tmp_path / "rule.yml").write_text(
        _with_fields("fields:\n" + "".join(f"    - requestParameters.{f}\n" for f in fields))
    )
    (rule,) = parse_config({"sigmaRules": [str(tmp_path / "rule.yml")]}, {}).sigma_rules
    values = {"userName": "alice", "username": "bob", "user_name": "carol", "user": {"name": "dan"}}
    event = envelope(call("iam", "DeleteLoginProfile", "us-east-1", requestParameters=values))
    for variant in rule_variants(rule):
        message = alert_message(variant)
        assert len(set(message.input_paths)) == len(message.input_paths.values())
        text = fill(message.input_template, message.input_paths, event, Rule("r", "arn"))
        for field, value in zip(fields, ["alice", "bob", "carol", "dan"], strict=True):
            assert f'"  requestParameters.{field}: {value}"' in text, text
        chat = chat_message(variant)
        chat_text = fill(chat.input_template, chat.input_paths, event, Rule("r", "arn"))
        for field, value in zip(fields, ["alice", "bob", "carol", "dan"], strict=True):
            assert f"*requestParameters.{field}:* {value}" in chat_text


@pytest.mark.parametrize(
    ("field", "step"),
    [
        ("requestParameters.some field", "'some field'"),
        ("requestParameters.tags.aws:cloudformation:stack-name", "'aws:cloudformation:stack-name'"),
        ("requestParameters.items[0]", "'items[0]'"),
        ("requestParameters.*", "'*'"),
        ("requestParameters..name", "''"),
        ("requestParameters.Größe", "'Größe'"),
    ],
    ids=["space", "colon", "bracket", "wildcard", "empty-step", "non-ascii"],
)
def test_a_field_outside_the_input_transformers_path_syntax_is_one_error_line(
    tmp_path, field, step
):
    (tmp_path / "rule.yml").write_text(_with_fields(f"fields:\n    - '{field}'\n"))
    with pytest.raises(ConfigError) as error:
        parse_config({"sigmaRules": [str(tmp_path / "rule.yml")]}, {})
    line = str(error.value)
    assert line.startswith(f'sigmaRules[0] = "{tmp_path / "rule.yml"}": ') and "\n" not in line
    assert f"the alert's field {field!r}" in line and f"the step {step}" in line
    assert "not compiled to EventBridge" in line and "eb-transform-target-input.html" in line


def test_a_field_path_over_256_characters_is_refused_with_the_limit(tmp_path):
    field = "requestParameters." + "a" * 240
    (tmp_path / "rule.yml").write_text(_with_fields(f"fields:\n    - {field}\n"))
    with pytest.raises(
        ConfigError, match="its path: characters in an input path would be 267; AWS takes 256"
    ):
        parse_config({"sigmaRules": [str(tmp_path / "rule.yml")]}, {})


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            "fields:\n" + "".join(f"    - requestParameters.f{i}\n" for i in range(95)),
            ["input paths of one input transformer would be 105; AWS takes 100"],
        ),
        (
            "api_alerts:\n    alert_fields:\n"
            + "".join(f"        {'Label' * 20}{i}: requestParameters.f{i}\n" for i in range(80)),
            ["characters in an input template would be", "AWS takes 8,192"],
        ),
        *(
            (
                f"api_alerts:\n    alert_fields:\n        'Say {c} hi': requestParameters.userName\n",
                ["would not arrive as written", "Say", "<fieldSayHi>"],
            )
            for c in ('"', "\\", "<", ">")
        ),
    ],
    ids=["95-fields", "template-size", "quote", "backslash", "less-than", "greater-than"],
)
def test_an_alert_eventbridge_cannot_take_is_one_line_exit_2_and_nothing_written(
    tmp_path, fields, words
):
    (tmp_path / "rule.yml").write_text(_with_fields(fields))
    result = _run_main(tmp_path, {"sigmaRules": ["rule.yml"]})
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith('configuration error: sigmaRules[0] = "') and "rule.yml" in line
    assert "not compiled to EventBridge: the alert message: " in line
    for word in words:
        assert word in line, line
    if "AWS takes" in line:
        assert "API_InputTransformer.html" in line  # the limit's source (models.limits)
    assert not (tmp_path / "cdktf.out").exists()


def test_an_alert_eventbridge_cannot_take_is_skipped_for_eventbridge_alone(tmp_path):
    many = "fields:\n" + "".join(f"    - requestParameters.f{i}\n" for i in range(95))
    (tmp_path / "rule.yml").write_text(_with_fields(many))
    context = {
        "alertEngines": ["eventbridge", "metric-filters"],
        "sigmaRules": [{"path": str(tmp_path / "rule.yml"), "skipRefused": True}],
    }
    settings = parse_config(context, {})
    (rule,) = settings.sigma_rules
    assert rule in settings.metric_filter_detections
    assert rule not in settings.eventbridge_detections
    (skipped,) = settings.sigma_skipped
    assert "skipped for EventBridge" in skipped and "input paths" in skipped
