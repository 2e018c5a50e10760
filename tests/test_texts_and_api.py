"""Issue 16, points 5 and 6: texts that read well (the review page, urgent text, fmt, doc -o) and an
API for app developers (outcomes by id, the schema's ordinals and units, one error style)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pickle
import stat
from pathlib import Path

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import clinrules
from clinrules.authoring.docgen import page
from clinrules.authoring.fmt import WIDTH, format_text, shape
from clinrules.cli import main
from clinrules.cli.schema import ORDER, ORDINAL, UNIT, json_schema
from clinrules.engine.evaluator import OutcomeIdError
from clinrules.models.sciatica import Patient as SciaticaPatient
from tests.conftest import ROOT
from tests.support.models import Athlete

AS_OF = "2026-11-21T08:00:00Z"
NAIVE = "2026-11-21T08:00:00"
SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- a model with two nested groups


class Malleolus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tender: bool | None = None


class AnkleExam(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lateral_malleolus: Malleolus = Field(default_factory=Malleolus)
    medial_malleolus: Malleolus = Field(default_factory=Malleolus)
    can_bear_weight: bool | None = None


class AnkleVisit(BaseModel):
    """The Ottawa ankle rules' findings: two groups whose fields share the leaf `tender`."""

    model_config = ConfigDict(extra="forbid")

    exam: AnkleExam = Field(default_factory=AnkleExam)


ANKLE = """\
ruleset ottawa_ankle
  version 1.0.0
  status draft

exercise ankle_rom "Ankle range of motion"
exercise calf_raise "Calf raise"
exercise walking "Walking"
exercise walking_2 "Walking"

rule lateral for ankle_rom:
  avoid if exam.lateral_malleolus.tender

rule medial for ankle_rom:
  avoid if exam.medial_malleolus.tender

rule step_down for calf_raise:
  avoid if not exam.can_bear_weight
  instead walking_2

otherwise allow
"""


def ankle_page() -> str:
    return page(clinrules.compile(ANKLE, model=AnkleVisit, allow_draft=True).program)


def test_the_review_page_names_an_exercise_by_its_declared_name() -> None:
    text = ankle_page()
    assert "- For: *Ankle range of motion*\n" in text
    assert "| Calf raise | `calf_raise` |" in text
    assert "ankle rom" not in text  # the id in words, which no one declared
    # Two exercises with one name are told apart by their ids.
    assert "- Instead: *Walking* (`walking_2`)" in text
    assert "| Walking | `walking` |" in text


def test_two_nested_fields_with_one_leaf_never_read_the_same() -> None:
    lines = ankle_page().splitlines()
    sentences = [line for line in lines if line.startswith("Avoid the exercise if ")]
    # Every field by its whole path, never its leaf: a leaf no other field has is whole too.
    assert sentences == [
        "Avoid the exercise if `exam.lateral_malleolus.tender`.",
        "Avoid the exercise if `exam.medial_malleolus.tender`.",
        "Avoid the exercise if not `exam.can_bear_weight`.",
    ]


# ---------------------------------------------------------------- the text of an urgent decision


def test_an_urgent_decision_says_its_block_once_for_all_exercises() -> None:
    rs = clinrules.load(SHIPPED, allow_draft=True)
    decision = rs.evaluate({"red_flags": {"urinary_retention": True}}, as_of=AS_OF)
    assert decision.triage is clinrules.Triage.URGENT
    text = decision.explain()
    assert text.count("URGENT\n") == 1
    assert "\nAll exercises: URGENT\n" in text
    assert text.count("  because: cauda_equina") == 1
    listed = next(line for line in text.splitlines() if line.startswith("  exercises: "))
    assert listed.removeprefix("  exercises: ").split(", ") == list(decision.exercises)
    # The JSON still has one entry per exercise, each urgent.
    exercises = json.loads(decision.model_dump_json())["exercises"]
    assert len(exercises) == len(rs.program.exercises) > 1
    assert {e["verdict"] for e in exercises.values()} == {"urgent"}
    # A decision without a red flag keeps one block per exercise.
    clear = rs.evaluate({}, as_of=AS_OF).explain()
    assert "All exercises" not in clear


