"""Organization mode's checks for `make verify`: does every member forward, and can it?

- The StackSet's instances, as its delegated administrator (the security account) sees them:
  each account and region must have one, ``CURRENT`` ("The stack is currently up to date with
  the StackSet") and ``SUCCEEDED`` (CloudFormation API reference, StackInstanceSummary and
  StackInstanceComprehensiveStatus). A member without one forwards nothing from that region.
- With ``--management`` (``organization.management.roleArn``, the role the management stack
  deploys with):
  - the organization trail (``memberTrails`` "organization") must be logging: EventBridge sees a
    member's API calls only while a trail logs them ("To record events with one of the
    CloudTrail detail-type values, you must enable a CloudTrail trail with logging", EventBridge
    guide, eb-service-event-cloudtrail.html); ``GetTrailStatus`` gives ``IsLogging`` and
    ``LatestDeliveryError``;
  - with ``protectForwarding``, each configured OU or root must have room for the guard's SCP:
    at most 5 SCPs attached directly to a root, OU or account (Organizations guide,
    orgs_reference_limits.html), ``FullAWSAccess`` included; a sixth fails with
    ``ConstraintViolationException``, reason ``MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``
    (Organizations API reference, AttachPolicy).
Each check is one line, "<subject>: <PASS|FAIL|SKIP|NOTE> <why and what to do>".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from config import MonitorConfig
from constructs_lib.organization.member_template import forwarding_stack_name
from models import limits
from ops.context import OpsError, synthesized_documents

MAX_SCPS_PER_TARGET = limits.SCPS_PER_TARGET.value  # directly attached to one root, OU, account
# A stack instance that forwards as the StackSet says (StackInstanceSummary.Status and
# StackInstanceComprehensiveStatus.DetailedStatus).
CURRENT, SUCCEEDED = "CURRENT", "SUCCEEDED"


@dataclass(frozen=True)
class Finding:
    subject: str
    status: str  # PASS, FAIL, SKIP (not checked this run) or NOTE (verify cannot check it)
    why: str

    @property
    def line(self) -> str:
        return f"{self.subject}: {self.status} {self.why}"


@dataclass(frozen=True)
class MemberDeployment:
    """What the synthesized stacks say the organization's checks look for."""

    stack_set: str
    home_region: str
    regions: tuple[str, ...]  # every region the StackSet deploys to
    trail_name: str | None  # the organization trail's, in the management stack
    trail_region: str | None
    guard_policy: str | None  # the forwarding guard SCP's name


def member_deployment(settings: MonitorConfig, environ: Mapping[str, str]) -> MemberDeployment:
    documents = synthesized_documents(settings, environ)
    home = documents[settings.home_region].get("resource", {})
    (instances,) = home["aws_cloudformation_stack_instances"].values()
    trail_name = trail_region = guard = None
    organization = settings.organization
    assert organization is not None
    if organization.management:
        (management,) = synthesized_documents(settings, environ, management=True).values()
        resources = management.get("resource", {})
        regions = {
            f"aws.{p['alias']}": p["region"] for p in management["provider"]["aws"] if "alias" in p
        }
        for trail in resources.get("aws_cloudtrail", {}).values():
            trail_name, trail_region = trail["name"], regions[trail["provider"]]
        for policy in resources.get("aws_organizations_policy", {}).values():
            guard = policy["name"]
    return MemberDeployment(
        stack_set=forwarding_stack_name(settings.name_prefix),
        home_region=settings.home_region,
        regions=tuple(instances["regions"]),
        trail_name=trail_name,
        trail_region=trail_region,
        guard_policy=guard,
    )


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _instance_advice(summary: Mapping[str, Any], stack_set: str) -> str:
    """What to do about one stack instance that is not CURRENT and SUCCEEDED."""
    account, region = summary["Account"], summary["Region"]
    detailed = summary.get("StackInstanceStatus", {}).get("DetailedStatus", "unknown")
    status = f"{summary.get('Status', 'unknown')}, {detailed}"
    reason = summary.get("StatusReason")
    said = f"{status}{f' ({reason})' if reason else ''}"
    if detailed in ("PENDING", "RUNNING"):
        return (
            f"{said}: a StackSet operation is still running there; run make verify again when "
            f"`aws cloudformation list-stack-set-operations --stack-set-name {stack_set} "
            "--call-as DELEGATED_ADMIN` shows it ended"
        )
    if detailed == "SKIPPED_SUSPENDED_ACCOUNT":
        return f"{said}: the account was suspended when the operation ran; it forwards nothing"
    if detailed in ("INOPERABLE", "FAILED_IMPORT") or summary.get("Status") == "INOPERABLE":
        # "You might need to perform a DeleteStackInstances operation, with RetainStacks set to
        # true, to delete the stack instance, and then delete the stack manually" (API reference).
        return (
            f"{said}: the stack there is unstable and forwards nothing reliably; delete the "
            "instance with --retain-stacks, delete the stack in that account, then deploy the "
            "home stack again"
        )
    target = summary.get("OrganizationalUnitId")
    targets = (
        f"OrganizationalUnitIds={target},Accounts={account},AccountFilterType=INTERSECTION"
        if target
        else f"Accounts={account}"
    )
    return (
        f"{said}: its forwarding there is missing or out of date; read the stack's events in that "
        f"account, fix the cause, then `aws cloudformation update-stack-instances "
        f"--stack-set-name {stack_set} --call-as DELEGATED_ADMIN --regions {region} "
        f"--deployment-targets {targets}`"
    )


