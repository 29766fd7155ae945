"""Alerts in Slack and Microsoft Teams through Amazon Q Developer in chat applications: the
channel configurations, routing by severity, the least-privilege role and its guardrail, and the
custom notifications as EventBridge sends them (models/eventbridge_templates.py), checked against
the documented schema (models/chat_notifications.py)."""

from __future__ import annotations

import json
import re

import pytest

from config import ConfigError, parse_config
from constructs_lib.detections.catalog import CATALOG, Severity
from constructs_lib.detections.outcomes import detection_id_of
from constructs_lib.detections.rule_files import rule_events
from constructs_lib.eventbridge.detection_rule import RETRY_POLICY
from models.chat_notifications import SCHEMA, problems
from models.eventbridge_templates import Rule, fill
from tests.cloudtrail import envelope
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import RULE, TARGET

SLACK = {"type": "slack", "workspaceId": "T0123ABCD", "channelId": "C0123ABCDE"}
TEAMS = {
    "type": "teams",
    "teamId": "0a1b2c3d-1111-2222-3333-444455556666",
    "channelId": "19%3ab1c2d3e4f5a6%40thread.tacv2",
    "tenantId": "9f8e7d6c-1111-2222-3333-444455556666",
    "minimumSeverity": "high",
}
CHAT_CONTEXT = {
    **TEST_CONTEXT,
    "monitoredRegions": ["ap-northeast-1", "us-east-1"],
    "detectionGroups": ALL_GROUPS,
    "alertEngines": ["eventbridge", "metric-filters"],
    "chat": [SLACK, TEAMS],
}


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    settings = parse_config(CHAT_CONTEXT, {})
    return settings, synthesize_to(settings, tmp_path_factory.mktemp("chat") / "cdktf.out")


# ---- the schema check, first on the page's own schema block ----


def test_the_schema_check_accepts_the_documented_event_schema():
    """The "Event schema" block of the custom-notifications page, its Strings filled in with the
    values its parameter rows require."""
    documented = {
        "version": "1.0",
        "source": "custom",
        "id": "String",
        "content": {
            "textType": "client-markdown",
            "title": "String",
            "description": "String",
            "nextSteps": ["String", "String"],
            "keywords": ["String", "String"],
        },
        "metadata": {
            "threadId": "String",
            "summary": "String",
            "eventType": "String",
            "relatedResources": ["String", "String"],
            "additionalContext": {
                "customerProvidedKey1": "String",
                "customerProvidedKey2": "String",
            },
        },
    }
    assert problems(documented) == []
    minimal = {"version": "1.0", "source": "custom", "content": {"description": "String"}}
    assert problems(minimal) == []
    assert set(SCHEMA) == {"version", "source", "id", "content", "metadata"}


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"version": "2.0"}, "version: must be '1.0'"),
        ({"source": "aws.events"}, "source: must be 'custom'"),
        ({"content": {"description": "x", "textType": "markdown"}}, "content.textType: must be"),
        ({"content": {"title": "x"}}, "content.description: required"),
        ({"content": {"description": "x", "nextSteps": "x"}}, "content.nextSteps: must be strings"),
        ({"detail": {}}, "detail: not in the event schema"),
    ],
)
def test_the_schema_check_refuses_what_the_page_rules_out(change, problem):
    message = {"version": "1.0", "source": "custom", "content": {"description": "x"}, **change}
    assert any(p.startswith(problem) for p in problems(message)), problems(message)


# ---- configuration ----


@pytest.mark.parametrize(
    "entry, key",
    [
        ({**SLACK, "workspaceId": "t0123abcd"}, "chat[0].workspaceId"),
        ({**SLACK, "channelId": "#security"}, "chat[0].channelId"),
        ({**TEAMS, "teamId": "not-a-uuid"}, "chat[0].teamId"),
        ({**TEAMS, "tenantId": "0a1b2c3d111122223333444455556666"}, "chat[0].tenantId"),
        ({**TEAMS, "channelId": "19:abc@thread.tacv2"}, "chat[0].channelId"),
        ({**SLACK, "minimumSeverity": "urgent"}, "chat[0].minimumSeverity"),
        ({**SLACK, "channel": "C1"}, "chat[0].channel"),
        ({"type": "discord"}, "chat[0]"),
        ({k: v for k, v in TEAMS.items() if k != "tenantId"}, "chat[0].tenantId"),
    ],
)
def test_bad_chat_entries_are_one_error_naming_the_key(entry, key):
    with pytest.raises(ConfigError) as raised:
        parse_config({**CHAT_CONTEXT, "chat": [entry]}, {})
    assert raised.value.key == key


