"""Replay your own CloudTrail history against the synthesized rules: `make replay LOGS=path`
(`python -m ops replay PATH`).

Reads a folder as CloudTrail delivers it to S3 (ops.cloudtrail_logs: log files replayed,
digest files counted and skipped), JSON lines or single records, one file at a time. Each record
goes, wrapped as EventBridge wraps it, to the region where AWS delivers it
(models.cloudtrail_records), and is matched with models.event_patterns, EventBridge's documented
semantics, against the rules the synthesized stack there holds (in central delivery, forwarded
to the home region first). Read-only calls are left out: rules in state ENABLED never receive
them (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
Prints, per detection, the alerts it would have sent and who, what and from where caused them,
and per suppression the events it silenced.

Speed (`make bench-replay`): a log file's records are decoded only as far as the rules, the
placing and the report read them (projection_of). Read-only calls and records of regions with no
stack go no further; the rest meet only the rules that require what they have in DIMENSIONS
(RuleIndex), and only the rest of each rule, usually of the record alone, without the envelope.

``--athena`` runs the same detections as SQL on Amazon Athena instead (ops.athena), on the
table the stacks create with athenaTable (``--management``: the organization trail's) or the
one ``--database`` and ``--table`` name.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict

from config import MonitorConfig
from constructs_lib.detections.catalog import EVENTBRIDGE, KEY_ARN, KEY_ID
from constructs_lib.detections.outcomes import detection_id_of, rule_variants
from constructs_lib.eventbridge.forwarding_patterns import ALL_MANAGEMENT_EVENTS
from models.cloudtrail_records import DEFAULT_ACCOUNT, delivery_region, detail_type, envelope
from models.cloudtrail_table import HOME_TABLE, ORGANIZATION_TABLE
from models.event_patterns import compile_pattern, paths_of
from models.limits import PARTITIONS_PER_SCAN
from ops.cloudtrail_logs import Files, LogsError, records_in
from ops.context import OpsError, run, settings_of, synthesized_documents

TOP = 3
# A Terraform reference in a synthesized pattern (the KMS key's id or ARN): unknown until
# deployed, so it matches nothing here.
REFERENCE = re.compile(r"\$\{[^}]+\}")
UNRESOLVED = "unresolved-until-deployed"
Compile = Callable[[str], Callable[[Mapping[str, Any]], bool]]


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
    files: Files = field(default_factory=Files)
    read_only_judged: bool = False  # some rule receives read-only calls
    not_judged: dict[str, str] = field(default_factory=dict)  # detection -> why (Athena mode)


# The fields rules are indexed by. A pattern's fields all must match (eb-event-patterns.html),
# so an event is tried only against the patterns whose requirements there it meets: plain
# values (VALUE), or whether the field has a value at all (PRESENCE: exists true or false, or any
# operator but exists false, since comparison operators need a value to compare).
VALUE, PRESENCE = "value", "presence"
DIMENSIONS = (
    (("source",), VALUE),
    (("detail-type",), VALUE),
    (("detail", "eventSource"), VALUE),
    (("detail", "eventName"), VALUE),
    (("detail", "userIdentity", "type"), VALUE),
    (("detail", "errorCode"), PRESENCE),
)
_ANY = "*any*"  # an index key: the pattern does not require this field
_PRESENT, _ABSENT = "*present*", "*absent*"


def _required(pattern: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """(per dimension, what the pattern requires there, or None), and the pattern without the
    requirements the index fully checks."""
    required, rest = [], json.loads(json.dumps(pattern))
    for path, kind in DIMENSIONS:
        parent = rest
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        values = parent.get(path[-1]) if isinstance(parent, dict) else None
        if not isinstance(values, list) or not values:
            required.append(None)
        elif kind == VALUE and all(isinstance(v, str) for v in values):
            required.append(tuple(values))
            del parent[path[-1]]
        elif kind == PRESENCE and values in ([{"exists": True}], [{"exists": False}]):
            required.append((_PRESENT,) if values[0]["exists"] else (_ABSENT,))
            del parent[path[-1]]
        elif kind == PRESENCE and all(v != {"exists": False} for v in values):
            required.append((_PRESENT,))  # checked again by the rest of the pattern
        else:
            required.append(None)
    return tuple(required), rest


def dimensions_of(event: Mapping[str, Any]) -> tuple | None:
    """The event's key in each dimension (None where it has no value), or None where the
    index cannot say (an array on the way, whose objects' values all count)."""
    found: list[Any] = []
    for path, kind in DIMENSIONS:
        node: Any = event
        for key in path:
            if type(node) is dict:
                node = node.get(key, _MISSING)
            elif type(node) is list:
                return None
            else:
                node = _MISSING
                break
        if kind == PRESENCE:
            if type(node) is list or type(node) is dict:
                return None
            found.append(_ABSENT if node is _MISSING else _PRESENT)
        elif node is _MISSING:
            found.append(None)
        elif type(node) is str:
            found.append(node)
        else:
            return None
    return tuple(found)


_MISSING = object()


class RuleIndex:
    """Named patterns, compiled, indexed by the plain values each requires in DIMENSIONS, so that
    an event is tried only against the patterns that could match it, and only on the rest of
    each pattern."""

    def __init__(
        self, patterns: Iterable[tuple[str, str]], compile: Compile = compile_pattern
    ) -> None:
        self._index: dict[tuple, list] = defaultdict(list)
        self._every: list = []  # (name, the whole pattern)
        self.names: list[str] = []
        self.texts: list[str] = []
        self._candidates: dict[tuple, tuple] = {}
        for name, text in patterns:
            self.names.append(name)
            self.texts.append(text)
            required, rest = _required(json.loads(text))
            self._every.append((name, compile(text), None))
            # The rest of most patterns is of the record alone: tested on it, unwrapped.
            on_record = (
                compile(json.dumps(rest.get("detail", {}))) if set(rest) <= {"detail"} else None
            )
            entry = (name, compile(json.dumps(rest)), on_record)
            for key in itertools.product(*((_ANY,) if r is None else r for r in required)):
                self._index[key].append(entry)

    def candidates(self, dimensions: tuple | None) -> tuple:
        """(name, test, record test) of the patterns an event with these dimensions could match:
        the test of the rest of its pattern (the whole, where the event's dimensions are unknown),
        and the same as a test of the record alone, or None."""
        if dimensions is None:
            return tuple(self._every)
        found = self._candidates.get(dimensions)
        if found is None:
            keys = itertools.product(*((_ANY,) if v is None else (_ANY, v) for v in dimensions))
            found = tuple(entry for key in keys for entry in self._index.get(key, ()))
            self._candidates[dimensions] = found
        return found

    def matching(self, event: Mapping[str, Any], dimensions: Any = False) -> list[str]:
        """The names of the patterns matching the event (``dimensions``: its dimensions_of)."""
        if dimensions is False:
            dimensions = dimensions_of(event)
        return [name for name, test, _ in self.candidates(dimensions) if test(event)]


def _rules_of(document: Mapping[str, Any], read_only: bool = False) -> dict[str, str]:
    """Rule id -> event pattern, for the enabled rules of a synthesized stack; with
    ``read_only``, those that receive read-only management events: only rules in state
    ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS do
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html)."""
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

    def __init__(
        self,
        settings: MonitorConfig,
        documents: Mapping[str, Mapping[str, Any]],
        compile: Compile = compile_pattern,
    ) -> None:
        self.home = settings.home_region
        self.central = settings.delivery_mode == "central"
        names = {KEY_ID: UNRESOLVED, KEY_ARN: UNRESOLVED, **settings.pattern_names(UNRESOLVED)}
        read_only_detections = {d.id for d in settings.detections if d.read_only}
        # [events in general, read-only events]: each (deployed, forwarding, plain) by region.
        self.indexes: list[tuple[dict[str, RuleIndex], ...]] = []
        for read_only in (False, True):
            deployed: dict[str, RuleIndex] = {}
            forwarding: dict[str, RuleIndex] = {}
            plain: dict[str, RuleIndex] = {}  # the same detections, without their suppressions
            for region, document in documents.items():
                rules = _rules_of(document, read_only)
                detection_rules = {
                    k: v for k, v in rules.items() if not k.startswith("forward_to_home_")
                }
                deployed[region] = RuleIndex(detection_rules.items(), compile)
                forwarding[region] = RuleIndex(
                    ((k, v) for k, v in rules.items() if k.startswith("forward_to_home_")),
                    compile,
                )
                carried = {detection_id_of(rule_id) for rule_id in detection_rules}
                # Without their suppressions, for the detections that have some: what they
                # silence.
                plain[region] = RuleIndex(
                    (
                        (variant.id, variant.event_pattern_json(settings.name_prefix, names))
                        for detection in settings.detections
                        if detection.id in carried
                        and (not read_only or detection.id in read_only_detections)
                        and any(s.applies_to(detection.id) for s in settings.suppressions)
                        for variant in rule_variants(detection)
                    ),
                    compile,
                )
            self.indexes.append((deployed, forwarding, plain))
        self.deployed, self.forwarding, self.plain = self.indexes[0]
        # Whether any rule receives read-only events: if none, replay need not read them.
        self.receives_read_only = any(index.names for index in self.indexes[1][0].values())
        positive = [(s, json.dumps(s.positive_pattern())) for s in settings.suppressions]
        self.suppression_texts = positive
        self.suppressions = [(s, compile(text)) for s, text in positive]
        self.suppressions_on_record = [
            (s, compile(json.dumps(s.positive_pattern().get("detail", {}))))
            for s in settings.suppressions
        ]
        if any(set(s.positive_pattern()) - {"detail"} for s in settings.suppressions):
            raise ValueError("a suppression's pattern is of the record's detail alone")
        self.pattern_texts = [text for _, text in positive] + [
            text
            for indexes in self.indexes
            for by_region in indexes
            for index in by_region.values()
            for text in index.texts
        ]
        self._plans: dict[tuple, tuple | None] = {}

    def plan(self, region: str, dimensions: tuple | None, read_only: bool = False) -> tuple | None:
        """The candidates an event with these dimensions meets in ``region`` (``read_only``: a
        read-only call's, which only some rules receive): (deployed rules, their unsuppressed
        variants, rules forwarding it home, the first two as (detection, record test) where
        every one has a record test and nothing forwards it, else None), or None if there are
        none."""
        key = (region, dimensions, read_only)
        try:
            return self._plans[key]
        except KeyError:
            pass
        deployed, forwarding, plain = self.indexes[read_only]
        found = (
            deployed[region].candidates(dimensions),
            plain[region].candidates(dimensions),
            forwarding[region].candidates(dimensions)
            if self.central and region != self.home
            else (),
        )
        if not any(found):
            self._plans[key] = None
            return None
        on_record = None
        if not found[2] and all(e[2] for e in (*found[0], *found[1])):
            on_record = (
                tuple((_detection_id(name), test) for name, _, test in found[0]),
                tuple((_detection_id(name), test) for name, _, test in found[1]),
            )
        self._plans[key] = (*found, on_record)
        return self._plans[key]

    def judge(
        self, event: Mapping[str, Any], dimensions: Any = False
    ) -> tuple[str | None, set[str], dict[str, list[str]]]:
        """(the region it arrives in, detections alerting, detection -> suppressions silencing)."""
        region = event.get("region")
        if region not in self.deployed:
            return None, set(), {}
        if dimensions is False:
            dimensions = dimensions_of(event)
        read_only = (event.get("detail") or {}).get("readOnly") is True
        plans = [self.plan(region, dimensions, read_only)]
        if plans[0] is None:
            return region, set(), {}
        if any(test(event) for _, test, _ in plans[0][2]):
            plans.append(self.plan(self.home, dimensions, read_only))  # forwarded, judged at home
        alerting = {
            _detection_id(name)
            for plan in plans
            if plan
            for name, test, _ in plan[0]
            if test(event)
        }
        unsuppressed = {
            _detection_id(name)
            for plan in plans
            if plan
            for name, test, _ in plan[1]
            if test(event)
        }
        if unsuppressed <= alerting:
            return region, alerting, {}
        silenced = {
            detection_id: [
                s.name
                for s, matches in self.suppressions
                if s.applies_to(detection_id) and matches(event)
            ]
            for detection_id in unsuppressed - alerting
        }
        return region, alerting, silenced


@functools.cache
def _detection_id(rule_id: str) -> str:
    return detection_id_of(rule_id)


class NotARecordError(ValueError):
    """A JSON object that is neither a CloudTrail record nor an EventBridge event."""


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
    settings: MonitorConfig,
    documents: Mapping[str, Any],
    items: Iterable[dict[str, Any]],
    compile: Compile = compile_pattern,
    files: Files | None = None,
    matcher: Matcher | None = None,
) -> Replay:
    """Counts per detection and suppression over ``items``, CloudTrail records (whole, or as
    much as ``projection_of(matcher)`` keeps) or EventBridge events."""
    matcher = matcher or Matcher(settings, documents, compile)
    found = Replay(files=files or Files(), read_only_judged=matcher.receives_read_only)
    for detection in settings.detections:
        found.detections.setdefault(detection.id, DetectionCounts())
    for suppression in settings.suppressions:
        found.suppressions[suppression.name] = Counter()
    routes: dict[tuple, tuple] = {}
    # Alerts by (detections, principal, event name, source address, account): most records that
    # alert repeat one of a few such keys, counted once each instead of in five counters each.
    tally: Counter[tuple] = Counter()
    records = read_only = unplaced = 0
    # Every object here is a tree, freed by reference counting: the cycle collector, triggered
    # by the thousands of objects a log file decodes to, would only walk them (a fifth of the
    # time, measured with benchmarks/replay_bench.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for item in items:
            records += 1
            source = item.get("eventSource")
            if type(source) is not str or "detail-type" in item:
                _judge(found, matcher, _event_of(item))
                continue
            # A record: what can be decided before wrapping it, without a rule.
            is_read_only = item.get("readOnly") is True
            if is_read_only:
                read_only += 1
                if not matcher.receives_read_only:
                    continue
            # Its region and its candidates depend on these fields alone: worked out once per
            # combination of them (_route).
            identity = item.get("userIdentity", _MISSING)
            tls = item.get("tlsDetails", _MISSING)
            key = (
                source,
                item.get("eventName", _MISSING),
                item.get("awsRegion", _MISSING),
                item.get("eventType", _MISSING),
                identity.get("type", _MISSING) if type(identity) is dict else type(identity),
                tls.get("clientProvidedHostHeader", _MISSING) if type(tls) is dict else None,
                type(item.get("errorCode", _MISSING)),  # absent, a value, or an array
                is_read_only,
            )
            try:
                route = routes[key]
            except KeyError:
                route = _route(matcher, item, source, is_read_only)
                if len(routes) < ROUTES:
                    routes[key] = route
            except TypeError:  # an unhashable value (an array, an object) where a name is
                route = _route(matcher, item, source, is_read_only)
            region, plan, dimensions = route
            if region is None:
                unplaced += not is_read_only  # a read-only call is counted as such
                continue
            if plan is None:  # no rule there requires what it has
                continue
            if plan[3] is None:
                _judge(found, matcher, envelope(item, region), dimensions, counted=True)
                continue
            # The rest of each candidate is of the record alone: no envelope needed.
            deployed, plain = plan[3]
            alerting = tuple(detection for detection, test in deployed if test(item))
            if alerting:
                account = item.get("recipientAccountId", DEFAULT_ACCOUNT)
                name = item.get("eventName", _MISSING)
                try:  # tallied by what the report shows of it, and counted out at the end
                    if name is _MISSING:
                        raise TypeError  # named by its detail-type: _count_alerts
                    tally[
                        alerting,
                        _principal(item),
                        name,
                        item.get("sourceIPAddress") or "-",
                        account,
                    ] += 1
                except TypeError:  # an unhashable value, or no event name
                    _count_alerts(found, alerting, item, account)
            if plain:
                silenced = {d for d, test in plain if test(item)}.difference(alerting)
                if silenced:
                    _count_silenced(found, matcher, silenced, item)
    finally:
        if collecting:
            gc.enable()
    for (alerting, principal, name, source_ip, account), times in tally.items():
        for detection_id in alerting:
            counts = _counts(found, detection_id)
            counts.alerts += times
            counts.principals[principal] += times
            counts.event_names[name] += times
            counts.source_ips[source_ip] += times
            counts.accounts[account] += times
    found.records = records
    found.read_only += read_only
    found.unplaced += unplaced
    return found


