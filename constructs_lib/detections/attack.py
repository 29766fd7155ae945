"""MITRE ATT&CK and Stratus Red Team, as the catalog's attack tags name them. Plain data.

ATT&CK: Enterprise matrix v17 (April 2025), the identifiers Panther's rules (panther-labs/
panther-analysis, each rule's "MITRE ATT&CK" report) and SigmaHQ's AWS rules used before their
move to v19; a detection's ``attack`` entries are "tactic:technique" pairs in Panther's form,
e.g. "TA0005:T1562.008". https://attack.mitre.org/versions/v17/

Stratus Red Team: its 44 AWS techniques (DataDog/stratus-red-team at 7c9a7a5,
docs/attack-techniques/AWS/), each with the tactic Stratus files it under; 35 have published
detonation logs (docs/detonation-logs/), which `make coverage` replays (docs/detections.md,
Attack techniques; the logs are not part of this project). Those the catalog deliberately does not
cover, and why, are ``NOT_COVERED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

TACTICS: Mapping[str, str] = MappingProxyType(
    {
        "TA0001": "Initial Access",
        "TA0002": "Execution",
        "TA0003": "Persistence",
        "TA0004": "Privilege Escalation",
        "TA0005": "Defense Evasion",
        "TA0006": "Credential Access",
        "TA0007": "Discovery",
        "TA0008": "Lateral Movement",
        "TA0010": "Exfiltration",
        "TA0040": "Impact",
    }
)

TECHNIQUES: Mapping[str, str] = MappingProxyType(
    {
        "T1021.008": "Remote Services: Direct Cloud VM Connections",
        "T1059": "Command and Scripting Interpreter",
        "T1078.004": "Valid Accounts: Cloud Accounts",
        "T1098": "Account Manipulation",
        "T1098.001": "Account Manipulation: Additional Cloud Credentials",
        "T1098.003": "Account Manipulation: Additional Cloud Roles",
        "T1496.004": "Resource Hijacking: Cloud Service Hijacking",
        "T1537": "Transfer Data to Cloud Account",
        "T1555": "Credentials from Password Stores",
        "T1555.006": "Credentials from Password Stores: Cloud Secrets Management Stores",
        "T1562.007": "Impair Defenses: Disable or Modify Cloud Firewall",
        "T1562.008": "Impair Defenses: Disable or Modify Cloud Logs",
        "T1648": "Serverless Execution",
        "T1651": "Cloud Administration Command",
        "T1666": "Modify Cloud Resource Hierarchy",
    }
)

# Stratus Red Team's AWS techniques: id -> (Stratus's tactic, has published detonation logs).
STRATUS: Mapping[str, tuple[str, bool]] = MappingProxyType(
    {
        "aws.credential-access.ec2-get-password-data": ("Credential Access", True),
        "aws.credential-access.ec2-steal-instance-credentials": ("Credential Access", True),
        "aws.credential-access.secretsmanager-batch-retrieve-secrets": ("Credential Access", True),
        "aws.credential-access.secretsmanager-retrieve-secrets": ("Credential Access", True),
        "aws.credential-access.ssm-retrieve-securestring-parameters": ("Credential Access", True),
        "aws.defense-evasion.cloudtrail-delete": ("Defense Evasion", True),
        "aws.defense-evasion.cloudtrail-event-selectors": ("Defense Evasion", True),
        "aws.defense-evasion.cloudtrail-lifecycle-rule": ("Defense Evasion", False),
        "aws.defense-evasion.cloudtrail-stop": ("Defense Evasion", True),
        "aws.defense-evasion.dns-delete-logs": ("Defense Evasion", True),
        "aws.defense-evasion.organizations-leave": ("Defense Evasion", True),
        "aws.defense-evasion.vpc-remove-flow-logs": ("Defense Evasion", True),
        "aws.discovery.ec2-download-user-data": ("Discovery", True),
        "aws.discovery.ec2-enumerate-from-instance": ("Discovery", False),
        "aws.discovery.ses-enumerate": ("Discovery", False),
        "aws.execution.ec2-launch-unusual-instances": ("Execution", True),
        "aws.execution.ec2-user-data": ("Execution", True),
        "aws.execution.sagemaker-update-lifecycle-config": ("Execution", False),
        "aws.execution.ssm-send-command": ("Execution", True),
        "aws.execution.ssm-start-session": ("Execution", True),
        "aws.exfiltration.ec2-security-group-open-port-22-ingress": ("Exfiltration", True),
        "aws.exfiltration.ec2-share-ami": ("Exfiltration", True),
        "aws.exfiltration.ec2-share-ebs-snapshot": ("Exfiltration", True),
        "aws.exfiltration.rds-share-snapshot": ("Exfiltration", True),
        "aws.exfiltration.s3-backdoor-bucket-policy": ("Exfiltration", False),
        "aws.impact.bedrock-invoke-model": ("Impact", True),
        "aws.impact.ec2-deregister-ami": ("Impact", False),
        "aws.impact.s3-ransomware-batch-deletion": ("Impact", False),
        "aws.impact.s3-ransomware-client-side-encryption": ("Impact", False),
        "aws.impact.s3-ransomware-individual-deletion": ("Impact", False),
        "aws.initial-access.console-login-without-mfa": ("Initial Access", True),
        "aws.lateral-movement.ec2-instance-connect": ("Lateral Movement", True),
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key": ("Lateral Movement", True),
        "aws.persistence.iam-backdoor-role": ("Persistence", True),
        "aws.persistence.iam-backdoor-user": ("Persistence", True),
        "aws.persistence.iam-create-admin-user": ("Persistence", True),
        "aws.persistence.iam-create-backdoor-role": ("Persistence", True),
        "aws.persistence.iam-create-user-login-profile": ("Persistence", True),
        "aws.persistence.lambda-backdoor-function": ("Persistence", True),
        "aws.persistence.lambda-layer-extension": ("Persistence", True),
        "aws.persistence.lambda-overwrite-code": ("Persistence", True),
        "aws.persistence.rolesanywhere-create-trust-anchor": ("Persistence", True),
        "aws.persistence.sts-federation-token": ("Persistence", True),
        "aws.privilege-escalation.iam-update-user-login-profile": ("Privilege Escalation", True),
    }
)

# Stratus techniques no detection claims, and why (docs/detections.md prints them).
NOT_COVERED: Mapping[str, str] = MappingProxyType(
    {
        "aws.discovery.ec2-download-user-data": (
            "read-only and not worth the noise: Terraform's refresh reads the user data of every "
            "instance it manages (DescribeInstanceAttribute userData), so a count across "
            "principals cannot tell a plan from a harvest; the published detonation was refused, "
            "and CloudWatch.2's metric filter (cis) counts refused calls"
        ),
        "aws.discovery.ec2-enumerate-from-instance": (
            "read-only enumeration (Describe*, List*) by an instance role: one read is normal, and "
            "telling unusual ones apart needs a baseline per role, which neither engine keeps"
        ),
        "aws.discovery.ses-enumerate": (
            "read-only enumeration (GetAccountSendingEnabled, GetSendQuota, ListIdentities): the "
            "same calls are what the SES console makes on every visit"
        ),
        "aws.execution.sagemaker-update-lifecycle-config": (
            "no published detonation log to prove a rule on; UpdateNotebookInstance is a write "
            "any detection could add"
        ),
        "aws.impact.ec2-deregister-ami": (
            "DeregisterImage is routine image rotation in most accounts; no published detonation "
            "log"
        ),
        "aws.impact.s3-ransomware-batch-deletion": (
            "object deletions are S3 data events, which the trail does not record "
            "(docs/detections.md, Data events: what a data-event selector would cost)"
        ),
        "aws.impact.s3-ransomware-client-side-encryption": (
            "object copies and deletions are S3 data events, which the trail does not record"
        ),
        "aws.impact.s3-ransomware-individual-deletion": (
            "object deletions are S3 data events, which the trail does not record"
        ),
    }
)
