"""Data that cannot be right (language-2 section 8, docs/semantics.md).

A session of an exercise the ruleset lacks is refused with a did-you-mean; a
time after `as_of` is not counted (the field reads as unknown, the session is
left out) and the decision's `warnings` says so; every type error reads the
same; `evaluate_many` names the patient that fails.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import clinrules
from clinrules.cli import main
from clinrules.models.sciatica import Patient
from tests.conftest import ROOT

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENTS = ROOT / "rulesets" / "sciatica" / "patients"
AS_OF = "2026-11-21T08:00:00Z"
SCREEN = """\
ruleset screen version 1.0.0 status draft model sciatica
exercise glute_bridge "Glute bridge"
exercise walking "Walking"
red flag ces "Cauda equina": urgent if saddle_anaesthesia
  care emergency
red flag stale_screen "Screen older than a day": urgent if screened_at < now - 24 hours
  care within_days
rule shooting for glute_bridge: stop if the last session had shooting_pain
otherwise allow
"""


@pytest.fixture(scope="module")
def shipped() -> clinrules.RuleSet:
    return clinrules.load(SHIPPED, allow_draft=True)


@pytest.fixture(scope="module")
def screen() -> clinrules.RuleSet:
    return clinrules.compile(SCREEN, allow_draft=True)


def patient(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PATIENTS / name).read_text(encoding="utf-8"))
    return data


def shooting() -> dict[str, Any]:
    """Shooting leg pain on last night's glute bridge: the bridge is stopped."""
    return patient("14_shooting_pain_during_bridge.json")


def problems(ruleset: clinrules.RuleSet, state: object, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(clinrules.PatientDataError) as raised:
        ruleset.evaluate(state, **kwargs)
    return dict(raised.value.problems)


# ---------------------------------------------------------------- exercises of the ruleset


def test_a_misspelt_session_exercise_is_refused_with_a_did_you_mean(shipped: clinrules.RuleSet) -> None:
    assert shipped.evaluate(shooting()).exercises["glute_bridge"].verdict.value == "stop"
    misspelt = shooting()
    misspelt["sessions"][0]["exercise"] = "glute_brige"
    found = problems(shipped, misspelt)
    assert list(found) == ["sessions[0].exercise"]
    assert "'glute_bridge'" in found["sessions[0].exercise"]  # the did-you-mean
    # The fast path refuses it too, a trusted model instance included.
    with pytest.raises(clinrules.PatientDataError):
        shipped.outcomes(misspelt)
    instance = Patient.model_validate(misspelt)
    with pytest.raises(clinrules.PatientDataError) as raised:
        shipped.outcomes(instance)
    assert [path for path, _ in raised.value.problems] == ["sessions[0].exercise"]


def test_an_unknown_exercise_is_reported_with_every_other_problem(shipped: clinrules.RuleSet) -> None:
    state = shooting()
    state["age"] = True
    state["sessions"] = [
        {"exercise": "glute_bridge", "at": "2026-11-19T18:00:00Z"},
        {"exercise": "tai_chi", "at": "2026-11-20T18:00:00Z"},
        {"exercise": "walking", "at": "2026-11-20T19:00:00Z", "pain_during": "3"},
    ]
    assert set(problems(shipped, state)) == {"age", "sessions[1].exercise", "sessions[2].pain_during"}


def test_a_session_of_another_rulesets_exercise_is_refused_even_after_as_of(
    screen: clinrules.RuleSet,
) -> None:
    later = {"exercise": "clamshell", "at": "2026-12-01T00:00:00Z"}
    assert list(problems(screen, {"sessions": [later]}, as_of=AS_OF)) == ["sessions[0].exercise"]


# ---------------------------------------------------------------- times after as_of


def test_a_future_session_is_not_counted_and_warned(shipped: clinrules.RuleSet) -> None:
    state = shooting()
    kept = copy.deepcopy(state)
    state["sessions"][0]["at"] = "2026-11-21T08:00:00.000001Z"  # a microsecond after as_of
    decision = shipped.evaluate(state)
    assert decision.exercises["glute_bridge"].verdict.value != "stop"
    assert [(w.path, w.reason) for w in decision.warnings] == [
        ("sessions[0].at", "after as_of (2026-11-21T08:00:00Z): not counted")
    ]
    assert decision.model_dump(mode="json")["warnings"] == [
        {"path": "sessions[0].at", "reason": "after as_of (2026-11-21T08:00:00Z): not counted"}
    ]
    # As if the session were not there, in the fast path too; the caller's data is not changed.
    without = {**kept, "sessions": kept["sessions"][1:]}  # the earlier session still counts
    assert decision.exercises == shipped.evaluate(without).exercises
    assert shipped.outcomes(state) == shipped.outcomes(without)
    assert shipped.outcomes(Patient.model_validate(state)) == shipped.outcomes(without)
    assert state["sessions"][0]["at"] == "2026-11-21T08:00:00.000001Z"
    # The same session at as_of itself counts.
    state["sessions"][0]["at"] = "2026-11-21T09:00:00+01:00"
    assert shipped.evaluate(state).exercises["glute_bridge"].verdict.value == "stop"
    assert shipped.evaluate(state).warnings == []


def test_a_future_screening_time_is_unknown_and_warned(screen: clinrules.RuleSet) -> None:
    fresh = {"red_flags": {"screened_at": "2026-11-21T07:00:00Z", "saddle_anaesthesia": False}}
    assert screen.evaluate(fresh, as_of=AS_OF).triage.value == "clear"
    later = {"red_flags": {"screened_at": "2026-11-21T09:00:00Z", "saddle_anaesthesia": False}}
    decision = screen.evaluate(later, as_of=AS_OF)
    # Unknown is never no: a screen from the future does not clear it.
    assert decision.triage.value == "check"
    assert decision.red_flags["stale_screen"].value == "unknown"
    assert decision.missing == ["red_flags.screened_at"]
    assert {ex: e.verdict.value for ex, e in decision.exercises.items()} == {
        "glute_bridge": "check",
        "walking": "check",
    }
    assert [(w.path, w.reason) for w in decision.warnings] == [
        ("red_flags.screened_at", "after as_of (2026-11-21T08:00:00Z): read as unknown")
    ]
    # A model instance reads the same, in both paths, and keeps its own value.
    instance = Patient.model_validate(later)
    assert screen.evaluate(instance, as_of=AS_OF).triage.value == "check"
    assert screen.outcomes(instance, as_of=AS_OF).red_flags == (False, None)
    assert instance.red_flags.screened_at == dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC)
    # The trace reads it as unknown too.
    explained = screen.evaluate(later, as_of=AS_OF, explain=True)
    assert explained.trace is not None
    assert [e.missed for e in explained.trace if e.id == "stale_screen"] == [["red_flags.screened_at"]]


