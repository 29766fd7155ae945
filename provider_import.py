"""Load only the AWS provider bindings a stack uses, not all 2,222 of them.

Why: with the pinned ``cdktf-cdktf-provider-aws``, ``python main.py`` spent ~10 s importing the
package's ``__init__``, which imports every one of its 2,222 submodules although each resource
needs one, and ~2 s more while the jsii kernel ``require``d the provider's JavaScript
``lib/index.js``, which likewise loads all 2,212 of its modules up front.

How, in two steps, touching no installed file:

1. Python: before anything imports the package, register a bare module under its name, made
   from its import spec (so with its real ``__path__``) but not executed. Each submodule does
   its own ``from .._jsii import *`` and imports what it needs, so ``import
   cdktf_cdktf_provider_aws.sns_topic`` runs ``_jsii`` and ``sns_topic`` only. (jsii 1.142
   itself imports submodules on demand when the kernel returns one of their types.)
2. JavaScript: load the provider into the jsii kernel from a copy of its own tarball whose
   ``lib/index.js`` defines each ``exports.x = require("./x")`` as a getter doing the same
   ``require`` on first use. Same name, version, code and assembly; built once into the user
   cache (a few seconds) and reused. When the package's ``_jsii`` then loads the original
   tarball, the kernel finds that version already loaded and returns.

3. Type checks: the bindings check every argument's type with typeguard inside ``if
   __debug__:`` blocks (a third of the time spent building stacks). ``python main.py``
   re-executes itself once under ``-O``, which skips them; the tests run without ``-O``, so the
   same checks still guard every construct there. (Nothing of ours relies on ``assert``.)
   Python writes the ``-O`` bytecode of what it imports on the first run.
4. Exit: once the output is written, ``exit`` ends the process without jsii's ``atexit`` hook,
   which waits ~0.7 s for the node kernel to shut down; the kernel exits on its own when its
   stdin closes.

Proof: tests/test_provider_import.py synthesizes in a fresh process with and without this and
compares every output file byte for byte. ``API_ALERTS_EAGER_PROVIDER_IMPORT=1`` switches it off.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import re
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "cdktf_cdktf_provider_aws"
ASSEMBLY, VERSION = "@cdktf/provider-aws", "21.22.1"
TARBALL = f"provider-aws@{VERSION}.jsii.tgz"
SWITCH_OFF = "API_ALERTS_EAGER_PROVIDER_IMPORT"
EAGER_EXPORT = re.compile(r'^exports\.(\w+) = require\("(\./[^"]+)"\);$', re.MULTILINE)


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "api-call-alerts"


def lazy_index(index_js: str) -> str:
    """The provider's lib/index.js with every eager ``require`` turned into a getter."""
    return EAGER_EXPORT.sub(
        lambda m: (
            f'Object.defineProperty(exports, "{m[1]}", '
            f'{{ enumerable: true, configurable: true, get: () => require("{m[2]}") }});'
        ),
        index_js,
    )


def content_key(original: Path) -> str:
    """What the lazy copy is built from: the tarball's sha256 as its installer recorded it (the
    distribution's RECORD, which pip checked against Pipfile.lock's hashes), so that every
    environment with this package shares one copy; else the file's path, size and time."""
    try:
        from importlib.metadata import distribution

        record = distribution(PACKAGE.replace("_", "-")).read_text("RECORD") or ""
    except Exception:  # no metadata: fall back to the file itself
        record = ""
    for line in record.splitlines():
        path, _, rest = line.partition(",")
        digest = rest.partition(",")[0]
        if path.endswith(f"/_jsii/{TARBALL}") and digest.startswith("sha256="):
            return hashlib.sha256(digest.encode()).hexdigest()
    stat = original.stat()
    return hashlib.sha256(f"{original}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()


def lazy_tarball(original: Path) -> Path:
    """The original tarball with a lazy lib/index.js, built once per content and shared; older
    copies in the cache (another package version) are removed once a new one is built."""
    target = _cache_dir() / f"provider-aws@{VERSION}-lazy-{content_key(original)[:16]}.jsii.tgz"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as packed,
            tarfile.open(fileobj=packed, mode="w") as copy,
            tarfile.open(original, "r:gz") as source,
        ):
            for member in source:
                content = source.extractfile(member) if member.isfile() else None
                if member.name == "package/lib/index.js" and content is not None:
                    data = lazy_index(content.read().decode("utf-8")).encode("utf-8")
                    member.size = len(data)
                    content = io.BytesIO(data)
                copy.addfile(member, content)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    for stale in target.parent.glob("provider-aws@*-lazy-*.jsii.tgz"):
        if stale != target:
            stale.unlink(missing_ok=True)
    return target


def optimize_interpreter() -> None:
    """Replace this process with the same command under ``python -O`` (step 3), once."""
    if os.environ.get(SWITCH_OFF) == "1" or sys.flags.optimize or not sys.executable:
        return
    os.execv(sys.executable, [sys.executable, "-O", *sys.argv])


def install() -> bool:
    """Set both steps up; False (and nothing changed) if switched off or already imported."""
    if os.environ.get(SWITCH_OFF) == "1" or PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        return False
    original = Path(spec.submodule_search_locations[0]) / "_jsii" / TARBALL
    sys.modules[PACKAGE] = importlib.util.module_from_spec(spec)

    import cdktf._jsii  # noqa: F401  the provider's dependencies load first, as in its _jsii
    import constructs._jsii  # noqa: F401
    from jsii._runtime import kernel

    try:
        lazy = lazy_tarball(original)
    except OSError:
        return True  # no writable cache: the kernel loads the original tarball, eagerly
    kernel.load(ASSEMBLY, VERSION, os.fspath(lazy))
    return True


def exit(code: int) -> None:
    """End the process now: the synthesized files are complete and closed."""
    if os.environ.get(SWITCH_OFF) == "1":
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
