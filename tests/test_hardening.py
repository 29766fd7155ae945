"""Hardened by default: checkov passes with the reviewed skip list, audit data outlives the
tooling, every resource policy is least-privilege, and the optional KMS key is used everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config import parse_config
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import SynthesizedStack

PROJECT = Path(__file__).resolve().parent.parent
KMS_CONTEXT = {
    **TEST_CONTEXT,
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


def _checkov(folder: Path) -> list[dict]:
    stacks = sorted((folder / "stacks").iterdir())
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
        [*command, "-o", "json"], capture_output=True, text=True, timeout=300, cwd=folder
    )
    decoder, text, reports = json.JSONDecoder(), result.stdout.strip(), []
    while text:
        report, end = decoder.raw_decode(text)
        reports.append(report)
        text = text[end:].strip()
    assert len(reports) == len(stacks), result.stderr[-2000:]
    return reports


@pytest.mark.parametrize("hardened", ["default", "kms"], indirect=True)
def test_checkov_passes_every_stack_with_the_reviewed_skip_list(hardened):
    _, outdir, _ = hardened
    reports = _checkov(outdir)
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 100


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
        c["bucket"]: c["rule"][0]
        for c in home.resources("aws_s3_bucket_lifecycle_configuration").values()
    }
    trail_rule = lifecycles[f"${{aws_s3_bucket.{trail_bucket}.id}}"]
    assert trail_rule["transition"] == [{"days": 30, "storage_class": "GLACIER_IR"}]
    assert trail_rule["noncurrent_version_expiration"] == [{"noncurrent_days": 365}]
    assert trail_rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert "expiration" not in trail_rule  # current trail logs are kept for ever
    log_rule = lifecycles[f"${{aws_s3_bucket.{log_bucket}.id}}"]
    assert log_rule["expiration"] == [{"days": 365}]
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


def test_kms_key_rotates_and_encrypts_trail_topics_and_queues(kms_stacks):
    for region, stack in kms_stacks.items():
        ((key_name, key),) = stack.resources("aws_kms_key").items()
        assert key["enable_key_rotation"] is True
        key_arn = f"${{aws_kms_key.{key_name}.arn}}"
        (topic,) = stack.resources("aws_sns_topic").values()
        assert topic["kms_master_key_id"] == key_arn
        (queue,) = stack.resources("aws_sqs_queue").values()
        assert queue["kms_master_key_id"] == key_arn and "sqs_managed_sse_enabled" not in queue
        for sid, service in (
            ("AllowOurRulesToEncrypt", "events"),
            ("AllowOurAlarmsToEncrypt", "cloudwatch"),
        ):
            statement = _statements(stack, sid)
            assert statement["principals"] == [
                {"type": "Service", "identifiers": [f"{service}.amazonaws.com"]}
            ]
            assert statement["actions"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
            assert {c["variable"] for c in statement["condition"]} == {
                "aws:SourceArn",
                "aws:SourceAccount",
            }
        if region == "ap-northeast-1":
            (trail,) = stack.resources("aws_cloudtrail").values()
            assert trail["kms_key_id"] == key_arn
            encrypt = _statements(stack, "AllowCloudTrailToEncryptLogs")
            assert encrypt["actions"] == ["kms:GenerateDataKey*"]
            conditions = {c["variable"]: c for c in encrypt["condition"]}
            assert conditions["aws:SourceArn"]["values"][0].endswith(":trail/api-alerts-trail")
            assert conditions["kms:EncryptionContext:aws:cloudtrail:arn"]["test"] == "StringLike"


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
SOURCE_CONDITIONS = {"aws:SourceArn", "aws:SourceAccount"}


def policy_problems(statement: dict) -> list[str]:
    """What makes a statement more than least privilege, if anything."""
    problems = []
    sid = statement.get("sid", "?")
    conditions = {c["variable"] for c in statement.get("condition", [])}
    allows = statement.get("effect", "Allow") == "Allow"  # a broad Deny only restricts
    for action in statement.get("actions", []):
        if allows and (action == "*" or action.endswith(":*")) and sid != KEY_ADMIN_SID:
            problems.append(f"{sid}: wildcard action {action}")
    for principal in statement.get("principals", []):
        if allows and principal["type"] == "Service" and not conditions & SOURCE_CONDITIONS:
            problems.append(
                f"{sid}: service principal {principal['identifiers']} without a source condition"
            )
        if "*" in principal["identifiers"] and not conditions:
            problems.append(f"{sid}: '*' principal without a condition")
    return problems


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
            "principals": [{"type": "Service", "identifiers": ["events.amazonaws.com"]}],
            "actions": ["sns:Publish"],
        }
    ) == ["Loose: service principal ['events.amazonaws.com'] without a source condition"]
    assert policy_problems({"sid": "All", "actions": ["s3:*"]}) == ["All: wildcard action s3:*"]
    assert policy_problems(
        {
            "sid": "Anyone",
            "principals": [{"type": "AWS", "identifiers": ["*"]}],
            "actions": ["s3:GetObject"],
        }
    ) == ["Anyone: '*' principal without a condition"]


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
        assert stack.document["terraform"]["backend"] == {
            "s3": {
                "bucket": "acme-terraform-state",
                "key": f"security/api-alerts/{region}.tfstate",
                "region": "eu-west-1",
                "encrypt": True,
                "use_lockfile": True,
            }
        }
