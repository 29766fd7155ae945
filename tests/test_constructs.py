"""Each construct on its own: CdktfTesting.synth of a small stack, asserting what a reviewer must see."""

from __future__ import annotations

import json

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting  # not "Test*": pytest would try to collect it

from constructs_lib.delivery import Subscription
from constructs_lib.delivery.delivery_alarms import DeliveryAlarms
from constructs_lib.delivery.notification_topic import NotificationTopic
from constructs_lib.delivery.undelivered_alerts import UndeliveredAlerts
from constructs_lib.detections.catalog import CATALOG, KEY_ARN, KEY_ID, selected
from constructs_lib.detections.outcomes import rule_variants
from constructs_lib.eventbridge.alert_message import alert_message
from constructs_lib.eventbridge.detection_rule import DetectionRule, rule_name
from constructs_lib.eventbridge.home_bus_forwarding import HomeBusForwarding
from constructs_lib.foundation.region_account import RegionAccount
from constructs_lib.trail.audit_trail import AuditTrail

REGION = "eu-west-1"
ALIAS = "aws.eu-west-1"


def _stack():
    """A small stack in REGION, as RegionStack sets one up: (stack, placement)."""
    stack = TerraformStack(CdktfTesting.app(), "test")
    placement = RegionAccount(
        stack, "region_account", region=REGION, partition="aws", name_prefix="acme", default_tags={}
    ).placement
    return stack, placement


def _has(synth: str, resource_type: str, properties: dict) -> bool:
    return CdktfTesting.to_have_resource_with_properties(synth, resource_type, properties)


def _only(document: dict, kind: str, block_type: str) -> dict:
    (block,) = document[kind][block_type].values()
    return block


def _statements(document: dict, sid: str) -> dict:
    for policy in document["data"]["aws_iam_policy_document"].values():
        for statement in policy["statement"]:
            if statement["sid"] == sid:
                return statement
    raise AssertionError(f"no statement {sid}")


@pytest.fixture(scope="module")
def trail_synth() -> str:
    stack, placement = _stack()
    AuditTrail(
        stack,
        "audit_trail",
        placement=placement,
        archive_after_days=90,
    )
    return CdktfTesting.synth(stack)


def test_trail_is_multi_region_validated_and_logging(trail_synth):
    assert _has(
        trail_synth,
        "aws_cloudtrail",
        {
            "name": "acme-trail",
            "is_multi_region_trail": True,
            "include_global_service_events": True,
            "enable_log_file_validation": True,
            "enable_logging": True,
            "provider": ALIAS,
        },
    )


def test_trail_waits_for_the_bucket_policy(trail_synth):
    document = json.loads(trail_synth)
    trail = _only(document, "resource", "aws_cloudtrail")
    policies = document["resource"]["aws_s3_bucket_policy"]
    (trail_bucket_policy,) = [n for n in policies if n.startswith("audit_trail_trail_bucket_")]
    assert trail["depends_on"] == [f"aws_s3_bucket_policy.{trail_bucket_policy}"]


