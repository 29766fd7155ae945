"""A folder of CloudTrail history, read as AWS writes it: what `make replay` reads.

- Log files: ``AccountID_CloudTrail_RegionName_YYYYMMDDTHHmmZ_UniqueString.json.gz``, gzipped
  JSON whose ``Records`` array holds the records
  (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
  "CloudTrail log file name format"), under ``AWSLogs/<account>/CloudTrail/`` (organization
  trails: ``AWSLogs/<o-id>/<account>/CloudTrail/``).
- Digest files, which trails with log file validation write under ``CloudTrail-Digest/``: one
  JSON object of hashes (``digestStartTime``, ``digestEndTime``, ``logFiles``, ...) and no
  records (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html).
  Recognised and counted, never replayed.
- Ours, for history exported another way: JSON lines (``.jsonl``/``.ndjson``, gzipped or not),
  one record or EventBridge event a line; a ``.json`` file holding one record or event, or an
  array of them.

Any other JSON file (``manifest.json``), or a folder with no log file at all, is an error
(``LogsError``, one line). Other files in a folder (a README, ``.DS_Store``) are passed over.
One file is in memory at a time. A log file's records are decoded only as far as the caller
needs (``projection``: the fields its rules and report read; msgspec skips the rest unread).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from isal import igzip, isal_zlib

JSON_SUFFIXES = (".json", ".json.gz")
LINES_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


class LogsError(ValueError):
    """Not CloudTrail history: one line naming the file."""


@dataclass
class Files:
    """What a replay read: how many files of each kind."""

    log_files: int = 0  # CloudTrail log files (a Records array)
    digest_files: int = 0  # CloudTrail-Digest files, skipped
    other_json: int = 0  # JSON lines, or files of single records or events
    passed_over: int = 0  # files that are not JSON at all
    current: Path | None = None  # the file being read


def records_in(path: Path, files: Files, projection: Any = None) -> Iterator[dict[str, Any]]:
    """Every record (or EventBridge event) under ``path``, file by file; a log file's records as
    ``projection`` (a msgspec type) has them, or whole."""
    document_type = _document_type(projection)
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in candidates:
        files.current = file
        name = file.name.lower()
        if name.endswith(LINES_SUFFIXES):
            files.other_json += 1
            yield from _lines(file)
        elif name.endswith(JSON_SUFFIXES):
            yield from _json_file(file, files, document_type)
        elif path.is_file():
            raise LogsError(
                f"{file}: not a CloudTrail log file (.json.gz, .json) nor JSON lines (.jsonl)"
            )
        else:
            files.passed_over += 1
    if not (files.log_files or files.other_json):
        found = f"{files.digest_files} digest files, " if files.digest_files else ""
        raise LogsError(
            f"{path}: no CloudTrail log files in it ({found}{files.passed_over} other files): "
            "point LOGS at the AWSLogs/ folder your trail delivers to, or a copy of it"
        )


@functools.cache
def _document_type(projection: Any) -> msgspec.json.Decoder:
    """A JSON file's top level, as much as tells what it is, with a log file's records."""
    record = dict[str, Any] if projection is None else projection
    document = msgspec.defstruct(
        "Document",
        [
            ("records", list[record] | None, msgspec.field(name="Records", default=None)),
            *(
                (field, Any, msgspec.field(name=name, default=None))
                for field, name in _FIELDS.items()
            ),
        ],
    )
    return msgspec.json.Decoder(document | list[dict[str, Any]])


# What tells a digest file (every one has these: the digest file structure page's "Sample
# digest file contents"), a record (eventSource) and an EventBridge event (detail-type).
_FIELDS = {
    "digest_start_time": "digestStartTime",
    "digest_end_time": "digestEndTime",
    "log_files": "logFiles",
    "event_source": "eventSource",
    "detail_type": "detail-type",
}
DIGEST_FIELDS = ("digest_start_time", "digest_end_time", "log_files")


def _content(file: Path) -> bytes:
    data = file.read_bytes()
    if not file.name.lower().endswith(".gz"):
        return data
    try:
        # ISA-L's inflate, the zlib module's interface at twice its speed; gzip alone, several
        # members included, with igzip (S3 holds one member per log file).
        inflater = isal_zlib.decompressobj(wbits=31)
        text = inflater.decompress(data)
        if inflater.eof and not inflater.unused_data:
            return text
        return igzip.decompress(data)
    except (OSError, EOFError, isal_zlib.error) as error:
        raise LogsError(f"{file}: not gzip: {error}") from None


def _json_file(file: Path, files: Files, decoder: msgspec.json.Decoder) -> Iterator[dict]:
    content = _content(file)
    try:
        document = decoder.decode(content)
    except msgspec.ValidationError:
        raise LogsError(f"{file}: {_NEITHER}") from None
    except msgspec.DecodeError as error:
        raise LogsError(f"{file}: not JSON: {error}") from None
    if isinstance(document, list):
        files.other_json += 1
        yield from document
    elif isinstance(document.records, list):
        files.log_files += 1
        yield from document.records
    elif all(getattr(document, key) is not None for key in DIGEST_FIELDS):
        files.digest_files += 1
    elif document.event_source is not None or document.detail_type is not None:
        files.other_json += 1
        yield _FULL.decode(content)
    else:
        raise LogsError(f"{file}: {_NEITHER}")


_NEITHER = (
    "neither a CloudTrail log file (a Records array), a digest file, nor CloudTrail records "
    "or EventBridge events"
)


def _lines(file: Path) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(_content(file).splitlines(), 1):
        if line.strip():
            try:
                item = _FULL.decode(line)
            except msgspec.DecodeError as error:
                raise LogsError(f"{file}, line {number}: not JSON: {error}") from None
            if not isinstance(item, dict):
                raise LogsError(f"{file}, line {number}: not a JSON object")
            yield item


_FULL = msgspec.json.Decoder()
