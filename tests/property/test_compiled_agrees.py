"""The compiled evaluator and the interpreter agree on every outcome, for random patients.

The compiled code decides; the interpreter explains (missing fields, the
trace). If they ever disagreed, an explanation could describe a different
decision: this property rules that out, for the rulesets of the golden
suites and the language example.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import event, given
from hypothesis import strategies as st

import clinrules
from clinrules.engine import interpret
from clinrules.engine.inputs import parameter_values, patient_of, sessions_of
from tests.conftest import ROOT
from tests.support.patients import AS_OF, patients


def _rulesets() -> list[clinrules.RuleSet]:
    out = [clinrules.load(ROOT / "examples" / "language" / "glute_bridge.rules", allow_draft=True)]
    for path in sorted((ROOT / "tests" / "golden" / "eval").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if "model" not in data:
            out.append(clinrules.compile(data["rules"], allow_draft=True))
    return out


RULESETS = _rulesets()


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda r: r.id)
@given(data=st.data())
def test_the_interpreter_agrees_with_the_compiled_code(
    ruleset: clinrules.RuleSet, data: st.DataObject
) -> None:
    program = ruleset.program
    state = data.draw(patients(program.schema, list(program.exercises)))
    patient = patient_of(program.schema, state)
    params = parameter_values(program.parameters, None)
    sessions, by_ex = sessions_of(patient, AS_OF, program.schema.has_sessions)
    env = interpret.Env(
        program.schema, patient, dict(zip(program.parameters, params, strict=True)), AS_OF, sessions, by_ex
    )
    compiled = ruleset._evaluator.compiled
    for flag, function in zip(program.red_flags, compiled.red_flags, strict=True):
        expected = function(patient, params, AS_OF, sessions, by_ex)
        got, missing = interpret.condition(flag.condition, env)
        assert got is expected, flag.id
        assert (missing != frozenset()) == (got is None) or got is None
        event(f"red flag {expected}")
    for rule, function in zip(program.rules, compiled.rules, strict=True):
        for exercise in rule.targets.exercises:
            own = by_ex.get(exercise, [])
            expected = function(patient, params, AS_OF, own, by_ex)
            local = interpret.Env(env.schema, env.patient, env.params, AS_OF, own, by_ex)
            got, missing = interpret.condition(rule.condition, local)
            assert got is expected, (rule.id, exercise)
            if got is None:
                assert missing, (rule.id, exercise)
            event(f"rule {expected}")


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
