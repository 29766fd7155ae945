"""What each region's stack carries: the regions a configuration deploys to, in order, and per
region the detections whose rules it holds, the trail, the topic, the key and the metric filters.

Plain data, no cdktf: the configuration reads the plans to check names and quotas before any
construct exists, and ``build_app`` makes one stack per plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs_lib.detections.catalog import (
    EVENTBRIDGE,
    SIGN_IN_REGIONS,
    Delivery,
    Detection,
)

if TYPE_CHECKING:
    from config import MonitorConfig


@dataclass(frozen=True)
class RegionPlan:
    """What one region's stack carries."""

    region: str
    detections: tuple[Detection, ...]  # the EventBridge engine's; none without that engine
    carries_trail: bool
    forwards_to: str | None  # the home region, where this region's matches go in central mode
    kms_key: bool  # a customer managed key for the trail and the alert topic
    # Home only, with the metric-filter engine: the detections its metric filters count.
    metric_filters: tuple[Detection, ...] = ()

    @property
    def carries_topic(self) -> bool:
        """An alert topic; every stack has a health topic."""
        return self.forwards_to is None

    @property
    def forwarded(self) -> tuple[Detection, ...]:
        """Detections whose matches go to the home bus (central delivery, other regions)."""
        if not self.forwards_to:
            return ()
        return tuple(d for d in self.detections if not d.to_health_topic)

    @property
    def local(self) -> tuple[Detection, ...]:
        """Detections with rules in this stack; in central delivery's other regions, only those
        delivered to the health topic, which every stack has."""
        if not self.forwards_to:
            return self.detections
        return tuple(d for d in self.detections if d.to_health_topic)


def regions_for(settings: MonitorConfig, delivery: Delivery) -> frozenset[str]:
    """Where a detection with this delivery must have a rule (EVERY_STACK: see region_plans)."""
    monitored = frozenset(settings.monitored_regions)
    if delivery is Delivery.GLOBAL:
        return frozenset({settings.global_region})
    if delivery is Delivery.REGIONAL:
        return monitored
    if delivery is Delivery.REGIONAL_AND_GLOBAL:
        return monitored | {settings.global_region}
    if delivery is Delivery.SIGN_IN:
        return monitored | (frozenset(SIGN_IN_REGIONS) & settings.partition_regions)
    if delivery is Delivery.HOME:
        return frozenset({settings.home_region})
    raise ValueError(delivery)


def region_plans(settings: MonitorConfig) -> tuple[RegionPlan, ...]:
    """One plan per stack: home first, the other monitored regions in order, then the rest.

    The metric-filter engine lives at home: the multi-region trail delivers every region's
    records to its one log group. Alone, it is one stack.
    """
    home = settings.home_region
    if EVENTBRIDGE not in settings.engines:
        return (
            RegionPlan(
                region=home,
                detections=(),
                carries_trail=True,
                forwards_to=None,
                kms_key=settings.kms_key,
                metric_filters=settings.metric_filter_detections,
            ),
        )
    placed = {
        d.id: regions_for(settings, d.delivery)
        for d in settings.eventbridge_detections
        if d.delivery is not Delivery.EVERY_STACK
    }
    deployed = set(settings.monitored_regions).union(*placed.values())
    order = [home, *settings.monitored_regions, *sorted(deployed)]
    regions = list(dict.fromkeys(order))
    central = settings.delivery_mode == "central"

    def carried(detection: Detection, region: str) -> bool:
        if detection.requires_kms_key and not has_key(region):
            return False
        # In central delivery the home bus receives every region's matches: its rules
        # must match them all to deliver them to the one topic.
        if central and region == home:
            return True
        return detection.id not in placed or region in placed[detection.id]

    def has_key(region: str) -> bool:
        # The key encrypts the trail and the alert topic: none where there is neither.
        return settings.kms_key and (not central or region == home)

    return tuple(
        RegionPlan(
            region=region,
            detections=tuple(d for d in settings.eventbridge_detections if carried(d, region)),
            carries_trail=region == home,
            forwards_to=home if central and region != home else None,
            kms_key=has_key(region),
            metric_filters=settings.metric_filter_detections if region == home else (),
        )
        for region in regions
    )
