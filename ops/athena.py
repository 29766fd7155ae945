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
as a condition on those columns with the semantics of models.event_patterns. It returns counts as
rows (detection, measure, key, count), read back into the report local replay prints.
tests/test_athena.py runs it on DuckDB over the corpus and finds local replay's counts, and
parses it as Trino SQL (Athena engine version 3).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
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
from models.cloudtrail_table import TIMESTAMP as DAY_KEY
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


@dataclass(frozen=True)
class Query:
    sql: str
    left_out: Mapping[str, str]  # detection -> why the table cannot answer its rules
    read_only_judged: bool  # some rule receives read-only calls


def query(
    matcher: Any,
    settings: MonitorConfig,
    table: str,
    start: date | None = None,
    end: date | None = None,
    accounts: Sequence[str] = (),
) -> Query:
    """The one query: rows (detection, measure, key, n) for ops.replay's report; detections
    whose rules the table cannot answer exactly are left out, and say why. ``accounts``: the
    values of an organization trail table's injected ``accountid`` partition key
    (models.cloudtrail_table), which such a table needs; none for the guide's table or the home
    stack's, whose region partitions are all read unfiltered."""
    regions = sorted(matcher.deployed)
    placed = "delivery_region IN (" + ", ".join(literal(r) for r in regions) + ")"

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
        test = "delivery_region IN (" + ", ".join(literal(r) for r in sorted(where)) + ")"
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
    suppressions = {
        f"suppression_{i}": pattern_sql(json.loads(text))
        for i, (_, text) in enumerate(matcher.suppression_texts)
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
    selects = [
        "SELECT '' AS detection, 'records' AS measure, '' AS key, count(*) AS n FROM records",
        "SELECT '', 'read_only', '', count_if(read_only) FROM records",
        f"SELECT '', 'unplaced', '', count_if(NOT read_only AND NOT coalesce({placed}, FALSE)) "
        "FROM records",
    ]
    for detection in (d.id for d in settings.detections if d.id not in left_out):
        alert = f"alert_{detection}" if f"alert_{detection}" in alerts else "FALSE"
        silenced = (
            f"(plain_{detection} AND NOT {alert})" if f"plain_{detection}" in plain else "FALSE"
        )
        selects.append(f"SELECT {literal(detection)}, 'alerts', '', count_if({alert}) FROM judged")
        selects.append(
            f"SELECT {literal(detection)}, 'suppressed', '', count_if({silenced}) FROM judged"
        )
        for measure, column in (
            ("who", "principal"),
            ("what", "event_name"),
            ("from", "source_ip"),
            ("where", "account"),
        ):
            selects.append(
                f"SELECT {literal(detection)}, {literal(measure)}, {column}, count(*) "
                f"FROM judged WHERE {alert} GROUP BY {column}"
            )
        for i, (suppression, _) in enumerate(matcher.suppression_texts):
            if suppression.applies_to(detection) and silenced != "FALSE":
                selects.append(
                    f"SELECT {literal(detection)}, {literal('suppression:' + suppression.name)}, "
                    f"'', count_if({silenced} AND suppression_{i}) FROM judged"
                )
    sql = f"""WITH records AS (
  SELECT *,
    coalesce(readonly = 'true', FALSE) AS read_only,
    {delivery_region_sql()} AS delivery_region,
    'aws.' || regexp_replace(eventsource, '\\.amazonaws\\.com$', '') AS source,
    {detail_type_sql()} AS detail_type,
    coalesce(recipientaccountid, {literal(DEFAULT_ACCOUNT)}) AS account,
    {principal_sql()} AS principal,
    coalesce(eventname, {detail_type_sql()}) AS event_name,
    coalesce(sourceipaddress, '-') AS source_ip
  FROM {table}
  {scan_filter}
),
placed AS (
  SELECT *, ({forwarded}) AS forwarded FROM records WHERE {placed}
),
judged AS (
  SELECT *,
    {judged_columns}
  FROM placed
)
""" + "\nUNION ALL\n".join(selects)
    return Query(sql, left_out, matcher.receives_read_only)


def _detection_id(rule_id: str) -> str:
    from constructs_lib.detections.outcomes import detection_id_of

    return detection_id_of(rule_id)


def replay_of(rows: Iterable[Sequence[Any]], settings: MonitorConfig, query: Query) -> Any:
    """The query's rows as ops.replay.Replay, for its report."""
    from ops.replay import DetectionCounts, Replay

    found = Replay(read_only_judged=query.read_only_judged, not_judged=dict(query.left_out))
    for detection in settings.detections:
        found.detections[detection.id] = DetectionCounts()
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
