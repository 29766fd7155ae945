"""`make replay ARGS=--athena`: the replay as one Athena query over the table the Athena guide
creates for CloudTrail logs. Run on DuckDB over the corpus loaded into a table of that shape, it
finds exactly what local replay finds; it parses as Trino SQL (Athena engine version 3); without
credentials it prints the query, with them it runs it through Athena's API (botocore Stubber)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
import sqlglot
from botocore.stub import ANY, Stubber

from config import parse_config
from models import cloudtrail_table as shape
from models.cloudtrail_records import DEFAULT_ACCOUNT
from ops import athena, replay
from tests import check_cache
from tests.conftest import CORPUS_REGIONS_CONTEXT
from tests.synthesized import load_stacks
from tests.test_organization import ORG_CONTEXT
from tests.test_replay import SUPPRESSION, _all_records, _as_dicts

# The suppression docs/tuning.md walks through.
TUNING_PAGE_SUPPRESSION = {
    "detections": [
        "iam_policy_changes",
        "network_acl_changes",
        "route_table_changes",
        "vpc_changes",
    ],
    "principals": ["arn:aws:iam::123456789012:role/tester"],
    "sourceIps": ["111.111.111.111"],
    "reason": "CI pipeline role, from the build network",
    "expires": SUPPRESSION["expires"],
}
# Organization mode with the trail's Athena table: the home stack's over the security account's
# own trail, the management stack's over the organization trail.
ORGANIZATION_ATHENA_CONTEXT = {**ORG_CONTEXT, "athenaTable": True}
CONTEXTS = {
    "per-region": {
        **CORPUS_REGIONS_CONTEXT,
        "suppressions": [SUPPRESSION, TUNING_PAGE_SUPPRESSION],
    },
    "central": {**CORPUS_REGIONS_CONTEXT, "delivery": "central", "suppressions": [SUPPRESSION]},
}

# The table's columns, as the Athena guide's CREATE TABLE for CloudTrail logs with partition
# projection declares them (structs as STRUCT, the JSON documents as text), in DuckDB's types.
STRUCTS = {
    "useridentity": (
        "STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, "
        "invokedby VARCHAR, accesskeyid VARCHAR, username VARCHAR, "
        "onbehalfof STRUCT(userid VARCHAR, identitystorearn VARCHAR), "
        "sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR), "
        "sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, "
        "username VARCHAR), ec2roledelivery VARCHAR, "
        "webidfederationdata STRUCT(federatedprovider VARCHAR, attributes MAP(VARCHAR, VARCHAR))))"
    ),
    "resources": "STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[]",
    "tlsdetails": "STRUCT(tlsversion VARCHAR, ciphersuite VARCHAR, clientprovidedhostheader VARCHAR)",
}
STRINGS = [
    "eventversion",
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "requestid",
    "eventid",
    "readonly",
    "eventtype",
    "apiversion",
    "recipientaccountid",
    "serviceeventdetails",
    "sharedeventid",
    "vpcendpointid",
    "eventcategory",
    "timestamp",
]


def _lowercase(value: Any, declared: str) -> Any:
    """A JSON value as the table's JSON SerDe reads it into a declared type: keys lowercased
    into structs, anything but a string into a string column as its JSON text."""
    if declared == "VARCHAR":
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value) if not isinstance(value, bool) else str(value).lower()
    if isinstance(value, dict):
        return {k.lower(): v for k, v in value.items()}
    return value


def _row(record: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {column: None for column in (*STRINGS, *STRUCTS)}
    for key, value in record.items():
        column = key.lower()
        if column in STRUCTS:
            row[column] = _nested_lower(value)
        elif column in row:
            row[column] = _lowercase(value, "VARCHAR")
    row["timestamp"] = (record.get("eventTime") or "1970-01-01")[:10].replace("-", "/")
    return row


def _nested_lower(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): _nested_lower(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nested_lower(v) for v in value]
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _lowercased(record: dict[str, Any]) -> bool:
    """A record whose identity's keys someone lowercased (panther's samples, exported from
    Athena): the table's SerDe reads keys without regard to case, EventBridge with, so the two
    differ on them; CloudTrail writes camelCase (the CloudTrail userIdentity element page)."""
    identity = record.get("userIdentity") or {}
    return "sessioncontext" in identity or "accountid" in identity


@pytest.fixture(scope="module")
def cloudtrail_table(corpus, tmp_path_factory):
    """The corpus and every fixture, as rows of the Athena table, in DuckDB."""
    records = [r["detail"] if "detail-type" in r else r for r in _all_records(corpus)]
    records = [r for r in records if "eventSource" in r and not _lowercased(r)]
    connection = duckdb.connect()
    _load(connection, "cloudtrail", records, tmp_path_factory.mktemp("athena"))
    return connection, records


# The rows files loaded into each DuckDB connection, by id(connection): what its queries read.
LOADED: dict[int, list[Path]] = {}


def _rows(connection, sql: str, label: str) -> list[tuple]:
    """The query's rows in DuckDB, remembered in the test cache by the query's text and the rows
    of every table loaded into the connection (tests/check_cache.py): the same inputs give the
    same rows, and a warm run skips sqlglot's parse and DuckDB's planning, seconds a query."""
    # One check name a query (``label``): each keeps its last few entries (check_cache.KEEP).
    check = check_cache.Check.of(
        f"athena-rows-{label}", sql, Path(__file__), *LOADED.get(id(connection), ())
    )
    rows = check.run(lambda: connection.execute(_duckdb(sql)).fetchall())
    check.remember(rows)
    return rows


def _remembered(label: str, sql: str, compute):
    """compute(), a function of the query's text alone (what sqlglot parses of it), remembered in
    the test cache by that text and this file's code."""
    check = check_cache.Check.of(f"athena-sql-{label}", sql, Path(__file__))
    value = check.run(compute)
    check.remember(value)
    return value


