"""CloudTrail records as EventBridge delivers them: the envelope, and the region it arrives in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"

# EventBridge's detail-type per CloudTrail eventType:
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
}
GLOBAL_REGION = "us-east-1"


def delivery_region(record: dict[str, Any]) -> str:
    """Where EventBridge receives the record: IAM calls in us-east-1, everything else where it was made."""
    if record["eventSource"] == "iam.amazonaws.com":
        return GLOBAL_REGION
    return record["awsRegion"]


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event that carries this CloudTrail record as its detail."""
    return {
        "version": "0",
        "id": record.get("eventID", "00000000-0000-0000-0000-000000000000"),
        "detail-type": DETAIL_TYPES[record.get("eventType", "AwsApiCall")],
        "source": "aws." + record["eventSource"].removesuffix(".amazonaws.com"),
        "account": record.get("recipientAccountId", "111122223333"),
        "time": record["eventTime"],
        "region": delivery_region(record),
        "resources": [],
        "detail": record,
    }


def fixture_records(detection_id: str) -> dict[str, list[dict[str, Any]]]:
    """The hand-written records for one detection: {"fires": [...], "silent": [...]}."""
    return json.loads((FIXTURES / f"{detection_id}.json").read_text(encoding="utf-8"))
