"""Prove delivery in your account after a deploy: `make verify` (`python -m ops verify`).

Sends the self-test event to every deployed region, then reads what AWS reports until each region
passes or the time is up (default 10 minutes: EventBridge and SNS publish one-minute metrics a few
minutes late):
- the rule's ``Invocations``, ``FailedInvocations`` and ``InvocationsFailedToBeSentToDlq``
  (AWS/Events, by RuleName: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html);
- the topic's ``NumberOfMessagesPublished`` and ``NumberOfNotificationsFailed`` (AWS/SNS, by
  TopicName: https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html);
- the dead-letter queue's depth, from SQS itself (current, where the metric lags);
- that the alert and health topics have a confirmed subscription.
In organization mode, also whether every member forwards (ops/organization.py): the StackSet's
instances, and with --management the organization trail and the OUs' room for the guard's SCP.
One line per region and per check, PASS or FAIL and why; exit status 1 on any failure, 2 when it
cannot run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops import organization as organization_checks
from ops.context import OpsError, RegionDeployment, deployments, run, session, settings_of
from ops.selftest import send

PERIOD = 60


@dataclass(frozen=True)
class Verdict:
    status: str  # "PASS", "FAIL", or "WAIT" (not yet: retried until the time is up)
    why: str


Query = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, metric, dimensions


def _sum(cloudwatch: Any, start: datetime, queries: Mapping[str, Query]) -> dict[str, float]:
    """Sum of each (namespace, metric, ((dimension, value), ...)) since ``start``."""
    if not queries:
        return {}
    response = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
                    },
                    "Period": PERIOD,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
            for query_id, (namespace, metric, dimensions) in queries.items()
        ],
        StartTime=start,
        EndTime=datetime.now(UTC) + timedelta(minutes=1),
    )
    return {r["Id"]: float(sum(r["Values"])) for r in response["MetricDataResults"]}


def _confirmed(sns: Any, topic_arn: str) -> int:
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return sum(s["SubscriptionArn"].startswith("arn:") for s in subscriptions)


def judge(
    boto_session: Any,
    deployment: RegionDeployment,
    account: str,
    partition: str,
    start: datetime,
    expected: int,
) -> Verdict:
    """What this region's metrics, queue and subscriptions say about the self-test so far."""
    region = deployment.region
    sqs = boto_session.client("sqs", region_name=region)
    sns = boto_session.client("sns", region_name=region)
    url = sqs.get_queue_url(QueueName=deployment.dead_letter_queue)["QueueUrl"]
    depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    waiting = int(depth["Attributes"]["ApproximateNumberOfMessages"])

    rules = (
        [deployment.self_test_rule]
        if deployment.self_test_rule
        else list(deployment.forwarding_rules)
    )
    # A rule on a custom bus (organization mode) publishes with EventBusName and RuleName.
    bus = (("EventBusName", deployment.self_test_bus),) if deployment.self_test_bus else ()
    queries: dict[str, Query] = {}
    for index, rule in enumerate(rules):
        for metric in ("Invocations", "FailedInvocations", "InvocationsFailedToBeSentToDlq"):
            queries[f"{metric[0].lower()}{metric[1:]}{index}"] = (
                "AWS/Events",
                metric,
                (*(bus if rule == deployment.self_test_rule else ()), ("RuleName", rule)),
            )
    if deployment.alert_topic:
        for metric in ("NumberOfMessagesPublished", "NumberOfNotificationsFailed"):
            queries[metric[0].lower() + metric[1:]] = (
                "AWS/SNS",
                metric,
                (("TopicName", deployment.alert_topic),),
            )
    sums = _sum(boto_session.client("cloudwatch", region_name=region), start, queries)

    def total(metric: str) -> float:
        return sum(v for k, v in sums.items() if k.startswith(metric[0].lower() + metric[1:]))

    topic_arns = {
        name: f"arn:{partition}:sns:{region}:{account}:{name}"
        for name in (deployment.alert_topic, deployment.health_topic)
        if name
    }
    if total("InvocationsFailedToBeSentToDlq"):
        return Verdict(
            "FAIL",
            "EventBridge could neither deliver nor dead-letter the alert: check the dead-letter queue's policy",
        )
    if total("FailedInvocations") or waiting:
        target = "the topic" if deployment.alert_topic else "the home region's bus"
        return Verdict(
            "FAIL",
            f"EventBridge could not deliver to {target} ({int(total('FailedInvocations'))} failed, "
            f"{waiting} waiting in {deployment.dead_letter_queue}): check the topic's policy and "
            "its KMS key, then replay the waiting alerts",
        )
    if total("NumberOfNotificationsFailed"):
        return Verdict(
            "FAIL",
            "SNS could not deliver to a subscriber: check the subscriptions' endpoints and their permissions",
        )
    unconfirmed = [name for name, arn in topic_arns.items() if not _confirmed(sns, arn)]
    # The chat channels subscribe to their topics themselves (Amazon Q Developer in chat
    # applications); none means the channel configuration is missing or was deleted.
    unsubscribed = [
        name
        for name in deployment.chat_topics
        if not _confirmed(sns, f"arn:{partition}:sns:{region}:{account}:{name}")
    ]
    if unsubscribed:
        return Verdict(
            "FAIL",
            f"no chat channel subscribed to {', '.join(unsubscribed)}: check the channel "
            "configurations (home region stack) and the workspace's authorization",
        )
    if unconfirmed:
        return Verdict(
            "FAIL",
            f"no confirmed subscription on {', '.join(unconfirmed)}: alerts reach nobody; "
            "confirm the e-mail from AWS Notifications, or add notificationEmails",
        )
    invoked = total("Invocations")
    if invoked < expected:
        what = "self-test rule" if deployment.self_test_rule else "forwarding rules"
        return Verdict(
            "WAIT",
            f"the {what} ran {int(invoked)} of {expected} times: is it deployed and ENABLED?",
        )
    if deployment.alert_topic and total("NumberOfMessagesPublished") < expected:
        return Verdict("WAIT", "the topic has not received the test alert: check the rule's target")
    done = f"rule invoked {int(invoked)}, "
    done += (
        f"topic published {int(total('NumberOfMessagesPublished'))}, "
        if deployment.alert_topic
        else "forwarded home, "
    )
    return Verdict("PASS", done + "no failures, dead-letter queue empty, subscriptions confirmed")