ROUTES = 100_000  # combinations remembered (a few MB), far more than a trail's


def _route(matcher: Matcher, record: Mapping[str, Any], source: str, read_only: bool) -> tuple:
    """(the region it arrives in, or None where no stack is; its plan there; its dimensions)."""
    region = delivery_region(record)
    if region not in matcher.deployed:
        return None, None, None
    dimensions = _record_dimensions(record, source)
    return region, matcher.plan(region, dimensions, read_only), dimensions


def _record_dimensions(record: Mapping[str, Any], source: str) -> tuple | None:
    """dimensions_of(envelope(record)), from the record (tests/test_replay.py checks they agree)."""
    name = record.get("eventName", _MISSING)
    if name is _MISSING:
        name = None
    elif type(name) is not str:
        return None
    identity = record.get("userIdentity", _MISSING)
    if type(identity) is dict:
        kind = identity.get("type", _MISSING)
        if kind is _MISSING:
            kind = None
        elif type(kind) is not str:
            return None
    elif type(identity) is list:
        return None
    else:
        kind = None
    error = record.get("errorCode", _MISSING)
    if error is _MISSING:
        presence = _ABSENT
    elif type(error) is list or type(error) is dict:
        return None
    else:
        presence = _PRESENT
    short = "aws." + source.removesuffix(".amazonaws.com")
    return (short, detail_type(record), source, name, kind, presence)


