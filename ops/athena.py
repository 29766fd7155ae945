"""`make replay ARGS="--athena --database D --table T"`: the same replay as SQL on Amazon Athena,
for a trail bucket too large to download.

The table is the one the Athena guide creates for CloudTrail logs with partition projection
(https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
one row per record; lowercase columns; ``useridentity`` and ``tlsdetails`` structs;
``requestparameters``, ``responseelements`` and ``additionaleventdata`` JSON text; ``readonly``
the string "true" or "false"; the delivery date as the ``timestamp`` partition (yyyy/MM/dd).

One query, generated from the synthesized rules as `make replay` reads them (ops.replay.Matcher:
the enabled rules per region, their unsuppressed variants, each suppression's own pattern, the
forwarding of central delivery): each record placed where EventBridge receives it
(models.cloudtrail_records.GLOBAL_DELIVERIES), wrapped as EventBridge wraps it, each pattern written
as a condition on those columns with the semantics of models.event_patterns. It reads the table
once (Athena bills the bytes a query scans) and returns counts as rows (detection, measure, key,
count), read back into the report local replay prints.
tests/test_athena.py runs it on DuckDB over the corpus and finds local replay's counts, and
parses it as Trino SQL (Athena engine version 3).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from config import MonitorConfig
from models.cloudtrail_records import (
    DEFAULT_ACCOUNT,
    DETAIL_TYPES,
    GLOBAL_DELIVERIES,
    GLOBAL_REGION,
)
from models.cloudtrail_table import ACCOUNT as ACCOUNT_KEY
from models.cloudtrail_table import FIRST_DAY
from models.cloudtrail_table import TIMESTAMP as DAY_KEY
from models.limits import PARTITIONS_PER_SCAN, QUERY_STRING
from ops.context import OpsError

# The record's top-level fields the table has, and the column of each (the guide's DDL).
COLUMNS = {
    name.lower(): name.lower()
    for name in [
        "eventVersion",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "requestId",
        "eventId",
        "readOnly",
        "eventType",
        "apiVersion",
        "recipientAccountId",
        "sharedEventID",
        "vpcEndpointId",
        "eventCategory",
    ]
}
STRUCTS = {"useridentity": "useridentity", "tlsdetails": "tlsdetails"}
JSON_TEXT = {
    "requestparameters": "requestparameters",
    "responseelements": "responseelements",
    "additionaleventdata": "additionaleventdata",
    "serviceeventdetails": "serviceeventdetails",
}
# Envelope fields (models.cloudtrail_records.envelope) as columns of the query's own rows.
ENVELOPE = {"source": "source", "detail-type": "detail_type", "account": "account"}


class InexpressibleError(OpsError):
    """A pattern the table cannot answer."""


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` literally (escape character \\)."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _wildcard_like(text: str) -> str:
    """EventBridge's wildcard (``*``; ``\\*`` and ``\\\\`` the characters) as a LIKE pattern."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(_like(text[i + 1]))
            i += 2
        elif text[i] == "*":
            out.append("%")
            i += 1
        else:
            out.append(_like(text[i]))
            i += 1
    return "".join(out)


