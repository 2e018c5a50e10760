"""The discovery's prefetch templates cover every resource the `sciatica` FHIR mapping can read.

The needed (resource type, code) pairs are derived from the mapping file
itself (`src/clinrules/models/sciatica_fhir.json`), so a row added to the
mapping without a template fails here: data the importer would read but the
EHR is never asked for would stay unknown in every request.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from clinrules.service.app import PATIENT, PREFETCH
from tests.conftest import ROOT
from tests.support.service import template_reads

MAPPING: dict[str, Any] = json.loads(
    (ROOT / "src" / "clinrules" / "models" / "sciatica_fhir.json").read_text(encoding="utf-8")
)


def _needed() -> set[tuple[str, str | None]]:
    """(resource type, code or None for any) for every way the mapping reads a field."""
    needed: set[tuple[str, str | None]] = {("QuestionnaireResponse", None)}  # every other field: an answer
    for row in MAPPING["fields"].values():
        source = row["from"]
        if source == "birth_date":
            needed.add(("Patient", None))
        elif source in ("observation", "muscle_grades"):
            needed.update(("Observation", code) for code in row["codes"])
        elif source == "condition":
            needed.update(("Condition", code) for code in row["codes"])
        elif source == "finding":  # a finding is an Observation or a Condition
            needed.update((kind, code) for code in row["codes"] for kind in ("Observation", "Condition"))
    sessions = MAPPING["sessions"]
    needed.update(("Procedure", code) for code in sessions["procedure_codes"])
    for row in sessions["observations"].values():
        needed.update(("Observation", code) for code in row["codes"])
    return needed


def _covered(kind: str, code: str | None) -> bool:
    for template in PREFETCH.values():
        reads, codes = template_reads(template)
        if reads == kind and (codes is None or (code is not None and code in codes)):
            return True
    return False


@pytest.mark.parametrize(("kind", "code"), sorted(_needed(), key=str))
def test_a_template_reads_what_the_mapping_reads(kind: str, code: str | None) -> None:
    assert _covered(kind, code)


def test_the_derivation_sees_the_rows_it_must() -> None:
    needed = _needed()
    # The exam, the pregnancy answer and a red-flag finding: the rows the first templates left out.
    local = "https://clinrules.org/fhir/CodeSystem/sciatica"
    assert ("Observation", f"{local}|mrc-grade") in needed
    assert ("Observation", f"{local}|straight-leg-raise") in needed
    assert ("Observation", "http://loinc.org|82810-3") in needed
    assert ("Observation", f"{local}|saddle-anaesthesia") in needed
    assert not _covered("Observation", "http://loinc.org|0000-0")


def test_every_template_is_for_the_patient_in_context() -> None:
    assert all(PATIENT in template for template in PREFETCH.values())
    assert all(not template.startswith("http") for template in PREFETCH.values())
