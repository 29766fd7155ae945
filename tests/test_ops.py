"""The operator commands in moto: selftest sends, verify judges what AWS would report.

The synthesized stacks are deployed to moto by name (queues, topics, subscriptions, the self-test
rules). moto emits no EventBridge or SNS metrics, so each test puts the data points AWS would
publish for its case, with the namespaces, names and dimensions AWS documents (ops/verify.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from config import parse_config
from ops import selftest, verify
from ops.__main__ import main as ops_main
from tests.conftest import TEST_CONTEXT, synthesize_to
from tests.synthesized import load_stacks
from tests.test_chat import CHAT_CONTEXT
from tests.test_organization import ORG_CONTEXT

REGIONS = ["ap-northeast-1", "us-east-1"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with cdktf.json and the synthesized stacks of the test configuration."""
    synthesize_to(parse_config(TEST_CONTEXT, {}), tmp_path / "cdktf.out")
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": TEST_CONTEXT}))
    monkeypatch.chdir(tmp_path)
    for name in ("AWS_PROFILE", "CDKTF_OUTDIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def deploy(outdir) -> None:
    """The stacks' queues, topics (each with a confirmed SQS subscriber) and self-test rules, in
    moto (already started)."""
    for region, stack in load_stacks(outdir).items():
        if region == "management":
            continue  # organization mode's other account
        sqs = boto3.client("sqs", region_name=region)
        sns = boto3.client("sns", region_name=region)
        for queue in stack.resources("aws_sqs_queue").values():
            sqs.create_queue(QueueName=queue["name"])
        inbox = sqs.create_queue(QueueName="person")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        for topic in stack.resources("aws_sns_topic").values():
            arn = sns.create_topic(Name=topic["name"])["TopicArn"]
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=inbox_arn)
        rule = stack.resources("aws_cloudwatch_event_rule").get("self_test")
        if rule:
            boto3.client("events", region_name=region).put_rule(
                Name=rule["name"], EventPattern=rule["event_pattern"]
            )


@pytest.fixture
def aws(project):
    with mock_aws():
        deploy(project / "cdktf.out")
        yield


def emit(region: str, namespace: str, metric: str, dimension: str, value: str, count: int = 1):
    """A data point as AWS publishes it: Sum over one minute, by one dimension."""
    boto3.client("cloudwatch", region_name=region).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value}],
                "Timestamp": datetime.now(UTC),
                "Value": count,
                "Unit": "Count",
            }
        ],
    )


def delivered(region: str) -> None:
    """What AWS reports after the self-test event went through: rule invoked, topic published."""
    emit(region, "AWS/Events", "Invocations", "RuleName", "api-alerts-self-test")
    emit(region, "AWS/SNS", "NumberOfMessagesPublished", "TopicName", "api-alerts")


def run_verify(capsys) -> tuple[int, dict[str, str]]:
    code = verify.main(["--timeout", "0", "--interval", "0"], {})
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    return code, {line.split(":")[0]: line.split(": ", 1)[1] for line in lines}


def test_verify_passes_when_aws_reports_delivery_in_every_region(aws, capsys):
    for region in REGIONS:
        delivered(region)
    code, lines = run_verify(capsys)
    assert code == 0
    assert list(lines) == REGIONS
    for line in lines.values():
        assert line.startswith("PASS rule invoked 1, topic published 1, no failures")


def test_verify_names_a_failed_publish(aws, capsys):
    """EventBridge could not publish (the topic's policy or key): FailedInvocations, and the
    event in the dead-letter queue."""
    delivered("ap-northeast-1")
    emit("us-east-1", "AWS/Events", "Invocations", "RuleName", "api-alerts-self-test")
    emit("us-east-1", "AWS/Events", "FailedInvocations", "RuleName", "api-alerts-self-test")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="api-alerts-undelivered-alerts")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    code, lines = run_verify(capsys)
    assert code == 1
    assert lines["ap-northeast-1"].startswith("PASS")
    assert lines["us-east-1"].startswith(
        "FAIL EventBridge could not deliver to the topic (1 failed, 1 waiting in "
        "api-alerts-undelivered-alerts): check the topic's policy and its KMS key"
    )


def test_verify_names_a_lost_alert(aws, capsys):
    for region in REGIONS:
        delivered(region)
    emit(
        "us-east-1",
        "AWS/Events",
        "InvocationsFailedToBeSentToDlq",
        "RuleName",
        "api-alerts-self-test",
    )
    code, lines = run_verify(capsys)
    assert code == 1
    assert lines["us-east-1"] == (
        "FAIL EventBridge could neither deliver nor dead-letter the alert: check the "
        "dead-letter queue's policy"
    )


