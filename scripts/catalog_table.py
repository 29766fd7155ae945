"""The catalog's generated blocks, on whichever documentation page holds each (scripts/doc_pages):
the detections table, the metric filters, the limits, the attack coverage and the example alerts.
`python scripts/catalog_table.py [--write]` (`make docs`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib.detections.catalog import CATALOG, NAME_PREFIX
from scripts import doc_pages


def _value(value: object) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{key} {_value(item)}" for key, item in value.items())
    if isinstance(value, tuple):
        return ", ".join(_value(item) for item in value)
    return str(value).replace(NAME_PREFIX, "&lt;namePrefix&gt;").replace("*", "\\*")


def _conditions(pattern: Mapping, path: str = "") -> list[str]:
    """The pattern as "field: values" lines; eventSource is implied by the source."""
    lines = []
    for key, value in pattern.items():
        field = f"{path}{key}"
        if key == "$or":
            lines.append("one of (" + " / ".join("; ".join(_conditions(b)) for b in value) + ")")
        elif isinstance(value, Mapping):
            lines += _conditions(value, f"{field}." if field != "detail" else "")
        elif field != "eventSource":
            lines.append(f"{field}: {_value(value)}")
    return lines


def table() -> str:
    rows = [
        "| id | detection | groups | severity | CIS control | rules in | matches | metric filter |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in CATALOG:
        matches = "; ".join(_conditions(d.pattern))
        if d.note:
            matches += f". *{d.note.replace('*', chr(92) + '*')}*"
        standards = ", ".join(s.removeprefix("CIS ") for s in d.standards) or "-"
        groups = ", ".join(
            g for g in ("original", "cis", "self", "attack", "always") if g in d.groups
        )
        if d.cis_control:
            metric_filter = f"{d.cis_control}'s, exact"
        elif d.threshold:
            metric_filter = f"its own, alarming at {d.threshold.phrase} (metric-filter engine only)"
        elif d.log_filter:
            metric_filter = "its own" + (" (EventBridge engine only)" if d.engine else "")
        else:
            metric_filter = f"none: {d.no_log_filter}"
        rows.append(
            f"| `{d.id}` | {d.title} | {groups} | {d.severity.value} | {standards} "
            f"| {d.delivery.value} | {matches} | {metric_filter} |"
        )
    return "\n".join(rows)


def filter_table() -> str:
    """The metric-filter engine's filters: metric and alarm names, what each counts, its text."""
    from constructs_lib.metric_filters.metric_filter_alarms import alarm_name, filters_of, namespace

    def code(text: str) -> str:  # a code span in a table cell
        return "`" + text.replace(NAME_PREFIX, "<namePrefix>").replace("|", "\\|") + "`"

    rows = [
        "| metric | alarm | counts for | filter pattern |",
        "| --- | --- | --- | --- |",
    ]
    found = filters_of(CATALOG, NAME_PREFIX).values()
    # The CIS controls in their order, then ours in the catalog's.
    for metric_filter, counted in sorted(
        found, key=lambda f: int(f[0].control.split(".")[1]) if f[0].control else 99
    ):
        rows.append(
            f"| {code(metric_filter.metric_name)} | {code(alarm_name(NAME_PREFIX, metric_filter))} "
            f"| {', '.join(code(d.id) for d in counted)} | {code(metric_filter.pattern)} |"
        )
    return f"Namespace {code(namespace(NAME_PREFIX))}.\n\n" + "\n".join(rows)


def engines_of(d) -> str:
    """The engines that run a detection, as the coverage table names them."""
    from constructs_lib.detections.catalog import METRIC_FILTERS

    if d.threshold:
        return f"metric filter: {d.threshold.phrase}"
    engines = ["EventBridge" + (" (read-only events too)" if d.read_only else "")]
    if d.cis_control or d.log_filter:
        engines.append(f"metric filter ({d.cis_control})" if d.cis_control else "metric filter")
    if d.engine == METRIC_FILTERS:
        engines = engines[1:]
    return ", ".join(engines)