def test_trail_bucket_is_private_encrypted_versioned_owner_enforced(trail_synth):
    document = json.loads(trail_synth)
    buckets = document["resource"]["aws_s3_bucket"].values()
    assert sorted(b["bucket_prefix"] for b in buckets) == ["acme-logs-", "acme-trail-"]
    assert all("bucket" not in b and not b.get("force_destroy") for b in buckets)
    assert _has(
        trail_synth,
        "aws_s3_bucket_public_access_block",
        {
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
    )
    assert _has(
        trail_synth,
        "aws_s3_bucket_server_side_encryption_configuration",
        {"rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]},
    )
    assert _has(
        trail_synth,
        "aws_s3_bucket_versioning",
        {"versioning_configuration": {"status": "Enabled"}},
    )
    assert _has(
        trail_synth,
        "aws_s3_bucket_ownership_controls",
        {"rule": {"object_ownership": "BucketOwnerEnforced"}},
    )
    for resource_type, blocks in document["resource"].items():
        for block in blocks.values():
            assert block["provider"] == ALIAS, resource_type


def test_bucket_policy_lets_only_this_trail_write(trail_synth):
    document = json.loads(trail_synth)
    (account,) = document["data"]["aws_caller_identity"]
    (bucket,) = [n for n in document["resource"]["aws_s3_bucket"] if "trail_bucket" in n]
    trail_arn = (
        f"arn:aws:cloudtrail:{REGION}:${{data.aws_caller_identity.{account}.account_id}}"
        ":trail/acme-trail"
    )
    this_trail = {"test": "StringEquals", "variable": "aws:SourceArn", "values": [trail_arn]}
    cloudtrail = [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}]

    acl_check = _statements(document, "AWSCloudTrailAclCheck")
    assert acl_check["effect"] == "Allow" and acl_check["principals"] == cloudtrail
    assert acl_check["actions"] == ["s3:GetBucketAcl"]
    assert acl_check["condition"] == [this_trail]

    assert acl_check["resources"] == [f"${{aws_s3_bucket.{bucket}.arn}}"]
    write = _statements(document, "AWSCloudTrailWrite")
    assert write["principals"] == cloudtrail and write["actions"] == ["s3:PutObject"]
    assert write["resources"] == [
        f"${{aws_s3_bucket.{bucket}.arn}}/AWSLogs/${{data.aws_caller_identity.{account}.account_id}}/*"
    ]
    assert this_trail in write["condition"]
    assert {
        "test": "StringEquals",
        "variable": "s3:x-amz-acl",
        "values": ["bucket-owner-full-control"],
    } in write["condition"]

    tls = _statements(document, "DenyInsecureTransport")
    assert tls["effect"] == "Deny" and tls["actions"] == ["s3:*"]
    assert tls["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]


SUBSCRIPTIONS = [
    Subscription("email", "secops@example.com"),
    Subscription("https", "https://hooks.example.com/alerts"),
    Subscription("email", "oncall@example.com"),
    Subscription("sqs", "arn:aws:sqs:eu-west-1:111122223333:soc-inbox"),
]


def _topic_synth(**kwargs) -> str:
    stack, placement = _stack()
    NotificationTopic(stack, "topic", placement=placement, subscriptions=SUBSCRIPTIONS, **kwargs)
    return CdktfTesting.synth(stack)


@pytest.fixture(scope="module")
def topic_synth() -> str:
    """The alert topic: EventBridge publishes."""
    return _topic_synth(name="acme", eventbridge=True, alarms=False, kms_key_arn="arn:aws:kms:k")


@pytest.fixture(scope="module")
def health_topic_synth() -> str:
    """The health topic: our alarms publish, and EventBridge for the alert path's own watch."""
    return _topic_synth(name="acme-health", eventbridge=True, alarms=True)


def test_alert_topic_lets_eventbridge_publish_without_a_condition(topic_synth):
    """The EventBridge guide: "You can't use Condition blocks in Amazon SNS topic policies for
    EventBridge" (eb-use-resource-based.html#eb-sns-permissions)."""
    document = json.loads(topic_synth)
    (topic,) = document["resource"]["aws_sns_topic"]
    (policy,) = document["data"]["aws_iam_policy_document"].values()
    assert policy["statement"] == [
        {
            "sid": "AllowEventBridgeToPublish",
            "effect": "Allow",
            "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
            "actions": ["sns:Publish"],
            "resources": [f"${{aws_sns_topic.{topic}.arn}}"],
        }
    ]
    assert document["resource"]["aws_sns_topic"][topic]["kms_master_key_id"] == "arn:aws:kms:k"
    policy_resource = _only(document, "resource", "aws_sns_topic_policy")
    assert policy_resource["arn"] == f"${{aws_sns_topic.{topic}.arn}}"
    assert policy_resource["policy"].startswith("${data.aws_iam_policy_document.")


def test_health_topic_lets_only_our_alarms_in_this_account_publish(health_topic_synth):
    document = json.loads(health_topic_synth)
    (account,) = document["data"]["aws_caller_identity"]
    account_id = f"${{data.aws_caller_identity.{account}.account_id}}"
    ((topic, block),) = document["resource"]["aws_sns_topic"].items()
    block = {k: v for k, v in block.items() if k != "//"}
    # Never encrypted: it must work when the alert key does not.
    assert block == {"name": "acme-health", "provider": ALIAS}
    statement = _statements(document, "AllowOurAlarmsToPublish")
    assert statement["principals"] == [
        {"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}
    ]
    assert statement["actions"] == ["sns:Publish"]
    assert statement["resources"] == [f"${{aws_sns_topic.{topic}.arn}}"]
    assert statement["condition"] == [
        {
            "test": "ArnLike",
            "variable": "aws:SourceArn",
            "values": [f"arn:aws:cloudwatch:{REGION}:{account_id}:alarm:acme-*"],
        },
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
    ]
    assert _statements(document, "AllowEventBridgeToPublish")["principals"] == [
        {"type": "Service", "identifiers": ["events.amazonaws.com"]}
    ]


def test_topic_subscribes_each_endpoint_by_protocol(topic_synth):
    assert _has(topic_synth, "aws_sns_topic", {"name": "acme", "provider": ALIAS})
    subscriptions = json.loads(topic_synth)["resource"]["aws_sns_topic_subscription"]
    by_protocol = {s["protocol"]: s for s in subscriptions.values()}
    assert set(by_protocol) == {"email", "https", "sqs"}
    assert by_protocol["email"]["for_each"] == (
        '${toset(["secops@example.com", "oncall@example.com"])}'
    )
    assert by_protocol["https"]["for_each"] == '${toset(["https://hooks.example.com/alerts"])}'
    assert by_protocol["sqs"]["for_each"] == (
        '${toset(["arn:aws:sqs:eu-west-1:111122223333:soc-inbox"])}'
    )
    for subscription in by_protocol.values():
        assert subscription["endpoint"] == "${each.value}" and subscription["provider"] == ALIAS


@pytest.mark.parametrize("entry", CATALOG, ids=[d.id for d in CATALOG])
def test_rules_are_the_catalog_entry_enabled_on_the_default_bus(entry):
    stack, placement = _stack()
    names = {KEY_ID: "key-id", KEY_ARN: "key-arn"}
    DetectionRule(
        stack,
        detection=entry,
        alert_topic_arn="arn:aws:sns:eu-west-1:111122223333:acme",
        health_topic_arn="arn:aws:sns:eu-west-1:111122223333:acme-health",
        dead_letter_arn="arn:aws:sqs:eu-west-1:111122223333:acme-undelivered-alerts",
        name_prefix="acme",
        provider=placement.provider,
        names=names,
    )
    document = json.loads(CdktfTesting.synth(stack))
    rules = document["resource"]["aws_cloudwatch_event_rule"]
    targets = document["resource"]["aws_cloudwatch_event_target"].values()
    variants = rule_variants(entry)
    assert set(rules) == {v.id for v in variants}
    topics = {"alert-topic": "acme"}
    if entry.to_health_topic:
        topics["health-topic"] = "acme-health"
    assert len(targets) == len(variants) * len(topics)
    for variant in variants:
        rule = rules[variant.id]
        assert rule["name"] == rule_name("acme", variant.id)
        assert json.loads(rule["event_pattern"]) == variant.event_pattern("acme", names)
        # Enabled; a detection of read-only calls in the state that receives them.
        state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" if entry.read_only else "ENABLED"
        assert rule["state"] == state and rule["event_bus_name"] == "default"
        assert rule["description"] == variant.description and rule["provider"] == ALIAS
        message = alert_message(variant)
        reference = f"${{aws_cloudwatch_event_rule.{variant.id}.name}}"
        for target_id, topic in topics.items():
            (target,) = [
                t for t in targets if t["rule"] == reference and t["target_id"] == target_id
            ]
            assert {k: v for k, v in target.items() if k != "//"} == {
                "arn": f"arn:aws:sns:eu-west-1:111122223333:{topic}",
                "event_bus_name": "default",
                "provider": ALIAS,
                "rule": reference,
                "target_id": target_id,
                "input_transformer": {
                    "input_paths": message.input_paths,
                    "input_template": message.input_template,
                },
                "retry_policy": {
                    "maximum_event_age_in_seconds": 86400,
                    "maximum_retry_attempts": 185,
                },
                "dead_letter_config": {
                    "arn": "arn:aws:sqs:eu-west-1:111122223333:acme-undelivered-alerts"
                },
            }


def test_outcome_rules_split_every_event_between_them():
    """A detection's two rules have complementary patterns: an event matches one of them at most."""
    split = [d for d in CATALOG if len(rule_variants(d)) == 2]
    assert {d.id for d in split} >= {"security_group_changes", "cloudtrail_changes"}
    assert all(len(rule_variants(d)) in (1, 2) for d in CATALOG)
    for entry in split:
        done, refused = (v.event_pattern("acme")["detail"] for v in rule_variants(entry))
        assert done["errorCode"] == [{"exists": False}]
        assert refused["errorCode"] == [{"exists": True}]
        assert "errorCode" not in entry.event_pattern("acme")["detail"]


@pytest.fixture(scope="module")
def forwarding_synth() -> str:
    stack, placement = _stack()
    HomeBusForwarding(
        stack,
        "home_bus_forwarding",
        placement=placement,
        home_region="ap-northeast-1",
        detections=selected(["original", "cis", "self"]),
        dead_letter_arn="arn:aws:sqs:eu-west-1:111122223333:acme-undelivered-alerts",
    )
    return CdktfTesting.synth(stack)


def test_forwarding_role_trusts_only_eventbridge_for_our_rules(forwarding_synth):
    document = json.loads(forwarding_synth)
    (account,) = document["data"]["aws_caller_identity"]
    account_id = f"${{data.aws_caller_identity.{account}.account_id}}"
    trust = _statements(document, "EventBridgeForOurRules")
    assert trust["effect"] == "Allow" and trust["actions"] == ["sts:AssumeRole"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert trust["condition"] == [
        {
            "test": "ArnLike",
            "variable": "aws:SourceArn",
            "values": [f"arn:aws:events:{REGION}:{account_id}:rule/acme-*"],
        },
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
    ]
    role = _only(document, "resource", "aws_iam_role")
    assert role["name"] == f"acme-forward-{REGION}" and role["provider"] == ALIAS
    assert role["assume_role_policy"].startswith("${data.aws_iam_policy_document.")


def test_forwarding_role_may_only_put_events_on_the_home_bus(forwarding_synth):
    document = json.loads(forwarding_synth)
    (account,) = document["data"]["aws_caller_identity"]
    statement = _statements(document, "PutEventsOnTheHomeBusOnly")
    assert statement == {
        "sid": "PutEventsOnTheHomeBusOnly",
        "effect": "Allow",
        "actions": ["events:PutEvents"],
        "resources": [
            f"arn:aws:events:ap-northeast-1:${{data.aws_caller_identity.{account}.account_id}}"
            ":event-bus/default"
        ],
    }
    (role,) = document["resource"]["aws_iam_role"]
    policy = _only(document, "resource", "aws_iam_role_policy")
    assert policy["role"] == f"${{aws_iam_role.{role}.id}}"


def test_forwarding_rules_target_the_home_bus_with_the_role(forwarding_synth):
    document = json.loads(forwarding_synth)
    (role,) = document["resource"]["aws_iam_role"]
    rules = document["resource"]["aws_cloudwatch_event_rule"]
    targets = document["resource"]["aws_cloudwatch_event_target"]
    assert len(rules) >= 2, "every detection forwarded: more than one pattern's worth"
    assert set(rules) == set(targets)
    for name, rule in rules.items():
        assert rule["name"] == f"acme-{name.replace('_', '-')}" and rule["state"] == "ENABLED"
        assert len(rule["event_pattern"]) <= 2048
        target = targets[name]
        assert target["rule"] == f"${{aws_cloudwatch_event_rule.{name}.name}}"
        assert target["arn"].startswith("arn:aws:events:ap-northeast-1:")
        assert target["arn"].endswith(":event-bus/default")
        assert target["role_arn"] == f"${{aws_iam_role.{role}.arn}}"
        assert target["target_id"] == "home-bus"
        assert target["retry_policy"]["maximum_retry_attempts"] == 185
        assert target["dead_letter_config"]["arn"].endswith(":acme-undelivered-alerts")


@pytest.fixture(scope="module")
def delivery_synth() -> str:
    stack, placement = _stack()
    undelivered = UndeliveredAlerts(stack, "undelivered_alerts", placement=placement)
    DeliveryAlarms(
        stack,
        "alarms",
        provider=placement.provider,
        name_prefix="acme",
        queue_name=undelivered.queue.name,
        rule_names=[f"acme-rule-{n}" for n in range(11)],
        alarm_actions=["arn:aws:sns:eu-west-1:111122223333:acme-health"],
    )
    return CdktfTesting.synth(stack)


def test_dead_letter_queue_is_sse_sqs_kept_14_days_and_only_our_rules_write(delivery_synth):
    document = json.loads(delivery_synth)
    queue = _only(document, "resource", "aws_sqs_queue")
    assert queue["name"] == "acme-undelivered-alerts"
    assert queue["message_retention_seconds"] == 1209600
    # Never the KMS key: it must keep working when the alert topic's key does not.
    assert queue["sqs_managed_sse_enabled"] is True and "kms_master_key_id" not in queue
    (account,) = document["data"]["aws_caller_identity"]
    account_id = f"${{data.aws_caller_identity.{account}.account_id}}"
    statement = _statements(document, "AllowOurRulesToDeadLetter")
    assert statement["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert statement["actions"] == ["sqs:SendMessage"]
    assert statement["condition"] == [
        {
            "test": "ArnLike",
            "variable": "aws:SourceArn",
            "values": [f"arn:aws:events:{REGION}:{account_id}:rule/acme-*"],
        },
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]},
    ]


def test_alarms_watch_the_queue_and_every_rules_failed_dead_lettering(delivery_synth):
    alarms = json.loads(delivery_synth)["resource"]["aws_cloudwatch_metric_alarm"]
    by_name = {a["alarm_name"]: a for a in alarms.values()}
    assert set(by_name) == {"acme-undelivered-alerts", "acme-lost-alerts-1", "acme-lost-alerts-2"}
    queue_alarm = by_name["acme-undelivered-alerts"]
    assert queue_alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
    assert queue_alarm["threshold"] == 1
    watched = []
    for name in ("acme-lost-alerts-1", "acme-lost-alerts-2"):
        queries = by_name[name]["metric_query"]
        assert len(queries) <= 10
        metrics = [q["metric"] for q in queries if "metric" in q]
        assert {m["metric_name"] for m in metrics} == {"InvocationsFailedToBeSentToDlq"}
        watched += [m["dimensions"]["RuleName"] for m in metrics]
        (total,) = [q for q in queries if q.get("return_data")]
        assert total["expression"].startswith("SUM([")
    assert watched == [f"acme-rule-{n}" for n in range(11)]
    for alarm in by_name.values():
        assert alarm["alarm_actions"] == ["arn:aws:sns:eu-west-1:111122223333:acme-health"]
        assert alarm["treat_missing_data"] == "notBreaching"


@pytest.fixture(scope="module")
def trail_table_synth() -> dict:
    from constructs_lib.trail.trail_table import TrailTable
    from models import cloudtrail_table as shape

    stack, placement = _stack()
    trail = AuditTrail(stack, "audit_trail", placement=placement, archive_after_days=90)
    TrailTable(
        stack,
        "trail_table",
        placement=placement,
        bucket_name=trail.trail_bucket.bucket,
        database_name="acme",
        table_name=shape.HOME_TABLE,
        layout=shape.TableLayout(regions=("eu-west-1", "us-east-1")),
    )
    return json.loads(CdktfTesting.synth(stack))


def test_trail_table_is_the_athena_guides_over_the_trail_buckets_logs(trail_table_synth):
    """The guide's SerDe, formats and columns (the struct the query reads principals from
    among them), in the provider's region, over this account's prefix of the trail bucket."""
    from models import cloudtrail_table as shape
    from models import terraform

    synth = json.dumps(trail_table_synth)
    (bucket_id,) = [
        b for b in trail_table_synth["resource"]["aws_s3_bucket"] if "trail_bucket" in b
    ]
    (account_id,) = trail_table_synth["data"]["aws_caller_identity"]
    bucket = f"${{aws_s3_bucket.{bucket_id}.bucket}}"
    account = f"${{data.aws_caller_identity.{account_id}.account_id}}"
    assert _has(synth, "aws_glue_catalog_database", {"name": "acme", "provider": ALIAS})
    identity = dict(shape.COLUMNS)["useridentity"]
    assert _has(
        synth,
        "aws_glue_catalog_table",
        {
            "name": "cloudtrail",
            "table_type": "EXTERNAL_TABLE",
            "provider": ALIAS,
            "storage_descriptor": {
                "location": f"s3://{bucket}/AWSLogs/{account}/CloudTrail/",
                "input_format": "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "ser_de_info": {"serialization_library": "org.apache.hive.hcatalog.data.JsonSerDe"},
            },
            "partition_keys": [
                {"name": "region", "type": "string"},
                {"name": "timestamp", "type": "string"},
            ],
        },
    )
    assert "sessionissuer:struct<type:string,principalid:string,arn:string" in (
        shape.hive_type(identity)
    )
    (table,) = trail_table_synth["resource"]["aws_glue_catalog_table"].values()
    parameters = table["parameters"]
    assert {k: v for k, v in parameters.items() if k != "storage.location.template"} == {
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "projection.timestamp.range": "2026/11/01,NOW",
        "projection.region.type": "enum",
        "projection.region.values": "eu-west-1,us-east-1",
    }
    # What Glue receives once Terraform has filled in the bucket and account: Athena's own
    # ${region} and ${timestamp}, which Terraform would evaluate had they not been escaped.
    template = terraform.evaluate(
        parameters["storage.location.template"],
        {bucket[2:-1]: "acme-trail-x", account[2:-1]: "123456789012"}.__getitem__,
    )
    assert template == "s3://acme-trail-x/AWSLogs/123456789012/CloudTrail/${region}/${timestamp}"
    # Every column of the guide's DDL, in its order, as Glue stores types (lower case, no spaces).
    assert table["storage_descriptor"]["columns"] == [
        {"name": name, "type": shape.hive_type(column_type)} for name, column_type in shape.COLUMNS
    ]
    columns = {c["name"]: c["type"] for c in table["storage_descriptor"]["columns"]}
    assert columns["eventname"] == columns["requestparameters"] == "string"
    assert columns["useridentity"] == shape.hive_type(identity)
