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
    assert "README.md" not in names
