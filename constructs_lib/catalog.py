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

API_CALL = "AWS API Call via CloudTrail"
CONSOLE_SIGN_IN = "AWS Console Sign In via CloudTrail"
SERVICE_EVENT = "AWS Service Event via CloudTrail"
# Stands for the configured namePrefix in "self" patterns, which match our own resource names.
NAME_PREFIX = "{namePrefix}"
# Stand for the region's KMS key (kmsKey), known only to Terraform: its id and ARN.
KEY_ID = "{keyId}"
KEY_ARN = "{keyArn}"
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

GROUPS = ("original", "cis", "self")
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


def _thaw(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item, names) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw(item, names) for item in value]
    if isinstance(value, str):
        for placeholder, name in names.items():
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
    # The engine whose resources the entry watches (a "self" detection); None: any engine.
    engine: str | None = None

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

    def event_pattern(
        self, name_prefix: str, names: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The EventBridge event pattern for a deployment named ``name_prefix``, as a fresh dict.

        ``names`` fills other placeholders (KEY_ID, KEY_ARN) with values or Terraform references.
        """
        return _thaw(self.pattern, {NAME_PREFIX: name_prefix, **(names or {})})

    def event_pattern_json(self, name_prefix: str, names: Mapping[str, str] | None = None) -> str:
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

    def metric_filter(
        self, name_prefix: str, names: Mapping[str, str] | None = None
    ) -> MetricFilter | None:
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
