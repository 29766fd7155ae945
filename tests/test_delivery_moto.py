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

from constructs_lib.detections.outcomes import detection_id_of
from constructs_lib.detections.rule_files import rule_events
from tests.cloudtrail import arrays_crushed, envelope
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


def _deploy_rules(stack) -> dict[str, str]:
    """Create the stack's targeted rules in moto with an SQS target each: rule id -> queue URL.

    Without their input transformers: moto would json.loads the filled template, which real
    EventBridge does not do (models/eventbridge_templates.py is the judge of what is sent).
    """
    events = boto3.client("events", region_name=stack.name)
    sqs = boto3.client("sqs", region_name=stack.name)
    queues = {}
    for rule_id, rule in stack.resources(RULE).items():
        targets = stack.targets_of(rule_id)
        events.put_rule(
            Name=rule["name"],
            EventPattern=stack.pattern_of(rule),
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
            Targets=[{"Id": t["target_id"], "Arn": arn} for t in targets],
        )
        queues[rule_id] = url
    return queues


@mock_aws
def test_corpus_through_moto_event_buses(corpus, configured_stacks):
    settings, stacks = configured_stacks
    queues = {region: _deploy_rules(stack) for region, stack in stacks.items()}

    expected: Counter = Counter()
    # One client per region: creating a boto3 client costs more than the call.
    clients = {region: boto3.client("events", region_name=region) for region in stacks}
    for item in corpus:
        if not item.region_is_real or item.event["region"] not in stacks:
            continue
        if item.record.get("readOnly") is True:
            # Rules in state ENABLED never receive read-only calls (EventBridge guide,
            # eb-service-event-cloudtrail-management.html): AWS would not deliver these.
            continue
        event = item.event
        clients[event["region"]].put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    # EventBridge matches through arrays of objects, moto does not: it is given
                    # the record as Event Ruler reads it (tests.cloudtrail.arrays_crushed).
                    "Detail": json.dumps(arrays_crushed(event["detail"])),
                    "Resources": event["resources"],
                }
            ]
        )
        expected.update(expected_firings(event, settings, stacks))

    arrived: Counter = Counter()
    for region, by_rule in queues.items():
        sqs = boto3.client("sqs", region_name=region)
        for rule, url in by_rule.items():
            for message in _drain(sqs, url):
                body = json.loads(message["Body"])
                assert body["region"] == region
                arrived[(detection_id_of(rule), region)] += 1
    assert arrived == expected
    assert sum(arrived.values()) > 10


@mock_aws
def test_synthesized_topic_delivers_a_published_alert(stacks):
    for region, stack in stacks.items():
        for topic in stack.resources("aws_sns_topic").values():
            sns = boto3.client("sns", region_name=region)
            sqs = boto3.client("sqs", region_name=region)
            topic_arn = sns.create_topic(Name=topic["name"])["TopicArn"]
            url = sqs.create_queue(QueueName=f"inbox-{topic['name']}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
            sns.publish(
                TopicArn=topic_arn, Message='{"detail-type": "AWS API Call via CloudTrail"}'
            )
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


@pytest.mark.parametrize("configured_stacks", ["corpus_regions"], indirect=True)
@mock_aws
def test_refused_and_done_calls_reach_their_own_rule(configured_stacks):
    """A denied call arrives through the detection's _failed rule only, a successful one through
    the other: the wiring behind alerts that state their outcome."""
    _, stacks = configured_stacks
    queues = _deploy_rules(stacks["ap-northeast-1"])
    sqs = boto3.client("sqs", region_name="ap-northeast-1")
    records = rule_events("cloudtrail_changes")["fires"]
    denied = next(r for r in records if r.get("errorCode") and r["awsRegion"] == "ap-northeast-1")
    done = next(r for r in records if not r.get("errorCode") and r["awsRegion"] == "ap-northeast-1")
    for record, arrives, stays in (
        (denied, "cloudtrail_changes_failed", "cloudtrail_changes"),
        (done, "cloudtrail_changes", "cloudtrail_changes_failed"),
    ):
        _put(envelope(record))
        (message,) = _drain(sqs, queues[arrives])
        assert json.loads(message["Body"])["detail"]["eventID"] == record["eventID"]
        assert _drain(sqs, queues[stays]) == []


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
    rule_arn = events.put_rule(Name=rule["name"], EventPattern=stack.pattern_of(rule))["RuleArn"]
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

    (record, *_) = rule_events("security_group_changes")["fires"]
    failed = envelope(record)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(failed))
    (waiting,) = _drain(sqs, url)
    assert json.loads(waiting["Body"])["detail"]["eventID"] == record["eventID"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
