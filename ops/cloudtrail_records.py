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


def delivery_region(record: dict[str, Any]) -> str | None:
    """Where EventBridge receives the record.

    IAM and Organizations calls, calls to STS's global endpoint and root console sign-ins arrive
    in us-east-1;
    everything else in the region it was made in (the record's awsRegion).
    """
    source = record.get("eventSource")
    host = (record.get("tlsDetails") or {}).get("clientProvidedHostHeader")
    # "AWS global services, such as IAM, AWS Organizations, and AWS Account Management deliver
    # events only to us-east-1": https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions
    if source in ("iam.amazonaws.com", "organizations.amazonaws.com"):
        return GLOBAL_REGION
    if source == "sts.amazonaws.com" and host == "sts.amazonaws.com":
        return GLOBAL_REGION
    if source == "signin.amazonaws.com" and record.get("userIdentity", {}).get("type") == "Root":
        return GLOBAL_REGION
    return record.get("awsRegion")


def _event_type(record: dict[str, Any]) -> str:
    if "eventType" in record:
        return record["eventType"]
    # A few older records predate eventType; console sign-ins are the only non-API calls among them.
    return "AwsConsoleSignIn" if record.get("eventName") == "ConsoleLogin" else "AwsApiCall"


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event that carries this CloudTrail record as its detail.

    A fixture that is already an EventBridge event (the self-test's) is returned as it is.
    """
    if "detail-type" in record:
        return record
    return {
        "version": "0",
        "id": record.get("eventID", "00000000-0000-0000-0000-000000000000"),
        # Other types (network activity: AwsVpceEvent) are not API calls; any other name will do.
        "detail-type": DETAIL_TYPES.get(
            _event_type(record), f"{_event_type(record)} via CloudTrail"
        ),
        "source": "aws." + record["eventSource"].removesuffix(".amazonaws.com"),
        "account": record.get("recipientAccountId", "111122223333"),
        "time": record.get("eventTime", "1970-01-01T00:00:00Z"),
        "region": delivery_region(record),
        "resources": [],
        "detail": record,
    }


def arrays_crushed(event: Any) -> Any:
    """The event as EventBridge matches it when an array holds objects: moto's matcher does not
    look inside arrays, EventBridge's does.

    EventBridge matches with AWS's Event Ruler, which "crushes out" an array of objects: "any
    contained objects are treated as if they are the value of the parent field", so a pattern
    ``{"items": {"userId": [...]}}`` matches ``{"items": [{"userId": "1"}, {"group": "all"}]}``
    (https://github.com/aws/event-ruler#json-array-matching). Here each such array becomes an
    object whose fields list the elements' values, which moto then matches as a list. Exact for
    patterns that constrain one field of an array's elements per branch, as the catalog's do
    (Event Ruler also keeps two fields of one pattern to one element).
    """
    if isinstance(event, dict):
        return {key: arrays_crushed(value) for key, value in event.items()}
    if isinstance(event, list) and event and all(isinstance(item, dict) for item in event):
        crushed: dict[str, list[Any]] = {}
        for item in event:
            for key, value in item.items():
                # A nested array's elements join the parent's ("multi-level arrays too").
                crushed.setdefault(key, []).extend(value if isinstance(value, list) else [value])
        return {key: arrays_crushed(_one(values)) for key, values in crushed.items()}
    return event


def _one(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 and isinstance(values[0], dict) else values
