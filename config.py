"""Configuration: read once from cdktf.json's ``context`` and the shell, validated before any
construct exists.

``MonitorConfig`` declares every key once (``key``: its kind, default and meaning), from which
come its parsing and one-line errors (``ConfigError``, naming the key and the value), its JSON
Schema (``json_schema``: cdktf.schema.json) and its row of the reference (``reference_table``).
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import json
import re
import unicodedata
from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import botocore

from config_values import (
    ConfigError,
    Either,
    Fields,
    Flag,
    Got,
    Kind,
    Many,
    OneOf,
    Text,
    Whole,
    declared,
    did_you_mean,
    ecma,
    json_schema_of,
    key,
    reference_table,
    rule,
)
from constructs_lib.chat import ChatChannel
from constructs_lib.delivery import Subscription
from constructs_lib.detections import catalog, rule_files, suppressions
from constructs_lib.detections.catalog import (
    CATALOG,
    EVENTBRIDGE,
    METRIC_FILTERS,
    Detection,
    Severity,
)
from constructs_lib.detections.outcomes import RuleVariant, detection_id_of, rule_variants
from constructs_lib.detections.suppressions import Condition, Suppression
from constructs_lib.organization.member_template import forwarded
from constructs_lib.trail.bucket_settings import ObjectLock
from models import limits, regions
from models.cloudtrail_table import database_name

if TYPE_CHECKING:
    from stacks.region_plan import RegionPlan

MANAGEMENT_STACK = "management"  # organization mode's management-account stack, and its folder
PROJECT_TAG = "Project"
# Resource names are "<namePrefix>-<suffix>": the trail bucket's bucket_prefix "<namePrefix>-trail-"
# has at most limits.BUCKET_PREFIX characters; a rule's name, "<namePrefix>-<rule id>", at most
# limits.RULE_NAME, checked against the rules the configuration selects (_check_rule_names).
MAX_NAME_PREFIX = limits.BUCKET_PREFIX.value - len("-trail-")
# S3 reserves these bucket-name prefixes (S3 user guide, bucket naming rules).
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
# AWS Organizations' identifier formats, from the Organizations API reference: Organization.Id,
# OrganizationalUnit.Id, Root.Id, Account.Id and CreateAccount's AccountName
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html,
# .../API_Root.html, .../API_Organization.html, .../API_CreateAccount.html).
UNIT_ID = r"ou-(?P<root>[0-9a-z]{4,32})-[a-z0-9]{8,32}|r-(?P<ours>[0-9a-z]{4,32})"
ACCOUNT_ID = r"\d{12}"
ACCOUNT_NAME = re.compile(r"[\u0020-\u007e]{1,50}")
AWS_ACCOUNT = Text(pattern=ACCOUNT_ID, problem="an AWS account id: 12 digits")


@dataclass(frozen=True)
class StateBackend:
    """Remote Terraform state: one object per stack, <key_prefix>/<region>.tfstate."""

    bucket: str
    key_prefix: str
    region: str
    lockfile: bool


@dataclass(frozen=True)
class Management:
    """How the app reaches the organization's management account (StackSets never deploy to it)."""

    role_arn: str  # the role Terraform assumes there (the management stack's provider)
    account_id: str  # the role's account
    protect_forwarding: bool  # an SCP: only StackSets may change the members' forwarding


@dataclass(frozen=True)
class Organization:
    """Organization mode: members forward to the security account, which holds the detections."""

    security_account: str  # where the app is deployed from, a StackSets delegated administrator
    organization_id: str
    organizational_units: tuple[str, ...]  # OU ids and/or the root id the StackSet covers
    accounts: Mapping[str, str]  # account id -> display name
    management: Management | None
    # Where the members' trails come from: "organization" (the management stack's organization
    # trail) or "existing" (the user's word that every member account already has one).
    member_trails: str


# ---- regions (botocore's endpoint data) ----


