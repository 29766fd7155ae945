"""Operator commands, run after `cdktf deploy` against the user's AWS account.

`python -m ops selftest`, `verify` and `deployer-policy` (or `make selftest`, `make verify`,
`make deployer-policy`). They share one way to find what was deployed (ops.context): the
validated configuration, the synthesized stacks in cdktf.out, and boto3's default credentials.
"""
