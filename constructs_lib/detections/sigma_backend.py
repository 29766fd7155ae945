"""A pySigma backend: a Sigma rule over CloudTrail records, compiled to an EventBridge event pattern
and to a CloudWatch Logs JSON filter pattern, each exactly or not at all.

pySigma parses the rule and its condition; this backend turns the condition tree into a small
intermediate form (``All``, ``AnyOf``, ``Not``, ``Leaf``), pushes every ``not`` down to the leaves
(De Morgan), and renders that form for each engine. What an engine cannot express with the same
meaning is refused for that engine, in one line naming the rule and the construct; nothing is
approximated. The decisions, each resting on the page cited:

Sigma's side (https://github.com/SigmaHQ/sigma-specification, pySigma 2.x's types): strings match
case-insensitively unless ``|cased``; ``*`` is any run of characters, ``?`` one character;
``field: null`` holds when the field is absent or JSON null; a list of values is "any of", ``|all``
"every one of"; ``not`` of a selection holds when the selection does not, so ``not field: X``
holds when the field is absent.

EventBridge (comparison operators,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html; content
filtering, https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html):

- matching is case-sensitive; ``equals-ignore-case`` exists alone, inside ``prefix`` and
  ``suffix``, and inside ``anything-but``. So a Sigma string compiles to ``equals-ignore-case``,
  ``prefix``/``suffix`` with ``equals-ignore-case``, and ``anything-but`` ``equals-ignore-case``;
  ``wildcard`` (contains, or a ``*`` inside a value) has no ignore-case form, nor have
  ``anything-but`` ``prefix``/``suffix``/``wildcard``: those compile only for ``|cased`` values or
  values with no ASCII letter (where case cannot matter), and are refused otherwise.
- ``?`` has no operator: refused. A literal ``*`` or ``\\`` inside a wildcard is refused (the
  operators page documents no escape).
- ``exists`` and the other operators work on leaf nodes only ("Comparison operators only work on
  leaf nodes"): ``{"exists": false}`` is true of a field that holds an object. ``anything-but``
  does not match an event without the field, so ``not field: X`` is
  ``[{"exists": false}, {"anything-but": ...}]``.
- arrays (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html):
  a field holding an array matches when any element matches. For a positive test that is Sigma's
  "any value of the field"; for a negated one it is not ("no element equals X" is not "some element
  differs from X"). So a negation, a null test or an exists test compiles only on a field known to
  hold one scalar: one CloudTrail documents as such (CLOUDTRAIL_FIELDS, from
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
  and .../cloudtrail-event-reference-user-identity.html), or one the rule declares in its
  ``scalar_fields`` attribute. Service-specific fields (``requestParameters.*``) are not known.
- ``numeric`` works on JSON numbers between -5.0e9 and 5.0e9 (Event Ruler, the matcher the guide
  describes: https://github.com/aws/event-ruler#numeric-matching); ``cidr`` has no
  ``anything-but`` form.
- a field named by the rule that CloudTrail documents as an object (``requestParameters``,
  ``userIdentity``) is refused in both engines: neither matches text inside an object.

The EventBridge event carrying a CloudTrail record has it as ``detail``
(ops/cloudtrail_records.py): every Sigma field goes under ``detail``. The pattern also names the
five ``detail-type`` values CloudTrail sends EventBridge
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html),
narrowed when the rule fixes eventType; records of other types (network activity, AwsVpceEvent)
reach the trail's log group, never EventBridge, whatever the pattern. It names
``source`` = ``aws.<service>`` when the rule fixes eventSource, as the envelope has them. The
pattern is refused past EventBridge's 2,048 characters (eb-quota.html).

CloudWatch Logs ("Filter pattern syntax for metric filters"; our oracle
models/cloudwatch_logs_filters.py quotes it): "Filter patterns are case sensitive", with no
ignore-case form at all, so only ``|cased`` values or values without ASCII letters compile; ``*``
is the only wildcard and has no documented escape; ``!=`` takes a wildcard; "If a property selector
points to an array or object, the metric filter won't match", so every value test needs a field
known to hold a scalar (as above), and a negation is ``(NOT EXISTS || !=)`` on one; exists is
``= "*"`` on a string field, ``NOT EXISTS``; null is ``(NOT EXISTS || IS NULL)``. ``IS TRUE`` on a
missing field is undocumented, so booleans are refused; so are ``cidr`` (no operator), selectors
other than letters, digits, ``-`` and ``_``, quotes and backslashes in values (no documented
escape), and filters over 1,024 characters (API_MetricFilter).

Refused in both: ``|re``, ``|fieldref``, timestamp parts, keywords (values without a field),
unresolved placeholders (``|expand``), correlation rules, more than one condition, and a logsource
other than aws/cloudtrail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.conversion.base import Backend
from sigma.conversion.state import ConversionState
from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations.base import StringValueTransformation
from sigma.rule import SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaNumber,
    SigmaString,
    SpecialChars,
)

from models import limits
from ops.cloudtrail_records import DETAIL_TYPES

EVENTBRIDGE = "EventBridge"
METRIC_FILTER = "CloudWatch Logs"

# CloudTrail record fields by the JSON type AWS documents for them (record contents and
# userIdentity element pages, cited above). Anything else, notably every field under
# requestParameters, responseElements, additionalEventData and serviceEventDetails, whose shape
# each service decides, is of unknown type unless a rule declares it in ``scalar_fields``.
STRING, BOOLEAN, OBJECT, ARRAY = "string", "boolean", "object", "array"
CLOUDTRAIL_FIELDS: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "eventTime",
            "eventVersion",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "errorCode",
            "errorMessage",
            "requestID",
            "eventID",
            "eventType",
            "apiVersion",
            "recipientAccountId",
            "sharedEventID",
            "vpcEndpointId",
            "vpcEndpointAccountId",
            "eventCategory",
            "sessionCredentialFromConsole",
            "userIdentity.type",
            "userIdentity.principalId",
            "userIdentity.arn",
            "userIdentity.accountId",
            "userIdentity.accessKeyId",
            "userIdentity.userName",
            "userIdentity.invokedBy",
            "userIdentity.identityProvider",
            "userIdentity.credentialId",
            "userIdentity.sessionContext.sourceIdentity",
            "userIdentity.sessionContext.ec2RoleDelivery",
            "userIdentity.sessionContext.sessionIssuer.type",
            "userIdentity.sessionContext.sessionIssuer.principalId",
            "userIdentity.sessionContext.sessionIssuer.arn",
            "userIdentity.sessionContext.sessionIssuer.accountId",
            "userIdentity.sessionContext.sessionIssuer.userName",
            "userIdentity.sessionContext.attributes.creationDate",
            "userIdentity.sessionContext.attributes.mfaAuthenticated",
            "tlsDetails.tlsVersion",
            "tlsDetails.cipherSuite",
            "tlsDetails.clientProvidedHostHeader",
            # Console sign-in records (cloudtrail-event-reference-aws-console-sign-in-events.html)
            "responseElements.ConsoleLogin",
            "additionalEventData.MFAUsed",
            "additionalEventData.LoginTo",
            "additionalEventData.MobileVersion",
        ),
        STRING,
    ),
    "readOnly": BOOLEAN,
    "managementEvent": BOOLEAN,
    **dict.fromkeys(
        (
            "userIdentity",
            "userIdentity.sessionContext",
            "userIdentity.sessionContext.sessionIssuer",
            "userIdentity.sessionContext.attributes",
            "userIdentity.sessionContext.webIdFederationData",
            "requestParameters",
            "responseElements",
            "additionalEventData",
            "serviceEventDetails",
            "tlsDetails",
            "edgeDeviceDetails",
            "insightDetails",
            "addendum",
            "eventContext",
        ),
        OBJECT,
    ),
    **dict.fromkeys(("resources", "resources.ARN", "resources.accountId", "resources.type"), ARRAY),
}
SCALARS = (STRING, BOOLEAN, "scalar")
SCALAR_FIELDS_ATTRIBUTE = "scalar_fields"  # the rule's own list of fields holding one scalar

# CloudWatch Logs: "alphanumeric strings that support hyphen ("-") and underscore ("_")".
SELECTOR_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Event Ruler's numeric range (https://github.com/aws/event-ruler#numeric-matching).
NUMERIC_LIMIT = 5.0e9
EVENT_TYPES = {event_type.lower(): detail for event_type, detail in DETAIL_TYPES.items()}


class Refusal(SigmaFeatureNotSupportedByBackendError):  # noqa: N818 (a refusal is no error)
    """The rule, or one of its tests, cannot be expressed exactly by an engine (or by both)."""

    def __init__(self, construct: str, why: str, engine: str | None = None) -> None:
        super().__init__(f"{construct}: {why}")
        self.construct, self.why, self.engine = construct, why, engine


# ---- the intermediate form ----


@dataclass(frozen=True)
class Text:
    """A string test: literal chunks joined by ``*`` wildcards; ``("x",)`` is equality."""

    chunks: tuple[str, ...]
    cased: bool

    @property
    def shape(self) -> str:
        chunks = self.chunks
        if len(chunks) == 1:
            return "equals"
        if not any(chunks):
            return "any"
        if len(chunks) == 2 and not chunks[1]:
            return "prefix"
        if len(chunks) == 2 and not chunks[0]:
            return "suffix"
        return "wildcard"

    @property
    def case_free(self) -> bool:
        """Case cannot matter: cased, or no letter (ASCII only, to stay clear of Unicode folding)."""
        return self.cased or all(c.isascii() and not c.isalpha() for c in "".join(self.chunks))

    @property
    def pattern(self) -> str:
        return "*".join(self.chunks)

    def describe(self) -> str:
        cased = "|cased" if self.cased else ""
        literal = {"prefix": self.chunks[0], "suffix": self.chunks[-1]}.get(self.shape)
        if literal is not None:
            modifier = "startswith" if self.shape == "prefix" else "endswith"
            return f"|{modifier}{cased} '{literal}'"
        if len(self.chunks) == 3 and not self.chunks[0] and not self.chunks[2]:
            return f"|contains{cased} '{self.chunks[1]}'"
        return f"{cased}: '{self.pattern}'"


@dataclass(frozen=True)
class Number:
    value: int | float

    def describe(self) -> str:
        return f": {self.value}"


@dataclass(frozen=True)
class Compare:
    operator: str  # < <= > >=
    value: int | float

    def describe(self) -> str:
        names = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
        return f"|{names[self.operator]}: {self.value}"


@dataclass(frozen=True)
class Boolean:
    value: bool

    def describe(self) -> str:
        return f": {str(self.value).lower()}"


@dataclass(frozen=True)
class Null:
    def describe(self) -> str:
        return ": null"


@dataclass(frozen=True)
class Exists:
    present: bool

    def describe(self) -> str:
        return f"|exists: {str(self.present).lower()}"


@dataclass(frozen=True)
class Cidr:
    network: str

    def describe(self) -> str:
        return f"|cidr: {self.network}"


Test = Text | Number | Compare | Boolean | Null | Exists | Cidr


@dataclass(frozen=True)
class Leaf:
    field: str
    test: Test
    negated: bool = False

    def describe(self) -> str:
        return ("not " if self.negated else "") + self.field + self.test.describe()


@dataclass(frozen=True)
class All:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


def pushed_down(node: Any, negate: bool = False) -> Any:
    """The same condition with every ``not`` on a leaf (De Morgan)."""
    if isinstance(node, Not):
        return pushed_down(node.item, not negate)
    if isinstance(node, Leaf):
        return Leaf(node.field, node.test, node.negated != negate)
    items = tuple(pushed_down(item, negate) for item in node.items)
    both = isinstance(node, All) != negate
    return All(items) if both else AnyOf(items)


def leaves(node: Any) -> Iterable[Leaf]:
    if isinstance(node, Leaf):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.item)
    else:
        for item in node.items:
            yield from leaves(item)


# ---- field types ----


def field_type(name: str, declared: frozenset[str]) -> str | None:
    if name in declared:
        return "scalar"
    return CLOUDTRAIL_FIELDS.get(name)


def _check_not_object(leaf: Leaf, declared: frozenset[str]) -> None:
    if field_type(leaf.field, declared) == OBJECT:
        raise Refusal(
            leaf.describe(),
            f"{leaf.field} is an object in a CloudTrail record; neither engine matches inside "
            "one as text",
        )


def _needs_scalar(leaf: Leaf, declared: frozenset[str], engine: str, what: str) -> None:
    kind = field_type(leaf.field, declared)
    if kind in SCALARS:
        return
    known = f"holds an {kind}" if kind else "is of a type CloudTrail does not document"
    raise Refusal(
        leaf.describe(),
        f"{what}; {leaf.field} {known} (list it in the rule's {SCALAR_FIELDS_ATTRIBUTE} if its "
        "records hold one scalar there)",
        engine,
    )


# ---- EventBridge ----


def _numeric_value(value: int | float, construct: str) -> int | float:
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise Refusal(construct, "numeric matching stops at +-5.0e9", EVENTBRIDGE)
    return value


def _eb_text(test: Text, construct: str) -> Any:
    shape = test.shape
    if shape == "equals":
        text = test.chunks[0]
        return text if test.case_free else {"equals-ignore-case": text}
    if shape in ("prefix", "suffix"):
        text = test.chunks[0] if shape == "prefix" else test.chunks[1]
        return {shape: text if test.case_free else {"equals-ignore-case": text}}
    if not test.case_free:
        raise Refusal(
            construct,
            "EventBridge's wildcard is case-sensitive and has no equals-ignore-case form, Sigma's "
            "match is not (|cased would make it exact)",
            EVENTBRIDGE,
        )
    if any("*" in chunk or "\\" in chunk for chunk in test.chunks):
        raise Refusal(
            construct, "a literal * or \\ in a wildcard (no documented escape)", EVENTBRIDGE
        )
    return {"wildcard": test.pattern}


def _spelled_boolean(test: Text) -> bool | None:
    """The JSON literal a string test also means: Sigma compares a value's text, and the text of
    true is "true" (CloudTrail writes some flags as strings, others as booleans)."""
    if test.shape != "equals":
        return None
    text = test.chunks[0] if test.cased else test.chunks[0].lower()
    return {"true": True, "false": False}.get(text)


def _no_literal(leaf: Leaf, declared: frozenset[str], engine: str, why: str) -> None:
    """Refuses a test spelling true/false where the field may hold the JSON literal instead."""
    test = leaf.test
    spelled = isinstance(test, Text) and _spelled_boolean(test) is not None
    if spelled and field_type(leaf.field, declared) != STRING:
        raise Refusal(leaf.describe(), f"the field may hold the JSON literal, and {why}", engine)


def _eb_positive(leaf: Leaf, declared: frozenset[str]) -> list[Any]:
    test, construct = leaf.test, leaf.describe()
    kind = field_type(leaf.field, declared)
    if isinstance(test, Text):
        literal = _spelled_boolean(test)
        if literal is None or kind == STRING:
            return [_eb_text(test, construct)]
        return [literal] if kind == BOOLEAN else [_eb_text(test, construct), literal]
    if isinstance(test, Boolean):
        text = _eb_text(Text((str(test.value).lower(),), cased=False), construct)
        return {STRING: [text], BOOLEAN: [test.value]}.get(kind, [test.value, text])
    if isinstance(test, Number):
        return [{"numeric": ["=", _numeric_value(test.value, construct)]}]
    if isinstance(test, Compare):
        return [{"numeric": [test.operator, _numeric_value(test.value, construct)]}]
    if isinstance(test, Cidr):
        return [{"cidr": test.network}]
    _needs_scalar(leaf, declared, EVENTBRIDGE, "exists works on leaf nodes only")
    if isinstance(test, Null):
        return [None, {"exists": False}]
    return [{"exists": test.present}]


def _eb_negated(leaf: Leaf, declared: frozenset[str]) -> list[Any]:
    test, construct = leaf.test, leaf.describe()
    if isinstance(test, Exists):
        return _eb_positive(Leaf(leaf.field, Exists(not test.present)), declared)
    _needs_scalar(
        leaf,
        declared,
        EVENTBRIDGE,
        "anything-but on an array matches when any element differs",
    )
    absent = {"exists": False}
    _no_literal(leaf, declared, EVENTBRIDGE, "anything-but takes strings and numbers")
    if isinstance(test, Text):
        positive = _eb_text(test, construct)
        if isinstance(positive, dict) and "wildcard" in positive:
            return [absent, {"anything-but": positive}]
        if isinstance(positive, dict) and ("prefix" in positive or "suffix" in positive):
            inner = next(iter(positive.values()))
            if isinstance(inner, dict):  # anything-but prefix/suffix has no ignore-case form
                raise Refusal(
                    construct,
                    "anything-but prefix/suffix is case-sensitive, Sigma's match is not "
                    "(|cased would make it exact)",
                    EVENTBRIDGE,
                )
        return [absent, {"anything-but": positive}]
    if isinstance(test, Number):
        return [absent, {"anything-but": _numeric_value(test.value, construct)}]
    raise Refusal(
        construct,
        {
            Compare: "not a numeric range also holds for non-numbers, which numeric cannot match",
            Boolean: "anything-but takes strings and numbers, not true/false",
            Null: "no operator says present and not null",
            Cidr: "anything-but takes no cidr",
        }[type(test)],
        EVENTBRIDGE,
    )


@dataclass
class _Conjunction:
    """Fields that must all match (path -> matchers, any of which matches), and $or groups."""

    fields: dict[tuple[str, ...], list[Any]] = field(default_factory=dict)
    ors: list[list[_Conjunction]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.fields and not self.ors


def _anything_but_union(mine: list[Any], theirs: list[Any]) -> list[Any] | None:
    """Two negations of one field as one: absent, or anything but either's exact strings."""
    if len(mine) != 2 or len(theirs) != 2 or mine[0] != {"exists": False} != theirs[0]:
        return None
    values = []
    for matcher in (mine[1], theirs[1]):
        excluded = matcher.get("anything-but") if isinstance(matcher, dict) else None
        excluded = [excluded] if isinstance(excluded, str) else excluded
        if not isinstance(excluded, list) or not all(isinstance(v, str) for v in excluded):
            return None
        values += excluded
    return [mine[0], {"anything-but": list(dict.fromkeys(values))}]


