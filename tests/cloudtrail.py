"""The tests' CloudTrail records: hand-written fixtures (each rule file's events) and the shared corpus of real records
(../shared/cloudtrail-events; see its README), wrapped as EventBridge delivers them
(models.cloudtrail_records, which `make replay` uses too).
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

from models.cloudtrail_records import envelope

CORPUS = Path(
    os.environ.get(
        "CLOUDTRAIL_EVENTS_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "cloudtrail-events",
    )
)


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


def arrays_crushed(event: Any) -> Any:
    """The event as EventBridge matches it when an array holds objects: moto's matcher (the tests'
    judge) does not look inside arrays, EventBridge's (and models.event_patterns) does.

    EventBridge matches with AWS's Event Ruler, which "crushes out" an array of objects: "any
    contained objects are treated as if they are the value of the parent field", so a pattern
    ``{"items": {"userId": [...]}}`` matches ``{"items": [{"userId": "1"}, {"group": "all"}]}``
    (https://github.com/aws/event-ruler#json-array-matching). Here each such array becomes an
    object whose fields list the elements' values, which moto then matches as a list. Exact for
    patterns that constrain one field of an array's elements per branch, as the catalog's do
    (Event Ruler also keeps two fields of one pattern to one element).
    """
    if isinstance(event, dict):
        return {key: arrays_crushed(value) for key, value in event.items()}
    if isinstance(event, list) and event and all(isinstance(item, dict) for item in event):
        crushed: dict[str, list[Any]] = {}
        for item in event:
            for key, value in item.items():
                # A nested array's elements join the parent's ("multi-level arrays too").
                crushed.setdefault(key, []).extend(value if isinstance(value, list) else [value])
        return {key: arrays_crushed(_one(values)) for key, values in crushed.items()}
    return event


def _one(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 and isinstance(values[0], dict) else values
