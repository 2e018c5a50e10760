"""The built-in sciatica model and the model registry."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest
from pydantic import ValidationError

from clinrules import OrdinalEnum
from clinrules.models import ENTRY_POINT_GROUP, UnknownModelError, model_names, resolve_model
from clinrules.models.sciatica import Extent, Patient
from tests.support.models import Athlete

SESSION = {"exercise": "glute_bridge", "at": "2026-11-20T18:00:00Z"}


def test_every_field_may_be_unknown() -> None:
    patient = Patient.model_validate({})
    assert patient.age is None
    assert patient.red_flags.fever is None
    assert patient.sessions == []


def test_null_groups_are_groups_of_unknowns() -> None:
    patient = Patient.model_validate({"symptoms": None, "red_flags": None, "exam": None, "sessions": None})
    assert patient.symptoms.back_pain is None
    assert patient.sessions == []


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"age": 121}, ("age",)),
        ({"symptoms": {"back_pain": 11}}, ("symptoms", "back_pain")),
        ({"symptoms": {"radiating_pain": "knee"}}, ("symptoms", "radiating_pain")),
        ({"red_flags": {"fevr": True}}, ("red_flags", "fevr")),
        ({"red_flags": {"screened_at": "2026-11-21T07:30:00"}}, ("red_flags", "screened_at")),
        ({"sessions": [{"at": "2026-11-20T18:00:00Z"}]}, ("sessions", 0, "exercise")),
        ({"sessions": [{"exercise": "x"}]}, ("sessions", 0, "at")),
        ({"sessions": [{**SESSION, "pain_during": 12}]}, ("sessions", 0, "pain_during")),
        ({"exam": {"weakness": ["elbow"]}}, ("exam", "weakness", 0)),
        ({"extra": 1}, ("extra",)),
    ],
    ids=[
        "age",
        "pain",
        "enum",
        "misspelt red flag",
        "naive time",
        "no exercise",
        "no time",
        "session pain",
        "list",
        "extra",
    ],
)
def test_bad_data_is_refused_with_its_path(data: dict[str, Any], where: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        Patient.model_validate(data)
    assert where in [tuple(e["loc"]) for e in raised.value.errors()]


def test_two_sessions_of_one_exercise_at_one_time_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"sessions\[1\]: a second session of 'glute_bridge'"):
        Patient.model_validate({"sessions": [SESSION, dict(SESSION)]})
    Patient.model_validate({"sessions": [SESSION, {**SESSION, "exercise": "walking"}]})


def test_extent_is_ordinal() -> None:
    assert issubclass(Extent, OrdinalEnum)
    assert Extent.BUTTOCK < Extent.BELOW_KNEE <= Extent.BELOW_KNEE < Extent.FOOT
    assert Extent.FOOT > Extent.NONE
    assert Extent.THIGH.rank == 2
    assert Extent.THIGH.__lt__("thigh") is NotImplemented


def test_the_registry_knows_sciatica() -> None:
    assert resolve_model("sciatica") is Patient
    assert "sciatica" in model_names()


def test_unknown_model_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as raised:
        resolve_model("sciatic")
    assert "sciatica" in raised.value.known


def _entry_points(monkeypatch: pytest.MonkeyPatch, *points: EntryPoint) -> None:
    def fake(group: str) -> list[EntryPoint]:
        return list(points) if group == ENTRY_POINT_GROUP else []

    monkeypatch.setattr("clinrules.models.entry_points", fake)


def test_plugins_register_under_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    _entry_points(monkeypatch, EntryPoint("athlete", "tests.support.models:Athlete", ENTRY_POINT_GROUP))
    assert resolve_model("athlete") is Athlete
    assert model_names() == ["athlete", "sciatica"]


def test_a_plugin_cannot_replace_a_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    _entry_points(monkeypatch, EntryPoint("sciatica", "tests.support.models:Athlete", ENTRY_POINT_GROUP))
    assert resolve_model("sciatica") is Patient


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("tests.support.models:Nothing", "could not be loaded"),
        ("tests.support.models:MODELS", "not name a pydantic"),
    ],
)
def test_a_broken_plugin_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, target: str, fragment: str
) -> None:
    _entry_points(monkeypatch, EntryPoint("broken", target, ENTRY_POINT_GROUP))
    with pytest.raises(UnknownModelError, match=fragment):
        resolve_model("broken")
