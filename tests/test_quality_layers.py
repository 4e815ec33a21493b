"""The modules of quality/ import one way: types and SQL at the bottom, the two gate entry points near the top."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import quality

# Bottom first: a module may import only modules before it here.
LAYERS = ["config", "results", "catalog", "suites", "personal", "chunks", "screening", "volume", "records",
          "raw_gate", "mart_gate", "report"]


def _quality_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name.split(".")[1] for name in names if name.startswith("quality.")}


def test_every_quality_module_imports_only_modules_below_it():
    modules = {path.stem: path for path in Path(quality.__file__).parent.glob("*.py") if path.stem != "__init__"}
    assert set(modules) == set(LAYERS), "place a new module of quality/ in LAYERS"
    upward = {(name, imported) for name, path in modules.items() for imported in _quality_imports(path)
              if LAYERS.index(imported) >= LAYERS.index(name)}
    assert upward == set()
    for name in LAYERS:
        importlib.import_module(f"quality.{name}")
