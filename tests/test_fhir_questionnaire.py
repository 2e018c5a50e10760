"""The Questionnaire and the importer agree: what `clinrules questionnaire` asks is what `from_fhir` reads.

Each item of every patient part of the sciatica Questionnaire is answered
in the way its item type says (a boolean, a whole number at its lower
bound, the first answer option, a time), as a completed QuestionnaireResponse
for that Questionnaire; the importer must put every answer on the field the
item's linkId names, and refuse nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytest.importorskip("fhir.resources")

from clinrules.authoring.questionnaire import build
from clinrules.fhir import from_fhir
from clinrules.models.sciatica import Patient

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
AUTHORED = "2026-11-21T07:30:00Z"


def _answer(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    if kind == "boolean":
        return {"valueBoolean": False}
    if kind == "integer":
        low = next((e["valueInteger"] for e in item.get("extension", ()) if e["url"].endswith("minValue")), 0)
        return {"valueInteger": low}
    if kind == "decimal":
        low = next(
            (e["valueDecimal"] for e in item.get("extension", ()) if e["url"].endswith("minValue")), 0.0
        )
        return {"valueDecimal": float(low)}
    if kind == "choice":
        return {"valueCoding": item["answerOption"][0]["valueCoding"]}
    if kind == "dateTime":
        return {"valueDateTime": AUTHORED}
    raise AssertionError(f"an item type the test does not answer: {kind}")


def _get(patient: dict[str, Any], path: str) -> Any:
    value: Any = patient
    for part in path.split("."):
        value = value[part]
    return value


@pytest.mark.parametrize("part", ["checkin", "screen", "startback"])
def test_every_item_answered_lands_on_the_field_its_link_id_names(part: str) -> None:
    questionnaire = build(Patient, part, "sciatica", AS_OF.date())
    items = [i for i in questionnaire["item"] if not i.get("readOnly")]
    assert items
    response = {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{part}",
        "questionnaire": questionnaire["url"],
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "authored": AUTHORED,
        "item": [{"linkId": i["linkId"], "answer": [_answer(i)]} for i in items],
    }
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": response}]}
    patient, provenance = from_fhir(bundle, model="sciatica", as_of=AS_OF)
    for item in items:
        value = _get(patient, item["linkId"])
        assert value is not None, item["linkId"]
        assert item["linkId"] in provenance, item["linkId"]
        answer = _answer(item)
        if "valueBoolean" in answer:
            assert value is False, item["linkId"]
        elif "valueCoding" in answer:
            code = answer["valueCoding"]["code"]
            assert value == code or value == [code], item["linkId"]
