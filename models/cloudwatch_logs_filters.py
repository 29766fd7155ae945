"""A test oracle: how CloudWatch Logs matches a JSON filter pattern against a JSON log event.

Written from AWS's "Filter and pattern syntax" page (CloudWatch Logs user guide,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html, now split
into "Using filter patterns to match terms in JSON log events",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
Quotations below are from its published source, awsdocs/amazon-cloudwatch-logs-user-guide,
doc_source/FilterAndPatternSyntax.md at commit 26c12c3 (the last before the repository was
archived); tests/test_cloudwatch_logs_filters.py runs every JSON example of that page.

Where the page does not say what happens, the oracle does not guess: a result that depends on
undocumented behaviour raises ``Undocumented``, so a test built on it fails loudly instead of
passing on our assumption. Only JSON patterns (``{ ... }``) are modelled; term and
space-delimited patterns are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


class Undocumented(ValueError):  # noqa: N818 (as in eventbridge_templates.py)
    """The pattern, or its result on this event, depends on behaviour AWS does not document."""


class Unknown:
    """A comparison whose outcome AWS does not document (for example ``!=`` on a missing field)."""

    def __init__(self, why: str) -> None:
        self.why = why


Truth = bool | Unknown

# "Set off property selectors with a dollar sign followed by a period ("$.")... alphanumeric
# strings that support hyphen ("-") and underscore ("_")... Enclose elements in brackets ("[]")."
SELECTOR = re.compile(r"\$\.[A-Za-z0-9_-]+(?:\[\d+\])*(?:\.[A-Za-z0-9_-]+(?:\[\d+\])*)*")
TOKEN = re.compile(
    r"""\s*(?:
        (?P<selector>\$\.[A-Za-z0-9_.\[\]-]+)
      | (?P<op>&&|\|\||!=|>=|<=|=|>|<|\(|\))
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<word>[^\s()=!<>&|"]+)
    )""",
    re.VERBOSE,
)
# "You can use integers that contain plus ("+") or minus ("-") symbols and follow scientific
# notation."
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
MISSING = object()


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool

    @property
    def number(self) -> float | None:
        return float(self.text) if not self.quoted and NUMBER.fullmatch(self.text) else None


@dataclass(frozen=True)
class Comparison:
    selector: str
    operator: str  # = != > < >= <= | IS | NOT EXISTS
    value: Value | None


@dataclass(frozen=True)
class Both:
    left: Any
    right: Any


@dataclass(frozen=True)
class Either:
    left: Any
    right: Any


class FilterPattern:
    """A parsed JSON filter pattern; ``matches(event)`` says whether it counts the event."""

    def __init__(self, text: str) -> None:
        self.text = text
        body = text.strip()
        # "Enclose metric filters in curly braces ("{}")."
        if not (body.startswith("{") and body.endswith("}")):
            raise Undocumented(f"not a JSON filter pattern (only those are modelled): {text!r}")
        self._tokens = self._tokenize(body[1:-1])
        self._position = 0
        self.tree = self._either()
        if self._position != len(self._tokens):
            raise ValueError(f"unexpected {self._tokens[self._position][1]!r} in {text!r}")

    # ---- parsing: "() > && > ||" (the page's order of operations) ----

    @staticmethod
    def _tokenize(body: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while body[position:].strip():
            match = TOKEN.match(body, position)
            if not match:
                raise ValueError(f"cannot read {body[position:]!r}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            position = match.end()
        return tokens

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ValueError(f"unexpected end of {self.text!r}")
        self._position += 1
        return token

    def _either(self) -> Any:
        node = self._both()
        while self._peek() == ("op", "||"):
            self._take()
            node = Either(node, self._both())
        return node

    def _both(self) -> Any:
        node = self._term()
        while self._peek() == ("op", "&&"):
            self._take()
            node = Both(node, self._term())
        return node

    def _term(self) -> Any:
        kind, text = self._take()
        if (kind, text) == ("op", "("):
            node = self._either()
            if self._take() != ("op", ")"):
                raise ValueError(f"unbalanced parentheses in {self.text!r}")
            return node
        if kind != "selector" or not SELECTOR.fullmatch(text):
            raise ValueError(f"expected a property selector, found {text!r} in {self.text!r}")
        kind2, operator = self._take()
        if (kind2, operator) == ("word", "IS"):
            _, word = self._take()
            if word not in ("NULL", "TRUE", "FALSE"):
                raise ValueError(f"IS takes NULL, TRUE or FALSE, not {word!r}")
            return Comparison(text, "IS", Value(word, quoted=False))
        if (kind2, operator) == ("word", "NOT"):
            if self._take() != ("word", "EXISTS"):
                raise ValueError(f"expected NOT EXISTS in {self.text!r}")
            return Comparison(text, "NOT EXISTS", None)
        if kind2 == "word" and operator == "EXISTS":
            # "The variables IS NOT and EXISTS currently aren't supported." The page's way to ask
            # whether a property exists is { $.eventType = "*" } (publishing dimensions).
            raise Undocumented(f'EXISTS is not supported: use {text} = "*"')
        if kind2 != "op" or operator not in ("=", "!=", ">", "<", ">=", "<="):
            raise ValueError(f"expected an operator after {text}, found {operator!r}")
        kind3, literal = self._take()
        if kind3 not in ("quoted", "word"):
            raise ValueError(f"expected a value after {text} {operator}")
        quoted = kind3 == "quoted"
        value = Value(json.loads(literal) if quoted else literal, quoted)
        if operator in (">", "<", ">=", "<=") and value.number is None:
            raise ValueError(f"{operator} compares numbers, not {literal!r}")
        return Comparison(text, operator, value)

    # ---- matching ----

    def matches(self, event: dict[str, Any]) -> bool:
        result = _evaluate(self.tree, event)
        if isinstance(result, Unknown):
            raise Undocumented(f"{self.text} on this event: {result.why}")
        return result


def _select(event: Any, selector: str) -> Any:
    """The value a property selector points to, or MISSING."""
    node = event
    for name, indexes in re.findall(r"\.([A-Za-z0-9_-]+)((?:\[\d+\])*)", selector):
        if not isinstance(node, dict) or name not in node:
            return MISSING
        node = node[name]
        for index in re.findall(r"\[(\d+)\]", indexes):
            if not isinstance(node, list) or int(index) >= len(node):
                return MISSING
            node = node[int(index)]
    return node


def _evaluate(node: Any, event: dict[str, Any]) -> Truth:
    if isinstance(node, Both):
        left = _evaluate(node.left, event)
        if left is False:
            return False
        right = _evaluate(node.right, event)
        if right is False:
            return False
        return left if isinstance(left, Unknown) else right
    if isinstance(node, Either):
        left = _evaluate(node.left, event)
        if left is True:
            return True
        right = _evaluate(node.right, event)
        if right is True:
            return True
        return left if isinstance(left, Unknown) else right
    return _compare(node, _select(event, node.selector))


def _compare(comparison: Comparison, found: Any) -> Truth:
    operator, value = comparison.operator, comparison.value
    if operator == "NOT EXISTS":
        # "return JSON logs that don't contain specific fields in the log data"
        return found is MISSING
    if operator == "IS":
        if found is MISSING:
            return Unknown(f"{comparison.selector} IS {value.text} on a missing property")
        return found is {"NULL": None, "TRUE": True, "FALSE": False}[value.text]
    if found is MISSING:
        # A missing property equals nothing; whether != counts it is not documented.
        return False if operator == "=" else Unknown(f"{operator} on missing {comparison.selector}")
    if isinstance(found, dict | list):
        # "If a property selector points to an array or object, the metric filter won't match."
        return False
    if operator in (">", "<", ">=", "<="):
        if isinstance(found, bool) or not isinstance(found, int | float):
            return Unknown(f"{operator} on the non-number {found!r}")
        number = value.number
        return {
            ">": found > number,
            "<": found < number,
            ">=": found >= number,
            "<=": found <= number,
        }[operator]
    equal = _equals(found, value)
    if isinstance(equal, Unknown):
        return equal
    return equal if operator == "=" else not equal


def _equals(found: Any, value: Value) -> Truth:
    if found is None or isinstance(found, bool):
        # JSON null, true and false are matched with IS NULL / IS TRUE / IS FALSE.
        return Unknown(f"= on {json.dumps(found)}")
    if isinstance(found, int | float):
        if value.text == "*":
            return True  # "{ $.latency = * }" matches "latency": 50
        if value.number is not None:
            return float(found) == value.number
        return Unknown(f"number {found} against the string {value.text!r}")
    # Strings: case-sensitive, "*" as a wild card ("Use the asterisk ("*") as a wild card to match
    # text"); no other wild card characters, so ? and [ match themselves.
    if "*" in value.text:
        escaped = re.sub(r"([?\[\]])", r"[\1]", value.text)
        return fnmatchcase(found, escaped)
    return found == value.text


def matches(pattern: str, event: dict[str, Any]) -> bool:
    """Whether CloudWatch Logs counts this JSON log event with this filter pattern."""
    return FilterPattern(pattern).matches(event)
