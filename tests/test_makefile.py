"""The Makefile's targets do what the docs say, run by make itself in a scratch folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _make(folder: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_clean_keeps_terraforms_lock_files_and_the_written_policies(tmp_path):
    """docs/teardown.md: keep .terraform.lock.hcl (the providers' checksums)."""
    shutil.copy(PROJECT / "Makefile", tmp_path)
    kept = [
        "cdktf.out/stacks/us-east-1/.terraform.lock.hcl",
        "deployer-policy.json",
        "management-policy.json",
        "terraform.tfstate",
    ]
    gone = [
        ".venv/bin/python",
        ".pytest_cache/v/x",
        "cdktf.out/manifest.json",
        "cdktf.out/stacks/us-east-1/cdk.tf.json",
        "cdktf.out/stacks/us-east-1/.terraform/providers/aws",
        "cdktf.out/stacks/eu-west-1/cdk.tf.json",
    ]
    for name in kept + gone:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    _make(tmp_path, "clean")
    assert all((tmp_path / name).exists() for name in kept)
    assert not any((tmp_path / name).exists() for name in gone)
    assert not (tmp_path / "cdktf.out/stacks/eu-west-1").exists()


@pytest.mark.parametrize(
    ("arguments", "written"),
    [
        ((), "deployer-policy.json"),
        (("ARGS=--management",), "management-policy.json"),
        (("ARGS=--management --output mine.json",), "mine.json"),
    ],
)
def test_make_deployer_policy_passes_args_and_never_overwrites_the_other_policy(
    tmp_path, arguments, written
):
    """`make deployer-policy ARGS=...` (docs/operations.md, docs/organization.md) hands ARGS to
    the command, which picks each role's file unless --output names one."""
    from ops import deployer_policy

    shutil.copy(PROJECT / "Makefile", tmp_path)
    (tmp_path / ".venv").mkdir()
    for name in ("Pipfile.lock", "scripts/install.py", ".venv/.runtime"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    command = _make(tmp_path, "-n", "deployer-policy", *arguments).split()
    assert command[:4] == [".venv/bin/python", "-m", "ops", "deployer-policy"]
    args = deployer_policy.parser().parse_args(command[4:])
    assert str(deployer_policy.output_of(args)) == written
