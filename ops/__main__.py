"""`python -m ops <command> [options]`: selftest, verify, deployer-policy, readiness,
replay or coverage."""

from __future__ import annotations

import sys

from ops import coverage, deployer_policy, readiness, replay, selftest, verify

COMMANDS = {
    "selftest": selftest.main,
    "verify": verify.main,
    "deployer-policy": deployer_policy.main,
    "readiness": readiness.main,
    "replay": replay.main,
    "coverage": coverage.main,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ops {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
