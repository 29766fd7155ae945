"""Replay your own CloudTrail history against the synthesized rules: `make replay LOGS=path`
(`python -m ops replay PATH`).

Reads CloudTrail log files as S3 delivers them (``.json.gz`` or ``.json`` with a ``Records``
array, in any folder tree), JSON lines (``.jsonl``/``.ndjson``, gzipped or not; one record or
EventBridge event per line) or single records, one file at a time. Each record goes, wrapped as
EventBridge wraps it, to the region where AWS delivers it (ops.cloudtrail_records), and is matched
with moto's EventBridge matcher, as in the tests, against the rules the synthesized stack there
holds (in central delivery, forwarded to the home region first). Read-only calls reach only the
rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (the attack group's read-only
detections): rules in state ENABLED never receive them
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
Prints, per detection, the alerts it would have sent and who, what and from where caused them,
and per suppression the events it silenced.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import MonitorConfig
from constructs_lib.catalog import EVENTBRIDGE, KEY_ARN, KEY_ID
from constructs_lib.outcomes import detection_id_of, rule_variants
from ops.cloudtrail_records import arrays_crushed, envelope
from ops.context import OpsError, run, settings_of, synthesized_documents

TOP = 3
# A Terraform reference in a synthesized pattern (the KMS key's id or ARN): unknown until
# deployed, so it matches nothing here.
REFERENCE = re.compile(r"\$\{[^}]+\}")
UNRESOLVED = "unresolved-until-deployed"


@dataclass
class DetectionCounts:
    alerts: int = 0
    suppressed: int = 0
    principals: Counter = field(default_factory=Counter)
    event_names: Counter = field(default_factory=Counter)
    source_ips: Counter = field(default_factory=Counter)
    accounts: Counter = field(default_factory=Counter)  # organization mode: where


@dataclass
class Replay:
    records: int = 0
    read_only: int = 0  # not delivered to rules in state ENABLED
    unplaced: int = 0  # delivered to a region with no stack
    detections: dict[str, DetectionCounts] = field(default_factory=dict)
    suppressions: dict[str, Counter] = field(default_factory=dict)  # name -> detection -> events


class _Rules:
    """The patterns of one region, indexed by the event ``source`` they name (most name one).

    Matching is moto's (as in the tests), with the event flattened once for all candidate
    patterns rather than once per pattern as ``EventPattern.matches_event`` does: the same
    ``_does_event_match`` on the same flattened event (tests/test_replay.py checks they agree).
    """

    def __init__(self, patterns: Iterable[tuple[str, str]]) -> None:
        from moto.events.models import EventPattern  # the dev install's: `make replay` has it

        self.by_source: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        self.any_source: list[tuple[str, Any]] = []
        for name, text in patterns:
            pattern = json.loads(text)
            loaded = (name, EventPattern.load(text))
            sources = pattern.get("source")
            if isinstance(sources, list) and all(isinstance(s, str) for s in sources):
                for source in sources:
                    self.by_source[source].append(loaded)
            else:
                self.any_source.append(loaded)

    def matching(self, event: Mapping[str, Any], flat: Mapping[str, Any]) -> list[str]:
        candidates = self.by_source.get(event.get("source"), []) + self.any_source
        return [
            name
            for name, pattern in candidates
            if pattern._does_event_match(flat, pattern._pattern)
        ]


def flattened(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as moto's matcher reads it, arrays of objects crushed as EventBridge's are."""
    from moto.events.models import EventPattern

    return EventPattern._flatten_dict(arrays_crushed(event))


# The rule state that receives read-only management events as well (EventBridge user guide,
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def _rules_of(document: Mapping[str, Any], read_only: bool = False) -> dict[str, str]:
    """Rule id -> event pattern, for the enabled rules of a synthesized stack; with
    ``read_only``, only those that receive read-only management events."""
    states = {ALL_MANAGEMENT_EVENTS} if read_only else {"ENABLED", ALL_MANAGEMENT_EVENTS}
    return {
        rule_id: REFERENCE.sub(UNRESOLVED, rule["event_pattern"])
        for rule_id, rule in document.get("resource", {})
        .get("aws_cloudwatch_event_rule", {})
        .items()
        if rule.get("state", "ENABLED") in states
    }