class _Field:
    """A pattern's field as SQL: ``scalar`` (a column or a struct's field) or ``json`` (a path
    in a JSON text column, whose value may be an array, each element counting)."""

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path
        self.json: tuple[str, str] | None = None
        if path[0] != "detail":
            if len(path) != 1 or path[0] not in ENVELOPE:
                raise InexpressibleError(f"the field {'.'.join(path)} is not in the table")
            self.expression = ENVELOPE[path[0]]
            return
        head, rest = path[1].lower(), path[2:]
        if head in COLUMNS and not rest:
            self.expression = COLUMNS[head]
        elif head in STRUCTS and rest:
            self.expression = ".".join((STRUCTS[head], *(key.lower() for key in rest)))
        elif head in JSON_TEXT and rest:
            if not all(re.fullmatch(r"[A-Za-z0-9_]+", key) for key in rest):
                raise InexpressibleError(f"{'.'.join(path)}: a key JSON paths cannot name")
            if len(rest) > 1:
                # EventBridge reads the values of an array of objects as the field's values
                # (Event Ruler, "JSON Array Matching"); a JSON path of the table reads objects
                # only, so a nested field could be inside such an array and read as nothing.
                raise InexpressibleError(
                    f"{'.'.join(path[1:])}: a field inside nested objects, which CloudTrail may "
                    "hold in arrays of objects: the table's JSON paths read no array"
                )
            self.json = (JSON_TEXT[head], "$." + ".".join(rest))
            self.expression = f"json_extract_scalar({self.json[0]}, {literal(self.json[1])})"
        else:
            raise InexpressibleError(f"the field {'.'.join(path[1:])} is not in the table")

    def present(self) -> str:
        if self.json:
            return f"json_extract({self.json[0]}, {literal(self.json[1])}) IS NOT NULL"
        return f"{self.expression} IS NOT NULL"

    def any_value(self, condition: str) -> str:
        """``condition`` (on the placeholder VALUE) holds for the value, or for an element of it."""
        scalar = condition.replace("VALUE", self.expression)
        if not self.json:
            return f"({scalar})"
        column, path = self.json
        array = f"TRY_CAST(json_extract({column}, {literal(path)}) AS ARRAY(VARCHAR))"
        elements = (
            f"EXISTS (SELECT 1 FROM UNNEST({array}) AS element(value) "
            f"WHERE {condition.replace('VALUE', 'value')})"
        )
        # json_extract_scalar is NULL for an array in Trino ("must be a scalar"); said again
        # here, so that engines reading an array as its text (DuckDB, in the tests) agree.
        return f"(({array} IS NULL AND {scalar}) OR {elements})"


def pattern_sql(pattern: Mapping[str, Any], path: tuple[str, ...] = ()) -> str:
    """The pattern as a boolean SQL expression over the query's rows."""
    parts = []
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            parts.append("(" + " OR ".join(pattern_sql(b, path) for b in value) + ")")
        elif isinstance(value, Mapping):
            if value:
                parts.append(pattern_sql(value, (*path, key)))
        else:
            parts.append(_field_sql(_Field((*path, key)), value))
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _field_sql(field: _Field, allowed: list) -> str:
    alternatives = []
    for item in allowed:
        if item is None:
            # [null] matches a null value, {"exists": false} a missing field (EventBridge,
            # eb-event-patterns-null-values.html; models.event_patterns), and the table reads
            # both as NULL: a column or a struct's field exactly only with both, as Sigma's
            # `field: null` compiles; a JSON text path tells them apart, an array too, unwritten.
            where = ".".join(field.path)
            if field.json:
                raise InexpressibleError(f"{where}: null in a JSON text column in SQL")
            if {"exists": False} not in allowed:
                raise InexpressibleError(
                    f"{where}: null without exists false: the table reads a missing field as "
                    "null too"
                )
            continue  # said by exists false: IS NULL
        if isinstance(item, str):
            alternatives.append(field.any_value(f"VALUE = {literal(item)}"))
        elif isinstance(item, Mapping) and len(item) == 1:
            ((operator, operand),) = item.items()
            alternatives.append(_operator_sql(field, operator, operand))
        else:
            raise InexpressibleError(f"{'.'.join(field.path)}: {json.dumps(item)} in SQL")
    return "(" + " OR ".join(alternatives) + ")"


def _operator_sql(field: _Field, operator: str, operand: Any) -> str:
    where = ".".join(field.path)
    if operator == "exists":
        return field.present() if operand else f"NOT ({field.present()})"
    if operator in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
        return field.any_value(_text_test(operator, operand, where))
    if operator == "anything-but":
        if isinstance(operand, Mapping) and len(operand) == 1:
            ((inner, values),) = operand.items()
            values = values if isinstance(values, list) else [values]
            tests = [_text_test(inner, v, where) for v in values]
        else:
            values = operand if isinstance(operand, list) else [operand]
            if not all(isinstance(v, str) for v in values):
                raise InexpressibleError(f"{where}: anything-but of numbers in SQL")
            tests = [f"VALUE = {literal(v)}" for v in values]
        return field.any_value("VALUE IS NOT NULL AND NOT (" + " OR ".join(tests) + ")")
    raise InexpressibleError(f"{where}: {operator} in SQL")


