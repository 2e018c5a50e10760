"""Asking for some exercises gives each of them the decision it gets when all are asked for.

`evaluate(exercises=[...])` runs the rules one by one (a few exercises) or
all in one call (many), and works out `recheck_at` re-running only the rules
the exercises asked for read: every exercise decision, its `recheck_at`
included, must be the one of the whole decision. Checked over the cases of
the shipped case files and the ladder example, for one exercise at a time
and for all but one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clinrules.authoring.cases import load_ruleset, read_case_file
from clinrules.engine.evaluator import LazyOutcomes
from tests.conftest import ROOT

CASE_FILES = [
    Path("rulesets/sciatica/scenarios.cases.yaml"),
    Path("rulesets/sciatica/boundaries.cases.yaml"),
    Path("examples/ladder_flare.cases.yaml"),
]


@pytest.mark.parametrize("case_file", CASE_FILES, ids=str)
def test_each_exercise_asked_alone_or_with_others_decides_as_when_all_are_asked(case_file: Path) -> None:
    read = read_case_file(ROOT / case_file, str(case_file))
    ruleset = load_ruleset(read.ruleset, read.ruleset_shown, beneath=read.root)
    compared = 0
    for case in read.cases:
        if "refused" in case.expect:  # every exercise is asked for, whatever the case reports
            continue
        whole = ruleset.evaluate(case.patient, None, case.parameters, case.as_of)
        for exercise in ruleset.exercises:
            alone = ruleset.evaluate(case.patient, [exercise], case.parameters, case.as_of)
            assert alone.exercises[exercise] == whole.exercises[exercise], (case.label, exercise)
            others = [x for x in ruleset.exercises if x != exercise]
            most = ruleset.evaluate(case.patient, others, case.parameters, case.as_of)
            assert most.exercises == {x: whole.exercises[x] for x in others}, (case.label, exercise)
            compared += 1
    assert compared >= len(ruleset.exercises) * 5  # enough cases to mean something


def test_one_exercise_of_few_rules_runs_only_the_rules_it_reads() -> None:
    # The speed half of "exercises=[...] is never slower" rests on this shortcut: an
    # exercise whose rules are under a third of the ruleset's gets its rules run one
    # by one, and no other rule runs (the figure itself is in `make bench`).
    read = read_case_file(ROOT / CASE_FILES[0], str(CASE_FILES[0]))
    ruleset = load_ruleset(read.ruleset, read.ruleset_shown, beneath=read.root)
    evaluator = ruleset._evaluator
    case = next(c for c in read.cases if "refused" not in c.expect)
    inputs = evaluator.inputs(case.patient, case.parameters, case.as_of)
    exercise = min(ruleset.exercises, key=lambda x: len(evaluator.rules_for[x]))
    assert 3 * len(evaluator.rules_for[exercise]) < len(ruleset.program.rules)
    lazy = evaluator.rule_outcomes(inputs, (exercise,))
    assert isinstance(lazy, LazyOutcomes)
    whole = evaluator.rule_outcomes(inputs, evaluator.exercise_ids)
    assert not isinstance(whole, LazyOutcomes)
    for index in evaluator.rules_for[exercise]:
        assert lazy[index] == whole[index]
    assert set(lazy.values) == set(evaluator.rules_for[exercise])
