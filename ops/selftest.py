"""Send one test alert to every deployed region: `make selftest` (`python -m ops selftest`).

EventBridge engine: each event matches that region's self_test rule, or in central delivery its
forwarding rules, and travels exactly like a real alert, so the configured addresses get one
message per region. Metric-filter engine: the home region's self-test alarm is set to ALARM
(SetAlarmState), so the alert topic's subscribers get the alarm notification a real match would
send. Uses boto3's default credentials; --dry-run prints what it would do and does nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from constructs_lib.detections.catalog import EVENTBRIDGE, METRIC_FILTERS, SELF_TEST_DETAIL_TYPE
from ops.context import RegionDeployment, deployments, run, session, settings_of

# The metric-filter engine's self-test alarm (constructs_lib.metric_filters.metric_filter_alarms, which needs the
# provider bindings: the name is rebuilt here the same way, and a test holds the two together).
SELF_TEST_ALARM_SUFFIX = "-self-test"


def self_test_entry(name_prefix: str, region: str, sent_by: str) -> dict[str, Any]:
    """The PutEvents entry that tests ``region``'s alert path."""
    return {
        "Source": f"{name_prefix}.selftest",
        "DetailType": SELF_TEST_DETAIL_TYPE,
        "Detail": json.dumps(
            {"sentBy": sent_by, "region": region, "sentAt": datetime.now(UTC).isoformat()}
        ),
    }


def send(
    boto_session: Any, name_prefix: str, regions: Sequence[RegionDeployment], sent_by: str
) -> dict[str, str | None]:
    """Region -> None when EventBridge accepted the test event, else its error message."""
    errors: dict[str, str | None] = {}
    for deployment in regions:
        entry = self_test_entry(name_prefix, deployment.region, sent_by)
        events = boto_session.client("events", region_name=deployment.region)
        try:
            result = events.put_events(Entries=[entry])
        except (BotoCoreError, ClientError) as error:  # reported per region, as one line
            errors[deployment.region] = f"{type(error).__name__}: {error}"
            continue
        failed = result["FailedEntryCount"]
        errors[deployment.region] = result["Entries"][0].get("ErrorMessage") if failed else None
    return errors


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make selftest", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the events, send nothing")
    args = parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        regions = deployments(settings, environ) if EVENTBRIDGE in settings.engines else []
        alarm = settings.name_prefix + SELF_TEST_ALARM_SUFFIX
        alarms = METRIC_FILTERS in settings.engines
        if args.dry_run:
            for deployment in regions:
                entry = self_test_entry(settings.name_prefix, deployment.region, "dry run")
                print(f"{deployment.region}: {json.dumps(entry)}")
            if alarms:
                print(f"{settings.home_region}: would set alarm {alarm} to ALARM")
            return 0
        boto_session = session(environ)
        sent_by = boto_session.client("sts").get_caller_identity()["Arn"]
        errors = send(boto_session, settings.name_prefix, regions, sent_by)
        for region, error in errors.items():
            if error:
                print(f"{region}: FAIL could not send the test event: {error}", file=sys.stderr)
            else:
                print(f"{region}: sent")
        if alarms:
            cloudwatch = boto_session.client("cloudwatch", region_name=settings.home_region)
            try:
                cloudwatch.set_alarm_state(
                    AlarmName=alarm, StateValue="ALARM", StateReason=f"Self-test by {sent_by}"
                )
                print(f"{settings.home_region}: alarm {alarm} set to ALARM")
            except (BotoCoreError, ClientError) as error:
                errors["alarm"] = str(error)
                print(
                    f"{settings.home_region}: FAIL could not set alarm {alarm}: "
                    f"{type(error).__name__}: {error}",
                    file=sys.stderr,
                )
        return 1 if any(errors.values()) else 0

    return run(body)
