"""Configuration: read once from cdktf.json's ``context`` and the shell, validated before any construct exists.

Every problem is one ``ConfigError`` whose message names the key and the value.
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore

from constructs_lib.delivery import Subscription
from constructs_lib.detections import rule_files
from constructs_lib.detections.attack import STRATUS, TACTICS, TECHNIQUES
from constructs_lib.detections.catalog import ACCOUNT_ID as ACCOUNT_PLACEHOLDER
from constructs_lib.detections.catalog import (
    ALWAYS,
    CATALOG,
    DEFAULT_GROUPS,
    ENGINES,
    EVENTBRIDGE,
    GROUPS,
    KEY_ARN,
    KEY_ID,
    METRIC_FILTERS,
    SIGMA_GROUP,
    SIGN_IN_REGIONS,
    TRUSTED_ACCOUNTS,
    Delivery,
    Detection,
    Severity,
    from_spec,
    selected,
)
from constructs_lib.detections.outcomes import RuleVariant, detection_id_of, rule_variants
from constructs_lib.detections.suppressions import (
    ACCOUNT,
    INVOKED_BY,
    PRINCIPAL_ARN,
    SESSION_ISSUER_ARN,
    SOURCE_IP,
    USER_AGENT,
    Condition,
    InexpressibleError,
    Suppression,
    known_noise,
    narrowed_filter,
)
from constructs_lib.organization.member_template import forwarded
from constructs_lib.trail.bucket_settings import ObjectLock
from models import limits
from models.cloudtrail_table import database_name

CATALOG_IDS = frozenset(d.id for d in CATALOG)


class ConfigError(ValueError):
    """A configuration value is missing, malformed or inconsistent."""

    def __init__(self, key: str, value: Any, problem: str) -> None:
        shown = json.dumps(value)
        if len(shown) > MAX_SHOWN:
            shown = f"{shown[:MAX_SHOWN]}... ({len(shown):,} characters)"
        super().__init__(f"{key} = {shown}: {problem}")
        self.key = key


MAX_SHOWN = 200  # an error line quotes at most this much of the value
# Configured text may hold no control character: none belongs in any value here, and
# models.terraform's placeholders are made of them.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# Resource names are "<namePrefix>-<suffix>": the trail bucket's bucket_prefix "<namePrefix>-trail-"
# has at most limits.BUCKET_PREFIX characters; a rule's name, "<namePrefix>-<rule id>", at most
# limits.RULE_NAME, checked against the rules the configuration selects (_check_rule_names).
TRAIL_BUCKET_SUFFIX = "-trail-"
MAX_NAME_PREFIX = limits.BUCKET_PREFIX.value - len(TRAIL_BUCKET_SUFFIX)
# Lower-case letters, digits and single hyphens: valid in S3 bucket, SNS topic, trail and rule names.
NAME_PREFIX = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
# S3 reserves these bucket-name prefixes (S3 user guide, bucket naming rules).
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
PROJECT_TAG = "Project"


# Organization mode's management-account stack: its name, and its folder under cdktf.out/stacks.
MANAGEMENT_STACK = "management"
ENV_PREFIX = "ALERTS_"  # every shell override; any other ALERTS_ variable is a typo
DELIVERY_MODES = ("per-region", "central")
PROTOCOLS = ("email", "email-json", "https", "sqs", "lambda")


@dataclass(frozen=True)
class StateBackend:
    """Remote Terraform state: one object per stack, <key_prefix>/<region>.tfstate."""

    bucket: str
    key_prefix: str
    region: str
    lockfile: bool


@dataclass(frozen=True)
class ChatChannel:
    """A Slack or Microsoft Teams channel of Amazon Q Developer in chat applications."""

    kind: str  # "slack" or "teams"
    ids: Mapping[str, str]  # the channel configuration's ids, by the provider's argument names
    minimum_severity: Severity  # the channel receives this severity and those above it

    def severities(self) -> tuple[Severity, ...]:
        """The severities routed to this channel, most severe first."""
        order = list(Severity)
        return tuple(order[: order.index(self.minimum_severity) + 1])


@dataclass(frozen=True)
class Management:
    """How the app reaches the organization's management account, which StackSets never deploy to."""

    role_arn: str  # the role Terraform assumes there (the management stack's provider)
    account_id: str  # the role's account
    protect_forwarding: bool  # an SCP: only StackSets may change the members' forwarding


@dataclass(frozen=True)
class Organization:
    """Organization mode: members forward to the security account, which holds the detections."""

    security_account: str  # where the app is deployed from, a StackSets delegated administrator
    organization_id: str
    organizational_units: tuple[str, ...]  # OU ids and/or the root id the StackSet covers
    accounts: Mapping[str, str]  # account id -> display name
    management: Management | None
    # Where the members' trails come from: "organization" (the management stack's organization
    # trail) or "existing" (the user's word that every member account already has one).
    member_trails: str


@dataclass(frozen=True)
class RegionPlan:
    """What one region's stack carries."""

    region: str
    detections: tuple[Detection, ...]  # the EventBridge engine's; none without that engine
    carries_trail: bool
    forwards_to: str | None  # the home region, where this region's matches go in central mode
    kms_key: bool  # a customer managed key for the trail and the alert topic
    # Home only, with the metric-filter engine: the detections its metric filters count.
    metric_filters: tuple[Detection, ...] = ()

    @property
    def carries_topic(self) -> bool:
        """An alert topic; every stack has a health topic."""
        return self.forwards_to is None

    @property
    def forwarded(self) -> tuple[Detection, ...]:
        """Detections whose matches go to the home bus (central delivery, other regions)."""
        if not self.forwards_to:
            return ()
        return tuple(d for d in self.detections if not d.to_health_topic)

    @property
    def local(self) -> tuple[Detection, ...]:
        """Detections with rules in this stack; in central delivery's other regions, only those
        delivered to the health topic, which every stack has."""
        if not self.forwards_to:
            return self.detections
        return tuple(d for d in self.detections if d.to_health_topic)


@dataclass(frozen=True)
class MonitorConfig:
    home_region: str
    monitored_regions: tuple[str, ...]
    notification_emails: tuple[str, ...]
    subscriptions: tuple[Subscription, ...]  # every topic's, notificationEmails included
    name_prefix: str
    tags: Mapping[str, str]
    detection_groups: tuple[str, ...]
    delivery_mode: str  # "per-region": a topic per region; "central": forward to the home topic
    kms_key: bool  # a customer managed key for the trail and the alert topics
    log_archive_after_days: int  # trail logs move to Glacier Instant Retrieval after this
    object_lock: ObjectLock | None  # WORM retention of the trail logs
    state_backend: StateBackend | None  # None: local state files in the project folder
    engines: tuple[str, ...]  # alertEngines: "eventbridge" and/or "metric-filters"
    suppressions: tuple[Suppression, ...]  # suppressions, then the knownNoise opt-ins
    log_retention_days: int  # the trail's CloudWatch Logs log group (metric-filter engine)
    prevent_destroy: bool  # False only for a deliberate teardown (README, Teardown)
    organization: Organization | None  # None: this account only
    chat: tuple[ChatChannel, ...]  # chat channels (Amazon Q Developer in chat applications)
    # Accounts a shared snapshot or image, or a function's grant, may name without an alert
    # (attack group), besides the account itself: trustedAccounts.
    trusted_accounts: tuple[str, ...]
    # athenaTable: the Glue database of the trail bucket's Athena table (constructs_lib.trail_table);
    # None: no table.
    athena_database: str | None
    partition: str  # derived from the regions, e.g. "aws"
    partition_regions: frozenset[str]
    global_region: str  # where the partition delivers IAM and root sign-in events
    # sigmaRules: the user's own Sigma rules as detections, each for the engines that run it
    # exactly; and one line per rule, or rule and engine, skipped as the configuration allows.
    sigma_rules: tuple[Detection, ...] = ()
    sigma_skipped: tuple[str, ...] = ()
    # A digest of everything here that decides what is synthesized (the account names, which
    # only make replay reads, aside): the synthesis records it, and the operator commands refuse
    # stacks of another configuration.
    fingerprint: str = ""

    @property
    def default_tags(self) -> dict[str, str]:
        return {PROJECT_TAG: self.name_prefix, **self.tags}

    @property
    def detections(self) -> tuple[Detection, ...]:
        """The catalog's selected entries, then the user's Sigma rules (sigmaRules)."""
        catalog = selected(self.detection_groups, kms_key=self.kms_key, engines=self.engines)
        return catalog + tuple(
            d
            for d in self.sigma_rules
            if (self.kms_key or not d.requires_kms_key) and d.engine in (None, *self.engines)
        )

    @property
    def eventbridge_detections(self) -> tuple[Detection, ...]:
        """What the EventBridge engine runs: every selected entry but the thresholds, which
        only a metric filter's alarm can count."""
        if EVENTBRIDGE not in self.engines:
            return ()
        return tuple(d for d in self.detections if d.engine != METRIC_FILTERS)

    @property
    def compiled_summary(self) -> str:
        """One line: the Sigma rules compiled per engine (make synth prints it)."""
        mine = {d.id for d in self.sigma_rules}
        counts = [
            f"{len(found)} to {what}" + (f" ({len(mine & found)} of sigmaRules)" if mine else "")
            for engine, what, found in (
                (EVENTBRIDGE, "EventBridge", {d.id for d in self.eventbridge_detections}),
                (
                    METRIC_FILTERS,
                    "CloudWatch Logs metric filters",
                    {d.id for d in self.metric_filter_detections},
                ),
            )
            if engine in self.engines
        ]
        skipped = f"; {len(self.sigma_skipped)} skipped" if self.sigma_skipped else ""
        return f"Sigma rules compiled: {', '.join(counts)}{skipped}"

    def pattern_names(self, account_id: str) -> dict[str, str | tuple[str, ...]]:
        """What fills a pattern's or filter's account placeholders: ``account_id`` (a Terraform
        reference in a stack) and the trusted accounts."""
        return {ACCOUNT_PLACEHOLDER: account_id, TRUSTED_ACCOUNTS: self.trusted_accounts}

    @property
    def metric_filter_detections(self) -> tuple[Detection, ...]:
        """What the metric-filter engine counts: every selected entry a filter can express."""
        if METRIC_FILTERS not in self.engines:
            return ()
        return tuple(d for d in self.detections if d.log_filter or d.cis_control)

    def regions_for(self, delivery: Delivery) -> frozenset[str]:
        """Where a detection with this delivery must have a rule (EVERY_STACK: see region_plans)."""
        monitored = frozenset(self.monitored_regions)
        if delivery is Delivery.GLOBAL:
            return frozenset({self.global_region})
        if delivery is Delivery.REGIONAL:
            return monitored
        if delivery is Delivery.REGIONAL_AND_GLOBAL:
            return monitored | {self.global_region}
        if delivery is Delivery.SIGN_IN:
            return monitored | (frozenset(SIGN_IN_REGIONS) & self.partition_regions)
        if delivery is Delivery.HOME:
            return frozenset({self.home_region})
        raise ValueError(delivery)

    def region_plans(self) -> tuple[RegionPlan, ...]:
        """One plan per stack: home first, the other monitored regions in order, then the rest.

        The metric-filter engine lives at home: the multi-region trail delivers every region's
        records to its one log group. Alone, it is one stack.
        """
        if EVENTBRIDGE not in self.engines:
            return (
                RegionPlan(
                    region=self.home_region,
                    detections=(),
                    carries_trail=True,
                    forwards_to=None,
                    kms_key=self.kms_key,
                    metric_filters=self.metric_filter_detections,
                ),
            )
        placed = {
            d.id: self.regions_for(d.delivery)
            for d in self.eventbridge_detections
            if d.delivery is not Delivery.EVERY_STACK
        }
        deployed = set(self.monitored_regions).union(*placed.values())
        order = [self.home_region, *self.monitored_regions, *sorted(deployed)]
        regions = list(dict.fromkeys(order))
        central = self.delivery_mode == "central"

        def carried(detection: Detection, region: str) -> bool:
            if detection.requires_kms_key and not has_key(region):
                return False
            # In central delivery the home bus receives every region's matches: its rules
            # must match them all to deliver them to the one topic.
            if central and region == self.home_region:
                return True
            return detection.id not in placed or region in placed[detection.id]

        def has_key(region: str) -> bool:
            # The key encrypts the trail and the alert topic: none where there is neither.
            return self.kms_key and (not central or region == self.home_region)

        return tuple(
            RegionPlan(
                region=region,
                detections=tuple(d for d in self.eventbridge_detections if carried(d, region)),
                carries_trail=region == self.home_region,
                forwards_to=self.home_region if central and region != self.home_region else None,
                kms_key=has_key(region),
                metric_filters=self.metric_filter_detections if region == self.home_region else (),
            )
            for region in regions
        )