def test_verify_names_a_rule_that_never_ran(aws, capsys):
    delivered("ap-northeast-1")
    code, lines = run_verify(capsys)
    assert code == 1
    assert lines["us-east-1"] == (
        "FAIL the self-test rule ran 0 of 1 times: is it deployed and ENABLED?"
    )


def test_verify_names_a_failed_notification(aws, capsys):
    for region in REGIONS:
        delivered(region)
    emit("ap-northeast-1", "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", "api-alerts")
    code, lines = run_verify(capsys)
    assert code == 1
    assert lines["ap-northeast-1"].startswith("FAIL SNS could not deliver to a subscriber")


def test_verify_names_a_topic_nobody_is_subscribed_to(aws, capsys):
    for region in REGIONS:
        delivered(region)
    sns = boto3.client("sns", region_name="us-east-1")
    arn = "arn:aws:sns:us-east-1:123456789012:api-alerts-health"
    for subscription in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
    code, lines = run_verify(capsys)
    assert code == 1
    assert lines["us-east-1"].startswith(
        "FAIL no confirmed subscription on api-alerts-health: alerts reach nobody"
    )


def test_verify_and_selftest_without_credentials_say_so_in_one_line(project, monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for command in (["verify"], ["selftest"]):
        assert ops_main(command) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("no AWS credentials found") and captured.err.count("\n") == 1


def test_commands_without_synthesized_stacks_say_so_in_one_line(project, capsys):
    (project / "cdktf.out" / "manifest.json").unlink()
    assert ops_main(["verify"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("no synthesized stacks in cdktf.out: run make synth")
        and err.count("\n") == 1
    )


def test_commands_refuse_stacks_of_another_configuration(project, capsys):
    context = {**TEST_CONTEXT, "monitoredRegions": ["ap-northeast-1", "eu-west-1", "us-east-1"]}
    (project / "cdktf.json").write_text(json.dumps({"context": context}))
    assert ops_main(["selftest", "--dry-run"]) == 2
    assert "run make synth" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["replay", "."], ["readiness"], ["selftest", "--dry-run"]])
def test_any_change_to_what_is_synthesized_is_a_stale_cdktf_out(project, capsys, command):
    """A suppression added after the last synthesis changes no region, yet replay would report
    the old rules as if they were the new ones (a new user's trap): one line, exit 2."""
    suppression = {
        "detections": ["security_group_changes"],
        "principals": ["arn:aws:iam::111122223333:role/ci"],
        "reason": "CI",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
    }
    context = {**TEST_CONTEXT, "suppressions": [suppression]}
    (project / "cdktf.json").write_text(json.dumps({"context": context}))
    assert ops_main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("cdktf.out was synthesized from another configuration")


