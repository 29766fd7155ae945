"""What ``python main.py`` does to start faster (provider_import.py, steps 5 and 6; main.py's
Node.js version check), and that each falls back to the ordinary way when it cannot apply.

The output is the same either way: tests/test_provider_import.py synthesizes with every step and
with none (API_ALERTS_EAGER_PROVIDER_IMPORT=1) and compares the files byte for byte.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import main
import provider_import

PROJECT = Path(__file__).resolve().parent.parent

# A tiny synthesis in a fresh process, after ``setup`` (Python run before anything imports jsii).
SCRIPT = """
import os, sys, tempfile
sys.path.insert(0, {project!r})
import provider_import
{setup}
started = provider_import.start_kernel()
provider_import.install()
from cdktf import App, TerraformOutput, TerraformStack
folder = tempfile.mkdtemp()
app = App(outdir=folder)
TerraformOutput(TerraformStack(app, "s"), "o", value="v")
app.synth()
print(started, open(os.path.join(folder, "stacks", "s", "cdk.tf.json")).read().count('"v"'))
"""


def _run(setup: str = "", **env: str) -> str:
    script = SCRIPT.format(project=str(PROJECT), setup=textwrap.dedent(setup))
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout.strip()


def test_the_kernel_started_early_serves_the_app():
    assert _run() == "True 1"


def test_without_the_runtime_files_where_this_jsii_keeps_them_jsii_starts_its_own():
    assert _run("provider_import.KERNEL_ENTRY = 'moved.js'") == "False 1"


def test_without_the_private_class_it_extends_jsii_starts_its_own():
    """A jsii upgrade that renames the class: the started kernel is ended, jsii starts one."""
    setup = """
    provider_import.KERNEL_CLASS = (provider_import.KERNEL_CLASS[0], "_Renamed")
    """
    assert _run(setup) == "True 1"


def test_switched_off_nothing_starts_early():
    assert _run(**{provider_import.SWITCH_OFF: "1"}) == "False 1"


def test_the_project_bytecode_is_cached_and_follows_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    source = project / "cached_module_under_test.py"
    source.write_text("VALUE = 1\n")
    finder = provider_import._ProjectFinder(project, tmp_path / "cache" / "bytecode")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    monkeypatch.syspath_prepend(str(project))

    def load() -> int:
        sys.modules.pop("cached_module_under_test", None)
        return importlib.import_module("cached_module_under_test").VALUE

    assert load() == 1
    (cached,) = (tmp_path / "cache" / "bytecode").iterdir()
    assert load() == 1  # from the cache
    source.write_text("VALUE = 22\n")  # another size and time: compiled again
    assert load() == 22
    cached.write_bytes(b"garbage")
    assert load() == 22
    sys.modules.pop("cached_module_under_test", None)


def test_installed_packages_keep_their_own_bytecode(tmp_path):
    finder = provider_import._ProjectFinder(PROJECT, tmp_path)
    spec = finder.find_spec("attr")  # in .venv, inside the project folder
    assert not isinstance(spec.loader, provider_import._CachedBytecode)
    assert isinstance(finder.find_spec("config").loader, provider_import._CachedBytecode)


def test_node_is_asked_its_version_once_per_binary(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    node = bin_dir / "node"
    calls = tmp_path / "calls"
    node.write_text(f"#!/bin/sh\necho x >> {calls}\necho v18.20.0\n")
    node.chmod(0o755)
    environ = {"PATH": str(bin_dir)}
    assert main.node_problem(environ) is None
    assert main.node_problem(environ) is None
    assert calls.read_text().count("x") == 1
    assert capsys.readouterr().err.count("Node.js v18.20.0 is untested here") == 2
    node.write_text("#!/bin/sh\necho v22.1.0 \n")  # upgraded in place: asked again
    assert main.node_problem(environ) is None
    assert "untested" not in capsys.readouterr().err
    assert "not on PATH" in main.node_problem({"PATH": str(tmp_path / "empty")})


def test_the_regions_are_botocores_endpoint_data():
    """models.regions reads endpoints.json itself, without importing botocore's loader: the
    same data."""
    import botocore.loaders

    from models import regions

    expected = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    assert regions.partitions() == expected