# Imported when a configuration holds what they check (they take 30-40 ms to import).


def _validate_email(address: str) -> str:
    from email_validator import validate_email

    return validate_email(address, check_deliverability=False).normalized


def _email_error() -> type[Exception]:
    from email_validator import EmailNotValidError

    return EmailNotValidError


def _parse_arn(arn: str) -> dict[str, str]:
    from botocore.utils import ArnParser

    return ArnParser().parse_arn(arn)


def _arn_error() -> type[Exception]:
    from botocore.utils import InvalidArnException

    return InvalidArnException


# ---- region data (botocore's endpoint data, not a hand-written list) ----


@cache
def _partitions() -> list[dict[str, Any]]:
    """What ``botocore.loaders.create_loader().load_data("endpoints")`` returns: the first
    endpoints.json(.gz) of its search paths (~/.aws/models, then botocore's data), read here
    without importing the loader and the HTTP stack it brings (80 ms a synthesis)."""
    for folder in (Path.home() / ".aws" / "models", Path(botocore.__file__).parent / "data"):
        for name, opener in (("endpoints.json", open), ("endpoints.json.gz", gzip.open)):
            if (folder / name).is_file():
                with opener(folder / name, "rb") as data:
                    return json.loads(data.read().decode("utf-8"))["partitions"]
    raise FileNotFoundError(f"botocore {botocore.__version__} holds no endpoints.json")


def known_regions() -> list[str]:
    """Every region botocore knows, in every partition."""
    return sorted(region for partition in _partitions() for region in partition["regions"])


def _partition_of(key: str, region: str) -> dict[str, Any]:
    partitions = _partitions()
    for partition in partitions:
        if region in partition["regions"]:
            return partition
    known = sorted(r for p in partitions for r in p["regions"])
    close = difflib.get_close_matches(region, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(
        key, region, f"not an AWS region known to botocore {botocore.__version__}{hint}"
    )


def _global_region(partition: dict[str, Any]) -> str:
    # IAM's partition-wide endpoint is signed in, and delivers its events to, this one region.
    iam = partition["services"]["iam"]
    return iam["endpoints"][iam["partitionEndpoint"]]["credentialScope"]["region"]


# ---- value parsers: raw JSON-ish value -> typed value, or ConfigError ----


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, value, "must be a string")
    if not value.strip():
        raise ConfigError(key, value, "must not be empty")
    if value != value.strip():
        raise ConfigError(key, value, "must not start or end with spaces")
    if CONTROL.search(value):
        raise ConfigError(key, value, "must not hold control characters (line breaks, tabs)")
    return value


def _string_list(key: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ConfigError(key, value, "must be a list of strings")
    return [_string(f"{key}[{i}]", item) for i, item in enumerate(value)]


def _region(key: str, value: Any) -> str:
    region = _string(key, value)
    _partition_of(key, region)
    return region


def _regions(key: str, value: Any) -> tuple[str, ...]:
    regions = _string_list(key, value)
    if not regions:
        raise ConfigError(key, value, "must name at least one region")
    seen: set[str] = set()
    for i, region in enumerate(regions):
        _region(f"{key}[{i}]", region)
        if region in seen:
            raise ConfigError(f"{key}[{i}]", region, "duplicate region")
        seen.add(region)
    return tuple(regions)


def _emails(key: str, value: Any) -> tuple[str, ...]:
    emails = []
    seen: set[str] = set()
    for i, item in enumerate(_string_list(key, value)):
        try:
            email = _validate_email(item)
        except _email_error() as error:
            raise ConfigError(
                f"{key}[{i}]", item, f"not a valid e-mail address ({error})"
            ) from None
        if email.lower() in seen:
            raise ConfigError(f"{key}[{i}]", item, "duplicate e-mail address")
        seen.add(email.lower())
        emails.append(email)
    return tuple(emails)


def _name_prefix(key: str, value: Any) -> str:
    prefix = _string(key, value)
    if len(prefix) > MAX_NAME_PREFIX:
        raise ConfigError(key, prefix, f"at most {MAX_NAME_PREFIX} characters")
    if not NAME_PREFIX.fullmatch(prefix):
        raise ConfigError(
            key,
            prefix,
            "lower-case letters, digits and single hyphens, starting with a letter",
        )
    if prefix.startswith(RESERVED_BUCKET_PREFIXES):
        raise ConfigError(
            key, prefix, f"S3 reserves bucket names starting with {RESERVED_BUCKET_PREFIXES}"
        )
    return prefix


def _subscriptions(key: str, value: Any, partition: str) -> tuple[Subscription, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, value, 'must be a list of {"protocol": ..., "endpoint": ...}')
    found: list[Subscription] = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, dict) or set(item) != {"protocol", "endpoint"}:
            raise ConfigError(where, item, 'must be {"protocol": ..., "endpoint": ...}')
        protocol = _string(f"{where}.protocol", item["protocol"])
        endpoint = _string(f"{where}.endpoint", item["endpoint"])
        if protocol not in PROTOCOLS:
            raise ConfigError(f"{where}.protocol", protocol, f"expected one of {list(PROTOCOLS)}")
        endpoint = _endpoint(f"{where}.endpoint", protocol, endpoint, partition)
        subscription = Subscription(protocol, endpoint)
        if subscription in found:
            raise ConfigError(where, item, "duplicate subscription")
        found.append(subscription)
    return tuple(found)


def _endpoint(key: str, protocol: str, endpoint: str, partition: str) -> str:
    """The endpoint, valid for its protocol (SNS Subscribe's endpoint rules)."""
    if protocol in ("email", "email-json"):
        try:
            return _validate_email(endpoint)
        except _email_error() as error:
            raise ConfigError(key, endpoint, f"not a valid e-mail address ({error})") from None
    if protocol == "https":
        return _https_endpoint(key, endpoint)
    try:
        arn = _parse_arn(endpoint)
    except _arn_error():
        raise ConfigError(key, endpoint, f"must be the ARN of an {protocol} resource") from None
    kind = {"sqs": "an SQS queue", "lambda": "a Lambda function"}[protocol]
    resource = ENDPOINT_RESOURCES[protocol]
    if (
        arn["service"] != protocol
        or not ACCOUNT_ID.fullmatch(arn["account"])
        or not resource.fullmatch(arn["resource"])
    ):
        raise ConfigError(key, endpoint, f"must be the ARN of {kind}: {ENDPOINT_FORMS[protocol]}")
    if arn["partition"] != partition:
        raise ConfigError(key, endpoint, f"in partition {arn['partition']!r}, not {partition!r}")
    region = _partition_of(key, arn["region"])
    if region["partition"] != partition:
        raise ConfigError(
            key,
            endpoint,
            f"{arn['region']} is in partition {region['partition']!r}, not {partition!r}",
        )
    return endpoint