def _both(parts: list[_Conjunction], construct: str) -> _Conjunction:
    merged = _Conjunction()
    for part in parts:
        for path, matchers in part.fields.items():
            if path not in merged.fields or merged.fields[path] == matchers:
                merged.fields[path] = matchers
                continue
            union = _anything_but_union(merged.fields[path], matchers)
            if union is None:
                raise Refusal(
                    construct,
                    f"two tests of {'.'.join(path)} that must both hold: an EventBridge field "
                    "takes one list, whose values are alternatives",
                    EVENTBRIDGE,
                )
            merged.fields[path] = union
        merged.ors += part.ors
    return merged


def _either(parts: list[_Conjunction]) -> _Conjunction:
    if any(part.empty for part in parts):
        return _Conjunction()  # one alternative always holds
    # Alternatives on one field alone are one list of values; the others become $or branches.
    by_path: dict[tuple[str, ...], list[Any]] = {}
    branches: list[_Conjunction] = []
    for part in parts:
        if len(part.fields) == 1 and not part.ors:
            ((path, matchers),) = part.fields.items()
            if path in by_path:
                by_path[path] += [m for m in matchers if m not in by_path[path]]
                continue
            by_path[path] = list(matchers)
            branches.append(_Conjunction({path: by_path[path]}))
        else:
            branches.append(part)
    if len(branches) == 1:
        return branches[0]
    return _Conjunction(ors=[branches])


