"""The detection catalog: what to match, why it matters, how severe, where AWS delivers it.

Plain data, no AWS objects. The rule construct turns an entry into an
``aws_cloudwatch_event_rule`` + target; the configuration places entries in regions by delivery
and selects them by group.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from constructs_lib.attack import STRATUS, TACTICS, TECHNIQUES

API_CALL = "AWS API Call via CloudTrail"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
# Stands for the configured namePrefix in "self" patterns, which match our own resource names.
NAME_PREFIX = "{namePrefix}"
# Stand for the region's KMS key (kmsKey), known only to Terraform: its id and ARN.
KEY_ID = "{keyId}"
KEY_ARN = "{keyArn}"
# Stands for the deploying account's id, known only to Terraform (its caller identity).
ACCOUNT_ID = "{accountId}"
# In a list of a pattern, stands for the configured trustedAccounts: one element per account
# (a string holding it, such as "arn:*:iam::{trustedAccounts}:*", becomes one per account).
TRUSTED_ACCOUNTS = "{trustedAccounts}"
# The suffix of the health topic's name (<namePrefix>-health), which the delivery alarms notify.
HEALTH_TOPIC_SUFFIX = "-health"
# The chat topics: <namePrefix>-chat-<severity> (chat_channels.chat_topic_name).
CHAT_TOPIC_INFIX = "-chat-"

# Where IAM-user console sign-ins are recorded besides the regional sign-in endpoints' regions:
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
SIGN_IN_REGIONS = ("us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2")

# Security Hub's CIS controls, whose metric filters the "cis" entries translate:
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
CIS = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"

# The metric filter each CIS control prescribes, byte for byte: Security Hub's check "fails if the
# exact metric filters prescribed by CIS are not used. Additional fields or terms cannot be added".
# Copied from the page's source, awsdocs/aws-security-hub-user-guide doc_source/cloudwatch-controls.md
# at 47bfe2f (the section of each control, "Copy the following pattern"); the live page is CIS#cloudwatch-N.
CIS_FILTERS: Mapping[str, str] = MappingProxyType(
    {
        "CloudWatch.1": '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
        "CloudWatch.2": '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
        "CloudWatch.3": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        "CloudWatch.4": "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}",
        "CloudWatch.5": "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
        "CloudWatch.6": '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
        "CloudWatch.7": "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}",
        "CloudWatch.8": "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}",
        "CloudWatch.9": "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
        "CloudWatch.10": "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}",
        "CloudWatch.11": "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}",
        "CloudWatch.12": "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
        "CloudWatch.13": "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}",
        "CloudWatch.14": "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
    }
)
CIS_STANDARD = "CIS "  # a standards entry "CIS CloudWatch.N" names the control CloudWatch.N

# The two ways to run the catalog (alertEngines): EventBridge rules on CloudTrail events, and
# CloudWatch Logs metric filters on the trail's log group, each with an alarm.
EVENTBRIDGE = "eventbridge"
METRIC_FILTERS = "metric-filters"
ENGINES = (EVENTBRIDGE, METRIC_FILTERS)

GROUPS = ("original", "cis", "self", "attack")
DEFAULT_GROUPS = ("original", "self")
ALWAYS = "always"  # entries every deployment has, whatever the groups: the self-test


class Delivery(Enum):
    """Where EventBridge receives the events a detection matches, hence where its rule must live."""

    # IAM, STS global endpoint and root console sign-in events reach EventBridge only in the partition's
    # global region (us-east-1): https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
    GLOBAL = "us-east-1 only"
    # Every other API call reaches EventBridge only in the region where it was made.
    REGIONAL = "every monitored region"
    # Calls to any service, IAM included: every monitored region and us-east-1.
    REGIONAL_AND_GLOBAL = "every monitored region and us-east-1"
    # Console sign-ins: SIGN_IN_REGIONS and every monitored region (regional sign-in endpoints).
    SIGN_IN = "sign-in regions and every monitored region"
    # Calls on the trail and its bucket, which live in the home region.
    HOME = "home region"
    # Calls on our rules and topics, which live in every deployed region.
    EVERY_STACK = "every deployed region"


class Severity(Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


Names = Mapping[str, "str | tuple[str, ...]"]


def _thaw(value: Any, names: Names) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item, names) for key, item in value.items()}
    if isinstance(value, tuple):
        thawed = []
        for item in value:
            lists = [
                p
                for p, v in names.items()
                if not isinstance(v, str) and isinstance(item, str) and p in item
            ]
            if not lists:
                thawed.append(_thaw(item, names))
                continue
            # A list's element naming a list-valued placeholder: one element per value.
            (placeholder,) = lists
            thawed += [_thaw(item.replace(placeholder, one), names) for one in names[placeholder]]
        return thawed
    if isinstance(value, str):
        for placeholder, name in names.items():
            if isinstance(name, str):
                value = value.replace(placeholder, name)
        return value
    return value


@dataclass(frozen=True)
class Detection:
    """One detection: an EventBridge pattern over CloudTrail events, with why it matters."""

    id: str  # snake_case; the rule's construct id, Terraform resource name and test name
    title: str
    rationale: str  # why it matters, one or two sentences
    delivery: Delivery
    severity: Severity
    pattern: Mapping[str, Any]  # the EventBridge event pattern; NAME_PREFIX marks our names
    groups: frozenset[str] = frozenset({"original"})
    standards: tuple[str, ...] = ()  # e.g. ("CIS CloudWatch.4",)
    note: str = ""  # what EventBridge cannot see that the CIS metric filter would
    # Extra lines for the alert message: label -> JSON path in the event (key request parameters),
    # in dot notation (an array's enclosing object, never an index: see alert_message.py); or a
    # tuple of paths of which an event carries at most one, shown side by side on one line.
    alert_fields: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Also delivered, in every deployed region, to the health topic, which depends on neither the
    # alert topic nor the KMS key: for changes that could stop the alert topic delivering them.
    to_health_topic: bool = False
    requires_kms_key: bool = False  # matches the region's KMS key: only with kmsKey
    # The CloudWatch Logs filter pattern over the CloudTrail record (NAME_PREFIX, KEY_ID and KEY_ARN
    # as in ``pattern``), for entries without a CIS control, whose filter is CIS_FILTERS'; or, in
    # ``no_log_filter``, why a metric filter cannot express the detection.
    log_filter: str = ""
    no_log_filter: str = ""
    # The engine whose resources the entry watches (a "self" detection), or the only engine that
    # can run it (a threshold: EventBridge matches events one at a time and cannot count);
    # None: any engine.
    engine: str | None = None
    # MITRE ATT&CK "tactic:technique" pairs (attack.py names them), e.g. ("TA0005:T1562.008",).
    attack: tuple[str, ...] = ()
    # Stratus Red Team techniques whose published detonation this detection alerts on
    # (`make coverage` replays them; tests/test_coverage.py holds every claim to it).
    stratus: tuple[str, ...] = ()
    # Matches read-only management events, which EventBridge delivers only to rules in state
    # ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS ("Receiving read-only management events",
    # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html):
    # its rules are in that state.
    read_only: bool = False
    # Alerts on a count of matching records within one period, not on one: only the metric-filter
    # engine's alarm can count (engine must be METRIC_FILTERS).
    threshold: Threshold | None = None

    def __post_init__(self) -> None:
        # A deep, read-only copy: nothing can edit an entry after the fact.
        object.__setattr__(self, "pattern", _freeze(self.pattern))
        object.__setattr__(self, "groups", frozenset(self.groups))
        object.__setattr__(self, "alert_fields", MappingProxyType(dict(self.alert_fields)))
        unknown = self.groups - {*GROUPS, ALWAYS}
        if unknown:
            raise ValueError(f"{self.id}: unknown groups {sorted(unknown)}")
        forms = [bool(self.cis_control), bool(self.log_filter), bool(self.no_log_filter)]
        if forms.count(True) != 1:
            raise ValueError(
                f"{self.id}: needs exactly one of a CIS control, log_filter or no_log_filter"
            )
        if self.engine not in (None, *ENGINES):
            raise ValueError(f"{self.id}: unknown engine {self.engine!r}")
        object.__setattr__(self, "attack", tuple(self.attack))
        object.__setattr__(self, "stratus", tuple(self.stratus))
        for pair in self.attack:
            tactic, _, technique = pair.partition(":")
            if tactic not in TACTICS or technique not in TECHNIQUES:
                raise ValueError(f"{self.id}: unknown ATT&CK pair {pair!r} (attack.py)")
        unknown_techniques = set(self.stratus) - set(STRATUS)
        if unknown_techniques:
            raise ValueError(f"{self.id}: unknown Stratus techniques {sorted(unknown_techniques)}")
        if self.threshold and (self.engine != METRIC_FILTERS or not self.log_filter):
            raise ValueError(
                f"{self.id}: a threshold needs its own log_filter and the metric filters"
            )

    def event_pattern(self, name_prefix: str, names: Names | None = None) -> dict[str, Any]:
        """The EventBridge event pattern for a deployment named ``name_prefix``, as a fresh dict.

        ``names`` fills other placeholders (KEY_ID, KEY_ARN) with values or Terraform references.
        """
        return _thaw(self.pattern, {NAME_PREFIX: name_prefix, **(names or {})})

    def event_pattern_json(self, name_prefix: str, names: Names | None = None) -> str:
        return json.dumps(self.event_pattern(name_prefix, names))

    @property
    def description(self) -> str:
        """The rule description EventBridge shows (at most 512 characters)."""
        return f"[{self.severity.value}] {self.title}. {self.rationale}"

    @property
    def cis_control(self) -> str | None:
        """The Security Hub control (CloudWatch.N) whose exact metric filter counts this entry."""
        for standard in self.standards:
            control = standard.removeprefix(CIS_STANDARD)
            if control in CIS_FILTERS:
                return control
        return None

    def metric_filter(self, name_prefix: str, names: Names | None = None) -> MetricFilter | None:
        """The metric filter that counts this entry's events in the trail's log group, if any.

        Entries mapped to a CIS control share that control's exact filter, named after it.
        """
        control = self.cis_control
        if control:
            return MetricFilter(
                id=control.lower().replace(".", "_"), pattern=CIS_FILTERS[control], control=control
            )
        if not self.log_filter:
            return None
        return MetricFilter(
            id=self.id, pattern=_thaw(self.log_filter, {NAME_PREFIX: name_prefix, **(names or {})})
        )

    @property
    def event_names(self) -> tuple[str, ...]:
        names = self.pattern.get("detail", {}).get("eventName", ())
        return tuple(name for name in names if isinstance(name, str))


@dataclass(frozen=True)
class Threshold:
    """Alarm when the metric filter counts ``count`` or more records within one ``period``.

    The alarm sums the filter's metric over ``period`` seconds (one evaluation period) and
    compares it with ``count`` (PutMetricAlarm: Period 10, 30 or a multiple of 60 seconds;
    Threshold; https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
    Periods are aligned to the clock, so a burst that straddles two periods is split between them.
    """

    count: int
    period: int = 300

    def __post_init__(self) -> None:
        if self.count < 2 or not (self.period in (10, 30) or self.period % 60 == 0):
            raise ValueError(f"threshold {self.count} in {self.period} s")

    @property
    def phrase(self) -> str:
        return f"{self.count} or more in {self.period // 60} minutes"


@dataclass(frozen=True)
class MetricFilter:
    """A CloudWatch Logs filter pattern over CloudTrail records, and the metric it counts into."""

    id: str  # "cloudwatch_4" for a CIS control's filter, else the detection id
    pattern: str
    control: str | None = None  # the Security Hub control it satisfies, if any

    @property
    def metric_name(self) -> str:
        """Stable and documented: CloudWatch.4 for a CIS control's, the detection id otherwise."""
        return self.control or self.id


def api_call_filter(service: str, *event_names: str, where: str = "") -> str:
    """A CloudWatch Logs filter pattern for these API calls of one service (as ``api_call``),
    narrowed by ``where``, another filter expression."""
    names = " || ".join(f'($.eventName = "{name}")' for name in event_names)
    parts = [f'($.eventSource = "{service}.amazonaws.com")', f"({names})"]
    if where:
        parts.append(f"({where})")
    return "{ " + " && ".join(parts) + " }"


def api_call(service: str, *event_names: str, **detail: Any) -> dict[str, Any]:
    """A pattern for these API calls of one service, succeeded or failed."""
    return {
        "source": [f"aws.{service}"],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": [f"{service}.amazonaws.com"],
            "eventName": list(event_names),
            **detail,
        },
    }


