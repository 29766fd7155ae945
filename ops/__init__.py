"""Operator commands, run after `cdktf deploy` against the user's AWS account.

`python -m ops selftest` and `python -m ops verify` (or `make selftest`, `make verify`). They
share one way to find what was deployed (ops.context): the validated configuration, the
synthesized stacks in cdktf.out, and boto3's default credentials.
"""