def _region(where: str, region: str, got: Got | None = None) -> str:
    if regions.partition_of(region) is None:
        close = difflib.get_close_matches(region, regions.known_regions(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problem = f"not an AWS region known to botocore {botocore.__version__}{hint}"
        raise ConfigError(where, region, problem)
    partition = regions.partition_of(region)
    if not regions.has_global_region(partition):
        problem = (
            f"in partition {partition['partition']!r}, for which botocore {botocore.__version__} "
            "holds no IAM endpoint: where its IAM and root sign-in events arrive is unknown"
        )
        raise ConfigError(where, region, problem)
    return region


REGION = Text(_region, schema=lambda: {"enum": regions.usable_regions()})


def _partition(got: Got) -> str:
    return regions.partition_of(got["home_region"])["partition"]


def _default_regions(got: Got) -> list[str]:
    """The original design's two: the home region and where IAM events arrive."""
    home = got["home_region"]
    return list(dict.fromkeys([home, regions.global_region(regions.partition_of(home))]))


def _with_home(where: str, monitored: tuple[str, ...], got: Got) -> tuple[str, ...]:
    home, partition = got["home_region"], _partition(got)
    if home not in monitored:
        raise ConfigError(where, monitored, f"must include homeRegion {home!r}")
    for i, region in enumerate(monitored):
        other = regions.partition_of(region)["partition"]
        if other != partition:
            problem = f"in partition {other!r}, homeRegion is in {partition!r}"
            raise ConfigError(f"{where}[{i}]", region, problem)
    return monitored


def _engines(where: str, engines: tuple[str, ...], got: Got) -> tuple[str, ...]:
    """One order, whatever the configuration's. What only the EventBridge engine reads is an
    error when set without it, never ignored; at its default (the shipped cdktf.json's) it says
    nothing, so that engines switch alone."""
    for name, default, problem in (
        (
            "monitoredRegions",
            _default_regions(got),
            "the multi-region trail already brings every region's records",
        ),
        ("delivery", DEFAULTS["delivery"], "there are no EventBridge rules to deliver from"),
    ):
        source, item = got["raw"][name]
        set_here = source != name or name in got["context"]
        if EVENTBRIDGE not in engines and set_here and item not in (default, None):
            raise ConfigError(
                source,
                item,
                f'applies to the "eventbridge" alert engine only; with alertEngines '
                f"{json.dumps(list(engines))} {problem}: remove it",
            )
    return tuple(e for e in catalog.ENGINES if e in engines)


def _choices(allowed: Sequence[str], noun: str, *then: Any) -> Many:
    """A non-empty list of distinct values from ``allowed``, each named ``noun`` in errors."""
    least = f"select at least one of {list(allowed)}"
    return Many(Text(choices=allowed, noun=noun), *then, least=least, distinct=f"duplicate {noun}")


# ---- where alerts go ----


def _email(where: str, address: str, got: Got) -> str:
    from email_validator import EmailNotValidError, validate_email  # 30-40 ms: when there is one

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ConfigError(where, address, f"not a valid e-mail address ({error})") from None


# SQS queue names: "up to 80 characters ... alphanumeric characters, hyphens (-), and underscores
# (_)" (CreateQueue; a FIFO queue's .fifo: SNS standard topics deliver to standard queues only);
# Lambda functions: function:<1 to 64 of letters, digits, - and _>[:<version or alias>]
# (Lambda Invoke, FunctionName).
ENDPOINTS = {
    "sqs": (
        r"[A-Za-z0-9_-]{1,80}",
        "an SQS queue: "
        "arn:<partition>:sqs:<region>:<12-digit account>:<1 to 80 of A-Z a-z 0-9 - _>",
    ),
    "lambda": (
        r"function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?",
        "a Lambda function: "
        "arn:<partition>:lambda:<region>:<12-digit account>:function:<name>[:<alias>]",
    ),
}


def _endpoint(where: str, endpoint: str, got: Got) -> str:
    """The endpoint, valid for its protocol (SNS Subscribe's endpoint rules)."""
    protocol, partition = got["protocol"], _partition(got)
    if protocol in ("email", "email-json"):
        return _email(where, endpoint, got)
    if protocol == "https":
        return _https_endpoint(where, endpoint)
    arn = _arn(where, endpoint, f"must be the ARN of an {protocol} resource")
    resource, form = ENDPOINTS[protocol]
    if protocol == "sqs" and arn["resource"].endswith(".fifo"):
        problem = (
            "a FIFO queue: the alert topics are standard SNS topics, which deliver to standard "
            "queues only (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html)"
        )
        raise ConfigError(where, endpoint, problem)
    if (
        arn["service"] != protocol
        or not re.fullmatch(ACCOUNT_ID, arn["account"])
        or not re.fullmatch(resource, arn["resource"])
    ):
        raise ConfigError(where, endpoint, f"must be the ARN of {form}")
    if arn["partition"] != partition:
        raise ConfigError(where, endpoint, f"in partition {arn['partition']!r}, not {partition!r}")
    other = regions.partition_of(_region(where, arn["region"]))["partition"]
    if other != partition:
        problem = f"{arn['region']} is in partition {other!r}, not {partition!r}"
        raise ConfigError(where, endpoint, problem)
    return endpoint


def _arn(where: str, text: str, problem: str) -> dict[str, str]:
    from botocore.utils import ArnParser, InvalidArnException  # when there is an ARN

    try:
        return ArnParser().parse_arn(text)
    except InvalidArnException:
        raise ConfigError(where, text, problem) from None


# A host name's labels (RFC 1123): letters, digits and inner hyphens; SNS refuses an underscore
# ("Your hostname must not contain an underscore",
# https://repost.aws/knowledge-center/sns-topic-https-endpoints-notification).
HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# The characters a URL may hold as they are (RFC 3986, section 2), and a % not starting %XX.
URL_CHARACTER = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _https_endpoint(where: str, endpoint: str) -> str:
    """A public https:// URL: "For the https protocol, the (public) endpoint is a URL beginning
    with https://" (SNS Subscribe); "Amazon SNS does not currently support private HTTP(S)
    endpoints" (sns-http-https-endpoint-as-subscriber.html)."""
    if any(c.isspace() for c in endpoint):
        raise ConfigError(where, endpoint, "a URL holds no spaces: encode them as %20")
    wrong = URL_CHARACTER.sub("", endpoint)
    if wrong:
        raise ConfigError(
            where,
            endpoint,
            f"a URL holds {wrong[0]!r} only percent-encoded (RFC 3986: letters, digits, "
            "-._~:/?#[]@!$&'()*+,;= and %XX)",
        )
    if BAD_ESCAPE.search(endpoint):
        raise ConfigError(where, endpoint, "a % in a URL starts a %XX escape (RFC 3986)")
    try:
        url = urlsplit(endpoint)
        host, port = url.hostname, url.port
    except ValueError as error:
        raise ConfigError(where, endpoint, f"not a URL ({error})") from None
    if url.scheme != "https" or not host:
        raise ConfigError(where, endpoint, "must be an https:// URL")
    if port == 0:
        raise ConfigError(where, endpoint, "port 0 is not a port")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        if len(labels) < 2 or not all(HOST_LABEL.fullmatch(label) for label in labels):
            problem = f"{host!r} is not a public host name (letters, digits, hyphens, dots)"
            raise ConfigError(where, endpoint, problem) from None
        if labels[-1].lower() in ("localhost", "local", "internal"):
            raise ConfigError(where, endpoint, "SNS delivers to public endpoints only") from None
        return endpoint
    if not address.is_global:
        problem = f"{host} is not a public address: SNS delivers to public endpoints only"
        raise ConfigError(where, endpoint, problem)
    return endpoint


def _subscriptions(where: str, found: tuple[Subscription, ...], got: Got) -> tuple:
    """Every topic's subscriptions: notificationEmails', then these."""
    by_email = tuple(Subscription("email", email) for email in got["notification_emails"])
    for subscription in found:
        if subscription in by_email:
            raise ConfigError(where, subscription.endpoint, "already in notificationEmails")
    return by_email + found


# ---- names and tags ----


def _tag_character(character: str) -> bool:
    """AWS's tag pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$: letters, separators, numbers and _.:/=+-@.
    https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html"""
    return unicodedata.category(character)[0] in "LZN" or character in "_.:/=+-@"


def _tags(where: str, value: Any, got: Got) -> dict[str, str]:
    if not isinstance(value, dict):
        problem = 'must be an object of tag names to values, e.g. {"Owner": "secops"}'
        raise ConfigError(where, value, problem)
    # Every resource carries these and the Project tag (provider default_tags, counted in each
    # resource's tags_all), against AWS's 50 tags per resource.
    most = limits.TAGS_PER_RESOURCE.value - 1
    if len(value) > most:
        raise ConfigError(
            where,
            value,
            f"{len(value)} tags: every resource also carries {PROJECT_TAG}, and AWS takes "
            f"{limits.TAGS_PER_RESOURCE.value} per resource ({limits.TAGGING}): at most {most}",
        )
    seen = {PROJECT_TAG.lower(): PROJECT_TAG}
    for name, tag_value in value.items():
        # Tag limits: https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html
        if not name or len(name) > limits.TAG_KEY.value or name != name.strip():
            problem = "tag names are 1-128 characters, no outer spaces"
        elif name.lower().startswith("aws:"):
            problem = "tag names starting with 'aws:' are reserved by AWS"
        elif name == PROJECT_TAG:
            problem = "set from namePrefix; choose another tag name"
        elif name.lower() in seen:
            # IAM: "Tag key values for IAM users and roles are not case sensitive" (id_tags.html).
            problem = (
                f"IAM roles take tag names case-insensitively: {seen[name.lower()]!r} is "
                "already a tag (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html)"
            )
        elif not isinstance(tag_value, str) or not 1 <= len(tag_value) <= limits.TAG_VALUE.value:
            # CloudTrail's and CloudFormation's tag values have at least one character
            # (AddTags, Tag: Value, minimum length 1).
            problem = (
                "tag values are strings of 1 to 256 characters (CloudTrail and CloudFormation "
                "refuse an empty one)"
            )
        else:
            wrong = [(w, c) for w, text in (("names", name), ("values", tag_value)) for c in text]
            wrong = [(what, c) for what, c in wrong if not _tag_character(c)]
            if not wrong:
                seen[name.lower()] = name
                continue
            problem = (
                f"tag {wrong[0][0]} may hold letters, digits, spaces and _ . : / = + - @ only, "
                f"not {wrong[0][1]!r}"
            )
        raise ConfigError(f"{where}.{name}", tag_value, problem)
    return dict(value)


def _bucket_name(where: str, name: str, got: Got) -> str:
    """S3's general purpose bucket naming rules beyond BUCKET_NAME's pattern:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"""
    if ".." in name:
        problem = "no two adjacent dots"
    elif name.startswith(RESERVED_BUCKET_PREFIXES) or name.endswith(
        ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    ):
        problem = "S3 reserves this prefix or suffix"
    else:
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return name
        problem = "not formatted as an IP address"
    raise ConfigError(where, name, f"not a valid S3 bucket name: {problem}")


BUCKET_NAME = Text(
    _bucket_name,
    pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    problem="not a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens, "
    "starting and ending with a letter or digit",
)
# Terraform's S3 backend refuses a key that is empty, starts or ends with "/" or holds "//"
# (hashicorp/terraform, internal/backend/remote-state/s3: validateStringNotEmpty,
# validateStringS3Path, validateStringDoesNotContain("//")); S3's keys are at most 1,024 bytes.
S3_BACKEND = "https://developer.hashicorp.com/terraform/language/backend/s3"
KEY_PREFIX = Text(
    rule(
        lambda prefix: prefix.strip("/"),
        f"names no folder: the S3 backend refuses such a key ({S3_BACKEND})",
    ),
    rule(
        lambda prefix: "//" not in prefix.strip("/"),
        f'the S3 backend refuses a key holding "//" ({S3_BACKEND})',
    ),
    rule(
        lambda prefix: len(prefix.strip("/").encode()) <= 900,
        "too long: an S3 key holds at most 1,024 bytes",
    ),
    # The state objects' folder: outer slashes dropped (<prefix>/<stack>.tfstate adds one).
    lambda where, prefix, got: prefix.strip("/"),
)


# ---- suppressions ----

MAX_SUPPRESSION_DAYS = 366  # "at most a year ahead", a leap year included
# An ARN pattern naming IAM users or roles, or STS role sessions, with * wildcards.
PRINCIPAL = re.compile(
    r"arn:(?P<partition>[a-z*-]+):(?P<service>iam|sts)::(?P<account>\d{12}|\*):"
    r"(?P<type>role|user|assumed-role)/(?P<name>[\w+=,.@*/-]+)"
)
# A principal pattern with * names which roles or users with at least this many characters.
MIN_NAMED = 3
# EventBridge's anything-but takes no cidr (operators table, eb-create-pattern-operators.html):
# an IPv4 block is written as an address prefix, so only whole octets can be.
OCTET_PREFIXES = {8: 1, 16: 2, 24: 3}
KNOWN_NOISE = suppressions.known_noise(
    [d.id for d in CATALOG if d.severity is not Severity.CRITICAL]
)
WILDCARD = (
    rule(lambda pattern: '"' not in pattern and "\\" not in pattern, 'no " or \\ in a pattern'),
    rule(lambda pattern: pattern.strip("*"), "matches everything: name what it matches"),
    # Event Ruler (EventBridge's matcher): "consecutive wildcard characters are not allowed"
    # (https://github.com/aws/event-ruler#wildcard-matching).
    rule(lambda pattern: "**" not in pattern, "no two * in a row"),
)


def _principal(where: str, pattern: str, got: Got) -> str:
    found = PRINCIPAL.fullmatch(pattern)
    named = found and found["name"].replace("*", "").replace("/", "")
    if not found:
        problem = (
            "an IAM role or user ARN, or an STS assumed-role ARN, with * wildcards, "
            "e.g. arn:aws:iam::*:role/eks-*"
        )
    elif not named:
        problem = f"widens to every {found['type']}: name which ones"
    elif "*" in found["name"] and len(named) < MIN_NAMED:
        problem = (
            f"widens to almost every {found['type']}: name which ones, with at least "
            f"{MIN_NAMED} characters besides *"
        )
    else:
        return pattern
    raise ConfigError(where, pattern, problem)


def _principals(where: str, patterns: tuple[str, ...], got: Got) -> Condition:
    """One condition: a role's pattern covers its sessions (their events name the role as
    userIdentity.sessionContext.sessionIssuer.arn), the others userIdentity.arn."""
    roles = tuple(p for p in patterns if PRINCIPAL.fullmatch(p)["type"] == "role")
    others = tuple(p for p in patterns if p not in roles)
    fields = ((suppressions.SESSION_ISSUER_ARN, roles), (suppressions.PRINCIPAL_ARN, others))
    return Condition(tuple((path, found) for path, found in fields if found))


def _source_ip(where: str, item: str, got: Got) -> str:
    try:
        network = ipaddress.ip_network(item, strict=True)
    except ValueError:
        raise ConfigError(where, item, "not an IP address or CIDR block") from None
    if network.num_addresses == 1:
        return str(network.network_address)
    if network.version == 4 and network.prefixlen in OCTET_PREFIXES:
        octets = str(network.network_address).split(".")[: OCTET_PREFIXES[network.prefixlen]]
        return ".".join(octets) + ".*"
    raise ConfigError(
        where,
        item,
        "EventBridge patterns cannot exclude this block: use single addresses or "
        "IPv4 /8, /16 or /24 blocks",
    )


def _expires(where: str, text: str, got: Got) -> date:
    try:
        expires = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(where, text, "an ISO date, YYYY-MM-DD") from None
    if expires < got["today"]:
        problem = f"expired ({got['reason']!r}): renew it with a new date or remove the suppression"
    elif expires > got["today"] + timedelta(days=MAX_SUPPRESSION_DAYS):
        problem = "at most a year ahead: a suppression must be reviewed"
    else:
        return expires
    raise ConfigError(where, text, problem)


def _selected(got: Got) -> dict[str, Detection]:
    found = _detections(got["detection_groups"], got["kms_key"], got["engines"], got["sigma_rules"])
    return {d.id: d for d in found}


def _detection(where: str, detection_id: str, got: Got) -> str:
    chosen = _selected(got)
    known = [d.id for d in CATALOG] + [i for i in chosen if i not in {d.id for d in CATALOG}]
    if detection_id not in known:
        problem = f"unknown detection{did_you_mean(detection_id, known)}"
    elif detection_id not in chosen:  # why a known detection is not selected, and how to select it
        entry = next(d for d in CATALOG if d.id == detection_id)
        groups = sorted(entry.groups - {catalog.ALWAYS})
        what = [f"add {' or '.join(repr(g) for g in groups)} to detectionGroups"] if groups else []
        if entry.requires_kms_key:
            what.append("set kmsKey")
        if entry.engine:
            what.append(f"add {entry.engine!r} to alertEngines")
        problem = "not among the selected detections: " + (" and ".join(what) or "not selectable")
    else:
        return detection_id
    raise ConfigError(where, detection_id, problem)


def _detection_schema() -> dict[str, Any]:
    """A catalog id (offered by editors) or a user's Sigma rule's name (rule_files.NAME)."""
    return {
        "anyOf": [
            {"enum": [d.id for d in CATALOG]},
            {"pattern": f"^{rule_files.NAME.pattern}$", "description": "a sigmaRules rule's name"},
        ]
    }


def _critical(where: str, allow: bool, got: Got) -> bool:
    """allowCritical, which a suppression touching a critical detection must set."""
    chosen = _selected(got)
    touched = chosen.values() if got["detections"] == "*" else map(chosen.get, got["detections"])
    critical = [d.id for d in touched if d.severity is Severity.CRITICAL]
    if critical and not allow:
        raise ConfigError(
            got["at"],
            got["given"],
            f'touches critical detections {critical}: set "allowCritical": true if you mean '
            "it (README, Tuning: what it risks)",
        )
    return allow


def _suppression(where: str, item: dict[str, Any], got: Got) -> Suppression:
    # Named by its place in the list, as the key writes it (suppressions[0]) whether it came from
    # cdktf.json or ALERTS_SUPPRESSIONS: the name is in the rules' descriptions.
    return Suppression(
        name="suppressions" + where[where.rindex("[") :],
        detections=None if item["detections"] == "*" else item["detections"],
        # the principals', then the other fields', in their order
        conditions=tuple(v for v in item.values() if isinstance(v, Condition)),
        reason=item["reason"],
        expires=item["expires"],
    )


def _condition(path: tuple[str, ...], item: Kind) -> Many:
    """An optional list of patterns: a condition on ``path``."""

    def condition(where: str, patterns: tuple[str, ...], got: Got) -> Condition:
        return Condition(((path, patterns),))

    return Many(item, condition, least="empty: leave it out instead")


SUPPRESSION = Fields(
    {
        "reason": Text(),
        "expires": Text(_expires, schema={"format": "date"}),
        "detections": Either(
            {
                "*": OneOf(["*"]),
                "ids": Many(
                    Text(_detection, schema=_detection_schema),
                    least='name detections, or "*" for all',
                ),
            },
            lambda value: "*" if value == "*" else "ids",
        ),
        "allowCritical": Flag(_critical),
        "principals": Many(
            Text(*WILDCARD, _principal, schema={"pattern": ecma(PRINCIPAL)}),
            _principals,
            least="name at least one principal: a suppression for everyone is a switch-off",
        ),
        "accounts": _condition(suppressions.ACCOUNT, AWS_ACCOUNT),
        "sourceIps": _condition(suppressions.SOURCE_IP, Text(_source_ip)),
        "invokedBy": _condition(
            suppressions.INVOKED_BY,
            Text(
                *WILDCARD,
                rule(
                    re.compile(r"[a-z0-9*][a-z0-9.*-]*\.amazonaws\.com").fullmatch,
                    "an AWS service principal, e.g. autoscaling.amazonaws.com",
                ),
            ),
        ),
        "userAgents": _condition(suppressions.USER_AGENT, Text(*WILDCARD)),
    },
    _suppression,
    problem='must be {"detections", "principals", "reason", "expires", ...}',
    required=("detections", "principals", "reason", "expires"),
    defaults={"allowCritical": False},
    unknown="unknown field{hint} (expected {names})",
    at_object=True,
)


# ---- organization mode ----

# A role ARN's resource: role/<path/><name>, RoleName [\w+=,.@-]{1,64} (IAM CreateRole,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); the path, which IAM
# allows any printable ASCII, is held to the name's characters here.
ROLE_RESOURCE = re.compile(r"role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
# EventBridge receives a member's API calls only while a trail logs them there: "To record events
# with one of the CloudTrail detail-type values, you must enable a CloudTrail trail with logging"
# (EventBridge guide, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
# An organization trail is one: "a trail with the name that you give it is created in every AWS
# account that belongs to your organization" (CloudTrail guide,
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html).
TRAIL_SOURCE = "EventBridge guide, eb-service-event-cloudtrail.html"


def _role_arn(where: str, role_arn: str, got: Got) -> str:
    arn = _arn(where, role_arn, "must be an IAM role ARN")
    if arn["service"] != "iam" or arn["region"] or not arn["resource"].startswith("role/"):
        problem = "must be an IAM role ARN: arn:<partition>:iam::<account>:role/<name>"
    elif not re.fullmatch(ACCOUNT_ID, arn["account"]) or not ROLE_RESOURCE.fullmatch(
        arn["resource"]
    ):
        problem = (
            "must be an IAM role ARN: arn:<partition>:iam::<account>:role/<path/><name>, the "
            "name of 1 to 64 letters, digits and +=,.@_- (IAM quotas and CreateRole)"
        )
    elif arn["partition"] != _partition(got):
        problem = f"in partition {arn['partition']!r}, not {_partition(got)!r}"
    else:
        return role_arn
    raise ConfigError(where, role_arn, problem)


def _management(where: str, found: dict[str, Any], got: Got) -> Management:
    role_arn = found["roleArn"]
    if role_arn.split(":")[4] == got["securityAccount"]:
        # StackSets' delegated administrator must be a member account, not the management one.
        raise ConfigError(
            f"{where}.roleArn",
            role_arn,
            "is in securityAccount: the security account must be a member account, "
            "registered as the StackSets delegated administrator",
        )
    return Management(role_arn, role_arn.split(":")[4], found["protectForwarding"])


def _units(where: str, units: tuple[str, ...], got: Got) -> tuple[str, ...]:
    # An OU's id carries its root's: ou-<root>-<ou>. One organization has one root.
    roots = {m["root"] or m["ours"] for m in (re.fullmatch(UNIT_ID, unit) for unit in units)}
    root = next((u for u in units if u.startswith("r-")), None)
    if len(roots) > 1:
        problem = f"names OUs of {len(roots)} different roots: {sorted(roots)}"
        raise ConfigError(where, units, problem)
    if root and len(units) > 1:
        raise ConfigError(where, units, f"the root {root} already covers every OU: list it alone")
    return units


def _account_names(where: str, value: Any, got: Got) -> dict[str, str]:
    if not isinstance(value, dict):
        problem = 'must be an object of account ids to names, {"111122223333": "prod"}'
        raise ConfigError(where, value, problem)
    for account, name in value.items():
        AWS_ACCOUNT.parse(f"{where} key", account, got)
        if not ACCOUNT_NAME.fullmatch(Text().parse(f"{where}.{account}", name, got)):
            problem = "1 to 50 printable ASCII characters (Organizations' account name)"
            raise ConfigError(f"{where}.{account}", name, problem)
    return dict(value)


def _organization(where: str, found: dict[str, Any], got: Got) -> Organization:
    trails = found.get("memberTrails", "organization")
    if trails == "organization" and not found["management"]:
        default = "" if "memberTrails" in got["given"] else "(the default) "
        raise ConfigError(
            f"{where}.memberTrails",
            trails,
            f"{default}members' EventBridge receives API calls only from a trail that is logging "
            f"({TRAIL_SOURCE}), and the organization trail is created in the management account: "
            'set organization.management, or "memberTrails": "existing" if every member account '
            "already has a trail that is logging (e.g. AWS Control Tower's organization trail)",
        )
    if EVENTBRIDGE not in got["engines"]:
        raise ConfigError(
            where,
            "...",
            'needs the "eventbridge" alert engine: members forward EventBridge events; a metric '
            "filter sees one account's log group (alertEngines)",
        )
    if got["delivery_mode"] == "central":
        # "If a receiver account sets up a rule that sends events received from a sender account
        # on to a third account, these events are not sent": a member's event reaches the
        # security account's bus in its region and goes no further (EventBridge user guide,
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
        raise ConfigError(
            where,
            "...",
            'delivers per region: with "delivery": "central" a forwarded member event would need '
            "a second hop, which EventBridge does not make; remove delivery",
        )
    return Organization(
        found["securityAccount"],
        found["organizationId"],
        found["organizationalUnits"],
        found["accounts"],
        found["management"],
        trails,
    )


ORGANIZATION = Fields(
    {
        "organizationId": Text(
            pattern=r"o-[a-z0-9]{10,32}",
            problem="an organization id: o- and 10 to 32 lower-case letters or digits",
        ),
        "securityAccount": AWS_ACCOUNT,
        "management": Fields(
            {
                "roleArn": Text(
                    _role_arn, schema={"pattern": f"^arn:[a-z-]+:iam::{ACCOUNT_ID}:role/"}
                ),
                "protectForwarding": Flag(),
            },
            _management,
            problem='must be {"roleArn": ..., "protectForwarding": true | false}',
            required=("roleArn",),
            defaults={"protectForwarding": False},
            exact=True,
            retired={
                "organizationTrail": 'replaced by organization.memberTrails: "organization" (the '
                'default) creates the organization trail, "existing" states that every member '
                "account already has a trail that is logging; remove organizationTrail"
            },
            null=True,
        ),
        "memberTrails": OneOf(
            ("organization", "existing"),
            'must be "organization" (the management stack creates the organization trail) or '
            '"existing" (every member account already has a trail that is logging; '
            f"{TRAIL_SOURCE})",
        ),
        "organizationalUnits": Many(
            Text(pattern=UNIT_ID, problem="an OU id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)"),
            _units,
            least="must name at least one OU (ou-...) or the root (r-...)",
            distinct="duplicate",
        ),
        "accounts": Kind(
            _account_names,
            schema={
                "type": "object",
                "propertyNames": {"pattern": f"^{ACCOUNT_ID}$"},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 50},
            },
        ),
    },
    _organization,
    problem="must be null or an object (README, Organization mode)",
    required=("securityAccount", "organizationId", "organizationalUnits"),
    defaults={"management": None, "accounts": {}},
    null=True,
    # The organization trail (memberTrails "organization", the default) is created in the
    # management account: without "existing", management is required.
    schema={
        "if": {"properties": {"memberTrails": {"const": "existing"}}, "required": ["memberTrails"]},
        "else": {"properties": {"management": {"type": "object"}}, "required": ["management"]},
    },
)


# ---- chat channels ----

# The channel ids' formats: botocore's model of the Chatbot API (CreateSlackChannelConfiguration,
# CreateMicrosoftTeamsChannelConfiguration), not patterns written here: by our name, the
# operation, its member and the provider's argument.
CHAT_FIELDS = {
    "slack": {
        "workspaceId": ("CreateSlackChannelConfiguration", "SlackTeamId", "slack_team_id"),
        "channelId": ("CreateSlackChannelConfiguration", "SlackChannelId", "slack_channel_id"),
    },
    "teams": {
        "teamId": ("CreateMicrosoftTeamsChannelConfiguration", "TeamId", "team_id"),
        "channelId": ("CreateMicrosoftTeamsChannelConfiguration", "ChannelId", "channel_id"),
        "tenantId": ("CreateMicrosoftTeamsChannelConfiguration", "TenantId", "tenant_id"),
    },
}
# The chat integration's API is in us-east-2, us-west-2, eu-west-1 and ap-southeast-1 only
# (https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html); AWS documents no
# endpoint in the China or GovCloud partitions.
CHAT_PARTITION = "aws"
CHAT_ENTRY = 'must be an object with "type": "slack" or "teams"'
# hashicorp/terraform-provider-aws#47039 (open; issues #38943, #45081): the pinned provider finds a
# Teams channel configuration by its team, so a second one in the same team fails ("too many
# results: wanted 1, got N"), drops out of state, and a re-apply gets a 409.
TEAMS_BY_TEAM = "https://github.com/hashicorp/terraform-provider-aws/pull/47039"


@cache
def _chatbot_member(operation: str, member: str) -> dict[str, Any]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("chatbot")
    return model.operation_model(operation).input_shape.members[member].metadata


def _chat_id(operation: str, member: str) -> Text:
    def check(where: str, text: str, got: Got) -> str:
        found = _chatbot_member(operation, member)
        least, most = found.get("min", 1), found.get("max", 10**6)
        if least <= len(text) <= most and re.fullmatch(found["pattern"], text):
            return text
        raise ConfigError(
            where,
            text,
            f"not a {member}: {operation} takes {found['pattern']} "
            f"({least} to {found.get('max')} characters)",
        )

    def schema() -> dict[str, str]:
        return {"pattern": f"^{_chatbot_member(operation, member)['pattern']}$"}

    return Text(check, schema=schema)


def _channel(kind: str) -> Fields:
    ids = CHAT_FIELDS[kind]

    def channel(where: str, found: dict[str, Any], got: Got) -> ChatChannel:
        by_argument = {argument: found[name] for name, (_, _, argument) in ids.items()}
        return ChatChannel(kind, by_argument, Severity(found["minimumSeverity"]))

    return Fields(
        {
            "type": OneOf([kind]),
            **{name: _chat_id(operation, member) for name, (operation, member, _) in ids.items()},
            "minimumSeverity": OneOf([s.value for s in Severity]),
        },
        channel,
        problem=CHAT_ENTRY,
        required=("type", *ids),
        defaults={"minimumSeverity": Severity.LOW.value},
    )


def _chat(where: str, channels: tuple[ChatChannel, ...], got: Got) -> tuple[ChatChannel, ...]:
    partition, teams = _partition(got), [c.ids.get("team_id") for c in channels]
    if channels and partition != CHAT_PARTITION:
        raise ConfigError(
            where,
            got["raw"]["chat"][1],
            f"AWS's chat integration (Amazon Q Developer in chat applications) has no API in "
            f"partition {partition!r}: its API Regions are commercial ones "
            "(https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html)",
        )
    for i, team in enumerate(teams):
        if team and team in teams[:i]:
            raise ConfigError(
                f"{where}[{i}].teamId",
                team,
                "a second channel of this team: the pinned AWS provider cannot manage two Teams "
                f"channel configurations of one team ({TEAMS_BY_TEAM}); route both channels' "
                "severities through one",
            )
    return channels


# ---- athenaTable: the trail bucket's Athena table ----

ATHENA_TABLE = 'must be true, false or {"database": "<Glue database>"}'
# Athena's names: "lower case ... not less than 1 or more than 255 bytes" (ATHENA_NAMES); of
# the UTF-8 Glue takes, the letters, digits and underscore a query names without quoting.
GLUE_DATABASE = Text(
    pattern=rf"[a-z0-9_]{{1,{limits.GLUE_NAME.value}}}",
    problem=f"lower-case letters, digits and underscores, at most {limits.GLUE_NAME.value} "
    f"({limits.ATHENA_NAMES})",
)


# ---- sigmaRules: the user's own Sigma rules ----


def _sigma_rules(where: str, entries: tuple, got: Got) -> tuple[Detection, ...]:
    """The rule files compiled for the configured engines (rule_files.user_rules); what they
    skip is ``sigma_skipped``, the one field a key sets besides its own."""
    try:
        rules, got["sigma_skipped"] = rule_files.user_rules(entries, got["engines"])
    except rule_files.UserRuleError as error:
        raise ConfigError(error.tag, error.value, error.problem) from None
    return rules


def _sigma_files(where: str, path: Any, skip: bool, got: Got) -> tuple[str, list[Path], bool]:
    """An entry as (where, its rule files, skip): a file, or a folder of them, relative to
    cdktf.json's folder."""
    path = Text().parse(where, path, got)
    try:
        return where, rule_files.files_at(got["base"] / path), skip
    except ValueError as error:
        raise ConfigError(where, path, str(error)) from None


SIGMA_RULE = Either(
    {
        "path": Text(lambda where, path, got: _sigma_files(where, path, False, got)),
        "entry": Fields(
            {"path": Kind(schema={"type": "string", "minLength": 1}), "skipRefused": Flag()},
            lambda where, found, got: _sigma_files(where, found["path"], found["skipRefused"], got),
            problem='must be {"path": ..., "skipRefused": true}',
            required=("path",),
            defaults={"skipRefused": False},
            exact=True,
        ),
    },
    lambda value: "entry" if isinstance(value, dict) else "path",
)


# ---- the keys ----

# CloudWatch Logs' retention periods (PutRetentionPolicy, retentionInDays):
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip
DAYS = Whole(1, 36500)


def _code(values: Sequence[Any]) -> str:
    return ", ".join(f"`{getattr(value, 'value', value)}`" for value in values)


@dataclass(frozen=True)
class MonitorConfig:
    """The configuration, validated: one field per key, declared here once, parsed in this order
    (a key's checks see those above it); then what they decide together."""

    home_region: str = key(
        "homeRegion", REGION, "ap-northeast-1", "the trail's home region; its bucket lives here"
    )
    monitored_regions: tuple[str, ...] = key(
        "monitoredRegions",
        Many(
            REGION,
            _with_home,
            least="must name at least one region",
            distinct="duplicate region",
            null=True,
        ),
        None,
        "regions that get the regional detections and a topic; must include `homeRegion`",
        shown='`[homeRegion, "us-east-1"]`',
    )
    engines: tuple[str, ...] = key(
        "alertEngines",
        _choices(catalog.ENGINES, "alert engine", _engines),
        [EVENTBRIDGE],
        f"{_code(catalog.ENGINES)} or both ([Two engines](engines.md)); with "
        f"`{METRIC_FILTERS}` alone, a `monitoredRegions` or `delivery` other than its default is "
        "an error",
        env="ALERTS_ENGINES",
    )
    notification_emails: tuple[str, ...] = key(
        "notificationEmails",
        Many(
            Text(_email, schema={"format": "email"}),
            distinct="duplicate e-mail address",
            same=str.lower,
        ),
        [],
        "one e-mail subscription per address, on every alert and health topic (in the shell, an "
        "empty value for none)",
    )
    # Every topic's: notificationEmails', then these.
    subscriptions: tuple[Subscription, ...] = key(
        "subscriptions",
        Many(
            Fields(
                {
                    "protocol": Text(choices=("email", "email-json", "https", "sqs", "lambda")),
                    "endpoint": Text(_endpoint),
                },
                lambda where, found, got: Subscription(found["protocol"], found["endpoint"]),
                problem='must be {"protocol": ..., "endpoint": ...}',
                required=("protocol", "endpoint"),
                exact=True,
            ),
            _subscriptions,
            problem='must be a list of {"protocol": ..., "endpoint": ...}',
            distinct="duplicate subscription",
        ),
        [],
        'more endpoints on every alert and health topic: `{"protocol": "email" | "email-json" | '
        '"https" | "sqs" | "lambda", "endpoint": ...}`, each validated for its protocol (an '
        "address, an `https://` URL, a queue or function ARN)",
    )
    name_prefix: str = key(
        "namePrefix",
        Text(
            rule(
                # the buckets are named "<namePrefix>-trail-..." and "<namePrefix>-logs-..."
                lambda prefix: not f"{prefix}-".startswith(RESERVED_BUCKET_PREFIXES),
                "S3 reserves bucket names starting with "
                f"{', '.join(RESERVED_BUCKET_PREFIXES)}, and the buckets are named "
                '"<namePrefix>-trail-..." and "<namePrefix>-logs-..."',
            ),
            most=MAX_NAME_PREFIX,
            pattern=r"[a-z][a-z0-9]*(-[a-z0-9]+)*",  # valid in S3 bucket, topic, trail, rule names
            problem="lower-case letters, digits and single hyphens, starting with a letter",
        ),
        "api-alerts",
        "starts every name (trail, bucket, topics, queue, rules); lower-case letters, digits, "
        "single hyphens, at most 25 characters (the longest rule name, "
        "`<namePrefix>-monitor-trail-selectors-changed-failed`, must fit EventBridge's 64)",
    )
    tags: Mapping[str, str] = key(
        "tags",
        Kind(
            _tags,
            schema={
                "type": "object",
                # Project in any case (IAM takes names case-insensitively), aws: in any case,
                # outer spaces: refused as _tags does.
                "propertyNames": {
                    "minLength": 1,
                    "maxLength": 128,
                    "not": {"pattern": "^[Pp][Rr][Oo][Jj][Ee][Cc][Tt]$|^[Aa][Ww][Ss]:|^\\s|\\s$"},
                },
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 256},
            },
        ),
        {},
        f"added to every resource; `{PROJECT_TAG}` is taken",
    )
    detection_groups: tuple[str, ...] = key(
        "detectionGroups",
        _choices(catalog.GROUPS, "detection group"),
        list(catalog.DEFAULT_GROUPS),
        f"which detections: {_code(catalog.GROUPS)} ([Attack techniques](detections.md#attack-techniques))",
    )
    # "per-region": a topic per region; "central": forward to the home topic.
    delivery_mode: str = key(
        "delivery",
        Text(choices=("per-region", "central")),
        "per-region",
        "`per-region`: a topic per region; `central`: one topic, in the home region",
    )
    kms_key: bool = key(
        "kmsKey",
        Flag(),
        False,
        "a customer managed key per region for the trail and the alert topic",
    )
    log_archive_after_days: int = key(
        "logArchiveAfterDays",
        DAYS,
        90,
        "trail log files over 128 KB move to Glacier Instant Retrieval after this many days",
    )
    object_lock: ObjectLock | None = key(
        "objectLock",
        Fields(
            {
                "mode": OneOf(("GOVERNANCE", "COMPLIANCE"), "expected GOVERNANCE or COMPLIANCE"),
                "days": DAYS,
            },
            lambda where, found, got: ObjectLock(**found),
            problem='must be null or {"mode": "GOVERNANCE" | "COMPLIANCE", "days": N}',
            required=("mode", "days"),
            exact=True,
            null=True,
        ),
        None,
        '`{"mode": "GOVERNANCE" | "COMPLIANCE", "days": N}`: WORM retention of the trail logs',
    )
    state_backend: StateBackend | None = key(  # None: local state files in the project folder
        "stateBackend",
        Fields(
            {
                "type": OneOf(("s3",), 'only "s3" is supported'),
                "bucket": BUCKET_NAME,
                "keyPrefix": KEY_PREFIX,
                "region": REGION,
                "lockfile": Flag(),
            },
            lambda where, found, got: StateBackend(
                found["bucket"], found["keyPrefix"], found["region"], found["lockfile"]
            ),
            problem='must be null or {"type": "s3", "bucket", "region"[, "keyPrefix", "lockfile"]}',
            required=("type", "bucket", "region"),
            defaults={"keyPrefix": "api-call-alerts", "lockfile": True},
            exact=True,
            null=True,
        ),
        None,
        "remote state in S3, see [Remote state](#remote-state); the bucket name must follow S3's "
        "naming rules",
    )
    prevent_destroy: bool = key(
        "preventDestroy",
        Flag(),
        True,
        "Terraform's `prevent_destroy` on the trail, its buckets and the KMS key; `false` only for "
        "a deliberate [teardown](teardown.md)",
    )
    organization: Organization | None = key(  # None: this account only
        "organization",
        ORGANIZATION,
        None,
        "every account of an AWS Organization: `securityAccount`, `organizationId`, "
        "`organizationalUnits`, optional `accounts` (id to name), `memberTrails` "
        '(`"organization"`, the default, or `"existing"`) and `management` (`roleArn`, '
        "`protectForwarding`) ([Organization mode](organization.md))",
    )
    chat: tuple[ChatChannel, ...] = key(
        "chat",
        Many(
            Either(
                {kind: _channel(kind) for kind in CHAT_FIELDS},
                lambda entry: entry.get("type") if isinstance(entry, dict) else None,
                problem=CHAT_ENTRY,
            ),
            _chat,
            problem='must be a list of {"type": "slack" | "teams", ...}',
            distinct="the same channel twice",
            same=lambda channel: (channel.kind, sorted(channel.ids.items())),
        ),
        [],
        "Slack (`workspaceId`, `channelId`) and Microsoft Teams (`teamId`, `channelId`, "
        f"`tenantId`) channels, each with `minimumSeverity` ({_code(list(Severity)[:-1])} or "
        f"`{Severity.LOW.value}`, the default) ([Chat](chat.md))",
    )
    log_retention_days: int = key(  # the trail's CloudWatch Logs log group (metric-filter engine)
        "logRetentionDays",
        OneOf(
            LOG_RETENTION_DAYS,
            f"CloudWatch Logs keeps logs for one of {list(LOG_RETENTION_DAYS)} days",
            shell="number",
        ),
        365,  # a year: Security Hub's CloudWatch.16 and checkov CKV_AWS_338 ask for at least that
        "days the metric-filter engine's log group keeps records: one of CloudWatch Logs' periods "
        f"({', '.join(map(str, LOG_RETENTION_DAYS))}; [PutRetentionPolicy]"
        "(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html))",
    )
    # The Glue database of the trail bucket's Athena table (constructs_lib/trail); None: no table.
    athena_database: str | None = key(
        "athenaTable",
        Either(
            {
                "switch": Flag(
                    lambda where, on, got: database_name(got["name_prefix"]) if on else None
                ),
                "null": Kind(schema={"type": "null"}),
                "database": Fields(
                    {"database": GLUE_DATABASE},
                    lambda where, found, got: found["database"],
                    problem=ATHENA_TABLE,
                    required=("database",),
                    exact=True,
                ),
            },
            lambda value: {bool: "switch", type(None): "null", dict: "database"}.get(type(value)),
            problem=ATHENA_TABLE,
        ),
        False,
        "the trail bucket's Athena table for `make replay ARGS=--athena`: `true` (database "
        '`<namePrefix>` with underscores) or `{"database": "name"}` (lower-case letters, digits, '
        f"underscores, at most {limits.GLUE_NAME.value}); in organization mode also the "
        "organization trail's, in the management stack ([the whole organization's history]"
        "(tuning.md#the-whole-organizations-history-athena))",
    )
    # The user's own Sigma rules as detections, each for the engines that run it exactly.
    sigma_rules: tuple[Detection, ...] = key(
        "sigmaRules",
        Many(
            SIGMA_RULE,
            _sigma_rules,
            problem='a list of paths, or of {"path": ..., "skipRefused": true}',
        ),
        [],
        "your own Sigma rules: files, or folders of `*.yml`, relative to `cdktf.json`; an entry "
        '`{"path": ..., "skipRefused": true}` leaves a rule an engine cannot run exactly out of '
        "that engine and reports it instead of stopping ([Sigma rules](sigma.md))",
    )
    # Accounts a shared snapshot or image, or a function's grant, may name without an alert
    # (attack group), besides the account itself.
    trusted_accounts: tuple[str, ...] = key(
        "trustedAccounts",
        Many(AWS_ACCOUNT, distinct="duplicate"),
        [],
        "account ids (your organization's) that a shared AMI, EBS or RDS snapshot may name "
        "without an `attack` alert; the account itself always may "
        "([Attack techniques](detections.md#attack-techniques))",
    )
    known_noise: tuple[Suppression, ...] = key(  # also the last of suppressions
        "knownNoise",
        Many(
            Text(
                lambda where, name, got: KNOWN_NOISE[name].suppression,
                choices=sorted(KNOWN_NOISE),
                noun="",
            ),
            distinct="duplicate",
        ),
        [],
        f"built-in suppressions: {_code(KNOWN_NOISE)} ([Tuning](tuning.md))",
    )
    suppressions: tuple[Suppression, ...] = key(  # these, then knownNoise's
        "suppressions",
        Many(
            SUPPRESSION,
            lambda where, found, got: found + got["known_noise"],
            problem="must be a list of suppressions",
        ),
        [],
        "events detections do not alert on, each with a reason and an expiry ([Tuning](tuning.md))",
    )
    partition: str  # derived from the regions, e.g. "aws"
    partition_regions: frozenset[str]
    global_region: str  # where the partition delivers IAM and root sign-in events
    # One line per sigmaRules rule, or rule and engine, skipped as the configuration allows.
    sigma_skipped: tuple[str, ...] = ()
    # A digest of everything here that decides what is synthesized (the account names, which
    # only make replay reads, aside): the synthesis records it, and the operator commands refuse
    # stacks of another configuration.
    fingerprint: str = ""

    @property
    def default_tags(self) -> dict[str, str]:
        return {PROJECT_TAG: self.name_prefix, **self.tags}

    @property
    def detections(self) -> tuple[Detection, ...]:
        """The catalog's selected entries, then the user's Sigma rules (sigmaRules)."""
        return _detections(self.detection_groups, self.kms_key, self.engines, self.sigma_rules)

    @property
    def eventbridge_detections(self) -> tuple[Detection, ...]:
        """What the EventBridge engine runs: every selected entry but the thresholds, which
        only a metric filter's alarm can count."""
        if EVENTBRIDGE not in self.engines:
            return ()
        return tuple(d for d in self.detections if d.engine != METRIC_FILTERS)

    @property
    def metric_filter_detections(self) -> tuple[Detection, ...]:
        """What the metric-filter engine counts: every selected entry a filter can express."""
        if METRIC_FILTERS not in self.engines:
            return ()
        return tuple(d for d in self.detections if d.log_filter or d.cis_control)

    @property
    def compiled_summary(self) -> str:
        """One line: the Sigma rules compiled per engine (make synth prints it)."""
        mine = {d.id for d in self.sigma_rules}
        counts = [
            f"{len(found)} to {what}" + (f" ({len(mine & found)} of sigmaRules)" if mine else "")
            for engine, what, found in (
                (EVENTBRIDGE, "EventBridge", {d.id for d in self.eventbridge_detections}),
                (
                    METRIC_FILTERS,
                    "CloudWatch Logs metric filters",
                    {d.id for d in self.metric_filter_detections},
                ),
            )
            if engine in self.engines
        ]
        skipped = f"; {len(self.sigma_skipped)} skipped" if self.sigma_skipped else ""
        return f"Sigma rules compiled: {', '.join(counts)}{skipped}"

    def pattern_names(self, account_id: str) -> dict[str, str | tuple[str, ...]]:
        """What fills a pattern's or filter's account placeholders: ``account_id`` (a Terraform
        reference in a stack) and the trusted accounts."""
        return {catalog.ACCOUNT_ID: account_id, catalog.TRUSTED_ACCOUNTS: self.trusted_accounts}

    def region_plans(self) -> tuple[RegionPlan, ...]:
        """One plan per stack (stacks/region_plan.py)."""
        from stacks.region_plan import region_plans

        return region_plans(self)


