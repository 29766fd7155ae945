"""`make replay`: the user's CloudTrail history against the synthesized rules, matched as
EventBridge documents (models.event_patterns; the same report as moto's matcher gives), placed where
AWS delivers each record, read as S3 delivers it (log files, digest files skipped)."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from config import parse_config
from models.cloudtrail_records import envelope
from ops import replay
from ops.cloudtrail_logs import Files, records_in
from tests.cloudtrail import CORPUS, arrays_crushed
from tests.conftest import CORPUS_REGIONS_CONTEXT, TEST_CONTEXT
from tests.synthesized import load_stacks

PROJECT = Path(__file__).resolve().parent.parent

SUPPRESSION = {
    "detections": ["iam_policy_changes", "security_group_changes"],
    "principals": ["arn:aws:iam::*:user/bert-jan"],
    "reason": "the red-team user of the corpus",
    "expires": (date.today() + timedelta(days=30)).isoformat(),
}


def run_replay(folder, path, monkeypatch, capsys) -> tuple[int, list[str], str]:
    monkeypatch.chdir(folder)
    code = replay.main([str(path)], environ={})
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def counts(lines: list[str]) -> dict[str, tuple[int, int]]:
    found = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            found[parts[0]] = (int(parts[1]), int(parts[2]))
    return found


def test_replay_counts_what_the_synthesized_rules_fire_on_the_corpus(
    project, corpus, monkeypatch, capsys
):
    folder, stacks = project(CORPUS_REGIONS_CONTEXT)
    code, lines, err = run_replay(folder, CORPUS / "events", monkeypatch, capsys)
    assert code == 0, err
    assert lines[0].startswith("250 records:")
    expected: Counter = Counter()
    for item in corpus:
        event = item.event
        if item.record.get("readOnly") is True or event["region"] not in stacks:
            continue
        expected.update(stacks[event["region"]].firing_detections(event))
    replayed = counts(lines)
    assert {d: alerts for d, (alerts, _) in replayed.items() if alerts} == dict(expected)
    assert sum(expected.values()) > 50
    assert "records per second" in err
    # Who, what and from where, for a detection with alerts.
    at = lines.index(next(line for line in lines if line.startswith("iam_policy_changes ")))
    assert lines[at + 1].startswith("    who:   arn:aws:iam::123837392027:user/bert-jan (")
    assert lines[at + 2].startswith("    what:  ")
    assert lines[at + 3].startswith("    from:  192.168.10.20 (")


def test_replay_reads_s3_log_files_and_json_lines_alike(
    project, corpus, monkeypatch, capsys, tmp_path
):
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    records = [item.event["detail"] for item in corpus if "eventSource" in item.event["detail"]]
    logs = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail"
    for i in range(0, len(records), 100):  # as S3 delivers them: gzipped, a Records array
        part = logs / "ap-northeast-1" / "2026" / "11" / "27" / f"file_{i}.json.gz"
        part.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(part, "wt", encoding="utf-8") as handle:
            json.dump({"Records": records[i : i + 100]}, handle)
    lines_file = tmp_path / "history.jsonl"
    lines_file.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    _, from_s3, _ = run_replay(folder, tmp_path / "AWSLogs", monkeypatch, capsys)
    _, from_lines, _ = run_replay(folder, lines_file, monkeypatch, capsys)
    assert counts(from_s3) == counts(from_lines)
    assert from_s3[0].startswith(f"{len(records)} records:")


def test_replay_names_what_each_suppression_silenced(project, monkeypatch, capsys):
    plain_folder, _ = project(CORPUS_REGIONS_CONTEXT)
    quiet_folder, _ = project({**CORPUS_REGIONS_CONTEXT, "suppressions": [SUPPRESSION]})
    _, before, _ = run_replay(plain_folder, CORPUS / "events", monkeypatch, capsys)
    _, after, _ = run_replay(quiet_folder, CORPUS / "events", monkeypatch, capsys)
    was, now = counts(before), counts(after)
    for detection, (alerts, suppressed) in now.items():
        assert alerts + suppressed == was[detection][0], detection
    assert now["iam_policy_changes"][1] >= 20  # bert-jan's
    assert now["access_key_created"] == was["access_key_created"]  # not among its detections
    (line,) = [line for line in after if line.startswith("suppression suppressions[0]")]
    silenced = now["iam_policy_changes"][1] + now["security_group_changes"][1]
    assert f"{silenced} alerts silenced: iam_policy_changes (" in line


def test_replay_says_in_one_line_what_it_cannot_do(project, monkeypatch, capsys, tmp_path):
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    code, _, err = run_replay(folder, tmp_path / "missing", monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "no such file or folder" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    code, _, err = run_replay(folder, broken, monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "broken.json" in err


def test_the_tuning_page_shows_what_replay_prints(project, monkeypatch, capsys):
    """docs/tuning.md: its replay output, before and after its suppression, is real."""
    page = Path(__file__).resolve().parent.parent / "docs" / "tuning.md"
    tuning = page.read_text(encoding="utf-8").split("\n## What an entry can say", 1)[0]
    blocks = tuning.split("```")
    context = {**TEST_CONTEXT, **json.loads("{" + blocks[1].removeprefix("json") + "}")}
    entry = json.loads(tuning.split('"suppressions": ', 1)[1].split("\n```", 1)[0])
    for shown, suppressions in (("before", []), ("after", entry)):
        folder, _ = project({**context, "suppressions": suppressions})
        _, lines, _ = run_replay(folder, CORPUS / "events", monkeypatch, capsys)
        block = blocks[3 if shown == "before" else 7]
        for line in block.splitlines():
            if line and not line.startswith(("$", "...")):
                assert line in lines, (shown, line)


# ---- the same report as moto's matcher gives, unindexed ----


def _moto_compile(text: str):
    """moto's matcher, on events with arrays of objects crushed as Event Ruler reads them (moto
    does not look inside such arrays: tests.cloudtrail.arrays_crushed)."""
    from moto.events.models import EventPattern

    pattern = EventPattern.load(text)
    return lambda event: pattern.matches_event(arrays_crushed(event))


def _as_dicts(found: replay.Replay) -> dict:
    return {
        "records": (found.records, found.read_only, found.unplaced),
        "detections": {
            d: (c.alerts, c.suppressed, c.principals, c.event_names, c.source_ips, c.accounts)
            for d, c in found.detections.items()
        },
        "suppressions": found.suppressions,
    }


def _all_records(corpus) -> list[dict]:
    from constructs_lib.detections.rule_files import rule_events, rules_with_events

    records = [item.event for item in corpus]  # records, and the corpus's EventBridge events
    for detection_id in rules_with_events():
        for found in rule_events(detection_id).values():
            records += found
    return records


@pytest.mark.parametrize(
    "context",
    [
        {**CORPUS_REGIONS_CONTEXT, "suppressions": [SUPPRESSION]},
        {**CORPUS_REGIONS_CONTEXT, "delivery": "central", "suppressions": [SUPPRESSION]},
    ],
    ids=["per-region", "central"],
)
def test_replay_reports_what_motos_matcher_says_rule_by_rule(
    project, corpus, context, monkeypatch, tmp_path
):
    """The same alerts, suppressions, principals, calls and addresses as today's moto-based
    replay: every record of the corpus and every fixture, each tried against every rule."""
    folder, _ = project(context)
    settings = parse_config(context, {})
    documents = {s.name: s.document for s in load_stacks(folder / "cdktf.out").values()}
    records = _all_records(corpus)
    ours = replay.replay(settings, documents, records)
    with monkeypatch.context() as unindexed:
        unindexed.setattr(replay, "dimensions_of", lambda event: None)
        unindexed.setattr(replay, "_record_dimensions", lambda record, source: None)
        theirs = replay.replay(settings, documents, records, compile=_moto_compile)
    assert _as_dicts(ours) == _as_dicts(theirs)
    assert sum(c.alerts for c in ours.detections.values()) > 100
    assert sum(c.suppressed for c in ours.detections.values()) > 20
    # Read from log files, each record decoded only as far as the rules read it: the same.
    logs = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "11"
    logs.mkdir(parents=True)
    plain = [r for r in records if "detail-type" not in r]
    with gzip.open(logs / "111122223333_CloudTrail_us-east-1_x.json.gz", "wt") as handle:
        json.dump({"Records": plain}, handle)
    matcher = replay.Matcher(settings, documents)
    projected = records_in(tmp_path / "AWSLogs", Files(), replay.projection_of(matcher))
    read = replay.replay(settings, documents, projected, matcher=matcher)
    assert _as_dicts(read) == _as_dicts(replay.replay(settings, documents, plain))


def test_a_records_index_key_is_its_events(corpus):
    for record in _all_records(corpus):
        if "detail-type" not in record:
            event = envelope(record)
            expected = replay.dimensions_of(event)
            assert replay._record_dimensions(record, record["eventSource"]) == expected


# ---- real folders: log files, digest files, and what is neither ----


def _digest(folder: Path) -> Path:
    """A digest file as the CloudTrail guide's digest file structure page shows one."""
    path = (
        folder
        / "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17"
        / "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "awsAccountId": "111122223333",
        "digestStartTime": "2015-08-17T14:01:31Z",
        "digestEndTime": "2015-08-17T15:01:31Z",
        "digestS3Bucket": "amzn-s3-demo-bucket",
        "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/x.json.gz",
        "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": "2015-08-17T14:52:27Z",
        "oldestEventTime": "2015-08-17T14:42:27Z",
        "previousDigestS3Bucket": "amzn-s3-demo-bucket",
        "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/x.json.gz",
        "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9a",
        "previousDigestHashAlgorithm": "SHA-256",
        "previousDigestSignature": "50887ccffad4c002",
        "logFiles": [
            {
                "s3Bucket": "amzn-s3-demo-bucket",
                "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/"
                "111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
                "hashValue": "9bb6196fc6b84d6f075a56548feca262",
                "hashAlgorithm": "SHA-256",
                "newestEventTime": "2015-08-17T14:52:27Z",
                "oldestEventTime": "2015-08-17T14:42:27Z",
            }
        ],
    }
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(content, handle)
    return path


