"""The package's layout: one folder per stage, imports only down the pipeline (docs/architecture.md)."""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from pathlib import Path

import pytest

import clinrules
from tests.conftest import ROOT
from tests.support.imports import against_direction, find_cycle, import_graph, layer_of, module_files

PACKAGE = ROOT / "src" / "clinrules"

# The direction of docs/architecture.md: a module may import its own layer or
# a lower one, never a higher one. Every module of the package must be listed.
LAYERS = {
    "clinrules.base": 0,
    "clinrules.models": 1,
    "clinrules.syntax": 2,
    "clinrules.schema": 3,
    "clinrules.ir": 4,
    "clinrules.check": 5,
    "clinrules.engine": 6,
    "clinrules.decision": 7,
    "clinrules.prove": 8,  # reads the IR, replays through engine and decision; RuleSet.prove() calls it
    "clinrules.ruleset": 9,
    "clinrules.api": 9,
    "clinrules.authoring": 10,
    "clinrules.fhir": 10,
    "clinrules.service": 10,
    "clinrules.lexer": 10,
    "clinrules.batch": 10,
    "clinrules.spark": 10,
    "clinrules.dask": 10,
    "clinrules.cli": 11,
    "clinrules": 12,  # the facade: lazy names, imported by no module of the package
    "clinrules.__main__": 12,  # `python -m clinrules`: the command line, like the console script
}
MAX_LINES = 520  # "about 500": a module past this is two ideas
MAX_MODULES = 12  # per folder, not counting __init__.py


def _layered(module: str) -> bool:
    return module == "clinrules" or any(
        module == name or module.startswith(name + ".") for name in LAYERS if name != "clinrules"
    )


def test_no_import_cycle_in_the_package() -> None:
    assert find_cycle(import_graph(PACKAGE)) is None


def test_every_module_has_a_layer() -> None:
    assert [m for m in module_files(PACKAGE) if not _layered(m)] == []


def test_imports_run_down_the_pipeline_only() -> None:
    assert against_direction(import_graph(PACKAGE), LAYERS) == []


def test_no_module_imports_the_facade() -> None:
    graph = import_graph(PACKAGE)
    assert sorted(m for m, deps in graph.items() if "clinrules" in deps) == []


def test_the_checks_catch_a_cycle_and_a_backward_import(tmp_path: Path) -> None:
    pkg = tmp_path / "clinrules"
    (pkg / "engine").mkdir(parents=True)
    (pkg / "check").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "check" / "__init__.py").write_text("")
    (pkg / "engine" / "__init__.py").write_text("")
    (pkg / "check" / "a.py").write_text("from clinrules.engine import b\n")
    (pkg / "engine" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from clinrules.check.a import x\n"
    )
    (pkg / "engine" / "c.py").write_text("def f():\n    from . import b\n")
    graph = import_graph(pkg)
    assert graph["clinrules.engine.c"] == {"clinrules.engine.b"}
    assert find_cycle(graph) == ["clinrules.check.a", "clinrules.engine.b", "clinrules.check.a"]
    assert against_direction(graph, LAYERS) == ["clinrules.check.a -> clinrules.engine.b"]
    assert layer_of("clinrules.engine.c", LAYERS) == LAYERS["clinrules.engine"]


def test_modules_stay_small() -> None:
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in module_files(PACKAGE).items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


def test_folders_stay_small() -> None:
    folders = [PACKAGE, *(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())]
    counts = {f.name: len([p for p in f.glob("*.py") if p.name != "__init__.py"]) for f in folders}
    assert {f: n for f, n in counts.items() if n > MAX_MODULES} == {}


@pytest.mark.parametrize(
    "package", sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
)
def test_each_stage_says_what_comes_in_and_goes_out(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"clinrules.{package} has no docstring"
    assert "In:" in doc, "say what comes in"
    assert "Out:" in doc, "say what goes out"


def test_every_module_has_a_docstring() -> None:
    missing = [
        m for m, p in module_files(PACKAGE).items() if not ast.get_docstring(ast.parse(p.read_text("utf-8")))
    ]
    assert missing == []


# ------------------------------------------------------------------ the public surface, unchanged


PUBLIC = [
    "ArgumentError",
    "ClinrulesError",
    "Decision",
    "Diagnostic",
    "ExerciseDecision",
    "ExerciseError",
    "OrdinalEnum",
    "Outcomes",
    "ParameterError",
    "ParameterInfo",
    "PatientDataError",
    "RuleSet",
    "RulesetError",
    "Severity",
    "Triage",
    "Verdict",
    "check_file",
    "compile",
    "load",
    "parse",
]


def test_the_public_names_are_unchanged() -> None:
    assert sorted(clinrules.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(clinrules, name).__name__ == name


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("clinrules.api", "load"),
        ("clinrules.api", "compile"),
        ("clinrules.api", "check_file"),
        ("clinrules.ruleset", "RuleSet"),
        ("clinrules.decision", "Decision"),
        ("clinrules.decision", "Verdict"),
        ("clinrules.lexer", "ClinrulesLexer"),
        ("clinrules.cli", "main"),
        ("clinrules.models", "resolve_model"),
    ],
)
def test_old_public_paths_still_work(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name)


def test_entry_points_name_modules_that_exist() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    targets = [project["scripts"]["clinrules"], project["entry-points"]["pygments.lexers"]["clinrules"]]
    for target in targets:
        module, _, attribute = target.partition(":")
        assert callable(getattr(importlib.import_module(module), attribute))


def test_the_version_is_pyprojects() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert clinrules.__version__ == project["version"]


# ------------------------------------------------------------------ docs/architecture.md stays true

ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _table_rows(heading: str) -> list[list[str]]:
    section = ARCHITECTURE.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # without the header and its rule


def test_the_folder_table_names_every_module() -> None:
    rows = {row[0]: row[-1] for row in _table_rows("## The folders")}
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        cell = rows[f"`{folder.name}/`"]
        for module in sorted(folder.glob("*.py")):
            if module.name != "__init__.py":
                assert f"`{module.stem}`" in cell, f"{folder.name}/{module.name} is not in the table"


def test_the_walk_through_names_real_files_and_functions() -> None:
    rows = _table_rows("## Where `K of the last N sessions` lives")
    assert len(rows) >= 10
    for _what, files, where in rows:
        paths = [ROOT / p for p in re.findall(r"`([\w/.-]+\.(?:py|lark|json|yaml))`", files)]
        assert paths, files
        assert all(p.is_file() for p in paths), files
        text = "\n".join(p.read_text(encoding="utf-8") for p in paths)
        for name in re.findall(r"`([\w.]+)`", where):
            leaf = name.rsplit(".", 1)[-1]
            assert re.search(
                rf"(def|class) {leaf}\b|-> {leaf}\b|\b{leaf} = |^\s*{leaf}:", text, re.MULTILINE
            ), f"{name} not in {files}"
