"""The cache of heavy checks (tests/check_cache.py): a changed input is a miss, a value is kept
only when its test passed, and API_ALERTS_TEST_CACHE=0 runs every check."""

from __future__ import annotations

import pytest

from tests import check_cache
from tests.check_cache import Check


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(check_cache.SWITCH, raising=False)
    monkeypatch.setattr(check_cache, "REUSED", [])  # the run's summary names real checks only


def _run(check: Check) -> tuple[str, list[str]]:
    ran = []
    value = check.run(lambda: ran.append("ran") or "computed")
    return value, ran


def test_a_remembered_value_is_reused_and_any_changed_input_is_a_miss(tmp_path):
    stacks = tmp_path / "stacks"
    (stacks / "eu-west-1").mkdir(parents=True)
    (stacks / "eu-west-1" / "cdk.tf.json").write_text("{}")
    check = Check.of("lint", stacks, "1.0")
    assert _run(check) == ("computed", ["ran"])
    check.remember("computed")
    assert _run(Check.of("lint", stacks, "1.0")) == ("computed", [])

    (stacks / "eu-west-1" / "cdk.tf.json").write_text('{"resource": {}}')
    assert _run(Check.of("lint", stacks, "1.0"))[1] == ["ran"]  # a file's content
    (stacks / "eu-west-1" / "cdk.tf.json").write_text("{}")
    (stacks / "eu-west-1" / "extra.json").write_text("{}")
    assert _run(Check.of("lint", stacks, "1.0"))[1] == ["ran"]  # a file more
    (stacks / "eu-west-1" / "extra.json").unlink()
    assert _run(Check.of("lint", stacks, "1.1"))[1] == ["ran"]  # a tool's version
    assert _run(Check.of("other", stacks, "1.0"))[1] == ["ran"]  # another check
    assert _run(Check.of("lint", stacks, "1.0"))[1] == []


def test_nothing_is_kept_unless_the_test_says_it_passed():
    check = Check.of("lint", "input")
    _run(check)
    assert _run(check)[1] == ["ran"]
    assert not check_cache.folder().exists()


def test_switched_off_every_check_runs(monkeypatch):
    check = Check.of("lint", "input")
    check.remember("computed")
    monkeypatch.setenv(check_cache.SWITCH, "0")
    assert _run(check)[1] == ["ran"]


def test_a_temporary_folders_name_is_not_part_of_the_key(tmp_path):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "template.json").write_text("{}")
    assert Check.of("lint", tmp_path / "one") == Check.of("lint", tmp_path / "two")


def test_the_app_files_hold_the_sources_and_not_the_tests():
    names = {str(p.relative_to(check_cache.PROJECT)) for p in check_cache.app_files()}
    assert {"main.py", "config.py", "Pipfile.lock", "scripts/install.py"} <= names
    assert any(name.startswith("constructs_lib/") for name in names)
    assert not any(name.startswith(("tests/", ".git/", ".venv/", "docs/")) for name in names)
    assert ".git" not in names  # a worktree's .git file
    assert "README.md" not in names


def _synthesize_into(calls: list[str]):
    def synthesize(out):
        calls.append("synthesized")
        out.mkdir(parents=True)
        (out / "stack.json").write_text('{"resource": {}}')

    return synthesize


def test_a_configuration_is_synthesized_once_and_reused_until_it_changes(monkeypatch):
    monkeypatch.setattr(check_cache, "SYNTHESES", {"reused": [], "synthesized": []})
    calls: list[str] = []
    first = check_cache.synthesized({"regions": ["eu-west-1"]}, _synthesize_into(calls))
    again = check_cache.synthesized({"regions": ["eu-west-1"]}, _synthesize_into(calls))
    assert first == again and calls == ["synthesized"]
    assert (first / "stack.json").read_text() == '{"resource": {}}'
    other = check_cache.synthesized({"regions": ["us-east-1"]}, _synthesize_into(calls))
    assert other != first and calls == ["synthesized", "synthesized"]
    assert len(check_cache.SYNTHESES["reused"]) == 1


def test_a_failed_synthesis_leaves_nothing_behind(monkeypatch):
    def fails(out):
        out.mkdir(parents=True)
        raise RuntimeError("synthesis failed")

    with pytest.raises(RuntimeError):
        check_cache.synthesized({"regions": ["eu-west-1"]}, fails)
    calls: list[str] = []
    check_cache.synthesized({"regions": ["eu-west-1"]}, _synthesize_into(calls))
    assert calls == ["synthesized"]


def test_without_the_cache_or_a_canonical_form_the_caller_synthesizes(monkeypatch):
    calls: list[str] = []
    assert check_cache.synthesized({"when": object()}, _synthesize_into(calls)) is None
    monkeypatch.setenv(check_cache.SWITCH, "0")
    assert check_cache.synthesized({"regions": ["eu-west-1"]}, _synthesize_into(calls)) is None
    assert calls == []
