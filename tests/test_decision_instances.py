"""A model instance given to `evaluate`: a validated one decides as its dict does, a constructed wrong one is refused.

pydantic does not mark an instance made with `model_construct` apart from a
validated one, so `evaluate` checks every instance again but a validated,
unchanged one of the shipped model (tests/test_validated_instances.py;
docs/semantics.md, "A model instance, and `model_construct`"): a constructed
value of the wrong kind or out of bounds must never reach the rules, where
it could give a silent `allow`.
"""

from __future__ import annotations

from typing import Any

import pytest

from clinrules.api import load
from clinrules.base.errors import PatientDataError
from clinrules.ruleset import RuleSet
from tests.conftest import ROOT

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
AS_OF = "2026-11-21T08:00:00Z"
PATIENT: dict[str, Any] = {
    "as_of": AS_OF,
    "age": 40,
    "symptoms": {"back_pain": 3, "leg_pain": 2, "radiating_pain": "thigh", "side": "left"},
    "red_flags": {
        "urinary_retention": False,
        "faecal_incontinence": False,
        "saddle_anaesthesia": False,
        "screened_at": "2026-11-21T07:00:00Z",
    },
    "sessions": [],
}


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load(RULESET, allow_draft=True)


def test_a_validated_frozen_instance_decides_as_its_dict(ruleset: RuleSet) -> None:
    model = ruleset.program.schema.model
    assert model.model_config.get("frozen")
    instance = model.model_validate(PATIENT)
    assert ruleset.evaluate(instance).model_dump_json() == ruleset.evaluate(PATIENT).model_dump_json()
    assert ruleset.outcomes(instance) == ruleset.outcomes(PATIENT)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("age", True, "age"),  # a yes/no is not an age
        ("age", "70", "age"),  # nor a text
        ("age", 300, "age"),  # out of the model's bounds
        ("symptoms", {"leg_pain": "9"}, "symptoms.leg_pain"),  # a wrong value in a group
    ],
)
def test_a_constructed_instance_with_a_wrong_value_is_refused_not_decided(
    ruleset: RuleSet, field: str, value: object, path: str
) -> None:
    model = ruleset.program.schema.model
    valid = model.model_validate(PATIENT)
    constructed = model.model_construct(**{**dict(valid), field: value})
    with pytest.raises(PatientDataError) as refused:
        ruleset.evaluate(constructed)
    assert path in {where for where, _ in refused.value.problems}
    with pytest.raises(PatientDataError) as streamed:
        list(ruleset.evaluate_many([constructed]))
    assert f"states[0].{path}" in {where for where, _ in streamed.value.problems}
