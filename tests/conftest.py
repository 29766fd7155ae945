from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from config import MonitorConfig, parse_config
from tests.synthesized import SynthesizedStack, load_stacks

# A fixed configuration, so that editing cdktf.json never changes what the tests expect.
TEST_CONTEXT = {
    "homeRegion": "ap-northeast-1",
    "monitoredRegions": ["ap-northeast-1"],
    "notificationEmails": ["secops@example.com", "oncall@example.com"],
    "namePrefix": "api-alerts",
    "tags": {"Owner": "secops"},
}


@pytest.fixture(scope="session")
def settings() -> MonitorConfig:
    return parse_config(TEST_CONTEXT, {})


@pytest.fixture(scope="session")
def synth_dir(settings: MonitorConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from main import synthesize

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesize(settings, outdir)
    return outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, SynthesizedStack]:
    return load_stacks(synth_dir)
