from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from tests import background

# cdktf's Testing.synth writes a folder per synthesis into the OS's temporary folder and leaves
# it there: the jsii kernel, started later with this environment, writes into the session's
# scratch folder instead, which the session removes (background.cleanup).
os.environ["TMPDIR"] = str(background.scratch("tmp-"))

import provider_import

# The tests load the provider bindings the way main.py does (tests/test_provider_import.py
# proves the output is the same either way).
provider_import.install()

from config import MonitorConfig, parse_config  # noqa: E402
from tests import background, check_cache  # noqa: E402
from tests.cloudtrail import CORPUS, CorpusRecord, load_corpus  # noqa: E402
from tests.synthesized import SynthesizedStack, load_stacks  # noqa: E402

# A fixed configuration, so that editing cdktf.json never changes what the tests expect.
# The defaults, plus addresses and a tag.
TEST_CONTEXT = {
    "homeRegion": "ap-northeast-1",
    "monitoredRegions": ["ap-northeast-1", "us-east-1"],
    "notificationEmails": ["secops@example.com", "oncall@example.com"],
    "namePrefix": "api-alerts",
    "tags": {"Owner": "secops"},
    "detectionGroups": ["original", "self"],
    "delivery": "per-region",
    # Read by the attack group only (tests/oracle.py TRUSTED_ACCOUNTS): no other output changes.
    "trustedAccounts": ["444455556666"],
}
ALL_GROUPS = ["original", "cis", "self", "attack"]
# Every group but the attack group, whose rules leave less room for suppressions of every
# detection (its Lambda grant rule scores 8 of the 9 EventBridge complexity known accepted).
CORE_GROUPS = ["original", "cis", "self"]
# Every detection; us-east-1 unmonitored, so a regional rule misplaced there shows.
HOME_ONLY_CONTEXT = {
    **TEST_CONTEXT,
    "monitoredRegions": ["ap-northeast-1"],
    "detectionGroups": ALL_GROUPS,
}
# Every detection, in every real region the shared corpus was recorded in.
CORPUS_REGIONS_CONTEXT = {
    **TEST_CONTEXT,
    "monitoredRegions": ["ap-northeast-1", "us-east-1", "us-east-2", "us-west-2", "eu-west-1"],
    "detectionGroups": ALL_GROUPS,
}
CONFIGS: dict[str, Mapping[str, Any]] = {
    "home_only": HOME_ONLY_CONTEXT,
    "corpus_regions": CORPUS_REGIONS_CONTEXT,
}

# Filled by the corpus test, printed at the end of the run.
CORPUS_REPORT: list[str] = []


# Each configuration is synthesized once, into a folder copied wherever a test asks: the output
# depends on the configuration and the project's files alone, so it is kept in the user cache
# by a hash of both, for the other workers of the run and for later runs
# (tests/check_cache.py; tests/test_stacks.py checks main's own synthesis behaviour directly,
# every run).
_SYNTHESIZED: dict[str, Path] = {}


def synthesize_to(settings: MonitorConfig, folder: Path) -> dict[str, SynthesizedStack]:
    from main import synthesize

    key = repr(settings)
    if key not in _SYNTHESIZED:
        found = check_cache.synthesized(settings, lambda out: synthesize(settings, out))
        if found is None:
            found = background.scratch("synthesized-") / "cdktf.out"
            synthesize(settings, found)
        _SYNTHESIZED[key] = found
    shutil.copytree(_SYNTHESIZED[key], folder, dirs_exist_ok=True)
    return load_stacks(folder)


@pytest.fixture(scope="session")
def settings() -> MonitorConfig:
    return parse_config(TEST_CONTEXT, {})


@pytest.fixture(scope="session")
def synth_dir(settings: MonitorConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesize_to(settings, outdir)
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, SynthesizedStack]:
    return load_stacks(synth_dir)


@pytest.fixture(scope="session", params=list(CONFIGS))
def configured_stacks(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[MonitorConfig, dict[str, SynthesizedStack]]:
    """(configuration, its synthesized stacks) for each named configuration."""
    settings = parse_config(CONFIGS[request.param], {})
    return settings, synthesize_to(settings, tmp_path_factory.mktemp(request.param) / "cdktf.out")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with a cdktf.json and its synthesized stacks."""

    def make(context: dict):
        folder = tmp_path_factory.mktemp("replay")
        (folder / "cdktf.json").write_text(json.dumps({"context": context}))
        stacks = synthesize_to(parse_config(context, {}), folder / "cdktf.out")
        return folder, stacks

    return make


@pytest.fixture(scope="session")
def corpus() -> list[CorpusRecord]:
    """The shared real-record corpus: skipped on a plain clone, required in CI."""
    if not (CORPUS / "labels.csv").exists():
        message = f"the shared CloudTrail corpus is not at {CORPUS}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must run the corpus tests")
        pytest.skip(message)
    return load_corpus()


def _worker(config: pytest.Config) -> bool:
    """Whether this process is one of pytest-xdist's workers (make test runs a few)."""
    return hasattr(config, "workerinput")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The slow subprocess checks (tests/background.py) run beside the rest of the session; in a
    # worker each runs within its test, the other workers being what runs beside it.
    if not config.option.collectonly and not _worker(config):
        background.start({item.module.__name__ for item in items if item.module})


def pytest_sessionfinish(session: pytest.Session) -> None:
    background.cleanup()
    if _worker(session.config):  # what the closing summary prints, for the main process
        session.config.workeroutput["summary"] = json.dumps(_summary())


def _summary() -> dict[str, list[str]]:
    return {
        "corpus": CORPUS_REPORT,
        "checks": check_cache.REUSED,
        "synthesized": check_cache.SYNTHESES["synthesized"],
        "reused": check_cache.SYNTHESES["reused"],
    }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """A worker's summary (pytest-xdist), joined to this process's."""
    for name, lines in json.loads(node.workeroutput.get("summary", "{}")).items():
        _summary()[name].extend(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    reused, synthesized = check_cache.SYNTHESES["reused"], check_cache.SYNTHESES["synthesized"]
    if check_cache.REUSED or reused:
        taken = sorted(check_cache.REUSED)
        if reused:
            taken.append(
                f"{len(reused)} of {len(reused) + len(synthesized)} configurations' syntheses"
            )
        terminalreporter.write_line(
            f"Taken from the cache, their inputs unchanged: {', '.join(taken)} "
            f"({check_cache.folder()}; {check_cache.SWITCH}=0 runs them all)"
        )
    if CORPUS_REPORT:
        terminalreporter.section("CloudTrail corpus: per detection")
        for line in CORPUS_REPORT:
            terminalreporter.write_line(line)
