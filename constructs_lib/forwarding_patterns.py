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

from constructs_lib.catalog import Detection
from models import limits


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


def _chunk(
    sources: list[str],
    by_source: dict[str, list[dict[str, Any]]],
    any_source: list[dict[str, Any]],
    source_match: list[Any],
) -> dict[str, Any]:
    branches = [branch for source in sources for branch in by_source[source]]
    branches += [{**pattern, "source": source_match} for pattern in any_source]
    return {"$or": branches} if len(branches) > 1 else branches[0]


def forwarding_patterns(detections: Iterable[Detection], name_prefix: str) -> list[dict[str, Any]]:
    """Patterns that together match exactly what the detections match, no event matching two.

    Each pattern owns a set of sources; the last owns every source the others do not name.
    """
    by_source, any_source = _branches(detections, name_prefix)
    sources = sorted(by_source)
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