# SQS queue names: "up to 80 characters ... alphanumeric characters, hyphens (-), and underscores
# (_)" (CreateQueue; a FIFO queue's .fifo: SNS standard topics deliver to standard queues only);
# Lambda functions: function:<1 to 64 of letters, digits, - and _>[:<version or alias>]
# (Lambda Invoke, FunctionName).
ENDPOINT_RESOURCES = {
    "sqs": re.compile(r"[A-Za-z0-9_-]{1,80}"),
    "lambda": re.compile(r"function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?"),
}
ENDPOINT_FORMS = {
    "sqs": "arn:<partition>:sqs:<region>:<12-digit account>:<1 to 80 of A-Z a-z 0-9 - _>",
    "lambda": "arn:<partition>:lambda:<region>:<12-digit account>:function:<name>[:<alias>]",
}


# A host name's labels (RFC 1123): letters, digits and inner hyphens; SNS refuses an underscore
# ("Your hostname must not contain an underscore",
# https://repost.aws/knowledge-center/sns-topic-https-endpoints-notification).
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# The characters a URL may hold as they are (RFC 3986, section 2), and a % not starting %XX.
URL_CHARACTER = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _https_endpoint(key: str, endpoint: str) -> str:
    """A public https:// URL: "For the https protocol, the (public) endpoint is a URL beginning
    with https://" (SNS Subscribe); "Amazon SNS does not currently support private HTTP(S)
    endpoints" (sns-http-https-endpoint-as-subscriber.html)."""
    if any(c.isspace() for c in endpoint):
        raise ConfigError(key, endpoint, "a URL holds no spaces: encode them as %20")
    wrong = URL_CHARACTER.sub("", endpoint)
    if wrong:
        raise ConfigError(
            key,
            endpoint,
            f"a URL holds {wrong[0]!r} only percent-encoded (RFC 3986: letters, digits, "
            "-._~:/?#[]@!$&'()*+,;= and %XX)",
        )
    if BAD_ESCAPE.search(endpoint):
        raise ConfigError(key, endpoint, "a % in a URL starts a %XX escape (RFC 3986)")
    try:
        url = urlsplit(endpoint)
        host, port = url.hostname, url.port
    except ValueError as error:
        raise ConfigError(key, endpoint, f"not a URL ({error})") from None
    if url.scheme != "https" or not host:
        raise ConfigError(key, endpoint, "must be an https:// URL")
    if port == 0:
        raise ConfigError(key, endpoint, "port 0 is not a port")
    address = _ip_address(host)
    if address is None:
        labels = host.rstrip(".").split(".")
        if len(labels) < 2 or not all(HOST_LABEL.fullmatch(label) for label in labels):
            raise ConfigError(
                key,
                endpoint,
                f"{host!r} is not a public host name (letters, digits, hyphens, dots)",
            )
        if labels[-1].lower() in ("localhost", "local", "internal"):
            raise ConfigError(key, endpoint, "SNS delivers to public endpoints only")
    elif not address.is_global:
        raise ConfigError(
            key, endpoint, f"{host} is not a public address: SNS delivers to public endpoints only"
        )
    return endpoint


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, value, "must be true or false")
    return value


def _days(key: str, value: Any, low: int = 1, high: int = 36500) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(key, value, f"must be a whole number of days from {low} to {high}")
    return value


def _object_lock(key: str, value: Any) -> ObjectLock | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"mode", "days"}:
        raise ConfigError(
            key, value, 'must be null or {"mode": "GOVERNANCE" | "COMPLIANCE", "days": N}'
        )
    if value["mode"] not in ("GOVERNANCE", "COMPLIANCE"):
        raise ConfigError(f"{key}.mode", value["mode"], "expected GOVERNANCE or COMPLIANCE")
    return ObjectLock(mode=value["mode"], days=_days(f"{key}.days", value["days"]))


# S3 general purpose bucket naming rules:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(key: str, value: Any) -> str:
    name = _string(key, value)
    problem = None
    if not BUCKET_NAME.fullmatch(name):
        problem = "3-63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit"
    elif ".." in name:
        problem = "no two adjacent dots"
    elif name.startswith(RESERVED_BUCKET_PREFIXES) or name.endswith(RESERVED_BUCKET_SUFFIXES):
        problem = "S3 reserves this prefix or suffix"
    else:
        try:
            ipaddress.IPv4Address(name)
            problem = "not formatted as an IP address"
        except ValueError:
            pass
    if problem:
        raise ConfigError(key, name, f"not a valid S3 bucket name: {problem}")
    return name


def _state_backend(key: str, value: Any) -> StateBackend | None:
    if value is None:
        return None
    fields = {"type", "bucket", "keyPrefix", "region", "lockfile"}
    if not isinstance(value, dict) or not {"type", "bucket", "region"} <= set(value) <= fields:
        raise ConfigError(
            key,
            value,
            'must be null or {"type": "s3", "bucket", "region"[, "keyPrefix", "lockfile"]}',
        )
    if value["type"] != "s3":
        raise ConfigError(f"{key}.type", value["type"], 'only "s3" is supported')
    return StateBackend(
        bucket=_bucket_name(f"{key}.bucket", value["bucket"]),
        key_prefix=_key_prefix(f"{key}.keyPrefix", value.get("keyPrefix", "api-call-alerts")),
        region=_region(f"{key}.region", value["region"]),
        lockfile=_boolean(f"{key}.lockfile", value.get("lockfile", True)),
    )


# Terraform's S3 backend refuses a key that is empty, starts or ends with "/" or holds "//"
# (hashicorp/terraform, internal/backend/remote-state/s3: validateStringNotEmpty,
# validateStringS3Path, validateStringDoesNotContain("//")); S3's keys are at most 1,024 bytes.
S3_BACKEND = "https://developer.hashicorp.com/terraform/language/backend/s3"


def _key_prefix(key: str, value: Any) -> str:
    """The state objects' folder: outer slashes dropped (<prefix>/<stack>.tfstate adds one)."""
    prefix = _string(key, value).strip("/")
    if not prefix:
        raise ConfigError(
            key, value, f"names no folder: the S3 backend refuses such a key ({S3_BACKEND})"
        )
    if "//" in prefix:
        raise ConfigError(key, value, f'the S3 backend refuses a key holding "//" ({S3_BACKEND})')
    if len(prefix.encode()) > 900:
        raise ConfigError(key, value, "too long: an S3 key holds at most 1,024 bytes")
    return prefix


def _choices(key: str, value: Any, allowed: Iterable[str], noun: str) -> tuple[str, ...]:
    """A non-empty list of distinct values from ``allowed``, each named ``noun`` in errors."""
    allowed = list(allowed)
    chosen = _string_list(key, value)
    if not chosen:
        raise ConfigError(key, value, f"select at least one of {allowed}")
    for i, item in enumerate(chosen):
        if item not in allowed:
            raise ConfigError(
                f"{key}[{i}]",
                item,
                f"unknown {noun}{_did_you_mean(item, allowed)}; expected one of {allowed}",
            )
        if item in chosen[:i]:
            raise ConfigError(f"{key}[{i}]", item, f"duplicate {noun}")
    return tuple(chosen)


def _groups(key: str, value: Any) -> tuple[str, ...]:
    return _choices(key, value, GROUPS, "detection group")


# CloudWatch Logs' retention periods (PutRetentionPolicy, retentionInDays):
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


def _log_retention(key: str, value: Any) -> int:
    if isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
        raise ConfigError(
            key, value, f"CloudWatch Logs keeps logs for one of {list(LOG_RETENTION_DAYS)} days"
        )
    return value


def _engines(key: str, value: Any) -> tuple[str, ...]:
    engines = _choices(key, value, ENGINES, "alert engine")
    return tuple(e for e in ENGINES if e in engines)  # one order, whatever the configuration's


# ---- suppressions ----

SUPPRESSION_FIELDS = {
    "detections",
    "principals",
    "accounts",
    "sourceIps",
    "invokedBy",
    "userAgents",
    "reason",
    "expires",
    "allowCritical",
}
MAX_SUPPRESSION_DAYS = 366  # "at most a year ahead", a leap year included
# An ARN pattern naming IAM users or roles, or STS role sessions, with * wildcards.
PRINCIPAL = re.compile(
    r"arn:(?P<partition>[a-z*-]+):(?P<service>iam|sts)::(?P<account>\d{12}|\*):"
    r"(?P<type>role|user|assumed-role)/(?P<name>[\w+=,.@*/-]+)"
)
SERVICE = re.compile(r"[a-z0-9*][a-z0-9.*-]*\.amazonaws\.com")
# A principal pattern with * names which roles or users with at least this many characters.
MIN_NAMED = 3
# EventBridge's anything-but takes no cidr (operators table, eb-create-pattern-operators.html):
# an IPv4 block is written as an address prefix, so only whole octets can be.
OCTET_PREFIXES = {8: 1, 16: 2, 24: 3}


