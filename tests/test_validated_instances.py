"""A validated, unchanged, frozen instance of the shipped model is evaluated without being validated again.

pydantic cannot tell an instance made with `model_construct` from a
validated one, so the shipped model marks its validated instances
(`clinrules.models.validated`). Only a marked instance that has not changed
since skips validation; every other instance is validated as its dict is, and
a wrong value in one is refused (docs/semantics.md, "A model instance, and
`model_construct`"). The calls are counted, not timed.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from clinrules.api import load
from clinrules.base.errors import PatientDataError
from clinrules.engine import inputs
from clinrules.models.sciatica import Patient, Session
from clinrules.models.validated import is_validated
from clinrules.ruleset import RuleSet
from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
PATIENT: dict[str, Any] = {
    "as_of": "2026-11-21T08:00:00Z",
    "age": 40,
    "symptoms": {"back_pain": 3, "leg_pain": 2, "radiating_pain": "thigh", "side": "left"},
    "red_flags": {
        "urinary_retention": False,
        "faecal_incontinence": False,
        "saddle_anaesthesia": False,
        "screened_at": "2026-11-21T07:00:00Z",
    },
    "exam": {"weakness": ["hip_extension"]},
    "sessions": [
        {"exercise": "glute_squeeze", "at": "2026-11-20T18:00:00Z", "pain_during": 2, "completed": True},
        {"exercise": "glute_squeeze", "at": "2026-11-19T18:00:00Z", "pain_during": 3, "completed": True},
    ],
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load(RULESET, allow_draft=True)


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every validation from here on, by what it was given: a `Patient.model_validate` call, or a
    dict that the strict validator (engine/kinds.py) validated, strict kinds and model in one."""
    calls: list[object] = []
    validate = Patient.model_validate
    strictly = inputs.strictly_validated

    def counted(state: object, **options: Any) -> Patient:
        calls.append(state)
        return validate(state, **options)

    def counted_strictly(schema: Any, state: object, *rest: Any) -> Any:
        patient = strictly(schema, state, *rest)
        if patient is not None:
            calls.append(state)
        return patient

    monkeypatch.setattr(Patient, "model_validate", counted)
    monkeypatch.setattr(inputs, "strictly_validated", counted_strictly)
    return calls


def test_a_validated_frozen_instance_is_not_validated_again(
    ruleset: RuleSet, validations: list[object]
) -> None:
    instance = Patient.model_validate(PATIENT)
    assert is_validated(instance)
    validations.clear()
    decided = ruleset.evaluate(instance)
    assert validations == []
    assert list(ruleset.evaluate_many([instance])) == [decided]
    assert validations == []
    assert decided.model_dump_json() == ruleset.evaluate(PATIENT).model_dump_json()
    assert len(validations) == 1  # the dict is validated: the count sees a validation


def test_a_constructed_instance_with_a_wrong_type_is_still_refused(
    ruleset: RuleSet, validations: list[object]
) -> None:
    constructed = Patient.model_construct(as_of=PATIENT["as_of"], age="70")
    assert not is_validated(constructed)
    with pytest.raises(PatientDataError) as refused:
        ruleset.evaluate(constructed)
    assert [path for path, _ in refused.value.problems] == ["age"]
    assert len(validations) == 1


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        pytest.param(lambda p: p.model_copy(update={"age": True}), True, id="a copy with a wrong value"),
        pytest.param(copy.deepcopy, False, id="a deep copy"),
        pytest.param(lambda p: pickle.loads(pickle.dumps(p)), False, id="a pickled copy"),
    ],
)
def test_a_copy_of_a_validated_instance_is_validated_again(
    ruleset: RuleSet, validations: list[object], change: Any, refused: bool
) -> None:
    copied = change(Patient.model_validate(PATIENT))
    assert not is_validated(copied)
    validations.clear()
    if refused:
        with pytest.raises(PatientDataError) as error:
            ruleset.evaluate(copied)
        assert [path for path, _ in error.value.problems] == ["age"]
    else:
        assert ruleset.evaluate(copied) == ruleset.evaluate(PATIENT)
        validations.pop()  # the dict's
    assert len(validations) == 1


def test_a_list_changed_in_place_takes_the_instance_back_to_validation(
    ruleset: RuleSet, validations: list[object]
) -> None:
    instance = Patient.model_validate(PATIENT)
    # Frozen stops setting a field, not appending to a list: pain 15 is out of the model's bounds.
    instance.sessions.append(
        Session.model_construct(exercise="glute_squeeze", at=instance.sessions[0].at, pain_during=15)
    )
    assert not is_validated(instance)
    validations.clear()
    with pytest.raises(PatientDataError):
        ruleset.evaluate(instance)
    assert len(validations) == 1
    weakened = Patient.model_validate(PATIENT)
    weakened.exam.weakness.append("no_such_muscle")  # type: ignore[arg-type]
    assert not is_validated(weakened)


def test_a_validated_instance_still_passes_the_strict_kinds(ruleset: RuleSet) -> None:
    """The model's own bounds let a weight of 1e16 kg through; the strict check does not, for either."""
    too_large = {**PATIENT, "body_mass": 1e16}
    instance = Patient.model_validate(too_large)
    assert is_validated(instance)
    with pytest.raises(PatientDataError) as from_dict:
        ruleset.evaluate(too_large)
    with pytest.raises(PatientDataError) as from_instance:
        ruleset.evaluate(instance)
    assert from_instance.value.problems == from_dict.value.problems
    assert [path for path, _ in from_dict.value.problems] == ["body_mass"]


def test_a_model_without_the_mark_is_never_taken_as_validated() -> None:
    class Plain(BaseModel):
        model_config = ConfigDict(frozen=True)
        age: int | None = None

    assert not is_validated(Plain.model_validate({"age": 3}))
    assert not is_validated(Patient.model_validate(PATIENT, context={"clinrules_unmarked": True}))
