"""FHIR resources for the importer's tests: builders, and a patient JSON -> Bundle converter.

The converter writes each field as the mapping and the QuestionnaireResponse
convention say an app would (docs/integration.md, "FHIR in"), so a patient
that goes through a Bundle and `from_fhir` must come back the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
LOCAL = "https://clinrules.org/fhir/CodeSystem/sciatica"
EXERCISE = "https://clinrules.org/fhir/CodeSystem/exercise"
PHASE = "https://clinrules.org/fhir/StructureDefinition/pain-phase"
BACK, LEG = "37822005", "61685007"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
WHEN = "2026-11-20T08:00:00Z"
AS_OF = "2026-11-21T08:00:00Z"


def concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def observation(ident: str, system: str, code: str, **more: Any) -> dict[str, Any]:
    resource = {"resourceType": "Observation", "id": ident, "status": "final", "code": concept(system, code)}
    resource["effectiveDateTime"] = WHEN
    resource.update(more)
    return resource


def condition(ident: str, code: str, verification: str | None = "confirmed", **more: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": ident,
        "subject": {"reference": "Patient/p"},
        "code": concept(SNOMED, code),
        "recordedDate": WHEN,
    }
    if verification is not None:
        resource["verificationStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        )
    resource.update(more)
    return resource


def answer(value: Any, kind: str) -> list[dict[str, Any]]:
    """The answers of one item, typed by the field's kind (fields.py)."""
    if value is None:
        return []
    if kind == "codings":
        return [{"valueCoding": {"code": member}} for member in value]
    key = {
        "boolean": "valueBoolean",
        "integer": "valueInteger",
        "decimal": "valueDecimal",
        "coding": "valueCoding",
        "dateTime": "valueDateTime",
        "string": "valueString",
    }[kind]
    return [{key: {"code": value} if kind == "coding" else value}]


def response(ident: str, answers: dict[str, list[dict[str, Any]]], **more: Any) -> dict[str, Any]:
    items = [{"linkId": link, **({"answer": given} if given else {})} for link, given in answers.items()]
    resource = {"resourceType": "QuestionnaireResponse", "id": ident, "status": "completed", "authored": WHEN}
    resource["item"] = items
    resource.update(more)
    return resource


def bundle(*resources: dict[str, Any], timestamp: str = AS_OF) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"resource": r} for r in resources],
    }


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    if isinstance(value, list):
        return "codings"
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        return "dateTime"
    return "coding"


def to_bundle(patient: dict[str, Any]) -> dict[str, Any]:
    """A Bundle an app would send for this patient JSON: Patient, weight, Condition, answers, sessions."""
    as_of = dt.datetime.fromisoformat(patient["as_of"].replace("Z", "+00:00"))
    resources: list[dict[str, Any]] = []
    patient_resource: dict[str, Any] = {"resourceType": "Patient", "id": "p"}
    if patient.get("age") is not None:
        patient_resource["birthDate"] = f"{as_of.year - patient['age'] - 1}-12-31"
    resources.append(patient_resource)
    if patient.get("body_mass") is not None:
        quantity = {
            "value": patient["body_mass"],
            "unit": "kg",
            "system": "http://unitsofmeasure.org",
            "code": "kg",
        }
        resources.append(observation("weight", LOINC, "29463-7", valueQuantity=quantity))
    if patient.get("diagnosis_confirmed") is not None:
        onset: dict[str, Any] = {}
        if patient.get("new_episode") is not None:
            days = 10 if patient["new_episode"] else 100
            onset["onsetDateTime"] = (as_of - dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")
        verification = "confirmed" if patient["diagnosis_confirmed"] else "provisional"
        resources.append(condition("sciatica", "23056005", verification, **onset))
    answers: dict[str, list[dict[str, Any]]] = {}
    if patient.get("pregnant") is not None:
        answers["pregnant"] = answer(patient["pregnant"], "boolean")
    for group in ("symptoms", "red_flags", "exam", "startback"):
        for name, value in (patient.get(group) or {}).items():
            if value is not None and not (group == "red_flags" and name == "screened_at"):
                answers[f"{group}.{name}"] = answer(value, _kind(value))
    screened = (patient.get("red_flags") or {}).get("screened_at") or patient["as_of"]
    resources.append(response("answers", answers, authored=screened))
    for index, session in enumerate(patient.get("sessions") or []):
        code = {
            "coding": [
                {"system": SNOMED, "code": "229065009"},
                {"system": EXERCISE, "code": session["exercise"]},
            ]
        }
        procedure = {
            "resourceType": "Procedure",
            "id": f"s{index}",
            "status": "completed",
            "subject": {"reference": "Patient/p"},
        }
        procedure.update(code=code, performedDateTime=session["at"])
        resources.append(procedure)
        said = {
            f"sessions.{k}": answer(v, _kind(v))
            for k, v in session.items()
            if k not in ("exercise", "at") and v is not None
        }
        resources.append(
            response(
                f"s{index}-answers",
                said,
                authored=session["at"],
                partOf=[{"reference": f"Procedure/s{index}"}],
            )
        )
    return bundle(*resources, timestamp=patient["as_of"])