def projection_of(matcher: Matcher) -> Any:
    """The msgspec type of a record as far as the rules (their fields under ``detail``), the
    placing of records (models.cloudtrail_records) and the report read it; None for the whole."""
    paths = {
        ("userIdentity", "sessionContext", "sessionIssuer", "arn"),
        ("userIdentity", "arn"),
        ("userIdentity", "invokedBy"),
        ("userIdentity", "type"),
        ("userIdentity", "accountId"),
        ("tlsDetails", "clientProvidedHostHeader"),
        *((field,) for field in RECORD_FIELDS),
    }
    for text in matcher.pattern_texts:
        for path in paths_of(json.loads(text)):
            if path[0] == "detail":
                if len(path) == 1:
                    return None  # a pattern on the whole detail: keep it whole
                paths.add(path[1:])
    return _projection(frozenset(paths), "Record")


# The record's own fields envelope(), delivery_region() and the report read.
RECORD_FIELDS = (
    "eventID",
    "eventTime",
    "eventType",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "recipientAccountId",
    "readOnly",
)


def _projection(paths: frozenset[tuple[str, ...]], name: str) -> Any:
    """A TypedDict of these paths: leaves whole (Any), objects on the way down as TypedDicts of
    their paths, and any other value on the way (an array, a string) whole too."""
    leaves = {path[0] for path in paths if len(path) == 1}
    fields: dict[str, Any] = {}
    for key in sorted({path[0] for path in paths}):
        if key in leaves:
            fields[key] = Any
        else:
            inner = frozenset(path[1:] for path in paths if path[0] == key)
            nested = _projection(inner, f"{name}_{len(fields)}")
            fields[key] = nested | list[Any] | str | int | float | bool | None
    return TypedDict(name, fields, total=False)  # type: ignore[operator]


