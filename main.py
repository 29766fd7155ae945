"""Synthesize the monitor: read and validate the configuration, then write cdktf.out."""

from __future__ import annotations

if __name__ == "__main__":
    import os

    # Node.js 20 works but makes jsii print an 11-line end-of-life banner on every run
    # (`cdktf synth` included); main() warns in one line about other unsupported versions.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import provider_import

    provider_import.optimize_interpreter()
    provider_import.start_kernel()  # node starts while Python reads the configuration
    provider_import.cache_bytecode()

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from config import ConfigError, MonitorConfig, load_config
from models import limits

CONFIGURATION_FILE = "configuration.json"  # in cdktf.out: the configuration synthesized


class OverLimitError(Exception):
    """The synthesized output would cross a limit AWS documents: nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0])
        self.problems = problems


def synthesize(
    settings: MonitorConfig, outdir: Path, *, under_cli: bool = False
) -> dict[str, dict]:
    """Synthesize into a fresh folder beside ``outdir``, check it against every AWS limit
    (models.limits), then move what it generated into place; returns the stacks' documents.

    Only generated files are replaced: what Terraform or you leave in a stack folder
    (``.terraform/``, ``.terraform.lock.hcl``, a saved plan) stays. A stack no longer configured
    goes, folder and all. A failed synthesis, or one over a limit (OverLimitError), changes
    nothing.
    """
    import provider_import

    provider_import.install()
    from constructs_lib.foundation import resources
    from stacks import build_app  # the AWS provider bindings load only once the config is valid

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        app = build_app(settings, str(staging))
        app.synth()
        written = resources.write(staging, app.json_stacks)
        # What the operator commands check cdktf.out against (ops.context).
        (staging / CONFIGURATION_FILE).write_text(
            json.dumps({"fingerprint": settings.fingerprint}) + "\n", encoding="utf-8"
        )
        documents = _documents(staging, written)
        problems = limits.violations(documents, settings.partition)
        if problems:
            raise OverLimitError(problems)
        _move_generated(staging, outdir, remove_unconfigured=not under_cli)
        return documents
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _documents(outdir: Path, written: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """Each stack's document: as ``written`` (already parsed), else read from ``outdir``."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    written = written or {}
    return {
        name: written[name]
        if name in written
        else json.loads((outdir / entry["synthesizedStackPath"]).read_text(encoding="utf-8"))
        for name, entry in manifest["stacks"].items()
    }


def _move_generated(staging: Path, outdir: Path, *, remove_unconfigured: bool) -> None:
    generated = [p.relative_to(staging) for p in staging.rglob("*") if p.is_file()]
    # The manifest last, then the stacks it no longer names: it never names a missing stack.
    for relative in sorted(generated, key=lambda p: (p.name == "manifest.json", str(p))):
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)
    for folder in (outdir / "stacks").iterdir() if remove_unconfigured else ():
        if not (staging / "stacks" / folder.name).is_dir():
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()


MAX_PROBLEMS = 5  # limit lines printed when synthesis crosses limits

# jsii's supported Node.js releases (22 and 24), and 20, end-of-life but still working: silent.
SUPPORTED_NODE = (20, 22, 24)


def node_problem(environ: Mapping[str, str]) -> str | None:
    """Why the jsii runtime cannot start, or None; warns in one line about an unsupported Node."""
    node = shutil.which("node", path=environ.get("PATH"))
    if node is None:
        return "Node.js is not on PATH: cdktf runs on it; install Node.js 22 or 24"
    version = node_version(node)
    major = version.removeprefix("v").split(".")[0]
    if not major.isdigit():
        return f"{node} --version printed {version!r}, not a Node.js version"
    if int(major) not in SUPPORTED_NODE:
        print(
            f"warning: Node.js {version} is untested here: jsii supports 22 and 24",
            file=sys.stderr,
        )
    return None


def node_version(node: str) -> str:
    """What ``node --version`` prints, asked once per Node.js binary (its path, size and time)
    and remembered in the user cache: starting node costs 40 ms on every synthesis."""
    import provider_import

    stat = os.stat(node)
    key = f"{os.path.realpath(node)}:{stat.st_size}:{stat.st_mtime_ns}"
    cache = provider_import.cache_dir() / "node-versions.json"
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict) or not isinstance(known.get(key), str):
        found = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
        known = {key: found.stdout.strip()}  # the binary in use; another's entry goes
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(known), encoding="utf-8")
        except OSError:
            pass
    return known[key]


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        # Like the cdktf CLI, read the cdktf.json of the folder we run in.
        settings = load_config(Path("cdktf.json"), environ)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    problem = node_problem(environ)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if not settings.subscriptions:
        reach = (
            "only the chat channels get alerts (of the severities they take), and the health "
            "topics' reach nobody"
            if settings.chat
            else "alerts will reach nobody"
        )
        print(
            f"warning: notificationEmails and subscriptions are empty: {reach} until someone "
            "subscribes to the topics",
            file=sys.stderr,
        )
    for line in settings.sigma_skipped:
        print(f"note: sigmaRules: {line}", file=sys.stderr)
    organization = settings.organization
    if organization and not organization.management:
        print(
            "warning: organization.management is not set: the management account, which "
            "StackSets never deploy to, is not monitored",
            file=sys.stderr,
        )
    # The cdktf CLI passes its output folder in CDKTF_OUTDIR; `python main.py` writes cdktf.out.
    outdir = environ.get("CDKTF_OUTDIR")
    try:
        documents = synthesize(settings, Path(outdir or "cdktf.out"), under_cli=bool(outdir))
    except OverLimitError as error:
        for problem in error.problems[:MAX_PROBLEMS]:
            print(f"configuration error: {problem}", file=sys.stderr)
        if len(error.problems) > MAX_PROBLEMS:
            print(f"... and {len(error.problems) - MAX_PROBLEMS} more", file=sys.stderr)
        return 2
    print(settings.compiled_summary)
    for (account, region, bus), count in sorted(limits.bus_counts(documents).items()):
        quota = limits.WILDCARD_RULES_PER_BUS.value
        if count["wildcard rules"] > quota / 2:
            whose = "" if account == limits.THIS_ACCOUNT else f" ({account})"
            print(
                f"note: {region} event bus {bus}{whose}: {count['wildcard rules']} of the {quota} rules "
                f"with wildcards EventBridge takes per bus (not adjustable, {limits.EVENTBRIDGE_QUOTAS})",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    provider_import.exit(main())