def member_accounts(organizations: Any, units: tuple[str, ...], excluded: set[str]) -> set[str]:
    """The active accounts under ``units`` (OUs, and the OUs under them), but ``excluded``:
    what the StackSet's instances must cover. ListAccountsForParent and ListChildren "You can
    only call this operation from the management account or a member account that is a
    delegated administrator" (Organizations API reference), as the security account is."""
    found: set[str] = set()
    pending = list(units)
    while pending:
        parent = pending.pop()
        for page in organizations.get_paginator("list_accounts_for_parent").paginate(
            ParentId=parent
        ):
            found |= {a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"}
        for page in organizations.get_paginator("list_children").paginate(
            ParentId=parent, ChildType="ORGANIZATIONAL_UNIT"
        ):
            pending += [child["Id"] for child in page["Children"]]
    return found - excluded


def stack_instances(
    cloudformation: Any, deployment: MemberDeployment, expected: set[str] | None = None
) -> list[Finding]:
    """Every member account has the forwarding stack in every region, up to date
    (``expected``: the accounts that must have one, where known)."""
    name = deployment.stack_set
    summaries: list[dict[str, Any]] = []
    try:
        pages = cloudformation.get_paginator("list_stack_instances").paginate(
            StackSetName=name, CallAs="DELEGATED_ADMIN"
        )
        for page in pages:
            summaries += page["Summaries"]
    except Exception as error:  # botocore's ClientError, without importing it at module load
        if _error_code(error) != "StackSetNotFoundException":
            raise
        return [
            Finding(
                f"stack set {name}",
                "FAIL",
                f"not found in {deployment.home_region} as delegated administrator: deploy the "
                "home stack, from the account registered as StackSets' delegated administrator "
                "(docs/organization.md, Deployment order)",
            )
        ]
    if not summaries:
        return [
            Finding(
                f"stack set {name}",
                "FAIL",
                "has no stack instance: no member forwards anything; deploy the home stack "
                "again, and check that organizationalUnits hold the member accounts",
            )
        ]
    findings = []
    for summary in summaries:
        detailed = summary.get("StackInstanceStatus", {}).get("DetailedStatus")
        if summary.get("Status") != CURRENT or detailed != SUCCEEDED:
            findings.append(
                Finding(
                    f"stack instance {summary['Account']} {summary['Region']}",
                    "FAIL",
                    _instance_advice(summary, name),
                )
            )
    accounts = sorted({s["Account"] for s in summaries})
    present = {(s["Account"], s["Region"]) for s in summaries}
    for account in sorted((expected or set()) - set(accounts)):
        findings.append(
            Finding(
                f"stack instance {account}",
                "FAIL",
                "none in any region: this account of the OUs forwards nothing (it joined while "
                "suspended, or automatic deployment skipped it); deploy the home stack again, "
                "or `aws cloudformation create-stack-instances` for it",
            )
        )
    for account in accounts:
        for region in deployment.regions:
            if (account, region) not in present:
                findings.append(
                    Finding(
                        f"stack instance {account} {region}",
                        "FAIL",
                        "missing: this account forwards nothing from this region; deploy the "
                        "home stack again (its instances name every region)",
                    )
                )
    if not findings:
        findings.append(
            Finding(
                f"stack set {name}",
                "PASS",
                f"{len(summaries)} stack instances, {len(accounts)} accounts in "
                f"{len(deployment.regions)} regions, all {CURRENT} and {SUCCEEDED}",
            )
        )
    return findings


def organization_trail(cloudtrail: Any, trail_arn: str) -> Finding:
    """The organization trail is logging, and delivering."""
    subject = "organization trail"
    try:
        status = cloudtrail.get_trail_status(Name=trail_arn)
    except Exception as error:
        if _error_code(error) != "TrailNotFoundException":
            raise
        return Finding(
            subject,
            "FAIL",
            f"{trail_arn} not found: members' API calls reach no EventBridge rule; deploy the "
            "management stack",
        )
    if not status.get("IsLogging"):
        return Finding(
            subject,
            "FAIL",
            f"{trail_arn} is not logging: members' API calls reach no EventBridge rule; "
            f"`aws cloudtrail start-logging --name {trail_arn}` with the management role",
        )
    error = status.get("LatestDeliveryError")
    if error:
        return Finding(
            subject,
            "FAIL",
            f"{trail_arn} is logging but its last delivery to S3 failed ({error}): the audit "
            "log is not being written; check the trail bucket's policy (docs/architecture.md)",
        )
    delivered = status.get("LatestDeliveryTime")
    return Finding(
        subject,
        "PASS",
        f"{trail_arn} is logging"
        + (f", last delivery {delivered:%Y-%m-%d %H:%M} UTC" if delivered else "")
        + ", no delivery error",
    )


def scp_room(organizations: Any, targets: tuple[str, ...], policy_name: str) -> list[Finding]:
    """Each target carries the guard's SCP, or has room for it (5 attached at most)."""
    findings = []
    for target in targets:
        attached: list[str] = []
        pages = organizations.get_paginator("list_policies_for_target").paginate(
            TargetId=target, Filter="SERVICE_CONTROL_POLICY"
        )
        for page in pages:
            attached += [policy["Name"] for policy in page["Policies"]]
        count = f"{len(attached)} of {MAX_SCPS_PER_TARGET} service control policies attached"
        if policy_name in attached:
            findings.append(
                Finding(f"SCPs of {target}", "PASS", f"{count}, {policy_name} among them")
            )
        elif len(attached) >= MAX_SCPS_PER_TARGET:
            findings.append(
                Finding(
                    f"SCPs of {target}",
                    "FAIL",
                    f"{count} ({', '.join(attached)}): attaching {policy_name} fails with "
                    "ConstraintViolationException (MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED); "
                    "merge two of them into one, or set protectForwarding false",
                )
            )
        else:
            findings.append(
                Finding(f"SCPs of {target}", "PASS", f"{count}: room for {policy_name}")
            )
    return findings


def management_session(
    boto_session: Any, role_arn: str, name_prefix: str, command: str = "verify"
) -> Any:
    """A session as the management stack's role (the identity must be trusted by it), named
    after the command in the management account's CloudTrail."""
    import boto3

    try:
        credentials = boto_session.client("sts").assume_role(
            RoleArn=role_arn, RoleSessionName=f"{name_prefix}-{command}"
        )["Credentials"]
    except Exception as error:
        if not _error_code(error):
            raise
        raise OpsError(
            f"--management: cannot assume {role_arn} ({_error_code(error)}): run as the identity "
            "the role trusts (docs/organization.md, Deployment order)"
        ) from None
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def check(
    boto_session: Any,
    settings: MonitorConfig,
    deployment: MemberDeployment,
    management: Any | None,
) -> list[Finding]:
    """Every organization check this run can make (``management``: a session as its role)."""
    organization = settings.organization
    assert organization is not None
    # StackSets never deploys to the management account, and DIFFERENCE leaves out the security
    # account: both carry the template as a stack of their own.
    organizations = boto_session.client("organizations", region_name=settings.global_region)
    findings: list[Finding] = []
    try:
        organization_of = organizations.describe_organization()["Organization"]
        expected: set[str] | None = member_accounts(
            organizations,
            organization.organizational_units,
            {organization.security_account, organization_of["MasterAccountId"]},
        )
    except Exception as error:  # botocore's ClientError: not allowed, or not a member
        expected = None
        findings.append(
            Finding(
                "member accounts",
                "SKIP",
                f"cannot list the OUs' accounts from here ({_error_code(error) or error}): an "
                "account with no stack instance at all goes unseen; allow "
                "organizations:DescribeOrganization, ListAccountsForParent and ListChildren",
            )
        )
    findings += stack_instances(
        boto_session.client("cloudformation", region_name=deployment.home_region),
        deployment,
        expected,
    )
    if organization.member_trails == "existing":
        findings.append(
            Finding(
                "member trails",
                "NOTE",
                'memberTrails is "existing": verify cannot see the member accounts\' own trails; '
                "make sure each has a trail logging in every region the StackSet deploys to "
                "(`aws cloudtrail get-trail-status` in each account), or members forward nothing",
            )
        )
    elif management is None:
        findings.append(
            Finding(
                "organization trail",
                "SKIP",
                "its status is the management account's: run make verify ARGS=--management",
            )
        )
    else:
        assert organization.management and deployment.trail_name and deployment.trail_region
        arn = (
            f"arn:{settings.partition}:cloudtrail:{deployment.trail_region}:"
            f"{organization.management.account_id}:trail/{deployment.trail_name}"
        )
        trail_client = management.client("cloudtrail", region_name=deployment.trail_region)
        findings.append(organization_trail(trail_client, arn))
    if deployment.guard_policy:
        if management is None:
            findings.append(
                Finding(
                    "forwarding guard",
                    "SKIP",
                    "the OUs' SCPs are the management account's: run make verify ARGS=--management",
                )
            )
        else:
            # Organizations' endpoint is in the partition's global region (us-east-1 for aws).
            client = management.client("organizations", region_name=settings.global_region)
            findings += scp_room(client, organization.organizational_units, deployment.guard_policy)
    return findings
