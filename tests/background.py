"""Slow subprocess checks, started as soon as collection ends so they run beside the other tests.

A test module registers a job with ``@job``; conftest starts the jobs of the collected modules
(``start``), and the test waits for its job's value with ``result``. A deselected module's job
never starts; a job not started runs in the test itself.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

_JOBS: dict[str, tuple[str, Callable[[], Any]]] = {}  # name -> (module, function)
_STARTED: dict[str, Future[Any]] = {}
# One at a time: on a 2-core machine the other core is the session's own.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background-check")


def job(function: Callable[[], Any]) -> Callable[[], Any]:
    _JOBS[f"{function.__module__}.{function.__name__}"] = (function.__module__, function)
    return function


def start(modules: Iterable[str]) -> None:
    wanted = set(modules)
    for name, (module, function) in _JOBS.items():
        if module in wanted and name not in _STARTED:
            _STARTED[name] = _POOL.submit(function)


def result(function: Callable[[], Any]) -> Any:
    name = f"{function.__module__}.{function.__name__}"
    started = _STARTED.get(name)
    return started.result() if started else function()


_SCRATCH: list[Path] = []


def scratch(prefix: str) -> Path:
    """A fresh folder for this session, removed with everything in it by ``cleanup``."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="api-alerts-tests-")))
    return Path(tempfile.mkdtemp(prefix=prefix, dir=_SCRATCH[0]))


def cleanup() -> None:
    """Wait for the jobs still running (a skipped test's), then remove the session's folders."""
    _POOL.shutdown(wait=True)
    for root in _SCRATCH:
        shutil.rmtree(root, ignore_errors=True)
    _SCRATCH.clear()
