"""Dependencies point one way: ``assessments`` uses ``catalogue``, never the other way round.

Only the pure maths (``assessments.scoring``, no Django) may be reached from here, to validate
what a catalogue states with the very rules that score it.
"""

import ast
from pathlib import Path

import catalogue

ALLOWED = ("assessments.scoring",)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_catalogue_module_imports_the_assessments_app():
    root = Path(catalogue.__file__).parent
    found = {
        f"{path.relative_to(root.parent)}: {name}"
        for path in root.rglob("*.py")
        for name in _imports(path)
        if (name == "assessments" or name.startswith("assessments.")) and not name.startswith(ALLOWED)
    }
    assert found == set()