def _eb_conjunction(node: Any, declared: frozenset[str]) -> _Conjunction:
    if isinstance(node, Leaf):
        _check_not_object(node, declared)
        matchers = (_eb_negated if node.negated else _eb_positive)(node, declared)
        return _Conjunction({tuple(node.field.split(".")): matchers})
    parts = [_eb_conjunction(item, declared) for item in node.items]
    if isinstance(node, All):
        construct = " and ".join(leaf.describe() for leaf in leaves(node))
        return _both(parts, construct)
    return _either(parts)


def _nested(
    conjunction: _Conjunction, construct: str, outer: frozenset[tuple[str, ...]] = frozenset()
) -> dict[str, Any]:
    """The conjunction as an object of EventBridge's pattern; several $or groups nest. A field
    tested both outside and inside a $or branch is refused: the guide shows no such pattern."""
    tree: dict[str, Any] = {}
    for path, matchers in conjunction.fields.items():
        if path in outer:
            raise Refusal(
                construct,
                f"{'.'.join(path)} tested both outside and inside an alternative",
                EVENTBRIDGE,
            )
        node = tree
        for step in path[:-1]:
            node = node.setdefault(step, {})
            if not isinstance(node, dict):
                raise Refusal(
                    construct, f"{'.'.join(path)} under a field tested itself", EVENTBRIDGE
                )
        if path[-1] in node:
            raise Refusal(
                construct, f"{'.'.join(path)} is tested and has fields tested", EVENTBRIDGE
            )
        node[path[-1]] = matchers
    if conjunction.ors:
        first, *rest = conjunction.ors
        tree["$or"] = [
            _nested(
                _Conjunction(dict(branch.fields), [*branch.ors, *rest]),
                construct,
                outer | frozenset(conjunction.fields),
            )
            for branch in first
        ]
    return tree


