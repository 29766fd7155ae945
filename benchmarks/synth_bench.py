"""Time whole synthesis processes, interleaved: ours against the original CDK app.

`make bench` (or `.venv/bin/python benchmarks/synth_bench.py [--runs N] [--record]`) runs,
round after round, `python main.py` with the default configuration, the original design's
compiled CDK app (../shared/seed-cdk, built on first use with its prepare.sh into the user cache,
$XDG_CACHE_HOME or ~/.cache), and `python main.py` with 5 and with all commercial regions
monitored, with every detection group in both engines, and both at once (every commercial
region, every group: the largest synthesis). It prints the medians, min and max, and the ratios; with --record (`make bench
ARGS=--record`) it also writes them to benchmarks/results.json (the last recorded run) and
benchmarks/history.tsv (one line per recorded run, with the commit), which are tracked, so that
runs can be compared across commits. Without it, it writes nothing in the project.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import botocore.loaders

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from constructs_lib.detections.catalog import GROUPS

PROJECT = Path(__file__).resolve().parent.parent
SEED = PROJECT.parent / "shared" / "seed-cdk"
SEED_BUILD = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "seed-cdk"
SEED_APP = SEED_BUILD / "dist" / "bin" / "aws_cloud_trail_sample.js"
HERE = Path(__file__).resolve().parent
FIVE = ["ap-northeast-1", "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1"]
EVERY_GROUP = {
    "ALERTS_DETECTION_GROUPS": ",".join(GROUPS),
    "ALERTS_ENGINES": "eventbridge,metric-filters",
}


def commercial_regions() -> list[str]:
    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    (aws,) = [p for p in partitions if p["partition"] == "aws"]
    return ["ap-northeast-1", *sorted(r for r in aws["regions"] if r != "ap-northeast-1")]


def commands(work: Path) -> dict[str, tuple[list[str], dict[str, str], Path]]:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    ours = [sys.executable, str(PROJECT / "main.py")]
    every = commercial_regions()
    return {
        "main_default": (ours, env, work / "default"),
        "cdk_original": (
            ["node", str(SEED_APP)],
            {**env, "CDK_OUTDIR": str(work / "cdk.out")},
            work,
        ),
        "main_5_regions": (
            ours,
            {**env, "ALERTS_MONITORED_REGIONS": ",".join(FIVE)},
            work / "five",
        ),
        f"main_{len(every)}_regions": (
            ours,
            {**env, "ALERTS_MONITORED_REGIONS": ",".join(every)},
            work / "all",
        ),
        # Every detection group (the attack group's 23 included) in both engines.
        "main_every_group": (ours, {**env, **EVERY_GROUP}, work / "every_group"),
        # The largest: every commercial region, every group, both engines.
        f"main_{len(every)}_regions_every_group": (
            ours,
            {**env, **EVERY_GROUP, "ALERTS_MONITORED_REGIONS": ",".join(every)},
            work / "all_every_group",
        ),
    }


def run(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (at least 5)")
    parser.add_argument(
        "--record", action="store_true", help="write benchmarks/results.json and history.tsv"
    )
    args = parser.parse_args()
    runs = max(5, args.runs)
    if not SEED_APP.exists():
        subprocess.run(["bash", str(SEED / "prepare.sh"), str(SEED_BUILD)], check=True)

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        cases = commands(work)
        for _, _, cwd in cases.values():
            cwd.mkdir(exist_ok=True)
            shutil.copy(PROJECT / "cdktf.json", cwd / "cdktf.json")
        for command, env, cwd in cases.values():  # warm caches, untimed
            run(command, env, cwd)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):  # interleaved: each round runs every case once
            for name, (command, env, cwd) in cases.items():
                times[name].append(run(command, env, cwd))

    median = {name: statistics.median(values) for name, values in times.items()}
    (all_name,) = [n for n in cases if n.endswith("_regions") and n != "main_5_regions"]
    regions = int(all_name.split("_")[1])
    base, original = median["main_default"], median["cdk_original"]
    ratios = {
        "main_default / cdk_original": base / original,
        "per extra region, 5 regions": (median["main_5_regions"] / base - 1) / (5 - 2),
        f"per extra region, {regions} regions": (median[all_name] / base - 1) / (regions - 2),
        "main_every_group / cdk_original": median["main_every_group"] / original,
        f"{all_name}_every_group / cdk_original": median[f"{all_name}_every_group"] / original,
    }
    for name, values in times.items():
        print(
            f"{name:33} median {median[name]:6.2f} s  min {min(values):6.2f}  "
            f"max {max(values):6.2f}  ({runs} runs)"
        )
    for name, value in ratios.items():
        shown = f"{value:.2f}" if name.startswith("main_") else f"{value:+.1%}"
        print(f"{name:46} {shown}")

    if not args.record:
        return 0
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
    ).stdout.strip()
    result = {
        "commit": commit,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on the machine slows every case alike, the ratios less than the seconds.
        "load_average": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
        "runs": runs,
        "seconds": {
            n: {"median": median[n], "min": min(v), "max": max(v)} for n, v in times.items()
        },
        "ratios": ratios,
    }
    (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    history = HERE / "history.tsv"
    if not history.exists():
        history.write_text(
            "date\tcommit\truns\tmain_default_s\tcdk_original_s\tratio\tper_region_5\tper_region_all"
            "\tratio_all_every_group\n"
        )
    with history.open("a") as lines:
        values = list(ratios.values())
        lines.write(
            f"{result['date']}\t{commit}\t{runs}\t{base:.3f}\t{original:.3f}\t"
            f"{values[0]:.3f}\t{values[1]:.4f}\t{values[2]:.4f}\t{values[4]:.3f}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
