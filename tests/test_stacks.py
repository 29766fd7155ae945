"""The synthesized stacks as Terraform reads them: what each region carries, bound to which provider."""

from __future__ import annotations

import filecmp
import json

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

HOME, GLOBAL = "ap-northeast-1", "us-east-1"


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_one_stack_per_region(stacks):
    assert sorted(stacks) == [HOME, GLOBAL]


@pytest.mark.parametrize("region", [HOME, GLOBAL])
def test_stack_snapshot(stacks, region, snapshot_json):
    # Reviewed like code: a change here is a change to what `terraform plan` will show.
    assert stacks[region].document == snapshot_json


@pytest.mark.parametrize("region", [HOME, GLOBAL])
def test_every_block_uses_the_regions_aliased_provider(stacks, region):
    stack = stacks[region]
    assert stack.providers() == {
        f"aws.{region}": {
            "alias": region,
            "region": region,
            "default_tags": [{"tags": {"Project": "api-alerts", "Owner": "secops"}}],
        }
    }
    for kind in ("resource", "data"):
        for block_type, blocks in stack.document[kind].items():
            for name, block in blocks.items():
                assert block.get("provider") == f"aws.{region}", f"{kind} {block_type}.{name}"


@pytest.mark.parametrize("region", [HOME, GLOBAL])
def test_state_path_is_relative_and_outside_the_output(stacks, region):
    backend = stacks[region].document["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../terraform.{region}.tfstate"}}


def _resource_types(stack) -> dict[str, int]:
    return {t: len(blocks) for t, blocks in stack.document["resource"].items()}


# The alert topic and the health topic, each with its policy and its e-mail subscriptions.
TOPIC = {"aws_sns_topic": 2, "aws_sns_topic_policy": 2, "aws_sns_topic_subscription": 2}
REGIONAL = {"security_group_changes", "network_acl_changes", "cloudtrail_changes"}
GLOBAL_ONLY = {"iam_policy_changes", "root_console_sign_in", "access_key_created"}
SELF_EVERYWHERE = {
    "monitor_rules_tampered",
    "monitor_topic_tampered",
    "monitor_queue_tampered",
    "monitor_alarms_tampered",
    "self_test",
}
SELF_HOME = {"monitor_trail_selectors_changed", "monitor_trail_bucket_tampered"}
# IAM events reach EventBridge in us-east-1 only: our roles' watch lives there.
SELF_GLOBAL = {"monitor_roles_tampered"}
# Each detection that can match a succeeded or a refused call has one rule per outcome.
ONE_OUTCOME = {"root_console_sign_in", "self_test"}
TO_HEALTH_TOPIC = {"monitor_topic_tampered", "monitor_alarms_tampered"}


def _rules(detections: set[str]) -> set[str]:
    return detections | {f"{d}_failed" for d in detections - ONE_OUTCOME}


def _targets(detections: set[str]) -> int:
    return sum(
        (1 if d in ONE_OUTCOME else 2) * (2 if d in TO_HEALTH_TOPIC else 1) for d in detections
    )