def _text_test(operator: str, operand: Any, where: str) -> str:
    ignore_case = isinstance(operand, Mapping) and set(operand) == {"equals-ignore-case"}
    text = operand["equals-ignore-case"] if ignore_case else operand
    if not isinstance(text, str):
        raise InexpressibleError(f"{where}: {operator} {json.dumps(operand)} in SQL")
    if operator == "equals-ignore-case":
        return f"lower(VALUE) = {literal(text.lower())}"
    like = {
        "prefix": _like(text) + "%",
        "suffix": "%" + _like(text),
        "wildcard": _wildcard_like(text),
    }[operator]
    subject = "lower(VALUE)" if ignore_case else "VALUE"
    like = like.lower() if ignore_case else like
    return f"{subject} LIKE {literal(like)} ESCAPE '\\'"


# Trino builds an ARRAY[...] of at most 254 elements ("Too many arguments for array
# constructor", trinodb/trino, io/trino/operator/scalar/ArrayConstructor.java) and calls a
# function with at most 127 arguments (sql/analyzer/ExpressionAnalyzer.java).
ARRAY_ELEMENTS = 254


def array(elements: Iterable[str]) -> str:
    """An array of these SQL expressions, one per line: concat() of arrays Trino can build."""
    items = list(elements)
    chunks = [
        "ARRAY[\n    " + ",\n    ".join(items[i : i + ARRAY_ELEMENTS]) + "\n  ]"
        for i in range(0, len(items), ARRAY_ELEMENTS)
    ]
    if len(chunks) > 127:
        raise InexpressibleError(f"{len(items):,} array elements in one query")
    return chunks[0] if len(chunks) == 1 else "concat(" + ", ".join(chunks) + ")"


def delivery_region_sql() -> str:
    """models.cloudtrail_records.delivery_region over the table's columns."""
    cases = []
    for source, condition in GLOBAL_DELIVERIES:
        test = f"eventsource = {literal(source)}"
        if condition is not None:
            (parent, field), value = condition
            test += f" AND {parent.lower()}.{field.lower()} = {literal(value)}"
        cases.append(f"WHEN {test} THEN {literal(GLOBAL_REGION)}")
    return f"CASE {' '.join(cases)} ELSE awsregion END"


def detail_type_sql() -> str:
    """models.cloudtrail_records.detail_type over the table's columns."""
    event_type = (
        "coalesce(eventtype, CASE WHEN eventname = 'ConsoleLogin' "
        "THEN 'AwsConsoleSignIn' ELSE 'AwsApiCall' END)"
    )
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in DETAIL_TYPES.items())
    return f"CASE {event_type} {cases} ELSE {event_type} || ' via CloudTrail' END"


def principal_sql() -> str:
    """ops.replay._principal over the table's columns."""
    return (
        "coalesce(nullif(useridentity.sessioncontext.sessionissuer.arn, ''), "
        "nullif(useridentity.arn, ''), nullif(useridentity.invokedby, ''), "
        "trim(coalesce(useridentity.type, '?') || ' ' || coalesce(useridentity.accountid, '')))"
    )


# The report's measures of the alerts: who, what, from where, in which account.
REPORTED = (
    ("who", "principal"),
    ("what", "event_name"),
    ("from", "source_ip"),
    ("where", "account"),
)


@dataclass(frozen=True)
class Query:
    sql: str
    left_out: Mapping[str, str]  # detection -> why the table cannot answer its rules
    read_only_judged: bool  # some rule receives read-only calls
    detections: tuple[str, ...] = ()  # the detections asked about (left out ones too)


