"""The JSON Schema of cdktf.json's context, for editors: `python scripts/config_schema.py [--write]`.

cdktf.json names it (`"$schema": "./cdktf.schema.json"`), so VS Code, JetBrains and other
editors check and complete the settings as they are typed. It is written from the keys'
declarations in config.py (config.json_schema), which also parse them: config.py stays the judge,
with its one-line errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import json_schema

SCHEMA = Path(__file__).resolve().parent.parent / "cdktf.schema.json"


def rendered() -> str:
    return json.dumps(json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        SCHEMA.write_text(rendered(), encoding="utf-8")
    elif SCHEMA.read_text(encoding="utf-8") != rendered():
        sys.exit("cdktf.schema.json is stale: run `make docs`")
