"""Organization mode: members forward through one service-managed StackSet to the security
account's organization bus, whose rules hold every detection.

What is AWS's, and where the tests stand in for it:
- the member template is linted with cfn-lint (AWS's CloudFormation linter), not an emulator;
- moto runs the rules and the buses, but where a rule targets another account's bus moto
  re-puts the event as the receiving account's (it loses the sender's ``account``), which AWS
  does not: "Rules that have an event pattern containing an Account field do not match events
  sent from accounts that are not listed in the Account field" (EventBridge guide,
  eb-cross-account.html), so a forwarded event keeps its own account. The end-to-end test
  delivers bus targets as AWS documents it, and evaluates the bus policy with the IAM rule it
  rests on (``allows``).
"""

from __future__ import annotations

import copy
import fnmatch
import inspect
import json
import subprocess
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.events.models import Rule, events_backends
from moto.utilities.arns import parse_arn

from config import MANAGEMENT_STACK, ConfigError, parse_config
from constructs_lib.detections.outcomes import detection_id_of
from constructs_lib.detections.rule_files import rule_events
from constructs_lib.organization.member_template import (
    MAX_TEMPLATE_BODY,
    forwarded,
    member_template,
    organization_bus_name,
    template_body,
)
from models import limits
from models.eventbridge_templates import Rule as TemplateRule
from models.eventbridge_templates import fill
from tests import background
from tests.check_cache import Check
from tests.cloudtrail import envelope
from tests.conftest import ALL_GROUPS, TEST_CONTEXT, synthesize_to
from tests.synthesized import RULE, TARGET, SynthesizedStack

SECURITY = "111122223333"
MEMBER = "444455556666"
OUTSIDER = "777788889999"  # an account of another organization
INSIDER = "222233334444"  # of this organization, sending with a role not the template's
MANAGEMENT = "999988887777"
ORGANIZATION_ID = "o-a1b2c3d4e5"
ORGANIZATION_OF = {
    SECURITY: ORGANIZATION_ID,
    MEMBER: ORGANIZATION_ID,
    INSIDER: ORGANIZATION_ID,
    OUTSIDER: "o-zzzzzzzzzz",
}
OUS = ["ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-33333333"]
ROLE_ARN = f"arn:aws:iam::{MANAGEMENT}:role/api-alerts-deployer"
ORGANIZATION = {
    "securityAccount": SECURITY,
    "organizationId": ORGANIZATION_ID,
    "organizationalUnits": OUS,
    "accounts": {MEMBER: "payments-prod"},
    "management": {"roleArn": ROLE_ARN, "protectForwarding": True},
}
ORG_CONTEXT = {
    **TEST_CONTEXT,
    "monitoredRegions": ["ap-northeast-1", "us-east-1", "eu-west-1"],
    "detectionGroups": ALL_GROUPS,
    "organization": ORGANIZATION,
}


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> tuple[Any, dict[str, SynthesizedStack]]:
    settings = parse_config(ORG_CONTEXT, {})
    return settings, synthesize_to(settings, tmp_path_factory.mktemp("org") / "cdktf.out")


def _body(terraform_value: str) -> str:
    """A template body as CloudFormation receives it (Terraform unescapes $${)."""
    return terraform_value.replace("$${", "${").replace("%%{", "%{")


def _template(stacks: dict[str, SynthesizedStack]) -> dict[str, Any]:
    home = stacks["ap-northeast-1"]
    (stack_set,) = home.resources("aws_cloudformation_stack_set").values()
    return json.loads(_body(stack_set["template_body"]))


# ---- configuration ----


@pytest.mark.parametrize(
    "change, key",
    [
        ({"securityAccount": "1111-2222-3333"}, "organization.securityAccount"),
        ({"organizationId": "o-short"}, "organization.organizationId"),
        ({"organizationId": "org-a1b2c3d4e5"}, "organization.organizationId"),
        ({"organizationalUnits": []}, "organization.organizationalUnits"),
        ({"organizationalUnits": ["ou-ab12"]}, "organization.organizationalUnits[0]"),
        ({"organizationalUnits": ["OU-AB12-11111111"]}, "organization.organizationalUnits[0]"),
        (
            {"organizationalUnits": ["ou-ab12-11111111", "ou-cd34-22222222"]},
            "organization.organizationalUnits",
        ),
        (
            {"organizationalUnits": ["r-ab12", "ou-ab12-11111111"]},
            "organization.organizationalUnits",
        ),
        ({"organizationalUnits": [OUS[0], OUS[0]]}, "organization.organizationalUnits[1]"),
        ({"accounts": {"12345": "x"}}, "organization.accounts key"),
        ({"accounts": {MEMBER: "x" * 51}}, f"organization.accounts.{MEMBER}"),
        (
            {"management": {"roleArn": "arn:aws:iam::999988887777:user/deployer"}},
            "organization.management.roleArn",
        ),
        (
            {"management": {"roleArn": "arn:aws:sts::999988887777:role/x"}},
            "organization.management.roleArn",
        ),
        (
            {"management": {"roleArn": "arn:aws-cn:iam::999988887777:role/x"}},
            "organization.management.roleArn",
        ),
        (
            {"management": {"roleArn": f"arn:aws:iam::{SECURITY}:role/x"}},
            "organization.management.roleArn",
        ),
        ({"management": {"roleArn": ROLE_ARN, "trail": True}}, "organization.management"),
        ({"memberTrails": "none"}, "organization.memberTrails"),
        ({"memberTrails": "organization", "management": None}, "organization.memberTrails"),
        ({"securityAcount": SECURITY}, "organization.securityAcount"),
    ],
)
def test_bad_organization_settings_are_one_error_naming_the_key(change, key):
    with pytest.raises(ConfigError) as raised:
        parse_config({**ORG_CONTEXT, "organization": {**ORGANIZATION, **change}}, {})
    assert raised.value.key == key