def _wildcards(key: str, value: Any) -> list[str]:
    patterns = _string_list(key, value)
    for i, pattern in enumerate(patterns):
        if '"' in pattern or "\\" in pattern:
            raise ConfigError(f"{key}[{i}]", pattern, 'no " or \\ in a pattern')
        if not pattern.strip("*"):
            raise ConfigError(f"{key}[{i}]", pattern, "matches everything: name what it matches")
        if "**" in pattern:
            # Event Ruler (EventBridge's matcher): "consecutive wildcard characters are not
            # allowed" (https://github.com/aws/event-ruler#wildcard-matching).
            raise ConfigError(f"{key}[{i}]", pattern, "no two * in a row")
    return patterns


def _principals(key: str, value: Any) -> list[Condition]:
    """ARN patterns -> one condition: a role's pattern covers its sessions (their events name
    the role as userIdentity.sessionContext.sessionIssuer.arn), the others userIdentity.arn."""
    patterns = _wildcards(key, value)
    if not patterns:
        raise ConfigError(
            key, value, "name at least one principal: a suppression for everyone is a switch-off"
        )
    roles, others = [], []
    for i, pattern in enumerate(patterns):
        found = PRINCIPAL.fullmatch(pattern)
        if not found:
            raise ConfigError(
                f"{key}[{i}]",
                pattern,
                "an IAM role or user ARN, or an STS assumed-role ARN, with * wildcards, "
                "e.g. arn:aws:iam::*:role/eks-*",
            )
        named = found["name"].replace("*", "").replace("/", "")
        if not named:
            raise ConfigError(
                f"{key}[{i}]", pattern, f"widens to every {found['type']}: name which ones"
            )
        if "*" in found["name"] and len(named) < MIN_NAMED:
            raise ConfigError(
                f"{key}[{i}]",
                pattern,
                f"widens to almost every {found['type']}: name which ones, with at least "
                f"{MIN_NAMED} characters besides *",
            )
        (roles if found["type"] == "role" else others).append(pattern)
    fields = []
    if roles:
        fields.append((SESSION_ISSUER_ARN, tuple(roles)))
    if others:
        fields.append((PRINCIPAL_ARN, tuple(others)))
    return [Condition(tuple(fields))]


def _source_ips(key: str, value: Any) -> tuple[str, ...]:
    found = []
    for i, item in enumerate(_string_list(key, value)):
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError:
            raise ConfigError(f"{key}[{i}]", item, "not an IP address or CIDR block") from None
        if network.num_addresses == 1:
            found.append(str(network.network_address))
        elif network.version == 4 and network.prefixlen in OCTET_PREFIXES:
            octets = str(network.network_address).split(".")[: OCTET_PREFIXES[network.prefixlen]]
            found.append(".".join(octets) + ".*")
        else:
            raise ConfigError(
                f"{key}[{i}]",
                item,
                "EventBridge patterns cannot exclude this block: use single addresses or "
                "IPv4 /8, /16 or /24 blocks",
            )
    return tuple(found)


def _expires(key: str, value: Any, today: date, reason: str) -> date:
    text = _string(key, value)
    try:
        expires = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(key, text, "an ISO date, YYYY-MM-DD") from None
    if expires < today:
        raise ConfigError(
            key, text, f"expired ({reason!r}): renew it with a new date or remove the suppression"
        )
    if expires > today + timedelta(days=MAX_SUPPRESSION_DAYS):
        raise ConfigError(key, text, "at most a year ahead: a suppression must be reviewed")
    return expires


def _suppression(
    key: str, item: Any, today: date, selected: Mapping[str, Detection]
) -> Suppression:
    if not isinstance(item, dict):
        raise ConfigError(
            key, item, 'must be {"detections", "principals", "reason", "expires", ...}'
        )
    for name in item:
        if name not in SUPPRESSION_FIELDS:
            raise ConfigError(
                f"{key}.{name}",
                item[name],
                f"unknown field{_did_you_mean(name, SUPPRESSION_FIELDS)} "
                f"(expected {sorted(SUPPRESSION_FIELDS)})",
            )
    for required in ("detections", "principals", "reason", "expires"):
        if required not in item:
            raise ConfigError(key, item, f"{required!r} is required")
    reason = _string(f"{key}.reason", item["reason"])
    expires = _expires(f"{key}.expires", item["expires"], today, reason)
    raw = item["detections"]
    if raw == "*":
        detections = None
        touched = list(selected.values())
    else:
        ids = _string_list(f"{key}.detections", raw)
        if not ids:
            raise ConfigError(f"{key}.detections", raw, 'name detections, or "*" for all')
        for i, detection_id in enumerate(ids):
            known = [d.id for d in CATALOG] + [i for i in selected if i not in CATALOG_IDS]
            if detection_id not in known:
                raise ConfigError(
                    f"{key}.detections[{i}]",
                    detection_id,
                    f"unknown detection{_did_you_mean(detection_id, known)}",
                )
            if detection_id not in selected:
                raise ConfigError(
                    f"{key}.detections[{i}]",
                    detection_id,
                    _unselected(detection_id),
                )
        detections = tuple(ids)
        touched = [selected[i] for i in ids]
    critical = [d.id for d in touched if d.severity is Severity.CRITICAL]
    allow = _boolean(f"{key}.allowCritical", item.get("allowCritical", False))
    if critical and not allow:
        raise ConfigError(
            key,
            item,
            f'touches critical detections {critical}: set "allowCritical": true if you mean '
            "it (README, Tuning: what it risks)",
        )
    conditions = _principals(f"{key}.principals", item["principals"])
    for name, path, parse in (
        ("accounts", ACCOUNT, _accounts),
        ("sourceIps", SOURCE_IP, _source_ips),
        ("invokedBy", INVOKED_BY, _services),
        ("userAgents", USER_AGENT, lambda k, v: tuple(_wildcards(k, v))),
    ):
        if name in item:
            patterns = parse(f"{key}.{name}", item[name])
            if not patterns:
                raise ConfigError(f"{key}.{name}", item[name], "empty: leave it out instead")
            conditions.append(Condition(((path, patterns),)))
    return Suppression(
        name=key,
        detections=detections,
        conditions=tuple(conditions),
        reason=reason,
        expires=expires,
    )


def _unselected(detection_id: str) -> str:
    """Why a known detection is not selected, and how to select it."""
    entry = next(d for d in CATALOG if d.id == detection_id)
    groups = sorted(entry.groups - {ALWAYS})
    what = [f"add {' or '.join(repr(g) for g in groups)} to detectionGroups"] if groups else []
    if entry.requires_kms_key:
        what.append("set kmsKey")
    if entry.engine:
        what.append(f"add {entry.engine!r} to alertEngines")
    return "not among the selected detections: " + (" and ".join(what) or "not selectable")


def _accounts(key: str, value: Any) -> tuple[str, ...]:
    accounts = _string_list(key, value)
    for i, account in enumerate(accounts):
        if not re.fullmatch(r"\d{12}", account):
            raise ConfigError(f"{key}[{i}]", account, "an AWS account id: 12 digits")
    return tuple(accounts)


def _services(key: str, value: Any) -> tuple[str, ...]:
    services = _wildcards(key, value)
    for i, service in enumerate(services):
        if not SERVICE.fullmatch(service):
            raise ConfigError(
                f"{key}[{i}]", service, "an AWS service principal, e.g. autoscaling.amazonaws.com"
            )
    return tuple(services)


def _suppressions(
    key: str, value: Any, today: date, selected: Mapping[str, Detection]
) -> tuple[Suppression, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, value, "must be a list of suppressions")
    return tuple(_suppression(f"{key}[{i}]", item, today, selected) for i, item in enumerate(value))


def _known_noise(
    key: str, value: Any, selected: Mapping[str, Detection]
) -> tuple[Suppression, ...]:
    non_critical = [d.id for d in CATALOG if d.severity is not Severity.CRITICAL]
    available = known_noise(non_critical)
    found = []
    for i, name in enumerate(_string_list(key, value)):
        if name not in available:
            raise ConfigError(
                f"{key}[{i}]",
                name,
                f"unknown{_did_you_mean(name, available)}; expected one of {sorted(available)}",
            )
        suppression = available[name].suppression
        if suppression in found:
            raise ConfigError(f"{key}[{i}]", name, "duplicate")
        found.append(suppression)
    return tuple(found)


