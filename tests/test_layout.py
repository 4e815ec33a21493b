"""The import graph runs one way: the app shell and orchestration on top, the stage libraries below them,
the settings module at the bottom. Read from the AST of every module of every package pyproject.toml ships."""

from __future__ import annotations

import ast
import importlib
import tomllib
from pathlib import Path

import pytest
import yaml

from ecomops.settings import DEFAULT_TIMEZONE

ROOT = Path(__file__).resolve().parents[1]
STAGE_LIBRARIES = ("ingestion", "quality", "alerts", "serving", "semantic", "demo_data", "platform_sync",
                   "platform_simulator")
# App-level packages: below the CLI, beside orchestration (never importing it), above the stage libraries.
APP_PACKAGES = ("dashboard",)
SETTINGS = "ecomops.settings"
CLI = "ecomops.cli"


def _packages() -> list[str]:
    """Top-level packages setuptools ships: `[tool.setuptools.packages.find] include`, without the globs."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]


def _modules() -> dict[str, Path]:
    """Every module of those packages, by dotted name."""
    modules = {}
    for package in _packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Dotted names a module imports anywhere in it (deferred imports in functions too), relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            imported.add(base)
            imported.update(f"{base}.{alias.name}" for alias in node.names)
    return imported


def _of_project(imported: set[str]) -> set[str]:
    return {name for name in imported if name.split(".")[0] in _packages()}


def test_every_package_pyproject_ships_holds_modules_and_each_imports():
    assert set(STAGE_LIBRARIES) <= set(_packages())
    assert {SETTINGS, CLI, "orchestration.definitions"} <= set(MODULES)
    for name in MODULES:
        importlib.import_module(name)


def test_the_import_reader_sees_absolute_deferred_and_relative_imports():
    """The rules below hold only if the reader finds imports: these three kinds are known to be there."""
    assert "orchestration.lib.warehouse" in _imports("orchestration.definitions", MODULES["orchestration.definitions"])
    assert "orchestration.run" in _imports(CLI, MODULES[CLI])  # imported inside a function
    assert "demo_data.generator" in _imports("demo_data", MODULES["demo_data"])  # `from .generator import ...`


@pytest.mark.parametrize("name", [name for name in MODULES if name.split(".")[0] in STAGE_LIBRARIES + APP_PACKAGES])
def test_stage_libraries_and_app_packages_import_neither_orchestration_nor_the_cli(name):
    upward = {imported for imported in _imports(name, MODULES[name])
              if imported.split(".")[0] == "orchestration" or imported == CLI or imported.startswith(CLI + ".")}
    assert not upward, f"{name} imports {sorted(upward)}: stage libraries and app packages sit below orchestration and the CLI"


def test_the_cli_serves_the_dashboard():
    assert set(APP_PACKAGES) <= set(_packages())
    assert "dashboard" in _imports(CLI, MODULES[CLI])


@pytest.mark.parametrize("name", [name for name in MODULES if name.split(".")[0] in STAGE_LIBRARIES])
def test_stage_libraries_import_no_app_package(name):
    upward = {imported for imported in _imports(name, MODULES[name]) if imported.split(".")[0] in APP_PACKAGES}
    assert not upward, f"{name} imports {sorted(upward)}: stage libraries sit below the app packages"


def test_the_settings_module_imports_nothing_of_the_project():
    assert not _of_project(_imports(SETTINGS, MODULES[SETTINGS]))


ENVIRON_WRITES = {"setdefault", "update", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _environ_writes(source: str) -> list[str]:
    """Where a module writes the process environment: `os.environ[...] =` (or +=, del), a mutating method of
    os.environ, os.putenv / os.unsetenv; `from os import environ, putenv` aliases included."""
    tree = ast.parse(source)
    aliases = {alias.asname or alias.name: alias.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "os" for alias in node.names}

    def is_os(node: ast.AST, name: str) -> bool:
        return ((isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.value, ast.Name)
                 and node.value.id == "os") or (isinstance(node, ast.Name) and aliases.get(node.id) == name))

    writes = []
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        while any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):  # a, b = ...
            targets = [e for t in targets for e in (t.elts if isinstance(t, (ast.Tuple, ast.List))
                                                    else [t.value] if isinstance(t, ast.Starred) else [t])]
        writes += [f"line {node.lineno}: os.environ[...] written" for target in targets
                   if isinstance(target, ast.Subscript) and is_os(target.value, "environ")]
        if isinstance(node, ast.Call):
            function = node.func
            if (isinstance(function, ast.Attribute) and function.attr in ENVIRON_WRITES
                    and is_os(function.value, "environ")) or is_os(function, "putenv") or is_os(function, "unsetenv"):
                writes.append(f"line {node.lineno}: {ast.unparse(function)}(...)")
    return writes


def test_the_environment_reader_sees_each_kind_of_write():
    """The rule below holds only if the reader finds writes: one of each kind, and reads that are not."""
    written = _environ_writes("import os\nfrom os import environ as env, putenv\n"
                              "os.environ['A'] = '1'\nos.environ['A'] += '2'\ndel os.environ['A']\n"
                              "os.environ.setdefault('A', '1')\nos.environ.update(A='1')\nos.environ.pop('A')\n"
                              "env['B'] = '1'\nenv.update(B='2')\nos.putenv('C', '1')\nputenv('C', '2')\n"
                              "os.unsetenv('C')\nos.environ['D'], (env['E'], *_) = '1', ('2', '3')\n")
    assert len(written) == 13, written
    assert not _environ_writes("import os\nx = os.environ.get('A')\ny = dict(os.environ)\nz = {**os.environ}\n")


@pytest.mark.parametrize("name", list(MODULES))
def test_no_module_writes_the_environment(name):
    """Settings are built once and passed down: never through os.environ, whose writes every later reader sees."""
    writes = _environ_writes(MODULES[name].read_text(encoding="utf-8"))
    assert not writes, f"{name} writes the process environment: {writes}"


def test_the_python_and_dbt_default_timezones_are_one_zone():
    """The settings' business timezone (ingestion, gates, partitions) and dbt's own var for the SQL side:
    dbt keeps its var so that it builds on its own (dbt CLI, unit tests), but both name one zone."""
    dbt_project = yaml.safe_load((ROOT / "transform" / "dbt_project.yml").read_text(encoding="utf-8"))
    assert dbt_project["vars"]["default_timezone"] == DEFAULT_TIMEZONE