def console_sign_in(**detail: Any) -> dict[str, Any]:
    return {
        "source": ["aws.signin"],
        "detail-type": [CONSOLE_SIGN_IN],
        "detail": {"eventName": ["ConsoleLogin"], **detail},
    }


# CloudWatch Logs calls on the trail's log group, and CloudWatch calls on alarms, that can stop
# the metric-filter engine or the delivery alarms.
LOG_GROUP_CALLS = (
    "DeleteLogGroup",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "AssociateKmsKey",
    "DisassociateKmsKey",
    "PutMetricFilter",
    "DeleteMetricFilter",
)
ALARM_CALLS = ("PutMetricAlarm", "DeleteAlarms", "DisableAlarmActions")
ALARM_NAMES_CHECKED = 5

# The calls each self detection watches, named once for its pattern and its filter.
RULE_CALLS = (
    "DisableRule",
    "DeleteRule",
    "PutRule",
    "PutTargets",
    "RemoveTargets",
)
TOPIC_CALLS = (
    "DeleteTopic",
    "SetTopicAttributes",
    "AddPermission",
    "RemovePermission",
    "Subscribe",
    "Unsubscribe",
    "SetSubscriptionAttributes",
)
QUEUE_CALLS = (
    "DeleteQueue",
    "PurgeQueue",
    "SetQueueAttributes",
    "AddPermission",
    "RemovePermission",
)
KEY_CALLS = (
    "DisableKey",
    "ScheduleKeyDeletion",
    "PutKeyPolicy",
    "DisableKeyRotation",
    "DeleteAlias",
    "UpdateAlias",
)
# IAM calls that change what one of our roles may do or who may assume it: its inline and
# attached policies, its permissions boundary ("The effective permissions are the intersection of
# both policy types", IAM User Guide, access_policies_boundaries.html), its trust policy, its
# existence.
ROLE_CALLS = (
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
)
SELECTOR_CALLS = (
    "PutEventSelectors",
    "PutInsightSelectors",
)
TRAIL_BUCKET_CALLS = (
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketVersioning",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "PutBucketLifecycle",
    "DeleteBucketLifecycle",
    "DeleteBucket",
)

ORIGINAL = frozenset({"original"})
ORIGINAL_AND_CIS = frozenset({"original", "cis"})
ONLY_CIS = frozenset({"cis"})
SELF = frozenset({"self"})

