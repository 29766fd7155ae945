"""Replay speed and memory on the shared corpus replicated to a million records:
`make bench-replay` (or `.venv/bin/python benchmarks/replay_bench.py [--records N]`).

Writes the 250 records of ../shared/cloudtrail-events, repeated, as CloudTrail log files the way
S3 delivers them (gzipped JSON with a ``Records`` array, 1,000 records a file, in
AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/), into a temporary folder, synthesizes
a project monitoring the corpus's regions with a suppression, and runs `python -m ops replay` on
it as a separate process: records per second, wall time, and the replay process's peak resident memory
(its getrusage ru_maxrss). Writes nothing in the project.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = Path(
    os.environ.get("CLOUDTRAIL_EVENTS_DIR", PROJECT.parent / "shared" / "cloudtrail-events")
)
PER_FILE = 1000
CONTEXT = {
    "homeRegion": "ap-northeast-1",
    "monitoredRegions": ["ap-northeast-1", "us-east-1", "us-east-2", "us-west-2", "eu-west-1"],
    "notificationEmails": ["secops@example.com"],
    "detectionGroups": ["original", "cis", "self"],
    "suppressions": [
        {
            "detections": ["iam_policy_changes", "security_group_changes"],
            "principals": ["arn:aws:iam::*:user/bert-jan"],
            "reason": "the red-team user of the corpus",
            "expires": (date.today() + timedelta(days=30)).isoformat(),
        }
    ],
}


def corpus_records() -> list[dict]:
    records = []
    for path in sorted((CORPUS / "events").glob("*.json")):
        found = json.loads(path.read_text(encoding="utf-8"))
        records.append(found["detail"] if "detail-type" in found else found)
    return records


def write_logs(folder: Path, total: int) -> int:
    records = corpus_records()
    written = 0
    while written < total:
        batch = [
            records[(written + i) % len(records)] for i in range(min(PER_FILE, total - written))
        ]
        day = (
            folder
            / "AWSLogs"
            / "111122223333"
            / "CloudTrail"
            / "us-east-1"
            / "2026"
            / "11"
            / f"{written // 100000 + 1:02d}"
        )
        day.mkdir(parents=True, exist_ok=True)
        name = f"111122223333_CloudTrail_us-east-1_20261127T0000Z_{written:08d}.json.gz"
        with gzip.open(day / name, "wt", encoding="utf-8", compresslevel=1) as handle:
            json.dump({"Records": batch}, handle)
        written += len(batch)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as scratch:
        work = Path(scratch)
        (work / "cdktf.json").write_text(json.dumps({"context": CONTEXT}))
        subprocess.run([sys.executable, str(PROJECT / "main.py")], cwd=work, env=env, check=True)
        started = time.perf_counter()
        written = write_logs(work / "logs", args.records)
        size = sum(p.stat().st_size for p in (work / "logs").rglob("*.gz"))
        print(
            f"wrote {written:,} records in {size / 1e6:.0f} MB of .json.gz ({time.perf_counter() - started:.0f} s)"
        )
        started = time.perf_counter()
        # The replay process reports its own peak resident set (ru_maxrss, KB on Linux).
        measured = (
            "import resource, sys; from ops.__main__ import main; code = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(code)"
        )
        result = subprocess.run(
            [sys.executable, "-c", measured, "replay", str(work / "logs")],
            cwd=work,
            env={**env, "PYTHONPATH": str(PROJECT)},
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
        peak = int(result.stderr.splitlines()[-1]) / 1024
        print(result.stdout.splitlines()[0])
        print(
            f"replayed {written:,} records in {elapsed:.1f} s: {written / elapsed:,.0f} records per second"
        )
        print(f"peak resident memory of the replay process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
