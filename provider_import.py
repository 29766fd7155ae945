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

5. Kernel: ``start_kernel``, called by ``python main.py`` before it imports anything heavy,
   starts the jsii kernel (node) at once and queues the three assemblies' loads, so that node
   starts and loads cdktf and the provider while Python imports and reads the configuration.
   It starts the kernel program directly: jsii starts a relay process that only starts the
   kernel, a second node start (about 0.1 s). The kernel is jsii's own (the runtime files jsii
   ships, copied once into the user cache), spoken to as jsii does, over the channel its
   relay would give it (file descriptor 3). This uses entry points jsii keeps private
   (``jsii._kernel.providers.process``, the runtime's files): if a jsii upgrade moves them,
   ``start_kernel`` returns False and jsii starts the kernel its own way, as before.

6. Bytecode: where ``PYTHONDONTWRITEBYTECODE`` is set (our machines and CI), Python compiles
   the project's own modules from source on every run (about 80 ms; the installed packages' is
   compiled at install, scripts/install.py). ``cache_bytecode`` keeps it in the user cache
   instead of ``__pycache__`` folders in the project, keyed by each file's path, size and
   modification time and by the interpreter's magic number and optimization level.

Proof: tests/test_provider_import.py synthesizes in a fresh process with and without this and
compares every output file byte for byte. ``API_ALERTS_EAGER_PROVIDER_IMPORT=1`` switches it off.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

PACKAGE = "cdktf_cdktf_provider_aws"
ASSEMBLY, VERSION = "@cdktf/provider-aws", "21.22.1"
TARBALL = f"provider-aws@{VERSION}.jsii.tgz"
SWITCH_OFF = "API_ALERTS_EAGER_PROVIDER_IMPORT"
EAGER_EXPORT = re.compile(r'^exports\.(\w+) = require\("(\./[^"]+)"\);$', re.MULTILINE)


def cache_dir() -> Path:
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
    """The original tarball with a lazy lib/index.js and without its .d.ts files, built once per
    content and shared; copies of another package version are removed once a new one is
    built."""
    target = cache_dir() / f"provider-aws@{VERSION}-lazy-v2-{content_key(original)[:16]}.jsii.tgz"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as packed,
            tarfile.open(fileobj=packed, mode="w") as copy,
            tarfile.open(original, "r:gz") as source,
        ):
            for member in source:
                # TypeScript's declarations: the kernel never reads them, and it hashes the
                # whole tarball on every load (jsii's package cache): 54 MB became 36 MB.
                if member.name.endswith(".d.ts"):
                    continue
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
    # Another version's copies go; this version's other copy (the format before .d.ts files were
    # left out, which a checkout of an older commit may still use) stays.
    for stale in target.parent.glob("provider-aws@*-lazy-*.jsii.tgz"):
        if stale != target and not stale.name.startswith(f"provider-aws@{VERSION}-"):
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

    adopt_kernel()
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
    _end_unused_kernel()
    if os.environ.get(SWITCH_OFF) == "1":
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# ---- step 5: the kernel, started early and directly ----

KERNEL_ENTRY = "lib__program.js"  # jsii/_embedded/jsii: the kernel program, which the relay starts
# jsii's private class that speaks to the kernel process (jsii 1.142), which adopt_kernel extends.
KERNEL_CLASS = ("jsii._kernel.providers.process", "_NodeProcess")
_early: dict[str, Any] = {}  # the started kernel: process, socket, loads queued


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0])


def _runtime_files(jsii_dir: Path) -> Path:
    """jsii's runtime files under their own names (lib/program.js ...), as jsii writes them into a
    temporary folder on every start; here once per jsii version, in the user cache."""
    embedded = jsii_dir / "_embedded" / "jsii"
    if not (embedded / KERNEL_ENTRY).is_file():
        raise FileNotFoundError(embedded / KERNEL_ENTRY)
    version = (jsii_dir / "__meta__.py").read_text(encoding="utf-8")
    key = hashlib.sha256(version.encode() + str(embedded).encode()).hexdigest()[:16]
    target = cache_dir() / f"jsii-runtime-{key}"
    if not (target / "lib" / "program.js").exists():
        partial = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".jsii-runtime-"))
        try:
            for resource in embedded.glob("*__*.js*"):
                folder, _, name = resource.name.partition("__")
                (partial / folder).mkdir(exist_ok=True)
                shutil.copyfile(resource, partial / folder / name)
            os.replace(partial, target)
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            if not (target / "lib" / "program.js").exists():
                raise
    return target / "lib" / "program.js"


def _assemblies() -> list[tuple[str, str, Path]]:
    """(name, version, tarball) of what the app loads, in dependency order; the provider's as
    its lazy copy (steps 1-2)."""
    found = []
    for package in ("constructs", "cdktf"):
        folder = _package_dir(package)
        (tarball,) = (folder / "_jsii").glob("*.jsii.tgz")
        name, _, version = tarball.name.removesuffix(".jsii.tgz").partition("@")
        found.append((name, version, tarball))
    provider = _package_dir(PACKAGE)
    found.append((ASSEMBLY, VERSION, lazy_tarball(provider / "_jsii" / TARBALL)))
    return found


