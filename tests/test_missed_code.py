"""The generated missed-fields code on the corners random rulesets rarely reach (engine/compile_missing.py).

Each case is a patient that makes one step of the interpreter's walk matter:
an assessment branch after the one that decided is not tried, a day with a
false session is false for `every one of the last N days`, a decisive item
ends `and`. The compiled set must be the interpreter's, and the set stated
here (worked out by hand from docs/semantics.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

import clinrules
from clinrules.engine import interpret, runtime
from clinrules.engine.compile_missing import compilable
from tests.support.patients import AS_OF, read_inputs

_RULES = """ruleset corners
  version 1.0.0
  status draft
  model sciatica

source src_a "Source A"
exercise e0 "Exercise 0"
assess as0 "Assessment":
  va if symptoms.leg_pain > 5
    say "A."
  vb if symptoms.back_pain > 5
    say "B."
  vc if exam.weakest_grade < 3
    say "C."
  cite src_a
rule r0 "Assessed" for e0:
  stop if as0 is va
rule r1 "Every day" for e0:
  stop if every one of the last 2 days had pain_during > 5
rule r2 "Two days" for e0:
  stop if 2 of the last 3 days had pain_during > 5
rule r3 "And" for e0:
  stop if symptoms.leg_pain > 5 and symptoms.back_pain > 5 and exam.weakest_grade < 3
rule r4 "Last" for e0:
  stop if symptoms.leg_pain > 5 and the last session had (pain_during > 5 or completed)
"""
RULESET = clinrules.compile(_RULES, allow_draft=True)
ALONE = clinrules.compile(
    _RULES.split("assess as0")[0]
    + """assess as1 "Over every session":
  va if the last session had pain_during > 1
    say "V."
  cite src_a
rule r0 "No sessions of its own" for e0:
  stop if symptoms.leg_pain > 5 and as1 is va
