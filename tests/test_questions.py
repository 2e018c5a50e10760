"""Questions and messages (language-2.md sections 4 and 9): fields carry their questions, a
decision asks them, a patient's text names no field path, unknown is the author's decision.

The golden cases (tests/golden/check/questions.yaml, tests/golden/eval/messages.yaml) cover the
codes and the words of decisions; this file covers the schema reader, the IR, the text output
and the command line.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

import clinrules
from clinrules import ir
from clinrules.authoring.casefile import read_case_file
from clinrules.cli import main
from clinrules.models import find_model
from clinrules.models.sciatica import Patient
from clinrules.schema.reader import SchemaError, schema_of
from tests.conftest import ROOT

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(""))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the schema reader


class _Asked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fever: bool | None = Field(
        default=None, json_schema_extra={"ask": "Do you have a fever?", "answered_by": "patient"}
    )
    rash: bool | None = Field(default=None, description="a rash anywhere on the body")
    both: bool | None = Field(
        default=None, description="the description", json_schema_extra={"ask": "The ask?"}
    )
    silent: bool | None = None
    age: int = Field(ge=0, le=120, json_schema_extra={"unit": "years", "answered_by": "device"})


def test_the_reader_takes_the_ask_else_the_description_and_who_answers() -> None:
    fields = schema_of(_Asked).fields
    assert (fields["fever"].ask, fields["fever"].answered_by) == ("Do you have a fever?", "patient")
    assert (fields["rash"].ask, fields["rash"].answered_by) == ("a rash anywhere on the body", None)
    assert fields["both"].ask == "The ask?"
    assert (fields["silent"].ask, fields["silent"].answered_by) == (None, None)
    assert (fields["age"].ask, fields["age"].answered_by) == (None, "device")
    assert fields["age"].type.unit is not None  # the unit still read from the same extra


def test_the_reader_knows_which_fields_are_always_there() -> None:
    schema = schema_of(_Asked)
    assert schema.fields["age"].required
    assert not schema.fields["fever"].required
    sciatica = schema_of(Patient)
    assert {f.path for f in sciatica.session_fields.values() if f.required} == {
        "sessions.exercise",
        "sessions.at",
    }
    assert not any(f.required for f in sciatica.fields.values())


def _model(extra: dict[str, Any]) -> type[BaseModel]:
    class Bad(BaseModel):
        flag: bool | None = Field(default=None, json_schema_extra=extra)  # type: ignore[arg-type]

    return Bad


@pytest.mark.parametrize(
    "extra",
    [
        {"ask": ""},
        {"ask": "   "},
        {"ask": 3},
        {"answered_by": "nurse"},
        {"ask": "Fever?", "answered_by": None},
    ],
    ids=["empty", "blank", "not text", "nurse", "null answered_by"],
)
def test_a_bad_question_is_a_model_error_naming_the_field(extra: dict[str, Any]) -> None:
    if extra.get("answered_by", "x") is None:  # null is "not said": allowed
        assert schema_of(_model(extra)).fields["flag"].answered_by is None
        return
    with pytest.raises(SchemaError) as raised:
        schema_of(_model(extra))
    assert raised.value.code == "CR217"
    assert raised.value.problems[0].startswith("flag: ")


def test_a_bad_question_refuses_the_ruleset_with_cr217() -> None:
    text = (
        'ruleset r version 1.0.0 status draft\nexercise e "E"\nrule a for e: avoid if flag\notherwise allow\n'
    )
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.compile(text, model=_model({"answered_by": "nurse"}), allow_draft=True)
    assert [d.code for d in raised.value.diagnostics] == ["CR217"]


def test_every_field_of_the_sciatica_model_has_its_question() -> None:
    schema = schema_of(Patient)
    fields = [*schema.fields.values(), *schema.session_fields.values()]
    assert all(f.ask and f.answered_by in ("patient", "clinician", "device") for f in fields)
    exam = [f for f in fields if f.path.startswith("exam.")]
    assert exam
    assert all(f.answered_by == "clinician" for f in exam)
    for field in fields:
        assert field.ask is not None
        assert field.ask.count("?") == 1, field.path  # one question
        assert field.ask.endswith("?"), field.path
        assert "_" not in field.ask, field.path  # plain words, no field names


def test_the_patient_schema_shows_ask_and_answered_by() -> None:
    code, out, _ = run("schema", "patient")
    assert code == 0
    schema = json.loads(out)
    fever = schema["$defs"]["RedFlags"]["properties"]["fever"]
    assert fever["ask"] == "Do you have a fever, or feel hot and shivery?"
    assert fever["answered_by"] == "patient"
    assert schema["$defs"]["Exam"]["properties"]["straight_leg_raise"]["answered_by"] == "clinician"


# ---------------------------------------------------------------- the IR

IR_RULES = """\
ruleset r version 1.0.0 status draft model sciatica
  unknown avoid
  safety net "Get help now if both legs go weak."