def _load(connection, table: str, records: list[dict[str, Any]], folder) -> None:
    """Records as rows of the guide's table, named ``table``."""
    (folder / "rows.jsonl").write_text("\n".join(json.dumps(_row(r)) for r in records) + "\n")
    LOADED.setdefault(id(connection), []).append(folder / "rows.jsonl")
    columns = {**{c: "VARCHAR" for c in STRINGS}, **STRUCTS}
    connection.execute(
        f"CREATE TABLE {table} AS SELECT * FROM read_json(?, format = 'newline_delimited', "
        f"columns = {{{', '.join(f'{k!r}: {v!r}' for k, v in columns.items())}}})",
        [str(folder / "rows.jsonl")],
    )


def _duckdb_type(column_type) -> str:
    """A column type of models.cloudtrail_table in DuckDB's words."""
    if isinstance(column_type, str):
        return {"string": "VARCHAR"}[column_type]
    kind, *parts = column_type
    if kind == "struct":
        return "STRUCT(" + ", ".join(f"{n} {_duckdb_type(t)}" for n, t in parts[0]) + ")"
    if kind == "array":
        return _duckdb_type(parts[0]) + "[]"
    return f"MAP({_duckdb_type(parts[0])}, {_duckdb_type(parts[1])})"


def _organization_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a row of the organization trail's table the management stack creates: the
    columns of models.cloudtrail_table, and its partition keys as CloudTrail's path gives them
    (the account's folder, the region's, the delivery day's)."""
    row: dict[str, Any] = {name: None for name, _ in shape.COLUMNS}
    for key, value in record.items():
        column = key.lower()
        if column in row:
            declared = dict(shape.COLUMNS)[column]
            row[column] = (
                _lowercase(value, "VARCHAR") if declared == "string" else _nested_lower(value)
            )
    row[shape.TIMESTAMP] = (record.get("eventTime") or "1970-01-01")[:10].replace("-", "/")
    row[shape.REGION] = record.get("awsRegion")
    row[shape.ACCOUNT] = record.get("recipientAccountId") or DEFAULT_ACCOUNT
    return row


@pytest.fixture(scope="module")
def organization_table(cloudtrail_table, tmp_path_factory):
    """The same records as rows of our organization trail table (every column the guide's DDL
    has, the partition keys in front), beside the guide's one-region table."""
    connection, records = cloudtrail_table
    folder = tmp_path_factory.mktemp("athena-organization")
    rows = "\n".join(json.dumps(_organization_row(r)) for r in records)
    (folder / "rows.jsonl").write_text(rows + "\n")
    LOADED.setdefault(id(connection), []).append(folder / "rows.jsonl")
    layout = _organization_layout()
    columns = {
        **{name: _duckdb_type(t) for name, t in shape.COLUMNS},
        **{key: "VARCHAR" for key in layout.partition_keys},
    }
    connection.execute(
        f"CREATE TABLE {shape.ORGANIZATION_TABLE} AS SELECT * FROM read_json(?, "
        "format = 'newline_delimited', "
        f"columns = {{{', '.join(f'{k!r}: {v!r}' for k, v in columns.items())}}})",
        [str(folder / "rows.jsonl")],
    )
    return connection, records


def _organization_layout() -> shape.TableLayout:
    return shape.TableLayout(regions=("us-east-1",), organization_id="o-a1b2c3d4e5")


def _setup(project, context):
    folder, _ = project(context)
    settings = parse_config(context, {})
    documents = {s.name: s.document for s in load_stacks(folder / "cdktf.out").values()}
    return settings, documents, replay.Matcher(settings, documents)


@functools.cache
def _parsed(sql: str) -> sqlglot.exp.Expression:
    """The query as Trino parses it, once per text (sqlglot's parser is the slow part of these
    tests); callers that change a tree change a copy."""
    return sqlglot.parse_one(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)


def _duckdb(sql: str) -> str:
    """sqlglot.transpile(sql, read="trino", write="duckdb"), on the tree parsed once."""
    return _parsed(sql).sql(dialect="duckdb")


@pytest.mark.parametrize("name", list(CONTEXTS))
def test_the_athena_query_finds_what_local_replay_finds(project, cloudtrail_table, name):
    connection, records = cloudtrail_table
    settings, documents, matcher = _setup(project, CONTEXTS[name])
    query = athena.query(matcher, settings, "cloudtrail")
    rows = _rows(connection, query.sql, name)
    from_sql = athena.replay_of(rows, settings, query)
    local = replay.replay(settings, documents, records)
    # The detection whose fields lie inside arrays of objects, which the table's JSON paths
    # cannot read, is left out, saying so; every other one counts alike.
    assert set(query.left_out) == {"ec2_image_or_snapshot_shared"}
    assert "arrays of objects" in query.left_out["ec2_image_or_snapshot_shared"]
    for left in query.left_out:
        local.detections.pop(left)
        from_sql.detections.pop(left)
    from_sql.not_judged.clear()
    assert _as_dicts(from_sql) == _as_dicts(local)
    assert replay.report(from_sql, settings) == replay.report(local, settings)
    assert sum(c.alerts for c in local.detections.values()) > 100
    assert sum(c.suppressed for c in local.detections.values()) > 5


# A user's Sigma rule with a null test, as four SigmaHQ rules write it (`errorCode: null`: the
# field missing or null, which the backend compiles to [null, {"exists": false}]).
NULL_RULE = """\
title: EC2 call succeeded
id: 2f0d3c8e-5b1a-4c7e-9f00-00000000000a
name: ec2_call_succeeded
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource|cased: ec2.amazonaws.com
        errorCode: null
    condition: selection
level: low
"""


def test_a_null_test_is_judged_in_athena_mode(project, cloudtrail_table, tmp_path):
    """A missing errorCode and a null one both match [null, {"exists": false}], and both read
    NULL in the table: the rule is judged, and finds local replay's alerts, on the corpus and
    on a record whose errorCode is null."""
    connection, records = cloudtrail_table
    (tmp_path / "null.yml").write_text(NULL_RULE)
    context = {**CONTEXTS["per-region"], "sigmaRules": [str(tmp_path / "null.yml")]}
    settings, documents, matcher = _setup(project, context)
    detection = "ec2_call_succeeded"
    call = next(
        r
        for r in records
        if r["eventSource"] == "ec2.amazonaws.com"
        and "errorCode" not in r
        and r.get("readOnly") is False
    )
    extra = [
        {**call, "errorCode": None, "eventID": "null-error-code"},
        {**call, "errorCode": "Client.UnauthorizedOperation", "eventID": "failed"},
    ]
    _load(connection, "with_null", records + extra, tmp_path)
    query = athena.query(matcher, settings, "with_null")
    assert detection not in query.left_out
    from_sql = athena.replay_of(_rows(connection, query.sql, "null"), settings, query)
    local = replay.replay(settings, documents, records + extra)
    for left in query.left_out:
        local.detections.pop(left)
        from_sql.detections.pop(left)
    from_sql.not_judged.clear()
    assert _as_dicts(from_sql) == _as_dicts(local)
    plain = replay.replay(settings, documents, records)
    assert local.detections[detection].alerts == plain.detections[detection].alerts + 1 > 10


@pytest.mark.parametrize(
    "pattern, says",
    [
        ({"detail": {"errorCode": [None]}}, "null without exists false"),
        ({"detail": {"requestParameters": {"name": [None, {"exists": False}]}}}, "JSON text"),
    ],
)
def test_a_null_the_table_cannot_tell_from_missing_is_refused(pattern, says):
    with pytest.raises(athena.InexpressibleError, match=says):
        athena.pattern_sql(pattern)
    # With exists false, null adds nothing the column can tell: errorcode IS NULL either way.
    both = athena.pattern_sql({"detail": {"errorCode": [None, {"exists": False}]}})
    assert both == athena.pattern_sql({"detail": {"errorCode": [{"exists": False}]}})
    assert "errorcode IS NOT NULL" in both


def _accounts(records) -> list[str]:
    return sorted({r.get("recipientAccountId") or DEFAULT_ACCOUNT for r in records})


def test_on_our_organization_table_it_finds_what_local_replay_finds(project, organization_table):
    """The table the management stack creates (the guide's columns, and accountid, region and
    timestamp partitions): given every account, the same report as local replay; given one,
    that account's records only, as its folder holds them."""
    connection, records = organization_table
    settings, documents, matcher = _setup(project, CONTEXTS["per-region"])
    table = shape.ORGANIZATION_TABLE
    everyone = _accounts(records)
    assert len(everyone) > 3
    busiest = Counter(account for r in records for account in _accounts([r])).most_common(1)
    ((one, _),) = busiest
    for accounts, selected in (
        (everyone, records),
        ([one], [r for r in records if _accounts([r]) == [one]]),
    ):
        query = athena.query(matcher, settings, table, accounts=accounts)
        assert f"accountid IN ({', '.join(athena.literal(a) for a in accounts)})" in query.sql
        label = f"organization-{len(accounts)}"
        from_sql = athena.replay_of(_rows(connection, query.sql, label), settings, query)
        local = replay.replay(settings, documents, selected)
        for left in query.left_out:
            local.detections.pop(left)
            from_sql.detections.pop(left)
        from_sql.not_judged.clear()
        assert _as_dicts(from_sql) == _as_dicts(local)
        assert 0 < local.records <= len(records)
        assert sum(c.alerts for c in local.detections.values()) > 0


def _column_paths(sql: str) -> tuple[set[tuple[str, ...]], set[str]]:
    """The column paths a query reads (``useridentity.sessioncontext.sessionissuer.arn`` as a
    tuple) and the names it defines itself (aliases, UNNEST's columns)."""
    tree = _parsed(sql)
    read = set()
    for column in tree.find_all(sqlglot.exp.Column):
        path, node = [part.name for part in column.parts], column
        while isinstance(node.parent, sqlglot.exp.Dot) and node.parent.this is node:
            node = node.parent
            path.append(node.expression.name)
        read.add(tuple(path))
    defined = {alias.alias for alias in tree.find_all(sqlglot.exp.Alias)}
    for table_alias in tree.find_all(sqlglot.exp.TableAlias):
        defined |= {column.name for column in table_alias.columns}
    return read, defined


@pytest.mark.parametrize("name", list(CONTEXTS))
def test_the_tables_hold_every_column_the_query_reads(project, name):
    """Derived from the query itself: every column and struct field it reads is one of the
    tables' (models.cloudtrail_table, which the stacks create), or one it defines."""
    settings, _, matcher = _setup(project, CONTEXTS[name])
    sql = athena.query(matcher, settings, "t", *_days(), accounts=["444455556666"]).sql
    read, defined = _remembered(f"columns-{name}", sql, lambda: _column_paths(sql))
    table = set(shape.paths()) | {(key,) for key in _organization_layout().partition_keys}
    missing = {path for path in read if path[0] not in defined and path not in table}
    assert not missing
    assert ("useridentity", "sessioncontext", "sessionissuer", "arn") in read
    # The query's own names never shadow a column or partition key of the table.
    assert not defined & {path[0] for path in table}


def test_our_columns_are_the_guides_as_this_test_transcribes_them():
    """The DDL the stacks write has every column of the guide's table above, of the same type
    (ours adds those the guide's page gained since: vpcendpointaccountid, addendum, ...)."""
    ours = {name: _duckdb_type(t) for name, t in shape.COLUMNS}
    guide = {**{c: "VARCHAR" for c in STRINGS if c != shape.TIMESTAMP}, **STRUCTS}
    assert {name: ours.get(name) for name in guide} == guide


def test_the_query_is_trino_sql(project):
    settings, _, matcher = _setup(project, CONTEXTS["central"])
    sql = athena.query(matcher, settings, '"security"."cloudtrail_logs_pp"', *_days()).sql
    assert _remembered("trino", sql, lambda: _parsed(sql).find(sqlglot.exp.Union) is not None)
    assert len(sql) < 262_144  # StartQueryExecution's QueryString limit


def _scans(sql: str, table: str) -> int:
    """How many times Athena reads ``table`` for this query: Trino inlines a WITH relation
    wherever it is named (trino.io/docs/current/sql/select.html, WITH clause), so each
    reference to a relation reading the table reads it again."""
    tree = _parsed(sql)
    relations = {cte.alias: cte.this for cte in tree.find_all(sqlglot.exp.CTE)}

    def reads(node: sqlglot.exp.Expression) -> int:
        return sum(
            1 if reference.name == table else reads(relations[reference.name])
            for reference in node.find_all(sqlglot.exp.Table)
            if reference.name == table or reference.name in relations
        )

    body = tree.copy()
    body.set("with_", None)
    return reads(body)


def _reading(sql: str, table: str) -> tuple[list[bool], dict[str, int], int]:
    """Each reference to ``table`` (whether in a FROM), how often the WITH relations are named,
    and how many times Athena scans the table."""
    tree = _parsed(sql)
    reading = [
        isinstance(t.parent, sqlglot.exp.From)
        for t in tree.find_all(sqlglot.exp.Table)
        if t.name == table
    ]
    named = Counter(
        t.name for t in tree.find_all(sqlglot.exp.Table) if t.name in ("records", "judged")
    )
    return reading, dict(named), _scans(sql, table)


@pytest.mark.parametrize("name", list(CONTEXTS))
def test_the_query_reads_the_table_once(project, name):
    """Athena bills the bytes it scans: one pass over the logs, however many detections,
    measures and suppressions, in one FROM, and each WITH relation named once."""
    settings, _, matcher = _setup(project, CONTEXTS[name])
    for table, accounts in (("cloudtrail", ()), (shape.ORGANIZATION_TABLE, ["444455556666"])):
        sql = athena.query(matcher, settings, table, *_days(), accounts=accounts).sql
        reading, named, scans = _remembered(
            f"reads-{name}-{table}", sql, lambda sql=sql, table=table: _reading(sql, table)
        )
        assert reading == [True]  # one reference to the table, in a FROM
        assert named == {"records": 1, "judged": 1}
        assert scans == 1
    assert len(settings.detections) > 40 and settings.suppressions


def _days():
    from datetime import date

    return date(2026, 11, 1), date(2026, 11, 30)


def test_a_date_range_reads_those_days_partitions(project, cloudtrail_table):
    connection, records = cloudtrail_table
    settings, documents, matcher = _setup(project, CONTEXTS["per-region"])
    from datetime import date

    start, end = date(2020, 1, 1), date(2020, 12, 31)
    query = athena.query(matcher, settings, "cloudtrail", start, end)
    sql = query.sql
    assert "\"timestamp\" BETWEEN '2020/01/01' AND '2021/01/01'" in sql
    rows = _rows(connection, sql, "date-range")
    in_range = [r for r in records if "2020-01-01" <= r.get("eventTime", "")[:10] <= "2020-12-31"]
    local = replay.replay(settings, documents, in_range)
    from_sql = athena.replay_of(rows, settings, query)
    for left in query.left_out:
        local.detections.pop(left)
        from_sql.detections.pop(left)
    assert _as_dicts(from_sql) == _as_dicts(local)
    assert 0 < local.records < len(records)


def _no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_without_credentials_it_prints_the_query_and_says_so(
    project, monkeypatch, capsys, tmp_path
):
    folder, _ = project(CONTEXTS["per-region"])
    (folder / "cdktf.json").write_text(json.dumps({"context": CONTEXTS["per-region"]}))
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.chdir(folder)
    code = replay.main(["--athena", "--database", "security", "--table", "ct"], environ={})
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("WITH records AS") and '"security"."ct"' in out
    notes, last = err.splitlines()[:-1], err.splitlines()[-1]
    assert "no AWS credentials: printed the query" in last
    # One line per detection the table cannot answer (fields inside arrays of objects).
    assert notes == [n for n in notes if n.startswith("not judged in Athena mode: ")]
    assert len(notes) == 1 and "ec2_image_or_snapshot_shared" in notes[0]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--athena", "--table", "t"], "--athena needs --database and --table"),
        (["--athena", "--database", "d;drop", "--table", "t"], "letters, digits and _"),
        (["--athena", "--database", "d", "--table", "t", "--output-location", "x"], "s3://"),
        (
            [
                "--athena",
                "--database",
                "d",
                "--table",
                "t",
                "--from",
                "2026-12-01",
                "--to",
                "2026-11-01",
            ],
            "is after",
        ),
        ([], "say which logs"),
        (
            [
                "--athena",
                "--database",
                "d",
                "--table",
                "t",
                "--detections",
                "root_account_usage,nope",
            ],
            "--detections nope: not one of this configuration's",
        ),
    ],
)
def test_athena_mode_says_in_one_line_what_it_cannot_do(project, monkeypatch, capsys, args, says):
    folder, _ = project(CONTEXTS["per-region"])
    (folder / "cdktf.json").write_text(json.dumps({"context": CONTEXTS["per-region"]}))
    monkeypatch.chdir(folder)
    code = replay.main(args, environ={})
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and says in err, err