def test_organization_mode_refuses_what_it_cannot_do():
    with pytest.raises(ConfigError, match="second hop"):
        parse_config({**ORG_CONTEXT, "delivery": "central"}, {})
    with pytest.raises(ConfigError, match='needs the "eventbridge" alert engine'):
        context = {
            k: v for k, v in ORG_CONTEXT.items() if k not in ("monitoredRegions", "delivery")
        }
        parse_config({**context, "alertEngines": ["metric-filters"]}, {})


def test_members_get_a_logging_trail_by_default_or_on_the_users_word():
    """EventBridge sees a member's API calls only while a trail logs them there ("To record
    events with one of the CloudTrail detail-type values, you must enable a CloudTrail trail with
    logging", EventBridge guide, eb-service-event-cloudtrail.html): the default is the
    organization trail, which needs the management account."""
    settings = parse_config(ORG_CONTEXT, {})
    assert settings.organization.member_trails == "organization"
    without = {k: v for k, v in ORGANIZATION.items() if k != "management"}
    with pytest.raises(ConfigError) as raised:
        parse_config({**ORG_CONTEXT, "organization": without}, {})
    message = str(raised.value)
    assert raised.value.key == "organization.memberTrails" and "\n" not in message
    assert message.startswith('organization.memberTrails = "organization": (the default) ')
    for words in ("eb-service-event-cloudtrail.html", "organization.management", '"existing"'):
        assert words in message, words
    existing = parse_config(
        {**ORG_CONTEXT, "organization": {**without, "memberTrails": "existing"}}, {}
    )
    assert existing.organization.member_trails == "existing"
    # Shell overrides name their variable.
    with pytest.raises(ConfigError) as raised:
        parse_config(ORG_CONTEXT, {"ALERTS_ORGANIZATION": json.dumps(without)})
    assert raised.value.key == "ALERTS_ORGANIZATION.memberTrails"


@pytest.mark.parametrize("value", [True, False])
def test_organization_trail_is_replaced_by_member_trails(value):
    management = {"roleArn": ROLE_ARN, "organizationTrail": value}
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {**ORG_CONTEXT, "organization": {**ORGANIZATION, "management": management}}, {}
        )
    assert raised.value.key == "organization.management.organizationTrail"
    assert "replaced by organization.memberTrails" in str(raised.value)


def test_a_bad_id_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch):
    from main import main

    bad = {**ORG_CONTEXT, "organization": {**ORGANIZATION, "organizationalUnits": ["ou-1"]}}
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": "x", "context": bad}))
    monkeypatch.chdir(tmp_path)
    assert main({"PATH": "/usr/bin:/bin"}) == 2
    assert not (tmp_path / "cdktf.out").exists()


def test_members_without_a_trail_exit_2_with_one_line_and_write_nothing(
    tmp_path, monkeypatch, capsys
):
    from main import main

    organization = {k: v for k, v in ORGANIZATION.items() if k != "management"}
    context = {**ORG_CONTEXT, "organization": organization}
    (tmp_path / "cdktf.json").write_text(json.dumps({"app": "x", "context": context}))
    monkeypatch.chdir(tmp_path)
    assert main({"PATH": "/usr/bin:/bin"}) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("configuration error: organization.memberTrails = ")
    assert not (tmp_path / "cdktf.out").exists()


# ---- what synthesis gives ----


