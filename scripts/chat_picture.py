"""The chat message, drawn: docs/chat-message.svg (`make docs`; a test keeps it current).

The notification is the one a StopLogging AWS refused produces (from cloudtrail_changes' events,
beside its rule file), as EventBridge fills the chat target's template (the model in
models/eventbridge_templates.py), parsed as the chat integration parses it, and drawn the way Slack
lays out a custom notification: the title, the description with its markdown bold, the next
steps, the keywords. The drawing is ours: it shows the content, not Slack's exact pixels.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from pathlib import Path
from xml.sax.saxutils import escape

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

# Importing the constructs starts the jsii runtime, which prints a banner on Node.js 20.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
PICTURE = PROJECT / "docs" / "chat-message.svg"
WIDTH, LINE, WRAP = 820, 22, 92
SEVERITY_COLOURS = {"critical": "#d1242f", "high": "#e16f24", "medium": "#bf8700", "low": "#0969da"}
EMOJI = {
    ":rotating_light:": "\U0001f6a8",
    ":warning:": "\u26a0\ufe0f",
    ":large_orange_diamond:": "\U0001f536",
    ":information_source:": "\u2139\ufe0f",
}


def example() -> dict:
    """The chat notification for a refused StopLogging, as the chat integration receives it."""
    from constructs_lib.chat.chat_message import chat_message
    from constructs_lib.detections.catalog import detection
    from constructs_lib.detections.outcomes import rule_variants
    from constructs_lib.detections.rule_files import rule_events
    from constructs_lib.eventbridge.detection_rule import rule_name
    from models.cloudtrail_records import envelope
    from models.eventbridge_templates import Rule, fill

    record = next(
        r
        for r in rule_events("cloudtrail_changes")["fires"]
        if r["eventName"] == "StopLogging" and r.get("errorCode") == "AccessDenied"
    )
    event = envelope(record)
    variant = next(v for v in rule_variants(detection("cloudtrail_changes")) if v.outcome.suffix)
    name = rule_name("api-alerts", variant.id)
    message = chat_message(variant)
    arn = f"arn:aws:events:{event['region']}:{event['account']}:rule/{name}"
    text = fill(message.input_template, message.input_paths, event, Rule(name=name, arn=arn))
    return json.loads(text)


def _runs(line: str) -> str:
    """SVG tspans for a line of Slack markdown: *bold* runs bold."""
    parts = re.split(r"(\*[^*]+\*)", line)
    return "".join(
        f'<tspan font-weight="bold">{escape(p[1:-1])}</tspan>'
        if p.startswith("*") and p.endswith("*") and len(p) > 2
        else escape(p)
        for p in parts
        if p
    )


def svg(message: dict) -> str:
    content = message["content"]
    title = content["title"]
    for code, glyph in EMOJI.items():
        title = title.replace(code, glyph)
    colour = SEVERITY_COLOURS[content["keywords"][0]]
    rows: list[tuple[str, str]] = []  # (style, text)
    for line in textwrap.wrap(title, WRAP - 16):
        rows.append(("title", line))
    rows.append(("gap", ""))
    for line in content["description"].split("\n"):
        for part in textwrap.wrap(line, WRAP, subsequent_indent="    ") or [""]:
            rows.append(("text", part))
    rows.append(("gap", ""))
    rows.append(("heading", "Next steps"))
    for step in content["nextSteps"]:
        wrapped = textwrap.wrap(step, WRAP - 4)
        rows.append(("text", "\u2022 " + wrapped[0]))
        rows += [("text", "  " + more) for more in wrapped[1:]]
    rows.append(("gap", ""))
    rows.append(("keywords", "   ".join(f"#{k}" for k in content["keywords"])))
    height = 70 + LINE * len(rows) + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Lato, Helvetica, Arial, sans-serif" '
        'font-size="14">',
        f'<rect width="{WIDTH}" height="{height}" rx="8" fill="#ffffff" stroke="#d0d7de"/>',
        '<rect x="16" y="16" width="36" height="36" rx="6" fill="#232f3e"/>',
        '<text x="34" y="40" font-size="13" font-weight="bold" fill="#ff9900" '
        'text-anchor="middle">Q</text>',
        '<text x="64" y="30" font-weight="bold" fill="#1d1c1d">Amazon Q</text>',
        '<text x="150" y="30" font-size="12" fill="#616061">APP</text>',
        f'<rect x="64" y="44" width="4" height="{LINE * len(rows) + 6}" rx="2" fill="{colour}"/>',
    ]
    y = 60
    for style, text in rows:
        if style == "title":
            out.append(
                f'<text x="78" y="{y}" font-size="15" font-weight="bold" fill="#1d1c1d">{escape(text)}</text>'
            )
        elif style == "heading":
            out.append(
                f'<text x="78" y="{y}" font-weight="bold" fill="#1d1c1d">{escape(text)}</text>'
            )
        elif style == "keywords":
            out.append(f'<text x="78" y="{y}" font-size="12" fill="#1264a3">{escape(text)}</text>')
        elif style == "text":
            out.append(
                f'<text x="78" y="{y}" fill="#1d1c1d" xml:space="preserve">{_runs(text)}</text>'
            )
        y += LINE
    out.append("</svg>")
    return "\n".join(out) + "\n"


def rendered() -> str:
    return svg(example())


if __name__ == "__main__":
    wanted = rendered()
    if "--write" in sys.argv:
        PICTURE.parent.mkdir(exist_ok=True)
        PICTURE.write_text(wanted, encoding="utf-8")
    elif not PICTURE.exists() or PICTURE.read_text(encoding="utf-8") != wanted:
        sys.exit("docs/chat-message.svg is stale: run `make docs`")
