"""The two paths of the generated code (engine/compile_known.py): two-valued when every field is known.

Which path ran is read by a line tracer over the generated code
(tests/support/paths.py), never by timing. The agreement of both paths with
the interpreter on random rulesets and patients is in
tests/property/test_compiled_agrees.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

import clinrules
from clinrules.engine.compile_known import plain, reads
from clinrules.engine.inputs import parameter_values, patient_of, sessions_of
from tests.support.models import MODELS
from tests.support.paths import KLEENE, TWO_VALUED, paths_taken

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
TEXT = """\
ruleset paths
  version 1.0.0
  status draft
  model sciatica

exercise walk "Walk"

parameter p_age "The age from which irritable matters" = 50 years between 40 years and 70 years

red flag infection:
  urgent if fever and not recent_trauma

define irritable: leg_pain >= 7 or night_pain

rule provoked for walk:
  avoid if leg_pain > 5 and not night_pain
rule left_side for walk:
  avoid if side is left
rule older_irritable for walk:
  check if irritable and age >= p_age
rule unknown_age for walk:
  check if age is unknown or age < 18
rule sessions for walk:
  stop if the last session had pain_during > 5

otherwise allow
"""
KNOWN: dict[str, Any] = {
    "age": 60,
    "symptoms": {"leg_pain": 7, "night_pain": False, "side": "left"},
    "red_flags": {"fever": True, "recent_trauma": False},
}
RULES = ("provoked", "left_side", "older_irritable", "unknown_age", "sessions")


@pytest.fixture(scope="module")
def ruleset() -> clinrules.RuleSet:
    return clinrules.compile(TEXT, allow_draft=True)


def _run(ruleset: clinrules.RuleSet, state: dict[str, Any]) -> tuple[Any, Any, dict[tuple[str, int], str]]:
    """Every flag's and rule's outcome, all at once, and the path each took."""
    program = ruleset.program
    patient = patient_of(program.schema, state)
    params = parameter_values(program.parameters, None)
    sessions, by_ex = sessions_of(patient, AS_OF, program.schema.has_sessions)
    compiled = ruleset._evaluator.compiled
    flags, flag_paths = paths_taken(
        compiled.source, lambda: compiled.all_flags(patient, params, AS_OF, sessions, by_ex)
    )
    rules, rule_paths = paths_taken(
        compiled.source, lambda: compiled.all_rules(patient, params, AS_OF, by_ex, sessions)
    )
    return flags, rules, flag_paths | rule_paths


def _rule(name: str) -> int:
    return RULES.index(name)


def test_a_known_state_takes_the_two_valued_path(ruleset: clinrules.RuleSet) -> None:
    flags, rules, paths = _run(ruleset, KNOWN)
    assert flags == (True,)
    assert rules[: _rule("sessions")] == (True, True, True, False)
    assert paths[("flag", 0)] == TWO_VALUED
    for name in RULES[: _rule("sessions")]:
        assert paths[("rule", _rule(name))] == TWO_VALUED, name
    assert ("rule", _rule("sessions")) not in paths  # a session form has no two-valued path


def test_an_unknown_field_takes_the_kleene_path_and_stays_unknown(ruleset: clinrules.RuleSet) -> None:
    # `side is left` would be False in plain Python with side None: it must be unknown instead.
    state = {**KNOWN, "symptoms": {"leg_pain": 7, "night_pain": False}}
    _, rules, paths = _run(ruleset, state)
    assert rules[_rule("left_side")] is None
    assert paths[("rule", _rule("left_side"))] == KLEENE
    # The other rules read nothing unknown: each still takes its own two-valued path.
    for name in ("provoked", "older_irritable", "unknown_age"):
        assert paths[("rule", _rule(name))] == TWO_VALUED, name


def test_no_rule_whose_field_is_unknown_reads_it_as_no(ruleset: clinrules.RuleSet) -> None:
    # Each field left out in turn: a rule that reads it never takes the two-valued path,
    # and its outcome is the Kleene one (here: unknown, or true where `is unknown` asks).
    program = ruleset.program
    for group, field in (("symptoms", "leg_pain"), ("symptoms", "night_pain"), (None, "age")):
        state: dict[str, Any] = {**KNOWN, "symptoms": dict(KNOWN["symptoms"])}
        if group is None:
            del state[field]
        else:
            del state[group][field]
        path = field if group is None else f"{group}.{field}"
        _, rules, paths = _run(ruleset, state)
        for index, rule in enumerate(program.rules):
            if path in reads(rule.condition):
                assert paths.get(("rule", index)) != TWO_VALUED, (rule.id, path)
                assert rules[index] is not False, (rule.id, path)


def test_unknowns_no_rule_reads_leave_the_two_valued_path(ruleset: clinrules.RuleSet) -> None:
    state = {**KNOWN, "pregnant": None, "exam": {"weakest_grade": None}}
    _, _, paths = _run(ruleset, state)
    assert all(paths[("rule", _rule(name))] == TWO_VALUED for name in RULES[:-1])


def test_each_rule_function_has_the_same_two_paths(ruleset: clinrules.RuleSet) -> None:
    program = ruleset.program
    compiled = ruleset._evaluator.compiled
    params = parameter_values(program.parameters, None)
    for state, expected in ((KNOWN, TWO_VALUED), ({**KNOWN, "age": None}, KLEENE)):
        patient = patient_of(program.schema, state)
        index = _rule("unknown_age")
        function = compiled.rules[index]
        got, paths = paths_taken(compiled.source, lambda: function(patient, params, AS_OF, (), {}))  # noqa: B023
        assert paths == {("rule", index): expected}
        assert got is (state["age"] is None)


def test_only_plain_conditions_have_a_two_valued_path(ruleset: clinrules.RuleSet) -> None:
    program = ruleset.program
    source = ruleset._evaluator.compiled.source
    assert [plain(r.condition) for r in program.rules] == [True, True, True, True, False]
    sessions = source.split(f"def r{_rule('sessions')}(", 1)[1].split("\ndef ", 1)[0]
    assert "two-valued" not in sessions
    # The all-known return names every plain rule, and only those.
    assert "# two-valued: o0 o1 o2 o3\n" in source


def test_the_generated_code_is_built_once_and_shared_by_threads(ruleset: clinrules.RuleSet) -> None:
    compiled = ruleset._evaluator.compiled
    states = [KNOWN, {**KNOWN, "age": None}, {**KNOWN, "symptoms": {}}]
    expected = [ruleset.outcomes(s) for s in states]
    failures: list[object] = []

    def work() -> None:
        for _ in range(200):
            for state, outcome in zip(states, expected, strict=True):
                if ruleset.outcomes(state) != outcome:
                    failures.append(state)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert ruleset._evaluator.compiled is compiled


# ---------------------------------------------------------------- both in one call (all_outcomes)

WITHOUT_SESSIONS = TEXT.replace(
    "rule sessions for walk:\n  stop if the last session had pain_during > 5\n", ""
)
TWO_RATES = """\
ruleset rates
  version 1.0.0
  status draft

