"""`require` invariants in the checked program (issue 17): what `clinrules prove` reads, and that nothing decides by them."""

from __future__ import annotations

from pathlib import Path

import clinrules
from clinrules import ir
from clinrules.syntax.ast import ScopeKind

HEAD = """\
ruleset demo
  version 1.0.0
  status draft
  model sciatica
"""
BODY = """\
include "lib.rules"

exercise glute_squeeze "Lying glute squeeze" tagged strengthening
exercise glute_bridge "Glute bridge with brace" tagged strengthening
exercise walking "Walking" tagged aerobic

ladder bridge: glute_squeeze, glute_bridge

define provoked: shooting_pain or new_numbness

rule scope_pregnancy for tagged strengthening: avoid if pregnant when unknown check

require first "Pregnancy keeps strength work out": pregnant implies tagged strengthening at least avoid

require second: no ladder bridge above glute_squeeze progress
  when any session on a lower rung within 24 hours had provoked

otherwise allow
"""
LIBRARY = """\
library lib
  version 1.0.0
  status draft
  model sciatica

require third: urinary_retention implies every exercise at most stop
"""


def _load(tmp_path: Path) -> clinrules.RuleSet:
    (tmp_path / "main.rules").write_text(HEAD + BODY, encoding="utf-8")
    (tmp_path / "lib.rules").write_text(LIBRARY, encoding="utf-8")
    return clinrules.load(tmp_path / "main.rules", allow_draft=True)


def test_requirements_are_in_declaration_order_includes_too(tmp_path: Path) -> None:
    requirements = _load(tmp_path).program.requirements
    assert [r.id for r in requirements] == ["first", "second", "third"]
    assert [r.where.file.rsplit("/", 1)[-1] for r in requirements] == [
        "main.rules",
        "main.rules",
        "lib.rules",
    ]
    first, second, third = requirements
    assert (first.kind, first.verdict, first.title) == (
        ir.RequireKind.AT_LEAST,
        "avoid",
        "Pregnancy keeps strength work out",
    )
    assert first.targets.exercises == ("glute_squeeze", "glute_bridge")
    assert (second.kind, second.verdict, second.title) == (ir.RequireKind.NEVER, "progress", None)
    assert (third.kind, third.verdict) == (ir.RequireKind.AT_MOST, "stop")
    assert third.targets.exercises == ("glute_squeeze", "glute_bridge", "walking")  # the ruleset's exercises


def test_a_requirement_condition_is_typed_as_a_rule_condition(tmp_path: Path) -> None:
    second = _load(tmp_path).program.requirements[1]
    assert second.targets.exercises == ("glute_bridge",)
    history = next(n for n in ir.nodes(second.condition) if isinstance(n, ir.History))
    assert history.scope is ScopeKind.LOWER  # resolved per target, as in a rule
    lines = (HEAD + BODY).splitlines()
    assert lines[second.where.span.line - 1].startswith("require second:")
    assert lines[second.where.span.end_line - 1].endswith("had provoked")


def test_a_require_decides_nothing(tmp_path: Path) -> None:
    ruleset = _load(tmp_path)
    patient = {"pregnant": True, "red_flags": {"urinary_retention": False}}
    broken = (tmp_path / "main.rules").read_text(encoding="utf-8")
    # A promise no rule keeps: the evaluator does not read it, so the decision is the rules' own.
    broken = broken.replace("at least avoid", "at least urgent")
    (tmp_path / "main.rules").write_text(broken, encoding="utf-8")
    promising_more = clinrules.load(tmp_path / "main.rules", allow_draft=True)
    assert promising_more.program.requirements[0].verdict == "urgent"
    as_of = "2026-11-21T08:00:00Z"
    one = ruleset.evaluate(patient, as_of=as_of).model_dump(mode="json")
    two = promising_more.evaluate(patient, as_of=as_of).model_dump(mode="json")
    one["ruleset"].pop("sha256")
    two["ruleset"].pop("sha256")
    assert one == two
    assert one["exercises"]["glute_bridge"]["verdict"] == "avoid"
