"""The synthesized output of nine configurations, digested: `python scripts/output_digest.py
[--write FILE | --compare FILE]`.

A refactoring that must not change what is deployed compares the digests before and after: every
file under each configuration's cdktf.out (the stacks' Terraform JSON, the manifest, not the
configuration's fingerprint), byte for byte. The configurations cover every construct: the default; every group in the corpus's five
regions; the home region alone; central delivery with the KMS key; the key with Object Lock and
remote state; the metric filters alone; both engines; organization mode with the management
account and its guard; chat channels with suppressions and known noise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

EMAILS = {"notificationEmails": ["secops@example.com"]}
EVERY_GROUP = ["original", "cis", "self", "attack"]
FIVE = ["ap-northeast-1", "us-east-1", "us-east-2", "us-west-2", "eu-west-1"]
ORGANIZATION = {
    "securityAccount": "111122223333",
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnits": ["ou-ab12-11111111", "ou-ab12-22222222"],
    "management": {
        "roleArn": "arn:aws:iam::999988887777:role/api-alerts-deployer",
        "protectForwarding": True,
    },
}
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "every_group": {**EMAILS, "monitoredRegions": FIVE, "detectionGroups": EVERY_GROUP},
    "home_only": {**EMAILS, "monitoredRegions": ["ap-northeast-1"], "detectionGroups": EVERY_GROUP},
    "central_kms": {
        **EMAILS,
        "delivery": "central",
        "kmsKey": True,
        "detectionGroups": EVERY_GROUP,
    },
    "hardened": {
        **EMAILS,
        "kmsKey": True,
        "objectLock": {"mode": "COMPLIANCE", "days": 365},
        "stateBackend": {"type": "s3", "bucket": "acme-tf-state", "region": "eu-west-1"},
        "tags": {"Owner": "secops", "CostCenter": "42"},
    },
    "metric_filters": {
        **EMAILS,
        "alertEngines": ["metric-filters"],
        "detectionGroups": EVERY_GROUP,
    },
    "both_engines": {
        **EMAILS,
        "alertEngines": ["eventbridge", "metric-filters"],
        "detectionGroups": EVERY_GROUP,
        "trustedAccounts": ["444455556666"],
    },
    "organization": {
        **EMAILS,
        "monitoredRegions": ["ap-northeast-1", "us-east-1", "eu-west-1"],
        "detectionGroups": ["original", "cis", "self"],
        "organization": ORGANIZATION,
    },
    "chat_suppressions": {
        **EMAILS,
        "detectionGroups": ["original", "cis", "self"],
        "chat": [
            {"type": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCDE"},
            {
                "type": "teams",
                "teamId": "0a1b2c3d-1111-2222-3333-444455556666",
                "channelId": "19%3ab1c2d3e4f5a6%40thread.tacv2",
                "tenantId": "9f8e7d6c-1111-2222-3333-444455556666",
                "minimumSeverity": "high",
            },
        ],
        "knownNoise": ["anonymousDenied", "serviceLinkedSecurityGroups"],
        "suppressions": [
            {
                "detections": ["iam_policy_changes", "security_group_changes"],
                "principals": ["arn:aws:iam::111122223333:role/ci-*"],
                "userAgents": ["*Terraform/*"],
                "reason": "CI pipeline",
                "expires": "2027-06-01",
            }
        ],
    },
}


def digests() -> dict[str, str]:
    from datetime import date

    import provider_import

    provider_import.install()
    from config import parse_config
    from main import synthesize

    found = {}
    for name, context in CONFIGURATIONS.items():
        settings = parse_config(context, {}, today=date(2026, 12, 1))
        with tempfile.TemporaryDirectory() as folder:
            outdir = Path(folder) / "cdktf.out"
            synthesize(settings, outdir)
            digest = hashlib.sha256()
            # configuration.json fingerprints the parsed configuration, whose shape a refactoring
            # may change; the Terraform and the manifest are what is deployed.
            files = (p for p in outdir.rglob("*") if p.is_file() and p.name != "configuration.json")
            for path in sorted(files):
                digest.update(str(path.relative_to(outdir)).encode() + b"\0" + path.read_bytes())
            found[name] = digest.hexdigest()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write the digests to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with the digests in this file")
    args = parser.parse_args()
    found = digests()
    for name, digest in found.items():
        print(f"{name:20} {digest}")
    if args.write:
        args.write.write_text(json.dumps(found, indent=2) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())
        changed = [name for name in found if before.get(name) != found[name]]
        print("byte-identical" if not changed else f"changed: {', '.join(changed)}")
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
