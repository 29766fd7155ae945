"""The e-mail a person reads: one input transformer template shared by every detection.

Who, what, where, when, from where and the outcome, with a link to the event in the CloudTrail
console; a detection adds its key request parameters (``Detection.alert_fields``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from constructs_lib.catalog import Detection

# name -> JSON path: what every alert shows. Fields an event lacks render empty
# (for example errorCode on a call that succeeded).
SHARED_FIELDS = {
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


@dataclass(frozen=True)
class AlertMessage:
    input_paths: dict[str, str]
    input_template: str  # a JSON string: EventBridge sends the target plain text


def _variable(label: str) -> str:
    return "field_" + re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_").lower()


def alert_message(detection: Detection) -> AlertMessage:
    """The input transformer for this detection's target."""
    paths = dict(SHARED_FIELDS)
    lines = [
        f"[{detection.severity.value.upper()}] {detection.title}",
        "",
        "Who:      <principalType> <principalArn>",
        "What:     <eventName> (<eventSource>)",
    ]
    for label, path in detection.alert_fields.items():
        variable = _variable(label)
        paths[variable] = path
        lines.append(f"  {label}: <{variable}>")
    lines += [
        "Where:    account <account>, <region>",
        "When:     <eventTime>",
        "From:     <sourceIp>, <userAgent>",
        "Outcome:  <errorCode> <errorMessage> (no error code: it succeeded)",
        "",
        "Why it matters: " + detection.rationale,
        "",
        "The event in CloudTrail (the full record, id <eventId>):",
        "https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>#/events/<eventId>",
    ]
    return AlertMessage(input_paths=paths, input_template=json.dumps("\n".join(lines)))


def render(message: AlertMessage, event: dict) -> str:
    """What EventBridge sends for this event: for tests and the README's example."""
    text = json.loads(message.input_template)
    for variable, path in message.input_paths.items():
        value: object = event
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$.")):
            if part.startswith("[") and isinstance(value, list):
                index = int(part[1:-1])
                value = value[index] if index < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        shown = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        text = text.replace(f"<{variable}>", shown)
    return text
