"""cdktf.schema.json and the configuration reference's table, both from the keys' declarations
in config.py: `python scripts/config_reference.py [--write]`.

cdktf.json names the schema (`"$schema": "./cdktf.schema.json"`), so VS Code, JetBrains and other
editors check and complete the settings as they are typed; config.py stays the judge, with its
one-line errors. The table goes into whichever page holds its block (doc_pages).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import configuration_reference, json_schema
from scripts import doc_pages

SCHEMA = doc_pages.PROJECT / "cdktf.schema.json"
BLOCKS = {"configuration": configuration_reference}


def rendered() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        SCHEMA.write_text(rendered(), encoding="utf-8")
    elif SCHEMA.read_text(encoding="utf-8") != rendered():
        sys.exit("cdktf.schema.json is stale: run `make docs`")
    doc_pages.main(BLOCKS, "the configuration table is")
