"""Security Hub readiness: would CIS CloudWatch.1-14 pass for what `make synth` wrote?

Walks the synthesized home stack the way each control evaluates an account
(https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html): a logging,
multi-region trail with read and write management events, integrated with a CloudWatch Logs log
group; on that group, a metric filter whose pattern is exactly the one CIS prescribes; an alarm on
that filter's metric; the alarm notifying an SNS topic with at least one subscription. One PASS or
FAIL line per control; exit status 1 if any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from constructs_lib.detections.catalog import CIS_FILTERS, METRIC_FILTERS
from ops.context import run, settings_of, synthesized_documents

REFERENCE = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.(arn|name|id)\}")


def _reference(value: Any, kind: str) -> str | None:
    """The resource name a Terraform reference to a ``kind`` resource names, or None."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return match.group(2) if match and match.group(1) == kind else None


def _subscribers(resources: Mapping[str, Any], topic: str) -> int:
    count = 0
    for subscription in resources.get("aws_sns_topic_subscription", {}).values():
        if _reference(subscription.get("topic_arn"), "aws_sns_topic") != topic:
            continue
        endpoints = subscription.get("for_each")
        if endpoints is None:
            count += 1
        else:  # ${toset([...])}: the endpoints, known at synthesis
            found = re.fullmatch(r"\$\{toset\((\[.*\])\)\}", endpoints, re.DOTALL)
            count += len(json.loads(found.group(1))) if found else 1
    return count


def _trail_log_groups(resources: Mapping[str, Any]) -> set[str]:
    """Log groups fed by a logging multi-region trail with all management events."""
    groups = set()
    for trail in resources.get("aws_cloudtrail", {}).values():
        selectors = trail.get("event_selector") or []
        all_management = all(
            s.get("include_management_events", True) and s.get("read_write_type", "All") == "All"
            for s in selectors
        ) and not trail.get("advanced_event_selector")
        group = _reference(trail.get("cloud_watch_logs_group_arn"), "aws_cloudwatch_log_group")
        if (
            trail.get("is_multi_region_trail")
            and trail.get("enable_logging", True) is not False
            and all_management
            and group
        ):
            groups.add(group)
    return groups


def evaluate(document: Mapping[str, Any]) -> list[tuple[str, bool, str]]:
    """(control, passes, why) for CloudWatch.1 to CloudWatch.14, in order."""
    resources = document.get("resource", {})
    groups = _trail_log_groups(resources)
    topics = resources.get("aws_sns_topic", {})
    results = []
    for control, pattern in CIS_FILTERS.items():
        if not groups:
            results.append((control, False, "no multi-region trail delivers to CloudWatch Logs"))
            continue
        filters = [
            f
            for f in resources.get("aws_cloudwatch_log_metric_filter", {}).values()
            if f.get("pattern") == pattern
            and _reference(f.get("log_group_name"), "aws_cloudwatch_log_group") in groups
        ]
        if not filters:
            results.append((control, False, "no metric filter with the exact CIS pattern"))
            continue
        metrics = {
            (f["metric_transformation"]["namespace"], f["metric_transformation"]["name"])
            for f in filters
        }
        alarms = [
            a
            for a in resources.get("aws_cloudwatch_metric_alarm", {}).values()
            if (a.get("namespace"), a.get("metric_name")) in metrics
        ]
        if not alarms:
            results.append((control, False, "no alarm on the filter's metric"))
            continue
        notified = {
            topic
            for alarm in alarms
            for action in alarm.get("alarm_actions", [])
            if (topic := _reference(action, "aws_sns_topic")) in topics
        }
        if not notified:
            results.append((control, False, "the alarm notifies no SNS topic"))
            continue
        subscribed = {t: _subscribers(resources, t) for t in notified}
        best = max(subscribed, key=subscribed.get)
        if not subscribed[best]:
            results.append((control, False, f"topic {topics[best]['name']} has no subscription"))
            continue
        results.append(
            (
                control,
                True,
                f"alarm {alarms[0]['alarm_name']} -> topic {topics[best]['name']} "
                f"({subscribed[best]} subscription(s))",
            )
        )
    return results


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make readiness", description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        home = synthesized_documents(settings, environ)[settings.home_region]
        results = evaluate(home)
        for control, passes, why in results:
            print(f"{'PASS' if passes else 'FAIL'} {control}: {why}")
        for missing, what in (
            (METRIC_FILTERS not in settings.engines, 'alertEngines lacks "metric-filters"'),
            ("cis" not in settings.detection_groups, 'detectionGroups lacks "cis"'),
        ):
            if missing:
                print(
                    f"warning: {what}: the controls need the metric-filter engine counting the "
                    'CIS detections; set alertEngines to include "metric-filters" and '
                    'detectionGroups to include "cis" (docs/engines.md, Security Hub readiness)',
                    file=sys.stderr,
                )
        unsubscribed = [c for c, passes, why in results if not passes and "subscription" in why]
        if unsubscribed:
            print(
                f"warning: no subscriber: {', '.join(unsubscribed)} would fail; add "
                "notificationEmails or subscriptions",
                file=sys.stderr,
            )
        return 0 if all(passes for _, passes, _ in results) else 1

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
