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
  and .../cloudtrail-event-reference-user-identity.html), or one the rule declares (below).
  Service-specific fields (``requestParameters.*``) are not known.
- ``numeric``: "Numeric matching works with values that are JSON numbers. It is limited to values
  between -5.0e9 and +5.0e9 inclusive, with 15 digits of precision, or six digits to the right of
  the decimal point" (EventBridge's own page, content filtering, "Numeric matching", as its
  published source has it: awsdocs/amazon-eventbridge-user-guide at 896fdda, the last commit with
  content, doc_source/eb-event-patterns-content-based-filtering.md; Event Ruler's README now says
  Java's double range, wider, which the guide does not): a number outside that range, with more
  than 15 significant digits or more than six after the point, is refused. ``cidr`` has no
  ``anything-but`` form.
- a field named by the rule that CloudTrail documents as an object (``requestParameters``,
  ``userIdentity``) is refused in both engines: neither matches text inside an object.

The EventBridge event carrying a CloudTrail record has it as ``detail``
(models/cloudtrail_records.py): every Sigma field goes under ``detail``. The pattern also names the
five ``detail-type`` values CloudTrail sends EventBridge
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html), one
per event type: a rule fixing eventType gets those detail-types instead of an eventType test in
``detail`` (the same events), and ``not eventType: X`` gets ``anything-but`` X's detail-type
(every record EventBridge receives has one of the five types); records of other types (network
activity, AwsVpceEvent) reach the trail's log group, never EventBridge, whatever the pattern. It
names ``source`` = ``aws.<service>`` when the rule fixes eventSource, as the envelope has them
(each service's page of the EventBridge events reference pairs the two), and ``aws.signin`` for
console sign-ins, which only AWS Sign-In records (IMPLIED_SOURCES). Two tests of one field that
must both hold are one list only where both exclude: ``exists: true`` with a negation is the
``anything-but`` alone (it never matches a missing field), and exclusions merge into one
``anything-but``, exact strings with wildcards in its ``wildcard`` list (a wildcard without ``*``
matches that string alone). The pattern is refused past EventBridge's 2,048 characters
(eb-quota.html). A rule over ``logsource: {product: aws, service: eventbridge}`` tests the
event's own fields (source, detail-type, detail.*: the event structure reference), compiles to
EventBridge alone, and is refused by CloudWatch Logs (no log group holds such an event).

Field types a rule declares in the custom attribute ``api_alerts.field_types``: ``string``,
``boolean``, ``scalar``, or ``list``, whose negations compile to EventBridge with EventBridge's
array meaning ("some element is not"), the rule's declared intent, and never to CloudWatch Logs.
Placeholders (``|expand``, ``%name%``) are filled by a processing pipeline
(``placeholder_values``) that keeps ``|cased``.

CloudWatch Logs ("Filter pattern syntax for metric filters"; our oracle
models/cloudwatch_logs_filters.py quotes it): "Filter patterns are case sensitive", with no
ignore-case form at all, so only ``|cased`` values or values without ASCII letters compile; ``*``
is the only wildcard and has no documented escape; ``!=`` takes a wildcard; "If a property selector
points to an array or object, the metric filter won't match", so every value test needs a field
known to hold a scalar (as above), and a negation is ``(NOT EXISTS || !=)`` on one; exists is
``= "*"`` on a string field, ``NOT EXISTS``; null is ``(NOT EXISTS || IS NULL)``. ``IS TRUE`` on a
missing field is undocumented, so booleans are refused; so are ``cidr`` (no operator), selectors
other than letters, digits, ``-`` and ``_``, quotes and backslashes in values (no documented
escape), characters outside ASCII in values (the syntax documents none in a quoted string, and
a ``\\u`` escape is no documented form either: refused rather than guessed), and filters over
1,024 characters (API_MetricFilter).

``|re`` is refused in both. EventBridge has no regular-expression operator (the operators page
lists none). CloudWatch Logs filter patterns take ``%regex%``, also inside JSON filter patterns
("Regular expressions (regex) can be used to create standalone filter patterns, or can be
incorporated with JSON and space-delimited filter patterns"), but of a small dialect of its own:
letters, digits, the symbols ``: _ # = @ / ; , -`` and the operators ``^ $ ? [ ] { } | \\ * + .``
only, "The ( and ) operators are not supported", "Multi-byte characters are not supported", "a
limit of 2 regex for each filter pattern" and "a maximum of 5 filter patterns containing regex
for each log group" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html).
Sigma's ``|re`` is PCRE-like (groups, classes like ``\\s``, flags); no translation of it into that
dialect is written, so no rule using it is compiled.

Refused in both: ``|fieldref``, timestamp parts, keywords (values without a field),
unresolved placeholders (``|expand``), correlation rules, more than one condition, and a logsource
other than aws/cloudtrail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
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
from sigma.processing.transformations.placeholder import ValueListPlaceholderTransformation
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
    SigmaType,
    SpecialChars,
)

from models import limits
from models.cloudtrail_records import DETAIL_TYPES

EVENTBRIDGE = "EventBridge"
METRIC_FILTER = "CloudWatch Logs"

# CloudTrail record fields by the JSON type AWS documents for them (record contents and
# userIdentity element pages, cited above). Anything else, notably every field under
# requestParameters, responseElements, additionalEventData and serviceEventDetails, whose shape
# each service decides, is of unknown type unless a rule declares it in ``api_alerts.field_types``.
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
# The EventBridge event's own fields, for rules over events put on the bus (logsource
# aws/eventbridge): https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
ENVELOPE_FIELDS: Mapping[str, str] = {
    **dict.fromkeys(
        ("version", "id", "detail-type", "source", "account", "time", "region"), STRING
    ),
    "resources": ARRAY,
    "detail": OBJECT,
}
SCALAR, LIST = "scalar", "list"
SCALARS = (STRING, BOOLEAN, SCALAR)
# This project's one custom attribute of a Sigma rule (pySigma keeps unknown top-level keys in
# ``rule.custom_attributes``); the backend reads its ``field_types``: field -> "string",
# "boolean", "scalar" (one JSON value of any type) or "list" (an array: a negated test then means
# "some element is not", EventBridge's reading of an array, not Sigma's "no element is").
ATTRIBUTE = "api_alerts"
FIELD_TYPES = "field_types"
DECLARABLE = (STRING, BOOLEAN, SCALAR, LIST)
# Logsources: CloudTrail records (as EventBridge's detail, and as the trail's log group holds
# them), and events put on an EventBridge bus by a program (no log group holds those).
CLOUDTRAIL = ("aws", "cloudtrail")
EVENTBRIDGE_EVENTS = ("aws", "eventbridge")

# CloudWatch Logs: "alphanumeric strings that support hyphen ("-") and underscore ("_")".
SELECTOR_NAME = re.compile(r"[A-Za-z0-9_-]+")
# EventBridge's numeric matching: values "between -5.0e9 and +5.0e9 inclusive, with 15 digits of
# precision, or six digits to the right of the decimal point" (content filtering, "Numeric
# matching": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#filtering-numeric-matching).
NUMERIC_LIMIT = 5.0e9
NUMERIC_DIGITS, NUMERIC_DECIMALS = 15, 6
EVENT_TYPES = {event_type.lower(): detail for event_type, detail in DETAIL_TYPES.items()}
# Why |re is refused (the module's docstring, regex-expressions.html).
REGEX_REFUSAL = (
    "EventBridge has no regular-expression operator, and CloudWatch Logs' %regex% is a dialect "
    "of its own (no groups, a few symbols, no multi-byte characters, 2 a filter, 5 filters a log "
    "group: regex-expressions.html) into which Sigma's |re is not translated"
)
# A detail-type only one service's records carry: console sign-ins are AWS Sign-In's, whose events
# come with source aws.signin (EventBridge events reference, events-ref-signin.html; CloudTrail's
# console sign-in events page records them with eventSource signin.amazonaws.com).
IMPLIED_SOURCES = {DETAIL_TYPES["AwsConsoleSignIn"]: "aws.signin"}


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


Types = Mapping[str, str]  # field -> its JSON type, as documented or declared


def field_type(name: str, types: Types) -> str | None:
    return types.get(name)


def _check_not_object(leaf: Leaf, types: Types) -> None:
    if field_type(leaf.field, types) == OBJECT:
        raise Refusal(
            leaf.describe(),
            f"{leaf.field} is an object in a CloudTrail record; neither engine matches inside "
            "one as text",
        )


def _needs_scalar(leaf: Leaf, types: Types, engine: str, what: str) -> None:
    kind = field_type(leaf.field, types)
    # A declared list: EventBridge matches an array when any element matches, the rule's stated
    # meaning; a CloudWatch Logs selector pointing to an array never matches.
    if kind in SCALARS or (kind == LIST and engine == EVENTBRIDGE):
        return
    known = f"holds an {kind}" if kind else "is of a type CloudTrail does not document"
    raise Refusal(
        leaf.describe(),
        f"{what}; {leaf.field} {known} (declare its type in the rule's "
        f"{ATTRIBUTE}.{FIELD_TYPES} if its records hold one scalar there)",
        engine,
    )


# ---- EventBridge ----


def _numeric_value(value: int | float, construct: str) -> int | float:
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise Refusal(construct, "numeric matching stops at +-5.0e9", EVENTBRIDGE)
    digits = Decimal(repr(value)).normalize().as_tuple()
    decimals = max(0, -int(digits.exponent))
    if len(digits.digits) > NUMERIC_DIGITS or decimals > NUMERIC_DECIMALS:
        raise Refusal(
            construct,
            "numeric matching takes 15 digits of precision, or six to the right of the point",
            EVENTBRIDGE,
        )
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


def _no_literal(leaf: Leaf, types: Types, engine: str, why: str) -> None:
    """Refuses a test spelling true/false where the field may hold the JSON literal instead."""
    test = leaf.test
    spelled = isinstance(test, Text) and _spelled_boolean(test) is not None
    if spelled and field_type(leaf.field, types) != STRING:
        raise Refusal(leaf.describe(), f"the field may hold the JSON literal, and {why}", engine)


def _eb_positive(leaf: Leaf, types: Types) -> list[Any]:
    test, construct = leaf.test, leaf.describe()
    kind = field_type(leaf.field, types)
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
    _needs_scalar(leaf, types, EVENTBRIDGE, "exists works on leaf nodes only")
    if isinstance(test, Null):
        return [None, {"exists": False}]
    return [{"exists": test.present}]


def _eb_negated(leaf: Leaf, types: Types) -> list[Any]:
    test, construct = leaf.test, leaf.describe()
    if isinstance(test, Exists):
        return _eb_positive(Leaf(leaf.field, Exists(not test.present)), types)
    _needs_scalar(
        leaf,
        types,
        EVENTBRIDGE,
        "anything-but on an array matches when any element differs",
    )
    absent = {"exists": False}
    _no_literal(leaf, types, EVENTBRIDGE, "anything-but takes strings and numbers")
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


def _exclusion(matchers: list[Any]) -> tuple[bool, Any] | None:
    """A field's matchers as (absent allowed, what anything-but excludes or None) when they only
    exclude: ``[{"exists": true}]``, ``[{"anything-but": X}]`` or ``[{"exists": false},
    {"anything-but": X}]``; else None."""
    if matchers == [{"exists": True}]:
        return False, None
    *absent, last = matchers
    if absent not in ([], [{"exists": False}]):
        return None
    if not isinstance(last, dict) or set(last) != {"anything-but"}:
        return None
    return bool(absent), last["anything-but"]


def _excluded_strings(operand: Any) -> list[tuple[str, str]] | None:
    """An anything-but operand as ("=", exact) and ("*", wildcard) items, if it is only those."""
    if isinstance(operand, str):
        return [("=", operand)]
    if isinstance(operand, list) and all(isinstance(v, str) for v in operand):
        return [("=", v) for v in operand]
    if isinstance(operand, dict) and set(operand) == {"wildcard"}:
        value = operand["wildcard"]
        return [("*", v) for v in ([value] if isinstance(value, str) else value)]
    # A case-sensitive prefix or suffix is the wildcard X* or *X, where X holds no * or \\.
    affix = operand.get("prefix", operand.get("suffix")) if isinstance(operand, dict) else None
    if len(operand) == 1 and isinstance(affix, str) and not ("*" in affix or "\\" in affix):
        return [("*", f"{affix}*" if "prefix" in operand else f"*{affix}")]
    return None


def _excluded_union(mine: Any, theirs: Any) -> Any:
    """One anything-but operand excluding what either excludes (None: nothing), or a Refusal's
    reason. Exact strings and wildcards share one ``wildcard`` list: a wildcard value without
    ``*`` matches that string alone (comparison operators page, wildcard matching)."""
    if mine is None or theirs is None:
        return theirs if mine is None else mine
    items, more = _excluded_strings(mine), _excluded_strings(theirs)
    if items is None or more is None:
        return None
    items = list(dict.fromkeys(items + more))
    values = [value for _, value in items]
    if all(kind == "=" for kind, _ in items):
        return values[0] if len(values) == 1 else values
    if any(kind == "=" and ("*" in value or "\\" in value) for kind, value in items):
        return None  # an exact * or \ would read as a wildcard (no documented escape)
    return {"wildcard": values[0] if len(values) == 1 else values}


def _both_on_one_field(mine: list[Any], theirs: list[Any]) -> list[Any] | None:
    """Two tests of one field that must both hold, as one list, where both only exclude: absent
    only if both allow it (anything-but never matches a missing field), excluding what either
    excludes; or None."""
    first, second = _exclusion(mine), _exclusion(theirs)
    if first is None or second is None:
        return None
    operand = _excluded_union(first[1], second[1])
    if operand is None and None not in (first[1], second[1]):
        return None
    absent = first[0] and second[0]
    if operand is None:
        return [{"exists": True}]
    return [{"exists": False}, {"anything-but": operand}] if absent else [{"anything-but": operand}]


def _both(parts: list[_Conjunction], construct: str) -> _Conjunction:
    merged = _Conjunction()
    for part in parts:
        for path, matchers in part.fields.items():
            if path not in merged.fields or merged.fields[path] == matchers:
                merged.fields[path] = matchers
                continue
            union = _both_on_one_field(merged.fields[path], matchers)
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


def _eb_conjunction(node: Any, types: Types) -> _Conjunction:
    if isinstance(node, Leaf):
        _check_not_object(node, types)
        matchers = (_eb_negated if node.negated else _eb_positive)(node, types)
        return _Conjunction({tuple(node.field.split(".")): matchers})
    parts = [_eb_conjunction(item, types) for item in node.items]
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


def _excluded_event_types(matchers: list[Any]) -> list[str] | None:
    """The eventTypes a negated test of eventType excludes (as exact or ignore-case strings)."""
    exclusion = _exclusion(matchers)
    if exclusion is None or exclusion[1] is None:
        return None
    operand = exclusion[1]
    if isinstance(operand, dict) and set(operand) == {"equals-ignore-case"}:
        operand = operand["equals-ignore-case"]
    texts = [operand] if isinstance(operand, str) else operand
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return None
    return texts


def _detail_types(conjunction: _Conjunction, construct: str) -> list[Any]:
    """The detail-type test the rule's eventType test makes, taking that test out of ``detail``:
    CloudTrail sends each event type as one detail-type (eb-service-event-cloudtrail.html), so
    the envelope says the same. Without one, the five types CloudTrail sends."""
    path = ("eventType",)
    matchers = conjunction.fields.get(path)
    every = list(DETAIL_TYPES.values())
    if not matchers:
        return every
    fixed = _fixed_values(conjunction, "eventType")
    if fixed:
        texts = [m if isinstance(m, str) else m["equals-ignore-case"] for m in fixed]
        known = [
            DETAIL_TYPES.get(t) if isinstance(m, str) else EVENT_TYPES.get(t.lower())
            for t, m in zip(texts, fixed, strict=True)
        ]
        if None in known:
            raise Refusal(
                construct,
                "an eventType with no documented EventBridge detail-type",
                EVENTBRIDGE,
            )
        del conjunction.fields[path]
        return list(dict.fromkeys(known))
    excluded = _excluded_event_types(matchers)
    if excluded is None:
        return every
    # Every record EventBridge receives has one of the five types, so "absent" cannot happen;
    # an excluded type EventBridge never receives (AwsVpceEvent) excludes nothing there.
    lookup = EVENT_TYPES if isinstance(_exclusion(matchers)[1], dict) else DETAIL_TYPES
    names = [lookup.get(t.lower() if lookup is EVENT_TYPES else t) for t in excluded]
    names = list(dict.fromkeys(n for n in names if n is not None))
    del conjunction.fields[path]
    if not names:
        return every
    return [{"anything-but": names[0] if len(names) == 1 else names}]


def event_pattern(condition: Any, types: Types, construct: str) -> dict[str, Any]:
    """The EventBridge event pattern for a condition in intermediate form, over CloudTrail
    records (under ``detail``)."""
    conjunction = _eb_conjunction(pushed_down(condition), types)
    pattern: dict[str, Any] = {}
    sources = _fixed_values(conjunction, "eventSource")
    if sources and all(_source_of(m) is not None for m in sources):
        pattern["source"] = [_source_of(m) for m in sources]
    detail_types = _detail_types(conjunction, construct)
    only = detail_types[0] if len(detail_types) == 1 else None
    if "source" not in pattern and isinstance(only, str) and only in IMPLIED_SOURCES:
        pattern["source"] = [IMPLIED_SOURCES[only]]
    pattern["detail-type"] = detail_types
    detail = _nested(conjunction, construct)
    if detail:
        pattern["detail"] = detail
    return _within_size(pattern, construct)


def envelope_pattern(condition: Any, types: Types, construct: str) -> dict[str, Any]:
    """The EventBridge event pattern for a rule over the events themselves (logsource
    aws/eventbridge): its fields are the event's, as named."""
    pattern = _nested(_eb_conjunction(pushed_down(condition), types), construct)
    return _within_size(pattern, construct)


def _within_size(pattern: dict[str, Any], construct: str) -> dict[str, Any]:
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
    if not text.isascii():
        raise Refusal(
            construct,
            "a character outside ASCII in a value: the filter syntax documents none in a quoted "
            'string, escaped or not (its regex says "Multi-byte characters are not supported")',
            METRIC_FILTER,
        )
    return json.dumps(test.pattern)


def _cwl_number(value: int | float) -> str:
    return repr(value)


def _cwl_leaf(leaf: Leaf, types: Types) -> str:
    _check_not_object(leaf, types)
    selector, test, construct = _cwl_selector(leaf), leaf.test, leaf.describe()
    present = isinstance(test, Exists) and test.present != leaf.negated
    if isinstance(test, Exists):
        if not present:
            return f"{selector} NOT EXISTS"
        if field_type(leaf.field, types) != STRING:
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
        types,
        METRIC_FILTER,
        "a selector pointing to an array or object never matches",
    )
    _no_literal(leaf, types, METRIC_FILTER, "= on true/false is undocumented")
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


