"""The documentation's generated blocks (the detections table and the catalog's other tables,
the example alerts, the measured figures, the chat picture) are current on whichever page holds
them, and its JSON examples are what the configuration accepts."""

from __future__ import annotations

from scripts import catalog_table, doc_pages


def test_readme_catalog_table_is_current():
    for page, (text, wanted) in doc_pages.rendered_pages(catalog_table.BLOCKS).items():
        assert text == wanted, f"{page.name}'s catalog table is stale: run `make docs`"


def test_the_configuration_table_is_the_keys_declarations():
    """Each key's row (its shell variable and form, default and meaning) comes from its one
    declaration in config.py."""
    from scripts.config_reference import BLOCKS

    for page, (text, wanted) in doc_pages.rendered_pages(BLOCKS).items():
        assert text == wanted, f"{page.name}'s configuration table is stale: run `make docs`"


def test_the_chat_picture_is_current():
    from scripts.chat_picture import PICTURE, rendered

    assert PICTURE.read_text(encoding="utf-8") == rendered(), "run `make docs`"


def test_the_measured_figures_are_current(tmp_path):
    """Costs counted in freshly synthesized stacks; speed and scale from the recorded benchmarks."""
    from config import parse_config
    from scripts import readme_figures
    from tests.conftest import synthesize_to

    def synthesize(context):
        stacks = synthesize_to(
            parse_config(context, {}), tmp_path / str(len(list(tmp_path.iterdir())))
        )
        return {name: stack.document for name, stack in stacks.items()}

    blocks = {**readme_figures.BLOCKS, "costs": lambda: readme_figures.cost_cells(synthesize)}
    for page, (text, wanted) in doc_pages.rendered_pages(blocks).items():
        assert text == wanted, f"{page.name}'s figures are stale: run `make docs`"


def test_every_json_block_is_json_and_the_configuration_ones_are_accepted():
    """A json block of the README or a docs page is a JSON document, or an object's members;
    those that are cdktf.json context keys are accepted by the configuration (a user pastes them;
    with every detection group, which some examples need and the pages' text says)."""
    import json
    import re

    from config import KEYS, parse_config
    from tests.conftest import ALL_GROUPS

    known = {key.name for key in KEYS}
    text = "\n".join(page.read_text(encoding="utf-8") for page in doc_pages.pages())
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        try:
            document = json.loads(block)
        except json.JSONDecodeError:
            document = json.loads("{" + block + "}")  # members of cdktf.json's context
        if isinstance(document, dict) and document and set(document) <= known:
            parse_config({"detectionGroups": ALL_GROUPS, **document}, {})
