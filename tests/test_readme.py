"""The README's detections table is the catalog, rendered."""

from __future__ import annotations

from scripts.catalog_table import README, rendered_readme


def test_readme_catalog_table_is_current():
    text = README.read_text(encoding="utf-8")
    assert text == rendered_readme(text), "README.md's catalog table is stale: run `make docs`"


def test_the_chat_picture_is_current():
    from scripts.chat_picture import PICTURE, rendered

    assert PICTURE.read_text(encoding="utf-8") == rendered(), "run `make docs`"
