"""The metric-filter engine: per filter, a metric filter on the trail's log group and its alarm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import TerraformProvider

from constructs_lib.detections.catalog import Detection, MetricFilter, Names, Severity, Threshold
from constructs_lib.detections.suppressions import Suppression, narrowed_filter
from constructs_lib.foundation.resources import Component
from models import limits, terraform

# The metrics' namespace, one per deployment so that two never add into each other's metrics.
NAMESPACE_PREFIX = "CloudTrailMetrics/"
FIVE_MINUTES = 300


def namespace(name_prefix: str) -> str:
    return f"{NAMESPACE_PREFIX}{name_prefix}"


# The self-test alarm: on a metric nothing publishes, so it is OK until `make selftest` sets it to
# ALARM (CloudWatch SetAlarmState: "use this to test an alarm's actions",
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html); it
# returns to OK at its next evaluation.
SELF_TEST_METRIC = "SelfTest"


def self_test_alarm_name(name_prefix: str) -> str:
    return f"{name_prefix}-self-test"


def alarm_name(name_prefix: str, metric_filter: MetricFilter) -> str:
    """<namePrefix>-cis-cloudwatch-4 for a CIS control's filter, <namePrefix>-<detection id> else."""
    suffix = f"cis-{metric_filter.id}" if metric_filter.control else metric_filter.id
    return f"{name_prefix}-{suffix.replace('_', '-')}"


def filters_of(
    detections: Sequence[Detection], name_prefix: str, names: Names | None = None
) -> dict[str, tuple[MetricFilter, list[Detection]]]:
    """Each distinct metric filter, in catalog order, with the detections it counts."""
    found: dict[str, tuple[MetricFilter, list[Detection]]] = {}
    for detection in detections:
        metric_filter = detection.metric_filter(name_prefix, names)
        if metric_filter:
            found.setdefault(metric_filter.id, (metric_filter, []))[1].append(detection)
    return found


class MetricFilterAlarms(Component):
    """For each distinct filter of ``detections``: an ``aws_cloudwatch_log_metric_filter`` on
    ``log_group_name`` counting into ``CloudTrailMetrics/<namePrefix>``, and an alarm on it (Sum >= 1
    over 5 minutes, or a threshold detection's count over its period; missing data not breaching) notifying ``alert_topic_arn``, and the health topic
    too for the detections that concern the alert path, and the chat topic of the most severe
    detection counted (``chat_topic_arns``, by severity), if there is one. Construct ids and Terraform names are the
    filter ids (``cloudwatch_4``, or the detection id). Also the self-test alarm (``self_test``),
    on a metric nothing publishes. Exposes ``alarms``.
    """

    def __init__(
        self,
        scope: Any,
        id: str,
        *,
        provider: TerraformProvider,
        name_prefix: str,
        log_group_name: str,
        detections: Sequence[Detection],
        alert_topic_arn: str,
        health_topic_arn: str,
        names: Names | None = None,
        suppressions: Sequence[Suppression] = (),
        chat_topic_arns: Mapping[Severity, str] | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.alarms: list[Any] = []  # provider objects, or references (resources.py)
        self._namespace, self._provider = namespace(name_prefix), provider
        # Placeholders for the Terraform references (the KMS key's, the account's), which must
        # stay interpolated while the suppressions' configured text is made literal
        # (models.terraform); list-valued names (trustedAccounts) are configured text.
        strings = {k: v for k, v in (names or {}).items() if isinstance(v, str)}
        stand_ins = {name: terraform.placeholder(name) for name in strings}
        references = {stand_ins[k]: v for k, v in strings.items()}
        lists = {k: v for k, v in (names or {}).items() if not isinstance(v, str)}
        filters = filters_of(detections, name_prefix, {**stand_ins, **lists})
        if len(filters) > limits.FILTERS_PER_LOG_GROUP.value:
            raise ValueError(f"{len(filters)} metric filters: a log group takes 100")
        for filter_id, (metric_filter, counted) in filters.items():
            name = alarm_name(name_prefix, metric_filter)
            # A detection's own filter carries its suppressions (config.py refuses them on a
            # CIS control's exact filter).
            mine = [s for s in suppressions if any(s.applies_to(d.id) for d in counted)]
            pattern = metric_filter.pattern
            if mine and not metric_filter.control:
                pattern = narrowed_filter(pattern, mine)
            resource = self.resource(
                "aws_cloudwatch_log_metric_filter",
                f"{filter_id}_filter",
                logical_id=filter_id,
                name=name,
                log_group_name=log_group_name,
                pattern=terraform.literal(pattern, references),
                metric_transformation={
                    "name": metric_filter.metric_name,
                    "namespace": namespace(name_prefix),
                    "value": "1",
                },
                provider=provider,
            )
            titles = "; ".join(f"[{d.severity.value}] {d.title}" for d in counted)
            standard = f"Security Hub {metric_filter.control}. " if metric_filter.control else ""
            actions = [alert_topic_arn]
            if any(d.to_health_topic for d in counted):
                actions.append(health_topic_arn)
            # Chat: the topic of the most severe detection the filter counts, if a channel takes
            # it; the chat integration renders CloudWatch alarm notifications natively.
            severity = min((d.severity for d in counted), key=list(Severity).index)
            if chat_topic_arns and severity in chat_topic_arns:
                actions.append(chat_topic_arns[severity])
            # A threshold detection's filter is its own (catalog: a threshold has a log_filter).
            (threshold,) = {d.threshold for d in counted}
            count = f". Alarms at {threshold.phrase}" if threshold else ""
            self._alarm(
                filter_id,
                name=name,
                description=terraform.literal(
                    f"{standard}{titles}{count}"[: limits.ALARM_DESCRIPTION.value]
                ),
                metric=metric_filter.metric_name,
                actions=actions,
                depends_on=resource,
                threshold=threshold,
            )
        self._alarm(
            "self_test",
            name=self_test_alarm_name(name_prefix),
            description=(
                "Self-test: make selftest sets this alarm to ALARM; its notification proves the "
                "alarm, the alert topic and its subscriptions work."
            ),
            metric=SELF_TEST_METRIC,
            actions=[alert_topic_arn],
        )

    def _alarm(
        self,
        alarm_id: str,
        *,
        name: str,
        description: str,
        metric: str,
        actions: list[str],
        depends_on: Any = None,
        threshold: Threshold | None = None,
    ) -> None:
        """Sum >= 1 over one 5-minute period of this metric, missing data not breaching; for a
        threshold detection, Sum >= its count over its period."""
        alarm = self.resource(
            "aws_cloudwatch_metric_alarm",
            f"{alarm_id}_alarm",
            logical_id=alarm_id,
            alarm_name=name,
            alarm_description=description,
            namespace=self._namespace,
            metric_name=metric,
            statistic="Sum",
            period=threshold.period if threshold else FIVE_MINUTES,
            evaluation_periods=1,
            threshold=threshold.count if threshold else 1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            depends_on=[depends_on] if depends_on else None,
            provider=self._provider,
        )
        self.alarms.append(alarm)
