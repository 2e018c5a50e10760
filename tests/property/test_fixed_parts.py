"""The decision's shortcuts (`decision/fixed.py`, `combine.decide`) give exactly the long way's decision.

Two shortcuts: an exercise set by one fired rule alone, with no move or
alternative, takes the record made when the ruleset was loaded (adjusted
for unknown red flags) instead of `Combination._final`; and a decision
that a red flag made urgent does not run the rules, unless the trace or a
`recheck_at` waiting for the flag to clear reads them. Each property
decides every patient both ways and compares the JSON; each counts how
often its shortcut was taken, so that it cannot pass by never taking it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.decision import combine
from clinrules.decision.fixed import FixedParts
from tests.conftest import examples
from tests.strategies import AS_OF, FLAG_ANSWERS, NO_OR_UNKNOWN, rulesets, sciatica_patients
from tests.support.shipped import PATIENTS, RULESET, scenario_patient


def _long_way(ruleset: clinrules.RuleSet, patient: Any, as_of: Any = AS_OF) -> dict[str, Any]:
    """The decision with neither shortcut: every record by `_final`, the rules run even when urgent."""
    ev = ruleset._evaluator
    fixed = FixedParts(ev)
    object.__setattr__(  # no record made at load: every exercise the long way
        fixed,
        "entries",
        MappingProxyType({ex: tuple(e._replace(alone=None) for e in es) for ex, es in fixed.entries.items()}),
    )
    inputs, warnings = ev.checked(patient, None, as_of)
    flags = ev.compiled.all_flags(*inputs)
    outcomes = ev.rule_outcomes(inputs, ev.exercise_ids)
    made = combine.Combination(ev, ruleset._info, inputs, flags, outcomes, ev.exercise_ids, False, warnings)
    made.recheck = ruleset._recheck
    made.given_fixed = fixed
    return made.decision().model_dump(mode="json")


class _Taken:
    """Counts the calls of the record shortcut and of the rules, while the code runs unchanged."""

    def __init__(self) -> None:
        self.alone = 0
        self.alone_with_unknown_flags = 0
        self.urgent_without_rules = 0

    def __enter__(self) -> _Taken:
        alone = combine.Combination._alone
        decide = combine.Combination.decision

        def counted_alone(made: combine.Combination, record: Any, flags: tuple[str, ...]) -> Any:
            self.alone += 1
            self.alone_with_unknown_flags += bool(flags)
            return alone(made, record, flags)

        def counted_decision(made: combine.Combination) -> Any:
            self.urgent_without_rules += made.outcomes is None
            return decide(made)

        self._patches = [
            mock.patch.object(combine.Combination, "_alone", counted_alone),
            mock.patch.object(combine.Combination, "decision", counted_decision),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for patch in self._patches:
            patch.stop()


@st.composite
def _cases(draw: st.DrawFn) -> tuple[clinrules.RuleSet, list[dict[str, Any]]]:
    generated = draw(rulesets())
    ruleset = clinrules.compile(generated.text(), allow_draft=True)
    # Red flags answered yes, no or not at all, or only no or not at all: urgent decisions and
    # decisions held at check by an unknown red flag are both common.
    patients = [
        draw(sciatica_patients(generated.exercises, flags=flags))
        for flags in (FLAG_ANSWERS, NO_OR_UNKNOWN, NO_OR_UNKNOWN, NO_OR_UNKNOWN)
    ]
    return ruleset, patients


def test_random_rulesets_decide_as_the_long_way_does() -> None:
    taken = {"alone": 0, "flags": 0, "urgent": 0, "decisions": 0}

    @examples(60)
    @given(_cases())
    def inner(case: tuple[clinrules.RuleSet, list[dict[str, Any]]]) -> None:
        ruleset, patients = case
        for patient in patients:
            with _Taken() as counted:
                quick = ruleset.evaluate(patient, as_of=AS_OF).model_dump(mode="json")
            assert quick == _long_way(ruleset, patient)
            taken["alone"] += counted.alone
            taken["flags"] += counted.alone_with_unknown_flags
            taken["urgent"] += counted.urgent_without_rules
            taken["decisions"] += 1

    inner()
    # Both shortcuts must have run, or the comparison shows nothing about them.
    assert taken["alone"] >= taken["decisions"] // 10, taken
    assert taken["flags"] >= taken["decisions"] // 40, taken
    assert taken["urgent"] >= taken["decisions"] // 40, taken


def test_the_shipped_scenarios_decide_as_the_long_way_does() -> None:
    ruleset = clinrules.load(RULESET, allow_draft=True)
    names = sorted(p.stem for p in PATIENTS.glob("*.json"))
    assert len(names) > 20
    with _Taken() as counted:
        for name in names:
            patient = scenario_patient(name)
            quick = ruleset.evaluate(patient, as_of=AS_OF).model_dump(mode="json")
            assert quick == _long_way(ruleset, scenario_patient(name)), name
    assert counted.alone > 0
    assert counted.urgent_without_rules > 0


ALONE = """ruleset alone version 1.0.0 status draft model sciatica
source s "A source"
exercise e_stop "Stop"
exercise e_avoid "Avoid"
exercise e_check "Check"
exercise e_modify "Modify"
  dose hold 10 s, reps 10
exercise e_allow "Allow"
red flag fever_alone:
  urgent if fever
  say "Seek care today."
  cite s
rule r_stop for e_stop: stop if acute_flare
  say "Stop for now."
  note "A flare."
  cite s
rule r_avoid for e_avoid: avoid if acute_flare
  say "Avoid for now."
rule r_check for e_check: check if acute_flare
  say "Check first."
  cite s
rule r_modify for e_modify: modify if acute_flare
  dose reps 5
rule r_allow for e_allow: allow if acute_flare
otherwise check
"""


def test_every_verdict_set_by_one_rule_alone_is_the_long_ways_with_and_without_an_unknown_red_flag() -> None:
    ruleset = clinrules.compile(ALONE, allow_draft=True)
    for fever in (False, None, True):
        patient: dict[str, Any] = {"symptoms": {"acute_flare": True}, "red_flags": {"fever": fever}}
        if fever is None:
            del patient["red_flags"]["fever"]
        with _Taken() as counted:
            quick = ruleset.evaluate(patient, as_of=AS_OF).model_dump(mode="json")
        assert quick == _long_way(ruleset, patient), fever
        assert counted.alone == (0 if fever else 5), fever  # urgent: no exercise's record is worked out
        if fever is None:
            assert quick["exercises"]["e_check"]["because"] == ["fever_alone", "r_check"]
            assert quick["exercises"]["e_modify"]["verdict"] == "check"
