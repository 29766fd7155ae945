"""Heavy checks whose result depends only on files we can name, remembered by a hash of them.

A check (checkov on the synthesized stacks, cfn-lint on the member template, the install with
the distribution's Python, the synthesis with and without the import shortcut) produces a value
that its test asserts on. Once the test has passed, the value is kept in the user cache
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``api-call-alerts/tests/``) under a sha256 of
everything the check reads: the files' contents, the tools' versions, the command. A later run
whose inputs hash the same takes the value from there, and the test asserts on it again; any
changed input is a miss, and a miss runs the check. ``API_ALERTS_TEST_CACHE=0`` runs every
check. docs/development.md's Tests section lists the cached checks and their keys.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
SWITCH = "API_ALERTS_TEST_CACHE"
KEEP = 4  # entries per check: a few branches' worth
# Not read by synthesis, install or the operator commands: the tests, the documentation, the
# benchmarks, and what the commands write.
NOT_APP = {".git", ".venv", ".ci", "tests", "docs", "benchmarks", "cdktf.out"}
NOT_APP_SUFFIXES = (".md", ".pyc")

# Checks whose value came from the cache in this process, for the run's closing summary.
REUSED: list[str] = []


def folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "api-call-alerts" / "tests"


def enabled() -> bool:
    return os.environ.get(SWITCH, "1") != "0"


@functools.cache
def app_files() -> tuple[Path, ...]:
    """Every file of the project that synthesis, the install or the operator commands may read:
    all but NOT_APP's folders and the Markdown, tracked or not (a new module counts at once)."""
    found = []
    for root, folders, files in os.walk(PROJECT):
        folders[:] = sorted(
            f
            for f in folders
            if not (root == str(PROJECT) and f in NOT_APP)
            and f not in ("__pycache__", ".pytest_cache", ".ruff_cache", ".terraform")
            and not f.startswith(".cdktf.out")
        )
        found += [
            Path(root, f)
            for f in sorted(files)
            # A worktree's .git is a file: the same project as a clone's.
            if not f.endswith(NOT_APP_SUFFIXES) and not (root == str(PROJECT) and f in NOT_APP)
        ]
    return tuple(found)


@functools.cache
def node_version() -> str:
    try:
        return subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except OSError:
        return "no node"


def digest(inputs: Iterable[str | bytes | Path]) -> str:
    """sha256 over the inputs in order: a file by its name and bytes, a folder by each file in it;
    text and bytes as they are."""
    total = hashlib.sha256()

    def add(label: bytes, data: bytes) -> None:
        total.update(len(label).to_bytes(8, "big") + label)
        total.update(len(data).to_bytes(8, "big") + data)

    for item in inputs:
        if isinstance(item, Path):
            paths = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
            for path in paths:
                # Named where it lies in the project, else within the folder given, so that a
                # temporary folder's name never enters the key.
                if path.is_relative_to(PROJECT):
                    name = path.relative_to(PROJECT)
                else:
                    name = path.relative_to(item) if item.is_dir() else Path(path.name)
                add(f"file:{name}".encode(), path.read_bytes())
        elif isinstance(item, bytes):
            add(b"bytes", item)
        else:
            add(b"text", item.encode())
    return total.hexdigest()


@dataclass(frozen=True)
class Check:
    """One check's cache entry: ``check = Check.of(name, *inputs)``; ``check.run(compute)``
    is the remembered value or compute()'s; ``check.remember(value)`` once the test passed."""

    name: str
    key: str

    @classmethod
    def of(cls, name: str, *inputs: str | bytes | Path) -> Check:
        # Every check's key holds the interpreter, the lock (the packages' versions) and Node.js.
        common = (sys.version, PROJECT / "Pipfile.lock", node_version())
        return cls(name, digest((*common, *inputs)))

    @property
    def path(self) -> Path:
        return folder() / f"{self.name}-{self.key[:32]}.pickle"

    def run(self, compute: Callable[[], Any]) -> Any:
        if enabled():
            try:
                value = pickle.loads(self.path.read_bytes())
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                pass
            else:
                REUSED.append(self.name)
                return value
        return compute()

    def remember(self, value: Any) -> None:
        """Keep the value (call it after the test's assertions); the oldest entries of this
        check beyond KEEP go."""
        if not enabled() or self.path.exists():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=self.path.parent, suffix=".partial")
            try:
                with os.fdopen(handle, "wb") as out:
                    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(partial, self.path)
            finally:
                if os.path.exists(partial):
                    os.unlink(partial)
            entries = sorted(
                self.path.parent.glob(f"{self.name}-*.pickle"),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            for stale in entries[KEEP:]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass  # no writable cache: the check runs every time, as before


# ---- synthesized configurations ----
# A configuration's synthesized output depends on the configuration and the project's files
# (app_files, with the lock, Python and Node.js): kept under folder()/synthesized/ by a hash of
# both, shared by the workers of a run (a file lock: one synthesizes, the others wait and copy)
# and by later runs. tests/test_stacks.py and tests/test_resources.py synthesize directly.

SYNTHESIZED_KEEP = 150  # configurations (about 1 MB each): three runs' worth of changes


def _canonical(value: Any) -> Any:
    """A configuration as plain JSON, the same in every process; TypeError for anything else."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")


def synthesized(settings: Any, synthesize: Callable[[Path], Any]) -> Path | None:
    """The cdktf.out of these settings: from the cache, else synthesize(folder) into it; None
    when the settings hold something without a canonical form, or the cache is not writable
    (the caller synthesizes itself)."""
    if not enabled():
        return None
    try:
        configuration = json.dumps(_canonical(settings), sort_keys=True)
    except TypeError:
        return None
    check = Check.of("synthesized", configuration, *app_files())
    entry = folder() / "synthesized" / check.key[:32]
    done = entry / "cdktf.out"
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with open(entry.parent / f"{entry.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker synthesizing it: wait
            if done.is_dir():
                os.utime(entry)  # used: the last to go
                SYNTHESES["reused"].append(entry.name)
                return done
            partial = Path(tempfile.mkdtemp(dir=entry.parent, prefix=".partial-"))
            try:
                synthesize(partial / "cdktf.out")
                entry.mkdir()
                os.replace(partial / "cdktf.out", done)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
            SYNTHESES["synthesized"].append(entry.name)
        _prune(entry.parent)
    except OSError:
        return None
    return done


# This process's synthesized configurations, by their entry's name, for the closing summary.
SYNTHESES: dict[str, list[str]] = {"reused": [], "synthesized": []}


def _prune(where: Path) -> None:
    entries = sorted(
        (p for p in where.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in entries[SYNTHESIZED_KEEP:]:
        shutil.rmtree(stale, ignore_errors=True)
        (where / f"{stale.name}.lock").unlink(missing_ok=True)
