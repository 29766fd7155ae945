"""make verify in organization mode: does every member forward, and can it? (ops/organization.py)

The StackSet's instances, the organization trail's status and the OUs' SCPs are AWS's answers to
ListStackInstances, GetTrailStatus and ListPoliciesForTarget. moto answers the last two and runs
the whole command (assumed role, organization, trail), but reports every stack instance CURRENT
and SUCCEEDED whatever happened; the failures are botocore Stubber responses, which botocore
checks against AWS's own model of each response, with example values.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from config import parse_config
from ops import verify
from ops.organization import (
    MemberDeployment,
    member_accounts,
    organization_trail,
    scp_room,
    stack_instances,
)
from tests.conftest import synthesize_to
from tests.test_organization import ORG_CONTEXT, ORGANIZATION

STACK_SET = "api-alerts-org-forwarding"
REGIONS = ("ap-northeast-1", "us-east-1", "eu-west-1")
DEPLOYMENT = MemberDeployment(
    stack_set=STACK_SET,
    home_region="ap-northeast-1",
    regions=REGIONS,
    trail_name="api-alerts-trail",
    trail_region="ap-northeast-1",
    guard_policy="api-alerts-protect-alert-forwarding",
)
MEMBER, OTHER = "444455556666", "555566667777"
OU = "ou-ab12-11111111"
TRAIL_ARN = "arn:aws:cloudtrail:ap-northeast-1:999988887777:trail/api-alerts-trail"


def _client(service: str, region: str = "ap-northeast-1"):
    return botocore.session.get_session().create_client(
        service,
        region_name=region,
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )


def _instance(
    account: str, region: str, status: str = "CURRENT", detailed: str = "SUCCEEDED", **more
) -> dict:
    """A StackInstanceSummary as ListStackInstances returns it (API reference), example values."""
    return {
        "StackSetId": f"{STACK_SET}:0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        "Region": region,
        "Account": account,
        "StackId": f"arn:aws:cloudformation:{region}:{account}:stack/StackSet-{STACK_SET}-"
        "0a1b2c3d/11111111-2222-3333-4444-555555555555",
        "Status": status,
        "StackInstanceStatus": {"DetailedStatus": detailed},
        "OrganizationalUnitId": OU,
        "DriftStatus": "NOT_CHECKED",
        **more,
    }


def _listed(*pages: list[dict]) -> list[str]:
    """The check's lines for ListStackInstances answering these pages, in order."""
    cloudformation = _client("cloudformation")
    with Stubber(cloudformation) as stubber:
        for number, page in enumerate(pages):
            expected = {"StackSetName": STACK_SET, "CallAs": "DELEGATED_ADMIN"}
            if number:
                expected["NextToken"] = f"page-{number}"
            response = {"Summaries": page}
            if number < len(pages) - 1:
                response["NextToken"] = f"page-{number + 1}"
            stubber.add_response("list_stack_instances", response, expected)
        findings = stack_instances(cloudformation, DEPLOYMENT)
        stubber.assert_no_pending_responses()
    return [finding.line for finding in findings]


def test_every_account_in_every_region_current_and_succeeded_is_one_pass_line():
    first = [_instance(MEMBER, region) for region in REGIONS]
    second = [_instance(OTHER, region) for region in REGIONS]
    assert _listed(first, second) == [
        f"stack set {STACK_SET}: PASS 6 stack instances, 2 accounts in 3 regions, "
        "all CURRENT and SUCCEEDED"
    ]


def test_a_failed_instance_is_one_fail_line_naming_account_region_reason_and_the_retry():
    reason = (
        "ResourceLogicalId:ForwardingRole, ResourceType:AWS::IAM::Role, ResourceStatusReason:"
        "api-alerts-org-forward-eu-west-1 already exists."
    )
    page = [_instance(MEMBER, region) for region in REGIONS[:2]] + [
        _instance(MEMBER, "eu-west-1", "OUTDATED", "FAILED", StatusReason=reason)
    ]
    (line,) = _listed(page)
    assert line.startswith(f"stack instance {MEMBER} eu-west-1: FAIL OUTDATED, FAILED ({reason})")
    assert line.endswith(
        f"`aws cloudformation update-stack-instances --stack-set-name {STACK_SET} --call-as "
        f"DELEGATED_ADMIN --regions eu-west-1 --deployment-targets OrganizationalUnitIds={OU},"
        f"Accounts={MEMBER},AccountFilterType=INTERSECTION`"
    )
    assert "\n" not in line


