"""The import shortcut changes nothing but time: the same bytes with and without it."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import provider_import
from tests import background
from tests.check_cache import Check, app_files
from tests.conftest import TEST_CONTEXT

PROJECT = Path(__file__).resolve().parent.parent


def _synthesize(folder: Path, **env: str) -> dict[str, bytes]:
    folder.mkdir()
    (folder / "cdktf.json").write_text(json.dumps({"context": TEST_CONTEXT}))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTS_", "CDKTF_"))}
    subprocess.run(
        [sys.executable, str(PROJECT / "main.py")],
        cwd=folder,
        env={**clean, **env},
        check=True,
        capture_output=True,
        timeout=300,
    )
    out = folder / "cdktf.out"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@background.job
def _both_ways() -> tuple[Check, dict[str, bytes], dict[str, bytes]]:
    def synthesize_both() -> tuple[dict[str, bytes], dict[str, bytes]]:
        folder = background.scratch("provider-import-")
        fast = _synthesize(folder / "fast")
        return fast, _synthesize(folder / "eager", **{provider_import.SWITCH_OFF: "1"})

    # Cached (tests/check_cache.py) by what both syntheses read: the project's files but the
    # tests and the documentation, and the configuration.
    cached = Check.of(
        "provider-import-both-ways",
        *app_files(),
        json.dumps(TEST_CONTEXT, sort_keys=True),
        inspect.getsource(_synthesize),
        inspect.getsource(_both_ways),
    )
    return cached, *cached.run(synthesize_both)


def test_output_is_byte_identical_with_and_without_the_shortcut():
    cached, fast, eager = background.result(_both_ways)
    assert list(fast) == list(eager) and len(fast) >= 3
    for name, content in fast.items():
        assert content == eager[name], name
    cached.remember((fast, eager))


def test_every_eager_require_becomes_a_getter():
    index = (
        '"use strict";\n'
        "exports.snsTopic = exports.provider = void 0;\n"
        'exports.snsTopic = require("./sns-topic");\n'
        'exports.provider = require("./provider");\n'
    )
    lazy = provider_import.lazy_index(index)
    assert "= require(" not in lazy
    assert (
        'Object.defineProperty(exports, "snsTopic", '
        '{ enumerable: true, configurable: true, get: () => require("./sns-topic") });'
    ) in lazy
    assert lazy.count("get: () => require(") == 2


def test_switched_off_it_does_nothing(monkeypatch):
    monkeypatch.setenv(provider_import.SWITCH_OFF, "1")
    assert provider_import.install() is False


def test_every_environment_with_this_package_shares_one_lazy_copy(tmp_path, monkeypatch):
    """The cache is keyed by the tarball's recorded sha256, not its path: a second virtual
    environment (make clean, the stock-Python test) reuses the copy instead of adding 54 MB."""
    key = provider_import.content_key(tmp_path / "elsewhere" / provider_import.TARBALL)
    assert key == provider_import.content_key(tmp_path / "other" / provider_import.TARBALL)


def test_a_new_lazy_copy_replaces_the_stale_ones(tmp_path, monkeypatch):
    import io
    import tarfile

    original = tmp_path / "provider.tgz"
    with tarfile.open(original, "w:gz") as tar:
        data = b'"use strict";\nexports.snsTopic = require("./sns-topic");\n'
        member = tarfile.TarInfo("package/lib/index.js")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    stale = (
        tmp_path
        / "cache"
        / "api-call-alerts"
        / "provider-aws@21.0.0-lazy-0123456789abcdef.jsii.tgz"
    )
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    lazy = provider_import.lazy_tarball(original)
    assert sorted(p.name for p in lazy.parent.iterdir()) == [lazy.name]
    with tarfile.open(lazy, "r:gz") as tar:
        index = tar.extractfile("package/lib/index.js").read().decode()
    assert 'get: () => require("./sns-topic")' in index