def test_with_credentials_it_runs_the_query_through_athena(project, monkeypatch, capsys):
    """StartQueryExecution, GetQueryExecution until SUCCEEDED, GetQueryResults page by page."""
    folder, _ = project(CONTEXTS["per-region"])
    (folder / "cdktf.json").write_text(json.dumps({"context": CONTEXTS["per-region"]}))
    client = boto3.client(
        "athena", region_name="ap-northeast-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": ANY,
            "QueryExecutionContext": {"Database": "security"},
            "WorkGroup": "secops",
            "ResultConfiguration": {"OutputLocation": "s3://results/replay/"},
        },
    )
    for state in ("RUNNING", "SUCCEEDED"):
        stubber.add_response(
            "get_query_execution",
            {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": state}}},
            {"QueryExecutionId": "q-1"},
        )

    def page(rows, token=None):
        found = {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": v} for v in r]} for r in rows]}}
        return {**found, "NextToken": token} if token else found

    header = ("detection", "measure", "key", "n")
    stubber.add_response(
        "get_query_results",
        page([header, ("", "records", "", "12"), ("", "read_only", "", "2")], "t-2"),
        {"QueryExecutionId": "q-1"},
    )
    stubber.add_response(
        "get_query_results",
        page(
            [
                ("", "unplaced", "", "1"),
                ("iam_policy_changes", "alerts", "", "3"),
                ("iam_policy_changes", "who", "arn:aws:iam::123456789012:role/admin", "3"),
                ("iam_policy_changes", "what", "PutRolePolicy", "3"),
                ("iam_policy_changes", "from", "203.0.113.9", "3"),
                ("iam_policy_changes", "suppressed", "", "2"),
                ("iam_policy_changes", "suppression:suppressions[0]", "", "2"),
            ]
        ),
        {"QueryExecutionId": "q-1", "NextToken": "t-2"},
    )

    class Session:
        def get_credentials(self):
            return object()

        def client(self, service, region_name):
            assert (service, region_name) == ("athena", "ap-northeast-1")
            return client

    monkeypatch.setattr(boto3, "Session", Session)
    monkeypatch.setattr(athena.time, "sleep", lambda seconds: None)
    monkeypatch.chdir(folder)
    with stubber:
        code = replay.main(
            [
                "--athena",
                "--database",
                "security",
                "--table",
                "cloudtrail_logs_pp",
                "--workgroup",
                "secops",
                "--output-location",
                "s3://results/replay/",
            ],
            environ={},
        )
        stubber.assert_no_pending_responses()
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("12 records: 2 read-only")
    assert "iam_policy_changes                       3          2" in lines
    assert "    who:   arn:aws:iam::123456789012:role/admin (3)" in lines
    assert any(line.endswith("2 alerts silenced: iam_policy_changes (2)") for line in lines)


def test_a_failed_query_is_one_line(monkeypatch):
    client = boto3.client(
        "athena", region_name="ap-northeast-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    stubber = Stubber(client)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
    stubber.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "q-2",
                "Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: ct"},
            }
        },
    )
    with stubber, pytest.raises(athena.OpsError, match="q-2 failed: TABLE_NOT_FOUND: ct"):
        athena.run_query(client, "SELECT 1", "security", None, None)


