"""Organization mode at scale: 1 against 1,000 named accounts, 3 OUs, 3 monitored regions.

`make bench-organization` (or `.venv/bin/python benchmarks/organization_bench.py [--runs N]`)
runs, round after round, interleaved, whole `python main.py` processes with each configuration
and prints per configuration the median, min and max synthesis time, the Terraform resources
and the bytes of the synthesized stacks, whether the two outputs are byte-identical, and the
member template's size, also with every commercial region monitored. The account names only go
to `make replay`: nothing synthesized depends on the number of accounts. With --record it writes
benchmarks/organization.json (docs/performance.md's figures, `make docs`); otherwise nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
ORGANIZATION = {
    "securityAccount": "111122223333",
    "organizationId": "o-a1b2c3d4e5",
    "organizationalUnits": ["ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-33333333"],
    # memberTrails "organization" (the default): the management stack's organization trail.
    "management": {"roleArn": "arn:aws:iam::999988887777:role/api-alerts-deployer"},
}


def context(accounts: int) -> dict:
    names = {f"{100000000000 + n:012d}": f"account-{n:04d}" for n in range(accounts)}
    return {
        "homeRegion": "ap-northeast-1",
        "monitoredRegions": ["ap-northeast-1", "us-east-1", "eu-west-1"],
        "notificationEmails": ["secops@example.com"],
        "detectionGroups": ["original", "cis", "self"],
        "organization": {**ORGANIZATION, "accounts": names},
    }


def measure(folder: Path) -> tuple[int, int, dict[str, bytes]]:
    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in (folder / "cdktf.out").rglob("*.json")
        if p.is_file()
    }
    resources = 0
    for name, content in files.items():
        if name.endswith("cdk.tf.json"):
            resources += sum(len(v) for v in json.loads(content).get("resource", {}).values())
    return resources, sum(len(c) for c in files.values()), files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="write benchmarks/organization.json")
    args = parser.parse_args()
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    sizes = {"1 account": 1, "1,000 accounts": 1000}
    times: dict[str, list[float]] = {name: [] for name in sizes}
    found = {}
    with tempfile.TemporaryDirectory() as scratch:
        folders = {}
        for name, accounts in sizes.items():
            folder = Path(scratch) / name.replace(" ", "-").replace(",", "")
            folder.mkdir()
            document = {"app": "python main.py", "context": context(accounts)}
            (folder / "cdktf.json").write_text(json.dumps(document))
            folders[name] = folder
        for _ in range(args.runs):
            for name, folder in folders.items():
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, str(PROJECT / "main.py")], cwd=folder, env=env, check=True
                )
                times[name].append(time.perf_counter() - start)
        for name, folder in folders.items():
            found[name] = measure(folder)
    print(
        f"{'configuration':16} {'median s':>9} {'min':>6} {'max':>6} {'resources':>10} {'bytes':>9}"
    )
    for name, runs in times.items():
        resources, size, _ = found[name]
        print(
            f"{name:16} {statistics.median(runs):9.2f} {min(runs):6.2f} {max(runs):6.2f} "
            f"{resources:10} {size:9}"
        )
    (_, _, one), (_, _, thousand) = found.values()
    print("synthesized output byte-identical:", one == thousand)
    template = {
        "configured": template_bytes(context(1)),
        "every_region": template_bytes({**context(1), "monitoredRegions": commercial_regions()}),
    }
    print(
        f"member template: {template['configured']} bytes, {template['every_region']} with every region"
    )
    if args.record:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
        ).stdout.strip()
        result = {
            "commit": commit,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            # Other work on the machine slows every case alike, the ratios less than the seconds.
            "load_average": round(os.getloadavg()[0], 1),
            "cores": os.cpu_count(),
            "runs": args.runs,
            "configurations": {
                name.split(" ")[0]: {
                    "median": statistics.median(runs),
                    "min": min(runs),
                    "max": max(runs),
                    "resources": found[name][0],
                    "bytes": found[name][1],
                }
                for name, runs in times.items()
            },
            "identical": one == thousand,
            "template_bytes": template,
        }
        (PROJECT / "benchmarks" / "organization.json").write_text(
            json.dumps(result, indent=2) + "\n"
        )
    return 0


def template_bytes(settings_context: dict) -> int:
    """The member template's size as CloudFormation receives it."""
    sys.path.insert(0, str(PROJECT))
    from config import parse_config
    from constructs_lib.organization.member_template import member_template, template_body

    settings = parse_config(settings_context, {})
    body = member_template(
        {plan.region: plan.local for plan in settings.region_plans()},
        name_prefix=settings.name_prefix,
        security_account=settings.organization.security_account,
    )
    return len(template_body(body).encode())


def commercial_regions() -> list[str]:
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from synth_bench import commercial_regions as regions

    return regions()


if __name__ == "__main__":
    sys.exit(main())