def query(
    matcher: Any,
    settings: MonitorConfig,
    table: str,
    start: date | None = None,
    end: date | None = None,
    accounts: Sequence[str] = (),
    detections: Collection[str] | None = None,
) -> Query:
    """The one query: rows (detection, measure, key, n) for ops.replay's report; detections
    whose rules the table cannot answer exactly are left out, and say why. ``accounts``: the
    values of an organization trail table's injected ``accountid`` partition key
    (models.cloudtrail_table), which such a table needs; none for the guide's table or the home
    stack's, whose region partitions are all read unfiltered. ``detections``: these only (all
    by default), for a query that would be too long with all of them."""
    regions = sorted(matcher.deployed)
    chosen = None if detections is None else set(detections)
    asked = tuple(d.id for d in settings.detections if chosen is None or d.id in chosen)

    def grouped(
        index_by_region: Mapping[str, Any], read_only_by_region: Mapping[str, Any]
    ) -> dict[str, list[tuple[set[str], str, bool]]]:
        """name -> [(regions where the rule is, its pattern, whether it receives read-only
        calls)], one entry per distinct pattern and state."""
        found: dict[str, list[tuple[set[str], str, bool]]] = {}
        for region, index in index_by_region.items():
            receiving = set(read_only_by_region[region].names)
            for name, text in zip(index.names, index.texts, strict=True):
                entries = found.setdefault(name, [])
                key = (text, name in receiving)
                for where, same, ro in entries:
                    if (same, ro) == key:
                        where.add(region)
                        break
                else:
                    entries.append(({region}, *key))
        return found

    def in_regions(where: set[str], judged_at_home: bool) -> str:
        # A rule in every region with a stack: the record's ``placed``, written once.
        test = (
            "placed"
            if where == set(regions)
            else "delivery_region IN (" + ", ".join(literal(r) for r in sorted(where)) + ")"
        )
        if judged_at_home and matcher.home in where:
            test = f"({test} OR forwarded)"
        return test

    def received(read_only: bool) -> str:
        # Read-only calls reach only rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
        return "" if read_only else " AND NOT read_only"

    general, reading = matcher.indexes
    central = matcher.central
    forwarding = [
        f"(delivery_region = {literal(region)} AND {pattern_sql(json.loads(text))}"
        f"{received(text in reading[1][region].texts)})"
        for region, index in matcher.forwarding.items()
        if region != matcher.home
        for text in index.texts
    ]
    forwarded = " OR ".join(forwarding) if central and forwarding else "FALSE"

    def detection_columns(kind: str, which: int) -> dict[str, str]:
        columns: dict[str, list[str]] = {}
        for name, entries in grouped(general[which], reading[which]).items():
            detection = _detection_id(name)
            if detection not in asked:
                continue
            for where, text, read_only in entries:
                try:
                    sql = pattern_sql(json.loads(text))
                except InexpressibleError as error:
                    left_out.setdefault(detection, str(error))
                    continue
                condition = f"({in_regions(where, central)} AND {sql}{received(read_only)})"
                columns.setdefault(detection, []).append(condition)
        return {
            f"{kind}_{detection}": " OR ".join(conditions)
            for detection, conditions in columns.items()
        }

    left_out: dict[str, str] = {}  # detection -> why the table cannot answer its rules
    alerts = detection_columns("alert", 0)
    plain = detection_columns("plain", 2)
    for detection in left_out:
        alerts.pop(f"alert_{detection}", None)
        plain.pop(f"plain_{detection}", None)
    # Every record is judged, those delivered to a region without a stack too: each condition
    # names the regions it holds in (in_regions, or forwarding's delivery_region =), so it
    # holds for none of those (NULL or FALSE, counted alike: never).
    suppressions = {  # those some asked detection has
        f"suppression_{i}": pattern_sql(json.loads(text))
        for i, (suppression, text) in enumerate(matcher.suppression_texts)
        if any(suppression.applies_to(d) and f"plain_{d}" in plain for d in asked)
    }
    judged_columns = ",\n    ".join(
        f"({condition}) AS {name}"
        for name, condition in {**alerts, **plain, **suppressions}.items()
    )
    filters = []
    if accounts:
        # "The value(s) must be literals" (Athena guide, dynamic ID partitioning).
        values = ", ".join(literal(account) for account in accounts)
        filters.append(f"{ACCOUNT_KEY} IN ({values})")
    if start or end:
        # Partitions are delivery days: a record's day or the next (log files are delivered
        # within about 5 minutes of the call: CloudTrail's "How CloudTrail works").
        first = (start or date(1970, 1, 1)).strftime("%Y/%m/%d")
        last = ((end or date(9999, 12, 30)) + timedelta(days=1)).strftime("%Y/%m/%d")
        filters.append(f'"{DAY_KEY}" BETWEEN {literal(first)} AND {literal(last)}')
        if start:
            filters.append(f"eventtime >= {literal(start.isoformat())}")
        if end:
            filters.append(f"eventtime < {literal((end + timedelta(days=1)).isoformat())}")
    scan_filter = "WHERE " + " AND ".join(filters) if filters else ""
    # The rows the query returns: (detection, measure, key) and a condition on a judged record,
    # counted where it holds; the first three of every detection's and the totals' even at 0.
    counted: list[tuple[str, str, str, str]] = [
        ("TRUE", "", "records", "''"),
        ("read_only", "", "read_only", "''"),
        ("NOT read_only AND NOT placed", "", "unplaced", "''"),
    ]
    for detection in (d for d in asked if d not in left_out):
        alert = f"alert_{detection}" if f"alert_{detection}" in alerts else "FALSE"
        silenced = (
            f"(plain_{detection} AND NOT {alert})" if f"plain_{detection}" in plain else "FALSE"
        )
        counted.append((alert, detection, "alerts", "''"))
        counted.append((silenced, detection, "suppressed", "''"))
        for i, (suppression, _) in enumerate(matcher.suppression_texts):
            if suppression.applies_to(detection) and silenced != "FALSE":
                measure = "suppression:" + suppression.name
                counted.append((f"{silenced} AND suppression_{i}", detection, measure, "''"))
        if alert != "FALSE":
            for measure, column in REPORTED:
                counted.append((alert, detection, measure, column))
    zero = [entry for entry in counted if entry[3] == "''"]

    def entry(detection: str, measure: str, key: str) -> str:
        return f"ARRAY[{literal(detection)}, {literal(measure)}, {key}]"

    found = array(
        entry(*rest) if condition == "TRUE" else f"IF({condition}, {entry(*rest)})"
        for condition, *rest in counted
        if condition != "FALSE"
    )
    zeros = array(entry(*rest) for _, *rest in zero)
    # One scan of the table: Trino, Athena engine 3's engine, inlines a WITH relation at each
    # use ("the SQL for the WITH clause will be inlined anywhere the named relation is used",
    # trino.io/docs/current/sql/select.html; trinodb/trino#18421), so each relation below is
    # read once, by the next, and every row the report needs comes from one pass over the
    # records: each record unnested into the (detection, measure, key) entries it counts for,
    # summed by one GROUP BY, with a 0 for the counts every report prints.
    sql = f"""WITH records AS (
  SELECT *,
    coalesce(readonly = 'true', FALSE) AS read_only,
    {delivery_region_sql()} AS delivery_region,
    'aws.' || regexp_replace(eventsource, '\\.amazonaws\\.com$', '') AS source,
    {detail_type_sql()} AS detail_type,
    coalesce(recipientaccountid, {literal(DEFAULT_ACCOUNT)}) AS account,
    {principal_sql()} AS principal,
    coalesce(eventname, {detail_type_sql()}) AS event_name,
    coalesce(nullif(sourceipaddress, ''), '-') AS source_ip
  FROM {table}
  {scan_filter}
),
routed AS (
  SELECT *,
    coalesce(delivery_region IN ({", ".join(literal(r) for r in regions)}), FALSE) AS placed,
    ({forwarded}) AS forwarded
  FROM records
),
judged AS (
  SELECT *,
    {judged_columns}
  FROM routed
)
SELECT entry[1] AS detection, entry[2] AS measure, entry[3] AS key, sum(n) AS n
FROM (
  SELECT entry, 1 AS n
  FROM judged
  CROSS JOIN UNNEST(filter({found}, e -> e IS NOT NULL)) AS found(entry)
  UNION ALL
  SELECT entry, 0 FROM UNNEST({zeros}) AS zero(entry)
) AS counted
GROUP BY entry[1], entry[2], entry[3]"""
    return Query(sql, left_out, matcher.receives_read_only, asked)


