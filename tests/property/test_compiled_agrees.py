"""The compiled evaluator and the interpreter agree on every outcome, for random patients.

The compiled code decides; the interpreter explains (missing fields, the
trace). If they ever disagreed, an explanation could describe a different
decision: this property rules that out, for the rulesets of the golden
suites, the language example, the scopes example, and random rulesets
(tests/strategies.py) with every scope, target form and day count.

The generated code has two paths (engine/compile_known.py): two-valued when
every field a condition reads is known, Kleene otherwise. A fifth of a
random patient's answers are unknown, so it rarely takes the first; the
properties on `_path_states` draw patients that take each path on purpose
(every field known, one field a rule reads left out, only fields no rule
reads left out) and check, by a line tracer, which path each outcome took.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

import clinrules
from clinrules.engine import interpret
from clinrules.engine.inputs import parameter_values, patient_of, sessions_of
from tests.conftest import ROOT, examples
from tests.strategies import rulesets, sciatica_patients
from tests.support.models import MODELS
from tests.support.paths import KLEENE, TWO_VALUED, every_read, expected_path, paths_taken
from tests.support.patients import AS_OF, patients, read_inputs, value_of


def _rulesets() -> list[clinrules.RuleSet]:
    out = [
        clinrules.load(ROOT / "examples" / "language" / "glute_bridge.rules", allow_draft=True),
        clinrules.load(ROOT / "examples" / "ladder_flare.rules", allow_draft=True),
    ]
    for path in sorted((ROOT / "tests" / "golden" / "eval").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if "model" not in data:
            out.append(clinrules.compile(data["rules"], allow_draft=True))
        elif data["model"] == "ward":  # dates, an IntEnum, units of the model, yes/no parameters
            out.append(clinrules.compile(data["rules"], model=MODELS["ward"], allow_draft=True))
    return out


RULESETS = _rulesets()


# 100 a ruleset in the bounded profile, not 150: one property for each ruleset
# above (about 5 ms an example); the one on red flags below keeps 150.
@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
@examples(100)
@given(data=st.data())
def test_the_interpreter_agrees_with_the_compiled_code(
    ruleset: clinrules.RuleSet, data: st.DataObject
) -> None:
    state = data.draw(patients(ruleset.program.schema, list(ruleset.program.exercises)))
    _agree(ruleset, state)


@examples(60)
@given(data=st.data())
def test_the_interpreter_agrees_with_the_compiled_code_on_random_rulesets(data: st.DataObject) -> None:
    """Scopes, ladders, `except`, day counts and sessions in several UTC offsets: the same outcome."""
    generated = data.draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    _agree(ruleset, data.draw(sciatica_patients(generated.exercises, max_sessions=8)))


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
@examples(40)
@given(data=st.data())
def test_both_paths_agree_with_the_interpreter(ruleset: clinrules.RuleSet, data: st.DataObject) -> None:
    program = ruleset.program
    kind, state = data.draw(_path_states(program, patients(program.schema, list(program.exercises))))
    event(kind)
    _agree(ruleset, state)
    _paths_as_expected(ruleset, state)


@examples(40)
@given(data=st.data())
def test_both_paths_agree_with_the_interpreter_on_random_rulesets(data: st.DataObject) -> None:
    generated = data.draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    kind, state = data.draw(
        _path_states(ruleset.program, sciatica_patients(generated.exercises, max_sessions=8))
    )
    event(kind)
    _agree(ruleset, state)
    _paths_as_expected(ruleset, state)


@st.composite
def _path_states(
    draw: st.DrawFn, program: Any, base: st.SearchStrategy[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """A patient (its sessions from `base`) of one of three kinds, named in the first item.

    "known": every field answered; "one unknown read": every field but one
    that a red flag or rule reads; "unknowns unread": every field a rule
    reads, and some that none reads left out.
    """
    fields = [f for f in program.schema.fields.values() if f.path != "as_of"]
    read = every_read(program)
    values = {f.path: draw(value_of(f.type)) for f in fields}
    kinds = ["known", "one unknown read", "unknowns unread"]
    kind = draw(st.sampled_from(kinds))
    readable = sorted(p for p in values if p in read)
    unread = sorted(p for p in values if p not in read)
    if kind == "one unknown read" and readable:
        del values[draw(st.sampled_from(readable))]
    elif kind == "unknowns unread" and unread:
        for path in draw(st.lists(st.sampled_from(unread), min_size=1, unique=True)):
            del values[path]
    state: dict[str, Any] = (
        {"sessions": draw(base).get("sessions", [])} if program.schema.has_sessions else {}
    )
    for path, value in values.items():
        *groups, last = path.split(".")
        target = state
        for group in groups:
            target = target.setdefault(group, {})
        target[last] = value
    return kind, state


def _paths_as_expected(ruleset: clinrules.RuleSet, state: dict[str, Any]) -> None:
    """Each outcome, all at once and one by one, took the two-valued path exactly when it may."""
    program = ruleset.program
    schema = program.schema
    patient = patient_of(schema, state)
    params = parameter_values(program.parameters, None)
    sessions, by_ex = sessions_of(patient, AS_OF, schema.has_sessions)
    compiled = ruleset._evaluator.compiled
    _, flags = paths_taken(
        compiled.source, lambda: compiled.all_flags(patient, params, AS_OF, sessions, by_ex)
    )
    _, rules = paths_taken(
        compiled.source, lambda: compiled.all_rules(patient, params, AS_OF, by_ex, sessions)
    )
    taken = flags | rules
    if compiled.all_outcomes is not None:  # the one call of both: the same path for each outcome
        one_call = compiled.all_outcomes
        flag_count = len(program.red_flags)
        _, together = paths_taken(
            compiled.source, lambda: one_call(patient, params, AS_OF, sessions, by_ex), flag_count
        )
        assert together == taken
    for kind, declared in (("flag", program.red_flags), ("rule", program.rules)):
        for index, item in enumerate(declared):
            expected = expected_path(schema, patient, item.condition)
            assert taken.get((kind, index), KLEENE) == expected, (item.id, expected)
            event(f"{kind} {expected}")
    for index, flag in enumerate(program.red_flags):
        function = compiled.red_flags[index]
        _, one = paths_taken(compiled.source, lambda: function(patient, params, AS_OF, sessions, by_ex))  # noqa: B023
        assert one.get(("flag", index), KLEENE) == expected_path(schema, patient, flag.condition), flag.id
    assert TWO_VALUED in taken.values() or not any(
        expected_path(schema, patient, item.condition) == TWO_VALUED
        for item in (*program.red_flags, *program.rules)
    )


def _agree(ruleset: clinrules.RuleSet, state: dict[str, Any]) -> None:
    """Each outcome three ways: one function, the all-at-once function, the interpreter."""
    program = ruleset.program
    patient, params, sessions, by_ex, env = read_inputs(program, state)
    compiled = ruleset._evaluator.compiled
    flags = compiled.all_flags(patient, params, AS_OF, sessions, by_ex)
    for flag, function, together in zip(program.red_flags, compiled.red_flags, flags, strict=True):
        expected = function(patient, params, AS_OF, sessions, by_ex)
        got, missing = interpret.condition(flag.condition, env)
        assert got is expected is together, flag.id
        assert (missing != frozenset()) == (got is None) or got is None
        event(f"red flag {expected}")
    every = compiled.all_rules(patient, params, AS_OF, by_ex, sessions)
    for rule, function, together in zip(program.rules, compiled.rules, every, strict=True):
        for exercise in rule.targets.exercises:
            own = by_ex.get(exercise, [])
            # Without `S` the function selects from the sessions by exercise, merged: the same sessions.
            expected = function(patient, params, AS_OF, own, by_ex, exercise)
            local = dataclasses.replace(env, sessions=own, target=exercise)
            got, missing = interpret.condition(rule.condition, local)
            assert got is expected, (rule.id, exercise)
            assert (together[exercise] if isinstance(together, dict) else together) is expected
            if got is None:
                assert missing, (rule.id, exercise)
            event(f"rule {expected}")
    if compiled.all_outcomes is not None:  # both in one call: the same values, item by item
        both = compiled.all_outcomes(patient, params, AS_OF, sessions, by_ex)
        assert len(both[0]) == len(flags)
        assert len(both[1]) == len(every)
        assert all(a is b for a, b in zip((*both[0], *both[1]), (*flags, *every), strict=True))
        event("all_outcomes")


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
@given(data=st.data())
def test_decisions_round_trip_and_red_flags_win(ruleset: clinrules.RuleSet, data: st.DataObject) -> None:
    program = ruleset.program
    state = data.draw(patients(program.schema, list(program.exercises)))
    decision = ruleset.evaluate(state, as_of=AS_OF, explain=data.draw(st.booleans()))
    dumped = decision.model_dump(mode="json")
    assert clinrules.Decision.model_validate(dumped).model_dump(mode="json") == dumped
    fired = [name for name, state in dumped["red_flags"].items() if state == "fired"]
    event(f"triage {dumped['triage']}")
    if fired:
        assert dumped["triage"] == "urgent"
        for exercise in dumped["exercises"].values():
            assert exercise["verdict"] == "urgent"
            assert exercise["dose"] is None
            assert exercise["instead"] == []
            assert exercise["progress_to"] is None
    elif "unknown" in dumped["red_flags"].values():
        assert dumped["triage"] == "check"
        assert all(e["verdict"] in ("stop", "avoid", "check") for e in dumped["exercises"].values())


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
@examples(100)
@given(data=st.data())
def test_asking_for_one_exercise_gives_its_entry_of_the_whole_decision(
    ruleset: clinrules.RuleSet, data: st.DataObject
) -> None:
    program = ruleset.program
    state = data.draw(patients(program.schema, list(program.exercises)))
    exercise = data.draw(st.sampled_from(sorted(program.exercises)))
    whole = ruleset.evaluate(state, as_of=AS_OF).model_dump(mode="json")
    one = ruleset.evaluate(state, exercises=[exercise], as_of=AS_OF).model_dump(mode="json")
    assert one["exercises"] == {exercise: whole["exercises"][exercise]}
    assert one["triage"] == whole["triage"]
    assert set(one["missing"]) <= set(whole["missing"])
