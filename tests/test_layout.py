"""The layout shows the architecture, and imports run one way: constructs never up to the
configuration, scripts and operator commands never into the tests, every folder of constructs_lib
opening with what it owns."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("constructs_lib", ("config", "config_values", "stacks", "ops", "tests", "main")),
        ("models", ("config", "config_values", "constructs_lib", "stacks", "ops", "tests", "main")),
        ("scripts", ("tests",)),
        ("ops", ("tests",)),
        ("stacks", ("tests", "ops")),
    ],
)
def test_imports_run_one_way(folder, forbidden):
    wrong = [
        f"{path.relative_to(PROJECT)} imports {module}"
        for path in sorted((PROJECT / folder).rglob("*.py"))
        for module in sorted(imported(path))
        if module.split(".")[0] in forbidden
    ]
    assert wrong == []


def test_each_folder_of_constructs_says_what_it_owns():
    for folder in sorted(p for p in (PROJECT / "constructs_lib").iterdir() if p.is_dir()):
        if folder.name.startswith("__") or folder.name == "rules":
            continue
        init = folder / "__init__.py"
        assert init.exists(), folder
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 80, folder
        assert f"``{folder.name}``" in (PROJECT / "constructs_lib" / "__init__.py").read_text(), (
            f"constructs_lib/__init__.py does not map {folder.name}"
        )