def test_aws_out_of_reach_is_one_line_not_a_traceback(project, monkeypatch, capsys):
    """Credentials set, AWS unreachable: one line and exit status 2 (1 is a failed check)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert ops_main(["verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("AWS: ") and err.count("\n") == 1


def test_selftest_sends_one_event_per_region_matching_its_self_test_rule(aws, project, capsys):
    queues = {}
    for region in REGIONS:
        events = boto3.client("events", region_name=region)
        sqs = boto3.client("sqs", region_name=region)
        url = sqs.create_queue(QueueName="self-test-seen")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_targets(Rule="api-alerts-self-test", Targets=[{"Id": "seen", "Arn": arn}])
        queues[region] = url

    assert selftest.main(["--dry-run"], {}) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == REGIONS
    for region, url in queues.items():
        assert "Messages" not in boto3.client("sqs", region_name=region).receive_message(
            QueueUrl=url
        )

    assert selftest.main([], {}) == 0
    for region, url in queues.items():
        (message,) = boto3.client("sqs", region_name=region).receive_message(QueueUrl=url)[
            "Messages"
        ]
        body = json.loads(message["Body"])
        assert body["source"] == "api-alerts.selftest" and body["detail"]["region"] == region


def test_verify_in_central_delivery_follows_the_forwarding_home(tmp_path, monkeypatch, capsys):
    context = {
        **TEST_CONTEXT,
        "monitoredRegions": ["ap-northeast-1", "eu-west-1"],
        "delivery": "central",
    }
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        deploy(tmp_path / "cdktf.out")
        stacks = load_stacks(tmp_path / "cdktf.out")
        others = [r for r in stacks if r != "ap-northeast-1"]
        for region in others:
            emit(region, "AWS/Events", "Invocations", "RuleName", "api-alerts-forward-to-home-1")
        # The home rule sees its own test event and every forwarded one.
        emit(
            "ap-northeast-1",
            "AWS/Events",
            "Invocations",
            "RuleName",
            "api-alerts-self-test",
            count=1 + len(others) - 1,
        )
        emit("ap-northeast-1", "AWS/SNS", "NumberOfMessagesPublished", "TopicName", "api-alerts", 9)
        code, lines = run_verify(capsys)
        assert code == 1, "one forwarded test event has not arrived home yet"
        assert lines["ap-northeast-1"] == (
            f"FAIL the self-test rule ran {len(others)} of {len(others) + 1} times: "
            "is it deployed and ENABLED?"
        )
        assert all(lines[r].startswith("PASS rule invoked 1, forwarded home") for r in others)
        emit("ap-northeast-1", "AWS/Events", "Invocations", "RuleName", "api-alerts-self-test")
        code, lines = run_verify(capsys)
        assert code == 0, lines


DEPLOYER_CONFIGS = {
    "default": TEST_CONTEXT,
    "everything": {
        **TEST_CONTEXT,
        "alertEngines": ["eventbridge", "metric-filters"],
        "detectionGroups": ["original", "cis", "self"],
        "kmsKey": True,
        "objectLock": {"mode": "COMPLIANCE", "days": 365},
        "stateBackend": {"type": "s3", "bucket": "acme-tf-state", "region": "eu-west-1"},
        "athenaTable": True,
    },
    "central": {
        **TEST_CONTEXT,
        "monitoredRegions": ["ap-northeast-1", "eu-west-1", "us-east-1"],
        "delivery": "central",
        "kmsKey": True,
    },
}


# The organization and chat tests' configurations (each synthesized once per session).
DEPLOYER_CONFIGS["organization"] = ORG_CONTEXT
DEPLOYER_CONFIGS["chat"] = CHAT_CONTEXT


@pytest.mark.parametrize("name", list(DEPLOYER_CONFIGS))
def test_deployer_policy_covers_every_synthesized_type(name, tmp_path, monkeypatch, capsys):
    import botocore.session

    from ops.deployer_policy import ACTIONS

    context = DEPLOYER_CONFIGS[name]
    stacks = synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    # This account's stacks: the management stack's are the --management policy's (below).
    stacks = {name: stack for name, stack in stacks.items() if name != "management"}
    types = {
        *(kind for stack in stacks.values() for kind in stack.document.get("resource", {})),
        *(f"data.{kind}" for stack in stacks.values() for kind in stack.document.get("data", {})),
    }
    assert types <= set(ACTIONS), sorted(types - set(ACTIONS))
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    monkeypatch.chdir(tmp_path)
    assert ops_main(["deployer-policy"]) == 0
    document = json.loads(capsys.readouterr().out)
    # An IAM customer managed policy holds at most 6,144 characters (IAM quotas).
    assert len(json.dumps(document, separators=(",", ":"))) <= 6144
    granted = {a for st in document["Statement"] for a in st["Action"]}
    for kind in types:
        assert set(ACTIONS[kind][1]) <= granted, kind
    # Action names other than S3's (whose IAM names differ from its API) are API operations.
    models = botocore.session.get_session()
    prefixes = {
        "cloudtrail": "cloudtrail",
        "events": "events",
        "cloudwatch": "cloudwatch",
        "iam": "iam",
        "kms": "kms",
        "sns": "sns",
        "sqs": "sqs",
        "cloudformation": "cloudformation",
        "organizations": "organizations",
        "chatbot": "chatbot",
        "glue": "glue",
    }
    permission_only = {"iam:PassRole"}  # an IAM permission with no API operation of its own
    for action in granted - permission_only:
        service, operation = action.split(":")
        if service in prefixes:
            operations = models.get_service_model(prefixes[service]).operation_names
            assert operation in operations, action
    for statement in document["Statement"]:
        if statement["Sid"] in (
            "Key",
            "CreateKeyTagged",
            "PassTheForwardingRoleToEventBridge",
            "PassTheTemplateRoleToEventBridge",
            "PassTheChatRoleToTheChatIntegration",
        ):
            assert statement["Condition"], statement["Sid"]
        if statement["Resource"] == "*":
            assert statement["Sid"] in ("CreateKeyTagged", "ListAndDescribe"), statement["Sid"]


def test_the_management_roles_policy_covers_the_management_stack(tmp_path, monkeypatch, capsys):
    from ops.deployer_policy import ACTIONS
    from tests.test_athena import ORGANIZATION_ATHENA_CONTEXT

    # With athenaTable: the organization trail's Athena table too.
    context = ORGANIZATION_ATHENA_CONTEXT
    stacks = synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    management = stacks["management"].document
    assert "aws_glue_catalog_table" in management["resource"]
    types = {*management["resource"], *(f"data.{kind}" for kind in management["data"])}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    monkeypatch.chdir(tmp_path)
    assert ops_main(["deployer-policy", "--management"]) == 0
    document = json.loads(capsys.readouterr().out)
    # make deployer-policy's --to-file: each role's policy in its own file, none overwritten.
    assert ops_main(["deployer-policy", "--to-file"]) == 0
    assert ops_main(["deployer-policy", "--to-file", "--management"]) == 0
    assert json.loads((tmp_path / "management-policy.json").read_text()) == document
    assert json.loads((tmp_path / "deployer-policy.json").read_text()) != document
    assert len(json.dumps(document, separators=(",", ":"))) <= 6144
    granted = {a for st in document["Statement"] for a in st["Action"]}
    for kind in types:
        assert set(ACTIONS[kind][1]) <= granted, kind
    # The template's own resources, created with these credentials, the organization trail and
    # the forwarding guard.
    assert {"iam:CreateRole", "events:PutRule", "iam:PassRole"} <= granted
    assert "organizations:DescribeOrganization" in granted
    assert {"organizations:CreatePolicy", "organizations:AttachPolicy"} <= granted
    import botocore.session

    models = botocore.session.get_session()
    for action in granted - {"iam:PassRole"}:
        service, operation = action.split(":")
        if service in ("organizations", "cloudformation", "events", "iam", "cloudtrail"):
            assert operation in models.get_service_model(service).operation_names, action
    # Nothing of the security account's: no bus, no StackSet, no topics.
    assert not any(a.startswith(("sns:", "cloudformation:CreateStackSet")) for a in granted)
    assert "events:CreateEventBus" not in granted


def test_verify_in_organization_mode_reads_the_organization_bus_rules_metrics(
    tmp_path, monkeypatch, capsys
):
    """The self-test event goes to the security account's default bus, is forwarded to the
    organization bus by the account's own member stack, and fires the self-test rule there,
    whose metrics carry EventBusName and RuleName (EventBridge guide, eb-monitoring.html)."""
    from tests.test_verify_organization import instances_everywhere, stubbed_cloudformation

    context = ORG_CONTEXT
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    monkeypatch.chdir(tmp_path)
    with mock_aws(), stubbed_cloudformation(monkeypatch) as stubber:
        deploy(tmp_path / "cdktf.out")
        region_stacks = [
            name for name in load_stacks(tmp_path / "cdktf.out") if name != "management"
        ]
        # Every member forwards (tests/test_verify_organization.py checks when one does not).
        instances_everywhere(stubber, region_stacks)
        instances_everywhere(stubber, region_stacks)

        def invoked(region: str, dimensions: list[dict[str, str]]) -> None:
            boto3.client("cloudwatch", region_name=region).put_metric_data(
                Namespace="AWS/Events",
                MetricData=[
                    {
                        "MetricName": "Invocations",
                        "Dimensions": dimensions,
                        "Timestamp": datetime.now(UTC),
                        "Value": 1,
                        "Unit": "Count",
                    }
                ],
            )

        for region in region_stacks:
            # As if it ran on the default bus: not this rule's metric.
            invoked(region, [{"Name": "RuleName", "Value": "api-alerts-self-test"}])
            emit(region, "AWS/SNS", "NumberOfMessagesPublished", "TopicName", "api-alerts")
        code, lines = run_verify(capsys)
        # The regions' lines; the organization's follow them (stack set, trail, guard).
        lines = {name: line for name, line in lines.items() if name in region_stacks}
        assert code == 1 and set(lines) == set(region_stacks)
        assert all("ran 0 of 1 times" in line for line in lines.values()), lines
        for region in region_stacks:
            invoked(
                region,
                [
                    {"Name": "EventBusName", "Value": "api-alerts-org"},
                    {"Name": "RuleName", "Value": "api-alerts-self-test"},
                ],
            )
        code, lines = run_verify(capsys)
        assert code == 0, lines


@pytest.mark.parametrize("name, noted", [("default", False), ("everything", True)])
def test_deployer_policy_notes_lake_formation_with_athena_table(
    name, noted, tmp_path, monkeypatch, capsys
):
    """IAM alone lets the deployer create the Glue database only while Lake Formation's "Use
    only IAM access control" default holds: with athenaTable, one line says what else."""
    context = DEPLOYER_CONFIGS[name]
    synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    monkeypatch.chdir(tmp_path)
    assert ops_main(["deployer-policy"]) == 0
    err = capsys.readouterr().err
    assert ("CREATE_DATABASE" in err and "docs/tuning.md, Lake Formation" in err) == noted
