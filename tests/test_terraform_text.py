"""Configured text reaches the Terraform JSON literal: Terraform evaluates ${ and %{ in every
string (models.terraform), so a suppression's reason holding ${file("...")} would read a file of
the deploying machine. First the model on HashiCorp's documented examples, then every string the
configuration takes, carrying both sequences, either refused or found literal in the output."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from config import ConfigError, parse_config
from models import terraform
from tests.conftest import synthesize_to

# ---- the model, on the documented examples ----
# https://developer.hashicorp.com/terraform/language/expressions/strings


def test_an_interpolation_is_an_expression_between_literal_text():
    assert terraform.parse("Hello, ${var.name}!") == [
        terraform.Part("literal", "Hello, "),
        terraform.Part("interpolation", "var.name"),
        terraform.Part("literal", "!"),
    ]


def test_a_directive_is_a_sequence_of_its_own():
    kinds = [
        p.kind
        for p in terraform.parse(
            'Hello, %{ if var.name != "" }${var.name}%{ else }unnamed%{ endif }!'
        )
    ]
    assert kinds == [
        "literal",
        "directive",
        "interpolation",
        "directive",
        "literal",
        "directive",
        "literal",
    ]


def test_doubling_the_leading_character_makes_a_sequence_literal():
    # "$${ Literal ${, without beginning an interpolation sequence." / "%%{ Literal %{ ...".
    assert terraform.parse("$${x} and %%{y}") == [terraform.Part("literal", "${x} and %{y}")]
    assert terraform.unexpected("$${file(x)} %%{ if true }") == []


@pytest.mark.parametrize(
    "text",
    [
        '${file("/etc/hostname")}',
        "%{ if true }x%{ endif }",
        "$${x}",
        "$$${x}",
        "a$$b%%c",
        "}{$%",
        "",
    ],
)
def test_literal_text_reads_back_as_itself(text):
    escaped = terraform.literal(text)
    assert terraform.unexpected(escaped) == []
    assert terraform.evaluate(escaped, lambda e: pytest.fail(f"interpolated {e}")) == text


def test_references_survive_and_placeholders_cannot_come_from_configured_text():
    key = terraform.placeholder("keyId")
    document = terraform.literal_json({"a": [key, "${x}"]}, {key: "${aws_kms_key.k.key_id}"})
    assert document == '{"a": ["${aws_kms_key.k.key_id}", "$${x}"]}'
    with pytest.raises(ValueError, match="not a placeholder"):
        terraform.literal("x", {"{keyId}": "${aws_kms_key.k.key_id}"})
    with pytest.raises(ConfigError, match="control characters"):
        parse_config({"namePrefix": "a\x00keyId\x00"}, {})


def test_unexpected_names_what_is_not_one_of_our_references():
    assert terraform.unexpected("arn:${data.aws_caller_identity.a.account_id}:x") == []
    assert terraform.unexpected('${toset(["a@example.com", "$${x}"])}') == []
    assert terraform.unexpected('${toset(["${x}"])}') == ['${toset(["${x}"])}']
    assert terraform.unexpected("${CI_BUDGET}") == ["${CI_BUDGET}"]
    assert terraform.unexpected('${file("x")}') == ['${file("x")}']
    assert terraform.unexpected("%{ if x }") == ["%{if x}"]


# ---- every configured string ----

TODAY = date(2026, 12, 1)
EXPIRES = "2027-06-01"
SLACK = {"type": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCDE"}
TEAMS = {
    "type": "teams",
    "teamId": "0a1b2c3d-1111-2222-3333-444455556666",
    "channelId": "19%3ab1c2d3e4f5a6%40thread.tacv2",
    "tenantId": "9f8e7d6c-1111-2222-3333-444455556666",
    "minimumSeverity": "high",
}
# A configuration using every key, every kind of subscription and suppression field.
EVERY_KEY = {
    "homeRegion": "ap-northeast-1",
    "monitoredRegions": ["ap-northeast-1", "us-east-1"],
    "notificationEmails": ["secops@example.com"],
    "subscriptions": [
        {"protocol": "https", "endpoint": "https://hooks.example.com/alerts"},
        {"protocol": "email-json", "endpoint": "siem@example.com"},
        {"protocol": "sqs", "endpoint": "arn:aws:sqs:ap-northeast-1:111122223333:soc"},
        {"protocol": "lambda", "endpoint": "arn:aws:lambda:us-east-1:111122223333:function:pager"},
    ],
    "namePrefix": "api-alerts",
    "tags": {"Owner": "secops"},
    "detectionGroups": ["original", "cis", "self", "attack"],
    "trustedAccounts": ["444455556666"],
    "athenaTable": {"database": "security_alerts"},
    "delivery": "per-region",
    "alertEngines": ["eventbridge", "metric-filters"],
    "kmsKey": True,
    "logArchiveAfterDays": 90,
    "logRetentionDays": 365,
    "objectLock": {"mode": "GOVERNANCE", "days": 7},
    "preventDestroy": True,
    "stateBackend": {
        "type": "s3",
        "bucket": "acme-tf-state",
        "keyPrefix": "security/alerts",
        "region": "eu-west-1",
        "lockfile": True,
    },
    "suppressions": [
        {
            "detections": ["access_key_created"],
            "principals": ["arn:aws:iam::*:role/ci-deployer"],
            "accounts": ["111122223333"],
            "sourceIps": ["203.0.113.10"],
            "invokedBy": ["cloudformation.amazonaws.com"],
            "userAgents": ["*Terraform/*"],
            "reason": "CI pipeline",
            "expires": EXPIRES,
        }
    ],
    "organization": {
        "securityAccount": "111122223333",
        "organizationId": "o-a1b2c3d4e5",
        "organizationalUnits": ["ou-ab12-11111111"],
        "accounts": {"444455556666": "payments-prod"},
        "memberTrails": "organization",
        "management": {
            "roleArn": "arn:aws:iam::999988887777:role/api-alerts-deployer",
            "protectForwarding": True,
        },
    },
    "chat": [SLACK, TEAMS],
}
# What carries no text of the user's into Terraform: read by the operator commands only.
NOT_IN_TERRAFORM = {"organization.accounts.444455556666"}


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, container-and-key) for every string value, tag names included."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, str):
                yield where, (node, key)
            else:
                yield from _strings(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield f"{path}[{i}]", (node, i)
            else:
                yield from _strings(value, f"{path}[{i}]")


def _candidates(value: str, marker: str) -> list[str]:
    """Ways to carry the marker in this value that could still be valid."""
    found = [value + marker, marker + value]
    if "@" in value and "://" not in value:
        local, domain = value.split("@", 1)
        found.append(f"{local}{marker}@{domain}")
    if value.startswith("https://"):
        found.append(value + "/" + marker)
    return found


def _parse(context: dict) -> Any:
    return parse_config(context, {}, today=TODAY)


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """(accepted: path -> marker, refused: paths, synthesized stacks of them all at once)."""
    _parse(EVERY_KEY)  # the base itself is valid
    accepted: dict[str, str] = {}
    refused: list[str] = []
    combined = copy.deepcopy(EVERY_KEY)
    for number, (path, _) in enumerate(_strings(EVERY_KEY)):
        marker = f"${{T{number}}}%{{T{number}}}"
        for candidate in _candidates(_value_at(EVERY_KEY, path), marker):
            context = copy.deepcopy(EVERY_KEY)
            _set_at(context, path, candidate)
            try:
                _parse(context)
            except ConfigError:
                continue
            accepted[path] = marker
            _set_at(combined, path, candidate)
            break
        else:
            refused.append(path)
    stacks = synthesize_to(_parse(combined), tmp_path_factory.mktemp("walk") / "cdktf.out")
    return accepted, refused, stacks


def _value_at(context: dict, path: str) -> str:
    found = dict(_strings(context))[path]
    container, key = found
    return container[key]


def _set_at(context: dict, path: str, value: str) -> None:
    container, key = dict(_strings(context))[path]
    container[key] = value


def _evaluated(stacks) -> list[str]:
    """Every string of the output as AWS receives it: templates evaluated, references left."""

    def resolve(expression: str) -> str:
        elements = terraform.set_elements(expression)
        return json.dumps(elements) if elements is not None else "${" + expression + "}"

    found = []
    for stack in stacks.values():
        for key, value in stack.document.items():
            for _, text in terraform.strings_in(value):
                found.append(text if key == "terraform" else terraform.evaluate(text, resolve))
    return found


def test_every_string_is_refused_or_written_literal(walk):
    accepted, refused, stacks = walk
    # Synthesis itself refuses an output with an unexpected sequence (models.limits), so
    # reaching here means nothing of the user's is evaluated; each accepted string must also
    # arrive as exactly what was configured.
    texts = "\n".join(_evaluated(stacks))
    missing = [p for p, m in accepted.items() if m not in texts and p not in NOT_IN_TERRAFORM]
    assert missing == []
    assert len(accepted) + len(refused) == len(list(_strings(EVERY_KEY)))


def test_the_free_text_strings_take_both_sequences(walk):
    accepted, _, _ = walk
    # An https URL may not hold { or } (RFC 3986): refused, like the ids and names.
    assert "subscriptions[0].endpoint" not in accepted
    for path in (
        "notificationEmails[0]",
        "subscriptions[1].endpoint",
        "suppressions[0].reason",
        "suppressions[0].userAgents[0]",
        "stateBackend.keyPrefix",
    ):
        assert path in accepted, path


@pytest.mark.parametrize("path", ["suppressions[0].reason", "suppressions[0].userAgents[0]"])
def test_a_suppression_reaches_the_plan_escaped(walk, path):
    accepted, _, stacks = walk
    marker = accepted[path]
    escaped = terraform.literal(marker)
    raw = json.dumps({name: stack.document for name, stack in stacks.items()})
    assert json.dumps(escaped)[1:-1] in raw
    assert json.dumps(marker)[1:-1] not in raw.replace(json.dumps(escaped)[1:-1], "")


def test_the_backend_block_is_literal_as_terraform_reads_it(walk):
    accepted, _, stacks = walk
    marker = accepted["stateBackend.keyPrefix"]
    keys = [s.document["terraform"]["backend"]["s3"]["key"] for s in stacks.values()]
    # "all setting values are taken literally" in the terraform block (JSON syntax page).
    assert all(marker in key for key in keys)


def test_tag_names_and_values_cannot_carry_a_sequence():
    for tags in ({"Owner${x}": "a"}, {"Owner": "%{ if }"}, {"Owner": "${x}"}):
        with pytest.raises(ConfigError, match=r"tag (names|values) may hold"):
            _parse({**EVERY_KEY, "tags": tags})


# A user's Sigma rule (sigmaRules) is configured text too: its title, description and values.
TEMPLATED_RULE = """\
title: Login profile ${file("/etc/hostname")} deleted %{ if true }x%{ endif }
name: templated_rule
description: Written by ${var.someone} %{ for x in y }
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource|cased: iam.amazonaws.com
        eventName|cased: DeleteLoginProfile
        userAgent|cased: '${x}%{y}'
    condition: selection
