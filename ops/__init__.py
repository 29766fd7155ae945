"""Operator commands: `python -m ops selftest`, `verify`, `deployer-policy`, `readiness` and
`replay` (or `make selftest`, `make verify`, ...).

They share one way to find what was deployed (ops.context): the validated configuration, the
synthesized stacks in cdktf.out, and boto3's default credentials for those that call AWS
(selftest, verify). models.cloudtrail_records places and wraps CloudTrail records as EventBridge
does, for `replay` and the tests; models.event_patterns matches EventBridge patterns as AWS documents
them, ops.cloudtrail_logs reads a trail bucket's files, ops.athena writes replay as Athena SQL.
"""
