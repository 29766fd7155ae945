"""Where alerts go and what proves they got there: the alert and health topics and their
subscriptions, the dead-letter queue for what EventBridge could not deliver, and the alarms that
say alerts are not getting through.

``Subscription`` is the one type the configuration hands these constructs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subscription:
    """One endpoint subscribed to every topic: an SNS protocol and its endpoint."""

    protocol: str
    endpoint: str
