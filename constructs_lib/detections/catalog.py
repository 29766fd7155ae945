"""The detection catalog's types: what to match, why it matters, how severe, where AWS delivers it.

The detections themselves are Sigma rule files, one each, with their test events beside them
(constructs_lib/detections/rules/<id>.yml and <id>.events.json), compiled by our pySigma backend
(constructs_lib/detections/rule_files.py, cached by content) into the ``Detection`` entries of
``CATALOG``. Plain data, no AWS objects. The rule construct turns an entry into an
``aws_cloudwatch_event_rule`` + target; the configuration places entries in regions by delivery
and selects them by group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from constructs_lib.detections.attack import STRATUS, TACTICS, TECHNIQUES

API_CALL = "AWS API Call via CloudTrail"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
# Stands for the configured namePrefix in "self" patterns, which match our own resource names.
NAME_PREFIX = "{namePrefix}"
# Stand for the region's KMS key (kmsKey), known only to Terraform: its id and ARN.
KEY_ID = "{keyId}"
KEY_ARN = "{keyArn}"
# Stands for the deploying account's id, known only to Terraform (its caller identity).
ACCOUNT_ID = "{accountId}"
# In a list of a pattern, stands for the configured trustedAccounts: one element per account
# (a string holding it, such as "arn:*:iam::{trustedAccounts}:*", becomes one per account).
TRUSTED_ACCOUNTS = "{trustedAccounts}"
# The suffix of the health topic's name (<namePrefix>-health), which the delivery alarms notify.
HEALTH_TOPIC_SUFFIX = "-health"
# The chat topics: <namePrefix>-chat-<severity> (chat_channels.chat_topic_name).
CHAT_TOPIC_INFIX = "-chat-"

# Where IAM-user console sign-ins are recorded besides the regional sign-in endpoints' regions:
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
SIGN_IN_REGIONS = ("us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2")

# Security Hub's CIS controls, whose metric filters the "cis" entries translate:
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
CIS = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"

# The metric filter each CIS control prescribes, byte for byte (Security Hub checks the exact text):
# data beside the rules, with its source and the commit it was copied from.
CIS_FILTERS: Mapping[str, str] = MappingProxyType(
    json.loads(Path(__file__).with_name("cis_cloudwatch_filters.json").read_text(encoding="utf-8"))[
        "filters"
    ]
)
CIS_STANDARD = "CIS "  # a standards entry "CIS CloudWatch.N" names the control CloudWatch.N

# The two ways to run the catalog (alertEngines): EventBridge rules on CloudTrail events, and
# CloudWatch Logs metric filters on the trail's log group, each with an alarm.
EVENTBRIDGE = "eventbridge"
METRIC_FILTERS = "metric-filters"
ENGINES = (EVENTBRIDGE, METRIC_FILTERS)

GROUPS = ("original", "cis", "self", "attack")
DEFAULT_GROUPS = ("original", "self")
ALWAYS = "always"  # entries every deployment has, whatever the groups: the self-test
SIGMA_GROUP = "sigma"  # a user's own Sigma rules (sigmaRules): selected by being configured


class Delivery(Enum):
    """Where EventBridge receives the events a detection matches, hence where its rule must live."""

    # IAM, STS global endpoint and root console sign-in events reach EventBridge only in the partition's
    # global region (us-east-1): https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
    GLOBAL = "us-east-1 only"
    # Every other API call reaches EventBridge only in the region where it was made.
    REGIONAL = "every monitored region"
    # Calls to any service, IAM included: every monitored region and us-east-1.
    REGIONAL_AND_GLOBAL = "every monitored region and us-east-1"
    # Console sign-ins: SIGN_IN_REGIONS and every monitored region (regional sign-in endpoints).
    SIGN_IN = "sign-in regions and every monitored region"
    # Calls on the trail and its bucket, which live in the home region.
    HOME = "home region"
    # Calls on our rules and topics, which live in every deployed region.
    EVERY_STACK = "every deployed region"


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


Names = Mapping[str, "str | tuple[str, ...]"]


def _thaw(value: Any, names: Names) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item, names) for key, item in value.items()}
    if isinstance(value, tuple):
        thawed = []
        for item in value:
            lists = [
                p
                for p, v in names.items()
                if not isinstance(v, str) and isinstance(item, str) and p in item
            ]
            if not lists:
                thawed.append(_thaw(item, names))
                continue
            # A list's element naming a list-valued placeholder: one element per value.
            (placeholder,) = lists
            thawed += [_thaw(item.replace(placeholder, one), names) for one in names[placeholder]]
        return thawed
    if isinstance(value, str):
        for placeholder, name in names.items():
            if isinstance(name, str):
                value = value.replace(placeholder, name)
        return value
    return value


@dataclass(frozen=True)
class Detection:
    """One detection: an EventBridge pattern over CloudTrail events, with why it matters."""

    id: str  # snake_case; the rule's construct id, Terraform resource name and test name
    title: str
    rationale: str  # why it matters, one or two sentences
    delivery: Delivery
    severity: Severity
    pattern: Mapping[str, Any]  # the EventBridge event pattern; NAME_PREFIX marks our names
    groups: frozenset[str] = frozenset({"original"})
    standards: tuple[str, ...] = ()  # e.g. ("CIS CloudWatch.4",)
    note: str = ""  # what EventBridge cannot see that the CIS metric filter would
    # Extra lines for the alert message: label -> JSON path in the event (key request parameters),
    # in dot notation (an array's enclosing object, never an index: see alert_message.py); or a
    # tuple of paths of which an event carries at most one, shown side by side on one line.
    alert_fields: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Also delivered, in every deployed region, to the health topic, which depends on neither the
    # alert topic nor the KMS key: for changes that could stop the alert topic delivering them.
    to_health_topic: bool = False
    requires_kms_key: bool = False  # matches the region's KMS key: only with kmsKey
    # The CloudWatch Logs filter pattern over the CloudTrail record (NAME_PREFIX, KEY_ID and KEY_ARN
    # as in ``pattern``), for entries without a CIS control, whose filter is CIS_FILTERS'; or, in
    # ``no_log_filter``, why a metric filter cannot express the detection.
    log_filter: str = ""
    no_log_filter: str = ""
    # The engine whose resources the entry watches (a "self" detection), or the only engine that
    # can run it (a threshold: EventBridge matches events one at a time and cannot count);
    # None: any engine.
    engine: str | None = None
    # MITRE ATT&CK "tactic:technique" pairs (attack.py names them), e.g. ("TA0005:T1562.008",).
    attack: tuple[str, ...] = ()
    # Stratus Red Team techniques whose published detonation this detection alerts on
    # (`make coverage` replays them; tests/test_coverage.py holds every claim to it).
    stratus: tuple[str, ...] = ()
    # Matches read-only management events, which EventBridge delivers only to rules in state
    # ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS ("Receiving read-only management events",
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html):
    # its rules are in that state.
    read_only: bool = False
    # Alerts on a count of matching records within one period, not on one: only the metric-filter
    # engine's alarm can count (engine must be METRIC_FILTERS).
    threshold: Threshold | None = None

    def __post_init__(self) -> None:
        # A deep, read-only copy: nothing can edit an entry after the fact.
        object.__setattr__(self, "pattern", _freeze(self.pattern))
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "alert_fields", MappingProxyType(dict(self.alert_fields)))
        unknown = self.groups - {*GROUPS, ALWAYS, SIGMA_GROUP}
        if unknown:
            raise ValueError(f"{self.id}: unknown groups {sorted(unknown)}")
        forms = [bool(self.cis_control), bool(self.log_filter), bool(self.no_log_filter)]
        if forms.count(True) != 1:
            raise ValueError(
                f"{self.id}: needs exactly one of a CIS control, log_filter or no_log_filter"
            )
        if self.engine not in (None, *ENGINES):
            raise ValueError(f"{self.id}: unknown engine {self.engine!r}")
        object.__setattr__(self, "attack", tuple(self.attack))
        object.__setattr__(self, "stratus", tuple(self.stratus))
        for pair in self.attack:
            tactic, _, technique = pair.partition(":")
            if tactic not in TACTICS or technique not in TECHNIQUES:
                raise ValueError(f"{self.id}: unknown ATT&CK pair {pair!r} (attack.py)")
        unknown_techniques = set(self.stratus) - set(STRATUS)
        if unknown_techniques:
            raise ValueError(f"{self.id}: unknown Stratus techniques {sorted(unknown_techniques)}")
        if self.threshold and (self.engine != METRIC_FILTERS or not self.log_filter):
            raise ValueError(
                f"{self.id}: a threshold needs its own log_filter and the metric filters"
            )

    def event_pattern(self, name_prefix: str, names: Names | None = None) -> dict[str, Any]:
        """The EventBridge event pattern for a deployment named ``name_prefix``, as a fresh dict.

        ``names`` fills other placeholders (KEY_ID, KEY_ARN) with values or Terraform references.
        """
        return _thaw(self.pattern, {NAME_PREFIX: name_prefix, **(names or {})})

    def event_pattern_json(self, name_prefix: str, names: Names | None = None) -> str:
        return json.dumps(self.event_pattern(name_prefix, names))

    @property
    def description(self) -> str:
        """The rule description EventBridge shows (at most 512 characters)."""
        return f"[{self.severity.value}] {self.title}. {self.rationale}"

    @property
    def cis_control(self) -> str | None:
        """The Security Hub control (CloudWatch.N) whose exact metric filter counts this entry."""
        for standard in self.standards:
            control = standard.removeprefix(CIS_STANDARD)
            if control in CIS_FILTERS:
                return control
        return None

    def metric_filter(self, name_prefix: str, names: Names | None = None) -> MetricFilter | None:
        """The metric filter that counts this entry's events in the trail's log group, if any.

        Entries mapped to a CIS control share that control's exact filter, named after it.
        """
        control = self.cis_control
        if control:
            return MetricFilter(
                id=control.lower().replace(".", "_"), pattern=CIS_FILTERS[control], control=control
            )
        if not self.log_filter:
            return None
        return MetricFilter(
            id=self.id, pattern=_thaw(self.log_filter, {NAME_PREFIX: name_prefix, **(names or {})})
        )

    @property
    def event_names(self) -> tuple[str, ...]:
        names = self.pattern.get("detail", {}).get("eventName", ())
        return tuple(name for name in names if isinstance(name, str))


@dataclass(frozen=True)
class Threshold:
    """Alarm when the metric filter counts ``count`` or more records within one ``period``.

    The alarm sums the filter's metric over ``period`` seconds (one evaluation period) and
    compares it with ``count`` (PutMetricAlarm: Period 10, 30 or a multiple of 60 seconds;
    Threshold; https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    Periods are aligned to the clock, so a burst that straddles two periods is split between them.
    """

    count: int
    period: int = 300

    def __post_init__(self) -> None:
        if self.count < 2 or not (self.period in (10, 30) or self.period % 60 == 0):
            raise ValueError(f"threshold {self.count} in {self.period} s")

    @property
    def phrase(self) -> str:
        return f"{self.count} or more in {self.period // 60} minutes"


@dataclass(frozen=True)
class MetricFilter:
    """A CloudWatch Logs filter pattern over CloudTrail records, and the metric it counts into."""

    id: str  # "cloudwatch_4" for a CIS control's filter, else the detection id
    pattern: str
    control: str | None = None  # the Security Hub control it satisfies, if any

    @property
    def metric_name(self) -> str:
        """Stable and documented: CloudWatch.4 for a CIS control's, the detection id otherwise."""
        return self.control or self.id


# The self-test's event (ops.selftest puts it on each region's bus; its rule file matches it).
SELF_TEST_DETAIL_TYPE = "Alert self-test"


def from_spec(spec: Mapping[str, Any]) -> Detection:
    """A detection from a rule file's spec (constructs_lib/detections/rule_files.py)."""
    threshold = spec["threshold"]
    return Detection(
        id=spec["id"],
        title=spec["title"],
        rationale=spec["rationale"],
        delivery=Delivery[spec["delivery"]],
        severity=Severity(spec["severity"]),
        pattern=spec["pattern"],
        groups=frozenset(spec["groups"]),
        standards=tuple(spec["standards"]),
        note=spec["note"],
        alert_fields={
            label: path if isinstance(path, str) else tuple(path)
            for label, path in spec["alert_fields"].items()
        },
        to_health_topic=spec["to_health_topic"],
        requires_kms_key=spec["requires_kms_key"],
        log_filter=spec["log_filter"],
        no_log_filter=spec["no_log_filter"],
        engine=spec["engine"],
        attack=tuple(spec["attack"]),
        stratus=tuple(spec["stratus"]),
        read_only=spec["read_only"],
        threshold=Threshold(**threshold) if threshold else None,
    )


def _catalog() -> tuple[Detection, ...]:
    from constructs_lib.detections import rule_files

    specs = rule_files.catalog_specs()
    refused = [f"{s['file']}: {line}" for s in specs for line in s["refused"].values()]
    if refused:  # the catalog's rules compile exactly, every one (tests/test_catalog.py)
        raise rule_files.RuleFileError(refused[0])
    return tuple(from_spec(spec) for spec in specs)


# Every detection, one Sigma rule file each: constructs_lib/detections/rules/<id>.yml.
CATALOG: tuple[Detection, ...] = _catalog()


def selected(
    groups: Iterable[str], kms_key: bool = True, engines: Iterable[str] = ENGINES
) -> tuple[Detection, ...]:
    """The catalog entries in any of these groups, and those every deployment has, in order.

    Without ``kms_key``, entries that watch the KMS key are left out: there is none. Entries that
    watch one engine's resources are left out when that engine is not among ``engines``.
    """
    wanted, running = frozenset(groups) | {ALWAYS}, frozenset(engines)
    return tuple(
        d
        for d in CATALOG
        if d.groups & wanted
        and (kms_key or not d.requires_kms_key)
        and (d.engine is None or d.engine in running)
    )


def detection(detection_id: str) -> Detection:
    """The catalog entry with this id."""
    for entry in CATALOG:
        if entry.id == detection_id:
            return entry
    raise KeyError(detection_id)
