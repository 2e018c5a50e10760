"""The encoding of `clinrules prove` and the evaluator agree, for random rulesets and patients.

A second semantics can drift from the first (design note section 4): each
example pins a random patient (tests/strategies.py) into the encoding of a
random ruleset, with random parameter settings, and compares every
exercise's verdict and the triage that the solver computes with those of
`RuleSet.evaluate`. A second property checks the history bound the same way
the proofs use it: what a rule can be (true, false, unknown) is the same at
the bound and with longer histories.
"""

from __future__ import annotations

from typing import Any

import z3
from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.prove.queries import Encoding
from tests.conftest import examples
from tests.strategies import AS_OF, rulesets, sciatica_patients
from tests.support.prove import pin, verdicts


def _settings(draw: st.DrawFn, ruleset: clinrules.RuleSet) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for name, info in ruleset.parameters.items():
        if info.kind == "yes/no":
            chosen[name] = draw(st.booleans())
        elif info.low is not None and info.high is not None:
            chosen[name] = draw(st.integers(int(info.low), int(info.high)))
    return chosen


@examples(20)
@given(st.data())
def test_the_encoding_gives_the_evaluators_verdicts(data: st.DataObject) -> None:
    generated = data.draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    patient = data.draw(sciatica_patients(generated.exercises))
    chosen = _settings(data.draw, ruleset)
    decision = ruleset.evaluate(patient, parameters=chosen, as_of=AS_OF, recheck=False)
    encoding = Encoding(ruleset.program, extra_slots=6)  # room for every session the strategy draws
    assert encoding.verdicts.unsupported == {}
    triage, found = verdicts(encoding, pin(encoding, patient, chosen, AS_OF))
    assert triage == decision.triage.value
    assert found == {x: e.verdict.value for x, e in decision.exercises.items()}


@examples(5)
@given(rulesets())
def test_what_a_rule_can_be_is_the_same_at_the_bound_and_beyond(generated: Any) -> None:
    program = clinrules.compile(generated.text(), allow_draft=True).program
    seen = []
    for extra in (0, 2):
        encoding = Encoding(program, extra_slots=extra)
        possible = []
        for index, rule in enumerate(program.rules):
            for target in rule.targets.exercises:
                o = encoding.verdicts.outcome(index, target)
                for side in (o.t, o.f, o.unknown):
                    possible.append(encoding.check(side)[0] == z3.sat)
        seen.append(possible)
    assert seen[0] == seen[1]