level: high
api_alerts:
    alert_fields:
        'Name ${x} %{y}': requestParameters.userName
"""
# The same as SigmaHQ writes it, eventSource without |cased: EventBridge then compares the
# source ignoring case, which central delivery's and organization mode's forwarding split by;
# CloudWatch Logs has no ignore-case form, so it is skipped there.
UNCASED_RULE = TEMPLATED_RULE.replace("eventSource|cased", "eventSource").replace(
    "name: templated_rule", "name: templated_rule_uncased"
)


@pytest.mark.parametrize(
    "changes",
    [{}, {"organization": None, "delivery": "central"}],
    ids=["organization", "central delivery"],
)
def test_a_users_sigma_rule_reaches_terraform_literal_everywhere(tmp_path, changes):
    (tmp_path / "rule.yml").write_text(TEMPLATED_RULE)
    (tmp_path / "uncased.yml").write_text(UNCASED_RULE)
    rules = [
        str(tmp_path / "rule.yml"),
        {"path": str(tmp_path / "uncased.yml"), "skipRefused": True},
    ]
    context = {**copy.deepcopy(EVERY_KEY), **changes, "sigmaRules": rules}
    settings = parse_config(context, {}, today=TODAY)
    assert {d.id for d in settings.sigma_rules} == {"templated_rule", "templated_rule_uncased"}
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    found = set()
    for stack in stacks.values():
        for where, text in terraform.strings_in(stack.document):
            assert terraform.unexpected(text) == [], (where, text)
            value = terraform.evaluate(text, lambda expression: "REF")
            found |= {part for part in ("${file(", "%{ if true }", "${x}%{y}") if part in value}
    assert found == {"${file(", "%{ if true }", "${x}%{y}"}
    labels = [
        terraform.evaluate(text, lambda expression: "REF")
        for stack in stacks.values()
        for _, text in terraform.strings_in(stack.document)
    ]
    assert any("Name ${x} %{y}: <fieldNameXY>" in label for label in labels)