def test_with_athena_table_the_home_and_management_stacks_create_the_tables(project):
    """athenaTable in organization mode: the home stack's table over its own trail bucket
    (AWSLogs/<account>/CloudTrail/, every region of the partition), the management stack's
    over the organization trail's bucket (AWSLogs/<organization id>/, the account injected),
    both in namePrefix's database; no other stack holds one, and every limit holds."""
    from models import limits, terraform

    _, stacks = project(ORGANIZATION_ATHENA_CONTEXT)
    settings = parse_config(ORGANIZATION_ATHENA_CONTEXT, {})
    regions = ",".join(sorted(settings.partition_regions))
    home, management = stacks["ap-northeast-1"], stacks["management"]
    found = {}
    for stack, table_name in ((home, shape.HOME_TABLE), (management, shape.ORGANIZATION_TABLE)):
        (database,) = stack.resources("aws_glue_catalog_database").values()
        assert database["name"] == "api_alerts"
        (table,) = stack.resources("aws_glue_catalog_table").values()
        assert table["name"] == table_name
        assert table["provider"] == database["provider"] == "aws.ap-northeast-1"
        (bucket_id,) = [
            name
            for name, bucket in stack.resources("aws_s3_bucket").items()
            if bucket["bucket_prefix"] == "api-alerts-trail-"
        ]
        assert table["storage_descriptor"]["location"].startswith(
            f"s3://${{aws_s3_bucket.{bucket_id}.bucket}}/AWSLogs/"
        )
        parameters = table["parameters"]
        assert parameters["projection.region.values"] == regions
        account = next(iter(stack.document["data"]["aws_caller_identity"]))
        resolved = {
            f"aws_s3_bucket.{bucket_id}.bucket": "<bucket>",
            f"data.aws_caller_identity.{account}.account_id": "<account>",
        }
        found[table_name] = terraform.evaluate(
            parameters["storage.location.template"], resolved.__getitem__
        )
        assert not limits.violations({stack.name: stack.document})
    assert found == {
        shape.HOME_TABLE: "s3://<bucket>/AWSLogs/<account>/CloudTrail/${region}/${timestamp}",
        shape.ORGANIZATION_TABLE: (
            "s3://<bucket>/AWSLogs/o-a1b2c3d4e5/${accountid}/CloudTrail/${region}/${timestamp}"
        ),
    }
    organization_table = next(iter(management.resources("aws_glue_catalog_table").values()))
    assert organization_table["parameters"]["projection.accountid.type"] == "injected"
    assert [k["name"] for k in organization_table["partition_keys"]] == [
        "accountid",
        "region",
        "timestamp",
    ]
    # The management stack's provider works in the management account (the role).
    providers = {p["alias"]: p for p in management.document["provider"]["aws"]}
    assert providers["ap-northeast-1"]["assume_role"][0]["role_arn"].endswith("api-alerts-deployer")
    others = [s for name, s in stacks.items() if name not in ("ap-northeast-1", "management")]
    assert others and not any(s.resources("aws_glue_catalog_table") for s in others)


