"""Types and units (language-2.md section 7): yes/no and titled parameters, `RuleSet.parameters`,
dates and IntEnum through the trace, `--set NAME=yes|no`, case files and the review page.

The checker's codes are in tests/golden/check/units.yaml, the evaluations in
tests/golden/eval/types.yaml, and `recheck_at` of a date against brute force
in tests/property/test_recheck_property.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

import clinrules
from clinrules.authoring.docgen import page as review_page
from clinrules.cli import main
from tests.support.models import Ward

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)

WARD = """\
ruleset ward version 1.0.0 status draft model ward
parameter sbp_floor "Lowest systolic pressure" = 90 mmHg between 70 and 120 mmHg
parameter beyond_bridge_approved "Beyond the bridge approved" = no
parameter wait = 2 months between 1 month and 6 months
exercise walk "Walk"
exercise stairs "Stairs"
rule low_pressure for walk: stop if systolic_bp < sbp_floor
rule older for walk: check if now - birth_date >= 65 years
rule frail for stairs: avoid if frailty >= mild and not beyond_bridge_approved
rule recent for stairs: check if now - admitted_on < wait
otherwise allow
"""

FLAGGED = """\
ruleset flagged
  version 1.0.0
  status draft
  model sciatica
parameter beyond_bridge_approved "Beyond the bridge approved" = no
exercise walking "Walking"
rule not_yet for walking:
  avoid if not beyond_bridge_approved
