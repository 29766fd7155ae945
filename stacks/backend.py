"""Where a stack keeps its Terraform state, and the Terraform it needs."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack

from config import StateBackend

# The oldest Terraform our output runs on: the cdktf CLI's requirement (Terraform 1.2+,
# https://developer.hashicorp.com/terraform/tutorials/cdktf/cdktf-install), and 1.10 with the S3
# backend's use_lockfile (S3-native locking, added in Terraform 1.10).
REQUIRED_VERSION = ">= 1.2.0"
REQUIRED_VERSION_S3_LOCKFILE = ">= 1.10.0"


def use_backend(stack: TerraformStack, name: str, backend: StateBackend | None) -> None:
    """State for the stack ``name``: <key_prefix>/<name>.tfstate in S3, or a local file."""
    if backend:
        S3Backend(
            stack,
            bucket=backend.bucket,
            key=f"{backend.key_prefix}/{name}.tfstate",
            region=backend.region,
            encrypt=True,
        )
        if backend.lockfile:
            # S3-native locking (Terraform 1.10+), which cdktf's S3Backend does not expose.
            stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        # Relative to cdktf.out/stacks/<stack>/, where terraform runs: state stays in the
        # project folder, outside the output every synth replaces, with no absolute paths.
        LocalBackend(stack, path=f"../../../terraform.{name}.tfstate")
    lockfile = bool(backend and backend.lockfile)
    stack.add_override(
        "terraform.required_version",
        REQUIRED_VERSION_S3_LOCKFILE if lockfile else REQUIRED_VERSION,
    )
