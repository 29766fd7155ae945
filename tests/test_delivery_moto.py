"""End to end in moto: the synthesized rules on each region's default bus receive the corpus.

moto cannot deliver rule -> SNS, so each rule's target is an SQS queue standing in for the alert
topic; the topic itself is checked separately with an SQS subscription.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter

import boto3
import pytest
from moto import mock_aws

from constructs_lib.alert_message import alert_message, render
from constructs_lib.catalog import detection as entry
from tests.cloudtrail import envelope, fixture_records
from tests.judge import expected_firings

RULE = "aws_cloudwatch_event_rule"


def _drain(sqs, queue_url: str) -> list[dict]:
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        messages += batch
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch],
        )
    return messages


def _deploy_rules(stack, transform: bool = False) -> dict[str, str]:
    """Create the stack's targeted rules in moto with an SQS target each: rule id -> queue URL.

    With ``transform``, each target keeps its synthesized input transformer.
    """
    events = boto3.client("events", region_name=stack.name)
    sqs = boto3.client("sqs", region_name=stack.name)
    queues = {}
    for rule_id, rule in stack.resources(RULE).items():
        targets = stack.targets_of(rule_id)
        events.put_rule(
            Name=rule["name"],
            EventPattern=rule["event_pattern"],
            State=rule["state"],
            Description=rule["description"],
            EventBusName=rule["event_bus_name"],
        )
        url = sqs.create_queue(QueueName=rule["name"])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_targets(
            Rule=rule["name"],
            EventBusName=rule["event_bus_name"],
            Targets=[_target(t, arn, transform) for t in targets],
        )
        queues[rule_id] = url
    return queues


def _target(synthesized: dict, arn: str, transform: bool) -> dict:
    target = {"Id": synthesized["target_id"], "Arn": arn}
    if transform and "input_transformer" in synthesized:
        target["InputTransformer"] = {
            "InputPathsMap": synthesized["input_transformer"]["input_paths"],
            "InputTemplate": synthesized["input_transformer"]["input_template"],
        }
    return target


@mock_aws
def test_corpus_through_moto_event_buses(corpus, configured_stacks):
    settings, stacks = configured_stacks
    queues = {region: _deploy_rules(stack) for region, stack in stacks.items()}

    expected: Counter = Counter()
    for item in corpus:
        if not item.region_is_real or item.event["region"] not in stacks:
            continue
        event = item.event
        boto3.client("events", region_name=event["region"]).put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        expected.update(expected_firings(event, settings, stacks))

    arrived: Counter = Counter()
    for region, by_rule in queues.items():
        sqs = boto3.client("sqs", region_name=region)
        for detection, url in by_rule.items():
            for message in _drain(sqs, url):
                body = json.loads(message["Body"])
                assert body["region"] == region
                arrived[(detection, region)] += 1
    assert arrived == expected
    assert sum(arrived.values()) > 10


@mock_aws
def test_synthesized_topic_delivers_a_published_alert(stacks):
    for region, stack in stacks.items():
        (topic,) = stack.resources("aws_sns_topic").values()
        sns = boto3.client("sns", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        topic_arn = sns.create_topic(Name=topic["name"])["TopicArn"]
        url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        sns.publish(TopicArn=topic_arn, Message='{"detail-type": "AWS API Call via CloudTrail"}')
        (message,) = _drain(sqs, url)
        assert json.loads(json.loads(message["Body"])["Message"])["detail-type"] == (
            "AWS API Call via CloudTrail"
        )


def _put(event: dict) -> None:
    boto3.client("events", region_name=event["region"]).put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
        ]
    )


def _corpus_event(corpus, file: str) -> dict:
    (item,) = [item for item in corpus if item.file == file]
    return item.event


@pytest.mark.parametrize(
    ("file", "detection", "lines"),
    [
        (
            "ConsoleLogin__awsdocs-ct__2.json",
            "root_console_sign_in",
            [
                "[CRITICAL] Root user signed in to the console",
                "Who:      Root arn:aws:iam::111122223333:root",
                "What:     ConsoleLogin (signin.amazonaws.com)",
                "  Sign-in: Success",
                "When:     2022-11-10T16:24:34Z",
            ],
        ),
        (
            "AttachRolePolicy__invictus__1.json",
            "iam_policy_changes",
            [
                "[HIGH] IAM policy changed",
                "What:     AttachRolePolicy (iam.amazonaws.com)",
                "  Policy: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            ],
        ),
        (
            "AuthorizeSecurityGroupIngress__invictus__1.json",
            "security_group_changes",
            [
                "[HIGH] Security group rule changed",
                "What:     AuthorizeSecurityGroupIngress (ec2.amazonaws.com)",
            ],
        ),
    ],
    ids=["root-sign-in", "iam-policy-change", "security-group-change"],
)
@pytest.mark.parametrize("configured_stacks", ["corpus_regions"], indirect=True)
@mock_aws
def test_alerts_arrive_as_readable_messages(corpus, configured_stacks, file, detection, lines):
    _, stacks = configured_stacks
    event = _corpus_event(corpus, file)
    queues = _deploy_rules(stacks[event["region"]], transform=True)
    _put(event)
    sqs = boto3.client("sqs", region_name=event["region"])
    (message,) = _drain(sqs, queues[detection])
    text = json.loads(message["Body"])
    # moto leaves the placeholders of absent fields (EventBridge renders them empty), and puts
    # every event in its own account.
    moto_event = {**event, "account": "123456789012"}
    assert re.sub(r"<\w+>", "", text) == render(alert_message(entry(detection)), moto_event)
    assert f"Where:    account 123456789012, {event['region']}" in text.splitlines()
    for line in lines:
        assert line in text.splitlines(), (line, text)
    assert f"#/events/{event['detail']['eventID']}" in text


@mock_aws
def test_undelivered_alerts_wait_in_the_regions_dead_letter_queue(stacks):
    """The synthesized DLQ wiring, deployed to moto, accepts what EventBridge sends after retries.

    moto does not retry or dead-letter by itself, so the test sends what EventBridge would:
    the event, to the queue the target names, from a rule the queue policy admits.
    """
    stack = stacks["ap-northeast-1"]
    (queue_block,) = stack.resources("aws_sqs_queue").values()
    sqs = boto3.client("sqs", region_name="ap-northeast-1")
    events = boto3.client("events", region_name="ap-northeast-1")
    url = sqs.create_queue(
        QueueName=queue_block["name"],
        Attributes={
            "MessageRetentionPeriod": str(queue_block["message_retention_seconds"]),
            "SqsManagedSseEnabled": str(queue_block["sqs_managed_sse_enabled"]).lower(),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = stack.resources("aws_cloudwatch_event_rule")["security_group_changes"]
    (target,) = stack.targets_of("security_group_changes")
    rule_arn = events.put_rule(Name=rule["name"], EventPattern=rule["event_pattern"])["RuleArn"]
    events.put_targets(
        Rule=rule["name"],
        Targets=[
            {
                "Id": target["target_id"],
                "Arn": "arn:aws:sns:ap-northeast-1:123456789012:api-alerts",
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": target["retry_policy"][
                        "maximum_event_age_in_seconds"
                    ],
                    "MaximumRetryAttempts": target["retry_policy"]["maximum_retry_attempts"],
                },
                "DeadLetterConfig": {"Arn": queue_arn},
            }
        ],
    )
    (configured,) = events.list_targets_by_rule(Rule=rule["name"])["Targets"]
    assert configured["DeadLetterConfig"]["Arn"] == queue_arn
    assert configured["RetryPolicy"]["MaximumRetryAttempts"] == 185

    policy = stack.document["data"]["aws_iam_policy_document"]
    (statement,) = [
        st
        for doc in policy.values()
        for st in doc["statement"]
        if st["sid"] == "AllowOurRulesToDeadLetter"
    ]
    (source_arn,) = [c for c in statement["condition"] if c["variable"] == "aws:SourceArn"]
    # Terraform fills in the account; moto's is 123456789012.
    admitted = re.sub(
        r"\$\{data\.aws_caller_identity\.[^}]+\}", "123456789012", source_arn["values"][0]
    )
    assert fnmatch.fnmatch(rule_arn, admitted)

    (record, *_) = fixture_records("security_group_changes")["fires"]
    failed = envelope(record)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(failed))
    (waiting,) = _drain(sqs, url)
    assert json.loads(waiting["Body"])["detail"]["eventID"] == record["eventID"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"


@mock_aws
def test_selftest_sends_one_event_per_region_matching_its_self_test_rule(
    stacks, tmp_path, monkeypatch, capsys
):
    import selftest
    from tests.conftest import TEST_CONTEXT

    queues = {region: _deploy_rules(stack) for region, stack in stacks.items()}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": TEST_CONTEXT}))
    monkeypatch.chdir(tmp_path)

    assert selftest.main(["--dry-run"], {}) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == list(stacks)
    assert all(
        not _drain(boto3.client("sqs", region_name=r), q["self_test"]) for r, q in queues.items()
    )

    assert selftest.main([], {}) == 0
    for region, by_rule in queues.items():
        sqs = boto3.client("sqs", region_name=region)
        (message,) = _drain(sqs, by_rule["self_test"])
        body = json.loads(message["Body"])
        assert body["source"] == "api-alerts.selftest" and body["region"] == region
        for other, url in by_rule.items():
            if other != "self_test":
                assert _drain(sqs, url) == [], other
