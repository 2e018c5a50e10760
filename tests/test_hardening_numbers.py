"""Issue 12, flaws 5 and 7: numbers and times at the edges, and strict patient types.

Every attack here once crashed with a ValueError or OverflowError (exit 70
from the CLI), or was read as something it is not: `true` as an age of 1,
`false` as an MRC grade of 0 (which fired a red flag), `"N"` as no.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.base.limits import MAX_DURATION_SECONDS
from clinrules.cli import main
from clinrules.engine import runtime
from clinrules.engine.inputs import sessions_of
from clinrules.models.sciatica import Patient
from tests.conftest import ROOT
from tests.support.models import Athlete, HugeBound

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENTS = ROOT / "rulesets" / "sciatica" / "patients"
AS_OF = "2026-11-21T08:00:00Z"
HEAD = 'ruleset r\n  version 1.0.0\n  status draft\n  model sciatica\nexercise e "E"\notherwise allow\n'


@pytest.fixture(scope="module")
def shipped() -> clinrules.RuleSet:
    return clinrules.load(SHIPPED, allow_draft=True)


def compiled(body: str, model: Any = None) -> clinrules.RuleSet:
    return clinrules.compile(HEAD + body, model=model, allow_draft=True)


def codes(body: str, model: Any = None) -> list[str]:
    with pytest.raises(clinrules.RulesetError) as raised:
        compiled(body, model)
    return [d.code for d in raised.value.diagnostics]


def refused(ruleset: clinrules.RuleSet, state: object, **kwargs: Any) -> dict[str, str]:
    """The problems of the PatientDataError the state raises, by path."""
    with pytest.raises(clinrules.PatientDataError) as raised:
        ruleset.evaluate(state, **kwargs)
    return dict(raised.value.problems)


def cli(*argv: str, stdin: str = "") -> int:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PATIENTS / name).read_text(encoding="utf-8"))
    return data


# ---------------------------------------------------------------- flaw 5


@pytest.mark.parametrize(
    "body",
    [
        "rule a for e: avoid if age > " + "9" * 4301 + "\n",  # int(): Python's 4,300-digit limit
        "rule a for e: avoid if age > " + "9" * 400 + ".5\n",  # float(): infinity
        "parameter p = 1 between 0 and " + "9" * 400 + "\nrule a for e: avoid if back_pain > p\n",
        "rule a for e: avoid if any of the last " + "9" * 5000 + " sessions had pain_during > 3\n",
        "rule a for e: avoid if age > 1234567890123456\n",  # 16 digits
        "rule a for e: avoid if age > 0.0000000000000001\n",
        'exercise f "F" dose hold ' + "9" * 5000 + " s\nrule a for f: avoid if acute_flare\n",
    ],
)
def test_flaw5_a_4301_digit_number_in_rule_text_is_cr112(body: str) -> None:
    assert "CR112" in codes(body)


def test_flaw5_fifteen_digits_and_leading_zeros_are_fine() -> None:
    ruleset = compiled("rule a for e: avoid if back_pain > 000000000000000000000000000000000000000007\n")
    assert (
        ruleset.evaluate({"symptoms": {"back_pain": 8}}, as_of=AS_OF).exercises["e"].verdict.value == "avoid"
    )
    compiled("rule a for e: avoid if age > 123456789012345 or age < 0.00000000000001\n")


def test_flaw5_huge_model_bound_is_refused(tmp_path: Path) -> None:
    assert codes("rule a for e: avoid if ok\n", HugeBound) == ["CR218"]
    main_file = tmp_path / "r.rules"
    main_file.write_text(
        HEAD.replace("  model sciatica\n", "") + "rule a for e: avoid if ok\n", encoding="utf-8"
    )
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.check_file(main_file, model=HugeBound)
    assert [d.code for d in raised.value.diagnostics] == ["CR218"]


@pytest.mark.parametrize(
    "state",
    [
        {"age": 10**5000},
        {"body_mass": 10**5000},
        {"body_mass": 1e300},
        {"body_mass": float("nan")},
        {"body_mass": float("inf")},
        {"sessions": [{"exercise": "walking", "at": AS_OF, "hold_seconds": -(10**400)}]},
        {"exam": {"weakest_grade": 10**20}},
    ],
)
def test_flaw5_huge_patient_number_is_patient_data_error(shipped: clinrules.RuleSet, state: Any) -> None:
    problems = refused(shipped, {**state, "as_of": AS_OF})
    assert set(problems) <= {"age", "body_mass", "sessions[0].hold_seconds", "exam.weakest_grade"}
    assert len(problems) == 1


def test_flaw5_a_huge_number_in_a_patient_file_exits_3(tmp_path: Path) -> None:
    for text in ('{"age": ' + "9" * 5000 + "}", '{"body_mass": 1e400}', '{"body_mass": NaN}'):
        path = tmp_path / "p.json"
        path.write_text(text, encoding="utf-8")
        assert cli("eval", str(SHIPPED), str(path), "--allow-draft", "--as-of", AS_OF) == 3


def test_flaw5_huge_parameter_is_parameter_error(shipped: clinrules.RuleSet, tmp_path: Path) -> None:
    for value in (10**5000, -(10**5000), 10**16, 1e400, float("-inf")):
        with pytest.raises(clinrules.ParameterError):
            shipped.evaluate(fixture("16_one_delayed_flare.json"), parameters={"pain_ceiling": value})
    patient = str(PATIENTS / "16_one_delayed_flare.json")
    for raw in ("1e400", "9" * 5000, "-" + "9" * 5000, "nan"):
        assert cli("eval", str(SHIPPED), patient, "--allow-draft", "--set", f"pain_ceiling={raw}") == 3


@pytest.mark.parametrize(
    "body",
    [
        "rule a for e: avoid if any session within 99999999 weeks had pain_during > 3\n",
        "rule a for e: avoid if no session within 73051 days had pain_during > 3\n",  # 200 years and a day
        "rule a for e: check if screened_at < now - 999999999999 hours\n",
        "rule a for e: check if screened_at > now + 1000 years\n",
        "parameter w = 2 weeks between 1 weeks and 999999999999999 weeks\n"
        "rule a for e: avoid if any session within w had pain_during > 3\n",
        "parameter w = 2 weeks between -999999999999999 weeks and 3 weeks\n"
        "rule a for e: check if screened_at < now - w\n",
        "rule a for e: avoid if any session within age had pain_during > 3\n",  # unknown: no window at all
    ],
)
def test_flaw5_window_longer_than_the_calendar_is_refused_by_check(body: str) -> None:
    assert codes(body) == ["CR422"]


def test_flaw5_a_200_year_window_evaluates_at_both_ends_of_the_range() -> None:
    ruleset = compiled(
        "rule a for e: avoid if any session within 200 years had pain_during > 3\n"
        "rule b for e: check if screened_at < now - 200 years or screened_at > now + 200 years\n"
    )
    for as_of in ("1900-01-01T00:00:00Z", "2200-12-31T23:59:59.999999Z", "1900-01-01T05:00:00+05:00"):
        state = {"sessions": [{"exercise": "e", "at": "0001-01-01T00:00:00Z", "pain_during": 9}]}
        assert ruleset.evaluate(state, as_of=as_of).exercises["e"].verdict.value == "allow"


def test_flaw5_the_runtime_never_overflows() -> None:
    now = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    sessions = [type("S", (), {"at": now})()]
    assert list(runtime.within(sessions, now, 1e300)) == sessions
    assert (
        list(runtime.within(sessions, dt.datetime(1, 1, 1, tzinfo=dt.UTC), -MAX_DURATION_SECONDS * 100)) == []
    )
    assert runtime.shift(now, 10**9 * 86400.0, 1) == dt.datetime.max.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "as_of",
    [
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:30:00+01:00",  # before the calendar once in UTC
        "9999-12-31T23:30:00-01:00",  # after it
        "1899-12-31T23:59:59Z",
        "2200-12-31T23:00:00-01:00",  # 2201 in UTC
    ],
)
def test_flaw5_as_of_at_year_1_and_9999(shipped: clinrules.RuleSet, as_of: str) -> None:
    patient = fixture("16_one_delayed_flare.json")
    assert set(refused(shipped, patient, as_of=as_of)) == {"as_of"}
    assert set(refused(shipped, patient, as_of=dt.datetime.fromisoformat(as_of))) == {"as_of"}
    assert set(refused(shipped, {**patient, "as_of": as_of})) == {"as_of"}
    assert (
        cli(
            "eval",
            str(SHIPPED),
            str(PATIENTS / "16_one_delayed_flare.json"),
            "--allow-draft",
            "--as-of",
            as_of,
        )
        == 2
    )


def test_flaw5_sessions_a_microsecond_apart_sort_exactly() -> None:
    # At year 1 a float timestamp cannot tell these apart: they once counted
    # as one time (refused as a duplicate), or sorted either way.
    ruleset = compiled("rule a for e: avoid if the last session had pain_during > 5\n")
    older = {"exercise": "e", "at": "0001-01-01T00:00:00.000001Z", "pain_during": 0}
    newer = {"exercise": "e", "at": "0001-01-01T00:00:00.000002Z", "pain_during": 9}
    for order in ([older, newer], [newer, older]):
        assert ruleset.evaluate({"sessions": order}, as_of=AS_OF).exercises["e"].verdict.value == "avoid"
        assert ruleset.evaluate({"sessions": order}, as_of=AS_OF).exercises["e"].because == ["a"]
    patient = Athlete.model_validate(
        {"sessions": [{"exercise": "run", "at": s["at"]} for s in (older, newer)]}
    )
    chosen, _ = sessions_of(patient, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), True)
    assert [s.at.microsecond for s in chosen] == [2, 1]
    # The same instant with two offsets is still one time: a second session, refused.
    twice = Athlete.model_validate(
        {
            "sessions": [
                {"exercise": "run", "at": "0001-01-01T01:00:00.000001+01:00"},
                {"exercise": "run", "at": "0001-01-01T00:00:00.000001Z"},
            ]
        }
    )
    with pytest.raises(clinrules.PatientDataError) as raised:
        sessions_of(twice, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), True)
    assert [path for path, _ in raised.value.problems] == ["sessions[1]"]


# ---------------------------------------------------------------- flaw 7


def test_flaw7_true_is_not_an_age(shipped: clinrules.RuleSet) -> None:
    patient = fixture("16_one_delayed_flare.json")
    assert set(refused(shipped, {**patient, "age": True})) == {"age"}
    assert set(refused(shipped, {**patient, "age": "46"})) == {"age"}
    assert shipped.evaluate({**patient, "age": 46.0}).triage is not None  # a number is a number
    path = PATIENTS / "16_one_delayed_flare.json"
    assert cli("eval", str(SHIPPED), "-", "--allow-draft", stdin=json.dumps({**patient, "age": True})) == 3
    assert cli("eval", str(SHIPPED), str(path), "--allow-draft") == 0


def test_flaw7_false_is_not_an_mrc_grade(shipped: clinrules.RuleSet) -> None:
    patient = fixture("16_one_delayed_flare.json")
    # A real grade 0 of a leg muscle fires the weakness red flag: `false` read as 0 once did too.
    zero = shipped.evaluate(
        {**patient, "exam": {**patient["exam"], "weakest_grade": 0, "weakness": ["dorsiflexion"]}}
    )
    assert zero.triage is clinrules.Triage.URGENT
    assert set(refused(shipped, {**patient, "exam": {**patient["exam"], "weakest_grade": False}})) == {
        "exam.weakest_grade"
    }
    assert set(
        refused(shipped, {**patient, "symptoms": {**patient["symptoms"], "radiating_pain": True}})
    ) == {"symptoms.radiating_pain"}


def test_flaw7_string_N_is_not_a_no(shipped: clinrules.RuleSet) -> None:
    patient = fixture("16_one_delayed_flare.json")
    for answer in ("N", "no", "false", "", 0, 0.0, 1):
        state = {**patient, "red_flags": {**patient["red_flags"], "fever": answer}}
        assert set(refused(shipped, state)) == {"red_flags.fever"}, answer


def test_flaw7_string_7_is_not_a_pain_score(shipped: clinrules.RuleSet) -> None:
    patient = fixture("16_one_delayed_flare.json")
    sessions = [dict(s) for s in patient["sessions"]]
    sessions[0]["pain_during"] = "7"
    sessions[-1]["at"] = 1_700_000_000  # a number is not a time either
    problems = refused(shipped, {**patient, "sessions": sessions, "symptoms": {"back_pain": "7"}})
    assert set(problems) == {
        "sessions[0].pain_during",
        f"sessions[{len(sessions) - 1}].at",
        "symptoms.back_pain",
    }


def test_flaw7_every_type_error_is_told_in_one_style(shipped: clinrules.RuleSet) -> None:
    problems = refused(
        shipped,
        {"age": True, "pregnant": "N", "red_flags": {"screened_at": 5}, "exam": {"weakness": [False]}},
    )
    assert set(problems) == {"age", "pregnant", "red_flags.screened_at", "exam.weakness[0]"}
    assert all(reason.startswith("must be ") and ", got " in reason for reason in problems.values())


def test_flaw7_what_json_can_say_is_still_accepted(shipped: clinrules.RuleSet) -> None:
    # Times as ISO text with an offset, choices by their value, instances of the model.
    # The demo_ patients are written for model version 2 (ruleset 2.0.0): test_clinical_safety.py reads them.
    for path in sorted(p for p in PATIENTS.glob("*.json") if not p.name.startswith("demo_")):
        data = json.loads(path.read_text(encoding="utf-8"))
        from_dict = shipped.evaluate(data).model_dump(mode="json")
        assert shipped.evaluate(Patient.model_validate(data)).model_dump(mode="json") == from_dict
    naive = fixture("16_one_delayed_flare.json")
    naive["red_flags"]["screened_at"] = "2026-11-21T07:30:00"
    assert set(refused(shipped, naive)) == {"red_flags.screened_at"}