def _fixed_values(conjunction: _Conjunction, name: str) -> list[Any] | None:
    """The values a top-level field must take, if the rule fixes them (positive, exact or
    ignore-case equality only)."""
    matchers = conjunction.fields.get((name,))
    if not matchers:
        return None
    for matcher in matchers:
        if isinstance(matcher, str):
            continue
        if isinstance(matcher, dict) and set(matcher) == {"equals-ignore-case"}:
            continue
        return None
    return matchers


def _source_of(matcher: str | dict[str, str]) -> str | dict[str, str] | None:
    text = matcher if isinstance(matcher, str) else matcher["equals-ignore-case"]
    suffix = ".amazonaws.com"
    if not text.lower().endswith(suffix) or len(text) == len(suffix):
        return None
    source = "aws." + text[: -len(suffix)]
    return source if isinstance(matcher, str) else {"equals-ignore-case": source}


def event_pattern(condition: Any, declared: frozenset[str], construct: str) -> dict[str, Any]:
    """The EventBridge event pattern for a condition in intermediate form."""
    conjunction = _eb_conjunction(pushed_down(condition), declared)
    pattern: dict[str, Any] = {}
    sources = _fixed_values(conjunction, "eventSource")
    if sources and all(_source_of(m) is not None for m in sources):
        pattern["source"] = [_source_of(m) for m in sources]
    detail_types = list(DETAIL_TYPES.values())
    event_types = _fixed_values(conjunction, "eventType")
    if event_types:
        texts = [m if isinstance(m, str) else m["equals-ignore-case"] for m in event_types]
        known = [
            DETAIL_TYPES.get(t) if isinstance(m, str) else EVENT_TYPES.get(t.lower())
            for t, m in zip(texts, event_types, strict=True)
        ]
        if None in known:
            raise Refusal(
                construct,
                "an eventType with no documented EventBridge detail-type",
                EVENTBRIDGE,
            )
        detail_types = list(dict.fromkeys(known))
    pattern["detail-type"] = detail_types
    detail = _nested(conjunction, construct)
    if detail:
        pattern["detail"] = detail
    size = len(json.dumps(pattern))
    if size > limits.EVENT_PATTERN.value:
        raise Refusal(
            construct,
            f"the pattern has {size} characters, EventBridge takes {limits.EVENT_PATTERN.value}",
            EVENTBRIDGE,
        )
    return pattern


