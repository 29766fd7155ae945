"""With kmsKey, one key disabled or scheduled for deletion cannot silence the alert, its fallback
and the alarm at once.

What AWS states, on which the walk below rests:
- SNS refuses to publish to a topic whose key is disabled or pending deletion (KMSDisabledException,
  KMSInvalidStateException: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
- EventBridge then sends the event to the target's dead-letter queue, at once for permission and
  missing-resource errors (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html);
- a queue with SSE-SQS is encrypted by SQS itself, with no KMS key of ours
  (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html).
So, for every target: its dead-letter queue must not use the key and must admit EventBridge; an
alarm on that queue must notify a topic that does not use the key, admits CloudWatch and has the
configured subscribers; and the key's own tampering must reach that topic directly.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from moto import mock_aws

from config import parse_config
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import TARGET, SynthesizedStack

CONFIGS = {
    "per_region": {**TEST_CONTEXT, "detectionGroups": ALL_GROUPS, "kmsKey": True},
    "central": {
        **TEST_CONTEXT,
        "monitoredRegions": ["ap-northeast-1", "eu-west-1", "us-east-1"],
        "detectionGroups": ALL_GROUPS,
        "delivery": "central",
        "kmsKey": True,
    },
}
REFERENCE = re.compile(r"\$\{(aws_[a-z_0-9]+)\.([A-Za-z0-9_]+)\.[a-z_]+\}")


@pytest.fixture(scope="module", params=list(CONFIGS))
def kms_stacks(request, tmp_path_factory) -> dict[str, SynthesizedStack]:
    settings = parse_config(CONFIGS[request.param], {})
    return synthesize_to(settings, tmp_path_factory.mktemp(request.param) / "cdktf.out")


def _referenced(stack: SynthesizedStack, value: str) -> tuple[str, dict]:
    """The resource a "${type.name.attribute}" reference points to: (type, block)."""
    match = REFERENCE.fullmatch(value)
    assert match, value
    return match.group(1), stack.resources(match.group(1))[match.group(2)]


def _uses_key(block: dict) -> bool:
    return "aws_kms_key." in json.dumps(block)


def _policy_statements_for(
    stack: SynthesizedStack, resource_type: str, attribute: str, block_name: str
):
    for policy in stack.resources(resource_type).values():
        if policy[attribute].split(".")[1] == block_name:
            document = policy["policy"].split(".")[2]
            return stack.document["data"]["aws_iam_policy_document"][document]["statement"]
    raise AssertionError(f"no policy for {block_name}")


def _name_of(stack: SynthesizedStack, resource_type: str, block: dict) -> str:
    return next(n for n, b in stack.resources(resource_type).items() if b is block)


def test_an_undelivered_alert_still_reaches_a_queue_and_an_alarm_a_person(kms_stacks):
    walked = 0
    for region, stack in kms_stacks.items():
        alarms = stack.resources("aws_cloudwatch_metric_alarm").values()
        for target in stack.resources(TARGET).values():
            kind, queue = _referenced(stack, target["dead_letter_config"]["arn"])
            assert kind == "aws_sqs_queue" and not _uses_key(queue), region
            assert queue["sqs_managed_sse_enabled"] is True
            queue_name = _name_of(stack, "aws_sqs_queue", queue)
            statements = _policy_statements_for(
                stack, "aws_sqs_queue_policy", "queue_url", queue_name
            )
            assert any(
                st["principals"][0]["identifiers"] == ["events.amazonaws.com"]
                and st["actions"] == ["sqs:SendMessage"]
                for st in statements
            )
            (depth_alarm,) = [
                a
                for a in alarms
                if a.get("dimensions") == {"QueueName": f"${{aws_sqs_queue.{queue_name}.name}}"}
            ]
            for action in depth_alarm["alarm_actions"]:
                kind, topic = _referenced(stack, action)
                assert kind == "aws_sns_topic" and not _uses_key(topic), region
                topic_name = _name_of(stack, "aws_sns_topic", topic)
                statements = _policy_statements_for(
                    stack, "aws_sns_topic_policy", "arn", topic_name
                )
                assert any(
                    st["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com"]
                    for st in statements
                )
                subscribed = {
                    s["for_each"]
                    for s in stack.resources("aws_sns_topic_subscription").values()
                    if s["topic_arn"] == f"${{aws_sns_topic.{topic_name}.arn}}"
                }
                assert '${toset(["secops@example.com", "oncall@example.com"])}' in subscribed
            walked += 1
    assert walked > 10


def test_the_keys_own_tampering_reaches_a_topic_that_does_not_use_it(kms_stacks):
    with_key = 0
    for region, stack in kms_stacks.items():
        if not stack.resources("aws_kms_key"):
            continue
        with_key += 1
        rules = [
            r for r in stack.resources("aws_cloudwatch_event_rule") if r.startswith("monitor_key")
        ]
        assert rules, region
        for rule in rules:
            topics = [_referenced(stack, t["arn"])[1] for t in stack.targets_of(rule)]
            assert any(not _uses_key(topic) for topic in topics), rule
    assert with_key >= 1


@mock_aws
def test_with_the_key_disabled_the_queue_and_the_health_topic_still_deliver(kms_stacks):
    """The wiring in moto, with the key disabled: what EventBridge sends after a failed delivery
    lands in the synthesized queue, and an alarm's notification reaches the health topic's
    subscriber. (moto does not enforce KMS: the walk above is what shows neither uses the key.)"""
    stack = kms_stacks["ap-northeast-1"]
    kms = boto3.client("kms", region_name="ap-northeast-1")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    sqs = boto3.client("sqs", region_name="ap-northeast-1")
    (queue,) = stack.resources("aws_sqs_queue").values()
    url = sqs.create_queue(QueueName=queue["name"], Attributes={"SqsManagedSseEnabled": "true"})[
        "QueueUrl"
    ]
    sqs.send_message(
        QueueUrl=url, MessageBody=json.dumps({"detail-type": "AWS API Call via CloudTrail"})
    )
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1

    sns = boto3.client("sns", region_name="ap-northeast-1")
    (health,) = [
        t for t in stack.resources("aws_sns_topic").values() if t["name"].endswith("-health")
    ]
    topic_arn = sns.create_topic(Name=health["name"])["TopicArn"]
    inbox = sqs.create_queue(QueueName="person")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    sns.publish(TopicArn=topic_arn, Message='{"AlarmName": "api-alerts-undelivered-alerts"}')
    (message,) = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert "api-alerts-undelivered-alerts" in message["Body"]
