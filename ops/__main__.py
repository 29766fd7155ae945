"""`python -m ops <command> [options]`: selftest, verify, deployer-policy, readiness,
replay or coverage."""

from __future__ import annotations

import importlib
import sys

# Each command's module, imported when it runs (replay's start-up is part of its speed).
COMMANDS = {
    "selftest": "ops.selftest",
    "verify": "ops.verify",
    "deployer-policy": "ops.deployer_policy",
    "readiness": "ops.readiness",
    "replay": "ops.replay",
    "coverage": "ops.coverage",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ops {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
