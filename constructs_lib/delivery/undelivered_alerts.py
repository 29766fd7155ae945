"""Where alerts EventBridge could not deliver wait: a dead-letter queue only our rules may write to."""

from __future__ import annotations

from typing import Any

from constructs_lib.foundation.policy_statements import allow_service_from
from constructs_lib.foundation.region_account import Placement
from constructs_lib.foundation.resources import Component

FOURTEEN_DAYS = 14 * 24 * 3600  # SQS's longest retention


class UndeliveredAlerts(Component):
    """An SSE-SQS encrypted dead-letter queue for this region's targets. Exposes ``queue``.

    Never the KMS key: the queue is the fallback for when the alert topic, or its key, fails, so
    it must not depend on either. SSE-SQS needs no key policy for EventBridge to write to it.
    EventBridge dead-letter queues and the policy they need, with aws:SourceArn as shown there:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    """

    def __init__(self, scope: Any, id: str, *, placement: Placement) -> None:
        super().__init__(scope, id)
        provider, prefix = placement.provider, placement.name_prefix
        self.queue = self.resource(
            "aws_sqs_queue",
            "queue",
            name=f"{prefix}-undelivered-alerts",
            message_retention_seconds=FOURTEEN_DAYS,
            sqs_managed_sse_enabled=True,
            provider=provider,
        )
        policy = self.data(
            "aws_iam_policy_document",
            "queue_policy_document",
            statement=[
                allow_service_from(
                    "AllowOurRulesToDeadLetter",
                    "events.amazonaws.com",
                    ["sqs:SendMessage"],
                    [self.queue.arn],
                    source_arn=placement.arn("events", f"rule/{prefix}-*"),
                    account_id=placement.account_id,
                )
            ],
            provider=provider,
        )
        self.resource(
            "aws_sqs_queue_policy",
            "queue_policy",
            queue_url=self.queue.url,
            policy=policy.json,
            provider=provider,
        )
