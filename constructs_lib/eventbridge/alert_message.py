"""The message a person reads: one input transformer per rule, built from its catalog entry.

EventBridge sends a string template as its text, quotes included, and fills placeholders without
escaping or decoding anything (aws/aws-cdk#38121, hashicorp/terraform-provider-aws#43253; the
model in models/eventbridge_templates.py). So the template is one quoted line per line, as AWS
CDK's ``RuleTargetInput.fromMultilineText`` emits: each line of the e-mail is a line of text
between two quotes, real line breaks between them, and every placeholder inside quotes, where
EventBridge inserts a value's text as it is. Static text holds no character JSON would escape,
so a line arrives exactly as written here. docs/alerts.md weighs this against the alternatives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from constructs_lib.detections.catalog import Detection
from constructs_lib.detections.outcomes import RuleVariant
from models import limits

# Variable -> path, for every CloudTrail alert. Dot notation only: the InputTransformer API
# reference forbids bracket notation ("You must use JSON dot notation, not bracket notation"),
# which the user guide allows; we use the form both accept.
CLOUDTRAIL_FIELDS = {
    "principalType": "$.detail.userIdentity.type",
    "principalArn": "$.detail.userIdentity.arn",
    "eventName": "$.detail.eventName",
    "eventSource": "$.detail.eventSource",
    "account": "$.account",
    "region": "$.region",
    "eventTime": "$.detail.eventTime",
    "sourceIp": "$.detail.sourceIPAddress",
    "userAgent": "$.detail.userAgent",
    "errorCode": "$.detail.errorCode",
    "errorMessage": "$.detail.errorMessage",
    "eventId": "$.detail.eventID",
}
# Events of our own (the self-test) carry no CloudTrail record.
EVENT_FIELDS = {"account": "$.account", "region": "$.region", "time": "$.time"}

# CloudFormation's InputPathsMap key pattern, stricter than the API's [A-Za-z0-9_-]+: both accept.
VARIABLE = re.compile(r"[a-zA-Z0-9]+")
PLACEHOLDER = re.compile(r"<([^<>]*)>")
# Characters JSON escapes inside a string, which EventBridge would then deliver escaped.
ESCAPED = re.compile(r'["\\\x00-\x1f]')


@dataclass(frozen=True)
class AlertMessage:
    input_paths: dict[str, str]
    input_template: str  # one JSON string literal per line


def _variable(label: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", label)
    return "field" + "".join(word.capitalize() for word in words)


def field_placeholders(
    detection: Detection, skip: frozenset[str] = frozenset()
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The detection's key request parameters: (label, its placeholders) per field, and the
    variables' paths; the paths in ``skip`` are left out (a field left with none goes)."""
    fields, paths = [], {}
    for label, field_paths in detection.alert_fields.items():
        if isinstance(field_paths, str):
            field_paths = (field_paths,)
        kept = [path for path in field_paths if path not in skip]
        if not kept:
            continue
        variable = _variable(label)
        names = [f"{variable}{n}" if len(kept) > 1 else variable for n in range(len(kept))]
        paths |= dict(zip(names, kept, strict=True))
        fields.append((label, "".join(f"<{name}>" for name in names)))
    return fields, paths


def message_lines(
    variant: RuleVariant, other_accounts: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The alert's lines (with <variable> placeholders) and the variables' paths.

    ``other_accounts`` (organization mode): the record is in the event history of the account
    that made the call, so the console link says which account to sign in to.
    """
    detection: Detection = variant.detection
    outcome = variant.outcome
    title = f"[{detection.severity.value.upper()}] {outcome.title_prefix}{detection.title}"
    fields, extra = field_placeholders(detection)
    field_lines = [f"  {label}: {placeholders}" for label, placeholders in fields]
    if not outcome.line:
        lines = [
            title,
            *(line.strip() for line in field_lines),
            "Where:    account <account>, <region>",
            "When:     <time>",
            f"Why:      {detection.rationale}",
            "Rule:     <aws.events.rule-name>",
        ]
        return lines, {**EVENT_FIELDS, **extra}
    lines = [
        title,
        outcome.line,
        "Who:      <principalType> <principalArn>",
        "What:     <eventName> (<eventSource>)",
        *field_lines,
        "Where:    account <account>, <region>",
        "When:     <eventTime>",
        "From:     <sourceIp>, <userAgent>",
        f"Why:      {detection.rationale}",
        "Rule:     <aws.events.rule-name>",
        ("Record:   in account <account>, " if other_accounts else "Record:   ")
        + "https://<region>.console.aws.amazon.com/cloudtrailv2/home"
        "?region=<region>#/events/<eventId>",
    ]
    return lines, {**CLOUDTRAIL_FIELDS, **extra}


def alert_message(variant: RuleVariant, other_accounts: bool = False) -> AlertMessage:
    """The input transformer for this rule's targets (``other_accounts``: message_lines)."""
    lines, paths = message_lines(variant, other_accounts)
    used = {name for line in lines for name in PLACEHOLDER.findall(line)}
    paths = {name: path for name, path in paths.items() if name in used}
    for name, path in paths.items():
        if not VARIABLE.fullmatch(name) or name.startswith("AWS"):
            raise ValueError(f"{variant.id}: input path key {name!r} is not [a-zA-Z0-9]+")
        if "[" in path or "*" in path:
            raise ValueError(f"{variant.id}: {path} is not plain dot notation")
    for line in lines:
        static = PLACEHOLDER.sub("", line)
        if ESCAPED.search(static) or "<" in static or ">" in static:
            raise ValueError(f"{variant.id}: {line!r} would not arrive as written")
    template = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    if len(template) > limits.INPUT_TEMPLATE.value or len(paths) > limits.INPUT_PATHS.value:
        raise ValueError(f"{variant.id}: template {len(template)} characters, {len(paths)} paths")
    return AlertMessage(input_paths=paths, input_template=template)