def test_security_account_stacks_put_every_rule_on_the_organization_only_bus(org):
    settings, stacks = org
    region_stacks = {name: s for name, s in stacks.items() if name != MANAGEMENT_STACK}
    assert sorted(region_stacks) == sorted(p.region for p in settings.region_plans())
    for name, stack in region_stacks.items():
        ((bus_id, bus),) = stack.resources("aws_cloudwatch_event_bus").items()
        assert bus["name"] == organization_bus_name("api-alerts")
        (policy,) = stack.resources("aws_cloudwatch_event_bus_policy").values()
        document = policy["policy"].removeprefix("${data.aws_iam_policy_document.").split(".")[0]
        (statement,) = stack.data("aws_iam_policy_document")[document]["statement"]
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert statement["actions"] == ["events:PutEvents"]
        assert statement["resources"] == [f"${{aws_cloudwatch_event_bus.{bus_id}.arn}}"]
        assert statement["condition"] == [
            {"test": "StringEquals", "variable": "aws:PrincipalOrgID", "values": [ORGANIZATION_ID]},
            {
                "test": "ArnLike",
                "variable": "aws:PrincipalArn",
                "values": ["arn:aws:iam::*:role/api-alerts-org-forward-*"],
            },
        ]
        rules = stack.resources(RULE)
        assert rules and all(
            r["event_bus_name"] == f"${{aws_cloudwatch_event_bus.{bus_id}.name}}"
            for r in rules.values()
        ), name
        assert all(
            t["event_bus_name"] == f"${{aws_cloudwatch_event_bus.{bus_id}.name}}"
            for t in stack.resources(TARGET).values()
        )
        # The delivery alarms read the custom bus's metrics (EventBusName and RuleName).
        dimensions = [
            q["metric"]["dimensions"]
            for a in stack.resources("aws_cloudwatch_metric_alarm").values()
            for q in a.get("metric_query", [])
            if "metric" in q
        ]
        assert dimensions and all(d["EventBusName"] == bus["name"] for d in dimensions)


def test_the_stack_set_is_service_managed_auto_deployed_to_the_ous_in_every_needed_region(org):
    settings, stacks = org
    home = stacks["ap-northeast-1"]
    (stack_set,) = home.resources("aws_cloudformation_stack_set").values()
    assert stack_set["permission_model"] == "SERVICE_MANAGED"
    assert stack_set["auto_deployment"] == {
        "enabled": True,
        "retain_stacks_on_account_removal": False,
    }
    assert stack_set["call_as"] == "DELEGATED_ADMIN"
    assert stack_set["capabilities"] == ["CAPABILITY_NAMED_IAM"]
    # hashicorp/terraform-provider-aws#23464: no update loop on the filled-in role.
    assert stack_set["lifecycle"] == {"ignore_changes": ["administration_role_arn"]}
    (instances,) = home.resources("aws_cloudformation_stack_instances").values()
    needed = [p.region for p in settings.region_plans()]
    assert instances["regions"] == needed
    assert {"us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2"} <= set(needed)
    assert instances["deployment_targets"] == {
        "organizational_unit_ids": OUS,
        # The security account carries the template as a stack of its own (below).
        "account_filter_type": "DIFFERENCE",
        "accounts": [SECURITY],
    }
    for name, stack in stacks.items():
        if name not in ("ap-northeast-1", MANAGEMENT_STACK):
            assert not stack.resources("aws_cloudformation_stack_set")


def _stack_set_and_instances(stacks) -> tuple[str, dict[str, Any], dict[str, Any]]:
    home = stacks["ap-northeast-1"]
    ((set_id, stack_set),) = home.resources("aws_cloudformation_stack_set").items()
    (instances,) = home.resources("aws_cloudformation_stack_instances").values()
    return set_id, stack_set, instances


def test_a_new_security_account_replaces_the_instances_and_prevent_destroy_refuses_it(
    org, tmp_path
):
    """hashicorp/aws updates a DIFFERENCE list by deleting instances for the accounts it drops,
    which deletes every member's (hashicorp/terraform-provider-aws#47721): the instances are
    replaced when the security account changes ("If the reference is to a single attribute of a
    resource instance, any change to the attribute value will trigger replacement", Terraform,
    lifecycle meta-argument), a plan prevent_destroy rejects."""
    set_id, stack_set, instances = _stack_set_and_instances(org[1])
    assert instances["lifecycle"] == {
        "prevent_destroy": True,
        "replace_triggered_by": [f"aws_cloudformation_stack_set.{set_id}.description"],
    }
    assert SECURITY in stack_set["description"]
    # Another security account changes the trigger; nothing of the organization's OUs does.
    moved = {**ORGANIZATION, "securityAccount": "121212121212"}
    stacks = synthesize_to(
        parse_config({**ORG_CONTEXT, "organization": moved}, {}), tmp_path / "moved"
    )
    _, moved_set, moved_instances = _stack_set_and_instances(stacks)
    assert moved_set["description"] != stack_set["description"]
    assert moved_instances["deployment_targets"]["accounts"] == ["121212121212"]
    more_ous = {**ORGANIZATION, "organizationalUnits": [*OUS, "ou-ab12-44444444"]}
    stacks = synthesize_to(
        parse_config({**ORG_CONTEXT, "organization": more_ous}, {}), tmp_path / "more"
    )
    _, more_set, _ = _stack_set_and_instances(stacks)
    assert more_set["description"] == stack_set["description"]
    # A deliberate teardown (preventDestroy false) lets the plan replace them, as it says.
    stacks = synthesize_to(
        parse_config({**ORG_CONTEXT, "preventDestroy": False}, {}), tmp_path / "teardown"
    )
    _, _, teardown = _stack_set_and_instances(stacks)
    assert teardown["lifecycle"]["prevent_destroy"] is False


