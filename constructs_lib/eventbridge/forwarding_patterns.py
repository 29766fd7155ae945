"""Event patterns that forward a region's matches to the home bus, each matching event exactly once.

Central delivery forwards from every other region to the home region's default bus, whose rules
then deliver to the one topic. One forwarding rule per detection would forward an event matching
k detections k times (and alert k*k times at home), so instead a region has as few forwarding
rules as EventBridge's pattern size allows, whose patterns split the events by ``source``: every
event can match at most one of them.

A detection's ``source`` is a list of exact names, or (a user's Sigma rule without ``|cased``)
of ``equals-ignore-case`` names. Folding those to the lower-case name would not be the same
pattern: AWS's services send ``aws.<service>`` in lower case (each service's page of the
EventBridge events reference), but nothing AWS documents keeps an event whose source differs from
one only in case off a bus (the reserved prefix is written ``aws.``: EventBridge Scheduler's
PutEvents target refuses a Source starting with it by a case-sensitive pattern,
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EventBridgeParameters.html), and the
ignore-case pattern matches such an event. So when a region's detections name a source ignoring
case, its patterns own sources ignoring case: each pattern's share is a list of
``equals-ignore-case`` names, and the last takes ``anything-but`` ``equals-ignore-case`` of the
others' ("Anything-but (ignore case)", comparison operators page,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html; a list
of them: Event Ruler's "Anything-but-ignore-case list", https://github.com/aws/event-ruler): the
split stays exact. A source matched any other way (a prefix, anything-but: a rule over the events
themselves) is treated as any source: forwarded by every pattern for its share, more than the
detection matches (the home rules decide), never twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from constructs_lib.detections.catalog import Detection
from models import limits

# The rule state that receives read-only management events (detection_rule.rule_state).
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
# How broadly every source is forwarded (``broaden``): as the detections match, by the event
# names they name, or every call of theirs of the detail-types they name.
EXACT, BY_NAMES, BY_TYPES = 0, 1, 2


def compact(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, separators=(",", ":"), sort_keys=True)


def _owned_name(source: Any, ignore_case: bool) -> str | None:
    """The source name a ``source`` matcher is filed under: an exact name as written (lower-cased
    where the region owns sources ignoring case), an ``equals-ignore-case`` name lower-cased;
    None for any other matcher."""
    if isinstance(source, str):
        return source.lower() if ignore_case else source
    if isinstance(source, dict) and list(source) == ["equals-ignore-case"]:
        name = source["equals-ignore-case"]
        return name.lower() if isinstance(name, str) else None
    return None


def _ignores_case(patterns: list[dict[str, Any]]) -> bool:
    """Whether any pattern names a source ignoring case (then the region owns sources so)."""
    return any(
        isinstance(source, dict) and list(source) == ["equals-ignore-case"]
        for pattern in patterns
        for source in pattern.get("source") or []
    )


def _branches(
    patterns: list[dict[str, Any]], ignore_case: bool
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The detections' patterns, by the one source name they match, and those matching any."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    any_source: list[dict[str, Any]] = []
    for pattern in patterns:
        sources = pattern.get("source")
        owners = [_owned_name(source, ignore_case) for source in sources or []]
        if not sources or None in owners:
            any_source.append(pattern)
            continue
        for source, owner in zip(sources, owners, strict=True):
            branch = {**json.loads(json.dumps(pattern)), "source": [source]}
            simple = set(branch.get("detail", {})) <= {"eventSource", "eventName"}
            merged = False
            if simple:
                # Calls of one service told apart only by name: one branch with all the names.
                for other in by_source.get(owner, []):
                    if set(other.get("detail", {})) <= {"eventSource", "eventName"} and (
                        other["source"] == branch["source"]
                        and other["detail-type"] == branch["detail-type"]
                        and other["detail"].get("eventSource")
                        == branch["detail"].get("eventSource")
                    ):
                        names = other["detail"]["eventName"] + branch["detail"]["eventName"]
                        other["detail"]["eventName"] = _unique(names)
                        merged = True
                        break
            if not merged:
                by_source.setdefault(owner, []).append(branch)
    return by_source, any_source


def _unique(values: list[Any]) -> list[Any]:
    """The values without repeats, in order (strings or matchers)."""
    kept = dict.fromkeys(json.dumps(v, sort_keys=True) for v in values)
    return [json.loads(v) for v in kept]


def _broadened(
    branches: list[dict[str, Any]], name: str, names: bool = True
) -> list[dict[str, Any]]:
    """One source's branches as one, matching their event sources and names only (``names``;
    else their detail-types alone): for a source whose branches alone exceed a pattern. It
    forwards more of that source's calls than the detections match (the home rules still
    decide, so no alert changes), each still once."""
    if names and not all(b.get("detail", {}).get("eventName") for b in branches):
        return branches  # a branch matching any call name cannot be broadened this way
    owned = {json.dumps(b["source"]) for b in branches}
    # Branches naming the source both exactly and ignoring case: the broader one covers both.
    source = branches[0]["source"] if len(owned) == 1 else [{"equals-ignore-case": name}]
    broad: dict[str, Any] = {"source": source}
    if all(b.get("detail-type") for b in branches):
        broad["detail-type"] = _unique([t for b in branches for t in b["detail-type"]])
    if not names:
        return [broad]
    sources = _unique([s for b in branches for s in b["detail"].get("eventSource", [])])
    unique = _unique([n for b in branches for n in b["detail"]["eventName"]])
    detail = {"eventName": unique}
    if sources:
        detail = {"eventSource": sources, **detail}
    return [{**broad, "detail": detail}]


def _chunk(
    sources: list[str],
    by_source: dict[str, list[dict[str, Any]]],
    any_source: list[dict[str, Any]],
    source_match: list[Any],
    together: bool = False,
) -> dict[str, Any]:
    branches = [branch for source in sources for branch in by_source[source]]
    branches += [{**pattern, "source": source_match} for pattern in any_source]
    if together:
        branches = _sources_together(branches)
    return {"$or": branches} if len(branches) > 1 else branches[0]


def _sources_together(branches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Branches alike but for their sources as one, whose source list holds them all: the same
    events (a field's list is alternatives), in fewer characters."""
    merged: list[dict[str, Any]] = []
    alike: dict[str, int] = {}
    for branch in branches:
        rest = json.dumps({k: v for k, v in branch.items() if k != "source"}, sort_keys=True)
        if rest in alike:
            kept = merged[alike[rest]]
            kept["source"] = _unique([*kept["source"], *branch["source"]])
        else:
            alike[rest] = len(merged)
            merged.append(dict(branch))
    return merged