def _delivery(rules: int) -> dict[str, int]:
    """The dead-letter queue, its alarm, and one lost-alerts alarm per 9 rules."""
    return {
        "aws_sqs_queue": 1,
        "aws_sqs_queue_policy": 1,
        "aws_cloudwatch_metric_alarm": 1 + -(-rules // 9),
    }


def test_home_stack_has_trail_bucket_topic_and_its_rules(stacks):
    home = stacks[HOME]
    detections = REGIONAL | SELF_EVERYWHERE | SELF_HOME
    rules = _rules(detections)
    assert _resource_types(home) == {
        "aws_cloudtrail": 1,
        # The trail bucket and its access-log bucket, each with all of these:
        "aws_s3_bucket": 2,
        "aws_s3_bucket_public_access_block": 2,
        "aws_s3_bucket_ownership_controls": 2,
        "aws_s3_bucket_server_side_encryption_configuration": 2,
        "aws_s3_bucket_versioning": 2,
        "aws_s3_bucket_lifecycle_configuration": 2,
        "aws_s3_bucket_policy": 2,
        "aws_s3_bucket_logging": 1,
        **TOPIC,
        **_delivery(len(rules)),
        "aws_cloudwatch_event_rule": len(rules),
        "aws_cloudwatch_event_target": _targets(detections),
    }
    assert set(home.resources("aws_cloudwatch_event_rule")) == rules
    assert set(home.document["output"]) == {
        "alert_topic_arn",
        "health_topic_arn",
        "trail_arn",
        "trail_bucket_name",
        "undelivered_alerts_queue_url",
    }


def test_global_stack_has_topic_and_regional_global_and_self_rules(stacks):
    us = stacks[GLOBAL]
    detections = REGIONAL | GLOBAL_ONLY | SELF_EVERYWHERE | SELF_GLOBAL
    rules = _rules(detections)
    assert _resource_types(us) == {
        **TOPIC,
        **_delivery(len(rules)),
        "aws_cloudwatch_event_rule": len(rules),
        "aws_cloudwatch_event_target": _targets(detections),
    }
    assert set(us.resources("aws_cloudwatch_event_rule")) == rules
    assert set(us.document["output"]) == {
        "alert_topic_arn",
        "health_topic_arn",
        "undelivered_alerts_queue_url",
    }


def test_self_rules_name_this_deployment(stacks):
    pattern = json.loads(
        stacks[HOME].resources("aws_cloudwatch_event_rule")["monitor_trail_bucket_tampered"][
            "event_pattern"
        ]
    )
    assert pattern["detail"]["requestParameters"] == {
        "bucketName": [{"prefix": "api-alerts-trail-"}]
    }


def test_three_regions_a_security_group_change_in_eu_west_1_fires_there(tmp_path):
    from config import parse_config
    from constructs_lib.detections.rule_files import rule_events
    from tests.cloudtrail import envelope
    from tests.conftest import TEST_CONTEXT, synthesize_to
    from tests.judge import actual_firings

    regions = ["ap-northeast-1", "eu-west-1", "us-east-1"]
    settings = parse_config({**TEST_CONTEXT, "monitoredRegions": regions}, {})
    three = synthesize_to(settings, tmp_path / "cdktf.out")
    assert sorted(three) == sorted(regions)
    (record, *_) = rule_events("security_group_changes")["fires"]
    event = envelope({**record, "awsRegion": "eu-west-1"})
    assert actual_firings(event, three) == {("security_group_changes", "eu-west-1")}
    rule = three["eu-west-1"].resources("aws_cloudwatch_event_rule")["security_group_changes"]
    assert three["eu-west-1"].region_of(rule) == "eu-west-1"


@pytest.mark.parametrize("region", [HOME, GLOBAL])
def test_every_rule_targets_its_regions_alert_topic(stacks, region):
    stack = stacks[region]
    topics = {t["name"]: name for name, t in stack.resources("aws_sns_topic").items()}
    alert, health = (
        f"${{aws_sns_topic.{topics[n]}.arn}}" for n in ("api-alerts", "api-alerts-health")
    )
    for name in stack.resources("aws_cloudwatch_event_rule"):
        arns = sorted(t["arn"] for t in stack.targets_of(name))
        wanted = [alert, health] if name.removesuffix("_failed") in TO_HEALTH_TOPIC else [alert]
        assert arns == sorted(wanted), name


def test_subscriptions_are_the_configured_addresses(stacks):  # both topics of each region
    for stack in stacks.values():
        subscriptions = stack.resources("aws_sns_topic_subscription").values()
        assert len(subscriptions) == 2
        for subscription in subscriptions:
            assert subscription["protocol"] == "email"
            assert subscription["for_each"] == (
                '${toset(["secops@example.com", "oncall@example.com"])}'
            )


def test_no_absolute_paths_in_output(synth_dir):
    for path in synth_dir.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert str(synth_dir) not in text and "/work/" not in text, path


def test_synthesis_is_deterministic(settings, synth_dir, tmp_path):
    from main import synthesize

    again = tmp_path / "cdktf.out"
    synthesize(settings, again)
    comparison = filecmp.dircmp(synth_dir, again)
    files = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(synth_dir) for p in synth_dir.rglob("*") if p.is_file())
    for relative in files:
        assert (synth_dir / relative).read_bytes() == (again / relative).read_bytes(), relative
    assert not comparison.diff_files