class Matcher:
    """What the deployment would do with one record: which detections alert, which were
    suppressed and by what."""

    def __init__(self, settings: MonitorConfig, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self.home = settings.home_region
        self.central = settings.delivery_mode == "central"
        names = {KEY_ID: UNRESOLVED, KEY_ARN: UNRESOLVED, **settings.pattern_names(UNRESOLVED)}
        self.detections = {d.id: d for d in settings.detections}
        self.deployed: dict[str, _Rules] = {}
        self.deployed_read_only: dict[str, _Rules] = {}  # the rules read-only events reach
        self.forwarding: dict[str, _Rules] = {}
        self.forwarding_read_only: dict[str, _Rules] = {}
        self.plain: dict[str, _Rules] = {}  # the same detections, without their suppressions
        for region, document in documents.items():
            rules = _rules_of(document)
            detection_rules = {
                k: v for k, v in rules.items() if not k.startswith("forward_to_home_")
            }
            self.deployed[region] = _Rules(detection_rules.items())
            self.deployed_read_only[region] = _Rules(
                (k, v)
                for k, v in _rules_of(document, read_only=True).items()
                if not k.startswith("forward_to_home_")
            )
            self.forwarding[region] = _Rules(
                (k, v) for k, v in rules.items() if k.startswith("forward_to_home_")
            )
            self.forwarding_read_only[region] = _Rules(
                (k, v)
                for k, v in _rules_of(document, read_only=True).items()
                if k.startswith("forward_to_home_")
            )
            carried = {detection_id_of(rule_id) for rule_id in detection_rules}
            # Without their suppressions, for the detections that have some: what they silence.
            self.plain[region] = _Rules(
                (variant.id, variant.event_pattern_json(settings.name_prefix, names))
                for detection in settings.detections
                if detection.id in carried
                and any(s.applies_to(detection.id) for s in settings.suppressions)
                for variant in rule_variants(detection)
            )
        from moto.events.models import EventPattern

        self.suppressions = [
            (s, EventPattern.load(json.dumps(s.positive_pattern()))) for s in settings.suppressions
        ]

    def judge(self, event: Mapping[str, Any]) -> tuple[str | None, set[str], dict[str, list[str]]]:
        """(the region it arrives in, detections alerting, detection -> suppressions silencing)."""
        region = event.get("region")
        if region not in self.deployed:
            return None, set(), {}
        flat = flattened(event)
        # A read-only call reaches only the rules in the state that receives it.
        read_only = (event.get("detail") or {}).get("readOnly") is True
        deployed = self.deployed_read_only if read_only else self.deployed
        forwarding = self.forwarding_read_only if read_only else self.forwarding
        judges = [region]
        if self.central and region != self.home and forwarding[region].matching(event, flat):
            judges.append(self.home)  # forwarded, and judged by the home rules too
        alerting = {
            detection_id_of(r) for where in judges for r in deployed[where].matching(event, flat)
        }
        unsuppressed = {
            detection_id_of(r)
            for where in judges
            for r in self.plain[where].matching(event, flat)
            if not read_only or self.detections[detection_id_of(r)].read_only
        }
        silenced = {
            detection_id: [
                s.name
                for s, pattern in self.suppressions
                if s.applies_to(detection_id) and pattern._does_event_match(flat, pattern._pattern)
            ]
            for detection_id in unsuppressed - alerting
        }
        return region, alerting, silenced


def records_in(path: Path) -> Iterator[dict[str, Any]]:
    """Every CloudTrail record (or EventBridge event) under ``path``, one file at a time."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        name = file.name.lower()
        if not name.endswith((".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
            continue
        opener = gzip.open if name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8") as handle:
            if ".jsonl" in name or ".ndjson" in name:
                for line in handle:
                    if line.strip():
                        yield from _records(json.loads(line))
            else:
                yield from _records(json.load(handle))


def _records(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        yield from document["Records"]
    elif isinstance(document, list):
        yield from document
    elif isinstance(document, dict):
        yield document


def _principal(record: Mapping[str, Any]) -> str:
    identity = record.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    return (
        issuer.get("arn")
        or identity.get("arn")
        or identity.get("invokedBy")
        or f"{identity.get('type', '?')} {identity.get('accountId', '')}".strip()
    )


def replay(
    settings: MonitorConfig, documents: Mapping[str, Any], records: Iterable[dict]
) -> Replay:
    matcher = Matcher(settings, documents)
    found = Replay()
    for detection in settings.detections:
        found.detections.setdefault(detection.id, DetectionCounts())
    for suppression in settings.suppressions:
        found.suppressions[suppression.name] = Counter()
    for item in records:
        found.records += 1
        event = item if "detail-type" in item else envelope(item)
        record = event.get("detail") or {}
        if record.get("readOnly") is True:
            found.read_only += 1  # judged by the read-only detections' rules only
        region, alerting, silenced = matcher.judge(event)
        if region is None:
            found.unplaced += record.get("readOnly") is not True
            continue
        for detection_id in alerting:
            counts = found.detections.setdefault(detection_id, DetectionCounts())
            counts.alerts += 1
            counts.principals[_principal(record)] += 1
            counts.event_names[record.get("eventName", event.get("detail-type", "?"))] += 1
            counts.source_ips[record.get("sourceIPAddress", "-")] += 1
            counts.accounts[event.get("account", "-")] += 1
        for detection_id, names in silenced.items():
            found.detections.setdefault(detection_id, DetectionCounts()).suppressed += 1
            for name in names:
                found.suppressions[name][detection_id] += 1
    return found


def _top(counter: Counter) -> str:
    return ", ".join(f"{key} ({count})" for key, count in counter.most_common(TOP)) or "-"


def report(found: Replay, settings: MonitorConfig) -> list[str]:
    lines = [
        f"{found.records} records: {found.read_only} read-only (rules in state ENABLED never "
        f"receive them), {found.unplaced} delivered to a region with no stack",
        f"{'detection':34} {'alerts':>7} {'suppressed':>10}",
    ]
    for detection_id, counts in found.detections.items():
        lines.append(f"{detection_id:34} {counts.alerts:>7} {counts.suppressed:>10}")
        if counts.alerts:
            lines.append(f"    who:   {_top(counts.principals)}")
            lines.append(f"    what:  {_top(counts.event_names)}")
            lines.append(f"    from:  {_top(counts.source_ips)}")
            if settings.organization:
                # An organization trail's records come from every account: which, by name.
                names = settings.organization.accounts
                named = Counter(
                    {f"{names[a]} {a}" if a in names else a: n for a, n in counts.accounts.items()}
                )
                lines.append(f"    where: {_top(named)}")
    by_name = {s.name: s for s in settings.suppressions}
    for name, silenced in found.suppressions.items():
        total = sum(silenced.values())
        lines.append(
            f"suppression {name} ({by_name[name].reason}): {total} alerts silenced"
            + (f": {_top(silenced)}" if total else "")
        )
    return lines


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make replay", description=__doc__.splitlines()[0])
    parser.add_argument(
        "logs", metavar="LOGS", type=Path, help="a CloudTrail log file or a folder of them"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        if EVENTBRIDGE not in settings.engines:
            raise OpsError(
                "replay follows the EventBridge rules; with alertEngines "
                f"{json.dumps(list(settings.engines))} there are none to replay against"
            )
        if not args.logs.exists():
            raise OpsError(f"{args.logs}: no such file or folder")
        documents = synthesized_documents(settings, environ)
        started = time.perf_counter()
        try:
            found = replay(settings, documents, records_in(args.logs))
        except (OSError, ValueError) as error:  # unreadable or malformed input: one line
            raise OpsError(f"{args.logs}: {error}") from None
        elapsed = time.perf_counter() - started
        for line in report(found, settings):
            print(line)
        rate = found.records / elapsed if elapsed else 0
        print(f"replayed in {elapsed:.1f} s ({rate:,.0f} records per second)", file=sys.stderr)
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