def _share(names: list[str], ignore_case: bool) -> list[Any]:
    """The ``source`` test of a pattern owning these source names."""
    return [{"equals-ignore-case": n} for n in names] if ignore_case else list(names)


def _rest(owned_elsewhere: list[str], ignore_case: bool) -> list[Any]:
    """The ``source`` test of the last pattern: every source the others do not own."""
    if not owned_elsewhere:
        return [{"exists": True}]
    if ignore_case:
        return [{"anything-but": {"equals-ignore-case": owned_elsewhere}}]
    return [{"anything-but": owned_elsewhere}]


def _any_source_forms(any_source: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The patterns matching any source as written, then, for when they are too many to repeat
    in every pattern, as one branch matching their event names (or, where one matches any name,
    their detail-types) only: more events forwarded, each still once."""
    forms = [any_source]
    if not any_source:
        return forms
    detail_types = [p.get("detail-type") for p in any_source]
    names = [p.get("detail", {}).get("eventName") for p in any_source]
    merged: dict[str, Any] = {}
    if all(detail_types):
        merged["detail-type"] = _unique([t for types in detail_types for t in types])
    if all(names):
        forms.append([{**merged, "detail": {"eventName": _unique([n for x in names for n in x])}}])
    forms.append([merged])
    return forms


def _split(
    sources: list[str],
    by_source: dict[str, list[dict[str, Any]]],
    any_source: list[dict[str, Any]],
    ignore_case: bool,
    room: int,
    together: bool,
) -> list[dict[str, Any]] | None:
    """The forwarding patterns, each owning a share of the sources, the last the rest; None if
    one would exceed EventBridge's pattern size. ``together``: branches alike but for their
    sources as one (``_sources_together``)."""
    groups: list[list[str]] = [[]]
    for source in sources:
        candidate = [*groups[-1], source]
        # Sized as a non-last chunk, plus room for the last chunk's anything-but list.
        share = _share(candidate, ignore_case)
        size = len(compact(_chunk(candidate, by_source, any_source, share, together)))
        if groups[-1] and size > room:
            groups.append([source])
        else:
            groups[-1] = candidate
    patterns = []
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        owned_elsewhere = [s for g in groups[:-1] for s in g]
        source_match = _rest(owned_elsewhere, ignore_case) if last else _share(group, ignore_case)
        if not group and not any_source:
            continue
        pattern = _chunk(group, by_source, any_source, source_match, together)
        if len(compact(pattern)) > limits.EVENT_PATTERN.value:
            return None
        patterns.append(pattern)
    return patterns


def forwarding_patterns(
    detections: Iterable[Detection], name_prefix: str, broaden: int = EXACT
) -> list[dict[str, Any]]:
    """Patterns that together match exactly what the detections match, no event matching two.

    Each pattern owns a set of sources; the last owns every source the others do not name. A
    source whose branches alone exceed a pattern, or with ``broaden`` every source, is matched
    by its event names only (``_broadened``), or by its detail-types if that is still too much
    (or ``broaden`` is BY_TYPES); so are the patterns matching any source, together, when they
    are too many to repeat in every pattern (``_any_source_forms``).
    """
    matched = [detection.event_pattern(name_prefix) for detection in detections]
    ignore_case = _ignores_case(matched)
    by_source, any_source = _branches(matched, ignore_case)
    sources = sorted(by_source)
    # Room kept in each pattern for the last one's anything-but list.
    room = limits.EVENT_PATTERN.value - 20 * len(sources) - (30 if ignore_case else 0)

    def size(source: str) -> int:
        return len(compact(_chunk([source], by_source, [], [source])))

    for source in sources:
        if broaden >= BY_NAMES or size(source) > room:
            by_source[source] = _broadened(by_source[source], source)
        if broaden >= BY_TYPES or size(source) > room:  # the service's calls of those types
            by_source[source] = _broadened(by_source[source], source, names=False)
    forms = _any_source_forms(any_source)
    for form in forms[-1:] if broaden >= BY_TYPES else forms:
        patterns = _split(sources, by_source, form, ignore_case, room, broaden >= BY_TYPES)
        if patterns is not None:
            return patterns
    raise ValueError(f"forwarding patterns for {len(sources)} sources exceed EventBridge's size")


def forwarding_rules(
    detections: Iterable[Detection], name_prefix: str, broaden: int = EXACT
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
