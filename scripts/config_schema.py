"""The JSON Schema of cdktf.json's context, for editors: `python scripts/config_schema.py [--write]`.

cdktf.json names it (`"$schema": "./cdktf.schema.json"`), so VS Code, JetBrains and other
editors check and complete the settings as they are typed. It describes the same keys, values
and limits config.py validates (regions from botocore, the groups, the name prefix's pattern
and length); config.py stays the one that decides, with its one-line errors, and
tests/test_config_schema.py holds the two in step.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import (
    ACCOUNT_ID,
    CDKTF_KEYS,
    CHAT_FIELDS,
    DELIVERY_MODES,
    GLUE_DATABASE,
    KEYS,
    LOG_RETENTION_DAYS,
    MAX_NAME_PREFIX,
    MEMBER_TRAILS,
    NAME_PREFIX,
    ORGANIZATION_ID,
    OU_ID,
    PRINCIPAL,
    PROTOCOLS,
    ROOT_ID,
    known_regions,
)
from constructs_lib.detections.catalog import CATALOG, ENGINES, GROUPS, Severity
from constructs_lib.detections.suppressions import known_noise

SCHEMA = Path(__file__).resolve().parent.parent / "cdktf.schema.json"


def _unnamed(pattern: str) -> str:
    """A Python regular expression without group names, which ECMA-262 writes differently."""
    return re.sub(r"\(\?P<\w+>", "(", pattern)


def _chat_pattern(kind: str, name: str) -> str:
    from config import _chatbot_member

    operation, member, _ = CHAT_FIELDS[kind][name]
    return _chatbot_member(operation, member)["pattern"]


def context_properties() -> dict[str, dict[str, Any]]:
    regions = {"type": "string", "enum": known_regions()}
    days = {"type": "integer", "minimum": 1, "maximum": 36500}
    return {
        "homeRegion": {**regions, "description": "The trail's home region; its bucket lives here."},
        "monitoredRegions": {
            "type": ["array", "null"],
            "items": regions,
            "minItems": 1,
            "uniqueItems": True,
            "description": "Regions with the regional detections and a topic; includes "
            "homeRegion. null: homeRegion and the partition's global region (us-east-1).",
        },
        "notificationEmails": {
            "type": "array",
            "items": {"type": "string", "format": "email"},
            "uniqueItems": True,
            "description": "One e-mail subscription per address, on every alert and health topic.",
        },
        "namePrefix": {
            "type": "string",
            "pattern": f"^{NAME_PREFIX.pattern}$",
            "maxLength": MAX_NAME_PREFIX,
            "description": "Starts every name; lower-case letters, digits, single hyphens.",
        },
        "tags": {
            "type": "object",
            "propertyNames": {"minLength": 1, "maxLength": 128, "not": {"const": "Project"}},
            "additionalProperties": {"type": "string", "maxLength": 256},
            "description": "Added to every resource.",
        },
        "detectionGroups": {
            "type": "array",
            "items": {"enum": list(GROUPS)},
            "minItems": 1,
            "uniqueItems": True,
        },
        "delivery": {"enum": list(DELIVERY_MODES)},
        "subscriptions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "protocol": {"enum": list(PROTOCOLS)},
                    "endpoint": {"type": "string", "minLength": 1},
                },
                "required": ["protocol", "endpoint"],
                "additionalProperties": False,
            },
        },
        "kmsKey": {"type": "boolean"},
        "logArchiveAfterDays": days,
        "objectLock": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {"mode": {"enum": ["GOVERNANCE", "COMPLIANCE"]}, "days": days},
                    "required": ["mode", "days"],
                    "additionalProperties": False,
                },
            ]
        },
        "stateBackend": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": "s3"},
                        "bucket": {
                            "type": "string",
                            "pattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                        },
                        "keyPrefix": {"type": "string", "minLength": 1},
                        "region": regions,
                        "lockfile": {"type": "boolean"},
                    },
                    "required": ["type", "bucket", "region"],
                    "additionalProperties": False,
                },
            ]
        },
        "preventDestroy": {"type": "boolean"},
        "alertEngines": {
            "type": "array",
            "items": {"enum": list(ENGINES)},
            "minItems": 1,
            "uniqueItems": True,
            "description": "EventBridge rules (seconds), CloudWatch Logs metric filters (CIS), or both.",
        },
        "suppressions": {
            "type": "array",
            "description": "Events a detection does not alert on (README, Tuning).",
            "items": {
                "type": "object",
                "properties": {
                    "detections": {
                        "oneOf": [
                            {"const": "*"},
                            {
                                "type": "array",
                                "items": {"enum": [d.id for d in CATALOG]},
                                "minItems": 1,
                            },
                        ]
                    },
                    "principals": {
                        "type": "array",
                        "items": {"type": "string", "pattern": f"^{_unnamed(PRINCIPAL.pattern)}$"},
                        "minItems": 1,
                    },
                    "accounts": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^\\d{12}$"},
                    },
                    "sourceIps": {"type": "array", "items": {"type": "string"}},
                    "invokedBy": {"type": "array", "items": {"type": "string"}},
                    "userAgents": {"type": "array", "items": {"type": "string"}},
                    "reason": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "format": "date"},
                    "allowCritical": {"type": "boolean"},
                },
                "required": ["detections", "principals", "reason", "expires"],
                "additionalProperties": False,
            },
        },
        "knownNoise": {
            "type": "array",
            "items": {"enum": sorted(known_noise([]))},
            "uniqueItems": True,
            "description": "Built-in, documented suppressions of well-known noise.",
        },
        "logRetentionDays": {
            "enum": list(LOG_RETENTION_DAYS),
            "description": "Days the trail's CloudWatch Logs log group keeps records (metric filters).",
        },
        "athenaTable": {
            "oneOf": [
                {"type": "boolean"},
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {
                        "database": {"type": "string", "pattern": f"^{GLUE_DATABASE.pattern}$"}
                    },
                    "required": ["database"],
                    "additionalProperties": False,
                },
            ],
            "description": "The trail bucket's Athena table (README, Tuning), in namePrefix's "
            "Glue database or this one.",
        },
        "trustedAccounts": {
            "type": "array",
            "items": {"type": "string", "pattern": f"^{ACCOUNT_ID.pattern}$"},
            "uniqueItems": True,
            "description": "Accounts the attack group's share and grant detections stay silent on.",
        },
        "sigmaRules": {
            "type": "array",
            "description": "Your own Sigma rule files or folders of *.yml, relative to "
            "cdktf.json (README, Sigma rules).",
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {
                            "path": {"type": "string", "minLength": 1},
                            "skipRefused": {
                                "type": "boolean",
                                "description": "Leave a rule out of an engine that cannot run "
                                "it exactly, and report it, rather than stop.",
                            },
                        },
                        "required": ["path"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "chat": {
            "type": "array",
            "description": "Slack and Microsoft Teams channels (README, Chat).",
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": kind},
                            "minimumSeverity": {"enum": [s.value for s in Severity]},
                            **{
                                name: {
                                    "type": "string",
                                    "pattern": f"^{_chat_pattern(kind, name)}$",
                                }
                                for name in CHAT_FIELDS[kind]
                            },
                        },
                        "required": ["type", *CHAT_FIELDS[kind]],
                        "additionalProperties": False,
                    }
                    for kind in CHAT_FIELDS
                ]
            },
        },
        "organization": {
            "type": ["object", "null"],
            "description": "Every account of an AWS Organization (README, Organization mode).",
            "properties": {
                "securityAccount": {"type": "string", "pattern": f"^{ACCOUNT_ID.pattern}$"},
                "organizationId": {"type": "string", "pattern": f"^{ORGANIZATION_ID.pattern}$"},
                "organizationalUnits": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "pattern": f"^({_unnamed(OU_ID.pattern)}|{_unnamed(ROOT_ID.pattern)})$",
                    },
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "accounts": {
                    "type": "object",
                    "propertyNames": {"pattern": f"^{ACCOUNT_ID.pattern}$"},
                    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 50},
                },
                "management": {
                    "type": ["object", "null"],
                    "properties": {
                        "roleArn": {
                            "type": "string",
                            "pattern": "^arn:[a-z-]+:iam::\\d{12}:role/.+$",
                        },
                        "protectForwarding": {"type": "boolean"},
                    },
                    "required": ["roleArn"],
                    "additionalProperties": False,
                },
                "memberTrails": {"enum": list(MEMBER_TRAILS)},
            },
            "required": ["securityAccount", "organizationId", "organizationalUnits"],
            "additionalProperties": False,
            # The organization trail (memberTrails "organization", the default) is created in the
            # management account: without "existing", management is required.
            "if": {
                "properties": {"memberTrails": {"const": "existing"}},
                "required": ["memberTrails"],
            },
            "else": {"properties": {"management": {"type": "object"}}, "required": ["management"]},
        },
    }


def schema() -> dict[str, Any]:
    properties = context_properties()
    missing = {key.name for key in KEYS} ^ set(properties)
    if missing:
        raise SystemExit(f"config_schema.py and config.KEYS differ: {sorted(missing)}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cdktf.json of the API-call alerting app",
        "type": "object",
        "properties": {
            **{key: {} for key in sorted(CDKTF_KEYS)},
            "context": {
                "type": "object",
                "properties": {name: properties[name] for name in sorted(properties)},
                "additionalProperties": False,
            },
        },
        "required": ["context"],
    }


def rendered() -> str:
    return json.dumps(schema(), indent=2) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        SCHEMA.write_text(rendered(), encoding="utf-8")
    elif SCHEMA.read_text(encoding="utf-8") != rendered():
        sys.exit("cdktf.schema.json is stale: run `make docs`")