def test_one_template_everywhere_and_the_management_account_reached_by_its_role(org):
    settings, stacks = org
    (stack_set,) = stacks["ap-northeast-1"].resources("aws_cloudformation_stack_set").values()
    body = stack_set["template_body"]
    assert "${AWS::" not in body.replace("$${AWS::", "")  # every CloudFormation ${ escaped
    management = stacks[MANAGEMENT_STACK]
    providers = management.providers()
    regions = [p.region for p in settings.region_plans()]
    assert sorted(b["region"] for b in providers.values()) == sorted(regions)
    assert all(
        b["assume_role"] == [{"role_arn": ROLE_ARN, "session_name": "api-alerts"}]
        for b in providers.values()
    )
    copies = [*management.resources("aws_cloudformation_stack").values()]
    for region in regions:
        copies += stacks[region].resources("aws_cloudformation_stack").values()
    assert len(copies) == 2 * len(regions)
    assert {c["template_body"] for c in copies} == {body}
    assert {
        management.region_of(c) for c in management.resources("aws_cloudformation_stack").values()
    } == set(regions)


def test_the_organization_trail_logs_every_account_into_its_documented_prefix(org):
    _, stacks = org
    management = stacks[MANAGEMENT_STACK]
    (trail,) = management.resources("aws_cloudtrail").values()
    assert trail["is_organization_trail"] is True and trail["is_multi_region_trail"] is True
    assert management.region_of(trail) == "ap-northeast-1"
    statements = {
        s["sid"]: s
        for d in management.data("aws_iam_policy_document").values()
        for s in d["statement"]
    }
    organization_write = statements["AWSCloudTrailOrganizationWrite"]
    assert organization_write["resources"][0].endswith(f"/AWSLogs/{ORGANIZATION_ID}/*")
    assert {c["variable"] for c in organization_write["condition"]} == {
        "s3:x-amz-acl",
        "aws:SourceArn",
    }
    assert statements["AWSCloudTrailWrite"]["condition"] == organization_write["condition"]


@background.job
def _cfn_lint() -> tuple[
    Check, dict[str, Any], subprocess.CompletedProcess, subprocess.CompletedProcess
]:
    """cfn-lint (a process of its own, beside the other tests) on the member template of
    ORG_CONTEXT, and on a copy with one state AWS does not accept, which it must catch."""
    settings = parse_config(ORG_CONTEXT, {})
    regions = [p.region for p in settings.region_plans()]
    template = member_template(
        {p.region: p.local for p in settings.region_plans()},
        name_prefix=settings.name_prefix,
        security_account=SECURITY,
    )
    broken = copy.deepcopy(template)
    broken["Resources"]["Forward1"]["Properties"]["State"] = "ON"
    documents = (("member.json", template), ("broken.json", broken))

    def lint() -> list[subprocess.CompletedProcess]:
        work = background.scratch("cfn-lint-")
        runs = []
        for name, document in documents:
            (work / name).write_text(json.dumps(document, indent=1))
            command = [str(Path(sys.executable).with_name("cfn-lint")), "--regions", *regions]
            runs.append(
                subprocess.run(
                    [*command, "--", name], cwd=work, capture_output=True, text=True, timeout=300
                )
            )
        return runs

    # Cached (tests/check_cache.py) by what cfn-lint reads: both templates, the regions, its
    # version.
    cached = Check.of(
        "cfn-lint",
        json.dumps(documents, sort_keys=True),
        json.dumps(regions),
        version("cfn-lint"),
        inspect.getsource(_cfn_lint),
    )
    return cached, template, *cached.run(lint)


def test_the_member_template_passes_cfn_lint(org):
    cached, template, clean, broken = background.result(_cfn_lint)
    assert template == _template(org[1])  # what was linted is what the StackSet deploys
    print(f"\ncfn-lint {' '.join(clean.args[1:])}: exit {clean.returncode}")
    print(clean.stdout or "  (no findings)")
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")
    # And it would have caught a broken one.
    assert broken.returncode != 0 and "E3030" in broken.stdout, broken.stdout
    cached.remember([clean, broken])


def test_the_forwarding_role_can_only_put_events_on_its_regions_organization_bus(org):
    role = _template(org[1])["Resources"]["ForwardingRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(trust["Condition"]) == {"ArnLike", "StringEquals"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
        ":${AWS::AccountId}:rule/api-alerts-org-forward-*"
    )
    ((policy,),) = [[p["PolicyDocument"] for p in role["Policies"]]]
    (statement,) = policy["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:{SECURITY}:event-bus/api-alerts-org"
    }


