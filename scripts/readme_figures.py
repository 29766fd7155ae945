"""The documentation's measured figures, generated instead of typed, on whichever page holds each
(scripts/doc_pages): `python scripts/readme_figures.py [--write]` (`make docs`).

- what it costs: the alarm metrics and KMS keys counted in synthesized stacks of the two
  configurations the table compares, priced at the list prices below;
- speed: `make bench ARGS=--record`'s benchmarks/results.json;
- organization scale: `make bench-organization ARGS=--record`'s benchmarks/organization.json;
- replay speed: `make bench-replay ARGS=--record`'s benchmarks/replay_results.json.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

PROJECT = Path(__file__).resolve().parent.parent
BENCHMARKS = PROJECT / "benchmarks"

# The two configurations of the cost table.
DEFAULT: dict[str, Any] = {}
WIDER = {
    "monitoredRegions": ["ap-northeast-1", "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1"],
    "detectionGroups": ["original", "cis", "self"],
    "kmsKey": True,
}
# List prices, US East (N. Virginia), as the table cites them.
ALARM_METRIC = 0.10  # per alarm metric-month, the first 10 per account free (CloudWatch pricing)
FREE_ALARM_METRICS = 10
KMS_KEY = 1.00  # per key-month (KMS pricing)
KMS_REQUESTS = 0.05  # SNS's data-key requests, at most, per month (the table's formula)
LOG_FILE_PUTS = 0.75  # CloudTrail's log and digest files, at most, per month (the table's row)


def alarm_metrics(documents: Mapping[str, Mapping[str, Any]]) -> int:
    """Alarm metrics billed: one per metric an alarm reads (its metric math's, or its own)."""
    count = 0
    for document in documents.values():
        for alarm in document.get("resource", {}).get("aws_cloudwatch_metric_alarm", {}).values():
            queries = alarm.get("metric_query") or []
            count += sum(1 for q in queries if q.get("metric")) if queries else 1
    return count


def kms_keys(documents: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(d.get("resource", {}).get("aws_kms_key", {})) for d in documents.values())


def synthesized(context: Mapping[str, Any]) -> dict[str, dict]:
    import provider_import

    provider_import.install()
    from config import parse_config
    from main import synthesize

    with tempfile.TemporaryDirectory() as folder:
        return synthesize(parse_config(context, {}), Path(folder) / "cdktf.out")


def _monthly(metrics: int, keys: int) -> float:
    alarms = max(0, metrics - FREE_ALARM_METRICS) * ALARM_METRIC
    return alarms + keys * KMS_KEY + (KMS_REQUESTS if keys else 0) + LOG_FILE_PUTS


def cost_cells(synthesize: Callable[[Mapping[str, Any]], dict] = synthesized) -> str:
    """The table's measured lines: alarm metrics, keys and totals of the two configurations."""
    default, wider = synthesize(DEFAULT), synthesize(WIDER)
    central = synthesize({**WIDER, "delivery": "central"})
    m, w, c = alarm_metrics(default), alarm_metrics(wider), alarm_metrics(central)
    k, kc = kms_keys(wider), kms_keys(central)
    return "\n".join(
        [
            "| configuration | alarm metrics | KMS keys | a month, at most |",
            "| --- | --- | --- | --- |",
            f"| default (2 regions, `original` + `self`) | {m}: **${max(0, m - FREE_ALARM_METRICS) * ALARM_METRIC:.2f}** "
            f"| none | **${_monthly(m, 0):.2f}** |",
            f"| `cis` + `kmsKey`, 5 monitored regions ({len(wider)} stacks) | {w}: "
            f"**${max(0, w - FREE_ALARM_METRICS) * ALARM_METRIC:.2f}** | {k}: **${k * KMS_KEY:.0f}** "
            f"| **${_monthly(w, k):.2f}** |",
            f"| the same, central delivery | {c}: **${max(0, c - FREE_ALARM_METRICS) * ALARM_METRIC:.2f}** "
            f"| {kc}: **${kc * KMS_KEY:.0f}** | **${_monthly(c, kc):.2f}** |",
        ]
    )


def _load(result: Mapping[str, Any]) -> str:
    if "load_average" not in result:
        return ""
    return f", load average {result['load_average']} on {result['cores']} cores"


def _speed_label(name: str) -> str:
    """A benchmark case's row label: main_default, cdk_original, main_<n>_regions,
    main_every_group, main_<n>_regions_every_group."""
    fixed = {
        "main_default": "`python main.py`, default configuration",
        "cdk_original": "the original CDK app (`../shared/seed-cdk`, compiled JavaScript)",
        "main_5_regions": "`python main.py`, 5 regions monitored",
        "main_every_group": "`python main.py`, every detection group in both engines",
    }
    if name in fixed:
        return fixed[name]
    regions = name.split("_")[1]
    if name.endswith("_every_group"):
        return f"`python main.py`, all {regions} commercial regions, every group in both engines"
    return f"`python main.py`, all {regions} commercial regions monitored"


def speed_lines() -> str:
    result = json.loads((BENCHMARKS / "results.json").read_text(encoding="utf-8"))
    seconds, ratios = result["seconds"], result["ratios"]
    rows = [
        "| synthesis | median | min | max | median / the original's |",
        "| --- | --- | --- | --- | --- |",
    ]
    original = seconds["cdk_original"]["median"]
    for name, found in seconds.items():
        rows.append(
            f"| {_speed_label(name)} | {found['median']:.2f} s | {found['min']:.2f} s "
            f"| {found['max']:.2f} s | {found['median'] / original:.2f} |"
        )
    ratio = ratios["main_default / cdk_original"]
    growth = [
        f"{value:+.1%} ({name.split(', ')[1]})"
        for name, value in ratios.items()
        if name.startswith("per extra")
    ]
    largest = [
        (name.split("_")[1], value)
        for name, value in ratios.items()
        if name.endswith("_regions_every_group / cdk_original")
    ]
    every = (
        f"; every group in all {largest[0][0]} regions takes **{largest[0][1]:.2f} times** it"
        if largest
        else ""
    )
    return (
        "\n".join(rows)
        + f"\n\n{result['runs']} interleaved runs at commit {result['commit']}, {result['date'][:10]}"
        f"{_load(result)}: "
        f"the default synthesis takes **{ratio:.2f} times** the original's{every}, and each extra "
        f"region changes the default's time by {' to '.join(growth)}."
    )


def scale_lines() -> str:
    result = json.loads((BENCHMARKS / "organization.json").read_text(encoding="utf-8"))
    rows = [
        "| named accounts | synthesis, median (min-max) | Terraform resources | synthesized bytes |",
        "| --- | --- | --- | --- |",
    ]
    for name, found in result["configurations"].items():
        rows.append(
            f"| {name} | {found['median']:.2f} s ({found['min']:.2f}-{found['max']:.2f}) "
            f"| {found['resources']:,} | {found['bytes']:,} |"
        )
    same = "byte-identical" if result["identical"] else "NOT identical"
    template = result["template_bytes"]
    return (
        "\n".join(rows)
        + f"\n\n{result['runs']} interleaved runs at commit {result['commit']}, {result['date'][:10]}"
        f"{_load(result)}; "
        f"the two outputs are {same}. The member template is {template['configured']:,} bytes, "
        f"{template['every_region']:,} with every commercial region monitored (CloudFormation "
        "takes 51,200)."
    )


def replay_speed_lines() -> str:
    result = json.loads((BENCHMARKS / "replay_results.json").read_text(encoding="utf-8"))
    cpu, wall = result["records_per_cpu_second"], result["records_per_second"]
    return (
        "| replay of 1,000,000 records | min | median | max |\n"
        "| --- | --- | --- | --- |\n"
        f"| records per second of CPU time (one core) | {cpu['min']:,} | {cpu['median']:,} "
        f"| {cpu['max']:,} |\n"
        f"| records per second of wall time | {wall['min']:,} | {wall['median']:,} "
        f"| {wall['max']:,} |\n\n"
        f"{result['runs']} runs of {result['records']:,} records ({result['size_mb']} MB of "
        f".json.gz) at commit {result['commit']}, {result['date'][:10]}{_load(result)}; peak "
        f"resident memory {result['peak_mb']} MB."
    )


BLOCKS: dict[str, Callable[[], str]] = {
    "costs": cost_cells,
    "speed": speed_lines,
    "scale": scale_lines,
    "replay-speed": replay_speed_lines,
}


if __name__ == "__main__":
    from scripts import doc_pages

    doc_pages.main(BLOCKS, "the measured figures are")