# ---- CloudWatch Logs ----


def _cwl_selector(leaf: Leaf) -> str:
    steps = leaf.field.split(".")
    if not all(SELECTOR_NAME.fullmatch(step) for step in steps):
        raise Refusal(
            leaf.describe(),
            "a property selector takes letters, digits, - and _ only",
            METRIC_FILTER,
        )
    return "$." + leaf.field


def _cwl_text(test: Text, construct: str) -> str:
    if not test.case_free:
        raise Refusal(
            construct,
            "filter patterns are case sensitive, Sigma's match is not (|cased would make it exact)",
            METRIC_FILTER,
        )
    text = "".join(test.chunks)
    if "*" in text or '"' in text or "\\" in text or any(ord(c) < 32 for c in text):
        raise Refusal(
            construct,
            'a literal *, ", \\ or control character in a value (no documented escape)',
            METRIC_FILTER,
        )
    return json.dumps(test.pattern)


def _cwl_number(value: int | float) -> str:
    return repr(value)


def _cwl_leaf(leaf: Leaf, declared: frozenset[str]) -> str:
    _check_not_object(leaf, declared)
    selector, test, construct = _cwl_selector(leaf), leaf.test, leaf.describe()
    present = isinstance(test, Exists) and test.present != leaf.negated
    if isinstance(test, Exists):
        if not present:
            return f"{selector} NOT EXISTS"
        if field_type(leaf.field, declared) != STRING:
            raise Refusal(
                construct,
                f'exists is written = "*", which holds for strings; {leaf.field} is not '
                "documented as one",
                METRIC_FILTER,
            )
        return f'{selector} = "*"'
    if isinstance(test, Null) and not leaf.negated:
        return f"({selector} NOT EXISTS || {selector} IS NULL)"
    _needs_scalar(
        leaf,
        declared,
        METRIC_FILTER,
        "a selector pointing to an array or object never matches",
    )
    _no_literal(leaf, declared, METRIC_FILTER, "= on true/false is undocumented")
    if isinstance(test, Text):
        value = _cwl_text(test, construct)
    elif isinstance(test, Number):
        value = _cwl_number(test.value)
    elif isinstance(test, Compare) and not leaf.negated:
        return f"{selector} {test.operator} {_cwl_number(test.value)}"
    else:
        raise Refusal(
            construct,
            {
                Compare: "a negated comparison also holds for non-numbers, where > and < are "
                "undocumented",
                Boolean: "IS TRUE / IS FALSE on a missing field is undocumented",
                Null: "no documented test says present and not null",
                Cidr: "filter patterns have no CIDR operator",
            }[type(test)],
            METRIC_FILTER,
        )
    if leaf.negated:
        return f"({selector} NOT EXISTS || {selector} != {value})"
    return f"{selector} = {value}"