def _check_suppressed_patterns(settings: MonitorConfig, where: str) -> None:
    """Every narrowed rule fits EventBridge (size, description, wildcards per pattern and rules
    with wildcards per bus), and every narrowed filter fits CloudWatch Logs."""
    if not settings.suppressions:
        return
    names = {
        KEY_ID: "1234abcd-12ab-34cd-56ef-1234567890ab",
        KEY_ARN: f"arn:{settings.partition}:kms:{settings.home_region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        **settings.pattern_names("111122223333"),
    }
    if EVENTBRIDGE in settings.engines:
        _check_wildcard_rules(settings, where, names)
    for detection in settings.detections:
        mine = tuple(s for s in settings.suppressions if s.applies_to(detection.id))
        if not mine:
            continue
        runs_rules = detection in settings.eventbridge_detections
        for variant in rule_variants(detection, mine) if runs_rules else ():
            pattern = _narrowed(variant, settings.name_prefix, names, where, mine)
            size = len(json.dumps(pattern))
            if size > limits.EVENT_PATTERN.value:
                raise ConfigError(
                    where,
                    [s.name for s in mine],
                    f"{variant.id}'s pattern would be {size} characters with its suppressions; "
                    f"EventBridge takes {limits.EVENT_PATTERN.value} "
                    f"({limits.EVENTBRIDGE_QUOTAS}): split or shorten them",
                )
            score = limits.complexity(pattern)
            if score > limits.COMPLEXITY.value:
                raise ConfigError(
                    where,
                    [s.name for s in mine],
                    f"{variant.id}'s pattern would score {score} in EventBridge's wildcard "
                    f"complexity, over the {limits.COMPLEXITY.value} known to be accepted: "
                    f'EventBridge refuses a rule "too complex" ({limits.WILDCARD_COMPLEXITY}). '
                    "Exact values, or one leading or trailing *, cost nothing",
                )
            if len(variant.description) > limits.RULE_DESCRIPTION.value:
                raise ConfigError(
                    where,
                    [s.name for s in mine],
                    f"{variant.id}'s description would be {len(variant.description)} characters; "
                    f"EventBridge takes {limits.RULE_DESCRIPTION.value}: shorten the reasons",
                )
        if METRIC_FILTERS in settings.engines and detection in settings.metric_filter_detections:
            if detection.cis_control:
                raise ConfigError(
                    where,
                    [s.name for s in mine],
                    f"{detection.id} is counted by {detection.cis_control}'s exact CIS filter, "
                    "to which Security Hub allows no added term: the metric-filter engine cannot "
                    "suppress it",
                )
            text = narrowed_filter(
                detection.metric_filter(settings.name_prefix, names).pattern, mine
            )
            if len(text) > limits.FILTER_PATTERN.value:
                raise ConfigError(
                    where,
                    [s.name for s in mine],
                    f"{detection.id}'s filter would be {len(text)} characters; "
                    f"CloudWatch Logs takes {limits.FILTER_PATTERN.value}",
                )


def _narrowed(
    variant: RuleVariant,
    name_prefix: str,
    names: Mapping[str, str],
    where: str,
    suppressions: Sequence[Suppression],
) -> dict[str, Any]:
    try:
        return variant.event_pattern(name_prefix, names)
    except InexpressibleError as error:
        raise ConfigError(
            where, [s.name for s in suppressions], f"{variant.detection.id}: {error}"
        ) from None


def _check_wildcard_rules(settings: MonitorConfig, where: str, names: Mapping[str, str]) -> None:
    """No bus gets more rules with wildcards than EventBridge takes (30, not adjustable)."""
    quota = limits.WILDCARD_RULES_PER_BUS
    organization_bus = settings.organization is not None
    for plan in settings.region_plans():
        on_organization_bus = {d.id for d in forwarded(plan.local)} if organization_bus else set()
        buses: dict[str, list[str]] = {}
        widened: dict[str, set[str]] = {}
        for detection in plan.local:
            bus = "organization" if detection.id in on_organization_bus else "default"
            own = limits.wildcards(detection.pattern) > 0
            for variant in rule_variants(detection, settings.suppressions):
                widens = bool(variant.active_suppressions) and not own
                if widens:
                    pattern = _narrowed(variant, settings.name_prefix, names, where, ())
                    widens = limits.wildcards(pattern) > 0
                if own or widens:
                    buses.setdefault(bus, []).append(variant.id)
                if widens:
                    widened.setdefault(bus, set()).update(
                        s.name for s in variant.active_suppressions
                    )
        for bus, rules in buses.items():
            if len(rules) > quota.value:
                raise ConfigError(
                    where,
                    sorted(widened.get(bus, ())),
                    f"{plan.region}'s {bus} event bus would hold {len(rules)} rules containing "
                    f"wildcards; EventBridge takes {quota.value} per bus, not adjustable "
                    f"({quota.source}): these suppressions add wildcards to rules without any. "
                    "Exact values, or one leading or trailing *, need none; or name fewer "
                    "detections",
                )


def _check_trusted_patterns(settings: MonitorConfig, where: str) -> None:
    """The trusted accounts, written into the attack group's patterns, leave them within
    EventBridge's 2,048 characters (a Terraform reference stands for the account itself)."""
    names = settings.pattern_names(
        "${data.aws_caller_identity.region_account_account_0123abcd.account_id}"
    )
    for detection in settings.eventbridge_detections:
        for variant in rule_variants(detection):
            size = len(variant.event_pattern_json(settings.name_prefix, names))
            if size > limits.EVENT_PATTERN.value:
                raise ConfigError(
                    where,
                    list(settings.trusted_accounts),
                    f"{len(settings.trusted_accounts)} accounts make {variant.id}'s pattern "
                    f"{size} characters; EventBridge takes {limits.EVENT_PATTERN.value}",
                )


# AWS Organizations' identifier formats, from the Organizations API reference: Organization.Id,
# OrganizationalUnit.Id, Root.Id, Account.Id and CreateAccount's AccountName
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html,
# .../API_Root.html, .../API_Organization.html, .../API_CreateAccount.html).
ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
OU_ID = re.compile(r"ou-([0-9a-z]{4,32})-[a-z0-9]{8,32}")
ROOT_ID = re.compile(r"r-([0-9a-z]{4,32})")
ACCOUNT_ID = re.compile(r"\d{12}")
ACCOUNT_NAME = re.compile(r"[\u0020-\u007e]{1,50}")
ORGANIZATION_KEYS = {
    "securityAccount",
    "organizationId",
    "organizationalUnits",
    "accounts",
    "management",
    "memberTrails",
}
MANAGEMENT_KEYS = {"roleArn", "protectForwarding"}
# A role ARN's resource: role/<path/><name>, RoleName [\w+=,.@-]{1,64} (IAM CreateRole,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); the path, which IAM
# allows any printable ASCII, is held to the name's characters here.
ROLE_RESOURCE = re.compile(r"role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
# EventBridge receives a member's API calls only while a trail logs them there: "To record events
# with one of the CloudTrail detail-type values, you must enable a CloudTrail trail with logging"
# (EventBridge guide, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
# An organization trail is one: "a trail with the name that you give it is created in every AWS
# account that belongs to your organization" (CloudTrail guide,
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html).
MEMBER_TRAILS = ("organization", "existing")
TRAIL_SOURCE = "EventBridge guide, eb-service-event-cloudtrail.html"


def _trusted_accounts(key: str, value: Any) -> tuple[str, ...]:
    """Account ids; a share with them, or a grant to them, is not exfiltration (attack group)."""
    accounts = [_account_id(f"{key}[{i}]", item) for i, item in enumerate(_string_list(key, value))]
    for i, account in enumerate(accounts):
        if account in accounts[:i]:
            raise ConfigError(f"{key}[{i}]", account, "duplicate")
    return tuple(accounts)


def _account_id(key: str, value: Any) -> str:
    account = _string(key, value)
    if not ACCOUNT_ID.fullmatch(account):
        raise ConfigError(key, account, "an AWS account id: 12 digits")
    return account


def _organizational_units(key: str, value: Any) -> tuple[str, ...]:
    units = _string_list(key, value)
    if not units:
        raise ConfigError(key, value, "must name at least one OU (ou-...) or the root (r-...)")
    roots = set()
    for i, unit in enumerate(units):
        match = OU_ID.fullmatch(unit) or ROOT_ID.fullmatch(unit)
        if not match:
            raise ConfigError(
                f"{key}[{i}]", unit, "an OU id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)"
            )
        if units.index(unit) != i:
            raise ConfigError(f"{key}[{i}]", unit, "duplicate")
        roots.add(match.group(1))
    if len(roots) > 1:
        # An OU's id carries its root's: ou-<root>-<ou>. One organization has one root.
        raise ConfigError(key, units, f"names OUs of {len(roots)} different roots: {sorted(roots)}")
    root = next((u for u in units if u.startswith("r-")), None)
    if root and len(units) > 1:
        raise ConfigError(key, units, f"the root {root} already covers every OU: list it alone")
    return tuple(units)