exercise walk "Walk"

parameter fast "A fast rate" = 120 between 100 and 140

red flag racing:
  urgent if left.rate > fast or right.rate > fast
rule uneven for walk:
  check if left.rate > right.rate + 20 or flag
rule unknown_rate for walk:
  check if left.rate is unknown

otherwise allow
"""


def test_one_call_gives_both_when_no_condition_reads_sessions() -> None:
    ruleset = clinrules.compile(WITHOUT_SESSIONS, allow_draft=True)
    program = ruleset.program
    compiled = ruleset._evaluator.compiled
    one_call = compiled.all_outcomes
    assert one_call is not None
    params = parameter_values(program.parameters, None)
    unknown_side = {**KNOWN, "symptoms": {"leg_pain": 7, "night_pain": False}}
    for state, left_side in ((KNOWN, TWO_VALUED), (unknown_side, KLEENE)):
        patient = patient_of(program.schema, state)
        sessions, by_ex = sessions_of(patient, AS_OF, program.schema.has_sessions)
        flags = compiled.all_flags(patient, params, AS_OF, sessions, by_ex)
        rules = compiled.all_rules(patient, params, AS_OF, by_ex, sessions)
        both, paths = paths_taken(
            compiled.source,
            lambda: one_call(patient, params, AS_OF, sessions, by_ex),  # noqa: B023
            len(program.red_flags),
        )
        assert both == (flags, rules)
        assert paths[("flag", 0)] == TWO_VALUED
        assert paths[("rule", _rule("left_side"))] == left_side
        assert ruleset.outcomes(state, as_of=AS_OF) == (flags, rules)
    assert both[1][_rule("left_side")] is None  # the unknown side is never read as no


def test_no_one_call_when_a_rule_reads_sessions(ruleset: clinrules.RuleSet) -> None:
    assert ruleset._evaluator.compiled.all_outcomes is None
    assert "all_outcomes = None" in ruleset._evaluator.compiled.source


def test_the_quick_path_is_only_for_a_ruleset_that_reads_no_clock_or_session() -> None:
    rates = clinrules.compile(TWO_RATES, model=MODELS["two_rates"], allow_draft=True)
    assert rates._evaluator.quick is not None
    # The sciatica model has `as_of` and sessions: its evaluation reads them, always.
    assert clinrules.compile(WITHOUT_SESSIONS, allow_draft=True)._evaluator.quick is None
    model = rates.program.schema.model
    states = [
        {"left": {"rate": 130}, "right": {"rate": 90}, "flag": False},
        {"left": {"rate": 100}, "right": {"rate": 110}, "flag": None},
        {"left": {}, "right": {"rate": 150}},
        {},
    ]
    for state in states:
        instance = model.model_validate(state)
        quick = rates.outcomes(instance)
        # Every other way in takes the full path: the same outcomes, of the same class.
        assert type(quick) is type(rates.outcomes(state))
        assert quick == rates.outcomes(state) == rates.outcomes(instance, parameters={"fast": 120})
        assert quick == rates.outcomes(instance, as_of=AS_OF)
        assert quick.by_id()[1]["unknown_rate"] is (state.get("left", {}).get("rate") is None)
    assert rates.outcomes(model.model_validate(states[2])).red_flags == (True,)
    assert rates.outcomes(model.model_validate(states[3])) == ((None,), (None, True))


def test_the_quick_path_is_the_one_an_instance_with_defaults_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = clinrules.compile(TWO_RATES, model=MODELS["two_rates"], allow_draft=True)
    evaluator = rates._evaluator
    calls: list[object] = []
    quick = evaluator.quick
    assert quick is not None

    def counted(*args: Any) -> Any:
        calls.append(args[0])
        return quick(*args)

    monkeypatch.setattr(evaluator, "quick", counted)
    state = {"left": {"rate": 130}, "right": {"rate": 90}, "flag": False}
    instance = rates.program.schema.model.model_validate(state)
    rates.outcomes(instance)
    assert calls == [instance]
    rates.outcomes(state)
    rates.outcomes(instance, parameters={"fast": 120})
    rates.outcomes(instance, as_of=AS_OF)
    assert calls == [instance]  # a dict, parameters or a time take the full path