# ---------------------------------------------------------------- fmt and a long sum

LONG_SUM = " + ".join(f"item_{n}" for n in range(1, 21))
SUMS = f"""\
ruleset sums
  version 1.0.0
  status draft

exercise walking "Walking"

define high total:
  {LONG_SUM} >= 12

rule alone for walking:
  stop if {LONG_SUM} - item_1 >= 12  # a comment at the end

rule inside for walking:
  avoid if flag and {LONG_SUM} between 3 and item_2 + item_3 and flag  # kept too
otherwise allow
"""


def test_fmt_wraps_a_long_sum_before_its_plus_and_minus() -> None:
    formatted = format_text(SUMS, "sums.rules")
    lines = formatted.splitlines()
    assert all(len(line) <= WIDTH for line in lines), formatted
    assert any(line.startswith("    + item_") for line in lines)  # a sum wrapped alone
    assert any(line.startswith("      + item_") for line in lines)  # a sum wrapped inside an `and`
    assert any(line.startswith("    and flag") for line in lines)  # the next operand starts its own line
    before, after = clinrules.parse(SUMS, "sums.rules"), clinrules.parse(formatted, "sums.rules")
    assert shape(after) == shape(before)
    assert [c.text for c in after.comments] == [c.text for c in before.comments]
    assert format_text(formatted, "sums.rules") == formatted


# ---------------------------------------------------------------- doc -o and the file's mode


