"""The Athena table of a trail bucket, as data: its columns, partition keys, storage and
projection, for the Glue table the stacks create (constructs_lib.trail_table) and the query
`make replay ARGS=--athena` runs on it (ops.athena).

The columns, their types, the SerDe and the input and output formats are those of the Athena
guide's CREATE TABLE for CloudTrail logs with partition projection
(https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html),
in its order, written as Glue stores them: Glue lowercases names ("Glue lowercases column
names on CreateTable", apache/flink-connector-aws#206, measured on a real Data Catalog; Athena's
"Name databases, tables, and columns": "should be in lower case"), so anything else would read
back as a change at every plan.

The guide's table covers one account and one region. A multi-region trail writes each region's
files under its own prefix, and an organization trail each account's under the organization's
("bucket_name/prefix_name/AWSLogs/O-ID/Account ID/CloudTrail/Region/YYYY/MM/DD/file_name.json.gz",
CloudTrail guide, cloudtrail-find-log-files.html), so ours add partition keys in front of the
guide's ``timestamp``, as the guide's manually partitioned tables do (``region``; ``account`` for
an organization wide trail, create-cloudtrail-table-org-wide-trail.html):

- ``region``, projected as an ``enum`` of the partition's regions (botocore's, config.py): the
  regions a multi-region trail can write, opt-in ones included; a region without files is an
  empty partition, which Athena reads as no rows ("If a projected partition does not exist in
  Amazon S3, Athena will still project the partition. Athena does not throw an error, but no
  data is returned", partition-projection.html). Unfiltered, every region is read, so the query
  needs no region filter and runs unchanged on the guide's one-region table.
- ``accountid`` (organization trail only), ``injected``: the accounts are not known when the
  table is made (OUs gain accounts), and "Your query must include at least one value for the
  partition key ... literals" (partition-projection-dynamic-id-partitioning.html), which
  ops.athena writes as ``accountid IN (...)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

# A column type: "string", or ("struct", ((field, type), ...)), ("array", type), ("map", k, v).
ColumnType = str | tuple

STRING = "string"


def struct(*fields: tuple[str, ColumnType]) -> ColumnType:
    return ("struct", tuple(fields))


def _strings(*names: str) -> tuple[tuple[str, ColumnType], ...]:
    return tuple((name, STRING) for name in names)


# The guide's columns, in its order.
COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("eventversion", STRING),
    (
        "useridentity",
        struct(
            *_strings(
                "type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username"
            ),
            ("onbehalfof", struct(*_strings("userid", "identitystorearn"))),
            (
                "sessioncontext",
                struct(
                    ("attributes", struct(*_strings("mfaauthenticated", "creationdate"))),
                    (
                        "sessionissuer",
                        struct(*_strings("type", "principalid", "arn", "accountid", "username")),
                    ),
                    ("ec2roledelivery", STRING),
                    (
                        "webidfederationdata",
                        struct(
                            ("federatedprovider", STRING), ("attributes", ("map", STRING, STRING))
                        ),
                    ),
                ),
            ),
        ),
    ),
    *_strings(
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
    ),
    ("resources", ("array", struct(*_strings("arn", "accountid", "type")))),
    *_strings(
        "eventtype",
        "apiversion",
        "recipientaccountid",
        "serviceeventdetails",
        "sharedeventid",
        "vpcendpointid",
        "vpcendpointaccountid",
        "eventcategory",
    ),
    (
        "addendum",
        struct(*_strings("reason", "updatedfields", "originalrequestid", "originaleventid")),
    ),
    *_strings("sessioncredentialfromconsole", "edgedevicedetails"),
    ("tlsdetails", struct(*_strings("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
)

SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

# The partition keys: the guide's delivery day, and ours in front of it.
TIMESTAMP = "timestamp"
REGION = "region"
ACCOUNT = "accountid"
DAY_FORMAT = "yyyy/MM/dd"  # the log file path's YYYY/MM/DD, as the guide projects it
# The first projected day: no bucket this app creates holds a log file from before its first
# release. "Queries for values that are beyond the range bounds ... return zero rows", so the
# range must start no later than the oldest file; every day after it is a projected partition.
FIRST_DAY = date(2026, 11, 1)

# The tables' names, in the database the configuration names (athenaTable).
HOME_TABLE = "cloudtrail"  # the home stack's trail, this account's logs
ORGANIZATION_TABLE = "organization_cloudtrail"  # the management stack's organization trail


@dataclass(frozen=True)
class TableLayout:
    """Where one trail's log files are, as partition keys and a path template."""

    regions: tuple[str, ...]  # the region enum's values
    organization_id: str | None = None  # an organization trail: accounts under its id

    @property
    def partition_keys(self) -> tuple[str, ...]:
        keys = (REGION, TIMESTAMP)
        return (ACCOUNT, *keys) if self.organization_id else keys

    def prefix(self, account_id: str) -> str:
        """The logs' key prefix under the bucket: this account's, or the organization's."""
        if self.organization_id:
            return f"AWSLogs/{self.organization_id}/"
        return f"AWSLogs/{account_id}/CloudTrail/"

    def template(self, account_id: str) -> str:
        """The partitions' path under the bucket, ``${key}`` for each partition key."""
        if self.organization_id:
            return (
                f"{self.prefix(account_id)}${{{ACCOUNT}}}/CloudTrail/${{{REGION}}}/${{{TIMESTAMP}}}"
            )
        return f"{self.prefix(account_id)}${{{REGION}}}/${{{TIMESTAMP}}}"

    def projection(self) -> dict[str, str]:
        """The table parameters that project the partitions (partition-projection-supported-types
        .html), the guide's for ``timestamp``."""
        parameters = {
            "projection.enabled": "true",
            f"projection.{TIMESTAMP}.type": "date",
            f"projection.{TIMESTAMP}.format": DAY_FORMAT,
            f"projection.{TIMESTAMP}.interval": "1",
            f"projection.{TIMESTAMP}.interval.unit": "DAYS",
            f"projection.{TIMESTAMP}.range": f"{FIRST_DAY:%Y/%m/%d},NOW",
            f"projection.{REGION}.type": "enum",
            f"projection.{REGION}.values": ",".join(self.regions),
        }
        if self.organization_id:
            parameters[f"projection.{ACCOUNT}.type"] = "injected"
        return parameters


def database_name(name_prefix: str) -> str:
    """The Glue database a name prefix gives: lower-case letters, digits and underscores, as
    Athena's names are ("Name databases, tables, and columns"); a hyphen would need quoting in
    every query."""
    return name_prefix.replace("-", "_")


def hive_type(column_type: ColumnType) -> str:
    """A column type as Glue and Hive write it: ``struct<a:string,b:array<string>>``."""
    if isinstance(column_type, str):
        return column_type
    kind, *parts = column_type
    if kind == "struct":
        (fields,) = parts
        return "struct<" + ",".join(f"{n}:{hive_type(t)}" for n, t in fields) + ">"
    if kind == "array":
        return f"array<{hive_type(parts[0])}>"
    if kind == "map":
        return f"map<{hive_type(parts[0])},{hive_type(parts[1])}>"
    raise ValueError(f"column type {column_type!r}")


def paths(columns: Iterable[tuple[str, ColumnType]] = COLUMNS) -> Iterator[tuple[str, ...]]:
    """Every column and struct field as a path: ("useridentity", "sessioncontext", ...)."""
    for name, column_type in columns:
        yield (name,)
        if isinstance(column_type, tuple) and column_type[0] == "struct":
            for path in paths(column_type[1]):
                yield (name, *path)


def has_path(path: Sequence[str]) -> bool:
    return tuple(path) in set(paths())
