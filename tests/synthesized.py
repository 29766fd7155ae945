"""Reading synthesized cdk.tf.json the way Terraform will: rules, their targets, their provider's region."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.events.models import EventPattern

RULE = "aws_cloudwatch_event_rule"
TARGET = "aws_cloudwatch_event_target"


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    document: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return self.document.get("resource", {}).get(resource_type, {})

    def providers(self) -> dict[str, dict[str, Any]]:
        """Provider blocks by reference, e.g. {"aws.us-east-1": {...}}."""
        blocks = self.document.get("provider", {}).get("aws", [])
        return {f"aws.{block['alias']}" if "alias" in block else "aws": block for block in blocks}

    def region_of(self, block: dict[str, Any]) -> str:
        """The region of the provider a resource or data block is bound to."""
        return self.providers()[block.get("provider", "aws")]["region"]

    def targets_of(self, rule_name: str) -> list[dict[str, Any]]:
        reference = f"${{{RULE}.{rule_name}.name}}"
        return [t for t in self.resources(TARGET).values() if t.get("rule") == reference]

    def firing_rules(self, event: dict[str, Any], arrives_in: str | None = None) -> list[str]:
        """Names of the enabled, targeted rules in this stack whose region and pattern match the event.

        An event arrives in its own region, or (``arrives_in``) where another region forwarded it.
        """
        firing = []
        for name, rule in self.resources(RULE).items():
            if rule.get("state", "ENABLED") != "ENABLED" or not self.targets_of(name):
                continue
            if self.region_of(rule) != (arrives_in or event["region"]):
                continue
            if EventPattern.load(rule["event_pattern"]).matches_event(event):
                firing.append(name)
        return firing


def load_stacks(outdir: Path) -> dict[str, SynthesizedStack]:
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return {
        name: SynthesizedStack(
            name,
            json.loads((outdir / entry["synthesizedStackPath"]).read_text(encoding="utf-8")),
        )
        for name, entry in manifest["stacks"].items()
    }
