"""`make replay`: the user's CloudTrail history against the synthesized rules, matched as the
tests match (moto's matcher), placed where AWS delivers each record, read as S3 delivers it."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from config import parse_config
from ops import replay
from tests.cloudtrail import CORPUS
from tests.conftest import CORPUS_REGIONS_CONTEXT, synthesize_to

SUPPRESSION = {
    "detections": ["iam_policy_changes", "security_group_changes"],
    "principals": ["arn:aws:iam::*:user/bert-jan"],
    "reason": "the red-team user of the corpus",
    "expires": (date.today() + timedelta(days=30)).isoformat(),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with a cdktf.json and its synthesized stacks."""

    def make(context: dict):
        folder = tmp_path_factory.mktemp("replay")
        (folder / "cdktf.json").write_text(json.dumps({"context": context}))
        stacks = synthesize_to(parse_config(context, {}), folder / "cdktf.out")
        return folder, stacks

    return make


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


def test_the_readme_tuning_section_shows_what_replay_prints(project, monkeypatch, capsys):
    """README, Tuning: its replay output, before and after its suppression, is real."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    tuning = readme.split("## Tuning", 1)[1].split("\n## ", 1)[0]
    entry = json.loads(tuning.split('"suppressions": ', 1)[1].split("\n```", 1)[0])
    for shown, suppressions in (("before", []), ("after", entry)):
        folder, _ = project({**CORPUS_REGIONS_CONTEXT, "suppressions": suppressions})
        _, lines, _ = run_replay(folder, CORPUS / "events", monkeypatch, capsys)
        block = tuning.split("```")[1 if shown == "before" else 5]
        for line in block.splitlines():
            if line and not line.startswith(("$", "...")):
                assert line in lines, (shown, line)