KEYS = declared(MonitorConfig)
DEFAULTS = {k.name: k.default for k in KEYS}


def _detections(
    groups: Sequence[str], kms_key: bool, engines: Sequence[str], sigma_rules: Sequence[Detection]
) -> tuple[Detection, ...]:
    mine = (
        d
        for d in sigma_rules
        if (kms_key or not d.requires_kms_key) and d.engine in (None, *engines)
    )
    return catalog.selected(groups, kms_key=kms_key, engines=engines) + tuple(mine)


# cdktf.json's own keys (the cdktf CLI's configuration), besides "context":
# https://developer.hashicorp.com/terraform/cdktf/create-and-deploy/configuration-file
CDKTF_KEYS = frozenset(
    {
        "$schema",
        "app",
        "language",
        "output",
        "codeMakerOutput",
        "projectId",
        "sendCrashReports",
        "terraformProviders",
        "terraformModules",
        "excludeStackIdsFromLogicalIds",
        "allowSepCharsInLogicalIds",
    }
)


def json_schema() -> dict[str, Any]:
    """cdktf.schema.json: what editors check cdktf.json with (scripts/config_reference.py)."""
    return json_schema_of(KEYS, "cdktf.json of the API-call alerting app", CDKTF_KEYS)


def configuration_reference() -> str:
    """The configuration reference's table, one row per key."""
    return reference_table(KEYS)


