"""Write one FHIR R4 Bundle per public scenario, as an app would send it, by the `sciatica` FHIR mapping.

Usage: PYTHONPATH=src python tools/scenario_bundles.py [OUTPUT_FOLDER]
(default tests/fhir/scenarios; run again after a change to the scenarios or
the mapping, then read the diff). One file per case of
rulesets/sciatica/scenarios.cases.yaml, named by its position and its name,
and two derived from the first with red-flag answers unknown (`DERIVED`:
no public scenario has triage `check`).

Each field is written where `src/clinrules/models/sciatica_fhir.json` reads it:
age as Patient.birthDate, weight, pregnancy, pain scores and the exam as
Observations with the mapping's codes (the exam's muscle grades, one
Observation per weak muscle), the diagnosis as a Condition, a red flag or
numbness that is present as a finding Observation, exercise sessions as
Procedures with their pain Observations (the pain-phase extension) and a
QuestionnaireResponse part of each; every other field, and every answer
that clears a red flag (only an answer may), as an item of the check-in
QuestionnaireResponse (linkId = the field's path). An unknown field is
left out, never written as no.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "rulesets" / "sciatica" / "scenarios.cases.yaml"
MAPPING = ROOT / "src" / "clinrules" / "models" / "sciatica_fhir.json"
OUTPUT = ROOT / "tests" / "fhir" / "scenarios"


def slug(index: int, name: str) -> str:
    """`07_an_acute_flare_today_lighter_strength_work`: the position, then the name's first words."""
    words = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"{index + 1:02d}_{words[:48].rstrip('_')}"


def _concept(pair: str) -> dict[str, Any]:
    system, code = pair.split("|", 1)
    return {"coding": [{"system": system, "code": code}]}


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "valueBoolean"
    if isinstance(value, int):
        return "valueInteger"
    if isinstance(value, float):
        return "valueDecimal"
    if isinstance(value, str) and value[:4].isdigit() and "T" in value:
        return "valueDateTime"
    return "valueCoding"


def _answers(value: Any) -> list[dict[str, Any]]:
    listed = value if isinstance(value, list) else [value]
    return [{_kind(v): {"code": v} if _kind(v) == "valueCoding" else v} for v in listed]


class Writer:
    """The resources of one patient, by the mapping."""

    def __init__(self, mapping: dict[str, Any], as_of: dt.datetime) -> None:
        self.mapping, self.as_of = mapping, as_of
        self.fields: dict[str, Any] = mapping["fields"]
        self.resources: list[dict[str, Any]] = []
        self.items: dict[str, Any] = {}

    def observation(self, ident: str, code: str, when: str, **more: Any) -> dict[str, Any]:
        resource = {"resourceType": "Observation", "id": ident, "status": "final", "code": _concept(code)}
        resource.update(subject={"reference": "Patient/p"}, effectiveDateTime=when, **more)
        self.resources.append(resource)
        return resource

    def field(self, path: str, value: Any, when: str) -> None:
        """One field: the resource its mapping row names, else a check-in answer."""
        row = self.fields.get(path)
        ident = path.replace(".", "-").replace("_", "-")
        source = row["from"] if row else None
        if source == "observation" and isinstance(row["value"], str):
            key = {"integer": "valueInteger", "boolean": "valueBoolean", "decimal": "valueDecimal"}[
                row["value"]
            ]
            sites = {"bodySite": _concept(row["body_site"][0])} if row.get("body_site") else {}
            self.observation(ident, row["codes"][0], when, **sites, **{key: value})
        elif source == "observation" and "coding" in row["value"]:
            pair = next(p for p, v in row["value"]["coding"].items() if v == value)
            self.observation(ident, row["codes"][0], when, valueCodeableConcept=_concept(pair))
        elif source == "observation" and "quantity" in row["value"]:
            quantity = {"value": value, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
            self.observation(ident, row["codes"][0], when, valueQuantity=quantity)
        elif source == "finding" and value is True:
            self.observation(ident, row["codes"][0], when)
        else:
            self.items[path] = _answers(value)

    def exam_grades(self, weak: list[str] | None, lowest: int | None, when: str) -> None:
        """Weakness and the weakest grade as MRC grades, one per muscle; else (not expressible) answers."""
        muscles = {name: pair for pair, name in self.mapping["muscles"].items()}
        code = self.fields["exam.weakness"]["codes"][0]
        if weak and lowest is not None and lowest < 5:
            for name in weak:
                self.observation(
                    f"mrc-{name.replace('_', '-')}",
                    code,
                    when,
                    bodySite=_concept(muscles[name]),
                    valueInteger=lowest,
                )
        elif weak == [] and lowest == 5:
            first = next(iter(muscles))
            self.observation(
                f"mrc-{first.replace('_', '-')}",
                code,
                when,
                bodySite=_concept(muscles[first]),
                valueInteger=5,
            )
        else:
            for path, value in (("exam.weakness", weak), ("exam.weakest_grade", lowest)):
                if value is not None:
                    self.items[path] = _answers(value)


def bundle(patient: dict[str, Any], mapping: dict[str, Any]) -> dict[str, Any]:
    """The Bundle of one scenario's patient (its `as_of` is the Bundle's timestamp)."""
    as_of = dt.datetime.fromisoformat(patient["as_of"].replace("Z", "+00:00"))
    writer = Writer(mapping, as_of)
    person: dict[str, Any] = {"resourceType": "Patient", "id": "p"}
    if patient.get("age") is not None:
        person["birthDate"] = f"{as_of.year - patient['age'] - 1}-12-31"
    writer.resources.append(person)
    for path in ("pregnant", "body_mass"):
        if patient.get(path) is not None:
            writer.field(path, patient[path], patient["as_of"])
    if patient.get("diagnosis_confirmed") is not None:
        row = mapping["fields"]["diagnosis_confirmed"]
        verification = "confirmed" if patient["diagnosis_confirmed"] else "provisional"
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "id": "sciatica",
            "subject": {"reference": "Patient/p"},
            "code": _concept(row["codes"][0]),
            "verificationStatus": _concept(
                f"http://terminology.hl7.org/CodeSystem/condition-ver-status|{verification}"
            ),
            "recordedDate": patient["as_of"],
        }
        if patient.get("new_episode") is not None:
            days = 10 if patient["new_episode"] else 100
            condition["onsetDateTime"] = _stamp(as_of - dt.timedelta(days=days))
        writer.resources.append(condition)
    elif patient.get("new_episode") is not None:
        writer.items["new_episode"] = _answers(patient["new_episode"])
    groups = {name: patient.get(name) or {} for name in ("symptoms", "red_flags", "exam", "startback")}
    times = {
        "symptoms": groups["symptoms"].get("reported_at") or patient["as_of"],
        "red_flags": groups["red_flags"].get("screened_at") or patient["as_of"],
        "exam": groups["exam"].get("examined_at") or patient["as_of"],
        "startback": patient["as_of"],
    }
    for group, values in groups.items():
        for name, value in values.items():
            path = f"{group}.{name}"
            if value is None or path in ("red_flags.screened_at", "exam.weakness", "exam.weakest_grade"):
                continue
            writer.field(path, value, times[group])
    if "weakness" in groups["exam"] or "weakest_grade" in groups["exam"]:
        writer.exam_grades(groups["exam"].get("weakness"), groups["exam"].get("weakest_grade"), times["exam"])
    writer.resources.append(_response("answers", writer.items, times["red_flags"]))
    for index, session in enumerate(patient.get("sessions") or []):
        _session(writer, index, session, mapping)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": patient["as_of"],
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r} for r in writer.resources
        ],
    }


