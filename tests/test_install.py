"""The install path (scripts/install.py): Pipfile.lock's pins, only what a command needs, and a
distribution's externally managed Python (PEP 668) used only to create the virtual environment."""

from __future__ import annotations

import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import background
from tests.check_cache import Check, app_files

PROJECT = Path(__file__).resolve().parent.parent
DEBIAN_PYTHON = Path("/usr/bin/python3")


def _installer():
    spec = importlib.util.spec_from_file_location("install", PROJECT / "scripts" / "install.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _names(lines: list[str]) -> set[str]:
    return {line.split("==")[0] for line in lines}


def test_runtime_is_the_locked_default_section_and_dev_adds_the_tooling():
    install = _installer()
    runtime, dev = install.requirements(("default",)), install.requirements(("default", "develop"))
    assert {"cdktf", "cdktf-cdktf-provider-aws", "constructs", "boto3"} <= _names(runtime)
    assert not {"pytest", "moto", "checkov", "ruff"} & _names(runtime)
    assert {"pytest", "moto", "checkov", "ruff"} <= _names(dev)
    for line in dev:
        rest = line.split("==", 1)[1]
        assert rest[0].isdigit() and " --hash=sha256:" in rest, line


def test_the_system_python_only_creates_the_venv(tmp_path, monkeypatch):
    """Under PEP 668 a distribution's python refuses `pip install`: ours never asks it to."""
    install = _installer()
    monkeypatch.setattr(install, "VENV", tmp_path / ".venv")
    created, commands = [], []

    class Builder:
        def __init__(self, **options):
            created.append(options)

        def create(self, folder):
            (Path(folder) / "bin").mkdir(parents=True)

    monkeypatch.setattr(install.venv, "EnvBuilder", Builder)
    monkeypatch.setattr(
        install.subprocess, "run", lambda argv, **kw: commands.append(argv) or _done(argv)
    )
    install.install("runtime")
    assert created == [{"with_pip": True, "clear": True}]
    venv_python = tmp_path / ".venv" / "bin" / "python"
    pip = [argv for argv in commands if "pip" in map(str, argv)]
    assert pip and all(Path(argv[0]) == venv_python for argv in pip)
    assert "--require-hashes" in pip[0] and "--no-deps" in pip[0]


def _done(argv):
    return subprocess.CompletedProcess(argv, 0, stdout="", stderr="")


@pytest.mark.parametrize("origin", ["file", "command line", "environment"])
def test_a_venv_of_another_python_is_reused_or_named_never_rebuilt(tmp_path, monkeypatch, origin):
    """`make synth PYTHON=python3.13` then a plain `make test`: the .venv stays 3.13; asking for
    another Python explicitly says to run make clean."""
    install = _installer()
    monkeypatch.setattr(install, "VENV", tmp_path / ".venv")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    other = "3.12" if sys.version_info[:2] != (3, 12) else "3.13"
    python.write_text(f"#!/bin/sh\necho {other}\n")
    python.chmod(0o755)
    monkeypatch.setenv("PYTHON_ORIGIN", origin)
    monkeypatch.setattr(install.venv, "EnvBuilder", lambda **kw: pytest.fail("rebuilt .venv"))
    if origin == "file":
        assert install.ensure_venv() == python
    else:
        with pytest.raises(install.InstallError, match=f".venv holds Python {other}, not the"):
            install.ensure_venv()


def test_an_unsupported_python_is_one_line(monkeypatch, capsys):
    install = _installer()
    monkeypatch.setattr(install.sys, "version_info", (3, 10, 14))
    assert install.main(["runtime"]) == 2
    assert capsys.readouterr().err.startswith("install error: Python ")


STOCK_PYTHON_USABLE = DEBIAN_PYTHON.exists() and shutil.which("node")


@background.job
def _stock_python_install() -> dict[str, object]:
    """Copy the tracked files, install with the distribution's python3, synthesize."""
    if not STOCK_PYTHON_USABLE:
        return {}
    stdlib, python_version = subprocess.run(
        [
            DEBIAN_PYTHON,
            "-c",
            "import sys, sysconfig; print(sysconfig.get_path('stdlib')); print(sys.version)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n", 1)
    marker = Path(stdlib) / "EXTERNALLY-MANAGED"
    if not marker.exists():
        return {"skip": f"{DEBIAN_PYTHON} is not externally managed"}
    # Cached (tests/check_cache.py) by what it reads: the project's files but the tests and the
    # documentation, the distribution's Python and its PEP 668 marker.
    cached = Check.of(
        "stock-python-install",
        *app_files(),
        python_version,
        marker,
        inspect.getsource(_stock_python_install),
        inspect.getsource(_install_and_synthesize),
    )
    return {"cached": cached, **cached.run(_install_and_synthesize)}


def _install_and_synthesize() -> dict[str, object]:
    refused = subprocess.run(
        [DEBIAN_PYTHON, "-m", "pip", "install", "--dry-run", "six"], capture_output=True, text=True
    )
    folder = background.scratch("stock-python-")
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        if (PROJECT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, folder / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    installed = subprocess.run(
        [DEBIAN_PYTHON, "scripts/install.py", "runtime"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    synthesized = subprocess.run(
        [folder / ".venv" / "bin" / "python", "main.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    stacks = folder / "cdktf.out" / "stacks"
    return {
        "pip refused": refused.returncode != 0,
        "installed": (installed.returncode, installed.stderr[-2000:]),
        "synthesized": (synthesized.returncode, synthesized.stderr[-2000:]),
        "stacks": sorted(p.name for p in stacks.iterdir()) if stacks.is_dir() else [],
    }


@pytest.mark.skipif(
    not STOCK_PYTHON_USABLE,
    reason="no distribution python3 at /usr/bin/python3 (or no Node.js) on this machine",
)
def test_a_stock_debian_python_installs_and_synthesizes():
    """The real thing: the distribution's python3, externally managed, from a clean copy."""
    found = background.result(_stock_python_install)
    if "skip" in found:
        pytest.skip(found["skip"])
    assert found["pip refused"]  # PEP 668 (or no pip at all): nothing goes in by pip
    assert found["installed"][0] == 0, found["installed"][1]
    assert found["synthesized"][0] == 0, found["synthesized"][1]
    assert found["stacks"] == ["ap-northeast-1", "us-east-1"]
    cached = found.pop("cached")
    cached.remember(found)