def verify(
    boto_session: Any,
    regions: Sequence[RegionDeployment],
    name_prefix: str,
    partition: str,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Verdict]:
    identity = boto_session.client("sts").get_caller_identity()
    start = datetime.now(UTC) - timedelta(minutes=5)
    errors = send(boto_session, name_prefix, regions, identity["Arn"])
    verdicts = {
        region: Verdict("FAIL", f"could not send the test event: {error}")
        for region, error in errors.items()
        if error
    }
    # In central delivery the home region's self-test rule sees every region's test event.
    forwarded = sum(1 for d in regions if not d.self_test_rule and not errors[d.region])
    deadline = time.monotonic() + timeout
    while True:
        for deployment in regions:
            if verdicts.get(deployment.region, Verdict("WAIT", "")).status != "WAIT":
                continue
            expected = 1 + (
                forwarded if deployment.self_test_rule and deployment.alert_topic else 0
            )
            verdicts[deployment.region] = judge(
                boto_session, deployment, identity["Account"], partition, start, expected
            )
        if all(v.status != "WAIT" for v in verdicts.values()) or time.monotonic() >= deadline:
            break
        sleep(interval)
    return verdicts


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="make verify", description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait (600)")
    parser.add_argument("--interval", type=float, default=30, help="seconds between reads (30)")
    parser.add_argument(
        "--management",
        action="store_true",
        help="organization mode: also check, as organization.management.roleArn, the "
        "organization trail and the OUs' room for the forwarding guard's SCP",
    )
    parser.add_argument(
        "--organization-only",
        action="store_true",
        help="organization mode: only the organization's checks, no test alert (before the "
        "first deploy, with --management: whether the OUs have room for the guard's SCP)",
    )
    args = parser.parse_args(argv)

    def body() -> int:
        settings = settings_of(environ)
        organization = settings.organization
        if (args.management or args.organization_only) and not organization:
            raise OpsError(
                "--management, --organization-only: the configuration has no organization"
            )
        if args.management and not organization.management:
            raise OpsError("--management: the configuration has no organization.management")
        regions = [] if args.organization_only else deployments(settings, environ)
        members = organization_checks.member_deployment(settings, environ) if organization else None
        boto_session = session(environ)
        verdicts = (
            verify(
                boto_session,
                regions,
                settings.name_prefix,
                settings.partition,
                args.timeout,
                args.interval,
            )
            if regions
            else {}
        )
        for deployment in regions:
            verdict = verdicts[deployment.region]
            status = "FAIL" if verdict.status == "WAIT" else verdict.status
            stream = sys.stdout if status == "PASS" else sys.stderr
            print(f"{deployment.region}: {status} {verdict.why}", file=stream)
        failed = any(v.status != "PASS" for v in verdicts.values())
        if members:
            management = (
                organization_checks.management_session(
                    boto_session, organization.management.role_arn, settings.name_prefix
                )
                if args.management
                else None
            )
            for finding in organization_checks.check(boto_session, settings, members, management):
                stream = sys.stderr if finding.status == "FAIL" else sys.stdout
                print(finding.line, file=stream)
                failed = failed or finding.status == "FAIL"
        return 1 if failed else 0

    return run(body)
