"""What EventBridge sends a target for an input transformer: the oracle for every alert's text.

A model of EventBridge's documented behaviour, not of an emulator: moto ``json.loads`` a filled
template, real EventBridge does not (aws/aws-cdk#38121, aws/aws-cdk#5924,
hashicorp/terraform-provider-aws#43253). Every rule below comes from a source, and where AWS
documents nothing the model raises ``Undocumented`` rather than guess. Its own tests
(tests/test_eventbridge_templates.py) run it on each documented example first.

Sources:
  [UG]  EventBridge user guide, input transformation:
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
  [TUT] EventBridge user guide, input transformer tutorial (an SNS e-mail):
        https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-input-transformer-tutorial.html
  [API] EventBridge API reference, InputTransformer:
        https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html
  [CFN] CloudFormation, AWS::Events::Rule InputTransformer:
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-events-rule-inputtransformer.html
  [LS]  LocalStack's tests recorded against real AWS (markers.aws.validated), 2024-03-26:
        localstack/localstack tests/aws/services/events/test_events_inputs.py and .snapshot.json

The rules:
  1. A path is ``$`` followed by ``.name`` steps: "You must use JSON dot notation, not bracket
     notation" [API][CFN]; the user guide also lists array indices and wildcards [UG], which the
     API reference forbids, so the model accepts neither.
  2. The template is text. EventBridge fills each ``<name>`` and sends the result as it is:
     a string template arrives with its quotes ([TUT]: the SNS message is
     ``"This event was of customerCreated type."``) and its backslash escapes ([UG] "String with
     escaped quotes"). "The characters < and > can't be escaped" [TUT].
  3. A placeholder inside a quoted string gets the value's text, unescaped: "EventBridge doesn't
     escape values extracted by Input Path" [UG]. Outside a string, in a JSON template, it gets
     the value as JSON, a string with its quotes ([UG] "Simple JSON").
  4. A path the event lacks: "that variable isn't created and won't appear in the output" [UG];
     inside a string it leaves nothing ([LS]: ``"... info extracted from detail "``).
  5. A placeholder with no variable of that name is refused by PutTargets [LS].
  6. Predefined variables [UG]: aws.events.rule-arn, aws.events.rule-name,
     aws.events.event.ingestion-time, aws.events.event (the event without ``detail``) and
     aws.events.event.json (the whole event); the last two only as JSON values.

One extrapolation, marked where it is made: a number, boolean, null, object or array inside a
quoted string is shown as its minified JSON text (from "The JSON that is passed to the target is
minified" and "doesn't escape values" [UG]); AWS shows no such example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# [API] InputTransformerPathKey; [CFN] is stricter ([a-zA-Z0-9]+): see alert_message.py.
KEY = re.compile(r"[A-Za-z0-9_\-]+")
STEP = re.compile(r"[A-Za-z0-9_\-/]+")  # [UG]: alphanumerics, dashes, underscores, slashes
PLACEHOLDER = re.compile(r"<([^<>]*)>")
PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
JSON_ONLY = (
    "aws.events.event",
    "aws.events.event.json",
)  # [UG]: "only as a value for a JSON field"


class Undocumented(ValueError):  # noqa: N818 - a statement about AWS's documents, not a failure
    """AWS documents no behaviour for this case; the model will not guess."""


class Refused(ValueError):  # noqa: N818
    """EventBridge (or a document) refuses this input transformer."""


@dataclass(frozen=True)
class Rule:
    """The predefined variables' values for one delivery."""

    name: str = "example"
    arn: str = "arn:aws:events:us-east-2:123456789012:rule/example"
    ingestion_time: str = "2015-11-11T21:29:55Z"


MISSING = object()


def extract(event: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (``$.a.b``), or MISSING. Rule 1."""
    if "[" in path or "]" in path:
        raise Refused(f"{path}: bracket notation; [API] requires dot notation")
    if path == "$":
        return event
    if not path.startswith("$."):
        raise Refused(f"{path}: a path starts with $.")
    value: Any = event
    for step in path[2:].split("."):
        if not STEP.fullmatch(step) or step == "*":
            raise Refused(f"{path}: step {step!r} is not plain dot notation")
        if not isinstance(value, Mapping) or step not in value:
            return MISSING
        value = value[step]
    return value


def _in_string_text(value: Any) -> str:
    if isinstance(value, str):
        return value  # rule 3: unescaped
    # The model's one extrapolation (see the module docstring).
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def fill(
    template: str,
    input_paths: Mapping[str, str],
    event: Mapping[str, Any],
    rule: Rule = Rule(),
) -> str:
    """The text EventBridge sends the target for this event."""
    for key in input_paths:
        if not KEY.fullmatch(key) or len(key) > 256:
            raise Refused(f"input path key {key!r} does not match [API] [A-Za-z0-9_-]+")
        if key.startswith("AWS") or key in PREDEFINED:
            raise Refused(f"input path key {key!r} is reserved")
    if len(input_paths) > 100 or not 1 <= len(template) <= 8192:
        raise Refused("at most 100 input paths and 1 to 8,192 template characters [API]")
    values: dict[str, Any] = {key: extract(event, path) for key, path in input_paths.items()}
    without_detail = {k: v for k, v in event.items() if k != "detail"}
    values |= {
        "aws.events.rule-arn": rule.arn,
        "aws.events.rule-name": rule.name,
        "aws.events.event.ingestion-time": rule.ingestion_time,
        "aws.events.event": without_detail,
        "aws.events.event.json": dict(event),
    }
    is_json = template.lstrip()[:1] in ("{", "[")

    out: list[str] = []
    in_string = False
    index = 0
    while index < len(template):
        char = template[index]
        if char == "<":
            match = PLACEHOLDER.match(template, index)
            if not match:
                raise Refused(f"unclosed '<' at {index}: < and > can't be escaped [TUT]")
            name = match.group(1)
            if name not in values:
                raise Refused(f"<{name}> names no input path (PutTargets refuses it [LS])")
            value = values[name]
            if in_string:
                if name in JSON_ONLY:
                    raise Undocumented(f"<{name}> inside a string ([UG]: JSON values only)")
                out.append("" if value is MISSING else _in_string_text(value))  # rule 4
            elif not is_json:
                raise Undocumented(f"<{name}> outside quotes in a template that is not JSON")
            elif value is MISSING:
                raise Undocumented(f"<{name}> outside quotes with its path missing")
            else:
                out.append(json.dumps(value, ensure_ascii=False))  # rule 3
            index = match.end()
            continue
        if char == ">":
            raise Refused(f"stray '>' at {index}: < and > can't be escaped [TUT]")
        if char == '"':
            backslashes = len(template[:index]) - len(template[:index].rstrip("\\"))
            if backslashes % 2 == 0:
                in_string = not in_string
        out.append(char)
        index += 1
    return "".join(out)
