"""Event patterns that forward a region's matches to the home bus, each matching event exactly once.

Central delivery forwards from every other region to the home region's default bus, whose rules
then deliver to the one topic. One forwarding rule per detection would forward an event matching
k detections k times (and alert k*k times at home), so instead a region has as few forwarding
rules as EventBridge's pattern size allows, whose patterns split the events by ``source``: every
event can match at most one of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from constructs_lib.detections.catalog import Detection
from models import limits

# The rule state that receives read-only management events (detection_rule.rule_state).
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def compact(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, separators=(",", ":"), sort_keys=True)


def _branches(
    detections: Iterable[Detection], name_prefix: str
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The detections' patterns, by the one source they match, and those matching any source."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    any_source: list[dict[str, Any]] = []
    for detection in detections:
        pattern = detection.event_pattern(name_prefix)
        sources = pattern.get("source")
        if not sources:
            any_source.append(pattern)
            continue
        for source in sources:
            branch = {**json.loads(json.dumps(pattern)), "source": [source]}
            simple = set(branch.get("detail", {})) <= {"eventSource", "eventName"}
            merged = False
            if simple:
                # Calls of one service told apart only by name: one branch with all the names.
                for other in by_source.get(source, []):
                    if set(other.get("detail", {})) <= {"eventSource", "eventName"} and (
                        other["detail-type"] == branch["detail-type"]
                        and other["detail"].get("eventSource")
                        == branch["detail"].get("eventSource")
                    ):
                        names = other["detail"]["eventName"] + branch["detail"]["eventName"]
                        other["detail"]["eventName"] = list(dict.fromkeys(names))
                        merged = True
                        break
            if not merged:
                by_source.setdefault(source, []).append(branch)
    return by_source, any_source


def _broadened(branches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One source's branches as one, matching their event sources and names only: for a source
    whose branches alone exceed a pattern. It forwards more of that source's calls than the
    detections match (the home rules still decide, so no alert changes), each still once."""
    if not all(b.get("detail", {}).get("eventName") for b in branches):
        return branches  # a branch matching any call name cannot be broadened this way
    detail_types = list(dict.fromkeys(t for b in branches for t in b["detail-type"]))
    sources = list(dict.fromkeys(s for b in branches for s in b["detail"].get("eventSource", [])))
    names = [n for b in branches for n in b["detail"]["eventName"]]
    unique = [json.loads(n) for n in dict.fromkeys(json.dumps(n, sort_keys=True) for n in names)]
    detail = {"eventName": unique}
    if sources:
        detail = {"eventSource": sources, **detail}
    return [{"source": branches[0]["source"], "detail-type": detail_types, "detail": detail}]


def _chunk(
    sources: list[str],
    by_source: dict[str, list[dict[str, Any]]],
    any_source: list[dict[str, Any]],
    source_match: list[Any],
) -> dict[str, Any]:
    branches = [branch for source in sources for branch in by_source[source]]
    branches += [{**pattern, "source": source_match} for pattern in any_source]
    return {"$or": branches} if len(branches) > 1 else branches[0]


def forwarding_patterns(
    detections: Iterable[Detection], name_prefix: str, broaden: bool = False
) -> list[dict[str, Any]]:
    """Patterns that together match exactly what the detections match, no event matching two.

    Each pattern owns a set of sources; the last owns every source the others do not name. A
    source whose branches alone exceed a pattern, or with ``broaden`` every source, is matched
    by its event names only (``_broadened``).
    """
    by_source, any_source = _branches(detections, name_prefix)
    sources = sorted(by_source)
    for source in sources:
        alone = _chunk([source], by_source, [], [source])
        if broaden or len(compact(alone)) > limits.EVENT_PATTERN.value - 20 * len(sources):
            by_source[source] = _broadened(by_source[source])
    groups: list[list[str]] = [[]]
    for source in sources:
        candidate = [*groups[-1], source]
        # Sized as a non-last chunk, plus room for the last chunk's anything-but list.
        size = len(compact(_chunk(candidate, by_source, any_source, candidate)))
        if groups[-1] and size > limits.EVENT_PATTERN.value - 20 * len(sources):
            groups.append([source])
        else:
            groups[-1] = candidate
    patterns = []
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        owned_elsewhere = [s for g in groups[:-1] for s in g]
        source_match: list[Any] = (
            ([{"anything-but": owned_elsewhere}] if owned_elsewhere else [{"exists": True}])
            if last
            else group
        )
        if not group and not any_source:
            continue
        pattern = _chunk(group, by_source, any_source, source_match)
        if len(compact(pattern)) > limits.EVENT_PATTERN.value:
            raise ValueError(f"a forwarding pattern needs {len(compact(pattern))} characters")
        patterns.append(pattern)
    return patterns


def forwarding_rules(
    detections: Iterable[Detection], name_prefix: str, broaden: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """(rule state, pattern) of each forwarding rule: ``forwarding_patterns`` of the detections
    rules in state ENABLED run, then of those of read-only calls, whose rules must be in the
    state that receives read-only management events (detection_rule.rule_state), and so their
    forwarding too. Read-only events never reach the first, so no event is forwarded twice."""
    detections = list(detections)
    rules = [
        ("ENABLED", p)
        for p in forwarding_patterns(
            [d for d in detections if not d.read_only], name_prefix, broaden
        )
    ]
    read_only = [d for d in detections if d.read_only]
    if read_only:
        rules += [
            (ALL_MANAGEMENT_EVENTS, p) for p in forwarding_patterns(read_only, name_prefix, broaden)
        ]
    return rules