def _event_of(item: Any) -> dict[str, Any]:
    if isinstance(item, dict) and "detail-type" in item:
        return item
    if isinstance(item, dict) and isinstance(item.get("eventSource"), str):
        return envelope(item)
    raise NotARecordError(
        "neither a CloudTrail record (no eventSource) nor an EventBridge event (no detail-type)"
    )


def _judge(
    found: Replay,
    matcher: Matcher,
    event: dict[str, Any],
    dimensions: Any = False,
    counted: bool = False,
) -> None:
    """Count what the deployment does with ``event`` (``counted``: as a read-only call, already)."""
    record = event.get("detail") or {}
    read_only = record.get("readOnly") is True
    if read_only and not counted:
        found.read_only += 1
    if read_only and not matcher.receives_read_only:
        return
    region, alerting, silenced = matcher.judge(event, dimensions)
    if region is None:
        found.unplaced += not read_only
        return
    if alerting:
        _count_alerts(found, alerting, record, event.get("account", "-"), event)
    for detection_id, names in silenced.items():
        _counts(found, detection_id).suppressed += 1
        for name in names:
            found.suppressions[name][detection_id] += 1


def _counts(found: Replay, detection_id: str) -> DetectionCounts:
    counts = found.detections.get(detection_id)
    if counts is None:
        counts = found.detections[detection_id] = DetectionCounts()
    return counts


