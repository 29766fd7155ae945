"""AWS's regions and partitions, as botocore's endpoint data states them (not a hand-written list).

A partition ("aws", "aws-cn", "aws-us-gov", ...) holds its regions and, through IAM's
partition-wide endpoint, the one region where the partition's IAM and root sign-in events are
delivered (its global region).
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

import botocore


@cache
def partitions() -> list[dict[str, Any]]:
    """What ``botocore.loaders.create_loader().load_data("endpoints")`` returns: the first
    endpoints.json(.gz) of its search paths (~/.aws/models, then botocore's data), read here
    without importing the loader and the HTTP stack it brings (80 ms a synthesis)."""
    for folder in (Path.home() / ".aws" / "models", Path(botocore.__file__).parent / "data"):
        for name, opener in (("endpoints.json", open), ("endpoints.json.gz", gzip.open)):
            if (folder / name).is_file():
                with opener(folder / name, "rb") as data:
                    return json.loads(data.read().decode("utf-8"))["partitions"]
    raise FileNotFoundError(f"botocore {botocore.__version__} holds no endpoints.json")


def known_regions() -> list[str]:
    """Every region botocore knows, in every partition."""
    return sorted(region for partition in partitions() for region in partition["regions"])


def partition_of(region: str) -> dict[str, Any] | None:
    """The partition that holds ``region``, None for a region botocore does not know."""
    return next((p for p in partitions() if region in p["regions"]), None)


def global_region(partition: dict[str, Any]) -> str:
    """Where the partition's IAM and root sign-in events arrive: IAM's partition-wide endpoint
    is signed in, and delivers its events to, this one region."""
    iam = partition["services"]["iam"]
    return iam["endpoints"][iam["partitionEndpoint"]]["credentialScope"]["region"]
