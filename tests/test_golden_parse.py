"""The data-driven parse suite: every file in tests/golden/parse/, one loader.

A case gives `source` (a whole file) or `condition` (parsed as the body of a
define), and expects either `ast` (the summary of tests/support/summary.py)
or `errors` (codes with line and column, in order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.syntax import ast
from tests.support import summary
from tests.support.golden import case_params

GOLDEN = Path(__file__).parent / "golden" / "parse"
CONDITION_PREFIX = "library golden\n  version 1.0.0\n  status draft\ndefine golden: "


def _cases() -> list[Any]:
    return case_params(GOLDEN)


def test_golden_files_exist() -> None:
    assert len(_cases()) >= 100


@pytest.mark.parametrize("case", _cases())
def test_golden(case: dict[str, Any]) -> None:
    source = CONDITION_PREFIX + case["condition"] + "\n" if "condition" in case else case["source"]
    if "errors" in case:
        with pytest.raises(clinrules.RulesetError) as raised:
            clinrules.parse(source, "golden.rules")
        found = [{"code": d.code, "line": d.line, "column": d.column} for d in raised.value.diagnostics]
        assert found == case["errors"]
        return
    parsed = clinrules.parse(source, "golden.rules")
    if "condition" in case:
        define = parsed.declarations[0]
        assert isinstance(define, ast.Define)
        assert summary.condition(define.condition) == case["ast"]
    else:
        assert summary.rule_file(parsed) == case["ast"]