""",
    allow_draft=True,
)
_PAIN = "sessions.pain_during"


def _session(hours: int, pain: int | None) -> dict[str, Any]:
    at = AS_OF - dt.timedelta(hours=hours)  # AS_OF is 08:00 UTC: hours 0 and 1 fall on one day
    return {"exercise": "e0", "at": at.isoformat(), "pain_during": pain}


def _missed(
    rule: int, state: dict[str, Any], target: str | None = "e0", ruleset: clinrules.RuleSet = RULESET
) -> frozenset[str]:
    """Rule `rule`'s missed set for `target` (None: asked once for all), compiled; equal to the interpreter's."""
    program = ruleset.program
    patient, params, sessions, by_ex, env = read_inputs(program, state)
    own = () if target is None else by_ex.get(target, ())
    expected = interpret.condition(
        program.rules[rule].condition, dataclasses.replace(env, sessions=own, target=target)
    )[1]
    function = ruleset._evaluator.compiled.missed_rules[rule]
    assert function is not None
    got = function(patient, params, AS_OF, own, by_ex, target, runtime.Picks(sessions))
    assert got == expected
    return got


def test_every_corner_rule_is_compiled() -> None:
    assert all(compilable(r.condition) for r in RULESET.program.rules)


@pytest.mark.parametrize(
    ("symptoms", "grade", "expected"),
    [
        # The first branch unknown, the second true: the third is never tried, so not missed.
        ({"back_pain": 8}, None, {"symptoms.leg_pain"}),
        # Both first branches unknown: the third is tried too.
        ({}, None, {"symptoms.leg_pain", "symptoms.back_pain", "exam.weakest_grade"}),
        # The first branch true: the assessment is settled, nothing is missed.
        ({"leg_pain": 8}, None, set()),
    ],
)
def test_an_assessment_misses_the_unknown_branches_tried(
    symptoms: dict[str, Any], grade: int | None, expected: set[str]
) -> None:
    state = {"symptoms": symptoms, "exam": {"weakest_grade": grade}, "sessions": []}
    assert _missed(0, state) == expected


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [
        # Today: one unknown and one false session (a false day); yesterday true: false, nothing missed.
        ([(0, None), (1, 2), (24, 8)], set()),
        # Today: unknown and true (a true day, for `every` only when every session is): unknown.
        ([(0, None), (1, 8), (24, 8)], {_PAIN}),
        # One day only: `every one of the last 2 days` is false.
        ([(0, None)], set()),
    ],
)
def test_every_one_of_the_last_days(sessions: list[tuple[int, int | None]], expected: set[str]) -> None:
    assert _missed(1, {"sessions": [_session(h, v) for h, v in sessions]}) == expected


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [
        ([(0, 8), (24, 8), (48, None)], set()),  # two true days already
        ([(0, 8), (24, 2), (48, None)], {_PAIN}),  # one true, one unknown: unknown
        ([(0, 2), (24, 2), (48, None)], set()),  # at most one true day: false
    ],
)
def test_k_of_the_last_days(sessions: list[tuple[int, int | None]], expected: set[str]) -> None:
    assert _missed(2, {"sessions": [_session(h, v) for h, v in sessions]}) == expected


@pytest.mark.parametrize(
    ("symptoms", "grade", "expected"),
    [
        ({"back_pain": 2}, None, set()),  # a false item decides `and`: nothing missed
        ({"back_pain": 8}, None, {"symptoms.leg_pain", "exam.weakest_grade"}),
        ({"leg_pain": 8, "back_pain": 8}, 1, set()),
    ],
)
def test_and_misses_the_unknown_items_unless_one_is_false(
    symptoms: dict[str, Any], grade: int | None, expected: set[str]
) -> None:
    assert _missed(3, {"symptoms": symptoms, "exam": {"weakest_grade": grade}, "sessions": []}) == expected


@pytest.mark.parametrize(
    ("pain", "completed", "expected"),
    [
        # `or` true on the last session: it misses nothing, though `completed` is unknown.
        (8, None, {"symptoms.leg_pain"}),
        (2, None, {"symptoms.leg_pain", "sessions.completed"}),
        (None, None, {"symptoms.leg_pain", "sessions.pain_during", "sessions.completed"}),
    ],
)
def test_the_last_session_misses_only_when_it_is_unknown(
    pain: int | None, completed: bool | None, expected: set[str]
) -> None:
    session = {**_session(0, pain), "completed": completed}
    assert _missed(4, {"symptoms": {}, "sessions": [session, _session(30, None)]}) == expected


def test_a_rule_without_sessions_of_its_own_reads_an_assessment_over_every_session() -> None:
    """Asked once for every exercise (no target, none of its own sessions), the assessment still reads all.

    The last session's pain settles `as1` to `va`, so the rule waits on leg pain alone: the decision
    must ask for it (the interpreter once read the assessment over no sessions here, and asked nothing).
    """
    state = {"symptoms": {}, "sessions": [_session(0, 5)]}
    assert not ALONE._evaluator.compiled.own_sessions[0]
    assert _missed(0, state, target=None, ruleset=ALONE) == {"symptoms.leg_pain"}
    decision = ALONE.evaluate(state, as_of=AS_OF)
    assert decision.missing == ["symptoms.leg_pain"]


def test_a_decision_asks_the_interpreter_for_no_missing_field(monkeypatch: pytest.MonkeyPatch) -> None:
    # The missing fields of every shipped scenario come from the generated code: with the
    # interpreter's walk refused inside decision/missing.py, every decision is the same.
    from types import SimpleNamespace

    from clinrules.decision import missing
    from tests.support.shipped import PATIENTS, RULESET, scenario_patient

    ruleset = clinrules.load(RULESET, allow_draft=True)
    names = sorted(p.stem for p in PATIENTS.glob("*.json"))
    before = [ruleset.evaluate(scenario_patient(n), as_of=AS_OF).model_dump_json() for n in names]

    def refused(*_: object) -> object:
        raise AssertionError("the interpreter was asked for a missing field")

    monkeypatch.setattr(missing, "interpret", SimpleNamespace(Env=interpret.Env, condition=refused))
    after = [ruleset.evaluate(scenario_patient(n), as_of=AS_OF).model_dump_json() for n in names]
    assert after == before
    assert any('"missing":[]' not in d for d in after)  # some scenario has missing fields to find


def test_a_session_field_is_unknown_when_any_counted_session_lacks_it() -> None:
    """`Evaluator.field_unknown` (which decides whether a condition can still miss a field) over sessions."""
    ruleset = clinrules.compile(_RULES, allow_draft=True)
    evaluator = ruleset._evaluator
    at = ["2026-11-20T08:00:00+00:00", "2026-11-19T08:00:00+00:00", "2026-11-18T08:00:00+00:00"]

    def unknown(pains: list[int | None], later: bool = False) -> bool:
        sessions = [
            {"exercise": "e0", "at": when, **({} if pain is None else {"pain_during": pain})}
            for when, pain in zip(at, pains, strict=True)
        ]
        if later:  # a session after as_of is not counted, whatever it lacks
            sessions.append({"exercise": "e0", "at": "2026-11-22T08:00:00+00:00"})
        inputs, _warnings = evaluator.checked({"sessions": sessions}, None, AS_OF)
        return evaluator.field_unknown(inputs, "sessions.pain_during")

    assert unknown([3, 4, 5]) is False
    assert unknown([3, None, 5]) is True
    assert unknown([None, 4, 5]) is True
    assert unknown([3, 4, None]) is True
    assert unknown([3, 4, 5], later=True) is False
    inputs, _warnings = evaluator.checked({}, None, AS_OF)
    assert evaluator.field_unknown(inputs, "sessions.pain_during") is False  # no session: none lacks it
    assert evaluator.field_unknown(inputs, "symptoms.leg_pain") is True
