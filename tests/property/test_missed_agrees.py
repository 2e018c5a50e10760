"""The generated missed-fields code gives exactly the interpreter's missed set (engine/compile_missing.py).

A decision's `missing` comes from the functions `compile_missing` writes, not
from the interpreter; if they ever gave another set, a decision would ask for
the wrong answers (or fail to ask for one that would settle it). So, for
every red flag, every rule and every target exercise of the rulesets of the
golden suites, the language and scopes examples, the shipped ruleset and
random rulesets (tests/strategies.py: scopes, ladders, day counts, phrases,
scores, `count of` and assessments), the compiled set equals
`interpret.condition(...)[1]`, whatever the outcome.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import clinrules
from clinrules.engine import interpret, runtime
from clinrules.engine.compile_missing import compilable
from tests.conftest import ROOT, examples
from tests.property.test_compiled_agrees import RULESETS
from tests.strategies import rulesets, sciatica_patients
from tests.support.patients import AS_OF, patients, read_inputs

SHIPPED = clinrules.load(ROOT / "rulesets" / "sciatica" / "glute_bridge.rules", allow_draft=True)


@pytest.mark.parametrize("ruleset", [*RULESETS, SHIPPED], ids=lambda r: r.id)
@examples(60)
@given(data=st.data())
def test_the_compiled_missed_fields_are_the_interpreters(
    ruleset: clinrules.RuleSet, data: st.DataObject
) -> None:
    state = data.draw(patients(ruleset.program.schema, list(ruleset.program.exercises)))
    _same_missed(ruleset, state)


@examples(80)
@given(data=st.data())
def test_the_compiled_missed_fields_are_the_interpreters_on_random_rulesets(data: st.DataObject) -> None:
    generated = data.draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    _same_missed(ruleset, data.draw(sciatica_patients(generated.exercises, max_sessions=8)))


def test_the_shipped_conditions_are_compiled() -> None:
    """No red flag or rule of the shipped ruleset is left to the interpreter for its missed fields."""
    program, compiled = SHIPPED.program, SHIPPED._evaluator.compiled
    assert all(compilable(f.condition) for f in program.red_flags)
    assert all(compilable(r.condition) for r in program.rules)
    assert len(compiled.missed_flags) == len(program.red_flags)
    assert len(compiled.missed_rules) == len(program.rules)
    assert None not in compiled.missed_flags
    assert None not in compiled.missed_rules


def _same_missed(ruleset: clinrules.RuleSet, state: dict[str, Any]) -> None:
    """Each red flag's and rule's missed set, per target exercise, compiled and interpreted."""
    program = ruleset.program
    patient, params, sessions, by_ex, env = read_inputs(program, state)
    compiled = ruleset._evaluator.compiled
    picks = runtime.Picks(sessions)
    for flag, missed in zip(program.red_flags, compiled.missed_flags, strict=True):
        assert missed is not None, flag.id
        value, expected = interpret.condition(flag.condition, env)
        assert missed(patient, params, AS_OF, sessions, by_ex, None, picks) == expected, flag.id
        assert missed(patient, params, AS_OF, sessions, by_ex) == expected, flag.id  # it makes its own picks
        event(f"red flag {value}, {'some' if expected else 'none'} missed")
    for index, (rule, missed) in enumerate(zip(program.rules, compiled.missed_rules, strict=True)):
        assert missed is not None, rule.id
        if not compiled.own_sessions[index]:  # as `decision.missing` asks: once, for no target
            value, expected = interpret.condition(rule.condition, dataclasses.replace(env, sessions=()))
            assert missed(patient, params, AS_OF, (), by_ex, None, picks) == expected, rule.id
        for exercise in rule.targets.exercises:
            own = by_ex.get(exercise, ())
            local = dataclasses.replace(env, sessions=own, target=exercise)
            value, expected = interpret.condition(rule.condition, local)
            assert missed(patient, params, AS_OF, own, by_ex, exercise, picks) == expected, (
                rule.id,
                exercise,
            )
            assert missed(patient, params, AS_OF, own, by_ex, exercise) == expected, (rule.id, exercise)
            event(f"rule {value}, {'some' if expected else 'none'} missed")
