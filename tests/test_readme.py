"""The README's detections table is the catalog, rendered."""

from __future__ import annotations

from scripts.catalog_table import README, rendered_readme


def test_readme_catalog_table_is_current():
    text = README.read_text(encoding="utf-8")
    assert text == rendered_readme(text), "README.md's catalog table is stale: run `make docs`"


def test_the_chat_picture_is_current():
    from scripts.chat_picture import PICTURE, rendered

    assert PICTURE.read_text(encoding="utf-8") == rendered(), "run `make docs`"


def test_the_readme_replay_speed_is_the_last_recorded_benchmark():
    """README, Tuning: the replay speed lines are benchmarks/replay_results.json, rendered."""
    import json

    from benchmarks.replay_bench import README as BENCH_README
    from benchmarks.replay_bench import RESULTS, rendered_readme

    text = BENCH_README.read_text(encoding="utf-8")
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert text == rendered_readme(text, results), "run `make bench-replay ARGS=--record`"
    assert results["records"] == 1_000_000 and results["runs"] >= 3
