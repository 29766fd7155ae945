"""Synthesize the monitor: read and validate the configuration, then write cdktf.out."""

from __future__ import annotations

if __name__ == "__main__":
    import provider_import

    provider_import.optimize_interpreter()

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from config import ConfigError, MonitorConfig, load_config


def synthesize(settings: MonitorConfig, outdir: Path) -> None:
    """Synthesize into a fresh folder beside ``outdir``, then move what it generated into place.

    Only generated files are replaced: what Terraform or you leave in a stack folder
    (``.terraform/``, ``.terraform.lock.hcl``, a saved plan) stays. A stack no longer configured
    goes, folder and all. A failed synthesis changes nothing.
    """
    import provider_import

    provider_import.install()
    from stacks import build_app  # the AWS provider bindings load only once the config is valid

    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        build_app(settings, str(staging)).synth()
        _move_generated(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _move_generated(staging: Path, outdir: Path) -> None:
    generated = [p.relative_to(staging) for p in staging.rglob("*") if p.is_file()]
    # The manifest last, then the stacks it no longer names: it never names a missing stack.
    for relative in sorted(generated, key=lambda p: (p.name == "manifest.json", str(p))):
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / relative, target)
    for folder in (outdir / "stacks").iterdir():
        if not (staging / "stacks" / folder.name).is_dir():
            shutil.rmtree(folder) if folder.is_dir() else folder.unlink()


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        # Like the cdktf CLI, read the cdktf.json of the folder we run in.
        settings = load_config(Path("cdktf.json"), environ)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if not settings.subscriptions:
        print(
            "warning: notificationEmails and subscriptions are empty: alerts will reach nobody "
            "until someone subscribes to the alert topics",
            file=sys.stderr,
        )
    # The cdktf CLI passes its output folder in CDKTF_OUTDIR; `python main.py` writes cdktf.out.
    synthesize(settings, Path(environ.get("CDKTF_OUTDIR", "cdktf.out")))
    return 0


if __name__ == "__main__":
    provider_import.exit(main())
