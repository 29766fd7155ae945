"""What each detection must catch, stated in plain terms, independently of the catalog's patterns.

Each oracle reads an EventBridge event (a CloudTrail record in its envelope) and says whether the
detection must fire for it. Where it fires: in the region AWS delivers the event to, if a stack
there carries the detection; ``GLOBAL_DETECTIONS`` live in us-east-1 (IAM and root sign-in events
arrive only there), all others in every monitored region.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tests.synthesized import TEST_ACCOUNT, TEST_KEY_ID, test_key_arn

API_CALL = "AWS API Call via CloudTrail"
SIGN_IN = "AWS Console Sign In via CloudTrail"


def _api_call(event: dict[str, Any], service: str, names: set[str], prefix: str = "") -> bool:
    """A call to one of these APIs of this service (or, with ``prefix``, to any whose name starts
    so: Lambda names its events with an API version, AddPermission20150331v2), succeeded or not."""
    detail = event["detail"]
    name = detail.get("eventName") or ""
    return (
        event["detail-type"] == API_CALL
        and event["source"] == f"aws.{service}"
        and detail.get("eventSource") == f"{service}.amazonaws.com"
        and (name in names or (bool(prefix) and name.startswith(prefix)))
    )


def security_group_changes(event: dict[str, Any]) -> bool:
    """Any security-group rule authorized or revoked, ingress or egress."""
    return _api_call(
        event,
        "ec2",
        {
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
        },
    )


def network_acl_changes(event: dict[str, Any]) -> bool:
    """A network ACL or entry created, deleted or replaced, or its association replaced."""
    return _api_call(
        event,
        "ec2",
        {
            "CreateNetworkAcl",
            "DeleteNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        },
    )


def cloudtrail_changes(event: dict[str, Any]) -> bool:
    """Logging stopped, a trail deleted or updated: attempts that failed count too."""
    return _api_call(event, "cloudtrail", {"StopLogging", "DeleteTrail", "UpdateTrail"})


def iam_policy_changes(event: dict[str, Any]) -> bool:
    """An IAM policy created, versioned, deleted, put inline, attached or detached."""
    return _api_call(
        event,
        "iam",
        {f"{verb}{kind}Policy" for verb in ("Put", "Delete") for kind in ("Group", "Role", "User")}
        | {"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion"}
        | {
            f"{verb}{kind}Policy"
            for verb in ("Attach", "Detach")
            for kind in ("Group", "Role", "User")
        },
    )


def root_console_sign_in(event: dict[str, Any]) -> bool:
    """The root user signed in to the console successfully (not an IAM user, not a failure)."""
    detail = event["detail"]
    return (
        event["detail-type"] == SIGN_IN
        and event["source"] == "aws.signin"
        and detail.get("userIdentity", {}).get("type") == "Root"
        and (detail.get("responseElements") or {}).get("ConsoleLogin") == "Success"
    )


def access_key_created(event: dict[str, Any]) -> bool:
    """A CreateAccessKey API call, by anyone."""
    return _api_call(event, "iam", {"CreateAccessKey"})


NAME_PREFIX = "api-alerts"  # the tests' configured namePrefix


def root_account_usage(event: dict[str, Any]) -> bool:
    """Root did something itself: not a service on its behalf, not a service event, not a sign-in."""
    identity = event["detail"].get("userIdentity", {})
    return (
        identity.get("type") == "Root"
        and "invokedBy" not in identity
        and event["detail-type"] not in (SIGN_IN, "AWS Service Event via CloudTrail")
    )


def unauthorized_api_calls(event: dict[str, Any]) -> bool:
    """Any API call refused with an AccessDenied... or ...UnauthorizedOperation error."""
    code = event["detail"].get("errorCode") or ""
    return event["detail-type"] == API_CALL and (
        code.startswith("AccessDenied") or code.endswith("UnauthorizedOperation")
    )


def _console_login(event: dict[str, Any]) -> str | None:
    detail = event["detail"]
    if event["detail-type"] != SIGN_IN or detail.get("eventName") != "ConsoleLogin":
        return None
    return (detail.get("responseElements") or {}).get("ConsoleLogin")


def console_sign_in_without_mfa(event: dict[str, Any]) -> bool:
    """An IAM user signed in successfully and MFAUsed says anything but yes."""
    detail = event["detail"]
    mfa = (detail.get("additionalEventData") or {}).get("MFAUsed")
    return (
        _console_login(event) == "Success"
        and detail.get("userIdentity", {}).get("type") == "IAMUser"
        and mfa is not None
        and mfa.lower() != "yes"
    )


def cloudtrail_created_or_started(event: dict[str, Any]) -> bool:
    return _api_call(event, "cloudtrail", {"CreateTrail", "StartLogging"})


def console_authentication_failures(event: dict[str, Any]) -> bool:
    """Any failed console sign-in."""
    return _console_login(event) == "Failure"


def kms_key_disabled_or_deleted(event: dict[str, Any]) -> bool:
    return _api_call(event, "kms", {"DisableKey", "ScheduleKeyDeletion"})


def s3_bucket_policy_changes(event: dict[str, Any]) -> bool:
    """Bucket ACL or policy put; CORS, lifecycle or replication put or deleted; policy deleted."""
    return _api_call(
        event,
        "s3",
        {f"PutBucket{x}" for x in ("Acl", "Policy", "Cors", "Lifecycle", "Replication")}
        | {f"DeleteBucket{x}" for x in ("Policy", "Cors", "Lifecycle", "Replication")},
    )


def config_changes(event: dict[str, Any]) -> bool:
    return _api_call(
        event,
        "config",
        {
            "StopConfigurationRecorder",
            "PutConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
        },
    )


def security_group_lifecycle(event: dict[str, Any]) -> bool:
    return _api_call(event, "ec2", {"CreateSecurityGroup", "DeleteSecurityGroup"})


def network_gateway_changes(event: dict[str, Any]) -> bool:
    """Customer gateways created or deleted; internet gateways created, deleted, attached, detached."""
    return _api_call(
        event,
        "ec2",
        {"CreateCustomerGateway", "DeleteCustomerGateway"}
        | {f"{verb}InternetGateway" for verb in ("Create", "Delete", "Attach", "Detach")},
    )


def route_table_changes(event: dict[str, Any]) -> bool:
    return _api_call(
        event,
        "ec2",
        {
            "CreateRoute",
            "ReplaceRoute",
            "DeleteRoute",
            "CreateRouteTable",
            "DeleteRouteTable",
            "ReplaceRouteTableAssociation",
            "DisassociateRouteTable",
        },
    )


def vpc_changes(event: dict[str, Any]) -> bool:
    """VPCs created, deleted or modified; peering accepted, created, deleted, rejected; ClassicLink."""
    return _api_call(
        event,
        "ec2",
        {"CreateVpc", "DeleteVpc", "ModifyVpcAttribute"}
        | {f"{verb}VpcPeeringConnection" for verb in ("Accept", "Create", "Delete", "Reject")}
        | {"AttachClassicLinkVpc", "DetachClassicLinkVpc"}
        | {"DisableVpcClassicLink", "EnableVpcClassicLink"},
    )


def _ours(name: Any) -> bool:
    return isinstance(name, str) and name.startswith(f"{NAME_PREFIX}-")


def monitor_rules_tampered(event: dict[str, Any]) -> bool:
    """One of our rules (named api-alerts-...) put, disabled, deleted, or its targets changed."""
    params = event["detail"].get("requestParameters") or {}
    return _api_call(
        event, "events", {"PutRule", "DisableRule", "DeleteRule", "PutTargets", "RemoveTargets"}
    ) and (_ours(params.get("name")) or _ours(params.get("rule")))


def monitor_topic_tampered(event: dict[str, Any]) -> bool:
    """Our alert, health or chat topic (api-alerts, api-alerts-health,
    api-alerts-chat-critical/high/medium/low) deleted, its attributes or permissions changed, or a
    subscription of any topic named api-alerts* added, filtered or removed (a subscription's ARN
    is its topic's ARN and an id: SNS Subscribe)."""
    params = event["detail"].get("requestParameters") or {}
    topic = (params.get("topicArn") or "").split(":")[-1]
    subscription = params.get("subscriptionArn") or ""
    ours = {NAME_PREFIX, f"{NAME_PREFIX}-health"} | {
        f"{NAME_PREFIX}-chat-{s}" for s in ("critical", "high", "medium", "low")
    }
    return _api_call(
        event,
        "sns",
        {"DeleteTopic", "SetTopicAttributes", "AddPermission", "RemovePermission"}
        | {"Subscribe", "Unsubscribe", "SetSubscriptionAttributes"},
    ) and (topic in ours or f":{NAME_PREFIX}" in subscription)


def monitor_queue_tampered(event: dict[str, Any]) -> bool:
    """Our dead-letter queue (api-alerts-undelivered-alerts) deleted, purged or re-policied."""
    url = (event["detail"].get("requestParameters") or {}).get("queueUrl") or ""
    return (
        _api_call(
            event,
            "sqs",
            {
                "DeleteQueue",
                "PurgeQueue",
                "SetQueueAttributes",
                "AddPermission",
                "RemovePermission",
            },
        )
        and url.rsplit("/", 1)[-1] == f"{NAME_PREFIX}-undelivered-alerts"
    )


def monitor_key_tampered(event: dict[str, Any]) -> bool:
    """Our KMS key (TEST_KEY_ID, by id or ARN) disabled, scheduled for deletion, re-policied or its
    rotation turned off; or our alias (alias/api-alerts) deleted or repointed."""
    params = event["detail"].get("requestParameters") or {}
    key = params.get("keyId") or ""
    ours = key == TEST_KEY_ID or key == test_key_arn(event["region"])
    return (
        _api_call(
            event,
            "kms",
            {"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "DisableKeyRotation"},
        )
        and ours
    ) or (
        _api_call(event, "kms", {"DeleteAlias", "UpdateAlias"})
        and params.get("aliasName") == f"alias/{NAME_PREFIX}"
    )


def monitor_trail_selectors_changed(event: dict[str, Any]) -> bool:
    """Our trail's (api-alerts-trail) event or Insights selectors put, by name or ARN."""
    trail = (event["detail"].get("requestParameters") or {}).get("trailName") or ""
    return _api_call(event, "cloudtrail", {"PutEventSelectors", "PutInsightSelectors"}) and (
        trail.split("/")[-1] == f"{NAME_PREFIX}-trail"
    )


def monitor_trail_bucket_tampered(event: dict[str, Any]) -> bool:
    """Our trail bucket (api-alerts-trail-...) deleted, or its protective settings changed."""
    bucket = (event["detail"].get("requestParameters") or {}).get("bucketName") or ""
    settings = ("Policy", "PublicAccessBlock", "OwnershipControls", "Encryption", "Lifecycle")
    return _api_call(
        event,
        "s3",
        {f"{verb}Bucket{what}" for verb in ("Put", "Delete") for what in settings}
        | {"PutBucketVersioning", "DeleteBucket"},
    ) and bucket.startswith(f"{NAME_PREFIX}-trail-")


def monitor_alarms_tampered(event: dict[str, Any]) -> bool:
    """Our alarms (api-alerts-...) put, deleted or silenced, or our trail log group
    (api-alerts-trail) deleted, its retention, key or metric filters changed."""
    params = event["detail"].get("requestParameters") or {}
    log_group_calls = {"DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy"} | {
        "AssociateKmsKey",
        "DisassociateKmsKey",
        "PutMetricFilter",
        "DeleteMetricFilter",
    }
    names = params.get("alarmNames") or []
    return (
        _api_call(event, "logs", log_group_calls)
        and params.get("logGroupName") == f"{NAME_PREFIX}-trail"
    ) or (
        _api_call(event, "monitoring", {"PutMetricAlarm", "DeleteAlarms", "DisableAlarmActions"})
        and (_ours(params.get("alarmName")) or any(_ours(name) for name in names))
    )


def monitor_roles_tampered(event: dict[str, Any]) -> bool:
    """One of our roles (api-alerts-...) had an inline or managed policy or its permissions
    boundary put, attached, detached or deleted, its trust policy updated, or was deleted,
    succeeded or not. Tags, reads and UpdateRole (description, session length) are not."""
    role = (event["detail"].get("requestParameters") or {}).get("roleName")
    return _api_call(
        event,
        "iam",
        {f"{verb}RolePermissionsBoundary" for verb in ("Put", "Delete")}
        | {f"{verb}RolePolicy" for verb in ("Put", "Delete", "Attach", "Detach")}
        | {"UpdateAssumeRolePolicy", "DeleteRole"},
    ) and _ours(role)


def self_test(event: dict[str, Any]) -> bool:
    """Our self-test event: source api-alerts.selftest, detail-type "Alert self-test"."""
    return (
        event["source"] == f"{NAME_PREFIX}.selftest" and event["detail-type"] == "Alert self-test"
    )


# ---- attack techniques ----

# What the tests deploy as trustedAccounts (tests/conftest.py ALL_GROUPS configurations), and the
# account the records are in (synthesized.TEST_ACCOUNT): shares with them are not exfiltration.
TRUSTED_ACCOUNTS = ("444455556666",)
OUR_ACCOUNTS = {TEST_ACCOUNT, *TRUSTED_ACCOUNTS}


def _params(event: dict[str, Any]) -> dict[str, Any]:
    return event["detail"].get("requestParameters") or {}


def _by_a_person(event: dict[str, Any]) -> bool:
    """An IAM user, federated user, root, or an IAM Identity Center (AWSReservedSSO_) session."""
    identity = event["detail"].get("userIdentity") or {}
    issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("userName")
    return identity.get("type") in {"IAMUser", "FederatedUser", "Root"} or (
        isinstance(issuer, str) and issuer.startswith("AWSReservedSSO_")
    )


def trail_event_selectors_changed(event: dict[str, Any]) -> bool:
    """Any trail's event selectors put."""
    return _api_call(event, "cloudtrail", {"PutEventSelectors"})


def vpc_flow_logs_deleted(event: dict[str, Any]) -> bool:
    return _api_call(event, "ec2", {"DeleteFlowLogs"})


def dns_query_logging_deleted(event: dict[str, Any]) -> bool:
    """A Resolver query logging configuration deleted, or disassociated from a VPC."""
    return _api_call(
        event,
        "route53resolver",
        {"DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"},
    )


def organization_leave_attempted(event: dict[str, Any]) -> bool:
    return _api_call(event, "organizations", {"LeaveOrganization"})


def ec2_user_data_modified(event: dict[str, Any]) -> bool:
    """ModifyInstanceAttribute setting user data, in either of its two request forms."""
    params = _params(event)
    return _api_call(event, "ec2", {"ModifyInstanceAttribute"}) and (
        "userData" in params or params.get("attribute") == "userData"
    )


def ssm_command_sent(event: dict[str, Any]) -> bool:
    """SendCommand with a document that runs any command, or one AWS does not own."""
    document = _params(event).get("documentName")
    return (
        _api_call(event, "ssm", {"SendCommand"})
        and isinstance(document, str)
        and (
            document in {"AWS-RunShellScript", "AWS-RunPowerShellScript", "AWS-RunRemoteScript"}
            or not document.startswith("AWS-")
        )
    )


def _shares(event: dict[str, Any], attribute: str) -> bool:
    items = ((_params(event).get(attribute) or {}).get("add") or {}).get("items") or []
    return any(
        item.get("group") == "all" or ("userId" in item and item["userId"] not in OUR_ACCOUNTS)
        for item in items
    )


def ec2_image_or_snapshot_shared(event: dict[str, Any]) -> bool:
    """An AMI's launch permission or a snapshot's volume permission added for an account not ours,
    or for everyone."""
    return _api_call(event, "ec2", {"ModifyImageAttribute", "ModifySnapshotAttribute"}) and (
        _shares(event, "launchPermission") or _shares(event, "createVolumePermission")
    )


def rds_snapshot_shared(event: dict[str, Any]) -> bool:
    """An RDS snapshot's restore permission added for an account not ours, or for all."""
    params = _params(event)
    return (
        _api_call(event, "rds", {"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"})
        and params.get("attributeName") == "restore"
        and any(value not in OUR_ACCOUNTS for value in params.get("valuesToAdd") or [])
    )


def bedrock_model_access_enabled(event: dict[str, Any]) -> bool:
    return _api_call(
        event,
        "bedrock",
        {
            "PutUseCaseForModelAccess",
            "PutFoundationModelEntitlement",
            "CreateFoundationModelAgreement",
        },
    )


def ec2_serial_console_used(event: dict[str, Any]) -> bool:
    """Serial console access enabled, or a key pushed to an instance's serial console."""
    return _api_call(event, "ec2", {"EnableSerialConsoleAccess"}) or _api_call(
        event, "ec2-instance-connect", {"SendSerialConsoleSSHPublicKey"}
    )


def iam_role_trust_policy_changed(event: dict[str, Any]) -> bool:
    return _api_call(event, "iam", {"UpdateAssumeRolePolicy"})


def console_password_set_for_user(event: dict[str, Any]) -> bool:
    """A login profile created or updated for a named user (not ChangePassword, a user's own)."""
    return _api_call(event, "iam", {"CreateLoginProfile", "UpdateLoginProfile"}) and (
        "userName" in _params(event)
    )


def lambda_permission_granted_outside(event: dict[str, Any]) -> bool:
    """A function permission for everyone, or an account or principal outside this account
    (trustedAccounts too: they are not exempt here); AWS service principals excluded."""
    principal = _params(event).get("principal")
    if not _api_call(event, "lambda", set(), "AddPermission") or not isinstance(principal, str):
        return False
    if principal.endswith(".amazonaws.com"):
        return False
    account = principal.split(":")[4] if principal.startswith("arn:") else principal
    return account != TEST_ACCOUNT


def lambda_layer_attached_by_person(event: dict[str, Any]) -> bool:
    layers = _params(event).get("layers") or []
    return (
        _api_call(event, "lambda", set(), "UpdateFunctionConfiguration")
        and any(isinstance(layer, str) and layer.startswith("arn:") for layer in layers)
        and _by_a_person(event)
    )


def lambda_code_updated_by_person(event: dict[str, Any]) -> bool:
    return _api_call(event, "lambda", set(), "UpdateFunctionCode") and _by_a_person(event)


def roles_anywhere_trust_anchor_changed(event: dict[str, Any]) -> bool:
    return _api_call(event, "rolesanywhere", {"CreateTrustAnchor", "UpdateTrustAnchor"})


def federation_token_issued(event: dict[str, Any]) -> bool:
    return _api_call(event, "sts", {"GetFederationToken"})


def secrets_batch_retrieved(event: dict[str, Any]) -> bool:
    return _api_call(event, "secretsmanager", {"BatchGetSecretValue"})


# Thresholds (metric-filter engine): what one record must be to be counted.
def ec2_password_data_read_in_bulk(event: dict[str, Any]) -> bool:
    return _api_call(event, "ec2", {"GetPasswordData"})


def secrets_read_in_bulk(event: dict[str, Any]) -> bool:
    return _api_call(event, "secretsmanager", {"GetSecretValue"})


def ssm_secure_parameters_read_in_bulk(event: dict[str, Any]) -> bool:
    return (
        _api_call(event, "ssm", {"GetParameter", "GetParameters"})
        and _params(event).get("withDecryption") is True
    )


def ssm_sessions_started_in_bulk(event: dict[str, Any]) -> bool:
    return _api_call(event, "ssm", {"StartSession"})


def instance_connect_keys_sent_in_bulk(event: dict[str, Any]) -> bool:
    return _api_call(event, "ec2-instance-connect", {"SendSSHPublicKey"})


# How many records within one period each threshold detection alarms at (5-minute periods).
THRESHOLDS = {
    "ec2_password_data_read_in_bulk": 10,
    "secrets_read_in_bulk": 20,
    "ssm_secure_parameters_read_in_bulk": 5,
    "ssm_sessions_started_in_bulk": 3,
    "instance_connect_keys_sent_in_bulk": 3,
}

ORACLES: dict[str, Callable[[dict[str, Any]], bool]] = {
    oracle.__name__: oracle
    for oracle in (
        security_group_changes,
        network_acl_changes,
        cloudtrail_changes,
        iam_policy_changes,
        root_console_sign_in,
        access_key_created,
        root_account_usage,
        unauthorized_api_calls,
        console_sign_in_without_mfa,
        cloudtrail_created_or_started,
        console_authentication_failures,
        kms_key_disabled_or_deleted,
        s3_bucket_policy_changes,
        config_changes,
        security_group_lifecycle,
        network_gateway_changes,
        route_table_changes,
        vpc_changes,
        monitor_rules_tampered,
        monitor_topic_tampered,
        monitor_queue_tampered,
        monitor_key_tampered,
        monitor_trail_selectors_changed,
        monitor_trail_bucket_tampered,
        monitor_alarms_tampered,
        monitor_roles_tampered,
        trail_event_selectors_changed,
        vpc_flow_logs_deleted,
        dns_query_logging_deleted,
        organization_leave_attempted,
        ec2_user_data_modified,
        ssm_command_sent,
        ec2_image_or_snapshot_shared,
        rds_snapshot_shared,
        bedrock_model_access_enabled,
        ec2_serial_console_used,
        iam_role_trust_policy_changed,
        console_password_set_for_user,
        lambda_permission_granted_outside,
        lambda_layer_attached_by_person,
        lambda_code_updated_by_person,
        roles_anywhere_trust_anchor_changed,
        federation_token_issued,
        secrets_batch_retrieved,
        ec2_password_data_read_in_bulk,
        secrets_read_in_bulk,
        ssm_secure_parameters_read_in_bulk,
        ssm_sessions_started_in_bulk,
        instance_connect_keys_sent_in_bulk,
        self_test,
    )
}

# Where AWS delivers what each detection matches, hence which regions' stacks must carry it.
# IAM, root sign-in and STS-global events arrive only in us-east-1; IAM-user console sign-ins in
# us-east-1, us-east-2, eu-north-1, ap-southeast-2 or a regional endpoint's region; our trail and
# its bucket live in the home region; our rules and topics in every deployed region.
# Organizations, like IAM, delivers its events to us-east-1 only
# (https://repost.aws/knowledge-center/use-eventbridge-rule-across-regions); STS records a call
# where it was served: the global endpoint's in us-east-1, a regional endpoint's in its region.
GLOBAL_DETECTIONS = frozenset(
    {
        "iam_policy_changes",
        "root_console_sign_in",
        "access_key_created",
        "organization_leave_attempted",
        "iam_role_trust_policy_changed",
        "console_password_set_for_user",
        "monitor_roles_tampered",
    }
)
ANY_SERVICE = frozenset({"root_account_usage", "unauthorized_api_calls", "federation_token_issued"})
# Rules that receive read-only management events (state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS).
READ_ONLY_DETECTIONS = frozenset({"secrets_batch_retrieved"})
SIGN_IN_DETECTIONS = frozenset({"console_sign_in_without_mfa", "console_authentication_failures"})
HOME_DETECTIONS = frozenset({"monitor_trail_selectors_changed", "monitor_trail_bucket_tampered"})
EVERY_STACK_DETECTIONS = frozenset(
    {
        "monitor_rules_tampered",
        "monitor_topic_tampered",
        "monitor_queue_tampered",
        "monitor_key_tampered",
        "monitor_alarms_tampered",
        "self_test",
    }
)
SIGN_IN_REGIONS = frozenset({"us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2"})


def carrying_regions(
    detection: str, monitored: Iterable[str], home: str, deployed: Iterable[str]
) -> set[str]:
    """The regions whose stacks must carry this detection."""
    if detection in GLOBAL_DETECTIONS:
        return {"us-east-1"}
    if detection in ANY_SERVICE:
        return {*monitored, "us-east-1"}
    if detection in SIGN_IN_DETECTIONS:
        return {*monitored, *SIGN_IN_REGIONS}
    if detection in HOME_DETECTIONS:
        return {home}
    if detection in EVERY_STACK_DETECTIONS:
        return set(deployed)
    return set(monitored)


def deciding_fields(event: dict[str, Any]) -> str:
    """The fields the oracles read, for a mismatch message."""
    detail = event["detail"]
    login = (
        (detail.get("responseElements") or {}).get("ConsoleLogin")
        if isinstance(detail.get("responseElements"), dict)
        else None
    )
    return (
        f"region={event['region']} source={event['source']} detail-type={event['detail-type']!r} "
        f"eventSource={detail.get('eventSource')} eventName={detail.get('eventName')} "
        f"userIdentity.type={detail.get('userIdentity', {}).get('type')} "
        f"ConsoleLogin={login} errorCode={detail.get('errorCode')}"
    )
