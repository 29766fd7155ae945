"""How long a bucket keeps what it holds: plain data shared by the configuration and the buckets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    archive_after_days: int | None  # current objects over 128 KB move to Glacier Instant Retrieval
    expire_after_days: int | None  # current objects are deleted (None: kept for ever)
    noncurrent_expire_days: int  # overwritten or deleted versions are purged


@dataclass(frozen=True)
class ObjectLock:
    mode: str  # GOVERNANCE or COMPLIANCE
    days: int