@pytest.mark.parametrize(
    "status, detailed, advice",
    [
        ("OUTDATED", "RUNNING", "still running there"),
        ("OUTDATED", "PENDING", "still running there"),
        ("OUTDATED", "CANCELLED", "update-stack-instances"),
        ("INOPERABLE", "INOPERABLE", "--retain-stacks"),
        ("OUTDATED", "SKIPPED_SUSPENDED_ACCOUNT", "suspended"),
        ("CURRENT", "FAILED", "update-stack-instances"),
    ],
)
def test_each_unfinished_state_says_what_to_do(status, detailed, advice):
    page = [_instance(MEMBER, region) for region in REGIONS[1:]]
    page.append(_instance(MEMBER, REGIONS[0], status, detailed))
    (line,) = _listed(page)
    assert line.startswith(f"stack instance {MEMBER} {REGIONS[0]}: FAIL {status}, {detailed}")
    assert advice in line


def test_an_account_missing_a_region_forwards_nothing_from_it():
    page = [_instance(MEMBER, region) for region in REGIONS] + [_instance(OTHER, REGIONS[0])]
    assert _listed(page) == [
        f"stack instance {OTHER} {region}: FAIL missing: this account forwards nothing from "
        "this region; deploy the home stack again (its instances name every region)"
        for region in REGIONS[1:]
    ]


def test_an_account_of_the_ous_without_any_instance_fails():
    """Accounts are listed from the OUs and the OUs under them (ListAccountsForParent and
    ListChildren, example pages): one that joined suspended, or that automatic deployment
    skipped, has no instance at all and forwards nothing."""
    organizations = _client("organizations", "us-east-1")
    nested, late = "ou-ab12-22222222", "666677778888"
    with Stubber(organizations) as stubber:
        for parent, accounts, children in ((OU, [MEMBER], [nested]), (nested, [OTHER, late], [])):
            stubber.add_response(
                "list_accounts_for_parent",
                {"Accounts": [{"Id": a, "Status": "ACTIVE"} for a in accounts]},
                {"ParentId": parent},
            )
            stubber.add_response(
                "list_children",
                {"Children": [{"Id": c, "Type": "ORGANIZATIONAL_UNIT"} for c in children]},
                {"ParentId": parent, "ChildType": "ORGANIZATIONAL_UNIT"},
            )
        expected = member_accounts(organizations, (OU,), excluded=set())
    assert expected == {MEMBER, OTHER, late}
    cloudformation = _client("cloudformation")
    page = [_instance(a, r) for a in (MEMBER, OTHER) for r in REGIONS]
    with Stubber(cloudformation) as stubber:
        _instances_answer(stubber, page)
        (finding,) = stack_instances(cloudformation, DEPLOYMENT, expected)
    assert finding.line.startswith(f"stack instance {late}: FAIL none in any region")


def test_no_instance_or_no_stack_set_fails():
    (line,) = _listed([])
    assert line.startswith(f"stack set {STACK_SET}: FAIL has no stack instance")
    cloudformation = _client("cloudformation")
    with Stubber(cloudformation) as stubber:
        stubber.add_client_error(
            "list_stack_instances",
            service_error_code="StackSetNotFoundException",
            service_message=f"StackSet {STACK_SET} not found",
            http_status_code=404,
        )
        (finding,) = stack_instances(cloudformation, DEPLOYMENT)
    assert finding.line.startswith(f"stack set {STACK_SET}: FAIL not found in ap-northeast-1")


def _trail(response: dict) -> str:
    cloudtrail = _client("cloudtrail")
    with Stubber(cloudtrail) as stubber:
        stubber.add_response("get_trail_status", response, {"Name": TRAIL_ARN})
        return organization_trail(cloudtrail, TRAIL_ARN).line


def test_the_organization_trail_must_be_logging_and_delivering():
    now = datetime(2026, 11, 21, 4, 5, tzinfo=UTC)
    assert _trail({"IsLogging": True, "LatestDeliveryTime": now}) == (
        f"organization trail: PASS {TRAIL_ARN} is logging, last delivery 2026-11-21 04:05 UTC, "
        "no delivery error"
    )
    stopped = _trail({"IsLogging": False, "StopLoggingTime": now, "TimeLoggingStopped": "x"})
    assert stopped.startswith(f"organization trail: FAIL {TRAIL_ARN} is not logging: members'")
    assert f"aws cloudtrail start-logging --name {TRAIL_ARN}" in stopped
    failing = _trail({"IsLogging": True, "LatestDeliveryError": "AccessDenied"})
    assert failing.startswith(
        f"organization trail: FAIL {TRAIL_ARN} is logging but its last delivery to S3 failed "
        "(AccessDenied)"
    )
    cloudtrail = _client("cloudtrail")
    with Stubber(cloudtrail) as stubber:
        stubber.add_client_error("get_trail_status", "TrailNotFoundException", http_status_code=404)
        missing = organization_trail(cloudtrail, TRAIL_ARN).line
    assert missing.startswith(f"organization trail: FAIL {TRAIL_ARN} not found")