def _cwl_expression(node: Any, types: Types, top: bool = False) -> str:
    if isinstance(node, Leaf):
        return _cwl_leaf(node, types)
    joiner = " && " if isinstance(node, All) else " || "
    parts = [_cwl_expression(item, types) for item in node.items]
    if len(parts) == 1:
        return parts[0]
    text = joiner.join(f"({p})" if " " in p and not p.startswith("(") else p for p in parts)
    return text if top else f"({text})"


def log_filter(condition: Any, types: Types, construct: str) -> str:
    """The CloudWatch Logs JSON filter pattern for a condition in intermediate form."""
    text = "{ " + _cwl_expression(pushed_down(condition), types, top=True) + " }"
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


# ---- placeholders filled by the pipeline ----


@dataclass
class CasedPlaceholders(ValueListPlaceholderTransformation):
    """pySigma's value-list placeholder filling (``|expand`` with ``%name%``, values from the
    pipeline's ``vars``), keeping ``|cased``: pySigma's own rebuilds each value as a plain,
    case-insensitive string."""

    def apply_value(self, field: str | None, val: SigmaType) -> Any:
        filled = super().apply_value(field, val)
        if filled is None or not isinstance(val, SigmaCasedString):
            return filled
        return [SigmaCasedString.from_sigma_string(one) for one in filled]


