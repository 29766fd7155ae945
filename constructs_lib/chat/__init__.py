"""Slack and Microsoft Teams through AWS's chat integration (Amazon Q Developer in chat
applications): the channel configurations, their per-severity topics, and the custom
notification each rule's chat target sends.

``ChatChannel`` is the one type the configuration hands these constructs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from constructs_lib.detections.catalog import Severity


@dataclass(frozen=True)
class ChatChannel:
    """A Slack or Microsoft Teams channel of Amazon Q Developer in chat applications."""

    kind: str  # "slack" or "teams"
    ids: Mapping[str, str]  # the channel configuration's ids, by the provider's argument names
    minimum_severity: Severity  # the channel receives this severity and those above it

    def severities(self) -> tuple[Severity, ...]:
        """The severities routed to this channel, most severe first."""
        order = list(Severity)
        return tuple(order[: order.index(self.minimum_severity) + 1])