def _account_names(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(
            key, value, 'must be an object of account ids to names, {"111122223333": "prod"}'
        )
    names = {}
    for account, name in value.items():
        _account_id(f"{key} key", account)
        name = _string(f"{key}.{account}", name)
        if not ACCOUNT_NAME.fullmatch(name):
            raise ConfigError(
                f"{key}.{account}",
                name,
                "1 to 50 printable ASCII characters (Organizations' account name)",
            )
        names[account] = name
    return names


def _management(key: str, value: Any, partition: str) -> Management | None:
    if value is None:
        return None
    if isinstance(value, dict) and "organizationTrail" in value:
        raise ConfigError(
            f"{key}.organizationTrail",
            value["organizationTrail"],
            'replaced by organization.memberTrails: "organization" (the default) creates the '
            'organization trail, "existing" states that every member account already has a '
            "trail that is logging; remove organizationTrail",
        )
    if not isinstance(value, dict) or "roleArn" not in value or set(value) - MANAGEMENT_KEYS:
        raise ConfigError(
            key,
            value,
            'must be {"roleArn": ..., "protectForwarding": true | false}',
        )
    where = f"{key}.roleArn"
    role_arn = _string(where, value["roleArn"])
    try:
        arn = _parse_arn(role_arn)
    except _arn_error():
        raise ConfigError(where, role_arn, "must be an IAM role ARN") from None
    if arn["service"] != "iam" or arn["region"] or not arn["resource"].startswith("role/"):
        raise ConfigError(
            where, role_arn, "must be an IAM role ARN: arn:<partition>:iam::<account>:role/<name>"
        )
    if not ACCOUNT_ID.fullmatch(arn["account"]) or not ROLE_RESOURCE.fullmatch(arn["resource"]):
        raise ConfigError(
            where,
            role_arn,
            "must be an IAM role ARN: arn:<partition>:iam::<account>:role/<path/><name>, the "
            "name of 1 to 64 letters, digits and +=,.@_- (IAM quotas and CreateRole)",
        )
    if arn["partition"] != partition:
        raise ConfigError(where, role_arn, f"in partition {arn['partition']!r}, not {partition!r}")
    return Management(
        role_arn=role_arn,
        account_id=arn["account"],
        protect_forwarding=_boolean(
            f"{key}.protectForwarding", value.get("protectForwarding", False)
        ),
    )


def _organization(key: str, value: Any, partition: str) -> Organization | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(key, value, "must be null or an object (README, Organization mode)")
    for name in value:
        if name not in ORGANIZATION_KEYS:
            raise ConfigError(
                f"{key}.{name}",
                value[name],
                f"unknown key{_did_you_mean(name, ORGANIZATION_KEYS)} (expected one of {sorted(ORGANIZATION_KEYS)})",
            )
    for name in ("securityAccount", "organizationId", "organizationalUnits"):
        if name not in value:
            raise ConfigError(f"{key}.{name}", None, "is required")
    organization_id = _string(f"{key}.organizationId", value["organizationId"])
    if not ORGANIZATION_ID.fullmatch(organization_id):
        raise ConfigError(
            f"{key}.organizationId",
            organization_id,
            "an organization id: o- and 10 to 32 lower-case letters or digits",
        )
    security = _account_id(f"{key}.securityAccount", value["securityAccount"])
    management = _management(f"{key}.management", value.get("management"), partition)
    if management and management.account_id == security:
        # StackSets' delegated administrator must be a member account, not the management one.
        raise ConfigError(
            f"{key}.management.roleArn",
            management.role_arn,
            "is in securityAccount: the security account must be a member account, "
            "registered as the StackSets delegated administrator",
        )
    member_trails = value.get("memberTrails", MEMBER_TRAILS[0])
    if member_trails not in MEMBER_TRAILS:
        raise ConfigError(
            f"{key}.memberTrails",
            member_trails,
            f'must be "organization" (the management stack creates the organization trail) or '
            f'"existing" (every member account already has a trail that is logging; {TRAIL_SOURCE})',
        )
    if member_trails == "organization" and not management:
        raise ConfigError(
            f"{key}.memberTrails",
            member_trails,
            f"{'' if 'memberTrails' in value else '(the default) '}members' EventBridge receives "
            f"API calls only from a trail that is logging ({TRAIL_SOURCE}), and the organization "
            "trail is created in the management account: set organization.management, or "
            '"memberTrails": "existing" if every member account already has a trail that is '
            "logging (e.g. AWS Control Tower's organization trail)",
        )
    return Organization(
        security_account=security,
        organization_id=organization_id,
        organizational_units=_organizational_units(
            f"{key}.organizationalUnits", value["organizationalUnits"]
        ),
        accounts=_account_names(f"{key}.accounts", value.get("accounts", {})),
        management=management,
        member_trails=member_trails,
    )


# The channel ids' formats: botocore's model of the Chatbot API (CreateSlackChannelConfiguration,
# CreateMicrosoftTeamsChannelConfiguration), not patterns written here.
CHAT_FIELDS = {
    "slack": {
        "workspaceId": ("CreateSlackChannelConfiguration", "SlackTeamId", "slack_team_id"),
        "channelId": ("CreateSlackChannelConfiguration", "SlackChannelId", "slack_channel_id"),
    },
    "teams": {
        "teamId": ("CreateMicrosoftTeamsChannelConfiguration", "TeamId", "team_id"),
        "channelId": ("CreateMicrosoftTeamsChannelConfiguration", "ChannelId", "channel_id"),
        "tenantId": ("CreateMicrosoftTeamsChannelConfiguration", "TenantId", "tenant_id"),
    },
}


@cache
def _chatbot_member(operation: str, member: str) -> dict[str, Any]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("chatbot")
    return model.operation_model(operation).input_shape.members[member].metadata


# The chat integration's API is in us-east-2, us-west-2, eu-west-1 and ap-southeast-1 only
# (https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html); AWS documents no
# endpoint in the China or GovCloud partitions.
CHAT_PARTITION = "aws"
# hashicorp/terraform-provider-aws#47039 (open; issues #38943, #45081): the pinned provider finds a
# Teams channel configuration by its team, so a second one in the same team fails ("too many
# results: wanted 1, got N"), drops out of state, and a re-apply gets a 409.
TEAMS_BY_TEAM = "https://github.com/hashicorp/terraform-provider-aws/pull/47039"


def _chat(key: str, value: Any, partition: str = CHAT_PARTITION) -> tuple[ChatChannel, ...]:
    if not isinstance(value, list):
        raise ConfigError(key, value, 'must be a list of {"type": "slack" | "teams", ...}')
    if value and partition != CHAT_PARTITION:
        raise ConfigError(
            key,
            value,
            f"AWS's chat integration (Amazon Q Developer in chat applications) has no API in "
            f"partition {partition!r}: its API Regions are commercial ones "
            "(https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html)",
        )
    channels: list[ChatChannel] = []
    for i, entry in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict) or entry.get("type") not in CHAT_FIELDS:
            raise ConfigError(where, entry, 'must be an object with "type": "slack" or "teams"')
        fields = CHAT_FIELDS[entry["type"]]
        allowed = {"type", "minimumSeverity", *fields}
        for name in entry:
            if name not in allowed:
                raise ConfigError(
                    f"{where}.{name}",
                    entry[name],
                    f"unknown key{_did_you_mean(name, allowed)} (expected one of {sorted(allowed)})",
                )
        ids = {}
        for name, (operation, member, argument) in fields.items():
            if name not in entry:
                raise ConfigError(f"{where}.{name}", None, "is required")
            text = _string(f"{where}.{name}", entry[name])
            rule = _chatbot_member(operation, member)
            if not (
                rule.get("min", 1) <= len(text) <= rule.get("max", 10**6)
                and re.fullmatch(rule["pattern"], text)
            ):
                raise ConfigError(
                    f"{where}.{name}",
                    text,
                    f"not a {member}: {operation} takes {rule['pattern']} "
                    f"({rule.get('min', 1)} to {rule.get('max')} characters)",
                )
            ids[argument] = text
        severity = entry.get("minimumSeverity", Severity.LOW.value)
        choices = [s.value for s in Severity]
        if severity not in choices:
            raise ConfigError(f"{where}.minimumSeverity", severity, f"expected one of {choices}")
        channel = ChatChannel(entry["type"], ids, Severity(severity))
        if any(c.kind == channel.kind and c.ids == channel.ids for c in channels):
            raise ConfigError(where, entry, "the same channel twice")
        team = channel.ids.get("team_id")
        if team and any(c.ids.get("team_id") == team for c in channels):
            raise ConfigError(
                f"{where}.teamId",
                entry["teamId"],
                "a second channel of this team: the pinned AWS provider cannot manage two Teams "
                f"channel configurations of one team ({TEAMS_BY_TEAM}); route both channels' "
                "severities through one",
            )
        channels.append(channel)
    return tuple(channels)


def _delivery_mode(key: str, value: Any) -> str:
    mode = _string(key, value)
    if mode not in DELIVERY_MODES:
        raise ConfigError(key, mode, f"expected one of {list(DELIVERY_MODES)}")
    return mode


def _tag_character(character: str) -> bool:
    """AWS's tag pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$: letters, separators, numbers and _.:/=+-@.
    https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html"""
    return unicodedata.category(character)[0] in "LZN" or character in "_.:/=+-@"


