"""Install what a command needs into ./.venv, exactly as Pipfile.lock pins it: `make install`.

`python3 scripts/install.py runtime` (what `make synth` and the operator commands need) or
`dev` (that and the test tooling, for `make test`). Standard library only, so it runs on any
Python 3.11 to 3.13, including a distribution's "externally managed" one (PEP 668): the system
interpreter only creates the virtual environment, and pip runs inside it, installing every
package at the locked version and hash (--require-hashes), without resolving anything.
Pipfile and Pipfile.lock stay the one source of versions (`pipenv lock` updates them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
VENV = PROJECT / ".venv"
LOCK = PROJECT / "Pipfile.lock"
SUPPORTED = ((3, 11), (3, 12), (3, 13))
SECTIONS = {"runtime": ("default",), "dev": ("default", "develop")}
PROVIDER = "cdktf_cdktf_provider_aws"
# Where the app imports provider bindings from.
APP_SOURCES = ("main.py", "config.py", "constructs_lib", "stacks", "ops")


class InstallError(Exception):
    """One line for the user; exit status 2."""


def requirements(sections: tuple[str, ...], lock: Path = LOCK) -> list[str]:
    """pip requirement lines, pinned and hashed, for these sections of the lock."""
    data = json.loads(lock.read_text(encoding="utf-8"))
    pinned: dict[str, dict] = {}
    for section in sections:
        for name, entry in data[section].items():
            if name in pinned and pinned[name]["version"] != entry["version"]:
                raise InstallError(f"Pipfile.lock pins {name} twice: run pipenv lock")
            pinned[name] = entry
    lines = []
    for name, entry in sorted(pinned.items()):
        if "version" not in entry or not entry.get("hashes"):
            raise InstallError(f"Pipfile.lock has no pinned, hashed version of {name}")
        marker = f" ; {entry['markers']}" if entry.get("markers") else ""
        hashes = " ".join(f"--hash={h}" for h in entry["hashes"])
        lines.append(f"{name}{entry['version']}{marker} {hashes}")
    return lines


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    if sys.version_info[:2] not in SUPPORTED:
        raise InstallError(
            f"Python {sys.version.split()[0]} is not supported: use 3.11, 3.12 or 3.13 "
            "(make PYTHON=python3.12 ...)"
        )
    python = _venv_python()
    if python.exists():
        found = subprocess.run(
            [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:2])))"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        wanted = ".".join(map(str, sys.version_info[:2]))
        if found == wanted:
            return python
        if found and tuple(map(int, found.split("."))) in SUPPORTED:
            # A .venv of another supported Python: used as it is, unless this one was asked for.
            if os.environ.get("PYTHON_ORIGIN", "file") in ("file", "default", "undefined"):
                return python
            raise InstallError(
                f".venv holds Python {found}, not the {wanted} of PYTHON={sys.executable}: "
                "run make clean first to switch"
            )
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except (OSError, subprocess.CalledProcessError) as error:  # ensurepip missing, mostly
        raise InstallError(
            f"could not create .venv with {sys.executable} ({error}): on Debian or Ubuntu, "
            "install the venv module first: sudo apt-get install python3-venv"
        ) from None
    return python


def used_provider_modules(project: Path = PROJECT) -> set[str]:
    """The provider submodules the app imports, of its 2,222 (provider_import.py)."""
    used = {"_jsii"}
    for source in APP_SOURCES:
        path = project / source
        for module in [path] if path.suffix == ".py" else path.rglob("*.py"):
            used |= set(re.findall(rf"{PROVIDER}\.(\w+)", module.read_text(encoding="utf-8")))
    return used


def compile_bytecode(python: Path, kind: str) -> None:
    """Write the bytecode a command will load, since Python may not (PYTHONDONTWRITEBYTECODE).

    runtime: for `python -O main.py` (provider_import.py, step 3), without the provider modules
    the app never imports; dev: everything, for pytest and the eager-import test.
    """
    command = [python, "-m", "compileall", "-q", "-j", "0"]
    if kind == "runtime":
        keep = "|".join(sorted(used_provider_modules()))
        command[1:1] = ["-O"]
        command += ["-x", rf"/{PROVIDER}/(?!(?:{keep})/)[^/]+/"]
    subprocess.run([*command, VENV / "lib"], check=True, stdout=subprocess.DEVNULL)


def install(kind: str) -> None:
    python = ensure_venv()
    lines = requirements(SECTIONS[kind])
    pinned = VENV / f"requirements-{kind}.txt"
    pinned.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # --no-compile: pip compiles serially, and all 2,222 provider modules; compile_bytecode
    # compiles in parallel only what the command loads.
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--no-deps",
            "--require-hashes",
            "--requirement",
            pinned,
        ],
        check=True,
    )
    compile_bytecode(python, kind)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SECTIONS:
        print(f"usage: scripts/install.py {{{','.join(SECTIONS)}}}", file=sys.stderr)
        return 2
    try:
        install(argv[0])
    except InstallError as error:
        print(f"install error: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(
            f"install error: {error.cmd[1:4]} failed with exit status {error.returncode}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