# Without --from, the last 30 days: a replay reads every partition in its range, and most of
# the projected ones are empty (a region enum of the partition's regions, every day since the
# table's first: "If more than half of your projected partitions are empty, it is recommended
# that you use traditional partitions", partition-projection.html), so a replay of all history
# is asked for (--from), not the default.
DEFAULT_DAYS = 30


def partition_days(start: date, end: date | None, today: date) -> tuple[date, date]:
    """The first and last delivery day partitions the query reads of a table the stacks
    created: its range's, a day of slack after --to, within the projection (FIRST_DAY to NOW)."""
    last = min(end + timedelta(days=1), today) if end else today
    return max(start, FIRST_DAY), last


def partitions(per_day: int, start: date, end: date | None, today: date) -> int:
    """The partitions a query of a table the stacks created reads: ``per_day`` (accounts x
    regions) for each delivery day of partition_days."""
    first, last = partition_days(start, end, today)
    return per_day * max((last - first).days + 1, 0)


def default_start(end: date | None, today: date, per_day: int | None = None) -> date:
    """Without --from: the first of the last DEFAULT_DAYS days up to --to (or today), fewer
    where a table the stacks created (``per_day`` partitions a day) would have more partitions
    than one scan reads; one day at least, which check_partitions refuses if it is too many."""
    last = end or today
    for days in range(DEFAULT_DAYS, 1, -1):
        start = last - timedelta(days=days - 1)
        if per_day is None or partitions(per_day, start, end, today) <= PARTITIONS_PER_SCAN.value:
            return start
    return last