def test_the_shipped_ruleset_checks_an_exercise_whose_screen_is_from_the_future(
    shipped: clinrules.RuleSet,
) -> None:
    state = patient("01_first_session_all_exercises.json")
    assert shipped.evaluate(state).exercises["walking"].verdict.value == "allow"
    state["red_flags"]["screened_at"] = "2026-11-22T07:30:00Z"
    decision = shipped.evaluate(state)
    assert decision.exercises["walking"].verdict.value == "check"
    assert [w.path for w in decision.warnings] == ["red_flags.screened_at"]


def test_warnings_are_sorted_and_deterministic(screen: clinrules.RuleSet) -> None:
    sessions = [{"exercise": "walking", "at": f"2026-11-{day:02d}T08:00:00Z"} for day in range(1, 13)]
    for index in (2, 10, 11):
        sessions[index]["at"] = f"2026-12-{index:02d}T08:00:00Z"
    state = {
        "exam": {"examined_at": "2027-01-01T00:00:00Z"},
        "red_flags": {"screened_at": "2026-11-30T00:00:00+05:00", "saddle_anaesthesia": False},
        "sessions": sessions,
    }
    decision = screen.evaluate(state, as_of=AS_OF)
    assert [w.path for w in decision.warnings] == [
        "exam.examined_at",
        "red_flags.screened_at",
        "sessions[2].at",
        "sessions[10].at",
        "sessions[11].at",
    ]
    dumped = json.dumps(decision.model_dump(mode="json"))
    for _ in range(3):
        assert (
            json.dumps(screen.evaluate(copy.deepcopy(state), as_of=AS_OF).model_dump(mode="json")) == dumped
        )
    # The clinician's text (with a trace) names each value; the patient's counts them, naming no path.
    explained = screen.evaluate(copy.deepcopy(state), as_of=AS_OF, explain=True).explain()
    assert "Warnings:\n  exam.examined_at: after as_of" in explained
    assert f"Warnings: {len(decision.warnings)} values in the data could not be counted" in decision.explain()
    assert "exam.examined_at" not in decision.explain()


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: str
    at: AwareDatetime
    reviewed_at: AwareDatetime | None = None
    painful: bool | None = None