def test_the_template_fits_cloudformation_with_every_region_monitored():
    every = parse_config(ORG_CONTEXT, {}).partition_regions
    regions = ["ap-northeast-1", *sorted(every - {"ap-northeast-1"})]
    settings = parse_config({**ORG_CONTEXT, "monitoredRegions": regions}, {})
    template = member_template(
        {p.region: p.local for p in settings.region_plans()},
        name_prefix="api-alerts",
        security_account=SECURITY,
    )
    size = len(template_body(template).encode())
    print(f"\nmember template, {len(regions)} regions monitored: {size} bytes")
    assert size <= MAX_TEMPLATE_BODY


def test_member_rules_pass_the_pattern_as_the_compact_string_measured(org):
    """EventPattern is the compact JSON text forwarding_patterns measured against EventBridge's
    2,048 characters, not an object CloudFormation would serialize its own way (the resource's
    schema: a string or an object)."""
    from constructs_lib.eventbridge.forwarding_patterns import compact

    _, stacks = org
    template = _template(stacks)
    rules = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert rules
    for rule in rules:
        text = rule["Properties"]["EventPattern"]
        assert isinstance(text, str) and text == compact(json.loads(text))
        assert len(text) <= limits.EVENT_PATTERN.value


def _resource_counts(stacks: dict[str, SynthesizedStack]) -> dict[str, int]:
    return {
        f"{name} {kind}": len(blocks)
        for name, stack in stacks.items()
        for kind, blocks in stack.document.get("resource", {}).items()
    }


def test_one_or_a_thousand_named_accounts_synthesize_the_same_resources(org, tmp_path):
    _, one = org
    accounts = {f"{100000000000 + n:012d}": f"account-{n}" for n in range(1000)}
    settings = parse_config(
        {**ORG_CONTEXT, "organization": {**ORGANIZATION, "accounts": accounts}}, {}
    )
    thousand = synthesize_to(settings, tmp_path / "cdktf.out")
    assert _resource_counts(thousand) == _resource_counts(one)
    assert sum(_resource_counts(one).values()) > 100


# ---- forwarding: what members send is exactly what the security account alerts on, once ----


def _holds(condition: dict[str, Any], region: str) -> bool:
    """Our templates' conditions: Fn::Equals of AWS::Region and a name, and Fn::Or of those."""
    if "Fn::Equals" in condition:
        ref, value = condition["Fn::Equals"]
        assert ref == {"Ref": "AWS::Region"}
        return value == region
    return any(_holds(c, region) for c in condition["Fn::Or"])


def member_rules(template: dict[str, Any], region: str) -> list[dict[str, Any]]:
    """The forwarding rules a stack instance in ``region`` has, their patterns read as objects."""
    conditions = template.get("Conditions", {})
    return [
        {
            **resource["Properties"],
            "EventPattern": json.loads(resource["Properties"]["EventPattern"]),
        }
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Events::Rule"
        and ("Condition" not in resource or _holds(conditions[resource["Condition"]], region))
    ]


def test_members_forward_each_event_once_and_exactly_what_the_security_rules_match(org, corpus):
    """Per group of regions with the same rules: no event is forwarded twice, an event is
    forwarded exactly when a detection on the bus matches it, and whatever alerts was forwarded.
    Matched as `make replay` matches (ops.replay's index of models.event_patterns, which
    tests/test_event_patterns.py checks against moto's matcher on these patterns)."""
    from ops.replay import RuleIndex

    settings, stacks = org
    template = _template(stacks)
    records = [item.record for item in corpus] + [
        record
        for detection in settings.detections
        for records in rule_events(detection.id).values()
        for record in records
    ]
    records = [r for r in records if r.get("readOnly") is not True]
    checked, groups = Counter(), set()
    for plan in settings.region_plans():
        rules = member_rules(template, plan.region)
        group = tuple(r["Name"] for r in rules)
        if group in groups:
            continue  # the same rules and detections as a region already checked
        groups.add(group)
        stack = stacks[plan.region]
        on_bus = {d.id for d in forwarded(plan.local)}
        forwarding = RuleIndex((r["Name"], json.dumps(r["EventPattern"])) for r in rules)
        detections = RuleIndex(
            (d.id, d.event_pattern_json("api-alerts")) for d in forwarded(plan.local)
        )
        alerting = RuleIndex(
            (detection_id_of(name), stack.pattern_of(rule))
            for name, rule in stack.resources(RULE).items()
            if detection_id_of(name) in on_bus
        )
        for record in records:
            event = {**envelope(record), "region": plan.region}
            sent = forwarding.matching(event)
            assert len(sent) <= 1, (plan.region, record.get("eventName"), sent)
            matched = set(detections.matching(event))
            # Whatever a detection matches is sent; with every group the template would not fit
            # CloudFormation's size, and members forward by event name (member_template): more.
            assert bool(sent) >= bool(matched), (plan.region, record.get("eventName"))
            # What alerts (suppressions narrow the rules) was forwarded.
            assert set(alerting.matching(event)) <= matched
            checked[bool(sent)] += 1
    assert len(groups) > 1
    assert checked[True] > 100 and checked[False] > 100


# ---- end to end in moto, with AWS's cross-account delivery ----