def _cwl_expression(node: Any, declared: frozenset[str], top: bool = False) -> str:
    if isinstance(node, Leaf):
        return _cwl_leaf(node, declared)
    joiner = " && " if isinstance(node, All) else " || "
    parts = [_cwl_expression(item, declared) for item in node.items]
    if len(parts) == 1:
        return parts[0]
    text = joiner.join(f"({p})" if " " in p and not p.startswith("(") else p for p in parts)
    return text if top else f"({text})"


def log_filter(condition: Any, declared: frozenset[str], construct: str) -> str:
    """The CloudWatch Logs JSON filter pattern for a condition in intermediate form."""
    text = "{ " + _cwl_expression(pushed_down(condition), declared, top=True) + " }"
    if len(text) > limits.FILTER_PATTERN.value:
        raise Refusal(
            construct,
            f"the filter has {len(text)} characters, CloudWatch Logs takes {limits.FILTER_PATTERN.value}",
            METRIC_FILTER,
        )
    return text


# ---- case-sensitive fields, by choice ----


@dataclass
class CasedStrings(StringValueTransformation):
    """Makes string values case-sensitive, as ``|cased`` does (a processing transformation)."""

    def apply_string_value(self, field: str | None, val: SigmaString) -> SigmaString:
        return val if isinstance(val, SigmaCasedString) else SigmaCasedString.from_sigma_string(val)


def cased_fields(fields: Iterable[str]) -> ProcessingPipeline:
    """A pySigma processing pipeline that compares these fields' strings case-sensitively, as if
    each value had ``|cased``: an explicit choice (for fields whose values CloudTrail writes in
    one fixed case), which changes what the rule means and is stated wherever it is used."""
    return ProcessingPipeline(
        name="case-sensitive fields",
        items=[
            ProcessingItem(
                CasedStrings(),
                identifier="cased_fields",
                field_name_conditions=[IncludeFieldCondition(fields=list(fields))],
            )
        ],
    )


# ---- the pySigma backend ----


@dataclass(frozen=True)
class Compiled:
    """One Sigma rule, compiled for each engine or refused, with the refusal's line."""

    title: str
    rule_id: str
    event_pattern: dict[str, Any] | None
    log_filter: str | None
    refusals: Mapping[str, str]  # engine -> one line
    reasons: Mapping[str, str] = field(default_factory=dict)  # engine -> why alone, for counting

    @property
    def name(self) -> str:
        return f'Sigma rule "{self.title}" ({self.rule_id})'


def refusal_line(rule_name: str, engine: str | None, refusal: Refusal | SigmaError) -> str:
    target = f"not compiled to {engine}" if engine else "not compiled to either engine"
    return f"{rule_name}: {target}: {refusal}"