def _tags(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(
            key, value, 'must be an object of tag names to values, e.g. {"Owner": "secops"}'
        )
    # Every resource carries these and the Project tag (provider default_tags, counted in each
    # resource's tags_all), against AWS's 50 tags per resource.
    most = limits.TAGS_PER_RESOURCE.value - 1
    if len(value) > most:
        raise ConfigError(
            key,
            value,
            f"{len(value)} tags: every resource also carries {PROJECT_TAG}, and AWS takes "
            f"{limits.TAGS_PER_RESOURCE.value} per resource ({limits.TAGGING}): at most {most}",
        )
    tags: dict[str, str] = {}
    seen = {PROJECT_TAG.lower(): PROJECT_TAG}
    for name, tag_value in value.items():
        # Tag limits: https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
        if not name or len(name) > limits.TAG_KEY.value or name != name.strip():
            raise ConfigError(
                f"{key}.{name}", tag_value, "tag names are 1-128 characters, no outer spaces"
            )
        if name.lower().startswith("aws:"):
            raise ConfigError(
                f"{key}.{name}", tag_value, "tag names starting with 'aws:' are reserved by AWS"
            )
        if name == PROJECT_TAG:
            raise ConfigError(
                f"{key}.{name}", tag_value, "set from namePrefix; choose another tag name"
            )
        if name.lower() in seen:
            # IAM: "Tag key values for IAM users and roles are not case sensitive" (id_tags.html).
            raise ConfigError(
                f"{key}.{name}",
                tag_value,
                f"IAM roles take tag names case-insensitively: {seen[name.lower()]!r} is "
                "already a tag (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html)",
            )
        seen[name.lower()] = name
        if not isinstance(tag_value, str) or not 1 <= len(tag_value) <= limits.TAG_VALUE.value:
            # CloudTrail's and CloudFormation's tag values have at least one character
            # (AddTags, Tag: Value, minimum length 1).
            raise ConfigError(
                f"{key}.{name}",
                tag_value,
                "tag values are strings of 1 to 256 characters (CloudTrail and CloudFormation "
                "refuse an empty one)",
            )
        for what, text in (("names", name), ("values", tag_value)):
            wrong = [c for c in text if not _tag_character(c)]
            if wrong:
                raise ConfigError(
                    f"{key}.{name}",
                    tag_value,
                    f"tag {what} may hold letters, digits, spaces and _ . : / = + - @ only, "
                    f"not {wrong[0]!r}",
                )
        tags[name] = tag_value
    return tags


# ---- sigmaRules: the user's own Sigma rules ----

SIGMA_ENTRY = {"path", "skipRefused"}
ENGINE_LABELS = {EVENTBRIDGE: "EventBridge", METRIC_FILTERS: "CloudWatch Logs"}


def _sigma_rules(
    key: str, value: Any, base: Path, engines: tuple[str, ...]
) -> tuple[tuple[Detection, ...], tuple[str, ...]]:
    """The Sigma rule files (files, or folders of *.yml) as detections, compiled for the
    configured engines; a rule an engine refuses is an error, or, under ``"skipRefused": true``,
    left out of that engine and reported."""
    if not isinstance(value, list):
        raise ConfigError(key, value, 'a list of paths, or of {"path": ..., "skipRefused": true}')
    files: list[tuple[Path, bool, str]] = []
    for i, entry in enumerate(value):
        where = f"{key}[{i}]"
        if isinstance(entry, dict):
            unknown = set(entry) - SIGMA_ENTRY
            if unknown or "path" not in entry:
                raise ConfigError(where, entry, 'must be {"path": ..., "skipRefused": true}')
            skip = _boolean(f"{where}.skipRefused", entry.get("skipRefused", False))
            entry = entry["path"]
        else:
            skip = False
        path = base / _string(where, entry)
        if path.is_dir():
            found = rule_files.rule_paths(path)
            if not found:
                raise ConfigError(where, entry, f"no Sigma rules (*{rule_files.RULE_SUFFIX}) there")
        elif path.is_file():
            found = [path]
        else:
            raise ConfigError(where, entry, f"no such file or folder ({path})")
        files += [(file, skip, where) for file in found]
    if not files:
        return (), ()
    specs = rule_files.load(file for file, _, _ in files)
    taken = set(CATALOG_IDS)
    rules, skipped = [], []
    for spec, (file, skip, where) in zip(specs, files, strict=True):
        if "error" in spec:
            if not skip:
                raise ConfigError(where, str(file), spec["error"])
            skipped.append(f"{file}: skipped: {spec['error']}")
            continue
        if spec["id"] in taken:
            raise ConfigError(
                where,
                str(file),
                f"the rule's name {spec['id']!r} is taken (by the catalog or another rule): "
                "set another name",
            )
        taken.add(spec["id"])
        running = [e for e in engines if spec["engine"] in (None, e)]
        for engine in list(running):
            line = spec["refused"].get(engine)
            if line is None:
                continue
            if not skip:
                raise ConfigError(where, str(file), line)
            skipped.append(f"{file}: skipped for {ENGINE_LABELS[engine]}: {line}")
            running.remove(engine)
        if not running:
            continue
        engine = running[0] if len(running) < len(engines) else spec["engine"]
        # Their tags are theirs: the group is sigmaRules', ATT&CK pairs only those attack.py
        # names (the catalog's tables list them), Stratus techniques likewise.
        spec = {
            **spec,
            "title": _deliverable(spec["title"]),
            "rationale": _deliverable(spec["rationale"]),
            "engine": engine,
            "groups": [SIGMA_GROUP],
            "attack": [p for p in spec["attack"] if _known_pair(p)],
            "stratus": [t for t in spec["stratus"] if t in STRATUS],
        }
        try:
            rules.append(from_spec(spec))
        except ValueError as error:
            raise ConfigError(where, str(file), str(error)) from None
    return tuple(rules), tuple(skipped)


# The alert's static text arrives as written only without characters JSON escapes or EventBridge
# reads as a placeholder (alert_message.py): a user's title and description are made so.
UNDELIVERABLE = str.maketrans({'"': "'", "\\": "/", "<": "(", ">": ")"})


def _deliverable(text: str) -> str:
    return " ".join(text.translate(UNDELIVERABLE).split())


def _known_pair(pair: str) -> bool:
    tactic, _, technique = pair.partition(":")
    return tactic in TACTICS and technique in TECHNIQUES


# ---- athenaTable: the trail bucket's Athena table ----

# Athena's names: "lower case ... not less than 1 or more than 255 bytes" (ATHENA_NAMES); of
# the UTF-8 Glue takes, the letters, digits and underscore a query names without quoting.
GLUE_DATABASE = re.compile(rf"[a-z0-9_]{{1,{limits.GLUE_NAME.value}}}")


def _athena_table(key: str, value: Any, name_prefix: str) -> str | None:
    """The database of the trail's Athena table: false (none), true (namePrefix's, hyphens as
    underscores) or {"database": name}."""
    if value is False or value is None:
        return None
    if value is True:
        return database_name(name_prefix)
    if not isinstance(value, dict) or set(value) != {"database"}:
        raise ConfigError(key, value, 'must be true, false or {"database": "<Glue database>"}')
    name = _string(f"{key}.database", value["database"])
    if not GLUE_DATABASE.fullmatch(name):
        raise ConfigError(
            f"{key}.database",
            name,
            f"lower-case letters, digits and underscores, at most {limits.GLUE_NAME.value} "
            f"({limits.ATHENA_NAMES})",
        )
    return name


# ---- the keys: context name, shell override, parser, default ----


def _split(raw: str) -> list[str]:
    """A comma-separated shell value; empty means an empty list."""
    return [part.strip() for part in raw.split(",")] if raw.strip() else []


def _switch(key: str, raw: str) -> Any:
    """A true/false shell value; anything else is kept for the key's own parser to refuse."""
    return {"true": True, "false": False}.get(raw.strip().lower(), raw)


def _list(key: str, raw: str) -> list[str]:
    """A comma-separated shell list, refused with a hint when it looks space-separated."""
    parts = _split(raw)
    for part in parts:
        if " " in part:
            raise ConfigError(key, raw, "a comma-separated list: a,b,c")
    return parts


def _json_object(key: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(key, raw, f"not valid JSON ({error.msg})") from None


def _json_or_list(key: str, raw: str) -> Any:
    """A JSON value when it starts like one, else a comma-separated list."""
    return _json_object(key, raw) if raw.lstrip()[:1] in ("[", "{") else _list(key, raw)


@dataclass(frozen=True)
class Key:
    name: str  # the cdktf.json context key
    env: str  # the shell variable that overrides it for one run
    default: Any
    from_env: Callable[[str, str], Any]  # (env name, raw string) -> JSON-ish value


KEYS: tuple[Key, ...] = (
    Key("homeRegion", "ALERTS_HOME_REGION", "ap-northeast-1", lambda k, raw: raw),
    Key("monitoredRegions", "ALERTS_MONITORED_REGIONS", None, _list),
    Key("notificationEmails", "ALERTS_NOTIFICATION_EMAILS", [], _list),
    Key("namePrefix", "ALERTS_NAME_PREFIX", "api-alerts", lambda k, raw: raw),
    Key("tags", "ALERTS_TAGS", {}, _json_object),
    Key(
        "detectionGroups",
        "ALERTS_DETECTION_GROUPS",
        list(DEFAULT_GROUPS),
        _list,
    ),
    Key("delivery", "ALERTS_DELIVERY", "per-region", lambda k, raw: raw),
    Key("subscriptions", "ALERTS_SUBSCRIPTIONS", [], _json_object),
    Key("kmsKey", "ALERTS_KMS_KEY", False, _switch),
    Key("logArchiveAfterDays", "ALERTS_LOG_ARCHIVE_AFTER_DAYS", 90, _json_object),
    Key("objectLock", "ALERTS_OBJECT_LOCK", None, _json_object),
    Key("stateBackend", "ALERTS_STATE_BACKEND", None, _json_object),
    Key("preventDestroy", "ALERTS_PREVENT_DESTROY", True, _switch),
    Key("alertEngines", "ALERTS_ENGINES", [EVENTBRIDGE], _list),
    # A year: Security Hub's CloudWatch.16 and checkov CKV_AWS_338 ask for at least that.
    Key("logRetentionDays", "ALERTS_LOG_RETENTION_DAYS", 365, _json_object),
    Key("suppressions", "ALERTS_SUPPRESSIONS", [], _json_object),
    Key("knownNoise", "ALERTS_KNOWN_NOISE", [], _list),
    Key("organization", "ALERTS_ORGANIZATION", None, _json_object),
    Key("chat", "ALERTS_CHAT", [], _json_object),
    Key("trustedAccounts", "ALERTS_TRUSTED_ACCOUNTS", [], _list),
    Key("sigmaRules", "ALERTS_SIGMA_RULES", [], _json_or_list),
    Key("athenaTable", "ALERTS_ATHENA_TABLE", False, _json_object),
)


# cdktf.json's own keys (the cdktf CLI's configuration), besides "context":
# https://developer.hashicorp.com/terraform/cdktf/create-and-deploy/configuration-file
CDKTF_KEYS = frozenset(
    {
        "$schema",
        "app",
        "language",
        "output",
        "codeMakerOutput",
        "projectId",
        "sendCrashReports",
        "terraformProviders",
        "terraformModules",
        "excludeStackIdsFromLogicalIds",
        "allowSepCharsInLogicalIds",
    }
)


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def read_context(cdktf_json: Path) -> dict[str, Any]:
    """The ``context`` object of cdktf.json, refusing settings the app would never see."""
    try:
        document = json.loads(cdktf_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("cdktf.json", str(cdktf_json), "file not found") from None
    except json.JSONDecodeError as error:
        raise ConfigError("cdktf.json", str(cdktf_json), f"not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ConfigError("cdktf.json", str(cdktf_json), "must be a JSON object")
    ours = {key.name for key in KEYS}
    for name, value in document.items():
        if name == "context" or name in CDKTF_KEYS:
            continue
        if name.lower() == "context":
            raise ConfigError(name, value, 'settings go in "context", lower case; this is ignored')
        close = difflib.get_close_matches(name, sorted(ours), n=1, cutoff=0.75)
        if name in ours or close:
            where = name if name in ours else close[0]
            raise ConfigError(
                name,
                value,
                f'belongs inside "context" as {where!r}; at the top level it is ignored',
            )
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise ConfigError("context", context, "must be an object")
    return context


def parse_config(
    context: Mapping[str, Any],
    environ: Mapping[str, str],
    today: date | None = None,
    base: Path | None = None,
) -> MonitorConfig:
    """Validate the context, with shell overrides applied, into a MonitorConfig.

    ``today`` (default: the local date) decides which suppressions have expired; ``base``
    (default: the working folder) is where sigmaRules' relative paths start, cdktf.json's folder.
    """
    known = {key.name for key in KEYS}
    for name in context:
        if name not in known:
            raise ConfigError(
                name,
                context[name],
                f"unknown key{_did_you_mean(name, known)} (expected one of {sorted(known)})",
            )
    variables = {key.env for key in KEYS}
    for name in environ:
        if name.startswith(ENV_PREFIX) and name not in variables:
            raise ConfigError(
                name,
                environ[name],
                f"unknown variable{_did_you_mean(name, variables)} (expected one of {sorted(variables)})",
            )

    raw: dict[str, tuple[str, Any]] = {}  # name -> (where it came from, value)
    for key in KEYS:
        if key.env in environ:
            raw[key.name] = (key.env, key.from_env(key.env, environ[key.env]))
        elif key.name in context:
            raw[key.name] = (key.name, context[key.name])
        else:
            raw[key.name] = (key.name, key.default)

    def value(name: str, parse: Callable[[str, Any], Any]) -> Any:
        where, item = raw[name]
        return parse(where, item)

    home_region = value("homeRegion", _region)
    partition = _partition_of(raw["homeRegion"][0], home_region)
    global_region = _global_region(partition)
    if raw["monitoredRegions"][1] is None:
        # The original design's two: the home region and where IAM events arrive.
        monitored = tuple(dict.fromkeys([home_region, global_region]))
    else:
        monitored = value("monitoredRegions", _regions)
        if home_region not in monitored:
            where, item = raw["monitoredRegions"]
            raise ConfigError(where, item, f"must include homeRegion {home_region!r}")

    for i, region in enumerate(monitored):
        other = _partition_of(raw["monitoredRegions"][0], region)
        if other["partition"] != partition["partition"]:
            raise ConfigError(
                f"{raw['monitoredRegions'][0]}[{i}]",
                region,
                f"in partition {other['partition']!r}, homeRegion is in {partition['partition']!r}",
            )

    engines = value("alertEngines", _engines)
    if EVENTBRIDGE not in engines:
        # What only the EventBridge engine reads is an error when set without it, never ignored;
        # at its default (the shipped cdktf.json's) it says nothing, so engines switch alone.
        defaults = {"monitoredRegions": list(dict.fromkeys([home_region, global_region]))}
        for name, problem in (
            ("monitoredRegions", "the multi-region trail already brings every region's records"),
            ("delivery", "there are no EventBridge rules to deliver from"),
        ):
            where, item = raw[name]
            default = defaults.get(name, next(k.default for k in KEYS if k.name == name))
            if (where != name or name in context) and item not in (default, None):
                raise ConfigError(
                    where,
                    item,
                    f'applies to the "eventbridge" alert engine only; with alertEngines '
                    f"{json.dumps(list(engines))} {problem}: remove it",
                )
    emails = value("notificationEmails", _emails)
    where, item = raw["subscriptions"]
    others = _subscriptions(where, item, partition["partition"])
    by_email = tuple(Subscription("email", email) for email in emails)
    for subscription in others:
        if subscription in by_email:
            raise ConfigError(where, subscription.endpoint, "already in notificationEmails")
    name_prefix = value("namePrefix", _name_prefix)
    settings = MonitorConfig(
        home_region=home_region,
        monitored_regions=monitored,
        notification_emails=emails,
        subscriptions=by_email + others,
        name_prefix=name_prefix,
        tags=value("tags", _tags),
        detection_groups=value("detectionGroups", _groups),
        delivery_mode=value("delivery", _delivery_mode),
        kms_key=value("kmsKey", _boolean),
        log_archive_after_days=value("logArchiveAfterDays", _days),
        object_lock=value("objectLock", _object_lock),
        state_backend=value("stateBackend", _state_backend),
        prevent_destroy=value("preventDestroy", _boolean),
        organization=value(
            "organization", lambda k, v: _organization(k, v, partition["partition"])
        ),
        chat=value("chat", lambda k, v: _chat(k, v, partition["partition"])),
        trusted_accounts=(),
        engines=engines,
        log_retention_days=value("logRetentionDays", _log_retention),
        suppressions=(),
        athena_database=value("athenaTable", lambda k, v: _athena_table(k, v, name_prefix)),
        partition=partition["partition"],
        partition_regions=frozenset(partition["regions"]),
        global_region=global_region,
    )
    _check_organization(settings, raw["organization"][0])
    where, item = raw["sigmaRules"]
    rules, skipped = _sigma_rules(where, item, base or Path.cwd(), engines)
    settings = replace(settings, sigma_rules=rules, sigma_skipped=skipped)
    _check_rule_names(settings, raw["namePrefix"][0])
    settings = replace(settings, trusted_accounts=value("trustedAccounts", _trusted_accounts))
    _check_trusted_patterns(settings, raw["trustedAccounts"][0])
    selected = {d.id: d for d in settings.detections}
    where, item = raw["suppressions"]
    suppressions = _suppressions(where, item, today or date.today(), selected)
    suppressions += value("knownNoise", lambda k, v: _known_noise(k, v, selected))
    settings = replace(settings, suppressions=suppressions)
    settings = replace(settings, fingerprint=_fingerprint(settings))
    _check_suppressed_patterns(settings, where)
    return settings


def _fingerprint(settings: MonitorConfig) -> str:
    organization = settings.organization
    if organization:
        settings = replace(settings, organization=replace(organization, accounts={}))
    canonical = _canonical(replace(settings, fingerprint=""))
    for name in ("sigma_rules", "sigma_skipped"):  # absent when unused: fingerprints stay as were
        if not canonical[name]:
            del canonical[name]
    text = json.dumps(canonical, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """A value as plain JSON, the same in every process (sets sorted, enums by value)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _canonical(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_canonical(item) for item in value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _check_rule_names(settings: MonitorConfig, where: str) -> None:
    """Every rule's name, "<namePrefix>-<rule id>", fits EventBridge's 64 characters (PutRule)."""
    rules = {v.id for plan in settings.region_plans() for d in plan.local for v in rule_variants(d)}
    longest = max(rules, key=len, default="")
    most = limits.RULE_NAME.value - 1 - len(longest)
    if len(settings.name_prefix) > most:
        raise ConfigError(
            where,
            settings.name_prefix,
            f"at most {most} characters with these detections: the rule "
            f"{settings.name_prefix}-{longest.replace('_', '-')} would be "
            f"{len(settings.name_prefix) + 1 + len(longest)} characters, and EventBridge takes "
            f"{limits.RULE_NAME.value} ({limits.PUT_RULE})"
            + (
                "; or give that sigmaRules rule a shorter Sigma name"
                if detection_id_of(longest) in {d.id for d in settings.sigma_rules}
                else ""
            ),
        )


def _check_organization(settings: MonitorConfig, where: str) -> None:
    """What organization mode cannot combine with, as one error each."""
    if not settings.organization:
        return
    if EVENTBRIDGE not in settings.engines:
        raise ConfigError(
            where,
            "...",
            'needs the "eventbridge" alert engine: members forward EventBridge events; a metric '
            "filter sees one account's log group (alertEngines)",
        )
    if settings.delivery_mode == "central":
        # "If a receiver account sets up a rule that sends events received from a sender account
        # on to a third account, these events are not sent": a member's event reaches the
        # security account's bus in its region and goes no further (EventBridge user guide,
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
        raise ConfigError(
            where,
            "...",
            'delivers per region: with "delivery": "central" a forwarded member event would need '
            "a second hop, which EventBridge does not make; remove delivery",
        )


def load_config(cdktf_json: Path, environ: Mapping[str, str]) -> MonitorConfig:
    return parse_config(read_context(cdktf_json), environ, base=cdktf_json.resolve().parent)
