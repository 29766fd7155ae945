"""How many of SigmaHQ's CloudTrail rules compile to each engine, and why the others are refused.

    python scripts/sigmahq_report.py PATH [--cased eventSource,eventName] [--commit SHA]

PATH is a local checkout of SigmaHQ/sigma (its rules/cloud/aws/cloudtrail/ is read) or that
folder itself. Nothing is fetched and no rule is copied: the rules stay where they are
(Detection Rule License 1.1). Prints a Markdown report: the counts, one line per refusal, and the
time to import pySigma and the backend and to compile every rule. ``--cased`` compiles as if the
named fields' values had ``|cased`` (cased_fields): a different rule, reported as such.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RULES = Path("rules/cloud/aws/cloudtrail")


def rule_files(path: Path) -> list[Path]:
    folder = path / RULES if (path / RULES).is_dir() else path
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise SystemExit(f"no Sigma rules (*.yml) in {folder}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--cased", default="", help="comma-separated fields compared as |cased")
    parser.add_argument("--commit", default="", help="the checkout's commit, for the report")
    args = parser.parse_args(argv)
    files = rule_files(args.path)

    started = time.perf_counter()
    from constructs_lib.detections.sigma_backend import (
        EVENTBRIDGE,
        METRIC_FILTER,
        CloudTrailBackend,
        cased_fields,
        compile_rule,
    )

    imported = time.perf_counter() - started
    fields = [f for f in args.cased.split(",") if f]
    texts = [file.read_text(encoding="utf-8") for file in files]
    started = time.perf_counter()
    results = [
        compile_rule(text, CloudTrailBackend(cased_fields(fields)) if fields else None)
        for text in texts
    ]
    compiled_in = time.perf_counter() - started

    both = sum(r.event_pattern is not None and r.log_filter is not None for r in results)
    eventbridge = sum(r.event_pattern is not None for r in results)
    metric = sum(r.log_filter is not None for r in results)
    commit = f" at {args.commit}" if args.commit else ""
    cased = f", with {', '.join(fields)} compared case-sensitively (`|cased`)" if fields else ""
    print(f"SigmaHQ/sigma{commit}, `{RULES}/`: {len(results)} rules{cased}.\n")
    print("| compiled to | rules |\n| --- | --- |")
    print(f"| EventBridge | {eventbridge} |\n| CloudWatch Logs | {metric} |\n| both | {both} |")
    print(f"| neither | {sum(not r.event_pattern and not r.log_filter for r in results)} |\n")
    for engine in (EVENTBRIDGE, METRIC_FILTER):
        reasons = Counter(r.reasons[engine] for r in results if engine in r.reasons)
        print(f"Refused by {engine}, by reason:\n")
        for why, count in reasons.most_common():
            print(f"- {count} x {why}")
        print()
    print("Each refusal:\n\n```")
    for file, result in zip(files, results, strict=True):
        for engine in (EVENTBRIDGE, METRIC_FILTER):
            if engine in result.refusals:
                print(f"{file.name}: {result.refusals[engine]}")
    print("```\n")
    print(
        f"Import of pySigma and the backend: {imported:.2f} s; compiling {len(results)} rules "
        f"(parse and both engines): {compiled_in:.2f} s ({1000 * compiled_in / len(results):.1f} "
        "ms a rule)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
