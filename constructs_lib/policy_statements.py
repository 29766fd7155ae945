"""The one shape every service grant here takes: a named service, named actions, bound to our sources.

A service principal is always confined with ``aws:SourceArn`` (ArnLike: one of our resources or
a name pattern of ours) and ``aws:SourceAccount`` (this account), against the confused deputy:
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)


def allow_service_from(
    sid: str,
    service: str,
    actions: Sequence[str],
    resources: Sequence[str] | None,
    *,
    source_arn: str,
    account_id: str,
) -> DataAwsIamPolicyDocumentStatement:
    """Allow ``service`` (e.g. "events.amazonaws.com") only on behalf of ``source_arn`` here."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Allow",
        principals=[
            DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])
        ],
        actions=list(actions),
        resources=list(resources) if resources is not None else None,
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(
                test="ArnLike", variable="aws:SourceArn", values=[source_arn]
            ),
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="aws:SourceAccount", values=[account_id]
            ),
        ],
    )