def test_without_database_and_table_it_queries_the_stacks_table(
    project, monkeypatch, capsys, tmp_path
):
    context = {**CONTEXTS["per-region"], "athenaTable": True}
    folder, _ = project(context)
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.chdir(folder)
    assert replay.main(["--athena"], environ={}) == 0
    out, _ = capsys.readouterr()
    assert 'FROM "api_alerts"."cloudtrail"' in out
    assert "accountid IN" not in out  # the home table: every region, no account to choose


def test_management_queries_the_organization_table_for_the_organizations_accounts(
    project, monkeypatch, capsys, tmp_path
):
    """--management: without credentials, the accounts the configuration names, and one line
    saying so; with them, every account Organizations lists, queried in the management
    account through organization.management.roleArn."""
    folder, _ = project(ORGANIZATION_ATHENA_CONTEXT)
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.chdir(folder)
    assert replay.main(["--athena", "--management"], environ={}) == 0
    out, err = capsys.readouterr()
    assert 'FROM "api_alerts"."organization_cloudtrail"' in out
    named = ["111122223333", "444455556666", "999988887777"]  # security, member, management
    assert f"accountid IN ({', '.join(athena.literal(a) for a in named)})" in out
    assert "accountid: the 3 accounts the configuration names" in err
    assert replay.main(["--athena", "--management", "--accounts", "123456789012"], {}) == 0
    out, err = capsys.readouterr()
    assert "accountid IN ('123456789012')" in out and "accountid:" not in err

    listed = ["111122223333", "222233334444", "444455556666", "999988887777"]
    organizations = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    athena_client = boto3.client(
        "athena", region_name="ap-northeast-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    seen = {}
    with Stubber(organizations) as listing, Stubber(athena_client) as querying:
        listing.add_response(
            "list_accounts",
            {
                "Accounts": [{"Id": a, "Status": "ACTIVE"} for a in listed[:3]],
                "NextToken": "next",
            },
        )
        listing.add_response(
            "list_accounts",
            {"Accounts": [{"Id": listed[3], "Status": "SUSPENDED"}]},
            {"NextToken": "next"},
        )
        querying.add_response("start_query_execution", {"QueryExecutionId": "q-3"})
        querying.add_response(
            "get_query_execution",
            {"QueryExecution": {"QueryExecutionId": "q-3", "Status": {"State": "SUCCEEDED"}}},
        )
        header = {"Data": [{"VarCharValue": v} for v in ("detection", "measure", "key", "n")]}
        querying.add_response("get_query_results", {"ResultSet": {"Rows": [header]}})

        class Assumed:
            def client(self, service, region_name=None):
                seen.setdefault("clients", []).append((service, region_name))
                return {"organizations": organizations, "athena": athena_client}[service]

        class Session:
            def get_credentials(self):
                return object()

        def assume(session, role_arn, name_prefix, command):
            seen["role"], seen["session"] = role_arn, f"{name_prefix}-{command}"
            return Assumed()

        monkeypatch.setattr(boto3, "Session", Session)
        monkeypatch.setattr("ops.organization.management_session", assume)
        real_run = athena.run_query

        def run_query(client, sql, database, workgroup, output):
            seen["sql"], seen["database"] = sql, database
            return real_run(client, sql, database, workgroup, output)

        monkeypatch.setattr(athena, "run_query", run_query)
        assert replay.main(["--athena", "--management"], environ={}) == 0
    assert seen["role"] == ORGANIZATION_ATHENA_CONTEXT["organization"]["management"]["roleArn"]
    assert seen["session"] == "api-alerts-replay" and seen["database"] == "api_alerts"
    assert f"accountid IN ({', '.join(athena.literal(a) for a in listed)})" in seen["sql"]
    assert ("athena", "ap-northeast-1") in seen["clients"]


@pytest.mark.parametrize(
    "context, args, says",
    [
        (
            CONTEXTS["per-region"],
            ["--athena", "--management"],
            'needs organization.management and memberTrails "organization"',
        ),
        (
            {**CONTEXTS["per-region"], "athenaTable": True},
            ["--athena", "--accounts", "123456789012"],
            "only the organization trail's table (--management) has them",
        ),
        (CONTEXTS["per-region"], ["--athena"], "or athenaTable on for the stacks' own"),
    ],
)
def test_athena_table_options_say_in_one_line_what_they_cannot_do(
    project, monkeypatch, capsys, context, args, says
):
    folder, _ = project(context)
    monkeypatch.chdir(folder)
    assert replay.main(args, environ={}) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1 and says in err, err


def test_an_array_past_trinos_254_elements_is_a_concat_of_arrays():
    sql = "SELECT cardinality(" + athena.array(str(i) for i in range(600)) + ")"
    assert sql.count("ARRAY[") == 3 and "concat(" in sql
    assert duckdb.connect().execute(_duckdb(sql)).fetchone() == (600,)


def _org_replay(project, monkeypatch, tmp_path, today):
    folder, _ = project(ORGANIZATION_ATHENA_CONTEXT)
    _no_credentials(monkeypatch, tmp_path)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(replay, "_today", lambda: today)
    return parse_config(ORGANIZATION_ATHENA_CONTEXT, {})


def test_without_from_it_replays_the_last_30_days(project, monkeypatch, capsys, tmp_path):
    """The default range, stated with the partitions it reads: the last 30 days up to --to
    or today, the delivery day after --to read as slack."""
    from datetime import date

    settings = _org_replay(project, monkeypatch, tmp_path, date(2026, 12, 1))
    regions = len(settings.partition_regions)
    assert replay.main(["--athena"], environ={}) == 0
    out, err = capsys.readouterr()
    assert "\"timestamp\" BETWEEN '2026/11/02' AND '9999/12/31'" in out
    assert "eventtime >= '2026-11-02'" in out
    assert (
        "of 2026-11-02 to 2026-12-01 (the last 30 days by default: --from for more): "
        f"{regions * 30:,} partitions ({regions} regions x 30 days); run it"
    ) in err
    assert replay.main(["--athena", "--to", "2026-11-20"], environ={}) == 0
    out, err = capsys.readouterr()
    assert "\"timestamp\" BETWEEN '2026/10/22' AND '2026/11/21'" in out
    # The projection starts on models.cloudtrail_table.FIRST_DAY: days before it are no
    # partitions ("Queries for values that are beyond the range bounds ... return zero rows").
    assert f"{regions * 21:,} partitions ({regions} regions x 21 days)" in err


# docs/performance.md's organization: 1,000 named accounts, the security and management ones.
THOUSAND = [f"{100000000000 + i}" for i in range(1002)]


def test_an_organization_replay_reads_no_more_partitions_than_one_scan_can(
    project, monkeypatch, capsys, tmp_path
):
    """Athena "cannot read more than 1 million partitions in a single scan": accounts x regions
    x delivery days. Without --from, the default range shrinks to fit, and says so; a --from
    that would cross it is refused in one line with the number and two ways to split it."""
    from datetime import date

    settings = _org_replay(project, monkeypatch, tmp_path, date(2026, 12, 1))
    regions = len(settings.partition_regions)
    assert regions * 1002 * 30 > 1_000_000 >= regions * 1002 * 29  # 34 regions in botocore's
    accounts = ["--accounts", ",".join(THOUSAND)]
    assert replay.main(["--athena", "--management", *accounts], environ={}) == 0
    out, err = capsys.readouterr()
    assert "\"timestamp\" BETWEEN '2026/11/03' AND '9999/12/31'" in out
    assert (
        "of 2026-11-03 to 2026-12-01 (the last 29 days, not 30: Athena reads at most "
        f"1,000,000 partitions a scan): {1002 * regions * 29:,} partitions "
        f"(1,002 accounts x {regions} regions x 29 days); run it"
    ) in err

    assert replay.main(["--athena", "--management", *accounts, "--from", "2026-11-01"], {}) == 2
    _, err = capsys.readouterr()
    assert err.count("\n") == 1, err
    assert f"partitions one Athena scan reads would be {1002 * regions * 31:,}" in err
    assert "AWS takes 1,000,000" in err and "athena/latest/ug/service-limits.html" in err
    assert "--from 2026-11-03 (29 days) or --accounts in batches of at most" in err
    # Either way fits.
    batch = int(err.rsplit("at most ", 1)[1].replace(",", ""))
    assert batch * regions * 31 <= 1_000_000 < (batch + 1) * regions * 31


def test_the_partitions_are_counted_within_the_projected_days():
    from datetime import date

    today = date(2026, 12, 1)
    # Before the first projected day nothing is read; --to's day of slack up to today only.
    assert athena.partitions(34, date(2020, 1, 1), None, today) == 34 * 31
    assert athena.partitions(34, date(2026, 11, 10), date(2026, 11, 19), today) == 34 * 11
    assert athena.partitions(34, date(2026, 11, 30), date(2026, 12, 1), today) == 34 * 2
    assert athena.default_start(None, today, 34) == date(2026, 11, 2)
    assert athena.default_start(date(2026, 11, 20), today, None) == date(2026, 10, 22)
    # So many accounts that one day is too many: the default is one day, and it is refused
    # naming a batch of accounts that fits.
    assert athena.default_start(None, today, 40_000 * 34) == today
    with pytest.raises(athena.OpsError, match=r"--accounts in batches of at most 29,411$"):
        athena.check_partitions(40_000, 34, today, None, today)


def _limit(monkeypatch, value: int) -> None:
    from models.limits import QUERY_STRING, Limit

    monkeypatch.setattr(
        athena, "QUERY_STRING", Limit(QUERY_STRING.what, value, QUERY_STRING.source)
    )


@pytest.mark.parametrize("limit", [262_144, 120_000, 40_000, 25_000])
def test_a_query_longer_than_athena_takes_is_refused_with_a_split_that_fits(
    project, monkeypatch, limit
):
    """Athena takes 262,144 bytes of query (UTF-8, not adjustable): longer, one line naming
    the limit, its page and a split; whichever accounts or detections are chosen within that
    split, the query fits. The same advice at smaller limits, for more detections than ours."""
    import re

    settings, _, matcher = _setup(project, CONTEXTS["per-region"])
    accounts = [f"{100000000000 + i}" for i in range(20_000)]
    days = _days()

    def build(chosen, among=accounts):
        return athena.query(matcher, settings, "t", *days, accounts=among, detections=chosen)

    _limit(monkeypatch, limit)
    query = build(None)
    assert len(query.sql.encode()) > limit
    with pytest.raises(athena.OpsError) as raised:
        athena.check_size(query, accounts, build)
    message = str(raised.value)
    assert "\n" not in message
    assert (
        f"bytes in an Athena query string (UTF-8) would be {len(query.sql.encode()):,}" in message
    )
    assert f"AWS takes {limit:,} (not adjustable: " in message
    assert "https://docs.aws.amazon.com/athena/latest/ug/service-limits.html" in message
    batch = re.search(r"--accounts in batches of at most ([\d,]+)", message)
    most = re.search(r"--detections naming at most (\d+) of the (\d+) per query", message)
    assert batch or most, message
    some = accounts[: int(batch[1].replace(",", ""))] if batch else accounts
    judged = [d for d in query.detections if d not in query.left_out]
    if most:
        assert int(most[2]) == len(judged) and "reads the logs again" in message
        # The largest detections: the worst choice within the advice.
        size = {d: len(build((d,), some).sql.encode()) for d in judged}
        chosen = sorted(judged, key=size.get, reverse=True)[: int(most[1])]
    else:
        chosen = None
    athena.check_size(build(chosen, some), some, lambda c: build(c, some))  # fits: no error


def test_a_query_too_long_is_refused_before_it_is_sent(project, monkeypatch, capsys, tmp_path):
    from datetime import date

    _org_replay(project, monkeypatch, tmp_path, date(2026, 12, 1))
    many = ",".join(f"{100000000000 + i}" for i in range(20_000))
    args = ["--athena", "--management", "--accounts", many, "--from", "2026-12-01"]
    assert replay.main(args, environ={}) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1
    assert "AWS takes 262,144 (not adjustable: " in err
    assert "split it: --accounts in batches of at most" in err


def test_detections_asks_about_those_only(project, monkeypatch, capsys, tmp_path):
    """--detections, for a query that would be too long: those detections' columns only, and
    their suppressions; the report lists those."""
    settings, _, matcher = _setup(project, CONTEXTS["per-region"])
    chosen = ("iam_policy_changes", "vpc_changes")
    query = athena.query(matcher, settings, "t", *_days(), detections=chosen)
    assert query.detections == chosen
    whole = athena.query(matcher, settings, "t", *_days())
    assert len(query.sql) < len(whole.sql) / 3
    assert "alert_iam_policy_changes" in query.sql and "alert_root_account_usage" not in query.sql
    assert set(athena.replay_of([], settings, query).detections) == set(chosen)
