"""`recheck_at` is exact: it is the first second at which evaluating again gives another verdict.

Random rulesets compare the time in every way the language can: `within`
windows (fixed and from a parameter), `now - T` on either side of every
operator, a session field against `now`, in red flags and rules, with
session scopes and day counts. Every time in the data and every window is a
whole number of seconds, and every change falls within `_HORIZON` seconds of
`as_of`, so a grid of one second over that range holds every candidate
instant: brute force, evaluating at each second with `recheck=False`, must
find exactly the same first change, and null where there is none. The time
comparisons may also stand in the items of a score or a `count of`, or in
the branches of an assessment, that a rule or red flag reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.decision.result import Decision
from tests.conftest import examples
from tests.support.models import MODELS

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
_EXERCISES = ("ex_a", "ex_b", "ex_c")
_WINDOW = 40  # seconds at most: every window, shift and data time is within it
_HORIZON = 2 * _WINDOW + 3
_OPS = ("<", "<=", ">", ">=")
_SESSION_TESTS = ("pain_during > 5", "shooting_pain", "completed", "(pain_during > 5 and shooting_pain)")


@dataclass(frozen=True)
class _Case:
    text: str
    patient: dict[str, Any]


def _at(seconds_before: int) -> str:
    return (AS_OF - dt.timedelta(seconds=seconds_before)).isoformat().replace("+00:00", "Z")


@st.composite
def _time_condition(draw: st.DrawFn, red_flag: bool = False) -> str:
    seconds = draw(st.integers(1, _WINDOW))
    window = draw(st.sampled_from([f"{seconds} s", "p_window"]))
    inner = draw(st.sampled_from(_SESSION_TESTS))
    op = draw(st.sampled_from(_OPS))
    scopes = ["", " of any exercise", " of ex_a"] + ([] if red_flag else [" on a lower rung"])
    scope = draw(st.sampled_from(scopes))
    return draw(
        st.sampled_from(
            [
                f"any session{scope} within {window} had {inner}",
                f"no session{scope} within {window} had {inner}",
                f"screened_at {op} now - {window}",
                f"now - {window} {op} screened_at",
                f"the last session{scope} had (at {op} now - {window} and {inner})",
                f"2 of the last 3 sessions{scope} had at {op} now - {window}",
                f"any of the last 2 days{scope} had at {op} now - {window}",
                f"{draw(st.sampled_from(['fever', 'not fever']))} and screened_at {op} now - {window}",
            ]
        )
    )


@st.composite
def _cases(draw: st.DrawFn) -> _Case:
    lines = [
        "ruleset timed version 1.0.0 status draft model sciatica",
        f"parameter p_window = {draw(st.integers(1, _WINDOW))} s between 1 s and {_WINDOW} s",
        *(f'exercise {ex} "{ex}"' for ex in _EXERCISES),
        f"ladder steps: {', '.join(_EXERCISES)}",
    ]
    scored: list[str] = []
    if draw(st.booleans()):  # a score and an assessment over time comparisons (every session)
        items = draw(st.lists(_time_condition(red_flag=True), min_size=1, max_size=3))
        points = [draw(st.sampled_from([1, 1, 2, -1])) for _ in items]
        lines.append("score ts:")
        lines.extend(f"  {n} if {item}" for n, item in zip(points, items, strict=True))
        lines.append(f"assess ta:\n  hi if ts >= 2\n  lo if {draw(_time_condition(red_flag=True))}")
        if draw(st.booleans()):
            lines.append("  otherwise none")
        scored = ["ts >= 1", "ts between 0 and 1", "ta is hi", "ta in {hi, lo}", "ta is known"]
    for i in range(draw(st.integers(0, 2))):
        condition = draw(st.sampled_from(scored)) if scored and draw(st.booleans()) else None
        lines.append(f"red flag f{i}: urgent if {condition or draw(_time_condition(red_flag=True))}")
        lines.append("  care same_day")
    verdicts = ["stop", "avoid", "check", "modify", "regress", "progress"]
    for i in range(draw(st.integers(1, 5))):
        verdict = draw(st.sampled_from(verdicts))
        # A rung to move to: regress needs one below, progress one above.
        movable = {"regress": _EXERCISES[1:], "progress": _EXERCISES[:-1]}.get(verdict)
        target = draw(st.sampled_from(movable or [*_EXERCISES, "every exercise"]))
        dose = "\n  dose reps 5" if verdict == "modify" else ""
        unknown = draw(
            st.sampled_from(["", "\n  when unknown check", "\n  when unknown stop", "\n  when unknown avoid"])
        )
        condition = draw(_time_condition())
        pick = draw(st.integers(0, 3))
        if pick == 0:
            condition = f"count of ({condition}, {draw(_time_condition())}) >= 1"
        elif pick == 1 and scored:
            condition = draw(st.sampled_from(scored))
        lines.append(f"rule r{i} for {target}: {verdict} if {condition}{dose}{unknown}")
    # `otherwise check` or `avoid`: a verdict that no rule setting it still holds.
    lines.append(f"otherwise {draw(st.sampled_from(['allow', 'allow', 'check', 'avoid']))}")
    sessions = [
        {
            "exercise": draw(st.sampled_from(_EXERCISES)),
            "at": _at(seconds),
            "pain_during": draw(st.sampled_from([None, 2, 7, 7])),
            "shooting_pain": draw(st.sampled_from([None, False, True, True])),
            "completed": draw(st.booleans()),
        }
        for seconds in draw(st.lists(st.integers(0, _WINDOW), min_size=1, max_size=5, unique=True))
    ]
    red_flags: dict[str, Any] = {"fever": draw(st.sampled_from([None, True, False]))}
    if draw(st.integers(0, 3)):
        red_flags["screened_at"] = _at(draw(st.integers(0, _WINDOW)))
    patient = {
        "red_flags": red_flags,
        "sessions": [{k: v for k, v in s.items() if v is not None} for s in sessions],
    }
    return _Case("\n".join(lines) + "\n", patient)


def _first_change(ruleset: clinrules.RuleSet, case: _Case, decision: Decision) -> dict[str, Any]:
    """Brute force: the first second after `as_of` at which each verdict, and the triage, differ."""
    first: dict[str, Any] = {}
    for k in range(1, _HORIZON + 1):
        moment = AS_OF + dt.timedelta(seconds=k)
        later = ruleset.evaluate(case.patient, as_of=moment, recheck=False)
        for ex, e in decision.exercises.items():
            if ex not in first and later.exercises[ex].verdict != e.verdict:
                first[ex] = moment
        if "triage" not in first and later.triage != decision.triage:
            first["triage"] = moment
    return first


@examples(80)
@given(_cases(), st.randoms(use_true_random=False))
def test_recheck_at_agrees_with_brute_force_on_a_fine_time_grid(case: _Case, rng: Any) -> None:
    ruleset = clinrules.compile(case.text, allow_draft=True)
    exercises = None if rng.random() < 0.7 else [rng.choice(_EXERCISES)]
    decision = ruleset.evaluate(case.patient, exercises=exercises, as_of=AS_OF)
    first = _first_change(ruleset, case, decision)
    for ex, e in decision.exercises.items():
        assert e.recheck_at == first.get(ex), (ex, e.verdict, case.text, case.patient)
    changes = [first[ex] for ex in decision.exercises if ex in first]
    if "triage" in first:
        changes.append(first["triage"])
    assert decision.recheck_at == min(changes, default=None)


# ---------------------------------------------------------------- a date field (language-2.md section 7)

_DATE_RULES = """\
ruleset dated version 1.0.0 status draft model ward
parameter p_age = 65 years between 18 years and 90 years
exercise walk "Walk"
exercise swim "Swim"
rule r0 for walk: check if {first}
rule r1 for swim: avoid if {second}
otherwise allow
"""
_DURATIONS = ("65 years", "18 years", "2 months", "6 weeks", "100 days", "p_age")
_SECONDS = {"years": 31_557_600, "months": 2_629_800, "weeks": 604_800, "days": 86_400}


def _date_seconds(duration: str) -> int:
    count, unit = duration.split() if duration != "p_age" else ("65", "years")
    return int(count) * _SECONDS[unit]


@st.composite
def _date_condition(draw: st.DrawFn, duration: str) -> str:
    op = draw(st.sampled_from(_OPS))
    field = draw(st.sampled_from(["birth_date", "admitted_on"]))
    return draw(
        st.sampled_from(
            [
                f"now - {field} {op} {duration}",
                f"{duration} {op} now - {field}",
                f"{field} {op} now - {duration}",
                f"now - {duration} {op} {field}",
            ]
        )
    )


@examples(60)
@given(st.data())
def test_recheck_at_of_a_date_field_agrees_with_brute_force(data: st.DataObject) -> None:
    """A date's change instant is the start of its day in UTC plus the duration: as_of is put near it."""
    duration = data.draw(st.sampled_from(_DURATIONS))
    text = _DATE_RULES.format(
        first=data.draw(_date_condition(duration)), second=data.draw(_date_condition(duration))
    )
    ruleset = clinrules.compile(text, model=MODELS["ward"], allow_draft=True)
    day = dt.date(1950, 1, 1) + dt.timedelta(days=data.draw(st.integers(0, 25_000)))
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    as_of = start + dt.timedelta(seconds=_date_seconds(duration) + data.draw(st.integers(-_WINDOW, _WINDOW)))
    field = "birth_date" if "birth_date" in text else "admitted_on"
    other = "admitted_on" if field == "birth_date" else "birth_date"
    patient = {field: day.isoformat(), other: data.draw(st.sampled_from([None, day.isoformat()]))}
    decision = ruleset.evaluate(patient, as_of=as_of)
    for ex, e in decision.exercises.items():
        first = next(
            (
                as_of + dt.timedelta(seconds=k)
                for k in range(1, _HORIZON + 1)
                if ruleset.evaluate(patient, as_of=as_of + dt.timedelta(seconds=k), recheck=False)
                .exercises[ex]
                .verdict
                != e.verdict
            ),
            None,
        )
        assert e.recheck_at == first, (ex, e.verdict, text, patient, as_of)