def start_kernel() -> bool:
    """Start the jsii kernel now (step 5); False, and nothing started, when switched off or when
    anything it relies on is not where this jsii version keeps it."""
    if os.environ.get(SWITCH_OFF) == "1" or _early or "jsii" in sys.modules:
        return False
    try:
        program = _runtime_files(_package_dir("jsii"))
        loads = _assemblies()
        node = shutil.which("node")
        if node is None:
            return False
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [node, "--max-old-space-size=4069", "--preserve-symlinks", str(program)],
            stdin=subprocess.DEVNULL,
            # Read once the kernel is used (adopt_kernel): a run that ends before, on a
            # configuration error, hears nothing of the kernel it leaves.
            stderr=subprocess.PIPE,
            pass_fds=(3,),
            preexec_fn=lambda: os.dup2(theirs.fileno(), 3),  # the kernel's channel (program.js)
            env={**os.environ, "JSII_AGENT": f"Python/{sys.version.split()[0]}"},
        )
    except (OSError, ValueError, TypeError, AttributeError, subprocess.SubprocessError):
        return False  # jsii starts its own kernel when first used, as before
    theirs.close()
    requests = [
        {"api": "load", "name": name, "version": version, "tarball": os.fspath(tarball)}
        for name, version, tarball in loads
    ]
    ours.sendall(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
    _early.update(process=process, socket=ours, pending=len(requests))
    return True


def adopt_kernel() -> None:
    """Give jsii the kernel ``start_kernel`` started, once jsii is imported (install does)."""
    if not _early or _early.get("adopted"):
        return
    _early["adopted"] = True
    try:
        module = importlib.import_module(KERNEL_CLASS[0])
        node_process, process_provider = getattr(module, KERNEL_CLASS[1]), module.ProcessProvider
        from jsii._runtime import kernel
    except (ImportError, AttributeError):  # moved by a jsii upgrade: jsii starts its own, as before
        _early["process"].kill()
        _early["socket"].close()
        _early.clear()
        return

    class _StartedKernel(node_process):
        """jsii's kernel process, already started by start_kernel."""

        def start(self) -> None:
            process, channel = _early["process"], _early["socket"]
            process.stdin = channel.makefile("wb")
            process.stdout = channel.makefile("rb")
            self._process = process
            threading.Thread(target=_copy, args=(process.stderr,), daemon=True).start()
            self.handshake()
            for _ in range(_early["pending"]):  # the loads start_kernel queued
                answer = self._next_message()
                if "ok" not in answer:
                    raise RuntimeError(f"jsii kernel: {answer.get('error', answer)}")

        def stop(self) -> None:
            if not self._process.stdin.closed:
                self._process.stdin.write(b'{"exit":0}\n')
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.terminate()
            self._process.stdout.close()
            _early["socket"].close()

    class _StartedProvider(process_provider):
        @property
        def _process(self) -> Any:
            if "kernel" not in _early:
                started = _StartedKernel()
                started.start()
                _early["kernel"] = started
            return _early["kernel"]

    kernel.provider = _StartedProvider()


def _copy(stream: Any) -> None:
    """What the kernel writes to its standard error, to ours (jsii's relay passes it on too)."""
    for line in iter(stream.readline, b""):
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


def _end_unused_kernel() -> None:
    """A kernel started but never used (a configuration error) ends now, not after its loads."""
    if _early and "kernel" not in _early and "process" in _early:
        _early["process"].kill()


# ---- step 6: the project's bytecode, kept in the user cache ----


def cache_bytecode(project: Path | None = None) -> bool:
    """Load the modules under ``project`` (this file's folder) through the user cache's
    bytecode (step 6); False if Python writes bytecode itself, or if switched off."""
    if os.environ.get(SWITCH_OFF) == "1" or not sys.dont_write_bytecode:
        return False
    root = (project or Path(__file__).resolve().parent).resolve()
    if any(isinstance(f, _ProjectFinder) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _ProjectFinder(root, cache_dir() / "bytecode"))
    return True


class _ProjectFinder:
    """Finds what the path-based finder finds; for a .py file under the project, a loader that
    keeps its bytecode in the cache."""

    def __init__(self, root: Path, cache: Path) -> None:
        self.root, self.cache = f"{root}{os.sep}", cache
        # Not the installed packages, even when the virtual environment lies in the project.
        self.installed = tuple(
            {f"{Path(p).resolve()}{os.sep}" for p in (sys.prefix, sys.base_prefix)}
        )

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(fullname, path, target)
        origin = getattr(spec, "origin", None) or ""
        if (
            spec is not None
            and origin.endswith(".py")
            and origin.startswith(self.root)
            and not origin.startswith(self.installed)
        ):
            spec.loader = _CachedBytecode(fullname, origin, self.cache)
        return spec


def _bytecode_loader() -> type:
    from importlib.machinery import SourceFileLoader

    return SourceFileLoader


class _CachedBytecode(_bytecode_loader()):  # type: ignore[misc]
    def __init__(self, fullname: str, path: str, cache: Path) -> None:
        super().__init__(fullname, path)
        self._cache = cache

    def get_code(self, fullname: str) -> Any:
        import marshal
        from importlib.util import MAGIC_NUMBER

        source_path = self.get_filename(fullname)
        stat = os.stat(source_path)
        header = MAGIC_NUMBER + (
            f"{sys.flags.optimize}:{stat.st_size}:{stat.st_mtime_ns}:".encode().ljust(60, b" ")
        )
        name = hashlib.sha256(source_path.encode()).hexdigest()[:24]
        cached = self._cache / f"{name}.{sys.implementation.cache_tag}.pyc"
        try:
            data = cached.read_bytes()
            if data[: len(header)] == header:
                return marshal.loads(data[len(header) :])
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = self.source_to_code(self.get_data(source_path), source_path)
        try:
            self._cache.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=self._cache, suffix=".partial")
            with os.fdopen(handle, "wb") as out:
                out.write(header + marshal.dumps(code))
            os.replace(partial, cached)
        except OSError:
            pass  # no writable cache: compiled every run, as before
        return code
