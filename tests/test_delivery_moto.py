"""End to end in moto: the synthesized rules on each region's default bus receive the corpus.

moto cannot deliver rule -> SNS, so each rule's target is an SQS queue standing in for the alert
topic; the topic itself is checked separately with an SQS subscription.
"""

from __future__ import annotations

import json
from collections import Counter

import boto3
from moto import mock_aws

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
    """Create the stack's targeted rules in moto with an SQS target each: rule id -> queue URL."""
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
            Targets=[{"Id": t["target_id"], "Arn": arn} for t in targets],
        )
        queues[rule_id] = url
    return queues


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