CATALOG: tuple[Detection, ...] = (
    # ---- the original design's six ----
    Detection(
        id="security_group_changes",
        title="Security group rule changed",
        rationale=(
            "An ingress or egress rule was added to or removed from a security group; "
            "one Authorize call can expose an instance to the internet."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "ec2",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
        ),
        groups=ORIGINAL_AND_CIS,
        standards=("CIS CloudWatch.10",),
        alert_fields={
            "Security group": "$.detail.requestParameters.groupId",
            # The rules are elements of an array: the whole list, with protocols, ports and CIDRs.
            "Rules": "$.detail.requestParameters.ipPermissions",
        },
        attack=("TA0005:T1562.007",),
        stratus=("aws.exfiltration.ec2-security-group-open-port-22-ingress",),
    ),
    Detection(
        id="network_acl_changes",
        title="Network ACL changed",
        rationale=(
            "A network ACL, one of its entries or its subnet association was created, "
            "replaced or deleted; NACLs are the subnet-wide firewall."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "ec2",
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
        groups=ORIGINAL_AND_CIS,
        standards=("CIS CloudWatch.11",),
        alert_fields={
            "Network ACL": "$.detail.requestParameters.networkAclId",
            "Rule number": "$.detail.requestParameters.ruleNumber",
            "CIDR": "$.detail.requestParameters.cidrBlock",
        },
    ),
    Detection(
        id="cloudtrail_changes",
        title="CloudTrail logging stopped, trail deleted or updated",
        rationale=(
            "Someone stopped, deleted or reconfigured a trail, the usual first step to hide what "
            "follows; failed attempts match too, since an AccessDenied StopLogging is still an attack."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.CRITICAL,
        pattern=api_call("cloudtrail", "StopLogging", "DeleteTrail", "UpdateTrail"),
        # Also "self": stopping or deleting our own trail is the first thing to watch.
        groups=frozenset({"original", "cis", "self"}),
        standards=("CIS CloudWatch.5",),
        alert_fields={"Trail": "$.detail.requestParameters.name"},
        attack=("TA0005:T1562.008",),
        stratus=("aws.defense-evasion.cloudtrail-delete", "aws.defense-evasion.cloudtrail-stop"),
    ),
    Detection(
        id="iam_policy_changes",
        title="IAM policy changed",
        rationale=(
            "An inline or managed IAM policy was created, changed, deleted, attached or detached; "
            "this is how permissions are escalated."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "iam",
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
        groups=ORIGINAL_AND_CIS,
        standards=("CIS CloudWatch.4",),
        note=(
            "CloudWatch.4's filter names no event source, so it also counts other services' "
            "DeletePolicy and CreatePolicy (Auto Scaling's DeletePolicy); this rule matches IAM's."
        ),
        alert_fields={
            # A managed policy's ARN or an inline policy's name, never both.
            "Policy": (
                "$.detail.requestParameters.policyArn",
                "$.detail.requestParameters.policyName",
            ),
            # At most one of these is in a call.
            "Role, user or group": (
                "$.detail.requestParameters.roleName",
                "$.detail.requestParameters.userName",
                "$.detail.requestParameters.groupName",
            ),
        },
        attack=("TA0003:T1098.003", "TA0004:T1098.003"),
        stratus=(
            "aws.persistence.iam-create-admin-user",
            "aws.persistence.iam-create-backdoor-role",
        ),
    ),
    Detection(
        id="root_console_sign_in",
        title="Root user signed in to the console",
        rationale=(
            "The root user can do anything and should almost never be used; "
            "a successful root console sign-in needs an explanation."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.CRITICAL,
        pattern={
            "source": ["aws.signin"],
            "detail-type": [CONSOLE_SIGN_IN],
            "detail": {
                "userIdentity": {"type": ["Root"]},
                "responseElements": {"ConsoleLogin": ["Success"]},
            },
        },
        groups=ORIGINAL_AND_CIS,
        standards=("CIS CloudWatch.1",),
        note=(
            "CloudWatch.1's filter counts every root event but AWS service events, failed "
            "sign-ins included; here those are console_authentication_failures (cis)."
        ),
        alert_fields={
            "Sign-in": "$.detail.responseElements.ConsoleLogin",
            "MFA used": "$.detail.additionalEventData.MFAUsed",
        },
        attack=("TA0001:T1078.004",),
    ),
    Detection(
        id="access_key_created",
        title="IAM access key created",
        rationale=(
            "A new long-lived access key was created; attackers create keys to keep access "
            "after the credentials they came in with are revoked."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.MEDIUM,
        # The original design matched "AWS Console Sign In via CloudTrail" here and so never fired.
        pattern=api_call("iam", "CreateAccessKey"),
        groups=ORIGINAL,
        alert_fields={
            "For user": "$.detail.responseElements.accessKey.userName",
            "Key id": "$.detail.responseElements.accessKey.accessKeyId",
        },
        log_filter=api_call_filter("iam", "CreateAccessKey"),
        attack=("TA0003:T1098.001",),
        stratus=("aws.persistence.iam-backdoor-user", "aws.persistence.iam-create-admin-user"),
    ),
    # ---- CIS AWS Foundations, as Security Hub's CloudWatch.1-14 metric filters ----
    Detection(
        id="root_account_usage",
        title="Root user used",
        rationale=(
            "The root user made a call itself (not a service on its behalf). "
            "CIS CloudWatch.1 filter: userIdentity.type Root, no invokedBy, not an AwsServiceEvent; "
            "console sign-ins are left to root_console_sign_in and console_authentication_failures."
        ),
        delivery=Delivery.REGIONAL_AND_GLOBAL,
        severity=Severity.CRITICAL,
        pattern={
            "detail-type": [{"anything-but": [CONSOLE_SIGN_IN, SERVICE_EVENT]}],
            "detail": {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]}},
        },
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.1",),
        note="Read-only calls (Get*, List*, Describe*) reach EventBridge only if opted in.",
        attack=("TA0001:T1078.004",),
    ),
    Detection(
        id="unauthorized_api_calls",
        title="API call denied",
        rationale=(
            "A call failed with AccessDenied* or *UnauthorizedOperation: a probe, a misused key "
            "or a broken deployment (CIS CloudWatch.2 filter)."
        ),
        delivery=Delivery.REGIONAL_AND_GLOBAL,
        severity=Severity.LOW,
        pattern={
            "detail-type": [API_CALL],
            "detail": {
                "errorCode": [{"suffix": "UnauthorizedOperation"}, {"prefix": "AccessDenied"}]
            },
        },
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.2",),
        note=(
            "Denied read-only calls, the bulk of what the CIS metric filter counts, reach "
            "EventBridge only if opted in; denied writes always do."
        ),
        stratus=("aws.execution.ec2-launch-unusual-instances",),
    ),
    Detection(
        id="console_sign_in_without_mfa",
        title="Console sign-in without MFA",
        rationale=(
            "An IAM user signed in to the console with a password alone (CIS CloudWatch.3 filter: "
            "MFAUsed is not Yes)."
        ),
        delivery=Delivery.SIGN_IN,
        severity=Severity.MEDIUM,
        pattern=console_sign_in(
            userIdentity={"type": ["IAMUser"]},
            responseElements={"ConsoleLogin": ["Success"]},
            additionalEventData={"MFAUsed": [{"anything-but": ["Yes", "YES", "yes"]}]},
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.3",),
        attack=("TA0001:T1078.004",),
        stratus=("aws.initial-access.console-login-without-mfa",),
    ),
    Detection(
        id="cloudtrail_created_or_started",
        title="Trail created or logging started",
        rationale=(
            "The rest of CIS CloudWatch.5 (CreateTrail, StartLogging): trail configuration is "
            "changing, possibly after logging was stopped."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.LOW,
        pattern=api_call("cloudtrail", "CreateTrail", "StartLogging"),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.5",),
    ),
    Detection(
        id="console_authentication_failures",
        title="Console sign-in failed",
        rationale=(
            "A console sign-in failed, root or IAM user; repeated failures suggest password "
            "guessing. Broader than CIS CloudWatch.6's errorMessage 'Failed authentication'."
        ),
        delivery=Delivery.SIGN_IN,
        severity=Severity.MEDIUM,
        pattern=console_sign_in(responseElements={"ConsoleLogin": ["Failure"]}),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.6",),
        note=(
            'CloudWatch.6\'s filter counts only errorMessage "Failed authentication"; '
            "this rule counts every failed console sign-in."
        ),
    ),
    Detection(
        id="kms_key_disabled_or_deleted",
        title="KMS key disabled or scheduled for deletion",
        rationale=(
            "Data encrypted under a disabled or deleted customer managed key is unreadable "
            "(CIS CloudWatch.7)."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("kms", "DisableKey", "ScheduleKeyDeletion"),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.7",),
    ),
    Detection(
        id="s3_bucket_policy_changes",
        title="S3 bucket policy, ACL, CORS, lifecycle or replication changed",
        rationale="A bucket's access or data-movement settings changed (CIS CloudWatch.8).",
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "s3",
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.8",),
        attack=("TA0010:T1537", "TA0005:T1562.008"),
        stratus=(
            "aws.exfiltration.s3-backdoor-bucket-policy",
            "aws.defense-evasion.cloudtrail-lifecycle-rule",
        ),
    ),
    Detection(
        id="config_changes",
        title="AWS Config recording or delivery changed",
        rationale="Config's recorder or delivery channel was stopped or changed (CIS CloudWatch.9).",
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "config",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.9",),
    ),
    Detection(
        id="security_group_lifecycle",
        title="Security group created or deleted",
        rationale="The rest of CIS CloudWatch.10 (CreateSecurityGroup, DeleteSecurityGroup).",
        delivery=Delivery.REGIONAL,
        severity=Severity.LOW,
        pattern=api_call("ec2", "CreateSecurityGroup", "DeleteSecurityGroup"),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.10",),
    ),
    Detection(
        id="network_gateway_changes",
        title="Network gateway changed",
        rationale=(
            "An internet or customer gateway was created, deleted, attached or detached: "
            "a new way in or out of a VPC (CIS CloudWatch.12)."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "ec2",
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.12",),
    ),
    Detection(
        id="route_table_changes",
        title="Route table changed",
        rationale="A route or route table changed, redirecting VPC traffic (CIS CloudWatch.13).",
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "ec2",
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.13",),
    ),
    Detection(
        id="vpc_changes",
        title="VPC or VPC peering changed",
        rationale="A VPC, its attributes, peering or ClassicLink changed (CIS CloudWatch.14).",
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "ec2",
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ),
        groups=ONLY_CIS,
        standards=("CIS CloudWatch.14",),
    ),
    # ---- the monitor watching itself: only our own resources, by name ----
    Detection(
        id="monitor_rules_tampered",
        title="Alerting rule disabled, deleted or retargeted",
        rationale=(
            "One of this monitor's EventBridge rules was changed, disabled, deleted, or had its "
            "targets replaced or removed: alerts may stop silently."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.CRITICAL,
        pattern=api_call(
            "events",
            *RULE_CALLS,
            **{
                "$or": [
                    {"requestParameters": {"name": [{"prefix": f"{NAME_PREFIX}-"}]}},
                    {"requestParameters": {"rule": [{"prefix": f"{NAME_PREFIX}-"}]}},
                ]
            },
        ),
        groups=SELF,
        log_filter=api_call_filter(
            "events",
            *RULE_CALLS,
            where=f'($.requestParameters.name = "{NAME_PREFIX}-*") || '
            f'($.requestParameters.rule = "{NAME_PREFIX}-*")',
        ),
        engine=EVENTBRIDGE,
    ),
    Detection(
        id="monitor_topic_tampered",
        title="Alert, health or chat topic deleted, re-policied or (un)subscribed",
        rationale=(
            "One of this monitor's topics was deleted, its policy or permissions changed, a "
            "subscription added, filtered or removed: alerts may stop reaching anyone, or reach "
            "someone else."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.CRITICAL,
        # The chat topics by name, and any subscription of a topic named <namePrefix>*: one
        # wildcard value, since EventBridge refuses a rule too complex (models.limits.complexity:
        # the three arn:*:sns:*:*:<topic>:* values it replaced scored 26 of the 9 known accepted).
        pattern=api_call(
            "sns",
            *TOPIC_CALLS,
            **{
                "$or": [
                    {
                        "requestParameters": {
                            "topicArn": [
                                {"suffix": f":{NAME_PREFIX}"},
                                {"suffix": f":{NAME_PREFIX}{HEALTH_TOPIC_SUFFIX}"},
                                *(
                                    {"suffix": f":{NAME_PREFIX}{CHAT_TOPIC_INFIX}{severity.value}"}
                                    for severity in Severity
                                ),
                            ]
                        }
                    },
                    {"requestParameters": {"subscriptionArn": [{"wildcard": f"*:{NAME_PREFIX}*"}]}},
                ]
            },
        ),
        groups=SELF,
        alert_fields={
            "Topic": "$.detail.requestParameters.topicArn",
            "Subscription": "$.detail.requestParameters.subscriptionArn",
        },
        log_filter=api_call_filter(
            "sns",
            *TOPIC_CALLS,
            where=" || ".join(
                [
                    f'($.requestParameters.topicArn = "*:{NAME_PREFIX}")',
                    f'($.requestParameters.topicArn = "*:{NAME_PREFIX}{HEALTH_TOPIC_SUFFIX}")',
                    *(
                        f'($.requestParameters.topicArn = "*:{NAME_PREFIX}{CHAT_TOPIC_INFIX}{severity.value}")'
                        for severity in Severity
                    ),
                    f'($.requestParameters.subscriptionArn = "*:{NAME_PREFIX}*")',
                ]
            ),
        ),
        to_health_topic=True,
    ),
    Detection(
        id="monitor_queue_tampered",
        title="Dead-letter queue deleted, purged or re-policied",
        rationale=(
            "This monitor's dead-letter queue, where undeliverable alerts wait, was deleted, "
            "purged or had its attributes or permissions changed: alerts EventBridge could not "
            "deliver may be gone, and the next ones may have nowhere to wait."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.CRITICAL,
        pattern=api_call(
            "sqs",
            *QUEUE_CALLS,
            requestParameters={"queueUrl": [{"suffix": f"/{NAME_PREFIX}-undelivered-alerts"}]},
        ),
        groups=SELF,
        alert_fields={"Queue": "$.detail.requestParameters.queueUrl"},
        log_filter=api_call_filter(
            "sqs",
            *QUEUE_CALLS,
            where=f'$.requestParameters.queueUrl = "*/{NAME_PREFIX}-undelivered-alerts"',
        ),
        # The dead-letter queue holds what EventBridge could not deliver: that engine's only.
        engine=EVENTBRIDGE,
    ),
    Detection(
        id="monitor_key_tampered",
        title="The monitor's KMS key disabled, scheduled for deletion or re-policied",
        rationale=(
            "The key encrypting the trail's logs and the alert topic (kmsKey) was disabled, "
            "scheduled for deletion, re-policied, lost its rotation or its alias: the alert topic "
            "and the trail stop working."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.CRITICAL,
        # KMS takes a key id or key ARN for these calls, never an alias; aliases have their own.
        pattern=api_call(
            "kms",
            *KEY_CALLS,
            **{
                "$or": [
                    {"requestParameters": {"keyId": [KEY_ID, KEY_ARN]}},
                    {"requestParameters": {"aliasName": [f"alias/{NAME_PREFIX}"]}},
                ]
            },
        ),
        groups=SELF,
        alert_fields={
            "Key": "$.detail.requestParameters.keyId",
            "Alias": "$.detail.requestParameters.aliasName",
        },
        log_filter=api_call_filter(
            "kms",
            *KEY_CALLS,
            where=f'($.requestParameters.keyId = "{KEY_ID}") || '
            f'($.requestParameters.keyId = "{KEY_ARN}") || '
            f'($.requestParameters.aliasName = "alias/{NAME_PREFIX}")',
        ),
        to_health_topic=True,
        requires_kms_key=True,
    ),
    Detection(
        id="monitor_trail_selectors_changed",
        title="Event selectors of the monitor's trail changed",
        rationale=(
            "The trail's event or Insights selectors changed, which can exclude management "
            "events from the log (stopping or deleting it is cloudtrail_changes)."
        ),
        delivery=Delivery.HOME,
        severity=Severity.CRITICAL,
        pattern=api_call(
            "cloudtrail",
            *SELECTOR_CALLS,
            requestParameters={
                "trailName": [f"{NAME_PREFIX}-trail", {"suffix": f":trail/{NAME_PREFIX}-trail"}]
            },
        ),
        groups=SELF,
        log_filter=api_call_filter(
            "cloudtrail",
            *SELECTOR_CALLS,
            where=f'($.requestParameters.trailName = "{NAME_PREFIX}-trail") || '
            f'($.requestParameters.trailName = "*:trail/{NAME_PREFIX}-trail")',
        ),
        attack=("TA0005:T1562.008",),
    ),
    Detection(
        id="monitor_trail_bucket_tampered",
        title="Trail bucket policy, versioning or public access changed",
        rationale=(
            "The audit log bucket's policy, versioning, public-access block, ownership, encryption "
            "or lifecycle changed, or someone tried to delete it."
        ),
        delivery=Delivery.HOME,
        severity=Severity.CRITICAL,
        pattern=api_call(
            "s3",
            *TRAIL_BUCKET_CALLS,
            requestParameters={"bucketName": [{"prefix": f"{NAME_PREFIX}-trail-"}]},
        ),
        groups=SELF,
        log_filter=api_call_filter(
            "s3",
            *TRAIL_BUCKET_CALLS,
            where=f'$.requestParameters.bucketName = "{NAME_PREFIX}-trail-*"',
        ),
        attack=("TA0005:T1562.008",),
    ),
    Detection(
        id="monitor_alarms_tampered",
        title="The monitor's alarms, metric filters or trail log group changed",
        rationale=(
            "One of this monitor's CloudWatch alarms was deleted, silenced or redefined, or a "
            "metric filter, the retention or the key of the trail's log group changed: the "
            "metric-filter alerts and the delivery alarms may stop."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.CRITICAL,
        pattern={
            "source": ["aws.logs", "aws.monitoring"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["logs.amazonaws.com", "monitoring.amazonaws.com"],
                "eventName": list(LOG_GROUP_CALLS + ALARM_CALLS),
                "$or": [
                    {"requestParameters": {"logGroupName": [f"{NAME_PREFIX}-trail"]}},
                    {"requestParameters": {"alarmName": [{"prefix": f"{NAME_PREFIX}-"}]}},
                    # DeleteAlarms and DisableAlarmActions take a list: any element matches.
                    {"requestParameters": {"alarmNames": [{"prefix": f"{NAME_PREFIX}-"}]}},
                ],
            },
        },
        groups=SELF,
        alert_fields={
            "Alarm": (
                "$.detail.requestParameters.alarmName",
                "$.detail.requestParameters.alarmNames",
            ),
            "Log group": "$.detail.requestParameters.logGroupName",
        },
        # A filter selector cannot point into a whole array ("If a property selector points to an
        # array or object, the metric filter won't match"): the first ALARM_NAMES_CHECKED names.
        log_filter=(
            '{ (($.eventSource = "logs.amazonaws.com") || ($.eventSource = "monitoring.amazonaws.com"))'
            " && ("
            + " || ".join(f'($.eventName = "{name}")' for name in LOG_GROUP_CALLS + ALARM_CALLS)
            + f') && (($.requestParameters.logGroupName = "{NAME_PREFIX}-trail") || '
            f'($.requestParameters.alarmName = "{NAME_PREFIX}-*") || '
            + " || ".join(
                f'($.requestParameters.alarmNames[{i}] = "{NAME_PREFIX}-*")'
                for i in range(ALARM_NAMES_CHECKED)
            )
            + ") }"
        ),
        to_health_topic=True,
    ),
    Detection(
        id="monitor_roles_tampered",
        title="The monitor's IAM roles re-policied, bounded or deleted",
        rationale=(
            "One of this monitor's IAM roles (the organization's and central delivery's "
            "forwarding roles, the trail's CloudWatch Logs role, the chat role) had a policy or "
            "permissions boundary put, attached, detached or deleted, its trust policy replaced, "
            "or was deleted: a boundary or a deny silences its account's forwarding."
        ),
        # IAM is a global service: its events reach EventBridge in us-east-1 only.
        delivery=Delivery.GLOBAL,
        severity=Severity.CRITICAL,
        pattern=api_call(
            "iam",
            *ROLE_CALLS,
            requestParameters={"roleName": [{"prefix": f"{NAME_PREFIX}-"}]},
        ),
        groups=SELF,
        alert_fields={
            "Role": "$.detail.requestParameters.roleName",
            "Policy": (
                "$.detail.requestParameters.policyArn",
                "$.detail.requestParameters.policyName",
                "$.detail.requestParameters.permissionsBoundary",
            ),
        },
        log_filter=api_call_filter(
            "iam",
            *ROLE_CALLS,
            where=f'$.requestParameters.roleName = "{NAME_PREFIX}-*"',
        ),
    ),
)


# ---- attack techniques (opt-in): what attackers do in AWS, as Stratus Red Team detonates it ----

ONLY_ATTACK = frozenset({"attack"})
# Who is a person at a keyboard rather than automation: IAM users, federated users, the root user
# and IAM Identity Center sessions, whose roles are AWSReservedSSO_<permission set>_<suffix>
# (https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html);
# Panther's Lambda rules draw the same line (aws_overwrite_lambda_code.py).
PERSON_TYPES = ("IAMUser", "FederatedUser", "Root")
SSO_ROLE_PREFIX = "AWSReservedSSO_"
BY_A_PERSON = {
    "$or": [
        {"userIdentity": {"type": list(PERSON_TYPES)}},
        {
            "userIdentity": {
                "sessionContext": {"sessionIssuer": {"userName": [{"prefix": SSO_ROLE_PREFIX}]}}
            }
        },
    ]
}
BY_A_PERSON_FILTER = (
    " || ".join(f'($.userIdentity.type = "{t}")' for t in PERSON_TYPES)
    + f' || ($.userIdentity.sessionContext.sessionIssuer.userName = "{SSO_ROLE_PREFIX}*")'
)
# Accounts a share or a grant may name without an alert: this account and trustedAccounts.
OURS = (ACCOUNT_ID, TRUSTED_ACCOUNTS)
# SSM documents that run whatever command they are given (AWS-owned documents start "AWS-").
COMMAND_DOCUMENTS = ("AWS-RunShellScript", "AWS-RunPowerShellScript", "AWS-RunRemoteScript")
# How many items of a share's list a metric filter checks: a selector cannot point into a whole
# array ("If a property selector points to an array or object, the metric filter won't match").
SHARED_ITEMS_CHECKED = 3


def _shared_with(attribute: str) -> list[dict[str, Any]]:
    """An EC2 image or snapshot permission added for an account not ours, or for everyone.

    ``items`` is an array of objects: EventBridge matches a field of its elements by the path
    through the array (Event Ruler flattens arrays of objects:
    https://github.com/aws/event-ruler#arrays)."""
    items = ("requestParameters", attribute, "add", "items")
    return [
        _nested(items, {"userId": [{"anything-but": list(OURS)}]}),
        _nested(items, {"group": ["all"]}),
    ]


def _nested(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = leaf
    for step in reversed(path):
        node = {step: node}
    return node


def _shared_with_filter(attribute: str) -> str:
    return " || ".join(
        f'($.requestParameters.{attribute}.add.items[{i}].{field} = "{value}")'
        for i in range(SHARED_ITEMS_CHECKED)
        for field, value in (("userId", "*"), ("group", "all"))
    )


CATALOG += (
    Detection(
        id="trail_event_selectors_changed",
        title="Trail event selectors changed",
        rationale=(
            "A trail's event selectors were replaced: they can drop management events or reads "
            "from the log without stopping it. Check which trail and what it now records."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("cloudtrail", "PutEventSelectors"),
        groups=ONLY_ATTACK,
        alert_fields={"Trail": "$.detail.requestParameters.trailName"},
        log_filter=api_call_filter("cloudtrail", "PutEventSelectors"),
        attack=("TA0005:T1562.008",),
        stratus=("aws.defense-evasion.cloudtrail-event-selectors",),
    ),
    Detection(
        id="vpc_flow_logs_deleted",
        title="VPC flow logs deleted",
        rationale=(
            "A VPC flow log was deleted: network traffic of that VPC, subnet or interface is no "
            "longer recorded. Unless the VPC itself is being removed, restore it and ask why."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("ec2", "DeleteFlowLogs"),
        groups=ONLY_ATTACK,
        alert_fields={"Flow logs": "$.detail.requestParameters.DeleteFlowLogsRequest.FlowLogId"},
        log_filter=api_call_filter("ec2", "DeleteFlowLogs"),
        attack=("TA0005:T1562.008",),
        stratus=("aws.defense-evasion.vpc-remove-flow-logs",),
    ),
    Detection(
        id="dns_query_logging_deleted",
        title="Route 53 Resolver query logging deleted",
        rationale=(
            "A Resolver query logging configuration was deleted or detached from a VPC: DNS "
            "lookups, where exfiltration and command channels show, are no longer recorded."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "route53resolver", "DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"
        ),
        groups=ONLY_ATTACK,
        alert_fields={"Query log config": "$.detail.requestParameters.resolverQueryLogConfigId"},
        log_filter=api_call_filter(
            "route53resolver", "DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"
        ),
        attack=("TA0005:T1562.008",),
        stratus=("aws.defense-evasion.dns-delete-logs",),
    ),
    Detection(
        id="organization_leave_attempted",
        title="Account tried to leave the organization",
        rationale=(
            "LeaveOrganization was called: outside the organization the account escapes its "
            "service control policies, organization trail and delegated security services."
        ),
        # "AWS global services, such as IAM, AWS Organizations, and AWS Account Management deliver
        # events only to us-east-1": https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions
        delivery=Delivery.GLOBAL,
        severity=Severity.CRITICAL,
        pattern=api_call("organizations", "LeaveOrganization"),
        groups=ONLY_ATTACK,
        log_filter=api_call_filter("organizations", "LeaveOrganization"),
        attack=("TA0005:T1666",),
        stratus=("aws.defense-evasion.organizations-leave",),
    ),
    Detection(
        id="ec2_user_data_modified",
        title="EC2 instance user data changed",
        rationale=(
            "An instance's user data was replaced: it runs as root at the next boot. Images are "
            "usually built before launch; ask who changed it and read the new script."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "ec2",
            "ModifyInstanceAttribute",
            **{
                "$or": [
                    {"requestParameters": {"userData": [{"exists": True}]}},
                    {"requestParameters": {"attribute": ["userData"]}},
                ]
            },
        ),
        groups=ONLY_ATTACK,
        alert_fields={"Instance": "$.detail.requestParameters.instanceId"},
        log_filter=api_call_filter(
            "ec2",
            "ModifyInstanceAttribute",
            where='($.requestParameters.userData = "*") || '
            '($.requestParameters.attribute = "userData")',
        ),
        attack=("TA0002:T1059",),
        stratus=("aws.execution.ec2-user-data",),
    ),
    Detection(
        id="ssm_command_sent",
        title="Command run on instances through SSM",
        rationale=(
            "SendCommand ran a shell, PowerShell or remote script, or a document not owned by "
            "AWS, on instances: code as root, and their role's credentials, for the sender."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "ssm",
            "SendCommand",
            requestParameters={
                "documentName": [*COMMAND_DOCUMENTS, {"anything-but": {"prefix": "AWS-"}}]
            },
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "Document": "$.detail.requestParameters.documentName",
            "Instances": "$.detail.requestParameters.instanceIds",
            "Targets": "$.detail.requestParameters.targets",
        },
        log_filter=api_call_filter(
            "ssm",
            "SendCommand",
            where=" || ".join(
                f'($.requestParameters.documentName = "{d}")' for d in COMMAND_DOCUMENTS
            )
            + ' || (($.requestParameters.documentName = "*") && '
            '($.requestParameters.documentName != "AWS-*"))',
        ),
        attack=("TA0002:T1651",),
        stratus=(
            "aws.execution.ssm-send-command",
            "aws.credential-access.ec2-steal-instance-credentials",
        ),
    ),
    Detection(
        id="ec2_image_or_snapshot_shared",
        title="AMI or EBS snapshot shared outside",
        rationale=(
            "An AMI or EBS snapshot was shared with another account (not this one nor "
            "trustedAccounts) or made public: its disks can be copied out. Remove the permission."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "ec2",
            "ModifyImageAttribute",
            "ModifySnapshotAttribute",
            **{"$or": _shared_with("launchPermission") + _shared_with("createVolumePermission")},
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "Image or snapshot": (
                "$.detail.requestParameters.imageId",
                "$.detail.requestParameters.snapshotId",
            ),
            "Shared with": (
                "$.detail.requestParameters.launchPermission.add.items",
                "$.detail.requestParameters.createVolumePermission.add.items",
            ),
        },
        note=(
            "The metric filter counts a share with any account, trustedAccounts and this one "
            f"included, in the first {SHARED_ITEMS_CHECKED} items: a filter holds 1,024 characters."
        ),
        log_filter=api_call_filter(
            "ec2",
            "ModifyImageAttribute",
            "ModifySnapshotAttribute",
            where=_shared_with_filter("launchPermission")
            + " || "
            + _shared_with_filter("createVolumePermission"),
        ),
        attack=("TA0010:T1537",),
        stratus=("aws.exfiltration.ec2-share-ami", "aws.exfiltration.ec2-share-ebs-snapshot"),
    ),
    Detection(
        id="rds_snapshot_shared",
        title="RDS snapshot shared outside",
        rationale=(
            "An RDS snapshot was shared with another account (not this one nor trustedAccounts) "
            "or made public: the database can be restored elsewhere. Remove the account."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "rds",
            "ModifyDBSnapshotAttribute",
            "ModifyDBClusterSnapshotAttribute",
            requestParameters={
                "attributeName": ["restore"],
                "valuesToAdd": [{"anything-but": list(OURS)}],
            },
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "Snapshot": (
                "$.detail.requestParameters.dBSnapshotIdentifier",
                "$.detail.requestParameters.dBClusterSnapshotIdentifier",
            ),
            "Shared with": "$.detail.requestParameters.valuesToAdd",
        },
        note="The metric filter counts a share with trustedAccounts too (the first five values).",
        log_filter=api_call_filter(
            "rds",
            "ModifyDBSnapshotAttribute",
            "ModifyDBClusterSnapshotAttribute",
            where='($.requestParameters.attributeName = "restore") && ('
            + " || ".join(
                f'(($.requestParameters.valuesToAdd[{i}] = "*") && '
                f'($.requestParameters.valuesToAdd[{i}] != "{ACCOUNT_ID}"))'
                for i in range(5)
            )
            + ")",
        ),
        attack=("TA0010:T1537",),
        stratus=("aws.exfiltration.rds-share-snapshot",),
    ),
    Detection(
        id="bedrock_model_access_enabled",
        title="Bedrock model access enabled",
        rationale=(
            "Access to a Bedrock foundation model was requested or an agreement accepted: the "
            "first step of running models on this account's bill (LLMjacking)."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "bedrock",
            "PutUseCaseForModelAccess",
            "PutFoundationModelEntitlement",
            "CreateFoundationModelAgreement",
        ),
        groups=ONLY_ATTACK,
        alert_fields={"Model": "$.detail.requestParameters.modelId"},
        log_filter=api_call_filter(
            "bedrock",
            "PutUseCaseForModelAccess",
            "PutFoundationModelEntitlement",
            "CreateFoundationModelAgreement",
        ),
        attack=("TA0040:T1496.004",),
        stratus=("aws.impact.bedrock-invoke-model",),
    ),
    Detection(
        id="ec2_serial_console_used",
        title="EC2 serial console enabled or key sent",
        rationale=(
            "Serial console access was enabled for the account, or an SSH key was pushed to an "
            "instance's serial console: a way in that bypasses security groups and networks."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern={
            "source": ["aws.ec2", "aws.ec2-instance-connect"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["ec2.amazonaws.com", "ec2-instance-connect.amazonaws.com"],
                "eventName": ["EnableSerialConsoleAccess", "SendSerialConsoleSSHPublicKey"],
            },
        },
        groups=ONLY_ATTACK,
        alert_fields={"Instance": "$.detail.requestParameters.instanceId"},
        log_filter=(
            '{ (($.eventSource = "ec2.amazonaws.com") && '
            '($.eventName = "EnableSerialConsoleAccess")) || '
            '(($.eventSource = "ec2-instance-connect.amazonaws.com") && '
            '($.eventName = "SendSerialConsoleSSHPublicKey")) }'
        ),
        attack=("TA0008:T1021.008",),
        stratus=("aws.lateral-movement.ec2-serial-console-send-ssh-public-key",),
    ),
    Detection(
        id="iam_role_trust_policy_changed",
        title="IAM role trust policy changed",
        rationale=(
            "A role's trust policy was replaced: it decides who can become the role, so one "
            "added account or principal is a backdoor. Read the new policy's principals."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.HIGH,
        pattern=api_call("iam", "UpdateAssumeRolePolicy"),
        groups=ONLY_ATTACK,
        # Not the policy itself: a document of many lines would break the e-mail's lines.
        alert_fields={"Role": "$.detail.requestParameters.roleName"},
        log_filter=api_call_filter("iam", "UpdateAssumeRolePolicy"),
        attack=("TA0003:T1098",),
        stratus=("aws.persistence.iam-backdoor-role",),
    ),
    Detection(
        id="console_password_set_for_user",
        title="Console password created or changed for a user",
        rationale=(
            "Someone created or reset an IAM user's console password (users change their own "
            "with ChangePassword): whoever set it can sign in as that user."
        ),
        delivery=Delivery.GLOBAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "iam",
            "CreateLoginProfile",
            "UpdateLoginProfile",
            requestParameters={"userName": [{"exists": True}]},
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "For user": "$.detail.requestParameters.userName",
            "Reset required": "$.detail.requestParameters.passwordResetRequired",
        },
        log_filter=api_call_filter(
            "iam",
            "CreateLoginProfile",
            "UpdateLoginProfile",
            where='$.requestParameters.userName = "*"',
        ),
        attack=("TA0003:T1098.001", "TA0004:T1098.001"),
        stratus=(
            "aws.persistence.iam-create-user-login-profile",
            "aws.privilege-escalation.iam-update-user-login-profile",
        ),
    ),
    Detection(
        id="lambda_permission_granted_outside",
        title="Lambda function opened to another account or everyone",
        rationale=(
            "A function's resource policy now lets a principal outside this account, or "
            "anyone, invoke or manage it. Remove the statement unless you granted it."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        # CloudTrail names Lambda's calls with their API version: AddPermission20150331v2.
        pattern=api_call(
            "lambda",
            {"prefix": "AddPermission"},
            requestParameters={
                "principal": [
                    {
                        "anything-but": {
                            # Not trustedAccounts: each would add two wildcard values, and
                            # models.limits holds a pattern to 6. A grant across your own
                            # accounts is worth a look too.
                            "wildcard": [
                                "*.amazonaws.com",
                                ACCOUNT_ID,
                                f"arn:*:iam::{ACCOUNT_ID}:*",
                            ]
                        }
                    }
                ]
            },
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "Function": "$.detail.requestParameters.functionName",
            "Principal": "$.detail.requestParameters.principal",
            "Action": "$.detail.requestParameters.action",
        },
        log_filter=api_call_filter(
            "lambda",
            "AddPermission*",
            where='($.requestParameters.principal = "*") && '
            '($.requestParameters.principal != "*.amazonaws.com") && '
            f'($.requestParameters.principal != "{ACCOUNT_ID}") && '
            f'($.requestParameters.principal != "arn:*:iam::{ACCOUNT_ID}:*")',
        ),
        attack=("TA0003:T1098",),
        stratus=("aws.persistence.lambda-backdoor-function",),
    ),
    Detection(
        id="lambda_layer_attached_by_person",
        title="Lambda layers set by a person",
        rationale=(
            "A person (not a deployment role) set a function's layers: a layer or extension runs "
            "inside every invocation and sees its events and credentials."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call(
            "lambda",
            {"prefix": "UpdateFunctionConfiguration"},
            requestParameters={"layers": [{"prefix": "arn:"}]},
            **BY_A_PERSON,
        ),
        groups=ONLY_ATTACK,
        alert_fields={
            "Function": "$.detail.requestParameters.functionName",
            "Layers": "$.detail.requestParameters.layers",
        },
        log_filter=api_call_filter(
            "lambda",
            "UpdateFunctionConfiguration*",
            where=f'($.requestParameters.layers[0] = "arn:*") && ({BY_A_PERSON_FILTER})',
        ),
        attack=("TA0003:T1098", "TA0002:T1648"),
        stratus=("aws.persistence.lambda-layer-extension",),
    ),
    Detection(
        id="lambda_code_updated_by_person",
        title="Lambda code replaced by a person",
        rationale=(
            "A person (not a deployment role) uploaded new code to a function: it runs with the "
            "function's role on its next invocation. Compare with the pipeline's last release."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call("lambda", {"prefix": "UpdateFunctionCode"}, **BY_A_PERSON),
        groups=ONLY_ATTACK,
        alert_fields={"Function": "$.detail.requestParameters.functionName"},
        log_filter=api_call_filter("lambda", "UpdateFunctionCode*", where=BY_A_PERSON_FILTER),
        attack=("TA0003:T1098", "TA0002:T1648"),
        stratus=("aws.persistence.lambda-overwrite-code",),
    ),
    Detection(
        id="roles_anywhere_trust_anchor_changed",
        title="IAM Roles Anywhere trust anchor created or changed",
        rationale=(
            "A certificate authority was trusted to issue credentials for this account's roles: "
            "whoever holds it can get AWS credentials from anywhere, without a key to revoke."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("rolesanywhere", "CreateTrustAnchor", "UpdateTrustAnchor"),
        groups=ONLY_ATTACK,
        alert_fields={"Trust anchor": "$.detail.requestParameters.name"},
        log_filter=api_call_filter("rolesanywhere", "CreateTrustAnchor", "UpdateTrustAnchor"),
        attack=("TA0003:T1098.001",),
        stratus=("aws.persistence.rolesanywhere-create-trust-anchor",),
    ),
    Detection(
        id="federation_token_issued",
        title="Federation token issued to an IAM user",
        rationale=(
            "GetFederationToken made temporary credentials from a user's key: they outlive the "
            "key's deletion for up to 36 hours. Rarely used today; ask who needed it."
        ),
        # STS records a call where it was served: the global endpoint's in us-east-1, a regional
        # endpoint's in its region (delivery_region), so both.
        delivery=Delivery.REGIONAL_AND_GLOBAL,
        severity=Severity.MEDIUM,
        pattern=api_call("sts", "GetFederationToken"),
        groups=ONLY_ATTACK,
        alert_fields={"Federated user": "$.detail.requestParameters.name"},
        log_filter=api_call_filter("sts", "GetFederationToken"),
        attack=("TA0003:T1098.001",),
        stratus=("aws.persistence.sts-federation-token",),
    ),
    Detection(
        id="secrets_batch_retrieved",
        title="Secrets read in a batch",
        rationale=(
            "BatchGetSecretValue read up to 20 secrets in one call, perhaps by a catch-all "
            "filter: applications read the secret they need. Rotate what was read."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("secretsmanager", "BatchGetSecretValue"),
        groups=ONLY_ATTACK,
        alert_fields={
            "Filters": "$.detail.requestParameters.filters",
            "Secrets": "$.detail.requestParameters.secretIdList",
        },
        log_filter=api_call_filter("secretsmanager", "BatchGetSecretValue"),
        read_only=True,
        attack=("TA0006:T1555.006",),
        stratus=("aws.credential-access.secretsmanager-batch-retrieve-secrets",),
    ),
    # ---- thresholds: read-only calls that are normal one at a time (metric-filter engine) ----
    Detection(
        id="ec2_password_data_read_in_bulk",
        title="Windows passwords read in bulk",
        rationale=(
            "GetPasswordData was called 10 or more times in 5 minutes across the account: "
            "someone is collecting Windows administrator passwords. Find the caller in the log."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("ec2", "GetPasswordData"),
        groups=ONLY_ATTACK,
        log_filter=api_call_filter("ec2", "GetPasswordData"),
        engine=METRIC_FILTERS,
        threshold=Threshold(10),
        attack=("TA0006:T1555",),
        stratus=("aws.credential-access.ec2-get-password-data",),
    ),
    Detection(
        id="secrets_read_in_bulk",
        title="Secrets read in bulk",
        rationale=(
            "GetSecretValue was called 20 or more times in 5 minutes across the account (a batch "
            "read logs one per secret): more than applications' usual reads. Find the caller."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call("secretsmanager", "GetSecretValue"),
        groups=ONLY_ATTACK,
        log_filter=api_call_filter("secretsmanager", "GetSecretValue"),
        engine=METRIC_FILTERS,
        threshold=Threshold(20),
        attack=("TA0006:T1555.006",),
        stratus=("aws.credential-access.secretsmanager-retrieve-secrets",),
    ),
    Detection(
        id="ssm_secure_parameters_read_in_bulk",
        title="SecureString parameters decrypted in bulk",
        rationale=(
            "GetParameter(s) with decryption was called 5 or more times in 5 minutes across the "
            "account (up to 10 parameters a call): someone may be harvesting SecureStrings."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.HIGH,
        pattern=api_call(
            "ssm",
            "GetParameter",
            "GetParameters",
            requestParameters={"withDecryption": [True]},
        ),
        groups=ONLY_ATTACK,
        log_filter=api_call_filter(
            "ssm",
            "GetParameter",
            "GetParameters",
            where="$.requestParameters.withDecryption IS TRUE",
        ),
        engine=METRIC_FILTERS,
        threshold=Threshold(5),
        attack=("TA0006:T1555.006",),
        stratus=("aws.credential-access.ssm-retrieve-securestring-parameters",),
    ),
    Detection(
        id="ssm_sessions_started_in_bulk",
        title="Session Manager sessions started in bulk",
        rationale=(
            "3 or more Session Manager sessions started within 5 minutes across the account: one "
            "session is administration, a sweep across instances is lateral movement."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern=api_call("ssm", "StartSession"),
        groups=ONLY_ATTACK,
        log_filter=api_call_filter("ssm", "StartSession"),
        engine=METRIC_FILTERS,
        threshold=Threshold(3),
        attack=("TA0008:T1021.008",),
        stratus=("aws.execution.ssm-start-session",),
    ),
    Detection(
        id="instance_connect_keys_sent_in_bulk",
        title="EC2 Instance Connect keys sent in bulk",
        rationale=(
            "3 or more SSH keys pushed through EC2 Instance Connect within 5 minutes across the "
            "account: one is a person connecting, a sweep across instances is lateral movement."
        ),
        delivery=Delivery.REGIONAL,
        severity=Severity.MEDIUM,
        pattern={
            "source": ["aws.ec2-instance-connect"],
            "detail-type": [API_CALL],
            "detail": {
                "eventSource": ["ec2-instance-connect.amazonaws.com"],
                "eventName": ["SendSSHPublicKey"],
            },
        },
        groups=ONLY_ATTACK,
        log_filter=api_call_filter("ec2-instance-connect", "SendSSHPublicKey"),
        engine=METRIC_FILTERS,
        threshold=Threshold(3),
        attack=("TA0008:T1021.008",),
        stratus=("aws.lateral-movement.ec2-instance-connect",),
    ),
)


SELF_TEST_DETAIL_TYPE = "Alert self-test"
CATALOG += (
    Detection(
        id="self_test",
        title="Self-test: this alert path works",
        rationale=(
            "A test event sent by make selftest or make verify after a deploy; its arrival "
            "proves the rule, the topic and the subscription work in this region."
        ),
        delivery=Delivery.EVERY_STACK,
        severity=Severity.LOW,
        pattern={"source": [f"{NAME_PREFIX}.selftest"], "detail-type": [SELF_TEST_DETAIL_TYPE]},
        groups=frozenset({ALWAYS}),
        alert_fields={"Sent by": "$.detail.sentBy", "Sent to": "$.detail.region"},
        no_log_filter=(
            "The self-test event is put on the EventBridge bus; CloudTrail records only the "
            "PutEvents call, so no log line carries it."
        ),
        engine=EVENTBRIDGE,
    ),
)


def selected(
    groups: Iterable[str], kms_key: bool = True, engines: Iterable[str] = ENGINES
) -> tuple[Detection, ...]:
    """The catalog entries in any of these groups, and those every deployment has, in order.

    Without ``kms_key``, entries that watch the KMS key are left out: there is none. Entries that
    watch one engine's resources are left out when that engine is not among ``engines``.
    """
    wanted, running = frozenset(groups) | {ALWAYS}, frozenset(engines)
    return tuple(
        d
        for d in CATALOG
        if d.groups & wanted
        and (kms_key or not d.requires_kms_key)
        and (d.engine is None or d.engine in running)
    )


def detection(detection_id: str) -> Detection:
    """The catalog entry with this id."""
    for entry in CATALOG:
        if entry.id == detection_id:
            return entry
    raise KeyError(detection_id)
