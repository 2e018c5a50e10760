"""The data-driven evaluation suite: every file in tests/golden/eval/, one loader.

A file gives `rules` (a whole ruleset, loaded with allow_draft), optionally
`model` (a custom model from tests/support/models.py) and `as_of` (the time
of every case unless a case gives its own), and `cases`. A case gives
`patient`, optionally `exercises`, `parameters` and `as_of`, and expects
either `expect` (a subset of the decision JSON: every key given must match,
lists compare as lists) or `error` (the name of the exception).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import clinrules
from tests.support.golden import golden_cases
from tests.support.models import MODELS

GOLDEN = Path(__file__).parent / "golden" / "eval"
_RULESETS: dict[Path, clinrules.RuleSet] = {}


def _ruleset(path: Path, data: dict[str, Any]) -> clinrules.RuleSet:
    if path not in _RULESETS:
        model = MODELS[data["model"]] if "model" in data else None
        _RULESETS[path] = clinrules.compile(
            data["rules"], model=model, source_name=path.name, allow_draft=True
        )
    return _RULESETS[path]


def _cases() -> list[Any]:
    return [
        pytest.param(path, data, case, id=f"{path.stem}: {case['name']}")
        for path, data, case in golden_cases(GOLDEN)
    ]


def subset_mismatch(expected: Any, actual: Any, where: str = "") -> str | None:
    """Where `expected` is not a subset of `actual`, or None."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where or 'the decision'}: expected an object, got {actual!r}"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key}: missing from the decision"
            problem = subset_mismatch(value, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if expected != actual:
        return f"{where}: expected {expected!r}, got {actual!r}"
    return None


def test_golden_eval_files_cover_enough_cases() -> None:
    assert len(_cases()) >= 60


@pytest.mark.parametrize(("path", "data", "case"), _cases())
def test_golden(path: Path, data: dict[str, Any], case: dict[str, Any]) -> None:
    ruleset = _ruleset(path, data)
    kwargs = {
        "exercises": case.get("exercises"),
        "parameters": case.get("parameters"),
        "as_of": case.get("as_of", data.get("as_of")),
    }
    if "error" in case:
        with pytest.raises(clinrules.ClinrulesError) as raised:
            ruleset.evaluate(case["patient"], **kwargs)
        assert type(raised.value).__name__ == case["error"]
        return
    decision = ruleset.evaluate(case["patient"], **kwargs).model_dump(mode="json")
    problem = subset_mismatch(case["expect"], decision)
    assert problem is None, problem