otherwise allow
"""


@pytest.fixture(scope="module")
def ward() -> clinrules.RuleSet:
    return clinrules.compile(WARD, model=Ward, allow_draft=True)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(""))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- RuleSet.parameters


def test_ruleset_parameters_list_each_parameter_in_order_with_title_bounds_unit_and_kind(
    ward: clinrules.RuleSet,
) -> None:
    assert list(ward.parameters) == ["sbp_floor", "beyond_bridge_approved", "wait"]
    floor = ward.parameters["sbp_floor"]
    assert floor == clinrules.ParameterInfo(
        "sbp_floor", "Lowest systolic pressure", 90, 70, 120, "mmHg", "number", True
    )
    approved = ward.parameters["beyond_bridge_approved"]
    assert (approved.kind, approved.default, approved.low, approved.high, approved.unit) == (
        "yes/no",
        False,
        None,
        None,
        None,
    )
    assert approved.title == "Beyond the bridge approved"
    assert ward.parameters["wait"].title is None
    assert ward.parameters["wait"].unit == "months"


def test_ruleset_parameters_cannot_be_changed(ward: clinrules.RuleSet) -> None:
    with pytest.raises(TypeError):
        ward.parameters["wait"] = ward.parameters["sbp_floor"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ward.parameters["wait"].default = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ward.parameters = {}  # type: ignore[misc]


def test_a_parameter_keeps_its_title_in_the_program(ward: clinrules.RuleSet) -> None:
    assert ward.program.parameters["sbp_floor"].title == "Lowest systolic pressure"
    assert ward.program.parameters["beyond_bridge_approved"].kind == "yes/no"


@pytest.mark.parametrize("value", [1, 0, "yes", "true", None, 1.0])
def test_a_yes_no_parameter_takes_a_real_bool_only_and_the_error_names_it(
    ward: clinrules.RuleSet, value: object
) -> None:
    with pytest.raises(clinrules.ParameterError, match="beyond_bridge_approved"):
        ward.evaluate({}, parameters={"beyond_bridge_approved": value}, as_of=AS_OF)


def test_a_yes_no_parameter_used_bare_follows_its_value(ward: clinrules.RuleSet) -> None:
    patient = {"frailty": 3}
    assert ward.evaluate(patient, as_of=AS_OF).exercises["stairs"].verdict == "avoid"
    approved = ward.evaluate(patient, parameters={"beyond_bridge_approved": True}, as_of=AS_OF)
    assert approved.exercises["stairs"].verdict == "allow"
    assert ward.outcomes(patient, {"beyond_bridge_approved": True}, AS_OF).rule("frail") is False


# ---------------------------------------------------------------- dates and IntEnum in the trace


def test_the_trace_shows_a_date_as_a_date_and_an_int_enum_by_its_member(ward: clinrules.RuleSet) -> None:
    decision = ward.evaluate({"birth_date": "1950-02-03", "frailty": 2}, as_of=AS_OF, explain=True)
    read = {k: v for entry in decision.trace or [] for k, v in (entry.values or {}).items()}
    assert read["birth_date"] == "1950-02-03"
    assert read["frailty"] == "mild"
    assert decision.exercises["walk"].verdict == "check"


def test_a_date_compares_as_the_start_of_its_day_in_utc(ward: clinrules.RuleSet) -> None:
    # 65 years of 365.25 days from 1961-11-21T00:00Z is 2026-11-21T06:00Z.
    patient = {"birth_date": "1961-11-21"}
    before = ward.evaluate(patient, as_of=dt.datetime(2026, 11, 21, 5, 59, 59, tzinfo=dt.UTC))
    at = ward.evaluate(patient, as_of=dt.datetime(2026, 11, 21, 6, tzinfo=dt.UTC))
    assert before.exercises["walk"].verdict == "allow"
    assert before.exercises["walk"].recheck_at == dt.datetime(2026, 11, 21, 6, tzinfo=dt.UTC)
    assert at.exercises["walk"].verdict == "check"


def test_a_python_date_and_an_int_enum_member_are_taken_as_they_are(ward: clinrules.RuleSet) -> None:
    from tests.support.models import Frailty

    patient = Ward(birth_date=dt.date(1950, 1, 1), frailty=Frailty.severe)
    decision = ward.evaluate(patient, as_of=AS_OF)
    assert decision.exercises["walk"].verdict == "check"
    assert decision.exercises["stairs"].verdict == "avoid"


@pytest.mark.parametrize(
    ("patient", "path"),
    [
        ({"birth_date": True}, "birth_date"),
        ({"birth_date": "1961-11-21T08:00:00+00:00"}, "birth_date"),
        ({"birth_date": "21/11/1961"}, "birth_date"),
        ({"frailty": "severe"}, "frailty"),
        ({"frailty": 2.0}, "frailty"),
        ({"frailty": 7}, "frailty"),
    ],
)
def test_bad_dates_and_int_enum_values_are_refused_with_their_path(
    ward: clinrules.RuleSet, patient: dict[str, object], path: str
) -> None:
    with pytest.raises(clinrules.PatientDataError) as raised:
        ward.evaluate(patient, as_of=AS_OF)
    assert [p for p, _ in raised.value.problems] == [path]


# ---------------------------------------------------------------- the command line and case files


def test_set_name_yes_or_no_sets_a_yes_no_parameter(tmp_path: Path) -> None:
    rules, patient = tmp_path / "flagged.rules", tmp_path / "p.json"
    rules.write_text(FLAGGED, encoding="utf-8")
    patient.write_text("{}", encoding="utf-8")
    code, out, err = run("eval", str(rules), str(patient), "--allow-draft", "--format", "json")
    assert code == 0, err
    assert '"verdict": "avoid"' in out
    code, out, err = run(
        "eval",
        str(rules),
        str(patient),
        "--allow-draft",
        "--format",
        "json",
        "--set",
        "beyond_bridge_approved=yes",
    )
    assert code == 0, err
    assert '"verdict": "allow"' in out
    code, out, _ = run(
        "eval", str(rules), str(patient), "--allow-draft", "--set", "beyond_bridge_approved=no"
    )
    assert "walking: AVOID" in out


@pytest.mark.parametrize(
    ("setting", "exit_code"),
    [
        ("beyond_bridge_approved=1", 3),  # a number for a yes/no: the ruleset refuses it
        ("beyond_bridge_approved=true", 2),  # neither a number nor yes or no
        ("beyond_bridge_approved=Yes", 2),
    ],
)
def test_set_refuses_a_value_a_yes_no_parameter_cannot_take(
    tmp_path: Path, setting: str, exit_code: int
) -> None:
    rules, patient = tmp_path / "flagged.rules", tmp_path / "p.json"
    rules.write_text(FLAGGED, encoding="utf-8")
    patient.write_text("{}", encoding="utf-8")
    code, _, err = run("eval", str(rules), str(patient), "--allow-draft", "--set", setting)
    assert code == exit_code
    assert "beyond_bridge_approved" in err


def test_set_yes_for_a_number_parameter_is_refused_naming_it(tmp_path: Path) -> None:
    rules, patient = tmp_path / "flagged.rules", tmp_path / "p.json"
    rules.write_text(FLAGGED.replace("otherwise", "parameter ceiling = 3 between 1 and 5\notherwise"))
    patient.write_text("{}", encoding="utf-8")
    code, _, err = run("eval", str(rules), str(patient), "--allow-draft", "--set", "ceiling=yes")
    assert code == 3
    assert "ceiling" in err


def test_a_case_file_sets_a_yes_no_parameter_with_true_and_refuses_a_number(tmp_path: Path) -> None:
    (tmp_path / "flagged.rules").write_text(FLAGGED.replace("status draft", "status review"))
    (tmp_path / "flagged.cases.yaml").write_text(
        "ruleset: flagged.rules\n"
        "cases:\n"
        "  - name: approved\n"
        "    patient: {}\n"
        "    parameters: {beyond_bridge_approved: true}\n"
        "    expect: {exercises: {walking: {verdict: allow}}}\n"
        "  - name: not approved\n"
        "    patient: {}\n"
        "    expect: {exercises: {walking: {verdict: avoid}}}\n",
        encoding="utf-8",
    )
    code, out, err = run("test", str(tmp_path))
    assert code == 0, out + err
    (tmp_path / "flagged.cases.yaml").write_text(
        "ruleset: flagged.rules\n"
        "cases:\n"
        "  - name: a number\n"
        "    patient: {}\n"
        "    parameters: {beyond_bridge_approved: 1}\n"
        "    expect: {exercises: {walking: {verdict: allow}}}\n",
        encoding="utf-8",
    )
    code, out, err = run("test", str(tmp_path))
    assert code == 1
    assert "beyond_bridge_approved" in out + err


def test_the_review_page_shows_each_parameter_with_its_title_and_bounds(ward: clinrules.RuleSet) -> None:
    page = review_page(ward.program)
    assert "| `sbp_floor` | Lowest systolic pressure | 90 | 70 to 120 | mmHg (whole number) |" in page
    assert (
        "| `beyond_bridge_approved` | Beyond the bridge approved | no | yes or no | none (yes/no) |" in page
    )
    assert "| `wait` | - | 2 | 1 to 6 | months (whole number) |" in page


def test_the_patient_schema_marks_an_int_enum_ordinal_in_value_order_and_keeps_own_units() -> None:
    from clinrules.cli.schema import ORDER, ORDINAL, UNIT, json_schema

    schema = json_schema(Ward)
    frailty = schema["$defs"]["Frailty"]
    assert frailty[ORDINAL] is True
    assert frailty[ORDER] == [1, 2, 3]
    assert schema["properties"]["systolic_bp"][UNIT] == "mmHg"
    assert schema["properties"]["birth_date"]["anyOf"][0]["format"] == "date"


def test_the_review_page_says_years_and_months_of_a_date_in_words(ward: clinrules.RuleSet) -> None:
    text = review_page(ward.program)
    assert "if the time since `birth_date` is at least 65 years." in text
    assert "if the time since `admitted_on` is less than `wait`." in text