def _response(ident: str, items: dict[str, Any], authored: str, **more: Any) -> dict[str, Any]:
    listed = [{"linkId": path, "answer": answers} for path, answers in items.items()]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "status": "completed",
        "authored": authored,
    }
    resource.update(subject={"reference": "Patient/p"}, **more)
    if listed:
        resource["item"] = listed
    return resource


def _session(writer: Writer, index: int, session: dict[str, Any], mapping: dict[str, Any]) -> None:
    sessions = mapping["sessions"]
    procedure = {
        "resourceType": "Procedure",
        "id": f"s{index}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "code": {
            "coding": [
                _concept(sessions["procedure_codes"][0])["coding"][0],
                {"system": sessions["exercise_system"], "code": session["exercise"]},
            ]
        },
        "performedDateTime": session["at"],
    }
    writer.resources.append(procedure)
    part_of = [{"reference": f"Procedure/s{index}"}]
    answers: dict[str, Any] = {}
    for name, value in session.items():
        if name in ("exercise", "at") or value is None:
            continue
        row = sessions["observations"].get(name)
        if row is None:
            answers[f"sessions.{name}"] = _answers(value)
            continue
        phase = {"url": sessions["phase_extension"], "valueCode": row["phase"]}
        writer.observation(
            f"s{index}-{name.replace('_', '-')}",
            row["codes"][0],
            session["at"],
            bodySite=_concept(row["body_site"][0]),
            valueInteger=value,
            partOf=part_of,
            extension=[phase],
        )
    if answers:
        writer.resources.append(_response(f"s{index}-answers", answers, session["at"], partOf=part_of))


# No public scenario has triage `check`; these are public ones with the screen left unanswered.
DERIVED = {
    "first_day_without_the_red_flag_screen": (0, ()),
    "first_day_with_saddle_and_bladder_unanswered": (0, ("saddle_anaesthesia", "urinary_retention")),
}


def derived(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The derived cases by name: a public case's patient with its red-flag answers (all, or some) unknown."""
    out = {}
    for position, (name, (index, unknown)) in enumerate(DERIVED.items()):
        case = cases[index]
        patient = json.loads(json.dumps(case["patient"]))
        if unknown:
            patient["red_flags"].update(dict.fromkeys(unknown))
        else:
            del patient["red_flags"]
        out[f"{90 + position}_{name}"] = {"name": name, "as_of": case["as_of"], "patient": patient}
    return out


def all_cases() -> dict[str, dict[str, Any]]:
    """Every case with a Bundle, by file name: the public scenarios in order, then the derived ones."""
    cases = yaml.safe_load(SCENARIOS.read_text(encoding="utf-8"))["cases"]
    return {slug(index, case["name"]): case for index, case in enumerate(cases)} | derived(cases)


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else OUTPUT
    output.mkdir(parents=True, exist_ok=True)
    mapping = json.loads(MAPPING.read_text(encoding="utf-8"))
    for old in output.glob("*.json"):
        old.unlink()
    cases = all_cases()
    for name, case in cases.items():
        written = bundle({**case["patient"], "as_of": case["as_of"]}, mapping)
        path = output / f"{name}.json"
        path.write_text(json.dumps(written, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} bundles to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
