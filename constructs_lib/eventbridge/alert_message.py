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

import itertools
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
# A field's variable is "field" and its label's words; long labels are cut here, well within
# the API's 256 characters a key (API_InputTransformer, InputPathsMap), leaving room to number.
VARIABLE_WORDS = 200
PLACEHOLDER = re.compile(r"<([^<>]*)>")
# Characters JSON escapes inside a string, which EventBridge would then deliver escaped.
ESCAPED = re.compile(r'["\\\x00-\x1f]')
# One step of an input path: "EventBridge does not support all JSON Path syntax and evaluate it
# at runtime. Supported syntax includes: dot notation (for example,`$.detail`), dashes,
# underscores, alphanumeric characters, array indices, wildcards (*), forward slashes"
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
# Of those we take dot notation's steps of letters, digits, dashes, underscores and slashes:
# array indices are bracket notation, which the API reference forbids (above), and a wildcard
# gives a list, not one value.
PATH_STEP = re.compile(r"[A-Za-z0-9_/-]+")


@dataclass(frozen=True)
class AlertMessage:
    input_paths: dict[str, str]
    input_template: str  # one JSON string literal per line


def _variable(label: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", label)
    return ("field" + "".join(word.capitalize() for word in words))[:VARIABLE_WORDS]


def _variables(variable: str, count: int, taken: set[str]) -> list[str]:
    """``count`` variables for one field, none of them ``taken``: the label's variable (numbered
    from 0 for a field of several paths), or, where labels differing only in case or punctuation
    would share it, that variable numbered from 2 until all are free."""
    for number in itertools.chain([""], itertools.count(2)):  # ends: ``taken`` is finite
        base = f"{variable}{number}"
        names = [f"{base}{n}" for n in range(count)] if count > 1 else [base]
        if not taken.intersection(names):
            return names
    raise AssertionError("unreachable")


def input_path_problem(path: str) -> str | None:
    """Why EventBridge would not take ``path`` ($.a.b) as an input path, or None."""
    steps = path.removeprefix("$.").split(".")
    wrong = next((step for step in steps if not PATH_STEP.fullmatch(step)), None)
    if not path.startswith("$.") or wrong is not None:
        return (
            f"the step {wrong!r} of {path} is not letters, digits, -, _ and / (the input "
            "transformer's path syntax, eb-transform-target-input.html)"
        )
    if len(path) > limits.INPUT_PATH.value:
        return limits.INPUT_PATH.exceeded(len(path), "its path")
    return None


def field_placeholders(
    detection: Detection, skip: frozenset[str] = frozenset()
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The detection's key request parameters: (label, its placeholders) per field, and the
    variables' paths, one variable per path; the paths in ``skip`` are left out (a field left
    with none goes)."""
    fields, paths = [], {}
    for label, field_paths in detection.alert_fields.items():
        if isinstance(field_paths, str):
            field_paths = (field_paths,)
        kept = [path for path in field_paths if path not in skip]
        if not kept:
            continue
        names = _variables(_variable(label), len(kept), set(paths))
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
        problem = input_path_problem(path)
        if problem:
            raise ValueError(f"{variant.id}: {problem}")
    for line in lines:
        static = PLACEHOLDER.sub("", line)
        if ESCAPED.search(static) or "<" in static or ">" in static:
            raise ValueError(
                f"{variant.id}: {line!r} would not arrive as written (an input template "
                'delivers static text as written only without ", \\, <, > and control characters)'
            )
    template = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    check_size(template, paths, variant.id)
    return AlertMessage(input_paths=paths, input_template=template)


def check_size(template: str, paths: dict[str, str], where: str) -> None:
    """Refuses an input transformer over EventBridge's template or input path limits."""
    if len(template) > limits.INPUT_TEMPLATE.value:
        raise ValueError(limits.INPUT_TEMPLATE.exceeded(len(template), where))
    if len(paths) > limits.INPUT_PATHS.value:
        raise ValueError(limits.INPUT_PATHS.exceeded(len(paths), where))