def _policy(name: str, managed: bool = False) -> dict:
    """A PolicySummary as ListPoliciesForTarget returns it, example values."""
    return {
        "Id": "p-FullAWSAccess" if managed else f"p-{abs(hash(name)) % 10**8:08d}",
        "Arn": f"arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/service_control_policy/p-{name}",
        "Name": name,
        "Description": name,
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": managed,
    }


def _room(attached: list[dict]) -> str:
    organizations = _client("organizations", "us-east-1")
    with Stubber(organizations) as stubber:
        stubber.add_response(
            "list_policies_for_target",
            {"Policies": attached},
            {"TargetId": OU, "Filter": "SERVICE_CONTROL_POLICY"},
        )
        (finding,) = scp_room(organizations, (OU,), DEPLOYMENT.guard_policy)
    return finding.line


def test_an_ou_with_five_scps_has_no_room_for_the_guard():
    """A Control Tower OU: FullAWSAccess and guardrails (Organizations quotas: 5 per target)."""
    control_tower = [_policy("FullAWSAccess", managed=True)] + [
        _policy(f"aws-guardrails-{n}") for n in ("AbCdEf", "GhIjKl", "MnOpQr", "StUvWx")
    ]
    line = _room(control_tower)
    assert line.startswith(f"SCPs of {OU}: FAIL 5 of 5 service control policies attached (")
    assert "ConstraintViolationException (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED)" in line
    assert _room(control_tower[:4]) == (
        f"SCPs of {OU}: PASS 4 of 5 service control policies attached: room for "
        "api-alerts-protect-alert-forwarding"
    )
    ours = [*control_tower[:4], _policy("api-alerts-protect-alert-forwarding")]
    assert _room(ours) == (
        f"SCPs of {OU}: PASS 5 of 5 service control policies attached, "
        "api-alerts-protect-alert-forwarding among them"
    )


# ---- the whole command, in moto ----