exercise e "E"
red flag f: urgent if fever
  assumption "A reported fever is one."
rule own for e: stop if acute_flare
  when unknown check say "Are you in a flare?"
rule ignored for e: stop if acute_flare
  when unknown ignore
  assumption "First."
  assumption "Second."
rule header for e: stop if acute_flare
rule cleared for e: allow if acute_flare
otherwise allow
"""


def test_the_ir_tells_ignore_from_nothing_said_and_keeps_the_texts() -> None:
    program = clinrules.compile(IR_RULES, allow_draft=True).program
    rules = {r.id: r for r in program.rules}
    assert (rules["own"].when_unknown, rules["own"].unknown_from) == ("check", ir.UnknownFrom.RULE)
    assert rules["own"].unknown_say == "Are you in a flare?"
    assert (rules["ignored"].when_unknown, rules["ignored"].unknown_from) == (None, ir.UnknownFrom.IGNORE)
    assert (rules["header"].when_unknown, rules["header"].unknown_from) == ("avoid", ir.UnknownFrom.HEADER)
    assert (rules["cleared"].when_unknown, rules["cleared"].unknown_from) == (None, ir.UnknownFrom.NONE)
    assert [a.text for a in rules["ignored"].assumptions] == ["First.", "Second."]
    assert [a.where.span.line for a in rules["ignored"].assumptions] == [11, 12]
    assert [a.text for a in program.red_flags[0].assumptions] == ["A reported fever is one."]
    assert program.safety_net == "Get help now if both legs go weak."


def test_checker_warnings_are_on_the_ruleset_diagnostics() -> None:
    text = 'ruleset r version 1.0.0 status draft model sciatica\nexercise e "E"\nrule a for e: avoid if fever\notherwise allow\n'
    ruleset = clinrules.compile(text, allow_draft=True)
    assert [d.code for d in ruleset.diagnostics] == ["CR507"]


def test_an_unknown_with_ignore_never_clears_a_red_flag() -> None:
    """`when unknown ignore` leaves a rule unfired, never an unknown red flag: triage stays check."""
    ruleset = clinrules.compile(IR_RULES, allow_draft=True)
    decision = ruleset.evaluate({"symptoms": {"acute_flare": None}}, as_of="2026-11-21T08:00:00Z")
    assert decision.triage.value == "check"
    assert decision.exercises["e"].verdict.value in ("check", "stop", "avoid")


# ---------------------------------------------------------------- texts for people

PATIENT = ROOT / "rulesets" / "sciatica" / "patients" / "08_skipped_saddle_question.json"


def _paths(ruleset: clinrules.RuleSet) -> list[str]:
    """The paths a text could be caught naming: dotted, or with an underscore.

    A one-word top-level path (`age`, `pregnant`) is also an English word, which a
    question may use ("Are you pregnant?"), so it cannot be told apart in a text.
    """
    s = ruleset.program.schema
    paths = [*s.fields, *(f.path for f in s.session_fields.values())]
    return [p for p in paths if "." in p or "_" in p]


def _named(text: str, paths: list[str]) -> list[str]:
    return [p for p in paths if re.search(rf"(?<![\w.]){re.escape(p)}(?![\w])", text)]


def test_the_text_output_asks_questions_and_shows_the_safety_net(tmp_path: Path) -> None:
    rules = tmp_path / "net.rules"
    rules.write_text(
        re.sub(
            r'  safety net "[^"]*"\n',
            '  safety net "If both legs go weak, stop and get emergency help now."\n',
            SHIPPED.read_text(encoding="utf-8"),
            count=1,
        ),
        encoding="utf-8",
    )
    for library in ("red_flags.rules", "startback.rules"):
        (tmp_path / library).write_text(
            (SHIPPED.parent / library).read_text(encoding="utf-8"), encoding="utf-8"
        )
    code, out, _ = run("eval", str(rules), str(PATIENT), "--allow-draft", "--exercise", "glute_bridge")
    assert code == 0
    assert "Safety net: If both legs go weak, stop and get emergency help now.\n" in out
    assert "Questions to answer:\n  - Do you have numbness or pins and needles around your bottom" in out
    assert "red_flags.saddle_anaesthesia" not in out
    code, out, _ = run(
        "eval", str(rules), str(PATIENT), "--allow-draft", "--exercise", "glute_bridge", "--explain"
    )
    assert code == 0
    assert "inner thighs? [red_flags.saddle_anaesthesia]" in out  # the clinician's text: question and path
    assert "missing red_flags.saddle_anaesthesia: Do you have numbness" in out
    code, out, _ = run("eval", str(rules), str(PATIENT), "--allow-draft", "--format", "json")
    decision = json.loads(out)
    assert decision["safety_net"] == "If both legs go weak, stop and get emergency help now."
    assert [q["field"] for q in decision["questions"]] == decision["missing"]


def test_an_urgent_decision_gives_the_triage_words_once() -> None:
    patient = ROOT / "rulesets" / "sciatica" / "patients" / "02_saddle_numbness.json"
    code, out, _ = run("eval", str(SHIPPED), str(patient), "--allow-draft")
    assert code == 0
    say = "Stop exercising and get emergency help now: A&E or emergency services."
    assert out.count(say) == 1
    assert out.index(say) < out.index("All exercises: URGENT")


def _case_runs() -> list[Any]:
    files = sorted([*(ROOT / "rulesets").rglob("*.cases.yaml"), *(ROOT / "examples").rglob("*.cases.yaml")])
    return [pytest.param(path, id=str(path.relative_to(ROOT))) for path in files]


@pytest.mark.parametrize("path", _case_runs())
def test_no_text_for_a_patient_names_a_field_path(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text output of `clinrules eval` (no --explain), for every patient of every case file."""
    case_file = read_case_file(path)
    monkeypatch.chdir(path.parent)
    monkeypatch.syspath_prepend(str(path.parent))
    model = ["--model", case_file.model] if case_file.model else []
    ruleset = clinrules.load(
        case_file.ruleset,
        model=find_model(case_file.model, path.parent) if case_file.model else None,
        allow_draft=True,
    )
    paths = _paths(ruleset)
    for case in case_file.cases:
        patient = tmp_path / f"case{case.index}.json"
        patient.write_text(json.dumps(case.patient, default=str), encoding="utf-8")
        argv = ["eval", *model, str(case_file.ruleset), str(patient), "--allow-draft"]
        argv += ["--as-of", case.as_of.isoformat()] if case.as_of else []
        settings = {
            name: ("yes" if v else "no") if isinstance(v, bool) else v
            for name, v in (case.parameters or {}).items()
        }
        argv += [a for name, value in settings.items() for a in ("--set", f"{name}={value}")]
        argv += [a for exercise in case.exercises or () for a in ("--exercise", exercise)]
        code, out, err = run(*argv)
        if "refused" in case.expect:  # bad data: an error for the app, which names the path to fix
            assert code == 3, (case.label, err)
            continue
        assert code == 0, (case.label, err)
        assert _named(out, paths) == [], (case.label, out)