def check_partitions(accounts: int, regions: int, start: date, end: date | None, today: date):
    """Refuse, in one line saying how to split it, a scan of more partitions than Athena reads
    in one (models.limits.PARTITIONS_PER_SCAN): accounts x regions x delivery days."""
    found = partitions(accounts * regions, start, end, today)
    if found <= PARTITIONS_PER_SCAN.value:
        return
    first, last = partition_days(start, end, today)
    days = (last - first).days + 1
    ways = []
    fit_days = PARTITIONS_PER_SCAN.value // (accounts * regions)
    if fit_days > 1:  # --to's day of slack included
        ways.append(f"--from {last - timedelta(days=fit_days - 1)} ({fit_days:,} days)")
    fit_accounts = PARTITIONS_PER_SCAN.value // (regions * days)
    if accounts > 1 and fit_accounts:
        ways.append(f"--accounts in batches of at most {fit_accounts:,}")
    where = f"--athena: {accounts:,} accounts x {regions} regions x {days:,} days"
    raise OpsError(
        PARTITIONS_PER_SCAN.exceeded(found, where) + ": read " + (" or ".join(ways) or "less")
    )


def _size(built: Query) -> int:
    return len(built.sql.encode("utf-8"))


def _most_that_fit(costs: Iterable[int], room: int) -> int:
    """How many of these fit in ``room`` whichever are chosen: the largest first."""
    count, used = 0, 0
    for cost in sorted(costs, reverse=True):
        if used + cost > room:
            break
        count, used = count + 1, used + cost
    return count