def coverage_table() -> str:
    """ATT&CK tactic -> technique -> detections -> engines, from the catalog's attack tags; then
    Stratus Red Team's techniques: which detections claim each, or why none does."""
    from constructs_lib.detections.attack import NOT_COVERED, STRATUS, TACTICS, TECHNIQUES

    rows = [
        "| ATT&CK tactic | technique | detections (group) | engines |",
        "| --- | --- | --- | --- |",
    ]
    by_pair: dict[tuple[str, str], list] = {}
    for d in CATALOG:
        for pair in d.attack:
            tactic, technique = pair.split(":")
            by_pair.setdefault((tactic, technique), []).append(d)
    for (tactic, technique), detections in sorted(by_pair.items()):
        names = "<br>".join(
            f"`{d.id}` ({', '.join(g for g in ('original', 'cis', 'self', 'attack') if g in d.groups)})"
            for d in detections
        )
        engines = "<br>".join(engines_of(d) for d in detections)
        rows.append(
            f"| {tactic} {TACTICS[tactic]} | {technique} {TECHNIQUES[technique]} | {names} | {engines} |"
        )
    claims: dict[str, list[str]] = {}
    for d in CATALOG:
        for technique in d.stratus:
            claims.setdefault(technique, []).append(f"`{d.id}`")
    stratus = [
        "| Stratus Red Team technique | detonation log | detections | or why none |",
        "| --- | --- | --- | --- |",
    ]
    for technique, (_, logged) in STRATUS.items():
        stratus.append(
            f"| `{technique}` | {'yes' if logged else 'no'} | {', '.join(claims.get(technique, [])) or '-'} "
            f"| {NOT_COVERED.get(technique, '')} |"
        )
    return "\n".join(rows) + "\n\n" + "\n".join(stratus)


def example_alerts() -> str:
    """Two alerts exactly as EventBridge sends them, filled by the model of its documented
    behaviour (models/eventbridge_templates.py): a root sign-in, and a StopLogging AWS refused."""
    from constructs_lib.detections.catalog import detection
    from constructs_lib.detections.outcomes import rule_variants
    from constructs_lib.detections.rule_files import rule_events
    from constructs_lib.eventbridge.alert_message import alert_message
    from constructs_lib.eventbridge.detection_rule import rule_name
    from models.cloudtrail_records import envelope
    from models.eventbridge_templates import Rule, fill

    shown = []
    for detection_id, pick in (
        ("root_console_sign_in", lambda r: True),
        ("cloudtrail_changes", lambda r: r.get("errorCode") == "AccessDenied"),
    ):
        record = next(r for r in rule_events(detection_id)["fires"] if pick(r))
        event = envelope(record)
        variant = next(
            v
            for v in rule_variants(detection(detection_id))
            if v.outcome.suffix == ("_failed" if record.get("errorCode") else "")
        )
        name = rule_name("api-alerts", variant.id)
        arn = f"arn:aws:events:{event['region']}:{event['account']}:rule/{name}"
        message = alert_message(variant)
        text = fill(message.input_template, message.input_paths, event, Rule(name=name, arn=arn))
        shown.append(f"```\n{text}\n```")
    return "\n\n".join(shown)


def limits_table() -> str:
    """Every AWS limit the output is checked against (models.limits), with its source."""
    from models import limits

    rows = ["| limit | value | adjustable | source |", "| --- | --- | --- | --- |"]
    for limit in (v for v in vars(limits).values() if isinstance(v, limits.Limit)):
        page = limit.source.split("/")[-1].split("#")[0] or limit.source
        rows.append(
            f"| {limit.what} | {limit.value:,} "
            f"| {({True: 'yes', False: 'no', None: 'not stated'})[limit.adjustable]} "
            f"| [{page}]({limit.source}) |"
        )
    exceptions = ", ".join(f"{r}: {n}" for r, n in limits.RULES_PER_BUS_IN.items())
    return "\n".join(rows) + f"\n\nRules per bus in two regions: {exceptions}."


# Each block's name (its markers, scripts/doc_pages.marker) and what renders it.
BLOCKS = {
    "catalog": table,
    "filters": filter_table,
    "limits": limits_table,
    "coverage": coverage_table,
    "example": example_alerts,
}


if __name__ == "__main__":
    doc_pages.main(BLOCKS, "the catalog's tables are")