class Reviewed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sessions: list[Review] = Field(default_factory=list)


def test_a_session_time_field_after_as_of_reads_as_unknown() -> None:
    ruleset = clinrules.compile(
        "ruleset r version 1.0.0 status draft\n"
        'exercise run "Run"\n'
        "rule unreviewed for run: check if the last session had reviewed_at < now - 1 day\n"
        "  when unknown avoid\n"
        "otherwise allow\n",
        model=Reviewed,
        allow_draft=True,
    )
    old = {"exercise": "run", "at": "2026-11-20T08:00:00Z", "reviewed_at": "2026-11-10T08:00:00Z"}
    assert ruleset.evaluate({"sessions": [old]}, as_of=AS_OF).exercises["run"].verdict.value == "check"
    later = {**old, "reviewed_at": "2026-11-22T08:00:00Z"}
    decision = ruleset.evaluate({"sessions": [later]}, as_of=AS_OF)
    assert decision.exercises["run"].verdict.value == "avoid"  # through `when unknown`
    assert decision.missing == ["sessions.reviewed_at"]
    assert [w.path for w in decision.warnings] == ["sessions[0].reviewed_at"]


# ---------------------------------------------------------------- evaluate_many


def test_evaluate_many_names_the_failing_index(shipped: clinrules.RuleSet) -> None:
    good = shooting()
    bad = shooting()
    bad["age"] = "34"
    bad["sessions"][0]["exercise"] = "glute_brige"
    read: list[int] = []

    def states() -> Iterator[dict[str, Any]]:
        for index, state in enumerate([good, good, bad, good]):
            read.append(index)
            yield state

    stream = shipped.evaluate_many(states())
    assert next(stream).exercises["glute_bridge"].verdict.value == "stop"
    assert next(stream).exercises["glute_bridge"].verdict.value == "stop"
    with pytest.raises(clinrules.PatientDataError) as raised:
        next(stream)
    assert sorted(path for path, _ in raised.value.problems) == [
        "states[2].age",
        "states[2].sessions[0].exercise",
    ]
    assert read == [0, 1, 2]  # streaming: nothing after the bad patient was read
    # A problem with no path (the data is not an object) is named by the index alone.
    with pytest.raises(clinrules.PatientDataError) as raised:
        list(shipped.evaluate_many([good, 5]))
    assert [path for path, _ in raised.value.problems] == ["states[1]"]


def test_evaluate_many_refuses_what_every_patient_shares_before_the_first(shipped: clinrules.RuleSet) -> None:
    def untouched() -> Iterator[dict[str, Any]]:
        raise AssertionError("no patient may be read")
        yield {}

    with pytest.raises(clinrules.ParameterError):
        next(shipped.evaluate_many(untouched(), parameters={"nope": 1}))
    with pytest.raises(clinrules.ExerciseError):
        next(shipped.evaluate_many(untouched(), exercises=["nope"]))
    with pytest.raises(clinrules.PatientDataError) as raised:
        next(shipped.evaluate_many(untouched(), as_of="2026-11-21T08:00:00"))
    assert [path for path, _ in raised.value.problems] == ["as_of"]


# ---------------------------------------------------------------- strict types, one style


class Plain(BaseModel):
    """A model whose time field is a plain datetime, which pydantic lets be naive."""

    model_config = ConfigDict(extra="forbid")

    seen_at: dt.datetime | None = None
    ok: bool | None = None


ONE_STYLE = re.compile(r"^must be .+, got .+ \([^()]+\)$")