def _count_alerts(
    found: Replay,
    alerting: Iterable[str],
    record: Mapping[str, Any],
    account: Any,
    event: Mapping[str, Any] | None = None,
) -> None:
    principal = _principal(record)
    name = record.get("eventName", _MISSING)
    if name is _MISSING:
        name = (event or envelope(dict(record))).get("detail-type", "?")
    source_ip = record.get("sourceIPAddress") or "-"
    for detection_id in alerting:
        counts = _counts(found, detection_id)
        counts.alerts += 1
        counts.principals[principal] += 1
        counts.event_names[name] += 1
        counts.source_ips[source_ip] += 1
        counts.accounts[account] += 1


def _count_silenced(
    found: Replay, matcher: Matcher, silenced: set[str], record: Mapping[str, Any]
) -> None:
    """The suppressions that hold, of the record alone (each pattern is of its detail)."""
    for detection_id in silenced:
        _counts(found, detection_id).suppressed += 1
        for suppression, matches in matcher.suppressions_on_record:
            if suppression.applies_to(detection_id) and matches(record):
                found.suppressions[suppression.name][detection_id] += 1


def _top(counter: Counter, limit: int | None = TOP) -> str:
    """The most common first (ties by name, so that the order is the data's, not the reading's);
    the rest as "and N more (their count)", so that it adds up."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
    shown = ranked if limit is None else ranked[:limit]
    text = ", ".join(f"{key} ({count})" for key, count in shown) or "-"
    rest = len(counter) - len(shown)
    if rest:
        text += f" and {rest} more ({sum(counter.values()) - sum(n for _, n in shown)})"
    return text


def report(found: Replay, settings: MonitorConfig) -> list[str]:
    digests = found.files.digest_files
    receive = (
        "judged by the rules that receive them"
        if found.read_only_judged
        else "rules in state ENABLED never receive them"
    )
    lines = [
        f"{found.records} records: {found.read_only} read-only ({receive}), "
        f"{found.unplaced} delivered to a region with no stack"
        + (f"; {digests} digest files skipped (hashes, no records)" if digests else ""),
        f"{'detection':34} {'alerts':>7} {'suppressed':>10}",
    ]
    for detection_id, counts in found.detections.items():
        if detection_id in found.not_judged:
            lines.append(f"{detection_id:34} {'-':>7} {'-':>10}  {found.not_judged[detection_id]}")
            continue
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
            + (f": {_top(silenced, limit=None)}" if total else "")
        )
    return lines


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make replay", description=__doc__.splitlines()[0])
    parser.add_argument(
        "logs", metavar="LOGS", type=Path, nargs="?", help="an AWSLogs/ folder, or a log file"
    )
    athena = parser.add_argument_group(
        "Athena",
        "the trail bucket's table instead of LOGS; with athenaTable on, the home stack's "
        "table unless --database and --table name another",
    )
    athena.add_argument("--athena", action="store_true", help="run the replay as Athena SQL")
    athena.add_argument(
        "--database", help="the Glue database of the CloudTrail table (default: athenaTable's)"
    )
    athena.add_argument(
        "--table",
        help="the CloudTrail table, the Athena guide's DDL (default with athenaTable: "
        f"{HOME_TABLE}, with --management {ORGANIZATION_TABLE})",
    )
    athena.add_argument(
        "--management",
        action="store_true",
        help="the organization trail's table, in the management account, as "
        "organization.management.roleArn",
    )
    athena.add_argument(
        "--accounts",
        type=_account_list,
        help="with --management: these accounts' logs only, comma-separated (default: every "
        "account Organizations lists)",
    )
    athena.add_argument("--workgroup", help="the Athena workgroup (default: primary)")
    athena.add_argument("--output-location", help="s3:// for results, unless the workgroup has one")
    athena.add_argument("--region", help="Athena's region (default: the home region)")
    athena.add_argument(
        "--from",
        dest="start",
        type=_day,
        help="first day, YYYY-MM-DD (default: the last 30 days up to --to, fewer where the "
        "organization table's accounts x regions x days would pass the 1,000,000 partitions "
        "an Athena scan reads)",
    )
    athena.add_argument("--to", dest="end", type=_day, help="last day, YYYY-MM-DD (default: today)")
    athena.add_argument(
        "--detections",
        type=_id_list,
        help="these detections only, comma-separated (default: every one), for a query "
        "that would be longer than Athena takes",
    )
    args = parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        if EVENTBRIDGE not in settings.engines:
            raise OpsError(
                "replay follows the EventBridge rules; with alertEngines "
                f"{json.dumps(list(settings.engines))} there are none to replay against"
            )
        if args.athena:
            return _athena(settings, environ, args)
        if args.logs is None:
            raise OpsError("say which logs: make replay LOGS=path, or ARGS=--athena ...")
        if not args.logs.exists():
            raise OpsError(f"{args.logs}: no such file or folder")
        documents = synthesized_documents(settings, environ)
        started = time.perf_counter()
        files = Files()
        matcher = Matcher(settings, documents)
        items = records_in(args.logs, files, projection_of(matcher))
        try:
            found = replay(settings, documents, items, files=files, matcher=matcher)
        except LogsError as error:
            raise OpsError(str(error)) from None
        except (OSError, ValueError) as error:  # unreadable or malformed input: one line
            raise OpsError(f"{files.current or args.logs}: {error}") from None
        elapsed = time.perf_counter() - started
        for line in report(found, settings):
            print(line)
        rate = found.records / elapsed if elapsed else 0
        print(f"replayed in {elapsed:.1f} s ({rate:,.0f} records per second)", file=sys.stderr)
        return 0

    return run(body)


def _id_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _today() -> date:
    """Today in UTC, as CloudTrail dates its records and delivery days."""
    return datetime.now(UTC).date()


def _account_list(text: str) -> tuple[str, ...]:
    accounts = tuple(part.strip() for part in text.split(",") if part.strip())
    if not accounts or not all(re.fullmatch(r"[0-9]{12}", a) for a in accounts):
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated 12-digit account ids")
    return accounts


def _table_names(settings: MonitorConfig, args: argparse.Namespace) -> tuple[str, str]:
    """--database and --table, or the stacks' table (athenaTable) where they are left out."""
    organization = settings.organization
    if args.management and not (
        organization and organization.management and organization.member_trails == "organization"
    ):
        raise OpsError(
            "--management: the organization trail's table is the management stack's, which "
            'needs organization.management and memberTrails "organization"'
        )
    if args.accounts and not args.management:
        raise OpsError("--accounts: only the organization trail's table (--management) has them")
    database = args.database or settings.athena_database
    table = args.table or (
        (ORGANIZATION_TABLE if args.management else HOME_TABLE)
        if settings.athena_database
        else None
    )
    if not database or not table:
        raise OpsError(
            "--athena needs --database and --table (the CloudTrail table), or athenaTable on "
            "for the stacks' own"
        )
    for name, value in (("database", database), ("table", table)):
        if not re.fullmatch(r"[A-Za-z0-9_]+", value):
            raise OpsError(f"--{name} {value!r}: Athena names are letters, digits and _")
    return database, table


