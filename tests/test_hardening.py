"""Hardened by default: checkov passes with the reviewed skip list, audit data outlives the
tooling, every resource policy is least-privilege, and the optional KMS key is used everywhere."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from config import parse_config
from constructs_lib.foundation.policy_statements import (
    ALARM_KEY_ACTIONS,
    ALARMS,
    EVENTBRIDGE,
    UNCONDITIONED_EVENTBRIDGE,
    UNCONDITIONED_TRUSTS,
)
from tests.check_cache import Check
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import SynthesizedStack
from tests.test_athena import ORGANIZATION_ATHENA_CONTEXT
from tests.test_chat import CHAT_CONTEXT
from tests.test_organization import ORG_CONTEXT

PROJECT = Path(__file__).resolve().parent.parent
KMS_CONTEXT = {
    **TEST_CONTEXT,
    # Both engines: the log group, its role and the alarms pass with the same skip list.
    "alertEngines": ["eventbridge", "metric-filters"],
    "kmsKey": True,
    "objectLock": {"mode": "COMPLIANCE", "days": 365},
    "logArchiveAfterDays": 30,
}
HARDENING_CONFIGS = {
    "default": TEST_CONTEXT,
    "kms": KMS_CONTEXT,
    "central_all_groups": {
        **TEST_CONTEXT,
        "monitoredRegions": ["ap-northeast-1", "eu-west-1", "us-east-1"],
        "detectionGroups": ALL_GROUPS,
        "delivery": "central",
        "kmsKey": True,
    },
    # Organization mode: the organization bus, the StackSet, the management account's stack and
    # its organization trail pass with the same skip list.
    "organization": ORG_CONTEXT,
    # Chat channels (Slack, Teams), with both engines: the channels' role, the chat topics.
    "chat": CHAT_CONTEXT,
    # The trail's Athena tables (athenaTable): the home stack's and the organization trail's.
    "organization_athena": ORGANIZATION_ATHENA_CONTEXT,
}


@pytest.fixture(scope="module", params=list(HARDENING_CONFIGS))
def hardened(request, tmp_path_factory) -> tuple[str, Path, dict[str, SynthesizedStack]]:
    settings = parse_config(HARDENING_CONFIGS[request.param], {})
    outdir = tmp_path_factory.mktemp(request.param) / "cdktf.out"
    return request.param, outdir, synthesize_to(settings, outdir)


@pytest.fixture(scope="module")
def kms_stacks(tmp_path_factory) -> dict[str, SynthesizedStack]:
    settings = parse_config(KMS_CONTEXT, {})
    return synthesize_to(settings, tmp_path_factory.mktemp("kms") / "cdktf.out")


def _checkov(*folders: Path) -> list[dict]:
    """One checkov run over every stack of these folders (its start-up is most of its time)."""
    stacks = sorted(stack for folder in folders for stack in (folder / "stacks").iterdir())
    command = [
        sys.executable,
        "-m",
        "checkov.main",
        "--config-file",
        str(PROJECT / ".checkov.yaml"),
    ]
    for stack in stacks:
        command += ["-d", str(stack)]
    result = subprocess.run(
        [*command, "-o", "json"], capture_output=True, text=True, timeout=300, cwd=folders[0]
    )
    decoder, text, reports = json.JSONDecoder(), result.stdout.strip(), []
    while text:
        report, end = decoder.raw_decode(text)
        reports.append(report)
        text = text[end:].strip()
    assert len(reports) == len(stacks), result.stderr[-2000:]
    return reports


# Which stacks of a configuration checkov reads (all by default). The chat configuration's home
# stack holds every resource chat adds (channel configurations, their role, the chat topics);
# its other stacks are the default configuration's plus chat topics.
CHECKOV_STACKS = {"chat": ("ap-northeast-1",)}


def _checkov_readable_copy(outdir: Path, into: Path, only: tuple[str, ...] = ()) -> Path:
    """The stacks without terraform.required_version, which checkov 3.1's terraform_json parser
    cannot read (it expects every entry of the terraform block to be an object: "this method
    receives only dicts"); checkov checks resources, which are untouched."""
    for source in (outdir / "stacks").iterdir():
        if only and source.name not in only:
            continue
        document = json.loads((source / "cdk.tf.json").read_text())
        document["terraform"].pop("required_version")
        (into / "stacks" / source.name).mkdir(parents=True)
        (into / "stacks" / source.name / "cdk.tf.json").write_text(json.dumps(document))
    return into


def test_checkov_passes_every_stack_with_the_reviewed_skip_list(tmp_path):
    """The default configuration, both engines with a KMS key and Object Lock, and organization
    mode, every stack of each (the management stack and its organization trail included)."""
    readable = []
    for name in ("default", "kms", "organization_athena", "chat"):
        outdir = tmp_path / name / "cdktf.out"
        synthesize_to(parse_config(HARDENING_CONFIGS[name], {}), outdir)
        only = CHECKOV_STACKS.get(name, ())
        readable.append(_checkov_readable_copy(outdir, tmp_path / f"{name}-readable", only))
    # Cached (tests/check_cache.py) by what checkov reads: these stacks, the skip list, its version.
    cached = Check.of(
        "checkov",
        *readable,
        PROJECT / ".checkov.yaml",
        version("checkov"),
        inspect.getsource(_checkov),
    )
    reports = cached.run(lambda: _checkov(*readable))
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 100
    cached.remember(reports)


def test_skip_list_gives_a_reason_for_every_check():
    lines = (PROJECT / ".checkov.yaml").read_text().splitlines()
    skipped = [i for i, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert skipped
    for index in skipped:
        # Each id, or its group of ids, follows a one-line "# reason" comment.
        above = index - 1
        while lines[above].strip().startswith("- CKV"):
            above -= 1
        assert lines[above].strip().startswith("# ") and len(lines[above]) > 20, lines[index]


def _home(stacks) -> SynthesizedStack:
    return stacks["ap-northeast-1"]


def test_bucket_and_trail_outlive_the_tooling(hardened):
    _, _, stacks = hardened
    home = _home(stacks)
    buckets = home.resources("aws_s3_bucket")
    assert len(buckets) == 2  # the trail bucket and its access-log bucket
    for bucket in buckets.values():
        assert bucket["lifecycle"] == {"prevent_destroy": True}
        assert "force_destroy" not in bucket or bucket["force_destroy"] is False
    (trail,) = home.resources("aws_cloudtrail").values()
    assert trail["lifecycle"] == {"prevent_destroy": True}
    for stack in stacks.values():
        for resource_type in stack.document["resource"]:
            if resource_type != "aws_s3_bucket":
                continue
            assert all(not b.get("force_destroy") for b in stack.resources(resource_type).values())


def test_trail_bucket_logs_access_and_keeps_versions_then_archives(kms_stacks):
    home = _home(kms_stacks)
    buckets = home.resources("aws_s3_bucket")
    trail_bucket = next(n for n, b in buckets.items() if b["bucket_prefix"] == "api-alerts-trail-")
    log_bucket = next(n for n, b in buckets.items() if b["bucket_prefix"] == "api-alerts-logs-")
    (logging,) = home.resources("aws_s3_bucket_logging").values()
    assert logging["bucket"] == f"${{aws_s3_bucket.{trail_bucket}.id}}"
    assert logging["target_bucket"] == f"${{aws_s3_bucket.{log_bucket}.id}}"
    lifecycles = {
        c["bucket"]: c for c in home.resources("aws_s3_bucket_lifecycle_configuration").values()
    }
    trail_lifecycle = lifecycles[f"${{aws_s3_bucket.{trail_bucket}.id}}"]
    # S3's default since September 2024, written out: objects under 128 KB never transition.
    assert trail_lifecycle["transition_default_minimum_object_size"] == "all_storage_classes_128K"
    retention, archive = trail_lifecycle["rule"]
    assert retention["filter"] == [{}] and "transition" not in retention
    assert retention["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert retention["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert "expiration" not in retention  # current trail logs are kept for ever
    assert archive["filter"] == [{"object_size_greater_than": 131072}]
    assert archive["transition"] == [{"days": 30, "storage_class": "GLACIER_IR"}]
    (log_rule,) = lifecycles[f"${{aws_s3_bucket.{log_bucket}.id}}"]["rule"]
    assert log_rule["expiration"] == [{"days": 365}] and "transition" not in log_rule
    (lock,) = home.resources("aws_s3_bucket_object_lock_configuration").values()
    assert lock["rule"]["default_retention"] == {"mode": "COMPLIANCE", "days": 365}
    assert buckets[trail_bucket]["object_lock_enabled"] is True
    versioned = {v["bucket"] for v in home.resources("aws_s3_bucket_versioning").values()}
    assert versioned == {f"${{aws_s3_bucket.{b}.id}}" for b in buckets}
    blocks = home.resources("aws_s3_bucket_public_access_block").values()
    assert len(blocks) == 2 and all(
        b["block_public_acls"]
        and b["block_public_policy"]
        and b["ignore_public_acls"]
        and b["restrict_public_buckets"]
        for b in blocks
    )


def _statements(stack: SynthesizedStack, sid: str) -> dict:
    for document in stack.document.get("data", {}).get("aws_iam_policy_document", {}).values():
        for statement in document["statement"]:
            if statement.get("sid") == sid:
                return statement
    raise AssertionError(sid)


def _topics(stack: SynthesizedStack) -> dict[str, dict]:
    """Topic blocks by topic name."""
    return {t["name"]: t for t in stack.resources("aws_sns_topic").values()}


def test_kms_key_rotates_is_kept_and_encrypts_the_trail_and_the_alert_topic_only(kms_stacks):
    for region, stack in kms_stacks.items():
        ((key_name, key),) = stack.resources("aws_kms_key").items()
        assert key["enable_key_rotation"] is True
        assert key["lifecycle"] == {"prevent_destroy": True}
        key_arn = f"${{aws_kms_key.{key_name}.arn}}"
        topics = _topics(stack)
        assert topics["api-alerts"]["kms_master_key_id"] == key_arn
        # What must work when the key does not: the fallback queue and the health topic.
        assert "kms_master_key_id" not in topics["api-alerts-health"]
        (queue,) = stack.resources("aws_sqs_queue").values()
        assert queue["sqs_managed_sse_enabled"] is True and "kms_master_key_id" not in queue
        statement = _statements(stack, "AllowEventBridgeToPublishToTheAlertTopic")
        assert statement["principals"] == [
            {"type": "Service", "identifiers": ["events.amazonaws.com"]}
        ]
        assert statement["actions"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
        # Not supported for EventBridge-to-encrypted-topic delivery (SNS guide, key management).
        assert "condition" not in statement
        principals = {
            identifier
            for document in _policy_documents(stack).values()
            for st in document
            if st.get("sid", "").startswith(("Allow", "Enable"))
            for principal in st.get("principals", [])
            for identifier in principal["identifiers"]
        }
        assert "cloudwatch.amazonaws.com" in principals  # the health topic's, not the key's
        if region == "ap-northeast-1":
            (trail,) = stack.resources("aws_cloudtrail").values()
            assert trail["kms_key_id"] == key_arn
            encrypt = _statements(stack, "AllowCloudTrailToEncryptLogs")
            assert encrypt["actions"] == ["kms:GenerateDataKey*"]
            conditions = {c["variable"]: c for c in encrypt["condition"]}
            assert conditions["aws:SourceArn"]["values"][0].endswith(":trail/api-alerts-trail")
            assert conditions["kms:EncryptionContext:aws:cloudtrail:arn"]["test"] == "StringLike"
    key_policy_sids = {
        st["sid"]
        for stack in kms_stacks.values()
        for name, document in _policy_documents(stack).items()
        if name.startswith("encryption_key")
        for st in document
    }
    assert "AllowOurAlarmsToEncrypt" not in key_policy_sids


def _policy_documents(stack: SynthesizedStack) -> dict[str, list[dict]]:
    return {
        name: document["statement"]
        for name, document in stack.document.get("data", {})
        .get("aws_iam_policy_document", {})
        .items()
    }


# The one wildcard action allowed: the account's own administration of its KMS key
# (the default key policy's first statement).
KEY_ADMIN_SID = "EnableIAMPolicies"
SOURCE_CONDITIONS = {
    "aws:SourceArn",
    "aws:SourceAccount",
    # CloudWatch Logs binds a key grant to one log group by its encryption context, the condition
    # its guide gives (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    "kms:EncryptionContext:aws:logs:arn",
}


def policy_problems(statement: dict) -> list[str]:
    """What makes a statement more than least privilege, if anything."""
    problems = []
    sid = statement.get("sid", "?")
    conditions = {c["variable"] for c in statement.get("condition", [])}
    allows = statement.get("effect", "Allow") == "Allow"  # a broad Deny only restricts
    actions = statement.get("actions", [])
    for action in actions:
        if allows and (action == "*" or action.endswith(":*")) and sid != KEY_ADMIN_SID:
            problems.append(f"{sid}: wildcard action {action}")
    for principal in statement.get("principals", []):
        if allows and principal["type"] == "Service" and not conditions & SOURCE_CONDITIONS:
            problems += _unconditioned_service(sid, principal["identifiers"], actions, statement)
        if "*" in principal["identifiers"] and not conditions:
            problems.append(f"{sid}: '*' principal without a condition")
    return problems


def _unconditioned_service(sid: str, services: list[str], actions: list[str], statement: dict):
    """A service principal without source conditions is admitted only where AWS says the service
    sends none (policy_statements.UNCONDITIONED_EVENTBRIDGE, each with its AWS page), and only
    for named actions of that service on named resources (a key policy's "*" is the key)."""
    services_of_actions = {action.split(":")[0] for action in actions}
    if actions == ["sts:AssumeRole"] and len(services) == 1 and services[0] in UNCONDITIONED_TRUSTS:
        return []  # a role trust AWS documents without a condition (policy_statements)
    if services == [ALARMS] and set(actions) <= set(ALARM_KEY_ACTIONS):
        return []  # alarms on an encrypted topic's key, as AWS documents it (policy_statements)
    cited = (
        services == [EVENTBRIDGE]
        and len(services_of_actions) == 1
        and services_of_actions <= set(UNCONDITIONED_EVENTBRIDGE)
    )
    if not cited:
        return [f"{sid}: service principal {services} without a source condition"]
    resources = statement.get("resources", [])
    if services_of_actions == {"sns"} and not all(
        r.startswith("${aws_sns_topic.") for r in resources
    ):
        return [f"{sid}: unconditioned EventBridge grant on {resources}, not one of our topics"]
    return []


def test_every_policy_statement_is_least_privilege(hardened):
    _, _, stacks = hardened
    problems, walked = [], 0
    for region, stack in stacks.items():
        for document, statements in _policy_documents(stack).items():
            for statement in statements:
                walked += 1
                problems += [f"{region} {document} {p}" for p in policy_problems(statement)]
    assert not problems, "\n".join(problems)
    assert walked >= 10


def test_the_policy_walk_catches_what_it_must():
    assert policy_problems(
        {
            "sid": "Loose",
            "effect": "Allow",
            "principals": [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}],
            "actions": ["sns:Publish"],
        }
    ) == ["Loose: service principal ['cloudwatch.amazonaws.com'] without a source condition"]
    # An unconditioned role trust only for the service AWS documents that way (CloudTrail's).
    assert policy_problems(
        {
            "sid": "AnyTrust",
            "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
            "actions": ["sts:AssumeRole"],
        }
    ) == ["AnyTrust: service principal ['events.amazonaws.com'] without a source condition"]
    assert not policy_problems(
        {
            "sid": "CloudTrailTrust",
            "principals": [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}],
            "actions": ["sts:AssumeRole"],
        }
    )
    # EventBridge unconditioned: only for SNS and KMS, which AWS documents, not for SQS.
    assert policy_problems(
        {
            "sid": "Queue",
            "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
            "actions": ["sqs:SendMessage"],
            "resources": ["${aws_sqs_queue.q.arn}"],
        }
    ) == ["Queue: service principal ['events.amazonaws.com'] without a source condition"]
    assert policy_problems(
        {
            "sid": "AnyTopic",
            "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
            "actions": ["sns:Publish"],
            "resources": ["*"],
        }
    ) == ["AnyTopic: unconditioned EventBridge grant on ['*'], not one of our topics"]
    assert policy_problems({"sid": "All", "actions": ["s3:*"]}) == ["All: wildcard action s3:*"]
    assert policy_problems(
        {
            "sid": "Anyone",
            "principals": [{"type": "AWS", "identifiers": ["*"]}],
            "actions": ["s3:GetObject"],
        }
    ) == ["Anyone: '*' principal without a condition"]


def test_unconditioned_eventbridge_grants_are_exactly_the_cited_ones(hardened):
    name, _, stacks = hardened
    found = {
        (st["sid"], tuple(st["actions"]))
        for stack in stacks.values()
        for document in _policy_documents(stack).values()
        for st in document
        if st.get("principals") == [{"type": "Service", "identifiers": [EVENTBRIDGE]}]
        and "condition" not in st
    }
    expected = {("AllowEventBridgeToPublish", ("sns:Publish",))}
    if HARDENING_CONFIGS[name].get("kmsKey"):
        expected.add(
            ("AllowEventBridgeToPublishToTheAlertTopic", ("kms:GenerateDataKey*", "kms:Decrypt"))
        )
    assert found == expected


def test_remote_state_in_s3_with_a_lockfile(tmp_path):
    settings = parse_config(
        {
            **TEST_CONTEXT,
            "stateBackend": {
                "type": "s3",
                "bucket": "acme-terraform-state",
                "keyPrefix": "security/api-alerts",
                "region": "eu-west-1",
            },
        },
        {},
    )
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    for region, stack in stacks.items():
        # S3-native locking (use_lockfile) needs Terraform 1.10: an older CLI fails at init.
        assert stack.document["terraform"]["required_version"] == ">= 1.10.0"
        assert stack.document["terraform"]["backend"] == {
            "s3": {
                "bucket": "acme-terraform-state",
                "key": f"security/api-alerts/{region}.tfstate",
                "region": "eu-west-1",
                "encrypt": True,
                "use_lockfile": True,
            }
        }


def test_a_deliberate_teardown_lifts_prevent_destroy(tmp_path):
    """preventDestroy: false, for `cdktf destroy` (docs/teardown.md); true by default."""
    settings = parse_config({**KMS_CONTEXT, "preventDestroy": False}, {})
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    kept = [
        block
        for stack in stacks.values()
        for kind in ("aws_s3_bucket", "aws_cloudtrail", "aws_kms_key", "aws_cloudwatch_log_group")
        for block in stack.resources(kind).values()
    ]
    assert len(kept) == 2 + 1 + 2 + 1  # two buckets, the trail, a key per region, the log group
    assert all(block["lifecycle"] == {"prevent_destroy": False} for block in kept)
