"""Dependencies point one way: schemas <- newswire (library) <- consumers <- command line.

`schemas` imports nothing of ours; the library in `newswire/` imports `schemas` (never
`consumers`); `consumers` imports both; only the command line (`newswire.cli`, `newswire.demo`,
`newswire.__main__`) sees everything. Every import counts, also those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = frozenset({"schemas", "newswire", "consumers", "dags", "tests", "benchmarks"})
COMMAND_LINE = frozenset({"newswire.cli", "newswire.demo", "newswire.__main__"})

# What each layer may import of ours (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "schemas": frozenset({"schemas"}),
    "newswire": frozenset({"schemas", "newswire"}),
    "consumers": frozenset({"schemas", "newswire", "consumers"}),
    "dags": frozenset({"schemas", "newswire"}),
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    package = _module_name(path, root).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = (package or _module_name(path, root)).split(".")
                base = base[: len(base) - node.level + 1]
                found.append((node.lineno, ".".join([*base, node.module or ""]).strip(".")))
            elif node.module is not None:
                found.append((node.lineno, node.module))
    return found


def _layer(module: str) -> str:
    # A command-line package (newswire.demo) is command line with every module in it.
    if any(module == c or module.startswith(c + ".") for c in COMMAND_LINE):
        return "command line"
    return module.split(".", 1)[0]


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    module = _module_name(path, root)
    layer = _layer(module)
    if layer == "command line":
        return []
    allowed = ALLOWED[layer]
    problems = []
    for line, imported in _imports(path, root):
        top = imported.split(".", 1)[0]
        if top not in OURS:
            continue
        cli = any(imported == c or imported.startswith(c + ".") for c in COMMAND_LINE)
        if top not in allowed or cli:
            problems.append(f"{path.relative_to(root)}:{line}: {layer} imports {imported}")
    return problems


def _product_files() -> list[Path]:
    return sorted(p for layer in ALLOWED for p in (ROOT / layer).rglob("*.py"))


def test_every_layer_imports_only_what_lies_below_it() -> None:
    files = _product_files()
    assert len(files) > 50  # the walk found the tree, not an empty folder
    problems = [problem for path in files for problem in _violations(path)]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("schemas/x.py", "from newswire.errors import NewswireError\n", "schemas imports"),
        ("newswire/x.py", "def f():\n    import consumers.runtime\n", "newswire imports"),
        ("consumers/x.py", "from newswire.cli import app\n", "consumers imports"),
        ("dags/x.py", "from consumers.indexer import service\n", "dags imports"),
    ],
)
def test_the_check_catches_an_import_against_the_direction(
    tmp_path: Path, module: str, source: str, expected: str
) -> None:
    path = tmp_path / module
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    problems = _violations(path, tmp_path)
    assert len(problems) == 1
    assert expected in problems[0]


def test_the_command_line_may_import_everything(tmp_path: Path) -> None:
    path = tmp_path / "newswire" / "cli.py"
    path.parent.mkdir(parents=True)
    path.write_text("from consumers.alerter.commands import subscriptions_app\n", "utf-8")
    assert _violations(path, tmp_path) == []
