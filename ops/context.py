"""What every operator command needs: the configuration, what was deployed, and credentials.

What was deployed is read from the synthesized stacks (cdktf.out, or CDKTF_OUTDIR), the same
files `cdktf deploy` applied, so that names and regions are never recomputed differently.
A problem is one ``OpsError`` line and exit status 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import MANAGEMENT_STACK, ConfigError, MonitorConfig, load_config
from constructs_lib.detections.catalog import EVENTBRIDGE, HEALTH_TOPIC_SUFFIX


class OpsError(Exception):
    """The command cannot run: one line for the operator, exit status 2."""


@dataclass(frozen=True)
class RegionDeployment:
    """One deployed stack, by the names AWS knows its parts by."""

    region: str
    dead_letter_queue: str
    health_topic: str
    alert_topic: str | None  # None in central delivery's other regions
    self_test_rule: str | None  # the rule that delivers self-tests here, if any
    self_test_bus: str | None  # its custom bus (organization mode), None on the default bus
    forwarding_rules: tuple[str, ...]  # central delivery: rules forwarding to the home bus
    chat_topics: tuple[str, ...] = ()  # the chat channels' topics here, by name


def settings_of(environ: Mapping[str, str]) -> MonitorConfig:
    try:
        # Like the cdktf CLI, the cdktf.json of the folder we run in.
        return load_config(Path("cdktf.json"), environ)
    except ConfigError as error:
        raise OpsError(f"configuration error: {error}") from None


def deployments(settings: MonitorConfig, environ: Mapping[str, str]) -> list[RegionDeployment]:
    """The synthesized stacks of the EventBridge engine, one per region."""
    if EVENTBRIDGE not in settings.engines:
        raise OpsError(
            "verify follows test events through EventBridge rules; with alertEngines "
            f"{json.dumps(list(settings.engines))} run make readiness, and make selftest to "
            "set the self-test alarm"
        )
    documents = synthesized_documents(settings, environ)
    planned = [plan.region for plan in settings.region_plans()]
    found = [_deployment(document, settings) for document in documents.values()]
    return sorted(found, key=lambda d: planned.index(d.region))


def synthesized_documents(
    settings: MonitorConfig, environ: Mapping[str, str], management: bool = False
) -> dict[str, dict[str, Any]]:
    """Each synthesized region stack's Terraform JSON, by region, checked against the
    configuration (organization mode's management stack is another account's, left out; with
    ``management``, only that one)."""
    outdir = Path(environ.get("CDKTF_OUTDIR", "cdktf.out"))
    manifest = outdir / "manifest.json"
    if not manifest.exists():
        raise OpsError(f"no synthesized stacks in {outdir}: run make synth (and deploy) first")
    recorded = outdir / "configuration.json"  # main.CONFIGURATION_FILE
    found = json.loads(recorded.read_text(encoding="utf-8")) if recorded.exists() else {}
    if found.get("fingerprint") != settings.fingerprint:
        raise OpsError(
            f"{outdir} was synthesized from another configuration (cdktf.json or an ALERTS_ "
            "variable changed since): run make synth, and deploy what changed"
        )
    documents = {}
    stacks = json.loads(manifest.read_text(encoding="utf-8"))["stacks"]
    if management:
        if MANAGEMENT_STACK not in stacks:
            raise OpsError(f"{outdir} holds no {MANAGEMENT_STACK} stack: run make synth")
        entry = stacks[MANAGEMENT_STACK]
        return {MANAGEMENT_STACK: json.loads((outdir / entry["synthesizedStackPath"]).read_text())}
    for name, entry in stacks.items():
        if name == MANAGEMENT_STACK:
            continue  # another account's: the commands work in this one's region stacks
        document = json.loads((outdir / entry["synthesizedStackPath"]).read_text("utf-8"))
        (provider,) = document["provider"]["aws"]
        documents[provider["region"]] = document
    planned = [plan.region for plan in settings.region_plans()]
    if sorted(documents) != sorted(planned):
        raise OpsError(
            f"{outdir} holds stacks for {sorted(documents)} but the configuration "
            f"plans {sorted(planned)}: run make synth, and deploy what changed"
        )
    return documents


def synthesized_types(
    settings: MonitorConfig, environ: Mapping[str, str], management: bool = False
) -> set[str]:
    """Every resource type ("aws_sns_topic") and data type ("data.aws_caller_identity") the
    synthesized stacks hold (``management``: the management stack's)."""
    types: set[str] = set()
    for document in synthesized_documents(settings, environ, management).values():
        types |= set(document.get("resource", {}))
        types |= {f"data.{kind}" for kind in document.get("data", {})}
    return types


def _deployment(document: dict[str, Any], settings: MonitorConfig) -> RegionDeployment:
    (provider,) = document["provider"]["aws"]
    resources = document.get("resource", {})
    topics = {t["name"] for t in resources.get("aws_sns_topic", {}).values()}
    rules = resources.get("aws_cloudwatch_event_rule", {})
    (queue,) = resources["aws_sqs_queue"].values()
    prefix = settings.name_prefix
    buses = {
        f"${{aws_cloudwatch_event_bus.{rid}.name}}": bus["name"]
        for rid, bus in resources.get("aws_cloudwatch_event_bus", {}).items()
    }
    self_test_bus = rules["self_test"]["event_bus_name"] if "self_test" in rules else "default"
    if f"{prefix}{HEALTH_TOPIC_SUFFIX}" not in topics:
        raise OpsError(f"the synthesized stack {provider['region']} is not this configuration's")
    return RegionDeployment(
        region=provider["region"],
        dead_letter_queue=queue["name"],
        health_topic=f"{prefix}{HEALTH_TOPIC_SUFFIX}",
        alert_topic=prefix if prefix in topics else None,
        self_test_rule=rules["self_test"]["name"] if "self_test" in rules else None,
        self_test_bus=None if self_test_bus == "default" else buses[self_test_bus],
        forwarding_rules=tuple(
            rule["name"]
            for rid, rule in sorted(rules.items())
            if rid.startswith("forward_to_home_")
        ),
        chat_topics=tuple(sorted(t for t in topics if t.startswith(f"{prefix}-chat-"))),
    )


def session(environ: Mapping[str, str]) -> Any:
    """boto3's default session, which must find credentials (without calling AWS)."""
    import boto3

    found = boto3.Session()
    if found.get_credentials() is None:
        raise OpsError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "for the account you deployed to"
        )
    return found


def run(command: Callable[[], int]) -> int:
    """Run a command body: an OpsError, or AWS unreachable or refusing the credentials, is one
    line on stderr and exit status 2 (1 is a check that failed)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return command()
    except OpsError as error:
        print(error, file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as error:
        print(f"AWS: {error}", file=sys.stderr)
        return 2
