"""The data-driven checker suite: every file in tests/golden/check/, one loader.

A case gives `body` (declarations after a standard prelude that declares a
few exercises, a ladder and a source) or `source` (a whole file), and maybe
`files` (other files beside it, for includes), `model` (a custom model from
tests/support/models.py, passed to the API) and `mode: load` (use
clinrules.load, which applies the status gate). It expects `errors` (the
error diagnostics, exactly, as code, line, column and file when not the
main one) and optionally `warnings` (likewise), or `clean: true`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.base.diagnostics import Diagnostic, Severity
from tests.support.golden import case_params
from tests.support.models import MODELS

GOLDEN = Path(__file__).parent / "golden" / "check"
PRELUDE = """\
ruleset golden
  version 1.0.0
  status draft
  model sciatica
exercise glute_squeeze "Glute squeeze" tagged strengthening
exercise glute_bridge "Glute bridge" tagged strengthening, hip_extension
exercise walking "Walking" tagged aerobic
ladder bridge: glute_squeeze, glute_bridge
source s1 "A source"
otherwise allow
"""


def _cases() -> list[Any]:
    return case_params(GOLDEN)


def run_case(case: dict[str, Any], tmp_path: Path) -> list[Diagnostic]:
    source = case["source"] if "source" in case else PRELUDE + case["body"]
    main = tmp_path / "main.rules"
    main.write_text(source, encoding="utf-8")
    for name, text in case.get("files", {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    model = MODELS[case["model"]] if "model" in case else None
    try:
        if case.get("mode") == "load":
            return list(clinrules.load(main, model=model).diagnostics)
        return clinrules.check_file(main, model=model)
    except clinrules.RulesetError as error:
        return list(error.diagnostics)


def _summary(diagnostics: list[Diagnostic], severity: Severity, tmp_path: Path) -> list[dict[str, Any]]:
    out = []
    for d in diagnostics:
        if d.severity is not severity:
            continue
        entry: dict[str, Any] = {"code": d.code, "line": d.line, "column": d.column}
        if Path(d.file).name != "main.rules":
            entry["file"] = Path(d.file).name
        out.append(entry)
    return out


def test_every_checker_code_has_a_golden_case() -> None:
    from clinrules.base.diagnostics import CODES

    seen = set()
    for case in (p.values[0] for p in _cases()):
        for entry in case.get("errors", []) + case.get("warnings", []):
            seen.add(entry["code"])
    wanted = {code for code in CODES if code[2] in "2345"}
    assert sorted(wanted - seen) == []


@pytest.mark.parametrize("case", _cases())
def test_golden(case: dict[str, Any], tmp_path: Path) -> None:
    diagnostics = run_case(case, tmp_path)
    errors = _summary(diagnostics, Severity.ERROR, tmp_path)
    if case.get("clean"):
        assert errors == []
        assert _summary(diagnostics, Severity.WARNING, tmp_path) == case.get("warnings", [])
        return
    assert errors == case.get("errors", [])
    if "warnings" in case:
        assert _summary(diagnostics, Severity.WARNING, tmp_path) == case["warnings"]
