"""Send one test alert to every deployed region: `python selftest.py [--dry-run]`.

Each event matches that region's self_test rule and travels exactly like a real alert (topic,
or the home bus in central delivery), so the configured addresses get one message per region.
Uses boto3's default credentials; --dry-run prints what it would send and sends nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config import ConfigError, MonitorConfig, load_config
from constructs_lib.catalog import SELF_TEST_DETAIL_TYPE


def self_test_events(settings: MonitorConfig, sent_by: str) -> dict[str, dict[str, Any]]:
    """Region -> the PutEvents entry for it."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {
        plan.region: {
            "Source": f"{settings.name_prefix}.selftest",
            "DetailType": SELF_TEST_DETAIL_TYPE,
            "Detail": json.dumps({"sentBy": sent_by, "region": plan.region, "sentAt": now}),
        }
        for plan in settings.region_plans()
    }


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the events, send nothing")
    args = parser.parse_args(argv)
    try:
        settings = load_config(Path("cdktf.json"), environ)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2

    import boto3

    session = boto3.Session()
    sent_by = "dry run" if args.dry_run else session.client("sts").get_caller_identity()["Arn"]
    failed = 0
    for region, entry in self_test_events(settings, sent_by).items():
        if args.dry_run:
            print(f"{region}: {json.dumps(entry)}")
            continue
        result = session.client("events", region_name=region).put_events(Entries=[entry])
        if result["FailedEntryCount"]:
            failed += 1
            print(f"{region}: FAILED {result['Entries'][0].get('ErrorMessage')}", file=sys.stderr)
        else:
            print(f"{region}: sent {result['Entries'][0]['EventId']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
