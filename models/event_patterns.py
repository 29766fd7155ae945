"""EventBridge event patterns, compiled: ``compile_pattern(pattern)(event) -> bool``.

An oracle that stands in for AWS (tests/test_event_patterns.py checks it first on AWS's own
examples, each cited, then against moto's matcher on every synthesized pattern), so that
`make replay` needs no test tooling. Each rule is AWS's word:

- eb-event-patterns.html (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
  a pattern names the fields to match with the event's nesting; every field it names must be
  in the event and match (AND); the values to match are in an array, any of which may match
  (OR); strings match character by character; numbers by their string representation ("300,
  300.0 and 3.0e2 are not considered equal"); ``true``, ``false`` and ``null`` as JSON.
- eb-event-patterns-arrays.html: if the event's value is an array, the pattern matches if the
  pattern's array and the event's intersect.
- eb-event-patterns-null-values.html: ``[null]`` matches a null value, ``[""]`` an empty string,
  and the two are not interchangeable.
- eb-create-pattern-operators.html (the comparison operators): prefix and suffix (each also
  with ``equals-ignore-case``), equals-ignore-case, wildcard (``*``; ``\\*`` and ``\\\\`` for the
  characters), anything-but (a value, a list of strings or of numbers, or prefix, suffix,
  equals-ignore-case or wildcard of one value or a list), numeric (``<``, ``<=``, ``=``,
  ``>=``, ``>`` and ranges), cidr (IPv4 and IPv6), exists (true and false; "only works on leaf
  nodes"), and ``$or`` over sub-patterns. Comparison operators work on leaf nodes.
- Where the guide is silent, AWS's Event Ruler, the library behind these patterns
  (https://github.com/aws/event-ruler, README "JSON Array Matching", "Wildcard matching",
  "Anything-but matching"): arrays of objects in the event are crushed, so a field inside
  them has the values of every element; an empty object or array is no value, so the field
  does not exist; ``null`` is a value; a backslash escapes only ``*`` and ``\\``; two ``*`` in a
  row are refused.

Left as Event Ruler's ``rulesForEvent`` rather than ``rulesForJSONEvent``: two fields of one
pattern inside the same array of objects may match in different elements (no synthesized
pattern names two fields inside one array). Numbers are compared by type and value, since the
event is parsed before matching: 300 and 300.0 differ, as AWS says, but 3.0e2 and 300.0 (two
spellings of one float) are equal here.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Test = Callable[[Any], bool]
_MISSING = object()
_NUMBERS = (int, float)
_OPERATORS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


class PatternError(ValueError):
    """Not an event pattern EventBridge documents."""


def compile_pattern(pattern: Mapping[str, Any] | str) -> Callable[[Mapping[str, Any]], bool]:
    """The pattern as one function of an event (a parsed JSON object)."""
    if isinstance(pattern, str):
        pattern = json.loads(pattern)
    if not isinstance(pattern, Mapping):
        raise PatternError(f"an event pattern is a JSON object, not {json.dumps(pattern)}")
    return _all(_node(pattern, ()))


def _all(tests: list[Callable[[Mapping[str, Any]], bool]]) -> Callable[[Mapping[str, Any]], bool]:
    if not tests:
        return lambda event: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda event: first(event) and second(event)
    if len(tests) == 3:
        first, second, third = tests
        return lambda event: first(event) and second(event) and third(event)
    frozen = tuple(tests)

    def every(event: Mapping[str, Any]) -> bool:
        for test in frozen:  # noqa: SIM110 (a loop: no generator object per event)
            if not test(event):
                return False
        return True

    return every


def _node(node: Mapping[str, Any], path: tuple[str, ...]) -> list:
    tests = []
    for key, value in node.items():
        if key == "$or" and isinstance(value, list) and all(isinstance(b, Mapping) for b in value):
            # eb-create-pattern-operators.html, "Or (multiple fields)": any sub-pattern.
            branches = tuple(_all(_node(branch, path)) for branch in value)

            def one_of(event: Mapping[str, Any], branches: tuple = branches) -> bool:
                for branch in branches:  # noqa: SIM110 (as in every())
                    if branch(event):
                        return True
                return False

            tests.append(one_of)
        elif isinstance(value, Mapping):
            tests.extend(_node(value, (*path, key)))
        elif isinstance(value, list):
            tests.append(_field((*path, key), value))
        else:
            raise PatternError(
                f"{'.'.join((*path, key))}: the values to match are an array, not {json.dumps(value)}"
            )
    return tests


def values_at(event: Any, path: Sequence[str]) -> tuple:
    """The leaf values at ``path`` (strings, numbers, booleans, nulls), arrays crushed."""
    node = event
    for key in path:
        if type(node) is dict:
            node = node.get(key, _MISSING)
            if node is _MISSING:
                return ()
        else:
            break
    else:
        if type(node) is list or type(node) is dict:
            found: list = []
            _collect(node, path, len(path), found)
            return tuple(found)
        return (node,)
    found = []
    _collect(event, path, 0, found)
    return tuple(found)


def _collect(node: Any, path: Sequence[str], depth: int, found: list) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, path, depth, found)
    elif isinstance(node, Mapping):
        if depth < len(path):
            child = node.get(path[depth], _MISSING)
            if child is not _MISSING:
                _collect(child, path, depth + 1, found)
    elif depth == len(path):
        found.append(node)


def _field(path: tuple[str, ...], allowed: list) -> Callable[[Mapping[str, Any]], bool]:
    """One field: any of the allowed values, or exists / does not exist."""
    if not allowed:
        raise PatternError(f"{'.'.join(path)}: an empty array matches nothing")
    exact: list = []
    tests: list[Test] = []
    exists: set[bool] = set()
    for item in allowed:
        if isinstance(item, Mapping):
            if len(item) != 1:
                raise PatternError(f"{'.'.join(path)}: one operator per object: {json.dumps(item)}")
            ((operator, operand),) = item.items()
            if operator == "exists":
                if not isinstance(operand, bool):
                    raise PatternError(f"{'.'.join(path)}: exists takes true or false")
                exists.add(operand)
            else:
                tests.append(_operator(operator, operand, path))
        elif isinstance(item, list):
            raise PatternError(f"{'.'.join(path)}: an array inside the values: {json.dumps(item)}")
        else:
            exact.append(item)
    value_matches = _value_test(exact, tests, present=True in exists)
    absent = False in exists

    def slow(event: Mapping[str, Any]) -> bool:
        values = values_at(event, path)
        if values:
            return any(value_matches(v) for v in values)
        return absent

    def field(event: Mapping[str, Any]) -> bool:
        # The usual case, objects down to a single value, without building a list of values.
        node = event
        for key in path:
            if type(node) is not dict:
                return slow(event)
            node = node.get(key, _MISSING)
            if node is _MISSING:
                return absent
        if type(node) is list or type(node) is dict:
            return slow(event)
        return value_matches(node)

    return field


def _value_test(exact: list, tests: list[Test], present: bool) -> Test:
    """Whether one leaf value matches any of the field's values or operators."""
    if present:  # exists: true, and the field has a value
        return lambda value: True
    if all(type(v) is str for v in exact):
        strings = frozenset(exact)  # a string equals no number, boolean or null
        if not tests:
            return strings.__contains__
        if not strings and len(tests) == 1:
            return tests[0]
        return lambda value: value in strings or any(test(value) for test in tests)
    keys = frozenset(_key(v) for v in exact)
    return lambda value: _key(value) in keys or any(test(value) for test in tests)