def test_doc_output_keeps_a_files_mode_or_takes_the_umasks(tmp_path: Path) -> None:
    target = tmp_path / "page.md"
    previous = os.umask(0o027)
    try:
        assert run("doc", str(SHIPPED), "-o", str(target))[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0666 & ~0027, not mkstemp's 0600
    target.chmod(0o604)
    assert run("doc", str(SHIPPED), "-o", str(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert [p.name for p in tmp_path.iterdir()] == ["page.md"]


# ---------------------------------------------------------------- outcomes with ids


def test_outcomes_name_their_red_flags_and_rules_by_id() -> None:
    rs = clinrules.load(SHIPPED, allow_draft=True)
    outcomes = rs.outcomes({"red_flags": {"urinary_retention": True}}, as_of=AS_OF)
    assert outcomes.red_flag_ids == tuple(f.id for f in rs.program.red_flags)
    assert outcomes.rule_ids == tuple(r.id for r in rs.program.rules)
    assert outcomes.red_flag("cauda_equina") is True
    index = outcomes.rule_ids.index("scope_age")
    assert outcomes.rule("scope_age") == outcomes.rules[index]
    flags, rules = outcomes.by_id()
    assert dict(flags) == dict(zip(outcomes.red_flag_ids, outcomes.red_flags, strict=True))
    assert list(rules) == list(outcomes.rule_ids)
    with pytest.raises(TypeError):
        flags["cauda_equina"] = False  # type: ignore[index]
    # Still the positional pair it was: unpacked, compared and pickled as before.
    red, each = outcomes
    assert (red, each) == outcomes
    assert isinstance(outcomes, clinrules.Outcomes)
    again = pickle.loads(pickle.dumps(outcomes))
    assert again == outcomes
    assert again.rule_ids == outcomes.rule_ids
    for lookup in (outcomes.red_flag, outcomes.rule):
        with pytest.raises(OutcomeIdError) as raised:
            lookup("nope")
        assert isinstance(raised.value, KeyError)
        assert isinstance(raised.value, clinrules.ClinrulesError)


# ---------------------------------------------------------------- the schema's ordinals and units


def test_the_patient_schema_marks_ordinal_enums_and_units() -> None:
    code, out, _ = run("schema", "patient")
    assert code == 0
    schema = json.loads(out)
    defs = schema["$defs"]
    assert defs["Extent"][ORDINAL] is True
    assert defs["Extent"][ORDER] == ["none", "buttock", "thigh", "below_knee", "foot"]
    assert ORDINAL not in defs["Side"]
    assert ORDER not in defs["Side"]
    assert schema["properties"]["body_mass"][UNIT] == "kg"
    assert schema["properties"]["age"][UNIT] == "years"
    assert defs["Session"]["properties"]["hold_seconds"][UNIT] == "s"
    assert UNIT not in defs["Session"]["properties"]["pain_during"]
    athlete = json_schema(Athlete)
    assert athlete["$defs"]["Level"][ORDER] == ["low", "medium", "high"]
    assert athlete["properties"]["weight"][UNIT] == "kg"
    assert athlete["$defs"]["Run"]["properties"]["duration"][UNIT] == "min"


# ---------------------------------------------------------------- one error style


def _reasons(error: pytest.ExceptionInfo[clinrules.PatientDataError]) -> dict[str, str]:
    return dict(error.value.problems)


def test_a_naive_time_reads_the_same_in_a_field_and_in_as_of(tmp_path: Path) -> None:
    rs = clinrules.load(SHIPPED, allow_draft=True)
    with pytest.raises(clinrules.PatientDataError) as in_field:
        rs.evaluate({"red_flags": {"screened_at": NAIVE}}, as_of=AS_OF)
    with pytest.raises(clinrules.PatientDataError) as in_as_of:
        rs.evaluate({}, as_of=NAIVE)
    with pytest.raises(clinrules.PatientDataError) as in_patient:
        rs.evaluate({"as_of": NAIVE})
    field = _reasons(in_field)["red_flags.screened_at"]
    assert _reasons(in_as_of)["as_of"] == _reasons(in_patient)["as_of"] == field
    patient = tmp_path / "p.json"
    patient.write_text("{}", encoding="utf-8")
    code, _, err = run("eval", str(SHIPPED), str(patient), "--allow-draft", "--as-of", NAIVE)
    assert code == 2
    assert field in err
    cases = tmp_path / "t.cases.yaml"
    cases.write_text(
        f"ruleset: {SHIPPED}\ncases:\n  - name: x\n    patient: {{}}\n    as_of: '{NAIVE}'\n"
        "    expect: {triage: clear}\n",
        encoding="utf-8",
    )
    code, out, err = run("test", str(cases))
    assert code != 0
    assert field in out + err


def test_a_duplicate_session_names_its_path_and_does_not_dump_the_input() -> None:
    rs = clinrules.load(SHIPPED, allow_draft=True)
    session = {"exercise": "glute_bridge", "at": "2026-11-20T08:00:00Z"}
    others = [{"exercise": "walking", "at": f"2026-11-1{n}T08:00:00Z"} for n in range(3)]
    with pytest.raises(clinrules.PatientDataError) as raised:  # the model's own check
        rs.evaluate({"sessions": [session, *others[:2], dict(session, pain_during=2)]}, as_of=AS_OF)
    ((path, reason),) = raised.value.problems
    assert path == "sessions[3]"
    assert "got" not in reason
    assert "sessions[" not in reason
    athlete = clinrules.compile(
        'ruleset a version 1.0.0 status draft\nexercise run "Run"\nrule r for run: avoid if the last session had painful\n'
        "otherwise allow\n",
        model=Athlete,
        allow_draft=True,
    )
    run_session = {"exercise": "run", "at": "2026-11-20T10:00:00Z"}
    with pytest.raises(clinrules.PatientDataError) as engine:  # the engine's check, for a model without one
        athlete.evaluate({"sessions": [run_session, run_session]}, as_of=AS_OF)
    assert [p for p, _ in engine.value.problems] == ["sessions[1]"]
    assert engine.value.problems[0][1] == reason.replace("glute_bridge", "run").replace("08:00", "10:00")


class Patient(BaseModel):
    """Another model called Patient, as a user's own would be."""

    at: AwareDatetime | None = None


def test_a_wrong_instance_names_the_models_module() -> None:
    rs = clinrules.load(SHIPPED, allow_draft=True)
    for call in (rs.evaluate, rs.outcomes):
        with pytest.raises(clinrules.PatientDataError) as raised:
            call(Patient(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), as_of=AS_OF)
        ((path, reason),) = raised.value.problems
        assert path == ""
        assert f"{SciaticaPatient.__module__}.Patient" in reason
        assert f"{__name__}.Patient" in reason