def test_every_type_error_uses_one_style(shipped: clinrules.RuleSet) -> None:
    reasons: list[str] = []
    bad: list[dict[str, Any]] = [
        {"age": True},
        {"age": "40"},
        {"body_mass": float("nan")},
        {"body_mass": 1e300},
        {"red_flags": {"fever": "no"}},
        {"red_flags": {"fever": 0}},
        {"symptoms": {"radiating_pain": 3}},
        {"exam": {"weakness": [1]}},
        {"exam": {"examined_at": "2026-11-14T08:00:00"}},  # naive
        {"exam": {"examined_at": "2026-11-14"}},  # a date alone
        {"exam": {"examined_at": "last week"}},
        {"exam": {"examined_at": 1763107200}},  # seconds since 1970
        {"sessions": [{"exercise": "walking", "at": "2026-11-20T18:00:00"}]},  # naive
        {"sessions": [{"exercise": "walking", "at": "2026-11-20T18:00:00Z", "completed": "yes"}]},
    ]
    for state in bad:
        found = problems(shipped, {"as_of": AS_OF, **state})
        assert len(found) == 1, found
        reasons += found.values()
    for as_of in ("2026-11-21T08:00:00", dt.datetime(2026, 11, 21, 8), "tomorrow", 5):
        found = problems(shipped, {}, as_of=as_of)
        assert list(found) == ["as_of"]
        reasons += found.values()
    naive = dt.datetime(2026, 11, 1, 8)
    plain = clinrules.compile(
        "ruleset r version 1.0.0 status draft\n"
        'exercise e "E"\n'
        "rule r for e: avoid if seen_at < now - 1 day\n"
        "otherwise allow\n",
        model=Plain,
        allow_draft=True,
    )
    for state in ({"seen_at": naive}, {"seen_at": "2026-11-01T08:00:00"}, Plain(seen_at=naive)):
        found = problems(plain, state, as_of=AS_OF)
        assert list(found) == ["seen_at"]
        reasons += found.values()
    # The fast path trusts an instance, but not a naive time in it.
    with pytest.raises(clinrules.PatientDataError) as raised:
        plain.outcomes(Plain(seen_at=naive), as_of=AS_OF)
    reasons += [reason for _, reason in raised.value.problems]
    with pytest.raises(clinrules.ParameterError) as parameter:
        shipped.evaluate({}, parameters={"pain_ceiling": "3"}, as_of=AS_OF)
    reasons.append(str(parameter.value).split("' ", 1)[1])
    for reason in reasons:
        assert ONE_STYLE.match(reason), reason


class Named(BaseModel):
    """Fields with aliases that a patient may also write by their Python names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    pain_score: int | None = Field(default=None, alias="painScore", ge=0, le=10)
    has_fever: bool | None = Field(default=None, alias="hasFever")


class NamedPatient(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    today: Named = Field(default_factory=Named, alias="todayGroup")


def test_a_python_name_of_an_aliased_field_is_checked_strictly() -> None:
    ruleset = clinrules.compile(
        "ruleset r version 1.0.0 status draft\n"
        'exercise e "E"\n'
        "red flag fever: urgent if hasFever\n  care same_day\n"
        "rule r for e: avoid if painScore > 5\n"
        "otherwise allow\n",
        model=NamedPatient,
        allow_draft=True,
    )
    assert ruleset.evaluate({"today": {"has_fever": True}}, as_of=AS_OF).triage.value == "urgent"
    for group in ("today", "todayGroup"):
        for key, value in (("pain_score", True), ("has_fever", 1), ("hasFever", "yes"), ("painScore", "7")):
            found = problems(ruleset, {group: {key: value}}, as_of=AS_OF)
            assert list(found) == [f"{group}.{key}"]
            assert ONE_STYLE.match(found[f"{group}.{key}"])


# ---------------------------------------------------------------- the command line


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


def test_the_cli_text_shows_the_warnings_and_refuses_a_misspelt_exercise(tmp_path: Path) -> None:
    state = shooting()
    state["sessions"][0]["at"] = "2026-11-22T18:00:00Z"
    later = tmp_path / "later.json"
    later.write_text(json.dumps(state), encoding="utf-8")
    code, out, _ = run("eval", str(SHIPPED), str(later), "--allow-draft", "--exercise", "glute_bridge")
    assert code == 0
    assert "Warnings: 1 value in the data could not be counted" in out
    assert "sessions[0]" not in out
    assert out.index("Warnings:") < out.index("glute_bridge:")
    args = ("eval", str(SHIPPED), str(later), "--allow-draft", "--exercise", "glute_bridge", "--explain")
    code, out, _ = run(*args)
    assert code == 0
    assert "Warnings:\n  sessions[0].at: after as_of (2026-11-21T08:00:00Z): not counted\n" in out
    code, out, _ = run("eval", str(SHIPPED), str(later), "--allow-draft", "--format", "json")
    assert code == 0
    assert json.loads(out)["warnings"] == [
        {"path": "sessions[0].at", "reason": "after as_of (2026-11-21T08:00:00Z): not counted"}
    ]
    state["sessions"][0]["exercise"] = "glute_brige"
    misspelt = tmp_path / "misspelt.json"
    misspelt.write_text(json.dumps(state), encoding="utf-8")
    code, out, err = run("eval", str(SHIPPED), str(misspelt), "--allow-draft")
    assert (code, out) == (3, "")
    assert "sessions[0].exercise" in err