def paths_of(pattern: Mapping[str, Any], path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every field path the pattern reads ($or's branches included)."""
    found: set[tuple[str, ...]] = set()
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list) and all(isinstance(b, Mapping) for b in value):
            for branch in value:
                found |= paths_of(branch, path)
        elif isinstance(value, Mapping):
            found |= paths_of(value, (*path, key))
        else:
            found.add((*path, key))
    return found


def _key(value: Any) -> tuple[type, Any]:
    """Equality as EventBridge has it: 1, 1.0 and true are three values (eb-event-patterns.html)."""
    return (type(value), value)


def _strings(operand: Any, path: tuple[str, ...], operator: str) -> list[str]:
    found = operand if isinstance(operand, list) else [operand]
    if not found or not all(isinstance(s, str) for s in found):
        raise PatternError(f"{'.'.join(path)}: {operator} takes a string or a list of strings")
    return found


def _operator(operator: str, operand: Any, path: tuple[str, ...]) -> Test:
    where = ".".join(path)
    if operator in ("prefix", "suffix"):
        ignore_case = isinstance(operand, Mapping) and set(operand) == {"equals-ignore-case"}
        text = operand["equals-ignore-case"] if ignore_case else operand
        if not isinstance(text, str):
            raise PatternError(f"{where}: {operator} takes a string or equals-ignore-case")
        return _affix(operator, text, ignore_case)
    if operator == "equals-ignore-case":
        if not isinstance(operand, str):
            raise PatternError(f"{where}: equals-ignore-case takes a string")
        folded = operand.casefold()
        return lambda v: type(v) is str and v.casefold() == folded
    if operator == "wildcard":
        if not isinstance(operand, str):
            raise PatternError(f"{where}: wildcard takes a string")
        regex = _wildcard(operand, where)
        return lambda v: type(v) is str and regex.fullmatch(v) is not None
    if operator == "numeric":
        return _numeric(operand, where)
    if operator == "cidr":
        try:
            network = ipaddress.ip_network(operand)
        except (TypeError, ValueError):
            raise PatternError(f"{where}: cidr takes an IPv4 or IPv6 block: {operand!r}") from None
        return lambda v: _in_network(v, network)
    if operator == "anything-but":
        return _anything_but(operand, path)
    raise PatternError(f"{where}: unknown operator {operator!r}")


def _affix(operator: str, text: str, ignore_case: bool) -> Test:
    if ignore_case:
        folded = text.casefold()
        if operator == "prefix":
            return lambda v: type(v) is str and v.casefold().startswith(folded)
        return lambda v: type(v) is str and v.casefold().endswith(folded)
    if operator == "prefix":
        return lambda v: type(v) is str and v.startswith(text)
    return lambda v: type(v) is str and v.endswith(text)


def _wildcard(text: str, where: str) -> re.Pattern[str]:
    """``*`` is any run of characters; ``\\*`` and ``\\\\`` the characters (Event Ruler README)."""
    parts, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise PatternError(f"{where}: in a wildcard, \\ escapes only * and \\: {text!r}")
            parts.append(re.escape(text[i + 1]))
            i += 2
        elif char == "*":
            if text[i + 1 : i + 2] == "*":
                raise PatternError(f"{where}: two * in a row in a wildcard: {text!r}")
            parts.append(".*")
            i += 1
        else:
            parts.append(re.escape(char))
            i += 1
    return re.compile("".join(parts), re.DOTALL)


def _numeric(operand: Any, where: str) -> Test:
    if not isinstance(operand, list) or not operand or len(operand) % 2:
        raise PatternError(f"{where}: numeric takes operator, number pairs")
    checks = []
    for operator, bound in zip(operand[::2], operand[1::2], strict=True):
        if operator not in _OPERATORS or type(bound) not in _NUMBERS:
            raise PatternError(f"{where}: numeric takes operator, number pairs: {operand}")
        checks.append((_OPERATORS[operator], bound))
    # Numeric matching works with values that are JSON numbers (not true or false).
    return lambda v: type(v) in _NUMBERS and all(check(v, bound) for check, bound in checks)


def _in_network(value: Any, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    if type(value) is not str:
        return False
    try:
        return ipaddress.ip_address(value) in network
    except ValueError:
        return False


def _anything_but(operand: Any, path: tuple[str, ...]) -> Test:
    """Any value but these; the field must have one (Event Ruler README, anything-but)."""
    where = ".".join(path)
    if isinstance(operand, Mapping):
        if len(operand) != 1:
            raise PatternError(f"{where}: anything-but takes one operator: {json.dumps(operand)}")
        ((operator, inner),) = operand.items()
        if operator not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise PatternError(f"{where}: anything-but does not take {operator!r}")
        excluded = [_operator(operator, s, path) for s in _strings(inner, path, operator)]
        return lambda v: not any(test(v) for test in excluded)
    values = operand if isinstance(operand, list) else [operand]
    kinds = {str if isinstance(v, str) else "number" for v in values}
    if (
        not values
        or len(kinds) != 1
        or not all(isinstance(v, str) or type(v) in _NUMBERS for v in values)
    ):
        raise PatternError(f"{where}: anything-but takes strings only or numbers only")
    keys = frozenset(_key(v) for v in values)
    return lambda v: _key(v) not in keys