def test_the_same_channel_twice_is_an_error():
    with pytest.raises(ConfigError, match="the same channel twice"):
        parse_config({**CHAT_CONTEXT, "chat": [SLACK, {**SLACK, "minimumSeverity": "high"}]}, {})


def test_two_teams_channels_of_one_team_are_refused_with_the_providers_reason():
    """hashicorp/terraform-provider-aws#47039: the pinned provider finds a Teams configuration
    by its team, so a second one of the same team fails at apply and drops out of state."""
    other_channel = {**TEAMS, "channelId": "19%3aa9b8c7d6e5f4%40thread.tacv2"}
    with pytest.raises(ConfigError, match="pull/47039") as raised:
        parse_config({**CHAT_CONTEXT, "chat": [TEAMS, other_channel]}, {})
    assert raised.value.key == "chat[1].teamId"
    other_team = {**other_channel, "teamId": "0a1b2c3d-1111-2222-3333-999999999999"}
    assert len(parse_config({**CHAT_CONTEXT, "chat": [TEAMS, other_team]}, {}).chat) == 2


def test_a_bad_id_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    import main

    context = {**CHAT_CONTEXT, "chat": [{**SLACK, "workspaceId": "T01-23"}]}
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": "x", "context": context}))
    monkeypatch.chdir(tmp_path)
    assert main.main({"PATH": "/usr/bin:/bin:/usr/local/bin"}) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith('configuration error: chat[0].workspaceId = "T01-23": not a SlackTeamId')
    assert not (tmp_path / "cdktf.out").exists()


# ---- what synthesis gives ----


def _configurations(stack):
    return {
        **stack.resources("aws_chatbot_slack_channel_configuration"),
        **stack.resources("aws_chatbot_teams_channel_configuration"),
    }


def test_two_channel_configurations_with_their_topics_and_a_chat_target_per_rule(chat):
    settings, stacks = chat
    home = stacks["ap-northeast-1"]
    slack, teams = (
        next(iter(home.resources(f"aws_chatbot_{kind}_channel_configuration").values()))
        for kind in ("slack", "teams")
    )
    assert (slack["slack_team_id"], slack["slack_channel_id"]) == ("T0123ABCD", "C0123ABCDE")
    assert (teams["team_id"], teams["tenant_id"], teams["channel_id"]) == (
        TEAMS["teamId"],
        TEAMS["tenantId"],
        TEAMS["channelId"],
    )
    assert slack["region"] == teams["region"] == "us-east-2"  # where the Chatbot API is
    regions = [p.region for p in settings.region_plans() if p.carries_topic]
    for name, stack in stacks.items():
        assert not _configurations(stack) or name == "ap-northeast-1"
        topics = {t["name"] for t in stack.resources("aws_sns_topic").values()}
        assert {f"api-alerts-chat-{s.value}" for s in Severity} <= topics, name
        rules = stack.resources(RULE)
        for rule_id in rules:
            chat_targets = [t for t in stack.targets_of(rule_id) if t["target_id"] == "chat"]
            assert len(chat_targets) == 1, rule_id
            (target,) = chat_targets
            severity = next(d for d in CATALOG if d.id == detection_id_of(rule_id)).severity
            assert target["arn"].startswith("${aws_sns_topic.chat_topic_" + severity.value)
            # Retries and dead-lettering as for the e-mail.
            assert target["retry_policy"] == {
                "maximum_event_age_in_seconds": RETRY_POLICY["maximum_event_age_in_seconds"],
                "maximum_retry_attempts": RETRY_POLICY["maximum_retry_attempts"],
            }
            assert (
                target["dead_letter_config"]
                == next(t for t in stack.targets_of(rule_id) if t["target_id"] != "chat")[
                    "dead_letter_config"
                ]
            )
            assert len(stack.targets_of(rule_id)) <= 5  # EventBridge's targets per rule
    assert len(regions) == len(stacks)


