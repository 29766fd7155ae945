"""The chat message: Amazon Q Developer in chat applications' custom notification, one input
transformer per rule, built from its catalog entry like the e-mail (alert_message).

The custom notification is JSON ("version": "1.0", "source": "custom", "content", "metadata";
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html), so the template is a
JSON template. EventBridge inserts a value inside quotes as its text, unescaped (the model in
models/eventbridge_templates.py): a value holding a quote or a backslash would break the JSON, and
the notification would not render. So only values that cannot hold either go inside the
strings: account and region, event names and sources, times and ids, ARNs and IAM names (whose
characters AWS restricts), source addresses, error codes. Error messages and user agents (free
text) stay in the e-mail, as do the request parameters that are JSON objects or lists.
"""

from __future__ import annotations

import json

from constructs_lib.detections.catalog import Severity
from constructs_lib.detections.outcomes import RuleVariant
from constructs_lib.eventbridge.alert_message import (
    CLOUDTRAIL_FIELDS,
    EVENT_FIELDS,
    PLACEHOLDER,
    AlertMessage,
    check_size,
    field_placeholders,
)

# Request parameters that are objects or lists (their JSON text holds quotes), or documents.
STRUCTURED_PATHS = frozenset(
    {
        "$.detail.requestParameters.ipPermissions",
        "$.detail.requestParameters.alarmNames",
        # The attack group's.
        "$.detail.requestParameters.DeleteFlowLogsRequest.FlowLogId",
        "$.detail.requestParameters.instanceIds",
        "$.detail.requestParameters.targets",
        "$.detail.requestParameters.launchPermission.add.items",
        "$.detail.requestParameters.createVolumePermission.add.items",
        "$.detail.requestParameters.valuesToAdd",
        "$.detail.requestParameters.layers",
        "$.detail.requestParameters.filters",
        "$.detail.requestParameters.secretIdList",
    }
)
# Free text: may hold quotes.
FREE_TEXT = frozenset({"errorMessage", "userAgent"})
EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":warning:",
    Severity.MEDIUM: ":large_orange_diamond:",
    Severity.LOW: ":information_source:",
}


def _outcome(line: str) -> str:
    """The outcome line without the error message (free text)."""
    return (
        line.removeprefix("Outcome:")
        .strip()
        .replace(": <errorMessage>", "")
        .replace(" <errorMessage>", "")
    )


def chat_message(variant: RuleVariant, other_accounts: bool = False) -> AlertMessage:
    """The input transformer of this rule's chat target (``other_accounts``: organization mode,
    where the record is in the event history of the account that made the call)."""
    detection = variant.detection
    outcome = variant.outcome
    severity = detection.severity.value.upper()
    title = f"{EMOJI[detection.severity]} [{severity}] {outcome.title_prefix}{detection.title}"
    found, paths = field_placeholders(detection, skip=STRUCTURED_PATHS)
    fields = [f"*{label}:* {placeholders}" for label, placeholders in found]
    if outcome.line:
        paths |= {k: v for k, v in CLOUDTRAIL_FIELDS.items() if k not in FREE_TEXT}
        record = (
            "https://<region>.console.aws.amazon.com/cloudtrailv2/home"
            "?region=<region>#/events/<eventId>"
        )
        description = [
            f"*Outcome:* {_outcome(outcome.line)}",
            "*Who:* <principalType> <principalArn>",
            "*What:* <eventName> (<eventSource>)",
            *fields,
            "*Where:* account <account>, <region>",
            "*When:* <eventTime>",
            "*From:* <sourceIp>",
        ]
        where = "in account <account>, " if other_accounts else ""
        next_steps = [f"Read the record {where}{record}", f"Why it matters: {detection.rationale}"]
        event_id = "<eventId>"
    else:
        paths |= EVENT_FIELDS
        description = [*fields, "*Where:* account <account>, <region>", "*When:* <time>"]
        next_steps = [f"Why it matters: {detection.rationale}"]
        event_id = None
    notification = {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": "\n".join(description),
            "nextSteps": next_steps,
            "keywords": [detection.severity.value, detection.id],
        },
        "metadata": {
            "summary": f"[{severity}] {outcome.title_prefix}{detection.title}",
            "eventType": detection.id,
            "additionalContext": {
                "account": "<account>",
                "region": "<region>",
                "rule": "<aws.events.rule-name>",
            },
        },
    }
    if event_id:
        notification["id"] = event_id
    template = json.dumps(notification, ensure_ascii=False)
    used = set(PLACEHOLDER.findall(template))
    paths = {name: path for name, path in paths.items() if name in used}
    for name in used - set(paths) - {"aws.events.rule-name"}:
        raise ValueError(f"{variant.id}: <{name}> names no input path")
    check_size(template, paths, f"{variant.id} (chat)")
    return AlertMessage(input_paths=paths, input_template=template)