def _log_file(folder: Path, records: list[dict]) -> Path:
    """A log file named as the CloudTrail guide's "CloudTrail log file name format" says."""
    path = (
        folder
        / "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01"
        / "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"Records": records}, handle)
    return path


def test_replay_reads_a_trail_bucket_with_digest_files(
    project, corpus, monkeypatch, capsys, tmp_path
):
    """Issue 20: digest files (no Records) crashed replay with KeyError: 'eventSource'."""
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    records = [item.record for item in corpus if "eventSource" in item.record]
    _log_file(tmp_path, records)
    _digest(tmp_path)
    (tmp_path / "AWSLogs" / "README.txt").write_text("downloaded with aws s3 sync\n")
    code, lines, err = run_replay(folder, tmp_path / "AWSLogs", monkeypatch, capsys)
    assert code == 0, err
    assert lines[0].startswith(f"{len(records)} records: ")
    assert lines[0].endswith("; 1 digest files skipped (hashes, no records)")
    _, from_events, _ = run_replay(folder, CORPUS / "events", monkeypatch, capsys)
    assert counts(lines) == counts(from_events)


@pytest.mark.parametrize(
    "make, says",
    [
        # A JSON file that is neither a log file, a digest file nor records.
        (
            lambda d: (d / "manifest.json").write_text('{"files": ["a", "b"]}'),
            "manifest.json: neither a CloudTrail log file",
        ),
        (lambda d: (d / "numbers.json").write_text("[1, 2]"), "numbers.json: neither"),
        # A folder with no log file at all: a README, or digest files alone.
        (lambda d: (d / "README").write_text("hello\n"), "no CloudTrail log files in it"),
        (_digest, "no CloudTrail log files in it (1 digest files, 0 other files)"),
        # JSON lines that are no records.
        (lambda d: (d / "x.jsonl").write_text('{"a": 1}\n'), "x.jsonl: neither a CloudTrail"),
        (lambda d: (d / "x.jsonl").write_text("[1]\n"), "x.jsonl, line 1: not a JSON object"),
        (lambda d: (d / "x.json.gz").write_bytes(b"not gzip"), "x.json.gz: not gzip"),
    ],
    ids=["manifest", "array", "readme", "digests-only", "lines", "lines-array", "not-gzip"],
)
def test_what_is_not_cloudtrail_history_is_one_line_and_exit_2(
    project, monkeypatch, capsys, tmp_path, make, says
):
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    logs = tmp_path / "logs"
    logs.mkdir()
    make(logs)
    code, lines, err = run_replay(folder, logs, monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and says in err, err
    assert not lines


def test_a_readme_named_as_logs_is_one_line(project, monkeypatch, capsys, tmp_path):
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    (tmp_path / "README.md").write_text("# my logs\n")
    code, _, err = run_replay(folder, tmp_path / "README.md", monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1 and "not a CloudTrail log file" in err


def test_make_replay_needs_no_test_tooling(project, tmp_path):
    """`make replay` installs the runtime packages only: replay runs with every package of the
    lock's develop section unimportable."""
    makefile = (PROJECT / "Makefile").read_text()
    assert "\nreplay: .venv/.runtime\n" in makefile
    assert "\nbench-replay: .venv/.runtime\n" in makefile
    lock = json.loads((PROJECT / "Pipfile.lock").read_text())
    dev_only = set(lock["develop"]) - set(lock["default"])
    modules = {
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if any(d.lower().replace("_", "-") in dev_only for d in distributions)
    }
    assert {"moto", "duckdb", "sqlglot", "pytest"} <= modules
    folder, _ = project(CORPUS_REGIONS_CONTEXT)
    blocker = (
        "import sys\n"
        "class Blocked:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(modules)!r}:\n"
        "            raise ImportError(f'{name} is a dev package')\n"
        "sys.meta_path.insert(0, Blocked())\n"
        "from ops.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker, "replay", str(CORPUS / "events")],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(PROJECT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("250 records:")