def read_context(cdktf_json: Path) -> dict[str, Any]:
    """The ``context`` object of cdktf.json, refusing settings the app would never see."""
    try:
        document = json.loads(cdktf_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("cdktf.json", str(cdktf_json), "file not found") from None
    except json.JSONDecodeError as error:
        raise ConfigError("cdktf.json", str(cdktf_json), f"not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ConfigError("cdktf.json", str(cdktf_json), "must be a JSON object")
    ours = {key.name for key in KEYS}
    for name, value in document.items():
        if name == "context" or name in CDKTF_KEYS:
            continue
        if name.lower() == "context":
            raise ConfigError(name, value, 'settings go in "context", lower case; this is ignored')
        close = difflib.get_close_matches(name, sorted(ours), n=1, cutoff=0.75)
        if name in ours or close:
            where = name if name in ours else close[0]
            problem = f'belongs inside "context" as {where!r}; at the top level it is ignored'
            raise ConfigError(name, value, problem)
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise ConfigError("context", context, "must be an object")
    return context


def parse_config(
    context: Mapping[str, Any],
    environ: Mapping[str, str],
    today: date | None = None,
    base: Path | None = None,
) -> MonitorConfig:
    """Validate the context, with shell overrides applied, into a MonitorConfig.

    ``today`` (default: the local date) decides which suppressions have expired; ``base``
    (default: the working folder) is where sigmaRules' relative paths start, cdktf.json's folder.
    """
    known = {k.name for k in KEYS}
    for name in context:
        if name not in known:
            problem = f"unknown key{did_you_mean(name, known)} (expected one of {sorted(known)})"
            raise ConfigError(name, context[name], problem)
    variables = {k.env for k in KEYS}  # any other ALERTS_ variable is a typo
    for name in environ:
        if name.startswith("ALERTS_") and name not in variables:
            raise ConfigError(
                name,
                environ[name],
                f"unknown variable{did_you_mean(name, variables)} (expected one of "
                f"{sorted(variables)})",
            )
    raw = {}  # name -> (where it came from, value)
    for k in KEYS:
        if k.env in environ:
            raw[k.name] = (k.env, k.from_env(environ[k.env]))
        else:
            raw[k.name] = (k.name, context.get(k.name, k.default))
    found: dict[str, Any] = {}  # MonitorConfig's fields, key by key
    inputs = {
        "raw": raw,
        "context": context,
        "today": today or date.today(),
        "base": base or Path.cwd(),
    }
    got = ChainMap(found, inputs)
    for k in KEYS:
        found[k.field] = k.kind.parse(*raw[k.name], got)
    if found["monitored_regions"] is None:
        found["monitored_regions"] = tuple(_default_regions(got))
    partition = regions.partition_of(found["home_region"])
    settings = MonitorConfig(
        **found,
        partition=partition["partition"],
        partition_regions=frozenset(partition["regions"]),
        global_region=regions.global_region(partition),
    )
    _check_rule_names(settings, raw["namePrefix"][0])
    _check_trusted_patterns(settings, raw["trustedAccounts"][0])
    settings = replace(settings, fingerprint=_fingerprint(settings))
    _check_suppressed_patterns(settings, raw["suppressions"][0], raw["knownNoise"][0])
    return settings


def load_config(cdktf_json: Path, environ: Mapping[str, str]) -> MonitorConfig:
    return parse_config(read_context(cdktf_json), environ, base=cdktf_json.resolve().parent)


def _fingerprint(settings: MonitorConfig) -> str:
    organization = settings.organization
    if organization:
        settings = replace(settings, organization=replace(organization, accounts={}))
    canonical = _canonical(replace(settings, fingerprint=""))
    del canonical["known_noise"]  # in suppressions
    for name in ("sigma_rules", "sigma_skipped"):  # absent when unused: fingerprints stay as were
        if not canonical[name]:
            del canonical[name]
    text = json.dumps(canonical, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """A value as plain JSON, the same in every process (sets sorted, enums by value)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _canonical(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(_canonical(item) for item in value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


# ---- what the keys decide together: EventBridge's and CloudWatch Logs' limits ----


def _check_rule_names(settings: MonitorConfig, where: str) -> None:
    """Every rule's name, "<namePrefix>-<rule id>", fits EventBridge's 64 characters (PutRule)."""
    rules = {v.id for plan in settings.region_plans() for d in plan.local for v in rule_variants(d)}
    longest = max(rules, key=len, default="")
    most = limits.RULE_NAME.value - 1 - len(longest)
    if len(settings.name_prefix) > most:
        raise ConfigError(
            where,
            settings.name_prefix,
            f"at most {most} characters with these detections: the rule "
            f"{settings.name_prefix}-{longest.replace('_', '-')} would be "
            f"{len(settings.name_prefix) + 1 + len(longest)} characters, and EventBridge takes "
            f"{limits.RULE_NAME.value} ({limits.PUT_RULE})"
            + (
                "; or give that sigmaRules rule a shorter Sigma name"
                if detection_id_of(longest) in {d.id for d in settings.sigma_rules}
                else ""
            ),
        )


def _check_suppressed_patterns(settings: MonitorConfig, where: str, noise_where: str) -> None:
    """Every narrowed rule fits EventBridge (size, description, wildcards per pattern and rules
    with wildcards per bus), and every narrowed filter fits CloudWatch Logs. An error names
    knownNoise when only its suppressions are at fault."""
    if not settings.suppressions:
        return
    noise = {s.name for s in settings.known_noise}

    def refuse(named: list[str], problem: str) -> ConfigError:
        return ConfigError(noise_where if set(named) <= noise else where, named, problem)

    names = {
        catalog.KEY_ID: "1234abcd-12ab-34cd-56ef-1234567890ab",
        catalog.KEY_ARN: f"arn:{settings.partition}:kms:{settings.home_region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        **settings.pattern_names("111122223333"),
    }
    if EVENTBRIDGE in settings.engines:
        _check_wildcard_rules(settings, where, names, refuse)
    for detection in settings.detections:
        mine = tuple(s for s in settings.suppressions if s.applies_to(detection.id))
        if not mine:
            continue
        runs_rules = detection in settings.eventbridge_detections
        for variant in rule_variants(detection, mine) if runs_rules else ():
            pattern = _narrowed(variant, settings.name_prefix, names, where, mine)
            size = len(json.dumps(pattern))
            if size > limits.EVENT_PATTERN.value:
                raise refuse(
                    [s.name for s in mine],
                    f"{variant.id}'s pattern would be {size} characters with its suppressions; "
                    f"EventBridge takes {limits.EVENT_PATTERN.value} "
                    f"({limits.EVENTBRIDGE_QUOTAS}): split or shorten them",
                )
            score = limits.complexity(pattern)
            if score > limits.COMPLEXITY.value:
                raise refuse(
                    [s.name for s in mine],
                    f"{variant.id}'s pattern would score {score} in EventBridge's wildcard "
                    f"complexity, over the {limits.COMPLEXITY.value} known to be accepted: "
                    f'EventBridge refuses a rule "too complex" ({limits.WILDCARD_COMPLEXITY}). '
                    "Exact values, or one leading or trailing *, cost nothing",
                )
            if len(variant.description) > limits.RULE_DESCRIPTION.value:
                raise refuse(
                    [s.name for s in mine],
                    f"{variant.id}'s description would be {len(variant.description)} characters; "
                    f"EventBridge takes {limits.RULE_DESCRIPTION.value}: shorten the reasons",
                )
        if METRIC_FILTERS in settings.engines and detection in settings.metric_filter_detections:
            if detection.cis_control:
                raise refuse(
                    [s.name for s in mine],
                    f"{detection.id} is counted by {detection.cis_control}'s exact CIS filter, "
                    "to which Security Hub allows no added term: the metric-filter engine cannot "
                    "suppress it",
                )
            text = suppressions.narrowed_filter(
                detection.metric_filter(settings.name_prefix, names).pattern, mine
            )
            if len(text) > limits.FILTER_PATTERN.value:
                raise refuse(
                    [s.name for s in mine],
                    f"{detection.id}'s filter would be {len(text)} characters; "
                    f"CloudWatch Logs takes {limits.FILTER_PATTERN.value}",
                )


def _narrowed(
    variant: RuleVariant,
    name_prefix: str,
    names: Mapping[str, str],
    where: str,
    mine: Sequence[Suppression],
) -> dict[str, Any]:
    try:
        return variant.event_pattern(name_prefix, names)
    except suppressions.InexpressibleError as error:
        problem = f"{variant.detection.id}: {error}"
        raise ConfigError(where, [s.name for s in mine], problem) from None


def _check_wildcard_rules(
    settings: MonitorConfig,
    where: str,
    names: Mapping[str, str],
    refuse: Callable[[list[str], str], ConfigError],
) -> None:
    """No bus gets more rules with wildcards than EventBridge takes (30, not adjustable)."""
    quota = limits.WILDCARD_RULES_PER_BUS
    organization_bus = settings.organization is not None
    for plan in settings.region_plans():
        on_organization_bus = {d.id for d in forwarded(plan.local)} if organization_bus else set()
        buses: dict[str, list[str]] = {}
        widened: dict[str, set[str]] = {}
        for detection in plan.local:
            bus = "organization" if detection.id in on_organization_bus else "default"
            own = limits.wildcards(detection.pattern) > 0
            for variant in rule_variants(detection, settings.suppressions):
                widens = bool(variant.active_suppressions) and not own
                if widens:
                    pattern = _narrowed(variant, settings.name_prefix, names, where, ())
                    widens = limits.wildcards(pattern) > 0
                if own or widens:
                    buses.setdefault(bus, []).append(variant.id)
                if widens:
                    widened.setdefault(bus, set()).update(
                        s.name for s in variant.active_suppressions
                    )
        for bus, rules in buses.items():
            if len(rules) > quota.value:
                raise refuse(
                    sorted(widened.get(bus, ())),
                    f"{plan.region}'s {bus} event bus would hold {len(rules)} rules containing "
                    f"wildcards; EventBridge takes {quota.value} per bus, not adjustable "
                    f"({quota.source}): these suppressions add wildcards to rules without any. "
                    "Exact values, or one leading or trailing *, need none; or name fewer "
                    "detections",
                )


def _check_trusted_patterns(settings: MonitorConfig, where: str) -> None:
    """The trusted accounts, written into the attack group's patterns, leave them within
    EventBridge's 2,048 characters (a Terraform reference stands for the account itself)."""
    names = settings.pattern_names(
        "${data.aws_caller_identity.region_account_account_0123abcd.account_id}"
    )
    for detection in settings.eventbridge_detections:
        for variant in rule_variants(detection):
            size = len(variant.event_pattern_json(settings.name_prefix, names))
            if size > limits.EVENT_PATTERN.value:
                raise ConfigError(
                    where,
                    list(settings.trusted_accounts),
                    f"{len(settings.trusted_accounts)} accounts make {variant.id}'s pattern "
                    f"{size} characters; EventBridge takes {limits.EVENT_PATTERN.value}",
                )
