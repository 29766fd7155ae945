"""Which attack techniques the synthesized stacks would alert on: `make coverage LOGS=folder`
(`python -m ops coverage FOLDER`).

Replays a folder of detonation logs, each file one technique (``<technique>.json`` or
``.json.gz``, CloudTrail records as AWS writes them: a ``Records`` array, an array, or JSON lines;
Stratus Red Team publishes one per AWS technique in its repository's ``docs/detonation-logs/``),
against what was synthesized:

- the EventBridge rules, each record placed where AWS delivers it and matched as `make replay`
  does (ops.replay.Matcher: EventBridge's documented matching, read-only calls only for the rules in the state that
  receives them);
- the metric filters of the home stack, each record counted by the CloudWatch Logs filter model
  (models/cloudwatch_logs_filters.py, written from AWS's filter syntax page), and each filter's
  alarm judged as CloudWatch sums it: ``threshold`` or more counted records within one of its
  ``period``-second periods, aligned to the clock.

Published logs may anonymise region names (Stratus does: ``cn-northsouth-2r``); a record from a
region botocore does not know is placed as if made in the home region, a monitored one, and the
region in its TLS host header with it, so that a regional STS endpoint stays regional. Global
services (IAM, Organizations, STS's global endpoint) still go to us-east-1
(models.cloudtrail_records.delivery_region).

Prints one line per technique, covered (with the detections and engines that alerted) or
MISSED (with the catalog's reason when the gap is deliberate, constructs_lib.detections.attack.NOT_COVERED),
and the total. Exits 1 if a technique is missed that is not a deliberate gap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import botocore.loaders

from config import MonitorConfig
from constructs_lib.detections.attack import NOT_COVERED
from constructs_lib.detections.catalog import EVENTBRIDGE, METRIC_FILTERS
from models.cloudtrail_records import envelope
from ops.cloudtrail_logs import Files, records_in
from ops.context import OpsError, run, settings_of, synthesized_documents
from ops.replay import REFERENCE, UNRESOLVED, Matcher

SUFFIXES = (".json.gz", ".json", ".jsonl.gz", ".jsonl", ".ndjson.gz", ".ndjson")


@cache
def known_regions() -> frozenset[str]:
    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    return frozenset(region for p in partitions for region in p["regions"])


def placed(record: Mapping[str, Any], region: str) -> dict[str, Any]:
    """The record as if made in ``region`` when its own region is not a real one."""
    found = record.get("awsRegion")
    if not isinstance(found, str) or found in known_regions():
        return dict(record)
    moved = json.loads(json.dumps(record))
    moved["awsRegion"] = region
    tls = moved.get("tlsDetails") or {}
    host = tls.get("clientProvidedHostHeader")
    if isinstance(host, str):
        tls["clientProvidedHostHeader"] = host.replace(f".{found}.", f".{region}.")
    return moved


@dataclass(frozen=True)
class Alarm:
    """A metric filter and its alarm, as synthesized."""

    name: str  # the filter's Terraform name: its detection id, or cloudwatch_N
    pattern: Any  # the parsed filter pattern
    threshold: int
    period: int

    def fires(self, records: Iterable[Mapping[str, Any]]) -> bool:
        per_period: Counter = Counter()
        for record in records:
            if self.pattern.matches(record):
                moment = datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))
                per_period[int(moment.timestamp()) // self.period] += 1
        return any(count >= self.threshold for count in per_period.values())


def alarms_of(document: Mapping[str, Any]) -> list[Alarm]:
    """Each metric filter of a synthesized stack with its alarm's threshold and period."""
    from models.cloudwatch_logs_filters import FilterPattern

    resources = document.get("resource", {})
    alarms = resources.get("aws_cloudwatch_metric_alarm", {})
    found = []
    for name, metric_filter in resources.get("aws_cloudwatch_log_metric_filter", {}).items():
        alarm = alarms.get(name, {})
        pattern = REFERENCE.sub(UNRESOLVED, metric_filter["pattern"])
        found.append(
            Alarm(
                name=name,
                pattern=FilterPattern(pattern),
                threshold=int(alarm.get("threshold", 1)),
                period=int(alarm.get("period", 300)),
            )
        )
    return found


@dataclass
class Technique:
    name: str
    records: int = 0
    alerts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # id -> engines

    @property
    def covered(self) -> bool:
        return bool(self.alerts)


def technique_files(folder: Path) -> list[tuple[str, Path]]:
    """(technique, file) for each log file of the folder, in name order."""
    found = []
    for path in sorted(folder.iterdir()):
        suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
        if path.is_file() and suffix:
            found.append((path.name.removesuffix(suffix), path))
    return found


def coverage(
    settings: MonitorConfig, documents: Mapping[str, Mapping[str, Any]], folder: Path
) -> list[Technique]:
    """What each technique's records set off, per detection and engine."""
    matcher = Matcher(settings, documents) if EVENTBRIDGE in settings.engines else None
    home = documents.get(settings.home_region, {})
    alarms = alarms_of(home) if METRIC_FILTERS in settings.engines else []
    results = []
    for name, path in technique_files(folder):
        technique = Technique(name)
        records = [placed(r, settings.home_region) for r in records_in(path, Files())]
        technique.records = len(records)
        if matcher:
            for record in records:
                event = record if "detail-type" in record else envelope(record)
                _, alerting, _ = matcher.judge(event)
                for detection_id in alerting:
                    technique.alerts[detection_id].add(EVENTBRIDGE)
        trail_records = [r.get("detail", r) for r in records]
        for alarm in alarms:
            if alarm.fires(trail_records):
                technique.alerts[alarm.name].add(METRIC_FILTERS)
        results.append(technique)
    return results


def report(results: Sequence[Technique]) -> list[str]:
    lines = []
    for technique in results:
        if technique.covered:
            by = ", ".join(
                f"{detection} ({'+'.join(sorted(engines))})"
                for detection, engines in sorted(technique.alerts.items())
            )
            lines.append(f"covered  {technique.name}: {by}")
        else:
            why = NOT_COVERED.get(technique.name, "not a deliberate gap")
            lines.append(f"MISSED   {technique.name}: {why}")
    covered = sum(t.covered for t in results)
    lines.append(f"{covered} of {len(results)} techniques covered, {len(results) - covered} missed")
    return lines


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make coverage", description=__doc__.splitlines()[0])
    parser.add_argument(
        "logs",
        metavar="LOGS",
        type=Path,
        help="a folder of detonation logs, one file per technique (Stratus Red Team's: "
        "docs/detonation-logs of a checkout)",
    )
    args = parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        if not args.logs.is_dir():
            raise OpsError(f"{args.logs}: no such folder")
        documents = synthesized_documents(settings, environ)
        try:
            results = coverage(settings, documents, args.logs)
        except (OSError, ValueError) as error:
            raise OpsError(f"{args.logs}: {error}") from None
        for line in report(results):
            print(line)
        unexplained = [t for t in results if not t.covered and t.name not in NOT_COVERED]
        return 1 if unexplained else 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