def allows(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """IAM's rule for the statements we write: an Allow whose action, resource and every
    condition match; a condition key missing from the request does not match ("If the key that
    you specify in a policy condition is not present in the request context, the values do not
    match", IAM User Guide, reference_policies_elements_condition.html); no Allow is a deny."""
    for statement in policy["Statement"]:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if statement["Effect"] != "Allow" or statement["Principal"] != "*":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        if all(
            _condition_holds(
                test, context.get(key), [values] if isinstance(values, str) else values
            )
            for test, pairs in statement.get("Condition", {}).items()
            for key, values in pairs.items()
        ):
            return True
    return False


def _condition_holds(test: str, value: str | None, values: list[str]) -> bool:
    if value is None:
        return False  # the missing-key rule
    if test == "StringEquals":
        return value in values
    if test == "ArnLike":  # * and ? within the ARN (our patterns put * in one part only)
        return any(fnmatch.fnmatchcase(value, pattern) for pattern in values)
    raise ValueError(f"not modelled: {test}")


def test_allows_follows_the_missing_key_rule():
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": "arn:aws:events:eu-west-1:1:event-bus/b",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
            }
        ]
    }
    bus = "arn:aws:events:eu-west-1:1:event-bus/b"
    assert allows(policy, "events:PutEvents", bus, {"aws:PrincipalOrgID": "o-1"})
    assert not allows(policy, "events:PutEvents", bus, {"aws:PrincipalOrgID": "o-2"})
    assert not allows(policy, "events:PutEvents", bus, {})
    assert not allows(policy, "events:PutRule", bus, {"aws:PrincipalOrgID": "o-1"})


def _bus_policy(stack: SynthesizedStack, bus_arn: str) -> dict[str, Any]:
    """The synthesized bus policy as IAM JSON, its Terraform references filled in."""
    (document,) = [
        d
        for name, d in stack.data("aws_iam_policy_document").items()
        if name.startswith("organization_bus")
    ]
    statements = []
    for s in document["statement"]:
        statements.append(
            {
                "Sid": s["sid"],
                "Effect": s["effect"],
                "Principal": "*"
                if s["principals"] == [{"type": "*", "identifiers": ["*"]}]
                else s["principals"],
                "Action": s["actions"],
                "Resource": [bus_arn for _ in s["resources"]],
                "Condition": {c["test"]: {c["variable"]: c["values"]} for c in s["condition"]},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


@mock_aws
def test_a_member_event_in_eu_west_1_alerts_once_in_the_security_account_naming_the_member(
    org, corpus, monkeypatch
):
    _, stacks = org
    region = "eu-west-1"
    stack = stacks[region]
    template = _template(stacks)
    bus = organization_bus_name("api-alerts")
    bus_arn = f"arn:aws:events:{region}:{SECURITY}:event-bus/{bus}"
    refused: list[str] = []
    # What the receiving rules matched: the event whole, as AWS sends it to a target without
    # input settings; moto's SQS rendering leaves out its "account".
    received: list[tuple[str, dict[str, Any]]] = []

    moto_send = Rule.send_to_targets

    def send_as_aws(rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
        to_buses = [t for t in rule.targets if ":event-bus/" in t["Arn"]]
        if not to_buses:
            return moto_send(rule, event, transform_input)
        if not rule.event_pattern.matches_event(event):
            return None
        for target in to_buses:
            arn = parse_arn(target["Arn"])
            receiver = events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
            # EventBridge sends with the target's role: that role is the principal.
            context = {
                "aws:PrincipalOrgID": ORGANIZATION_OF[rule.account_id],
                "aws:PrincipalArn": target["RoleArn"],
            }
            if not allows(json.loads(receiver.policy), "events:PutEvents", target["Arn"], context):
                refused.append(rule.account_id)
                continue
            for receiving_rule in list(receiver.rules.values()):
                if receiving_rule.event_pattern.matches_event(event):
                    received.append((receiving_rule.name, copy.deepcopy(event)))
                receiving_rule.send_to_targets(copy.deepcopy(event))  # account, region kept
        return None

    monkeypatch.setattr(Rule, "send_to_targets", send_as_aws)

    # The security account: its organization bus, its policy, its rules (SQS for the topics).
    monkeypatch.setenv("MOTO_ACCOUNT_ID", SECURITY)
    events = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    events.create_event_bus(Name=bus)
    events.put_permission(EventBusName=bus, Policy=json.dumps(_bus_policy(stack, bus_arn)))
    queues = {}
    for rule_id, rule in stack.resources(RULE).items():
        events.put_rule(Name=rule["name"], EventPattern=stack.pattern_of(rule), EventBusName=bus)
        url = sqs.create_queue(QueueName=rule["name"])["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        events.put_targets(
            Rule=rule["name"],
            EventBusName=bus,
            Targets=[{"Id": "alert-topic", "Arn": queue_arn["Attributes"]["QueueArn"]}],
        )
        queues[rule_id] = url

    # A member and an outsider with the template's rules for this region, and an insider with
    # the same rules sending with a role of its own.
    for account in (MEMBER, OUTSIDER, INSIDER):
        role = "api-alerts-org-forward-" if account != INSIDER else "events-to-security-"
        monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
        member_events = boto3.client("events", region_name=region)
        for properties in member_rules(template, region):
            member_events.put_rule(
                Name=properties["Name"], EventPattern=json.dumps(properties["EventPattern"])
            )
            member_events.put_targets(
                Rule=properties["Name"],
                Targets=[
                    {
                        "Id": t["Id"],
                        "Arn": bus_arn,
                        "RoleArn": f"arn:aws:iam::{account}:role/{role}{region}",
                    }
                    for t in properties["Targets"]
                ],
            )

    (record,) = [
        item.record
        for item in corpus
        if item.record.get("eventName") == "AuthorizeSecurityGroupIngress"
        and not item.record.get("errorCode")
    ][:1]
    event = envelope(record)
    for account in (MEMBER, OUTSIDER, INSIDER):
        monkeypatch.setenv("MOTO_ACCOUNT_ID", account)
        boto3.client("events", region_name=region).put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                }
            ]
        )

    monkeypatch.setenv("MOTO_ACCOUNT_ID", SECURITY)
    arrived = {}
    for rule_id, url in queues.items():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if messages:
            arrived[rule_id] = [json.loads(m["Body"]) for m in messages]
    assert {detection_id_of(r) for r in arrived} == {"security_group_changes"}
    ((rule_id, (message,)),) = arrived.items()  # once: one rule, one message
    ((rule_name, delivered),) = received
    assert rule_name == stack.resources(RULE)[rule_id]["name"]
    assert message["detail"] == delivered["detail"]
    assert (delivered["account"], delivered["region"]) == (MEMBER, region)
    assert refused == [OUTSIDER, INSIDER]

    (target,) = stack.targets_of(rule_id)
    transformer = target["input_transformer"]
    alert = fill(
        transformer["input_template"],
        transformer["input_paths"],
        delivered,
        TemplateRule(name=stack.resources(RULE)[rule_id]["name"]),
    )
    print(f"\nalert in the security account for a {MEMBER} event in {region}:\n{alert}")
    assert f'"Where:    account {MEMBER}, {region}"' in alert
    # The record is in the member's event history: the link says where to sign in.
    assert f'"Record:   in account {MEMBER}, https://{region}.console.aws.amazon.com/' in alert