def check_size(
    built: Query, accounts: Sequence[str], build: Callable[[Collection[str]], Query]
) -> None:
    """Refuse, in one line saying how to split it, a query longer than Athena takes
    (models.limits.QUERY_STRING, bytes of UTF-8): batches of --accounts (each reads its own
    accounts' partitions: nothing read twice), or else fewer --detections per query (each query
    reads the logs again), or both. ``build``: the same query asking about these detections;
    the advice holds whichever accounts or detections are chosen (the largest counted)."""
    limit = QUERY_STRING.value
    size = _size(built)
    if size <= limit:
        return
    bare = _size(build(()))  # every account, no detection
    judged = [d for d in built.detections if d not in built.left_out]
    # What each detection adds alone: with the suppression columns it shares, so at least its
    # share of the whole.
    costs = [_size(build((d,))) - bare for d in judged]
    per_account = max((len(literal(a).encode("utf-8")) + 2 for a in accounts), default=0)
    fixed = bare - per_account * len(accounts)  # neither accounts nor detections

    def batch(room: int) -> str:
        return f"--accounts in batches of at most {room // per_account:,}"

    def fewer(room: int) -> str:
        most = _most_that_fit(costs, room)
        return f"--detections naming at most {most} of the {len(judged)} per query"

    again = " (each query reads the logs again)"
    room = limit - fixed - (size - bare)  # for the accounts, with every detection
    half = (limit - fixed) // 2
    if accounts and room // per_account > 0:
        way = "split it: " + batch(room)
    elif _most_that_fit(costs, limit - bare):
        way = "split it: " + fewer(limit - bare) + again
    elif accounts and half // per_account > 0 and _most_that_fit(costs, half):
        way = "split it: " + batch(half) + " and " + fewer(half) + again
    else:
        way = f"without any detection it is {bare:,} bytes"
    raise OpsError(QUERY_STRING.exceeded(size, "--athena") + ": " + way)


def _detection_id(rule_id: str) -> str:
    from constructs_lib.detections.outcomes import detection_id_of

    return detection_id_of(rule_id)


def replay_of(rows: Iterable[Sequence[Any]], settings: MonitorConfig, query: Query) -> Any:
    """The query's rows as ops.replay.Replay, for its report."""
    from ops.replay import DetectionCounts, Replay

    found = Replay(read_only_judged=query.read_only_judged, not_judged=dict(query.left_out))
    for detection in query.detections or [d.id for d in settings.detections]:
        found.detections[detection] = DetectionCounts()
    for suppression in settings.suppressions:
        found.suppressions[suppression.name] = Counter()
    counters = {
        "who": "principals",
        "what": "event_names",
        "from": "source_ips",
        "where": "accounts",
    }
    for detection, measure, key, n in rows:
        n = int(n)
        if not detection:
            setattr(
                found, {"records": "records", "read_only": "read_only"}.get(measure, measure), n
            )
        elif measure == "alerts":
            found.detections[detection].alerts = n
        elif measure == "suppressed":
            found.detections[detection].suppressed = n
        elif measure in counters:
            getattr(found.detections[detection], counters[measure])[key] = n
        elif measure.startswith("suppression:") and n:
            found.suppressions[measure.removeprefix("suppression:")][detection] = n
    return found


def run_query(client: Any, sql: str, database: str, workgroup: str | None, output: str | None):
    """StartQueryExecution, GetQueryExecution until it ends, GetQueryResults page by page
    (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html)."""
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
    }
    if workgroup:
        request["WorkGroup"] = workgroup
    if output:
        request["ResultConfiguration"] = {"OutputLocation": output}
    execution = client.start_query_execution(**request)["QueryExecutionId"]
    delay = 0.5
    while True:
        status = client.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
        state = status["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status["Status"].get("StateChangeReason", state)
            raise OpsError(f"Athena query {execution} {state.lower()}: {reason}")
        time.sleep(delay)
        delay = min(delay * 2, 5)
    rows, token, first = [], None, True
    while True:
        page = client.get_query_results(
            QueryExecutionId=execution, **({"NextToken": token} if token else {})
        )
        for row in page["ResultSet"]["Rows"][1 if first else 0 :]:  # the first is the header
            rows.append(tuple(cell.get("VarCharValue", "") for cell in row["Data"]))
        first = False
        token = page.get("NextToken")
        if not token:
            return rows
