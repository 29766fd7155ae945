"""cdktf.schema.json, which editors check cdktf.json with, says what config.py accepts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema  # in the lock through checkov
import pytest

from config import ConfigError, parse_config
from scripts.config_reference import SCHEMA, rendered
from tests.conftest import CONFIGS, TEST_CONTEXT

# The keys of this session's issues, as a user writes them.
ENGINES_AND_SUPPRESSIONS = {
    **TEST_CONTEXT,
    "alertEngines": ["eventbridge", "metric-filters"],
    "logRetentionDays": 400,
    "knownNoise": ["serviceLinkedSecurityGroups"],
    "suppressions": [
        {
            "detections": ["access_key_created"],
            "principals": ["arn:aws:iam::*:user/ci-*", "arn:aws:iam::*:role/deployer"],
            "sourceIps": ["10.1.0.0/16"],
            "reason": "CI creates its deploy keys",
            "expires": (date.today() + timedelta(days=30)).isoformat(),
        }
    ],
}

PROJECT = Path(__file__).resolve().parent.parent


def _valid(context: dict) -> bool:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    return validator.is_valid({"language": "python", "context": context})


def test_schema_is_current_and_named_by_cdktf_json():
    assert SCHEMA.read_text() == rendered(), "cdktf.schema.json is stale: run `make docs`"
    assert json.loads((PROJECT / "cdktf.json").read_text())["$schema"] == "./cdktf.schema.json"


def test_schema_accepts_what_config_accepts():
    project = json.loads((PROJECT / "cdktf.json").read_text())
    for context in [project["context"], TEST_CONTEXT, *CONFIGS.values(), ENGINES_AND_SUPPRESSIONS]:
        parse_config(context, {})
        assert _valid(context), context


@pytest.mark.parametrize(
    "context",
    [
        {"homeRegion": "ap-northeast-9"},
        {"monitoredRegions": []},
        {"monitoredRegions": ["us-east-1", "us-east-1"]},
        {"namePrefix": "API_alerts"},
        {"namePrefix": "a-name-prefix-that-is-far-too-long"},
        {"detectionGroups": ["sox"]},
        {"delivery": "everywhere"},
        {"kmsKey": "yes"},
        {"logArchiveAfterDays": 0},
        {"objectLock": {"mode": "WORM", "days": 1}},
        {"stateBackend": {"type": "s3", "bucket": "Bad_Bucket", "region": "eu-west-1"}},
        {"subscriptions": [{"protocol": "sms", "endpoint": "+81"}]},
        {"tags": {"Project": "x"}},
        {"preventDestroy": "no"},
        {"notificationEmail": ["secops@example.com"]},
        {"alertEngines": ["metric-filter"]},
        {"logRetentionDays": 100},
        {"knownNoise": ["everything"]},
        {"athenaTable": "yes"},
        {"athenaTable": {"database": "Security-Logs"}},
        {"athenaTable": {"database": "a" * 256}},
        {"athenaTable": {"database": "trail", "table": "ct"}},
        {
            "suppressions": [
                {"detections": ["access_key_created"], "reason": "x", "expires": "2027-01-01"}
            ]
        },
        {"suppressions": [{**ENGINES_AND_SUPPRESSIONS["suppressions"][0], "principals": ["*"]}]},
    ],
)
def test_schema_refuses_what_config_refuses(context):
    with pytest.raises(ConfigError):
        parse_config(context, {})
    assert not _valid(context)


def test_schema_and_config_agree_on_where_member_trails_come_from():
    """memberTrails "organization" (the default) needs the management account; "existing"
    does not (docs/organization.md)."""
    from tests.test_organization import ORG_CONTEXT, ORGANIZATION

    without = {k: v for k, v in ORGANIZATION.items() if k != "management"}
    accepted = [
        ORG_CONTEXT,
        {**ORG_CONTEXT, "organization": {**without, "memberTrails": "existing"}},
        {**ORG_CONTEXT, "organization": {**ORGANIZATION, "memberTrails": "organization"}},
    ]
    for context in accepted:
        parse_config(context, {})
        assert _valid(context), context
    refused = [
        {**ORG_CONTEXT, "organization": without},
        {**ORG_CONTEXT, "organization": {**without, "memberTrails": "organization"}},
        {**ORG_CONTEXT, "organization": {**without, "management": None}},
        {**ORG_CONTEXT, "organization": {**ORGANIZATION, "memberTrails": "own"}},
        {
            **ORG_CONTEXT,
            "organization": {
                **ORGANIZATION,
                "management": {**ORGANIZATION["management"], "organizationTrail": True},
            },
        },
    ]
    for context in refused:
        with pytest.raises(ConfigError):
            parse_config(context, {})
        assert not _valid(context), context


def test_schema_accepts_the_athena_table_as_config_does():
    for value in (True, False, None, {"database": "security_logs"}):
        context = {**TEST_CONTEXT, "athenaTable": value}
        parse_config(context, {})
        assert _valid(context), context
