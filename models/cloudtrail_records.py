"""CloudTrail records as EventBridge delivers them: the envelope, and the region it arrives in.

Shared by `make replay` and the tests, so that both place and wrap a record the same way.
"""

from __future__ import annotations

from typing import Any

# EventBridge's detail-type per CloudTrail eventType:
# https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
    "AwsCloudTrailInsight": "AWS Insight via CloudTrail",
}
GLOBAL_REGION = "us-east-1"
DEFAULT_ACCOUNT = "111122223333"  # the envelope's account for a record without recipientAccountId
# What arrives in us-east-1 whatever region it was made in: IAM and Organizations calls, calls
# to STS's global endpoint and root console sign-ins, as (eventSource, a field of the record and
# its value, or None). ops.athena writes the same placement in SQL. "AWS global services, such
# as IAM, AWS Organizations, and AWS Account Management deliver events only to us-east-1"
# (https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions).
GLOBAL_DELIVERIES = (
    ("iam.amazonaws.com", None),
    ("organizations.amazonaws.com", None),
    ("sts.amazonaws.com", (("tlsDetails", "clientProvidedHostHeader"), "sts.amazonaws.com")),
    ("signin.amazonaws.com", (("userIdentity", "type"), "Root")),
)


def delivery_region(record: dict[str, Any]) -> str | None:
    """Where EventBridge receives the record: GLOBAL_REGION for GLOBAL_DELIVERIES, everything
    else in the region it was made in (the record's awsRegion)."""
    source = record.get("eventSource")
    for global_source, condition in GLOBAL_DELIVERIES:
        if source != global_source:
            continue
        if condition is None:
            return GLOBAL_REGION
        (parent, field), value = condition
        holder = record.get(parent)
        if type(holder) is dict and holder.get(field) == value:
            return GLOBAL_REGION
    return record.get("awsRegion")


def _event_type(record: dict[str, Any]) -> str:
    if "eventType" in record:
        return record["eventType"]
    # A few older records predate eventType; console sign-ins are the only non-API calls among them.
    return "AwsConsoleSignIn" if record.get("eventName") == "ConsoleLogin" else "AwsApiCall"


def detail_type(record: dict[str, Any]) -> str:
    """The detail-type EventBridge gives the record."""
    event_type = _event_type(record)
    found = DETAIL_TYPES.get(event_type)
    # Other types (network activity: AwsVpceEvent) are not API calls; any other name will do.
    return found if found is not None else f"{event_type} via CloudTrail"


def source_of(record: dict[str, Any]) -> str:
    """The event's source: aws.iam for iam.amazonaws.com."""
    return "aws." + record["eventSource"].removesuffix(".amazonaws.com")


def envelope(record: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """The EventBridge event that carries this CloudTrail record as its detail (``region``: its
    delivery_region, if known).

    A fixture that is already an EventBridge event (the self-test's) is returned as it is.
    """
    if "detail-type" in record:
        return record
    return {
        "version": "0",
        "id": record.get("eventID", "00000000-0000-0000-0000-000000000000"),
        "detail-type": detail_type(record),
        "source": source_of(record),
        "account": record.get("recipientAccountId", DEFAULT_ACCOUNT),
        "time": record.get("eventTime", "1970-01-01T00:00:00Z"),
        "region": delivery_region(record) if region is None else region,
        "resources": [],
        "detail": record,
    }