def test_a_medium_alert_reaches_only_the_slack_channel(chat):
    _, stacks = chat
    home = stacks["ap-northeast-1"]
    slack = next(iter(home.resources("aws_chatbot_slack_channel_configuration").values()))
    teams = next(iter(home.resources("aws_chatbot_teams_channel_configuration").values()))

    def severities(configuration):
        return {arn.rsplit(":api-alerts-chat-", 1)[1] for arn in configuration["sns_topic_arns"]}

    assert severities(slack) == {"critical", "high", "medium", "low"}
    assert severities(teams) == {"critical", "high"}
    # Every region's topics, for both.
    assert {arn.split(":")[3] for arn in teams["sns_topic_arns"]} == set(home_regions(stacks))
    medium = [d.id for d in CATALOG if d.severity is Severity.MEDIUM]
    assert "access_key_created" in medium
    where = stacks["us-east-1"]  # IAM events arrive there
    target = next(t for t in where.targets_of("access_key_created") if t["target_id"] == "chat")
    assert "chat_topic_medium" in target["arn"]


def home_regions(stacks):
    return [name for name, stack in stacks.items() if stack.resources("aws_sns_topic")]


def test_the_channels_role_can_do_nothing_and_the_guardrail_denies_everything(chat):
    _, stacks = chat
    home = stacks["ap-northeast-1"]
    ((role_id, role),) = [
        (k, r) for k, r in home.resources("aws_iam_role").items() if r["name"] == "api-alerts-chat"
    ]
    document = (
        role["assume_role_policy"].removeprefix("${data.aws_iam_policy_document.").split(".")[0]
    )
    (trust,) = home.data("aws_iam_policy_document")[document]["statement"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["chatbot.amazonaws.com"]}]
    assert trust["actions"] == ["sts:AssumeRole"]
    reference = f"${{aws_iam_role.{role_id}."
    for kind in (
        "aws_iam_role_policy",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
    ):
        assert not [
            r for r in home.resources(kind).values() if str(r.get("role", "")).startswith(reference)
        ], kind
    assert "managed_policy_arns" not in role and "inline_policy" not in role
    for configuration in _configurations(home).values():
        assert configuration["iam_role_arn"] == f"{reference}arn}}"
        assert configuration["guardrail_policy_arns"] == ["arn:aws:iam::aws:policy/AWSDenyAll"]
        assert configuration["user_authorization_required"] is True


def test_alarms_reach_the_chat_topic_of_their_most_severe_detection(chat):
    _, stacks = chat
    home = stacks["ap-northeast-1"]
    alarms = home.resources("aws_cloudwatch_metric_alarm")
    cw5 = next(a for a in alarms.values() if a["alarm_name"] == "api-alerts-cis-cloudwatch-5")
    # CloudWatch.5 counts cloudtrail_changes (critical) and cloudtrail_created_or_started (low).
    assert any("chat_topic_critical" in action for action in cw5["alarm_actions"])
    assert not any("chat_topic_low" in action for action in cw5["alarm_actions"])


# ---- the messages, as EventBridge fills them ----


def chat_messages(event, stacks) -> dict[str, dict]:
    """Rule id -> the chat notification its chat target receives for this event, parsed."""
    stack = stacks.get(event["region"])
    if stack is None:
        return {}
    found = {}
    for rule_id in stack.firing_rules(event):
        rule = stack.resources(RULE)[rule_id]
        (target,) = [t for t in stack.targets_of(rule_id) if t["target_id"] == "chat"]
        transformer = target["input_transformer"]
        text = fill(
            transformer["input_template"],
            transformer["input_paths"],
            event,
            Rule(name=rule["name"], arn=f"arn:aws:events:{event['region']}:1:rule/{rule['name']}"),
        )
        found[rule_id] = json.loads(text)  # as the chat integration parses it
    return found


def test_the_three_named_corpus_alerts_pass_the_schema(chat, corpus):
    _, stacks = chat
    wanted = {
        "StopLogging__invictus__1.json": "cloudtrail_changes_failed",
        "ConsoleLogin__awsdocs-ct__2.json": "root_console_sign_in",
        "AuthorizeSecurityGroupIngress__invictus__1.json": "security_group_changes",
    }
    for item in corpus:
        if item.file in wanted:
            message = chat_messages(item.event, stacks)[wanted[item.file]]
            print(f"\n{item.file} -> {wanted[item.file]}:\n{json.dumps(message, indent=1)}")
            assert problems(message) == [], problems(message)
    stop = chat_messages(
        next(i.event for i in corpus if i.file == "StopLogging__invictus__1.json"), stacks
    )["cloudtrail_changes_failed"]
    assert stop["content"]["title"].startswith(
        ":rotating_light: [CRITICAL] Refused with TrailNotFoundException: "
    )
    assert (
        "*Outcome:* REFUSED, not carried out. TrailNotFoundException"
        in stop["content"]["description"]
    )