def test_synthesis_keeps_what_terraform_leaves_in_a_stack_folder(settings, tmp_path):
    import main

    outdir = tmp_path / "cdktf.out"
    main.synthesize(settings, outdir)
    folder = outdir / "stacks" / HOME
    left = {
        ".terraform/providers/registry.terraform.io/hashicorp/aws/6.25.0/provider": b"binary",
        ".terraform/terraform.tfstate": b"{}",
        ".terraform.lock.hcl": b'provider "registry.terraform.io/hashicorp/aws" {}',
        "plan.tfplan": b"PK saved plan",
    }
    for name, content in left.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    (folder / "cdk.tf.json").write_text("{}")  # generated: replaced
    main.synthesize(settings, outdir)
    for name, content in left.items():
        assert (folder / name).read_bytes() == content, name
    assert json.loads((folder / "cdk.tf.json").read_text())["resource"]


def test_synthesis_drops_a_removed_region_and_a_failed_one_changes_nothing(
    settings, tmp_path, monkeypatch
):
    import main
    import stacks as stacks_module

    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "eu-west-9" / ".terraform").mkdir(parents=True)
    main.synthesize(settings, outdir)
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == [HOME, GLOBAL]

    def broken(*args, **kwargs):
        raise RuntimeError("synthesis failed half-way")

    monkeypatch.setattr(stacks_module, "build_app", broken)
    before = {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError):
        main.synthesize(settings, outdir)
    assert {p: p.read_bytes() for p in outdir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]


def test_under_the_cdktf_cli_a_removed_regions_folder_is_left_to_the_cli(settings, tmp_path):
    """cdktf-cli lists cdktf.out/stacks before running the app and then removes the folders the
    app no longer names: had the app removed one first, every cdktf command would stop once on
    ENOENT after a region was dropped (@cdktf/cli-core synth-stack.js)."""
    import main

    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "eu-west-9" / ".terraform").mkdir(parents=True)
    main.synthesize(settings, outdir, under_cli=True)
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == sorted(
        [HOME, GLOBAL, "eu-west-9"]
    )
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert "eu-west-9" not in manifest["stacks"]


def test_no_email_warns_once_and_still_synthesizes(tmp_path, monkeypatch, capsys):
    import main

    (tmp_path / "cdktf.json").write_text(json.dumps({"context": {"notificationEmails": []}}))
    monkeypatch.chdir(tmp_path)
    assert main.main({}) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "alerts will reach nobody" in err
    assert (tmp_path / "cdktf.out" / "stacks" / HOME / "cdk.tf.json").exists()


def test_every_target_retries_then_dead_letters_in_its_region(configured_stacks):
    """Every target of every stack, topic or home bus: a retry policy and this region's DLQ."""
    _, stacks = configured_stacks
    walked = 0
    for stack in stacks.values():
        (queue,) = stack.resources("aws_sqs_queue")
        for name, target in stack.resources("aws_cloudwatch_event_target").items():
            assert target["retry_policy"] == {
                "maximum_event_age_in_seconds": 86400,
                "maximum_retry_attempts": 185,
            }, name
            assert target["dead_letter_config"] == {"arn": f"${{aws_sqs_queue.{queue}.arn}}"}, name
            walked += 1
    assert walked > 40


def test_every_stack_states_the_terraform_it_needs(configured_stacks):
    _, stacks = configured_stacks
    for stack in stacks.values():
        assert stack.document["terraform"]["required_version"] == ">= 1.2.0"


def test_every_alarm_rule_in_a_stack_is_watched(stacks):
    for stack in stacks.values():
        watched = {
            query["metric"]["dimensions"]["RuleName"]
            for alarm in stack.resources("aws_cloudwatch_metric_alarm").values()
            for query in alarm.get("metric_query", [])
            if "metric" in query
        }
        assert watched == {
            f"${{aws_cloudwatch_event_rule.{name}.name}}"
            for name in stack.resources("aws_cloudwatch_event_rule")
        }
