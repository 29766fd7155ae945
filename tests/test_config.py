"""Configuration is validated once, before any construct: one clear line per bad input, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from config import MAX_NAME_PREFIX, ConfigError, load_config, parse_config
from tests.conftest import TEST_CONTEXT

PROJECT = Path(__file__).resolve().parent.parent


def test_cdktf_json_context_is_valid():
    settings = load_config(PROJECT / "cdktf.json", {})
    assert settings.home_region in settings.monitored_regions


def _ids(plan) -> set[str]:
    return {d.id for d in plan.detections}


REGIONAL = {"security_group_changes", "network_acl_changes", "cloudtrail_changes"}
GLOBAL = {"iam_policy_changes", "root_console_sign_in", "access_key_created"}
SELF_EVERYWHERE = {
    "monitor_rules_tampered",
    "monitor_topic_tampered",
    "monitor_queue_tampered",
    "monitor_alarms_tampered",
    "self_test",
}
SELF_HOME = {"monitor_trail_selectors_changed", "monitor_trail_bucket_tampered"}
SELF_GLOBAL = {"monitor_roles_tampered"}  # IAM events: us-east-1 only


def test_defaults_are_the_originals_two_regions():
    settings = parse_config({}, {})
    plans = {p.region: p for p in settings.region_plans()}
    assert list(plans) == ["ap-northeast-1", "us-east-1"]
    assert settings.detection_groups == ("original", "self")
    assert settings.delivery_mode == "per-region"
    assert _ids(plans["ap-northeast-1"]) == REGIONAL | SELF_EVERYWHERE | SELF_HOME
    assert plans["ap-northeast-1"].carries_trail and plans["ap-northeast-1"].carries_topic
    assert _ids(plans["us-east-1"]) == REGIONAL | GLOBAL | SELF_EVERYWHERE | SELF_GLOBAL
    assert not plans["us-east-1"].carries_trail and plans["us-east-1"].carries_topic
    assert settings.name_prefix == "api-alerts"
    assert settings.notification_emails == ()


def test_global_detections_live_in_us_east_1_monitored_or_not():
    settings = parse_config({"monitoredRegions": ["ap-northeast-1", "eu-west-1"]}, {})
    plans = {p.region: p for p in settings.region_plans()}
    assert list(plans) == ["ap-northeast-1", "eu-west-1", "us-east-1"]
    assert _ids(plans["eu-west-1"]) == REGIONAL | SELF_EVERYWHERE
    assert _ids(plans["us-east-1"]) == GLOBAL | SELF_EVERYWHERE | SELF_GLOBAL


def test_adding_a_region_changes_no_other_regions_plan():
    two = {p.region: p for p in parse_config({}, {}).region_plans()}
    three = {
        p.region: p
        for p in parse_config(
            {"monitoredRegions": ["ap-northeast-1", "us-east-1", "eu-west-1"]}, {}
        ).region_plans()
    }
    assert set(three) == set(two) | {"eu-west-1"}
    for region, plan in two.items():
        assert three[region] == plan


def test_sign_in_detections_go_where_sign_ins_are_recorded():
    settings = parse_config({"detectionGroups": ["cis"]}, {})
    plans = {p.region: p for p in settings.region_plans()}
    assert list(plans) == [
        "ap-northeast-1",
        "us-east-1",
        "ap-southeast-2",
        "eu-north-1",
        "us-east-2",
    ]
    for region in ("ap-southeast-2", "eu-north-1", "us-east-2"):
        assert _ids(plans[region]) == {
            "console_sign_in_without_mfa",
            "console_authentication_failures",
            "self_test",
        }
    assert "console_sign_in_without_mfa" in _ids(plans["ap-northeast-1"])
    assert "root_account_usage" in _ids(plans["us-east-1"])


def test_central_delivery_forwards_everything_but_home():
    settings = parse_config({"delivery": "central"}, {})
    plans = {p.region: p for p in settings.region_plans()}
    assert plans["ap-northeast-1"].forwards_to is None
    assert plans["us-east-1"].forwards_to == "ap-northeast-1"
    assert not plans["us-east-1"].carries_topic


def test_home_in_the_global_region_is_one_stack_carrying_both():
    settings = parse_config({"homeRegion": "us-east-1"}, {})
    (plan,) = settings.region_plans()
    assert _ids(plan) == REGIONAL | GLOBAL | SELF_EVERYWHERE | SELF_HOME | SELF_GLOBAL
    assert plan.carries_trail


def test_global_region_comes_from_the_partition():
    assert parse_config({"homeRegion": "cn-northwest-1"}, {}).global_region == "cn-north-1"
    assert parse_config({"homeRegion": "us-gov-east-1"}, {}).global_region == "us-gov-west-1"


def test_shell_overrides_context():
    settings = parse_config(
        TEST_CONTEXT,
        {
            "ALERTS_NOTIFICATION_EMAILS": "a@example.com, b@example.org",
            "ALERTS_NAME_PREFIX": "secmon",
            "ALERTS_TAGS": '{"CostCenter": "42"}',
            "ALERTS_HOME_REGION": "eu-west-1",
            "ALERTS_MONITORED_REGIONS": "eu-west-1",
        },
    )
    assert settings.notification_emails == ("a@example.com", "b@example.org")
    assert settings.name_prefix == "secmon"
    assert settings.default_tags == {"Project": "secmon", "CostCenter": "42"}
    assert settings.monitored_regions == ("eu-west-1",)


def test_empty_shell_value_clears_the_email_list():
    settings = parse_config(TEST_CONTEXT, {"ALERTS_NOTIFICATION_EMAILS": ""})
    assert settings.notification_emails == ()


def test_subscriptions_of_every_protocol():
    settings = parse_config(
        {
            "notificationEmails": ["soc@example.com"],
            "subscriptions": [
                {"protocol": "email-json", "endpoint": "siem@example.com"},
                {"protocol": "https", "endpoint": "https://hooks.example.com/alerts"},
                {"protocol": "sqs", "endpoint": "arn:aws:sqs:eu-west-1:111122223333:soc"},
                {
                    "protocol": "lambda",
                    "endpoint": "arn:aws:lambda:us-east-1:111122223333:function:pager",
                },
            ],
        },
        {},
    )
    assert [s.protocol for s in settings.subscriptions] == [
        "email",
        "email-json",
        "https",
        "sqs",
        "lambda",
    ]


def test_hardening_defaults_and_options():
    settings = parse_config({}, {})
    assert (settings.kms_key, settings.log_archive_after_days) == (False, 90)
    assert settings.object_lock is None and settings.state_backend is None
    settings = parse_config(
        {},
        {
            "ALERTS_KMS_KEY": "true",
            "ALERTS_LOG_ARCHIVE_AFTER_DAYS": "30",
            "ALERTS_OBJECT_LOCK": '{"mode": "GOVERNANCE", "days": 7}',
            "ALERTS_STATE_BACKEND": '{"type": "s3", "bucket": "acme-tf-state", "region": "eu-west-1", "lockfile": false}',
        },
    )
    assert settings.kms_key and settings.log_archive_after_days == 30
    assert (settings.object_lock.mode, settings.object_lock.days) == ("GOVERNANCE", 7)
    assert settings.state_backend.key_prefix == "api-call-alerts"
    assert not settings.state_backend.lockfile


def test_emails_are_normalized():
    settings = parse_config({"notificationEmails": ["SecOps@Example.COM"]}, {})
    assert settings.notification_emails == ("SecOps@example.com",)


BAD_INPUTS = [
    # (context, environment, expected message)
    (
        {"notificationEmails": ["secops@example.com", "bob@"]},
        {},
        'notificationEmails[1] = "bob@": not a valid e-mail address',
    ),
    (
        {"notificationEmails": ["bob example.com"]},
        {},
        'notificationEmails[0] = "bob example.com": not a valid e-mail address',
    ),
    (
        {},
        {"ALERTS_NOTIFICATION_EMAILS": "a@example.com,A@example.com"},
        'ALERTS_NOTIFICATION_EMAILS[1] = "A@example.com": duplicate e-mail address',
    ),
    (
        {"notificationEmails": "secops@example.com"},
        {},
        'notificationEmails = "secops@example.com": must be a list of strings',
    ),
    (
        {"homeRegion": "ap-northeast-9"},
        {},
        'homeRegion = "ap-northeast-9": not an AWS region known to botocore',
    ),
    (
        {},
        {"ALERTS_HOME_REGION": "tokyo"},
        'ALERTS_HOME_REGION = "tokyo": not an AWS region known to botocore',
    ),
    (
        {"homeRegion": "eusc-de-east-1"},
        {},
        "homeRegion = \"eusc-de-east-1\": in partition 'aws-eusc', for which botocore",
    ),
    (
        {"homeRegion": "eu-isoe-west-1"},
        {},
        "homeRegion = \"eu-isoe-west-1\": in partition 'aws-iso-e', for which botocore",
    ),
    ({"homeRegion": ""}, {}, 'homeRegion = "": must not be empty'),
    ({"homeRegion": 1}, {}, "homeRegion = 1: must be a string"),
    (
        {"monitoredRegions": ["ap-northeast-1", "eu-west-1", "ap-northeast-1"]},
        {},
        'monitoredRegions[2] = "ap-northeast-1": duplicate region',
    ),
    (
        {"monitoredRegions": ["ap-northeast-1", "eu-west-9"]},
        {},
        'monitoredRegions[1] = "eu-west-9": not an AWS region known to botocore',
    ),
    ({"monitoredRegions": []}, {}, "monitoredRegions = []: must name at least one region"),
    (
        {"monitoredRegions": ["eu-west-1"]},
        {},
        "monitoredRegions = [\"eu-west-1\"]: must include homeRegion 'ap-northeast-1'",
    ),
    (
        {"monitoredRegions": ["ap-northeast-1", "cn-north-1"]},
        {},
        "monitoredRegions[1] = \"cn-north-1\": in partition 'aws-cn'",
    ),
    ({"namePrefix": ""}, {}, 'namePrefix = "": must not be empty'),
    ({}, {"ALERTS_NAME_PREFIX": ""}, 'ALERTS_NAME_PREFIX = "": must not be empty'),
    ({"namePrefix": "API_Alerts"}, {}, 'namePrefix = "API_Alerts": lower-case letters'),
    ({"namePrefix": "alerts-"}, {}, 'namePrefix = "alerts-": lower-case letters'),
    ({"namePrefix": "xn--alerts"}, {}, 'namePrefix = "xn--alerts": lower-case letters'),
    ({"namePrefix": "sthree-alerts"}, {}, 'namePrefix = "sthree-alerts": S3 reserves'),
    ({"namePrefix": "sthree"}, {}, 'namePrefix = "sthree": S3 reserves'),  # "sthree-trail-..."
    ({"namePrefix": "amzn-s3-demo"}, {}, 'namePrefix = "amzn-s3-demo": S3 reserves'),
    (
        {"namePrefix": "a" * (MAX_NAME_PREFIX + 1)},
        {},
        f"at most {MAX_NAME_PREFIX} characters",
    ),
    ({"tags": ["Owner"]}, {}, 'tags = ["Owner"]: must be an object'),
    ({}, {"ALERTS_TAGS": "Owner=secops"}, 'ALERTS_TAGS = "Owner=secops": not valid JSON'),
    ({"tags": {"aws:owner": "x"}}, {}, "tags.aws:owner = \"x\": tag names starting with 'aws:'"),
    ({"tags": {"Project": "x"}}, {}, 'tags.Project = "x": set from namePrefix'),
    ({"tags": {"Owner": 7}}, {}, "tags.Owner = 7: tag values are strings"),
    ({"tags": {"": "x"}}, {}, 'tags. = "x": tag names are 1-128 characters'),
    ({"notificationEmail": ["a@example.com"]}, {}, "notificationEmail = "),
    ({"detectionGroups": []}, {}, "detectionGroups = []: select at least one of"),
    (
        {"detectionGroups": ["original", "sox"]},
        {},
        'detectionGroups[1] = "sox": unknown detection group',
    ),
    (
        {},
        {"ALERTS_DETECTION_GROUPS": "cis,cis"},
        'ALERTS_DETECTION_GROUPS[1] = "cis": duplicate detection group',
    ),
    ({"delivery": "centralized"}, {}, 'delivery = "centralized": expected one of'),
    ({"kmsKey": "yes"}, {}, 'kmsKey = "yes": must be true or false'),
    ({}, {"ALERTS_KMS_KEY": "maybe"}, 'ALERTS_KMS_KEY = "maybe": must be true or false'),
    ({"logArchiveAfterDays": 0}, {}, "logArchiveAfterDays = 0: must be a whole number of days"),
    ({"logArchiveAfterDays": 30.5}, {}, "logArchiveAfterDays = 30.5: must be a whole number"),
    ({"objectLock": {"mode": "WORM", "days": 1}}, {}, 'objectLock.mode = "WORM": expected'),
    ({"objectLock": {"mode": "COMPLIANCE"}}, {}, "objectLock = "),
    ({"objectLock": {"mode": "COMPLIANCE", "days": -1}}, {}, "objectLock.days = -1: must be"),
    (
        {"stateBackend": {"type": "gcs", "bucket": "b", "region": "us-east-1"}},
        {},
        'stateBackend.type = "gcs"',
    ),
    ({"stateBackend": {"type": "s3", "bucket": "b"}}, {}, "stateBackend = "),
    (
        {"stateBackend": {"type": "s3", "bucket": "acme-tf-state", "region": "moon-1"}},
        {},
        'stateBackend.region = "moon-1": not an AWS region',
    ),
    ({"subscriptions": {"protocol": "email"}}, {}, "subscriptions = "),
    (
        {"subscriptions": [{"protocol": "sms", "endpoint": "+15555550100"}]},
        {},
        'subscriptions[0].protocol = "sms": expected one of',
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "http://hooks.example.com/x"}]},
        {},
        'subscriptions[0].endpoint = "http://hooks.example.com/x": must be an https:// URL',
    ),
    (
        {"subscriptions": [{"protocol": "email-json", "endpoint": "soc@"}]},
        {},
        'subscriptions[0].endpoint = "soc@": not a valid e-mail address',
    ),
    (
        {
            "subscriptions": [
                {"protocol": "sqs", "endpoint": "arn:aws:sns:us-east-1:111122223333:x"}
            ]
        },
        {},
        "must be the ARN of an SQS queue",
    ),
    (
        {
            "subscriptions": [
                {"protocol": "lambda", "endpoint": "arn:aws:lambda:us-east-1:1:layer:x"}
            ]
        },
        {},
        "must be the ARN of a Lambda function",
    ),
    (
        {"subscriptions": [{"protocol": "sqs", "endpoint": "soc-inbox"}]},
        {},
        'subscriptions[0].endpoint = "soc-inbox": must be the ARN of an sqs resource',
    ),
    (
        {
            "subscriptions": [
                {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:111122223333:alerts.fifo"}
            ]
        },
        {},
        "a FIFO queue: the alert topics are standard SNS topics",
    ),
    (
        {
            "subscriptions": [
                {"protocol": "sqs", "endpoint": "arn:aws-cn:sqs:cn-north-1:111122223333:q"}
            ]
        },
        {},
        "in partition 'aws-cn', not 'aws'",
    ),
    (
        {"subscriptions": [{"protocol": "sqs", "endpoint": "arn:aws:sqs:mars-1:111122223333:q"}]},
        {},
        "not an AWS region known to botocore",
    ),
    (
        {
            "notificationEmails": ["soc@example.com"],
            "subscriptions": [{"protocol": "email", "endpoint": "soc@example.com"}],
        },
        {},
        "already in notificationEmails",
    ),
    (
        {},
        {"ALERTS_SUBSCRIPTIONS": '[{"protocol": "https", "endpoint": "x", "extra": 1}]'},
        'must be {"protocol": ..., "endpoint": ...}',
    ),
    ({}, {"ALERTS_DELIVERY": ""}, 'ALERTS_DELIVERY = "": must not be empty'),
    ({"monitoredRegion": []}, {}, "unknown key; did you mean 'monitoredRegions'?"),
    (
        {},
        {"ALERTS_NOTIFICATION_EMAIL": "a@example.com"},
        "unknown variable; did you mean 'ALERTS_NOTIFICATION_EMAILS'?",
    ),
    ({"tags": {"Own#er": "x"}}, {}, "tag names may hold letters, digits, spaces"),
    ({"tags": {"Owner": "a;b"}}, {}, "tag values may hold letters, digits, spaces"),
    (
        {"stateBackend": {"type": "s3", "bucket": "Bad_Bucket", "region": "eu-west-1"}},
        {},
        "not a valid S3 bucket name: 3-63 lower-case letters",
    ),
    (
        {"stateBackend": {"type": "s3", "bucket": "a..b", "region": "eu-west-1"}},
        {},
        "no two adjacent dots",
    ),
    (
        {"stateBackend": {"type": "s3", "bucket": "10.0.0.1", "region": "eu-west-1"}},
        {},
        "not formatted as an IP address",
    ),
    (
        {"stateBackend": {"type": "s3", "bucket": "logs-s3alias", "region": "eu-west-1"}},
        {},
        "S3 reserves this prefix or suffix",
    ),
    ({"preventDestroy": "no"}, {}, "must be true or false"),
    # AWS's limits (models.limits) and what Terraform and AWS refuse at plan or apply.
    (
        {"tags": {f"Tag{i}": "x" for i in range(50)}},
        {},
        "50 tags: every resource also carries Project, and AWS takes 50 per resource",
    ),
    ({"tags": {"Owner": ""}}, {}, 'tags.Owner = "": tag values are strings of 1 to 256'),
    (
        {"tags": {"owner": "a", "Owner": "b"}},
        {},
        "tags.Owner = \"b\": IAM roles take tag names case-insensitively: 'owner' is already",
    ),
    ({"tags": {"project": "x"}}, {}, "IAM roles take tag names case-insensitively"),
    (
        {
            "stateBackend": {
                "type": "s3",
                "bucket": "acme-tf",
                "region": "eu-west-1",
                "keyPrefix": "/",
            }
        },
        {},
        'stateBackend.keyPrefix = "/": names no folder: the S3 backend refuses such a key',
    ),
    (
        {
            "stateBackend": {
                "type": "s3",
                "bucket": "acme-tf",
                "region": "eu-west-1",
                "keyPrefix": "a//b",
            }
        },
        {},
        'stateBackend.keyPrefix = "a//b": the S3 backend refuses a key holding "//"',
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://hooks.exa mple.com/x"}]},
        {},
        "a URL holds no spaces",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://hooks.example.com\n/x"}]},
        {},
        "must not hold control characters",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://my_hooks.example.com/x"}]},
        {},
        "'my_hooks.example.com' is not a public host name",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://10.0.0.7/alerts"}]},
        {},
        "10.0.0.7 is not a public address: SNS delivers to public endpoints only",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://localhost:8443/x"}]},
        {},
        "'localhost' is not a public host name",
    ),
    (
        {
            "homeRegion": "cn-north-1",
            "chat": [{"type": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCDE"}],
        },
        {},
        "has no API in partition 'aws-cn'",
    ),
    (
        {
            "homeRegion": "us-gov-west-1",
            "chat": [{"type": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCDE"}],
        },
        {},
        "has no API in partition 'aws-us-gov'",
    ),
    ({"namePrefix": "a" * 10_000}, {}, "aaa... (10,002 characters): at most"),
    ({"delivery": "per-\nregion"}, {}, "must not hold control characters"),
    (
        {"namePrefix": "a" * 26},
        {},
        "at most 25 characters with these detections: the rule aaaaaaaaaaaaaaaaaaaaaaaaaa-"
        "monitor-trail-selectors-changed-failed would be 65 characters, and EventBridge takes 64",
    ),
    (
        {"subscriptions": [{"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:12:q"}]},
        {},
        "must be the ARN of an SQS queue: arn:<partition>:sqs:<region>:<12-digit account>",
    ),
    (
        {
            "subscriptions": [
                {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:111122223333:my q"}
            ]
        },
        {},
        "must be the ARN of an SQS queue",
    ),
    (
        {
            "subscriptions": [
                {
                    "protocol": "lambda",
                    "endpoint": "arn:aws:lambda:us-east-1:111122223333:function:",
                }
            ]
        },
        {},
        "must be the ARN of a Lambda function",
    ),
    (
        {
            "subscriptions": [
                {"protocol": "sqs", "endpoint": "arn:aws:sqs:cn-north-1:111122223333:q"}
            ]
        },
        {},
        "cn-north-1 is in partition 'aws-cn', not 'aws'",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://hooks.example.com/a\\b"}]},
        {},
        "a URL holds '\\\\' only percent-encoded (RFC 3986",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://hooks.example.com/%zz"}]},
        {},
        "a % in a URL starts a %XX escape",
    ),
    (
        {"subscriptions": [{"protocol": "https", "endpoint": "https://example.com:0/"}]},
        {},
        "port 0 is not a port",
    ),
    ({}, {"ALERTS_MONITORED_REGIONS": "eu-west-1 us-east-1"}, "a comma-separated list: a,b,c"),
    (
        {
            "suppressions": [
                {
                    "detections": ["route_table_changes"],
                    "principals": ["arn:aws:iam::111122223333:role/ci"],
                    "reason": "CI",
                    "expires": (date.today() + timedelta(days=30)).isoformat(),
                }
            ]
        },
        {},
        "not among the selected detections: add 'cis' to detectionGroups",
    ),
    (
        {
            "organization": {
                "securityAccount": "111122223333",
                "organizationId": "o-a1b2c3d4e5",
                "organizationalUnits": ["ou-ab12-11111111"],
                "management": {"roleArn": "arn:aws:iam::999988887777:role/deployer${x}"},
            }
        },
        {},
        "the name of 1 to 64 letters, digits and +=,.@_-",
    ),
    (
        {"athenaTable": "yes"},
        {},
        'athenaTable = "yes": must be true, false or {"database": "<Glue database>"}',
    ),
    (
        {"athenaTable": {"database": "security", "table": "ct"}},
        {},
        "athenaTable = {",
    ),
    (
        {"athenaTable": {"database": "Security-Logs"}},
        {},
        'athenaTable.database = "Security-Logs": lower-case letters, digits and underscores, '
        "at most 255",
    ),
    ({"athenaTable": {"database": "a" * 256}}, {}, "at most 255"),
    ({}, {"ALERTS_ATHENA_TABLE": "yes"}, 'ALERTS_ATHENA_TABLE = "yes": not valid JSON'),
]


def test_athena_table_names_its_database_after_the_name_prefix_or_as_told():
    """athenaTable (README, Configuration): off by default; true gives namePrefix with its
    hyphens as underscores, the characters Athena's names take unquoted."""
    assert parse_config({}, {}).athena_database is None
    assert parse_config({"athenaTable": False}, {}).athena_database is None
    assert parse_config({"athenaTable": True}, {}).athena_database == "api_alerts"
    named = {"athenaTable": True, "namePrefix": "sec-ops-2"}
    assert parse_config(named, {}).athena_database == "sec_ops_2"
    told = parse_config({"athenaTable": {"database": "security_logs"}}, {})
    assert told.athena_database == "security_logs"
    assert parse_config({}, {"ALERTS_ATHENA_TABLE": "true"}).athena_database == "api_alerts"
    shell = {"ALERTS_ATHENA_TABLE": '{"database": "trail"}'}
    assert parse_config({"athenaTable": True}, shell).athena_database == "trail"


