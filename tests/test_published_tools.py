"""Published tools written as rules: STarT Back against its plain-Python reference, and a PAR-Q+ style screen.

examples/startback/reference.py scores the STarT Back Screening Tool as the
publication does, without clinrules; the rules must agree with it on every
one of the 1,280 ways to answer the nine items (language-2.md section 10 and
issue 14), here in-process and through the generated case file.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

import clinrules
from clinrules.cli.main import main
from tests.conftest import ROOT

STARTBACK = ROOT / "examples" / "startback"
PARQ = ROOT / "examples" / "parq"
DOCS = ROOT / "docs" / "published-tools.md"
AS_OF = "2026-12-01T09:00:00Z"


def _module(path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(path.parent))  # reference.py and make_cases.py import their neighbours
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # pydantic resolves annotations in it
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def startback(monkeypatch: pytest.MonkeyPatch) -> tuple[clinrules.RuleSet, ModuleType]:
    model = _module(STARTBACK / "startback_model.py", "startback_model", monkeypatch)
    reference = _module(STARTBACK / "reference.py", "reference", monkeypatch)
    return clinrules.load(STARTBACK / "screen.rules", model=model.Patient, allow_draft=True), reference


def test_the_startback_rules_agree_with_the_reference_on_all_1280_answer_sets(
    startback: tuple[clinrules.RuleSet, ModuleType],
) -> None:
    ruleset, reference = startback
    answer_sets = list(reference.every_answer_set())
    assert len(answer_sets) == 1280
    assert len({tuple(a.values()) for a in answer_sets}) == 1280
    groups = set()
    for answers in answer_sets:
        decision = ruleset.evaluate({"startback": answers}, as_of=AS_OF)
        total, psychosocial = reference.scores(answers)
        assert decision.scores["startback_total"].model_dump() == {"low": total, "high": total}, answers
        assert decision.scores["startback_psychosocial"].model_dump() == {
            "low": psychosocial,
            "high": psychosocial,
        }
        risk = decision.assessments["startback_risk"]
        assert (risk.value, risk.possible) == (reference.risk_group(answers), [reference.risk_group(answers)])
        groups.add(risk.value)
    assert groups == {"low", "medium", "high"}


def test_an_unanswered_item_gives_a_range_that_holds_every_answer_and_settles_the_group_when_they_agree(
    startback: tuple[clinrules.RuleSet, ModuleType],
) -> None:
    ruleset, reference = startback
    for answers in list(reference.every_answer_set())[::37]:  # a spread of answer sets, each item left out
        for item in (*reference.AGREE_ITEMS, "bothersome"):
            partial = {k: v for k, v in answers.items() if k != item}
            decision = ruleset.evaluate({"startback": partial}, as_of=AS_OF)
            options = (False, True) if item != "bothersome" else reference.BOTHERSOME
            completions = [{**partial, item: option} for option in options]
            totals = [reference.scores(c)[0] for c in completions]
            total = decision.scores["startback_total"]
            assert (total.low, total.high) == (min(totals), max(totals))
            groups = {reference.risk_group(c) for c in completions}
            risk = decision.assessments["startback_risk"]
            assert set(risk.possible) >= groups  # never fewer groups than the answers allow
            if risk.value is not None:
                assert groups == {risk.value}  # a settled group is the group of every answer


def test_the_startback_case_file_is_what_make_cases_writes_from_the_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_cases = _module(STARTBACK / "make_cases.py", "make_cases", monkeypatch)
    assert (STARTBACK / "screen.cases.yaml").read_text(encoding="utf-8") == make_cases.cases_text()


@pytest.mark.parametrize(
    ("folder", "cases", "count"), [(STARTBACK, "screen.cases.yaml", 1284), (PARQ, "parq.cases.yaml", 10)]
)
def test_the_case_files_pass_with_full_coverage(folder: Path, cases: str, count: int) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["test", "--min-coverage", "100", str(folder / cases)], out, err) == 0, (
        out.getvalue() + err.getvalue()
    )
    assert f"{count} cases: {count} passed, 0 failed; coverage 100%" in out.getvalue()


@pytest.mark.parametrize(
    ("folder", "model", "files"),
    [
        (STARTBACK, "startback_model:Patient", ["screen.rules", "startback.rules"]),
        (PARQ, "parq_model:Patient", ["parq.rules"]),
    ],
)
def test_the_tools_check_clean_with_their_models(
    folder: Path, model: str, files: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--model", model, *files], out, err) == 0, err.getvalue()
    assert "0 errors, 0 warnings" in out.getvalue()


def test_a_screen_of_assessments_alone_speaks_without_exercises(
    startback: tuple[clinrules.RuleSet, ModuleType],
) -> None:
    ruleset, _ = startback
    assert ruleset.program.exercises == {}
    answers = {
        "not_safe_to_be_active": True,
        "worrying_thoughts": True,
        "terrible_never_better": True,
        "not_enjoyed_things": True,
        "bothersome": "extremely",
    }
    decision = ruleset.evaluate({"startback": answers}, as_of=AS_OF)
    assert decision.exercises == {}
    risk = decision.assessments["startback_risk"]
    assert risk.value == "high"
    assert risk.notes == ["High risk: consider a combined physical and psychological programme (NICE NG59)."]
    assert "startback.leg_pain_spread" not in decision.explain()  # a patient's text asks, never names a path


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("python", "examples/startback/startback_model.py"),
        ("python", "src/clinrules/models/startback.py"),
        ("python", "examples/startback/reference.py"),
        ("clinrules", "examples/startback/startback.rules"),
        ("clinrules", "examples/startback/screen.rules"),
        ("python", "examples/parq/parq_model.py"),
        ("clinrules", "examples/parq/parq.rules"),
    ],
)
def test_the_files_shown_in_published_tools_md_are_the_example_files(kind: str, path: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = f'```{kind} title="{path}"\n'
    assert block in text, path
    shown = text.split(block, 1)[1].split("```", 1)[0]
    assert shown == (ROOT / path).read_text(encoding="utf-8")
