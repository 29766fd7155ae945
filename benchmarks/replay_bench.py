"""Replay speed and memory on the shared corpus replicated to a million records:
`make bench-replay` (or `.venv/bin/python benchmarks/replay_bench.py [--records N] [--runs N]
[--record]`).

Writes the 250 records of ../shared/cloudtrail-events, repeated, as CloudTrail log files the way
S3 delivers them (gzipped JSON with a ``Records`` array, 1,000 records a file, in
AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/, with the hourly digest files a trail
with log file validation adds under CloudTrail-Digest/), into a temporary folder, synthesizes a
project monitoring the corpus's regions with a suppression, and runs `python -m ops replay` on
it as a separate process, ``--runs`` times: records per second of wall time and of the process's
CPU time (user + system: what one core does, whatever else the machine runs), min/median/max,
and its peak resident memory (getrusage ru_maxrss). ``--record`` writes the results to
benchmarks/replay_results.json and the lines they make on their page, docs/performance.md
(scripts/readme_figures.py, as `make docs` does; a test checks they agree); without it nothing
in the project changes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CORPUS = Path(
    os.environ.get("CLOUDTRAIL_EVENTS_DIR", PROJECT.parent / "shared" / "cloudtrail-events")
)
RESULTS = PROJECT / "benchmarks" / "replay_results.json"
PER_FILE = 1000
ACCOUNT = "111122223333"
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
# Each replay reports its own peak resident set (ru_maxrss, KB on Linux) and CPU time.
MEASURED = (
    "import resource, sys; from ops.__main__ import main; code = main(sys.argv[1:]); "
    "usage = resource.getrusage(resource.RUSAGE_SELF); "
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr); sys.exit(code)"
)


def corpus_records() -> list[dict]:
    records = []
    for path in sorted((CORPUS / "events").glob("*.json")):
        found = json.loads(path.read_text(encoding="utf-8"))
        records.append(found["detail"] if "detail-type" in found else found)
    return records


def write_logs(folder: Path, total: int) -> tuple[int, int]:
    """(records, digest files) written as a trail with log file validation delivers them."""
    records = corpus_records()
    written = digests = 0
    while written < total:
        batch = [
            records[(written + i) % len(records)] for i in range(min(PER_FILE, total - written))
        ]
        day = f"{written // 100000 + 1:02d}"
        logs = folder / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / "2026" / "11" / day
        logs.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_us-east-1_20261127T0000Z_{written:016d}.json.gz"
        with gzip.open(logs / name, "wt", encoding="utf-8", compresslevel=1) as handle:
            json.dump({"Records": batch}, handle)
        if written % 100000 == 0:  # one digest an "hour": its fields as AWS documents them
            digest = folder / "AWSLogs" / ACCOUNT / "CloudTrail-Digest" / "us-east-1" / "2026"
            digest = digest / "11" / day
            digest.mkdir(parents=True, exist_ok=True)
            key = f"{ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261127T{digests:04d}Z"
            with gzip.open(digest / f"{key}.json.gz", "wt", encoding="utf-8") as handle:
                json.dump(
                    {
                        "awsAccountId": ACCOUNT,
                        "digestStartTime": "2026-11-27T00:00:00Z",
                        "digestEndTime": "2026-11-27T01:00:00Z",
                        "digestS3Bucket": "trail-bucket",
                        "digestS3Object": f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{key}.json.gz",
                        "logFiles": [{"s3Bucket": "trail-bucket", "s3Object": name}],
                    },
                    handle,
                )
            digests += 1
        written += len(batch)
    return written, digests


def replay_once(work: Path, env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, "replay", str(work / "logs")],
        cwd=work,
        env={**env, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak, cpu = result.stderr.splitlines()[-1].split()
    return {
        "wall_s": elapsed,
        "cpu_s": float(cpu),
        "peak_mb": int(peak) / 1024,
        "summary": result.stdout.splitlines()[0],
    }


def summary(runs: list[dict], records: int, size_mb: float) -> dict:
    def spread(values: list[float]) -> dict[str, float]:
        return {
            "min": round(min(values)),
            "median": round(statistics.median(values)),
            "max": round(max(values)),
        }

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the machine slows the wall time; CPU time much less.
        "load_average": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
        "records": records,
        "size_mb": round(size_mb),
        "runs": len(runs),
        "records_per_cpu_second": spread([records / r["cpu_s"] for r in runs]),
        "records_per_second": spread([records / r["wall_s"] for r in runs]),
        "peak_mb": round(max(r["peak_mb"] for r in runs)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--record", action="store_true", help="write the results and their page's lines"
    )
    args = parser.parse_args()
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as scratch:
        work = Path(scratch)
        (work / "cdktf.json").write_text(json.dumps({"context": CONTEXT}))
        subprocess.run([sys.executable, str(PROJECT / "main.py")], cwd=work, env=env, check=True)
        started = time.perf_counter()
        written, digests = write_logs(work / "logs", args.records)
        size = sum(p.stat().st_size for p in (work / "logs" / "AWSLogs").rglob("*.gz")) / 1e6
        print(
            f"wrote {written:,} records in {size:.0f} MB of .json.gz and {digests} digest files "
            f"({time.perf_counter() - started:.0f} s)"
        )
        runs = []
        for number in range(1, args.runs + 1):
            run = replay_once(work, env)
            runs.append(run)
            print(
                f"run {number}: {written / run['cpu_s']:,.0f} records per CPU second, "
                f"{written / run['wall_s']:,.0f} per second of wall time "
                f"({run['wall_s']:.1f} s), peak {run['peak_mb']:.0f} MB"
            )
        print(runs[0]["summary"])
    results = summary(runs, written, size)
    print(json.dumps(results, indent=2))
    if args.record:
        sys.path.insert(0, str(PROJECT))
        from scripts import doc_pages, readme_figures

        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        doc_pages.write({"replay-speed": readme_figures.replay_speed_lines})
    return 0


if __name__ == "__main__":
    sys.exit(main())
