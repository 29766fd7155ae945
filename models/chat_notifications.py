"""What Amazon Q Developer in chat applications accepts as a custom notification: its documented
event schema and parameter rules, as a check (a stand-in for the service, which tests cannot
reach).

Source: the admin guide's "Custom notifications" page
(https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html), as readable here:
its "Event schema" block (every field and its type: strings, lists of strings, an object of
strings for ``additionalContext``) and its "Parameter details" rows: ``version`` required, "Must
be 1.0"; ``source`` required, "Must be custom"; ``id`` optional; ``textType`` optional, "Only
client-markdown textType is currently supported"; ``title`` optional. What the page says of the
other fields could not be read here: ``description`` is treated as required (every message of
ours has one), no length is enforced. Tested first on the page's own schema block
(tests/test_chat.py).
"""

from __future__ import annotations

from typing import Any

# The event schema block: field -> type ("string", "strings", "object of strings", "object").
SCHEMA: dict[str, Any] = {
    "version": "string",
    "source": "string",
    "id": "string",
    "content": {
        "textType": "string",
        "title": "string",
        "description": "string",
        "nextSteps": "strings",
        "keywords": "strings",
    },
    "metadata": {
        "threadId": "string",
        "summary": "string",
        "eventType": "string",
        "relatedResources": "strings",
        "additionalContext": "object of strings",
    },
}
REQUIRED = {("version",), ("source",), ("content",), ("content", "description")}
MUST_BE = {("version",): "1.0", ("source",): "custom", ("content", "textType"): "client-markdown"}


def _typed(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "object of strings":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    raise ValueError(kind)


def problems(
    message: Any, schema: dict[str, Any] = SCHEMA, path: tuple[str, ...] = ()
) -> list[str]:
    """What keeps ``message`` (parsed JSON) from being a custom notification; [] if nothing."""
    if not isinstance(message, dict):
        return [f"{'.'.join(path) or 'message'}: not an object"]
    found = []
    for name in message:
        if name not in schema:
            found.append(f"{'.'.join((*path, name))}: not in the event schema")
    for name, kind in schema.items():
        here = (*path, name)
        dotted = ".".join(here)
        if name not in message:
            if here in REQUIRED:
                found.append(f"{dotted}: required")
            continue
        value = message[name]
        if isinstance(kind, dict):
            found += problems(value, kind, here)
        elif not _typed(value, kind):
            found.append(f"{dotted}: must be {kind}")
        elif here in MUST_BE and value != MUST_BE[here]:
            found.append(f"{dotted}: must be {MUST_BE[here]!r}, not {value!r}")
    return found