def test_every_chat_message_parses_and_passes_the_schema(chat, corpus):
    settings, stacks = chat
    events = [item.event for item in corpus if item.region_is_real] + [
        envelope(record) for d in settings.detections for record in rule_events(d.id)["fires"]
    ]
    found, messages = [], 0
    for event in events:
        for rule_id, message in chat_messages(event, stacks).items():
            messages += 1
            found += [f"{rule_id}: {p}" for p in problems(message)]
            leftover = re.findall(r"<[A-Za-z0-9.-]+>", json.dumps(message))
            assert not leftover, (rule_id, leftover)
    assert not found, "\n".join(found[:20])
    assert messages > 100


def test_verify_fails_a_region_whose_chat_topic_no_channel_subscribed(
    chat, tmp_path, monkeypatch, capsys
):
    import boto3
    from moto import mock_aws

    from tests.test_ops import deploy, emit, run_verify

    settings, stacks = chat
    synthesize_to(settings, tmp_path / "cdktf.out")
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": CHAT_CONTEXT}))
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        deploy(tmp_path / "cdktf.out")
        # No channel subscribed to us-east-1's low topic: take away its subscription.
        sns = boto3.client("sns", region_name="us-east-1")
        (low,) = [
            t["TopicArn"]
            for t in sns.list_topics()["Topics"]
            if t["TopicArn"].endswith(":api-alerts-chat-low")
        ]
        for subscription in sns.list_subscriptions_by_topic(TopicArn=low)["Subscriptions"]:
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
        for region in stacks:
            emit(region, "AWS/Events", "Invocations", "RuleName", "api-alerts-self-test")
            emit(region, "AWS/SNS", "NumberOfMessagesPublished", "TopicName", "api-alerts")
        code, lines = run_verify(capsys)
        assert code == 1
        assert lines["us-east-1"] == (
            "FAIL no chat channel subscribed to api-alerts-chat-low: check the channel "
            "configurations (home region stack) and the workspace's authorization"
        )
        assert all(line.startswith("PASS") for r, line in lines.items() if r != "us-east-1")


def test_central_delivery_and_the_metric_filters_alone_reach_chat_from_home(tmp_path):
    central = {
        **CHAT_CONTEXT,
        "alertEngines": ["eventbridge"],
        "monitoredRegions": ["ap-northeast-1", "eu-west-1"],
        "delivery": "central",
    }
    stacks = synthesize_to(parse_config(central, {}), tmp_path / "central")
    home = stacks["ap-northeast-1"]
    for name, stack in stacks.items():
        chat_topics = [
            t for t in stack.resources("aws_sns_topic").values() if "-chat-" in t["name"]
        ]
        chat_targets = [t for t in stack.resources(TARGET).values() if t["target_id"] == "chat"]
        if name == "ap-northeast-1":
            assert len(chat_topics) == 4 and chat_targets
        else:  # forwarded home; the local (health) rules alert in their own region only
            assert not chat_topics and not chat_targets, name
    (slack,) = home.resources("aws_chatbot_slack_channel_configuration").values()
    assert {arn.split(":")[3] for arn in slack["sns_topic_arns"]} == {"ap-northeast-1"}

    alone = {k: v for k, v in CHAT_CONTEXT.items() if k not in ("monitoredRegions", "delivery")}
    stacks = synthesize_to(
        parse_config({**alone, "alertEngines": ["metric-filters"]}, {}), tmp_path / "alone"
    )
    (only,) = stacks.values()
    alarms = only.resources("aws_cloudwatch_metric_alarm").values()
    assert sum(any("chat_topic_" in a for a in alarm["alarm_actions"]) for alarm in alarms) >= 19
    (teams,) = only.resources("aws_chatbot_teams_channel_configuration").values()
    assert len(teams["sns_topic_arns"]) == 2  # critical and high, at home