def _athena(settings: MonitorConfig, environ: Mapping[str, str], args: argparse.Namespace) -> int:
    import boto3

    from ops import athena
    from ops.organization import management_session

    database, table = _table_names(settings, args)
    if args.start and args.end and args.start > args.end:
        raise OpsError(f"--from {args.start} is after --to {args.end}")
    if args.output_location and not args.output_location.startswith("s3://"):
        raise OpsError(f"--output-location {args.output_location!r}: an s3:// location")
    known = [d.id for d in settings.detections]
    unknown = [d for d in args.detections or () if d not in known]
    if unknown or args.detections == ():
        raise OpsError(
            f"--detections {','.join(unknown) or repr('')}: not one of this configuration's "
            f"{len(known)} detections (their ids as the report prints them, comma-separated)"
        )
    matcher = Matcher(settings, synthesized_documents(settings, environ))
    session = boto3.Session()
    credentials = session.get_credentials() is not None
    accounts: tuple[str, ...] = ()
    if args.management:
        organization = settings.organization
        assert organization and organization.management
        if credentials:
            session = management_session(
                session, organization.management.role_arn, settings.name_prefix, "replay"
            )
        accounts = args.accounts or _organization_accounts(
            settings, session if credentials else None
        )
    today = _today()
    # The tables the stacks created: a partition per account, region (the partition's, every
    # one: models.cloudtrail_table) and delivery day, which Athena reads up to a million of.
    regions = len(settings.partition_regions)
    per_day = (
        (len(accounts) or 1) * regions if (database, table) in _stacks_tables(settings) else None
    )
    start = args.start or athena.default_start(args.end, today, per_day)
    days = f"{start} to {args.end or today}"
    if not args.start:
        shown = ((args.end or today) - start).days + 1
        days += (
            f" (the last {shown} days by default: --from for more)"
            if shown == athena.DEFAULT_DAYS
            else f" (the last {shown} days, not {athena.DEFAULT_DAYS}: Athena reads at most "
            f"{PARTITIONS_PER_SCAN.value:,} partitions a scan)"
        )
    if per_day is not None:
        athena.check_partitions(len(accounts) or 1, regions, start, args.end, today)
        read = athena.partitions(per_day, start, args.end, today)
        by = f"{len(accounts):,} accounts x " if accounts else ""
        days += f": {read:,} partitions ({by}{regions} regions x {read // per_day} days)"
    where = f'"{database}"."{table}"'
    query = athena.query(matcher, settings, where, start, args.end, accounts, args.detections)
    athena.check_size(
        query,
        accounts,
        lambda chosen: athena.query(matcher, settings, where, start, args.end, accounts, chosen),
    )
    sql = query.sql
    for detection, why in query.left_out.items():
        print(f"not judged in Athena mode: {detection}: {why}", file=sys.stderr)
    if not credentials:
        print(sql + ";")
        if args.management and not args.accounts:
            print(
                f"accountid: the {len(accounts)} accounts the configuration names; "
                "Organizations lists the others (--accounts to name them)",
                file=sys.stderr,
            )
        print(
            f"no AWS credentials: printed the query, of {days}; run it in Athena's console, "
            "or set AWS_PROFILE and run this again",
            file=sys.stderr,
        )
        return 0
    print(f"replaying {days} on Athena", file=sys.stderr)
    client = session.client("athena", region_name=args.region or settings.home_region)
    rows = athena.run_query(client, sql, database, args.workgroup, args.output_location)
    for line in report(athena.replay_of(rows, settings, query), settings):
        print(line)
    return 0


def _stacks_tables(settings: MonitorConfig) -> set[tuple[str, str]]:
    """The (database, table) pairs the stacks create with athenaTable."""
    database = settings.athena_database
    return {(database, HOME_TABLE), (database, ORGANIZATION_TABLE)} if database else set()


def _organization_accounts(settings: MonitorConfig, session: Any | None) -> tuple[str, ...]:
    """The organization trail's account folders to read: every account Organizations lists
    (ListAccounts, from the management account; suspended ones too, whose history stays), or
    without credentials the accounts the configuration names. An account that left keeps its
    folder (CloudTrail guide, creating-trail-organization.html) but is not listed: --accounts."""
    organization = settings.organization
    assert organization and organization.management
    if session is None:
        named = {organization.security_account, organization.management.account_id}
        return tuple(sorted(named | set(organization.accounts)))
    found: set[str] = set()
    for page in session.client("organizations").get_paginator("list_accounts").paginate():
        found |= {account["Id"] for account in page["Accounts"]}
    return tuple(sorted(found))


if __name__ == "__main__":
    sys.exit(main())