def test_replaying_an_organization_trail_names_the_accounts(org, tmp_path, monkeypatch, capsys):
    """An organization trail's records come from every account: replay says which, by name."""
    from ops import replay
    from tests.cloudtrail import CORPUS

    settings, _ = org
    corpus_accounts = {"123837392027": "red-team-lab", "123456789012": "example"}
    context = {**ORG_CONTEXT, "organization": {**ORGANIZATION, "accounts": corpus_accounts}}
    (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
    # The names change nothing synthesized: the organization's stacks as they are.
    synthesize_to(settings, tmp_path / "cdktf.out")
    monkeypatch.chdir(tmp_path)
    assert replay.main([str(CORPUS / "events")], environ={}) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("iam_policy_changes ")))
    assert lines[at + 4].startswith("    where: red-team-lab 123837392027 (")


def test_organization_alerts_read_as_written_and_point_to_the_right_account(org, corpus):
    """Every rule on the organization bus, for every real record and hand-written positive,
    as EventBridge fills its template (models/eventbridge_templates.py)."""
    from tests.test_alert_messages import delivered, problems

    settings, stacks = org
    region_stacks = {n: s for n, s in stacks.items() if n != MANAGEMENT_STACK}
    events = [item.event for item in corpus if item.region_is_real] + [
        envelope(record) for d in settings.detections for record in rule_events(d.id)["fires"]
    ]
    found, alerts = [], 0
    for event in events:
        for rule_id, texts in delivered(event, region_stacks).items():
            for text in texts:
                alerts += 1
                found += problems(text, event, rule_id)
                if event["source"].startswith("aws."):
                    record_line = text.splitlines()[-1]
                    assert record_line.startswith(f'"Record:   in account {event["account"]}, ')
    assert not found, "\n".join(found)
    assert alerts > 100


def test_cdktf_deploys_the_buses_before_the_stack_set_and_the_management_account_last(
    org, tmp_path
):
    settings, _ = org
    synthesize_to(settings, tmp_path / "cdktf.out")
    manifest = json.loads((tmp_path / "cdktf.out" / "manifest.json").read_text())["stacks"]
    regions = [p.region for p in settings.region_plans()]
    assert sorted(manifest["ap-northeast-1"]["dependencies"]) == sorted(regions[1:])
    assert sorted(manifest[MANAGEMENT_STACK]["dependencies"]) == sorted(regions)
    assert all(not manifest[region]["dependencies"] for region in regions[1:])


