"""clinrules.fhir: one test per mapping row (present, absent, dataAbsentReason, wrongly typed, bad status)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from clinrules import PatientDataError
from clinrules.fhir import from_fhir
from tests.support.fhir import (
    BACK,
    LEG,
    LOCAL,
    LOINC,
    SNOMED,
    bundle,
    concept,
    condition,
    observation,
    response,
)

KG = {"value": 75, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
SLR = {"valueCodeableConcept": concept(LOCAL, "positive")}
# field, the Observation's code, its value elements, the value expected, a wrongly typed value
OBSERVATION_ROWS = [
    (
        "pregnant",
        (LOINC, "82810-3"),
        {"valueCodeableConcept": concept(SNOMED, "77386006")},
        True,
        {"valueBoolean": "yes"},
    ),
    ("body_mass", (LOINC, "29463-7"), {"valueQuantity": KG}, 75.0, {"valueQuantity": {**KG, "value": "75"}}),
    (
        "symptoms.back_pain",
        (LOINC, "72514-3"),
        {"valueInteger": 4, "bodySite": concept(SNOMED, BACK)},
        4,
        {"valueInteger": "3", "bodySite": concept(SNOMED, BACK)},
    ),
    (
        "symptoms.leg_pain",
        (LOINC, "72514-3"),
        {"valueInteger": 6, "bodySite": concept(SNOMED, LEG)},
        6,
        {"valueInteger": "3", "bodySite": concept(SNOMED, LEG)},
    ),
    ("exam.straight_leg_raise", (LOCAL, "straight-leg-raise"), SLR, "positive", {"valueBoolean": "yes"}),
    (
        "exam.crossed_straight_leg_raise",
        (LOCAL, "crossed-straight-leg-raise"),
        {"valueBoolean": True},
        True,
        {"valueBoolean": "yes"},
    ),
    (
        "exam.weakest_grade",
        (LOCAL, "mrc-grade"),
        {"valueInteger": 3, "bodySite": concept(LOCAL, "dorsiflexion")},
        3,
        {"valueInteger": "3", "bodySite": concept(LOCAL, "dorsiflexion")},
    ),
    (
        "exam.weakness",
        (LOCAL, "mrc-grade"),
        {"valueInteger": 4, "bodySite": concept(LOCAL, "eversion")},
        ["eversion"],
        {"valueInteger": "4", "bodySite": concept(LOCAL, "eversion")},
    ),
]
IDS = [row[0] for row in OBSERVATION_ROWS]


def field(patient: dict[str, Any], path: str) -> Any:
    value: Any = patient
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def problems_of(*resources: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PatientDataError) as caught:
        from_fhir(bundle(*resources))
    return list(caught.value.problems)


@pytest.mark.parametrize(("path", "code", "value", "expected", "wrong"), OBSERVATION_ROWS, ids=IDS)
def test_an_observation_row_present_gives_its_value_with_provenance(
    path, code, value, expected, wrong
) -> None:
    patient, provenance = from_fhir(bundle(observation("o1", *code, **value)))
    assert field(patient, path) == expected
    assert provenance[path] == "Observation/o1"


@pytest.mark.parametrize(("path", "code", "value", "expected", "wrong"), OBSERVATION_ROWS, ids=IDS)
def test_an_observation_row_absent_is_unknown(path, code, value, expected, wrong) -> None:
    patient, provenance = from_fhir(bundle({"resourceType": "Patient", "id": "p"}))
    assert field(patient, path) is None
    assert path not in provenance


@pytest.mark.parametrize(("path", "code", "value", "expected", "wrong"), OBSERVATION_ROWS[:6], ids=IDS[:6])
def test_an_observation_row_with_data_absent_reason_is_unknown(path, code, value, expected, wrong) -> None:
    kept = {k: v for k, v in value.items() if not k.startswith("value")}
    absent = {
        "dataAbsentReason": concept(
            "http://terminology.hl7.org/CodeSystem/data-absent-reason", "asked-unknown"
        )
    }
    patient, provenance = from_fhir(bundle(observation("o1", *code, **kept, **absent)))
    assert field(patient, path) is None
    assert provenance[path] == "Observation/o1"


@pytest.mark.parametrize(("path", "code", "value", "expected", "wrong"), OBSERVATION_ROWS, ids=IDS)
def test_an_observation_row_wrongly_typed_is_refused_at_its_path(path, code, value, expected, wrong) -> None:
    found = problems_of(observation("o1", *code, **wrong))
    assert found
    assert all(where.startswith("Bundle.entry[0].resource (Observation/o1).value") for where, _ in found)


@pytest.mark.parametrize(("path", "code", "value", "expected", "wrong"), OBSERVATION_ROWS, ids=IDS)
def test_an_observation_row_with_an_unusable_status_is_left_out(path, code, value, expected, wrong) -> None:
    patient, _ = from_fhir(bundle(observation("o1", *code, **value, status="preliminary")))
    assert field(patient, path) is None
    found = problems_of(observation("o1", *code, **value, status="finished"))
    assert [where for where, _ in found] == ["Bundle.entry[0].resource (Observation/o1).status"]


def test_a_weight_in_grams_is_refused_naming_resource_and_path() -> None:
    found = problems_of(observation("abc", LOINC, "29463-7", valueQuantity={"value": 75000, "unit": "g"}))
    assert found == [
        ("Bundle.entry[0].resource (Observation/abc).valueQuantity.unit", "expected kg or [lb_av], got g")
    ]


def test_a_weight_in_pounds_is_converted() -> None:
    patient, _ = from_fhir(
        bundle(observation("w", LOINC, "29463-7", valueQuantity={"value": 100, "code": "[lb_av]"}))
    )
    assert patient["body_mass"] == pytest.approx(45.359)


def test_a_pain_score_without_a_body_site_is_unknown() -> None:
    patient, _ = from_fhir(bundle(observation("o1", LOINC, "72514-3", valueInteger=4)))
    assert field(patient, "symptoms.back_pain") is None
    assert field(patient, "symptoms.leg_pain") is None


@pytest.mark.parametrize(
    ("born", "age"),
    [("1982-03-04", 44), ("1982-12-01", 43), ("1982", None), ("1982-11", None), ("1982-12", 43)],
)
def test_age_is_whole_years_at_as_of_and_unknown_when_a_partial_date_leaves_it_open(born, age) -> None:
    patient, _ = from_fhir(bundle({"resourceType": "Patient", "id": "p", "birthDate": born}))
    assert patient.get("age") == age


@pytest.mark.parametrize(
    ("verification", "expected"),
    [("confirmed", True), ("provisional", False), ("refuted", False), ("differential", None), (None, None)],
)
def test_diagnosis_confirmed_follows_the_condition_verification(verification, expected) -> None:
    patient, _ = from_fhir(bundle(condition("c", "23056005", verification)))
    assert patient.get("diagnosis_confirmed") is expected


def test_no_condition_leaves_the_diagnosis_unknown_never_no() -> None:
    patient, _ = from_fhir(bundle({"resourceType": "Patient", "id": "p"}))
    assert "diagnosis_confirmed" not in patient
    assert "new_episode" not in patient


@pytest.mark.parametrize(("onset", "expected"), [("2026-11-01", True), ("2026-08-01", False), (None, None)])
def test_new_episode_comes_from_the_condition_onset(onset, expected) -> None:
    more = {"onsetDateTime": onset} if onset else {}
    patient, _ = from_fhir(bundle(condition("c", "23056005", **more)))
    assert patient.get("new_episode") is expected


def test_a_condition_verification_outside_the_value_set_is_refused() -> None:
    found = problems_of(condition("c", "23056005", "certain"))
    assert [where for where, _ in found] == ["Bundle.entry[0].resource (Condition/c).verificationStatus"]


def test_an_unknown_resource_type_is_patient_data_error_not_key_error() -> None:
    found = problems_of(
        {"resourceType": "FooType", "id": "x"}, {"resourceType": "MedicinalProduct", "id": "m"}
    )
    assert [where for where, _ in found] == [
        "Bundle.entry[0].resource (FooType/x).resourceType",
        "Bundle.entry[1].resource (MedicinalProduct/m).resourceType",
    ]


def test_every_problem_is_collected_at_once() -> None:
    found = problems_of(
        observation("a", LOINC, "29463-7", valueQuantity={"value": 7, "unit": "g"}),
        response("q", {"red_flags.fever": [{"valueBoolean": "yes"}]}),
    )
    assert len(found) == 2


def test_a_resource_without_an_id_is_named_by_its_entry() -> None:
    resource = observation("x", LOINC, "29463-7", valueQuantity=KG)
    del resource["id"]
    _, provenance = from_fhir(bundle(resource))
    assert provenance["body_mass"] == "Bundle.entry[0]"


def test_the_clinrules_fhir_import_without_the_extra_names_the_install(monkeypatch) -> None:
    for name in [n for n in sys.modules if n == "fhir" or n.startswith(("fhir.", "clinrules.fhir"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "fhir", None)
    with pytest.raises(ImportError, match=r"pip install 'clinrules\[fhir\]'"):
        __import__("clinrules.fhir")
