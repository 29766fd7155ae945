"""The tests' CloudTrail records: hand-written fixtures and the shared corpus of real records
(../shared/cloudtrail-events; see its README), wrapped as EventBridge delivers them
(ops.cloudtrail_records, which `make replay` uses too).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.loaders

from ops.cloudtrail_records import envelope

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(
    os.environ.get(
        "CLOUDTRAIL_EVENTS_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "cloudtrail-events",
    )
)


def fixture_records(detection_id: str) -> dict[str, list[dict[str, Any]]]:
    """The hand-written records for one detection: {"fires": [...], "silent": [...]}."""
    return json.loads((FIXTURES / f"{detection_id}.json").read_text(encoding="utf-8"))


@cache
def known_regions() -> frozenset[str]:
    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    return frozenset(region for p in partitions for region in p["regions"])


@dataclass(frozen=True)
class CorpusRecord:
    file: str
    label: str
    event: dict[str, Any]  # the EventBridge event, as found or as EventBridge would wrap the record

    @property
    def record(self) -> dict[str, Any]:
        return self.event["detail"]

    @property
    def region_is_real(self) -> bool:
        """False where the source anonymised region names (stratus-red-team) or left none."""
        return self.event["region"] in known_regions()


def load_corpus(folder: Path = CORPUS) -> list[CorpusRecord]:
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as labels:
        rows = list(csv.DictReader(labels))
    corpus = []
    for row in rows:
        found = json.loads((folder / "events" / row["file"]).read_text(encoding="utf-8"))
        event = found if row["format"] == "eventbridge" else envelope(found)
        corpus.append(CorpusRecord(row["file"], row["label"], event))
    return corpus