def stubbed_cloudformation(monkeypatch, home: str = "ap-northeast-1") -> Stubber:
    """boto3 sessions' CloudFormation client, answered by the Stubber returned (not yet active):
    moto's CloudFormation needs packages the project does not install, and would report every
    instance SUCCEEDED anyway."""
    cloudformation = _client("cloudformation", home)
    boto_client = boto3.Session.client

    def client(session, service, *args, **kwargs):
        if service == "cloudformation":
            assert kwargs["region_name"] == home  # the StackSet's home
            return cloudformation
        return boto_client(session, service, *args, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", client)
    return Stubber(cloudformation)


def instances_everywhere(stubber: Stubber, regions: list[str]) -> None:
    """ListStackInstances answers: two members, in every region, CURRENT and SUCCEEDED."""
    _instances_answer(stubber, [_instance(a, r) for a in (MEMBER, OTHER) for r in regions])


SECURITY = "123456789012"  # moto's default account: the credentials make verify runs with
MANAGEMENT = "999988887777"


@pytest.fixture
def organization_project(tmp_path, monkeypatch):
    """moto's organization (its ids), the management account's trail, and a project folder
    configured and synthesized for them. The security account's CloudFormation client answers
    ListStackInstances from Stubber (moto's CloudFormation needs packages the project does not
    install, and would report every instance SUCCEEDED anyway)."""
    for name in ("AWS_PROFILE", "CDKTF_OUTDIR", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        monkeypatch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
        organizations = boto3.client("organizations", region_name="us-east-1")
        organization_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = organizations.list_roots()["Roots"][0]["Id"]
        ous = [
            organizations.create_organizational_unit(ParentId=root, Name=name)[
                "OrganizationalUnit"
            ]["Id"]
            for name in ("prod", "dev")
        ]
        s3 = boto3.client("s3", region_name="ap-northeast-1")
        s3.create_bucket(
            Bucket="api-alerts-trail-example",
            CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"},
        )
        cloudtrail = boto3.client("cloudtrail", region_name="ap-northeast-1")
        cloudtrail.create_trail(
            Name="api-alerts-trail",
            S3BucketName="api-alerts-trail-example",
            IsMultiRegionTrail=True,
            IsOrganizationTrail=True,
        )
        cloudtrail.start_logging(Name="api-alerts-trail")
        monkeypatch.delenv("MOTO_ACCOUNT_ID")
        stubber = stubbed_cloudformation(monkeypatch)
        organization = {
            **ORGANIZATION,
            "securityAccount": SECURITY,
            "organizationId": organization_id,
            "organizationalUnits": ous,
        }
        context = {**ORG_CONTEXT, "organization": organization}
        synthesize_to(parse_config(context, {}), tmp_path / "cdktf.out")
        (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
        monkeypatch.chdir(tmp_path)
        with stubber:
            yield organizations, cloudtrail, ous, stubber


def _instances_answer(stubber: Stubber, page: list[dict]) -> None:
    stubber.add_response(
        "list_stack_instances",
        {"Summaries": page},
        {"StackSetName": STACK_SET, "CallAs": "DELEGATED_ADMIN"},
    )


def _run(capsys, *args: str) -> tuple[int, dict[str, str]]:
    code = verify.main(["--organization-only", *args], {})
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    return code, {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines}


def test_verify_checks_the_members_as_the_management_role_in_moto(organization_project, capsys):
    organizations, cloudtrail, ous, stubber = organization_project
    regions = [p.region for p in parse_config(ORG_CONTEXT, {}).region_plans()]
    _instances_answer(
        stubber, [_instance(account, r) for account in (MEMBER, OTHER) for r in regions]
    )
    code, lines = _run(capsys, "--management")
    assert code == 0, lines
    assert lines[f"stack set {STACK_SET}"].startswith("PASS 12 stack instances, 2 accounts")
    trail = f"arn:aws:cloudtrail:ap-northeast-1:{MANAGEMENT}:trail/api-alerts-trail"
    assert lines["organization trail"].startswith(f"PASS {trail} is logging")
    for ou in ous:
        assert lines[f"SCPs of {ou}"] == (
            "PASS 1 of 5 service control policies attached: room for "
            "api-alerts-protect-alert-forwarding"
        )
    # The trail stopped, and an OU full of guardrails.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_ACCOUNT_ID", MANAGEMENT)
        cloudtrail.stop_logging(Name="api-alerts-trail")
        for n in range(4):
            policy = organizations.create_policy(
                Name=f"guardrail-{n}",
                Description="example",
                Type="SERVICE_CONTROL_POLICY",
                Content=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Deny", "Action": "s3:x", "Resource": "*"}],
                    }
                ),
            )["Policy"]["PolicySummary"]["Id"]
            organizations.attach_policy(PolicyId=policy, TargetId=ous[0])
    _instances_answer(
        stubber, [_instance(account, r) for account in (MEMBER, OTHER) for r in regions]
    )
    code, lines = _run(capsys, "--management")
    assert code == 1
    assert lines["organization trail"].startswith(f"FAIL {trail} is not logging")
    assert lines[f"SCPs of {ous[0]}"].startswith("FAIL 5 of 5 service control policies attached")
    assert lines[f"SCPs of {ous[1]}"].startswith("PASS 1 of 5")


def test_without_management_the_managements_checks_are_skipped_and_existing_trails_noted(
    organization_project, capsys
):
    stubber = organization_project[-1]
    _instances_answer(stubber, [])
    code, lines = _run(capsys)
    assert code == 1  # no instance
    assert lines["organization trail"].startswith("SKIP")
    assert lines["forwarding guard"].startswith("SKIP")
    project = Path("cdktf.json")
    document = json.loads(project.read_text())
    document["context"]["organization"]["memberTrails"] = "existing"
    project.write_text(json.dumps(document))
    synthesize_to(parse_config(document["context"], {}), Path("cdktf.out"))  # make synth again
    _instances_answer(stubber, [])
    _, lines = _run(capsys)
    assert "organization trail" not in lines
    assert lines["member trails"].startswith(
        'NOTE memberTrails is "existing": verify cannot see the member accounts\' own trails'
    )


def test_organization_flags_without_an_organization_say_so_in_one_line(
    tmp_path, monkeypatch, capsys
):
    from tests.conftest import TEST_CONTEXT

    without_management = {
        **ORG_CONTEXT,
        "organization": {
            **{k: v for k, v in ORGANIZATION.items() if k != "management"},
            "memberTrails": "existing",
        },
    }
    monkeypatch.chdir(tmp_path)
    for context, flag, words in (
        (TEST_CONTEXT, "--organization-only", "the configuration has no organization"),
        (without_management, "--management", "has no organization.management"),
    ):
        (tmp_path / "cdktf.json").write_text(json.dumps({"context": context}))
        assert verify.main([flag], {}) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1
        assert words in captured.err