def test_without_the_management_account_synthesis_warns_in_one_line(tmp_path, monkeypatch, capsys):
    import main

    organization = {k: v for k, v in ORGANIZATION.items() if k != "management"}
    organization["memberTrails"] = "existing"  # no management account: no organization trail
    (tmp_path / "cdktf.json").write_text(
        json.dumps({"app": "x", "context": {**ORG_CONTEXT, "organization": organization}})
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(main, "synthesize", lambda settings, outdir, **_: {})
    assert main.main({"PATH": "/usr/bin:/bin:/usr/local/bin"}) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("warning: organization.management is not set")


def denies(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether a Deny statement of ``policy`` applies: action, resource and every condition
    match (IAM's rules as in ``allows``; for the negated operators, a key missing from the
    request matches: "...IfExists" is not needed for them to hold, IAM User Guide,
    reference_policies_elements_condition_operators.html)."""
    for statement in policy["Statement"]:
        if statement["Effect"] != "Deny":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in statement["Action"]):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in statement["Resource"]):
            continue
        holds = []
        for test, pairs in statement.get("Condition", {}).items():
            for key, values in pairs.items():
                value = context.get(key)
                if test == "ArnNotLike":
                    holds.append(
                        value is None or not any(fnmatch.fnmatchcase(value, v) for v in values)
                    )
                elif test == "StringNotEquals":
                    holds.append(value is None or value not in values)
                else:
                    raise ValueError(f"not modelled: {test}")
        if all(holds):
            return True
    return False


def test_the_forwarding_guard_leaves_the_forwarding_to_stacksets(org):
    _, stacks = org
    management = stacks[MANAGEMENT_STACK]
    (policy,) = management.resources("aws_organizations_policy").values()
    assert policy["type"] == "SERVICE_CONTROL_POLICY"
    assert management.region_of(policy) == "ap-northeast-1"
    document = json.loads(policy["content"])
    attachments = management.resources("aws_organizations_policy_attachment").values()
    assert sorted(a["target_id"] for a in attachments) == sorted(OUS)
    rule = f"arn:aws:events:eu-west-1:{MEMBER}:rule/api-alerts-org-forward-3"
    role = f"arn:aws:iam::{MEMBER}:role/api-alerts-org-forward-eu-west-1"
    admin = {
        "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/Admin",
        "aws:PrincipalAccount": MEMBER,
    }
    stacksets = {
        "aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0a1b2c3d4e5f",
        "aws:PrincipalAccount": MEMBER,
    }
    security = {
        "aws:PrincipalArn": f"arn:aws:iam::{SECURITY}:role/Deployer",
        "aws:PrincipalAccount": SECURITY,
    }
    for action, resource in (
        ("events:DeleteRule", rule),
        ("events:DisableRule", rule),
        ("events:RemoveTargets", rule),
        ("iam:PutRolePolicy", role),
        ("iam:DeleteRole", role),
        # A boundary that allows nothing caps the role as surely as a deny policy (IAM User
        # Guide, access_policies_boundaries.html: the intersection of both policy types).
        ("iam:PutRolePermissionsBoundary", role),
        ("iam:DeleteRolePermissionsBoundary", role),
        ("iam:AttachRolePolicy", role),
        ("iam:UpdateAssumeRolePolicy", role),
    ):
        assert denies(document, action, resource, admin), action
        assert not denies(document, action, resource, stacksets), action
        assert not denies(document, action, resource, security), action
    # Nothing else of the account's.
    other = f"arn:aws:events:eu-west-1:{MEMBER}:rule/team-rule"
    assert not denies(document, "events:DeleteRule", other, admin)
    assert not denies(document, "events:PutEvents", rule, admin)


def test_the_forwarding_guard_fits_an_scp_with_the_longest_name_prefix():
    """An SCP holds at most 5,120 characters, whitespace included (Organizations guide,
    orgs_reference_limits.html); the guard is minified and grows only with namePrefix."""
    from config import MAX_NAME_PREFIX
    from constructs_lib.organization.forwarding_guard import guard_document
    from models import limits

    longest = "a" * MAX_NAME_PREFIX
    content = json.dumps(guard_document("aws-us-gov", longest, SECURITY), separators=(",", ":"))
    print(f"\nforwarding guard SCP, namePrefix of {MAX_NAME_PREFIX}: {len(content)} characters")
    assert len(content) <= limits.SCP_SIZE.value == 5120


def test_without_protect_forwarding_there_is_no_guard(tmp_path):
    management = {"roleArn": ROLE_ARN}
    organization = {**ORGANIZATION, "management": management, "memberTrails": "existing"}
    settings = parse_config({**ORG_CONTEXT, "organization": organization}, {})
    stacks = synthesize_to(settings, tmp_path / "cdktf.out")
    assert not stacks[MANAGEMENT_STACK].resources("aws_organizations_policy")
    assert not stacks[MANAGEMENT_STACK].resources("aws_cloudtrail")  # memberTrails "existing"