@pytest.mark.parametrize(("context", "environ", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_error(context, environ, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(context, environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_key_names_the_known_ones():
    with pytest.raises(
        ConfigError, match=r"unknown key \(expected one of \['alertEngines', 'athenaTable', 'chat'"
    ):
        parse_config({"alerting": []}, {})


def _run_main(
    tmp_path: Path, context: dict, document: dict | None = None, **env: str
) -> subprocess.CompletedProcess:
    """Run main.py as cdktf would, in a folder whose cdktf.json has this context (or is
    ``document``)."""
    document = document or {"language": "python", "context": context}
    (tmp_path / "cdktf.json").write_text(json.dumps(document))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTS_", "CDKTF_"))}
    return subprocess.run(
        [sys.executable, str(PROJECT / "main.py")],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("context", "env", "message"),
    [
        ({"notificationEmails": ["bob@"]}, {}, 'notificationEmails[0] = "bob@"'),
        ({}, {"ALERTS_HOME_REGION": "ap-northeast-9"}, 'ALERTS_HOME_REGION = "ap-northeast-9"'),
        ({"homeRegion": "eusc-de-east-1"}, {}, "holds no IAM endpoint"),
        (
            {"monitoredRegions": ["ap-northeast-1", "ap-northeast-1"]},
            {},
            "duplicate region",
        ),
        ({"namePrefix": ""}, {}, 'namePrefix = "": must not be empty'),
        ({}, {"ALERTS_TAGS": "{"}, 'ALERTS_TAGS = "{": not valid JSON'),
        (
            {},
            {"ALERTS_NOTIFICATION_EMAIL": "secops@example.com"},
            'ALERTS_NOTIFICATION_EMAIL = "secops@example.com": unknown variable; '
            "did you mean 'ALERTS_NOTIFICATION_EMAILS'?",
        ),
        ({"tags": {"Own#er": "secops"}}, {}, "tag names may hold letters"),
        (
            {"stateBackend": {"type": "s3", "bucket": "Bad_Bucket", "region": "eu-west-1"}},
            {},
            'stateBackend.bucket = "Bad_Bucket": not a valid S3 bucket name',
        ),
    ],
    ids=[
        "email",
        "region",
        "partition-without-iam",
        "duplicate-region",
        "empty-prefix",
        "malformed-tags",
        "misspelt-variable",
        "tag-character",
        "bucket-name",
    ],
)
def test_main_exits_nonzero_with_one_line_and_writes_nothing(tmp_path, context, env, message):
    result = _run_main(tmp_path, context, **env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("configuration error: ")
    assert message in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cdktf.out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.json"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"language": "python", "context": {}, "monitoredRegions": ["ap-northeast-1"]},
            'monitoredRegions = ["ap-northeast-1"]: belongs inside "context" as '
            "'monitoredRegions'; at the top level it is ignored",
        ),
        (
            {"language": "python", "Context": {"monitoredRegions": ["ap-northeast-1"]}},
            'Context = {"monitoredRegions": ["ap-northeast-1"]}: settings go in "context", '
            "lower case; this is ignored",
        ),
        (
            {"language": "python", "notificationEmail": ["secops@example.com"]},
            'notificationEmail = ["secops@example.com"]: belongs inside "context" as '
            "'notificationEmails'; at the top level it is ignored",
        ),
    ],
    ids=["top-level-key", "wrong-case-context", "top-level-near-name"],
)
def test_misplaced_settings_are_one_error_and_nothing_is_written(tmp_path, document, message):
    result = _run_main(tmp_path, {}, document=document)
    assert result.returncode == 2
    assert result.stderr == f"configuration error: {message}\n"
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.json"]


def test_main_without_node_says_so_in_one_line(tmp_path):
    result = _run_main(tmp_path, {}, PATH=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "error: Node.js is not on PATH: cdktf runs on it; install Node.js 22 or 24\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.json"]


def test_cdktf_json_keys_of_cdktf_itself_are_left_alone():
    from config import CDKTF_KEYS

    project = json.loads((PROJECT / "cdktf.json").read_text())
    assert set(project) - {"context"} <= CDKTF_KEYS
