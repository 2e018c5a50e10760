"""A decision's lists and dicts are its own: work done once per decision is never shared as one object.

The combination works out once per decision what every exercise says alike
(the words of fired red flags, the entry of an exercise held back only by
an unknown red flag) and gives each exercise copies. A caller that changes
one exercise's `because`, `say` or `dose` must change no other exercise and
no other decision: a shared list would carry one patient's change into the
next patient's advice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clinrules.api import load
from clinrules.decision.result import Decision, ExerciseDecision
from clinrules.ruleset import RuleSet
from tests.support.shipped import RULESET, scenario_patient

# One patient for each way an exercise's entry is made: 'otherwise' with its
# dose (clear), every exercise urgent (a red flag fired), and exercises no
# rule applies to held back by an unknown red flag (check).
CASES = ("01_first_session_all_exercises", "02_saddle_numbness", "08_skipped_saddle_question")


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load(RULESET, allow_draft=True)


_patient = scenario_patient


def _containers(value: object) -> Iterator[list[Any] | dict[Any, Any]]:
    """Every list and dict inside an exercise decision's values, the outer ones first."""
    if isinstance(value, list):
        yield value
        for item in value:
            yield from _containers(item)
    elif isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _containers(item)


def _exercise_containers(decision: Decision) -> Iterator[tuple[str, list[Any] | dict[Any, Any]]]:
    for name, exercise in decision.exercises.items():
        for value in exercise.__dict__.values():
            for container in _containers(value):
                yield name, container


def _mutate(exercise: ExerciseDecision) -> None:
    """Change every list and dict of one exercise decision in place."""
    for value in exercise.__dict__.values():
        for container in list(_containers(value)):
            if isinstance(container, list):
                container.append("changed")
            else:
                container["changed"] = 1


def test_the_cases_reach_every_way_an_entry_is_made(ruleset: RuleSet) -> None:
    clear, urgent, check = (ruleset.evaluate(_patient(name)) for name in CASES)
    assert clear.triage.value == "clear"
    assert any(e.verdict.value == "allow" and e.dose for e in clear.exercises.values())
    assert urgent.triage.value == "urgent"
    assert all(e.verdict.value == "urgent" and e.because for e in urgent.exercises.values())
    assert check.triage.value == "check"
    held_back = [e for e in check.exercises.values() if e.because == ["cauda_equina"]]
    assert len(held_back) > 1  # the entry worked out once is given to several exercises


@pytest.mark.parametrize("name", CASES)
def test_no_list_or_dict_is_shared_between_exercises_or_decisions(ruleset: RuleSet, name: str) -> None:
    first, second = ruleset.evaluate(_patient(name)), ruleset.evaluate(_patient(name))
    owners: dict[int, str] = {}
    for label, decision in (("first", first), ("second", second)):
        for exercise, container in _exercise_containers(decision):
            where = f"{label}.{exercise}"
            assert id(container) not in owners, (
                f"{where} shares a {type(container).__name__} with {owners[id(container)]}"
            )
            owners[id(container)] = where
    assert owners


@pytest.mark.parametrize("name", CASES)
def test_changing_one_exercise_changes_no_other_and_no_later_decision(ruleset: RuleSet, name: str) -> None:
    expected = ruleset.evaluate(_patient(name)).model_dump(mode="json")
    changed = ruleset.evaluate(_patient(name))
    first = next(iter(changed.exercises))
    _mutate(changed.exercises[first])
    after = changed.model_dump(mode="json")
    for exercise in changed.exercises:
        if exercise != first:
            assert after["exercises"][exercise] == expected["exercises"][exercise]
    assert after["exercises"][first] != expected["exercises"][first]
    assert ruleset.evaluate(_patient(name)).model_dump(mode="json") == expected