def placeholder_values(values: Mapping[str, str | list[str]]) -> ProcessingPipeline:
    """A pySigma processing pipeline that fills ``%name%`` placeholders (``|expand``) with these
    values, a list-valued one as a list of values (one alternative each)."""
    return ProcessingPipeline(
        name="placeholder values",
        items=[ProcessingItem(CasedPlaceholders(), identifier="placeholder_values")],
        vars=dict(values),
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
        return rule_label(self.title, self.rule_id)


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
        self.scalar_fields = dict.fromkeys(scalar_fields, SCALAR)

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
        self._refuse(cond, f"|re '{cond.value.regexp}'", REGEX_REFUSAL)

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

    def field_types(self, rule: SigmaRule) -> Types:
        """What each field holds: documented for the logsource, then as the rule declares."""
        attribute = rule.custom_attributes.get(ATTRIBUTE) or {}
        declared = attribute.get(FIELD_TYPES, {}) if isinstance(attribute, dict) else None
        if not isinstance(declared, dict) or not all(
            isinstance(f, str) and t in DECLARABLE for f, t in declared.items()
        ):
            raise Refusal(
                f"{ATTRIBUTE}.{FIELD_TYPES}",
                f"a mapping of field names to {', '.join(DECLARABLE)}",
            )
        documented = CLOUDTRAIL_FIELDS if _logsource(rule) == CLOUDTRAIL else ENVELOPE_FIELDS
        return {**documented, **self.scalar_fields, **declared}

    def _renderers(self, rule: SigmaRule) -> tuple[tuple[str, Any], ...]:
        if _logsource(rule) == CLOUDTRAIL:
            return ((EVENTBRIDGE, event_pattern), (METRIC_FILTER, log_filter))
        return ((EVENTBRIDGE, envelope_pattern), (METRIC_FILTER, _no_log_group))

    def finalize_query_eventbridge(self, rule: SigmaRule, query: Any, index: int, state: Any):
        return self._renderers(rule)[0][1](query, self.field_types(rule), "the rule")

    def finalize_query_metric_filter(self, rule: SigmaRule, query: Any, index: int, state: Any):
        return self._renderers(rule)[1][1](query, self.field_types(rule), "the rule")

    def finalize_query_default(
        self, rule: SigmaRule, query: Any, index: int, state: Any
    ) -> Compiled:
        types = self.field_types(rule)
        name = rule_label(rule.title, rule.id)
        forms: dict[str, Any] = {}
        refusals: dict[str, str] = {}
        reasons: dict[str, str] = {}
        for engine, render in self._renderers(rule):
            try:
                forms[engine] = render(query, types, "the rule")
            except Refusal as refusal:
                refusals[engine] = refusal_line(name, engine, refusal)
                reasons[engine] = refusal.why
        return Compiled(
            str(rule.title),
            str(rule.id) if rule.id else "",
            forms.get(EVENTBRIDGE),
            forms.get(METRIC_FILTER),
            refusals,
            reasons,
        )


def _logsource(rule: SigmaRule) -> tuple[str | None, str | None]:
    return rule.logsource.product, rule.logsource.service


def _no_log_group(condition: Any, types: Types, construct: str) -> str:
    raise Refusal(
        "logsource aws/eventbridge",
        "an event put on an EventBridge bus is in no CloudTrail record, so in no log group",
        METRIC_FILTER,
    )


def rule_label(title: str, rule_id: Any) -> str:
    """How an error names a rule: its title, and its id when it has one (Sigma's id is optional)."""
    return f'Sigma rule "{title}"' + (f" ({rule_id})" if rule_id else "")


def _refused(title: str, rule_id: str, error: Exception) -> Compiled:
    name = rule_label(title, rule_id)
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
    title, rule_id = str(rule.title), str(rule.id) if rule.id else ""
    if rule.errors:
        return _refused(title, rule_id, rule.errors[0])
    logsource = rule.logsource
    if _logsource(rule) not in (CLOUDTRAIL, EVENTBRIDGE_EVENTS):
        return _refused(
            title,
            rule_id,
            Refusal(
                f"logsource {logsource.product}/{logsource.service}",
                "only aws/cloudtrail records (and aws/eventbridge events) reach these engines",
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