class CloudTrailBackend(Backend):
    """Sigma rules over CloudTrail records -> EventBridge event patterns and CloudWatch Logs
    filter patterns. ``convert_rule`` returns a ``Compiled`` per condition (format "default"),
    or the pattern or filter alone ("eventbridge", "metric_filter"), raising ``Refusal``."""

    name: ClassVar[str] = "CloudTrail: EventBridge and CloudWatch Logs"
    formats: ClassVar[dict[str, str]] = {
        "default": "both engines' forms, or their refusals (Compiled)",
        "eventbridge": "the EventBridge event pattern (a dict)",
        "metric_filter": "the CloudWatch Logs JSON filter pattern (a string)",
    }

    def __init__(self, *args: Any, scalar_fields: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scalar_fields = frozenset(scalar_fields)

    # -- condition tree -> intermediate form --

    def convert_condition_and(self, cond: ConditionAND, state: ConversionState) -> All:
        return All(tuple(self.convert_condition(arg, state) for arg in cond.args))

    def convert_condition_or(self, cond: ConditionOR, state: ConversionState) -> AnyOf:
        return AnyOf(tuple(self.convert_condition(arg, state) for arg in cond.args))

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Not:
        return Not(self.convert_condition(cond.args[0], state))

    def convert_condition_as_in_expression(self, cond: Any, state: ConversionState) -> Any:
        raise NotImplementedError  # convert_or_as_in and convert_and_as_in are False

    @staticmethod
    def _text(cond: ConditionFieldEqualsValueExpression, cased: bool) -> Leaf:
        value: SigmaString = cond.value
        chunks, current = [], ""
        for part in value.s:
            if isinstance(part, str):
                current += part
            elif part is SpecialChars.WILDCARD_MULTI:
                chunks.append(current)
                current = ""
            elif part is SpecialChars.WILDCARD_SINGLE:
                raise Refusal(
                    f"{cond.field}: '{value.original}'",
                    "? (one character) has no operator in either engine",
                )
            elif isinstance(part, Placeholder):
                raise Refusal(
                    f"{cond.field}: '{value.original}'",
                    f"placeholder %{part.name}% has no value (a processing pipeline fills it)",
                )
        chunks.append(current)
        # Consecutive * mean one: EventBridge forbids them, and they match the same strings.
        if len(chunks) > 1:
            chunks = [chunks[0], *(c for c in chunks[1:-1] if c), chunks[-1]]
        return Leaf(cond.field, Text(tuple(chunks), cased))

    def convert_condition_field_eq_val_str(self, cond: Any, state: ConversionState) -> Leaf:
        return self._text(cond, cased=False)

    def convert_condition_field_eq_val_str_case_sensitive(
        self, cond: Any, state: ConversionState
    ) -> Leaf:
        return self._text(cond, cased=True)

    def convert_condition_field_eq_val_num(self, cond: Any, state: ConversionState) -> Leaf:
        value: SigmaNumber = cond.value
        return Leaf(cond.field, Number(value.number))

    def convert_condition_field_eq_val_bool(self, cond: Any, state: ConversionState) -> Leaf:
        value: SigmaBool = cond.value
        return Leaf(cond.field, Boolean(bool(value.boolean)))

    def convert_condition_field_eq_val_null(self, cond: Any, state: ConversionState) -> Leaf:
        return Leaf(cond.field, Null())

    def convert_condition_field_exists(self, cond: Any, state: ConversionState) -> Leaf:
        return Leaf(cond.field, Exists(True))

    def convert_condition_field_not_exists(self, cond: Any, state: ConversionState) -> Leaf:
        return Leaf(cond.field, Exists(False))

    def convert_condition_field_eq_val_exists(self, cond: Any, state: ConversionState) -> Leaf:
        value: SigmaExists = cond.value
        return Leaf(cond.field, Exists(bool(value.exists)))

    def convert_condition_field_eq_val_cidr(self, cond: Any, state: ConversionState) -> Leaf:
        value: SigmaCIDRExpression = cond.value
        return Leaf(cond.field, Cidr(str(value.network)))

    def convert_condition_field_compare_op_val(self, cond: Any, state: ConversionState) -> Any:
        value: SigmaCompareExpression = cond.value
        number = value.number.number
        if value.op is CompareOperators.NEQ:
            return Not(Leaf(cond.field, Number(number)))
        operator = {
            CompareOperators.LT: "<",
            CompareOperators.LTE: "<=",
            CompareOperators.GT: ">",
            CompareOperators.GTE: ">=",
        }[value.op]
        return Leaf(cond.field, Compare(operator, number))

    def _refuse(self, cond: Any, construct: str, why: str) -> None:
        field_name = getattr(cond, "field", None)
        raise Refusal(f"{field_name}{construct}" if field_name else construct, why)

    def convert_condition_field_eq_val_re(self, cond: Any, state: ConversionState) -> None:
        self._refuse(
            cond, f"|re '{cond.value.regexp}'", "neither engine matches regular expressions"
        )

    def convert_condition_field_eq_field(self, cond: Any, state: ConversionState) -> None:
        self._refuse(
            cond,
            f"|fieldref {cond.value.field}",
            "neither engine compares one field with another",
        )

    def convert_condition_field_eq_val_timestamp_part(
        self, cond: Any, state: ConversionState
    ) -> None:
        self._refuse(cond, "|minute/hour/day/...", "neither engine reads parts of a timestamp")

    def convert_condition_field_eq_query_expr(self, cond: Any, state: ConversionState) -> None:
        self._refuse(cond, " (query expression)", "a backend-specific query expression")

    def _keyword(self, cond: ConditionValueExpression) -> None:
        raise Refusal(
            f"keyword {cond.value}",
            "a value without a field searches the whole record's text, which neither engine does",
        )

    def convert_condition_val_str(self, cond: Any, state: ConversionState) -> None:
        self._keyword(cond)

    def convert_condition_val_num(self, cond: Any, state: ConversionState) -> None:
        self._keyword(cond)

    def convert_condition_val_re(self, cond: Any, state: ConversionState) -> None:
        self._keyword(cond)

    def convert_condition_query_expr(self, cond: Any, state: ConversionState) -> None:
        self._keyword(cond)

    def convert_correlation_rule(self, rule: Any, *args: Any, **kwargs: Any) -> Any:
        raise Refusal("correlation", "a correlation counts or orders events; a rule sees one")

    # pySigma declares one method per correlation type; all refuse, as above.
    convert_correlation_event_count_rule = convert_correlation_rule
    convert_correlation_value_count_rule = convert_correlation_rule
    convert_correlation_temporal_rule = convert_correlation_rule
    convert_correlation_temporal_ordered_rule = convert_correlation_rule
    convert_correlation_extended_temporal_rule = convert_correlation_rule
    convert_correlation_extended_temporal_ordered_rule = convert_correlation_rule
    convert_correlation_value_sum_rule = convert_correlation_rule
    convert_correlation_value_avg_rule = convert_correlation_rule
    convert_correlation_value_percentile_rule = convert_correlation_rule
    convert_correlation_value_median_rule = convert_correlation_rule

    # -- intermediate form -> each engine --

    def declared_scalars(self, rule: SigmaRule) -> frozenset[str]:
        declared = rule.custom_attributes.get(SCALAR_FIELDS_ATTRIBUTE, ())
        if isinstance(declared, str) or not all(isinstance(f, str) for f in declared):
            raise Refusal(SCALAR_FIELDS_ATTRIBUTE, "a list of field names")
        return self.scalar_fields | frozenset(declared)

    def finalize_query_eventbridge(self, rule: SigmaRule, query: Any, index: int, state: Any):
        return event_pattern(query, self.declared_scalars(rule), "the rule")

    def finalize_query_metric_filter(self, rule: SigmaRule, query: Any, index: int, state: Any):
        return log_filter(query, self.declared_scalars(rule), "the rule")

    def finalize_query_default(
        self, rule: SigmaRule, query: Any, index: int, state: Any
    ) -> Compiled:
        declared = self.declared_scalars(rule)
        name = f'Sigma rule "{rule.title}" ({rule.id})'
        forms: dict[str, Any] = {}
        refusals: dict[str, str] = {}
        reasons: dict[str, str] = {}
        for engine, render in ((EVENTBRIDGE, event_pattern), (METRIC_FILTER, log_filter)):
            try:
                forms[engine] = render(query, declared, "the rule")
            except Refusal as refusal:
                refusals[engine] = refusal_line(name, engine, refusal)
                reasons[engine] = refusal.why
        return Compiled(
            str(rule.title),
            str(rule.id),
            forms.get(EVENTBRIDGE),
            forms.get(METRIC_FILTER),
            refusals,
            reasons,
        )


def _refused(title: str, rule_id: str, error: Exception) -> Compiled:
    name = f'Sigma rule "{title}" ({rule_id})'
    line = refusal_line(name, None, error)
    why = error.why if isinstance(error, Refusal) else str(error)
    return Compiled(
        title,
        rule_id,
        None,
        None,
        {EVENTBRIDGE: line, METRIC_FILTER: line},
        {EVENTBRIDGE: why, METRIC_FILTER: why},
    )


def compile_rule(rule: str | SigmaRule, backend: CloudTrailBackend | None = None) -> Compiled:
    """One Sigma rule (YAML text or parsed) for both engines; refusals are returned, not raised."""
    backend = backend or CloudTrailBackend()
    if isinstance(rule, str):
        try:
            parsed = SigmaCollection.from_yaml(rule)
        except SigmaError as error:
            return _refused("?", "?", error)
        items = parsed.rules
        if len(items) != 1 or not isinstance(items[0], SigmaRule):
            first = items[0] if items else None
            return _refused(
                str(getattr(first, "title", "?")),
                str(getattr(first, "id", "?")),
                Refusal("correlation", "a correlation or several rules: one event at a time"),
            )
        rule = items[0]
    title, rule_id = str(rule.title), str(rule.id)
    if rule.errors:
        return _refused(title, rule_id, rule.errors[0])
    logsource = rule.logsource
    if (logsource.product, logsource.service) != ("aws", "cloudtrail"):
        return _refused(
            title,
            rule_id,
            Refusal(
                f"logsource {logsource.product}/{logsource.service}",
                "only aws/cloudtrail records reach these engines",
            ),
        )
    if len(rule.detection.condition) != 1:
        return _refused(
            title,
            rule_id,
            Refusal("several conditions", "one condition per rule (Sigma 2 has one)"),
        )
    try:
        (compiled,) = backend.convert_rule(rule)
    except SigmaError as error:
        return _refused(title, rule_id, error)
    return compiled
