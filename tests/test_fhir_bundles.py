"""clinrules.fhir on whole bundles: answers, the red-flag asymmetry, latest wins, sessions, the done-when cases."""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.cli.main import main
from clinrules.fhir import from_fhir
from clinrules.fhir.mapping import load_mapping
from clinrules.models.sciatica import Patient
from tests.conftest import ROOT
from tests.support.fhir import (
    ABSENT,
    BACK,
    EXERCISE,
    LOINC,
    PHASE,
    SNOMED,
    bundle,
    concept,
    condition,
    observation,
    response,
    to_bundle,
)

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
HERE = ROOT / "tests" / "fhir"
MAPPING = load_mapping(Patient, None)
RED_FLAGS = sorted(p for p, f in MAPPING.fields.items() if p.startswith("red_flags.") and f.kind == "boolean")
FINDINGS = [
    (r.field, sorted(r.codes)[0])
    for r in MAPPING.rules
    if r.source == "finding" and r.field.startswith("red_flags.")
]


@pytest.fixture(scope="module")
def ruleset() -> clinrules.RuleSet:
    return clinrules.load(RULESET, allow_draft=True)


def test_a_bundle_reporting_saddle_numbness_gives_triage_urgent(ruleset) -> None:
    patient, provenance = from_fhir(json.loads((HERE / "saddle_numbness.json").read_text()))
    assert patient["red_flags"]["saddle_anaesthesia"] is True
    assert provenance["red_flags.saddle_anaesthesia"] == "QuestionnaireResponse/answers"
    assert ruleset.evaluate(patient).triage == "urgent"


def test_a_bundle_without_the_red_flag_screen_gives_check_with_the_screen_questions(ruleset) -> None:
    patient, _ = from_fhir(json.loads((HERE / "screen_missing.json").read_text()))
    decision = ruleset.evaluate(patient)
    assert decision.triage == "check"
    asked = {q.field for q in decision.questions}
    assert {"red_flags.saddle_anaesthesia", "red_flags.urinary_retention"} <= asked


@pytest.mark.parametrize(
    "case", sorted((ROOT / "rulesets" / "sciatica" / "patients").glob("*.json")), ids=lambda p: p.stem
)
def test_a_shipped_patient_through_a_bundle_keeps_its_triage_and_verdicts(ruleset, case: Path) -> None:
    direct = json.loads(case.read_text())
    imported, _ = from_fhir(to_bundle(direct))
    a, b = ruleset.evaluate(direct), ruleset.evaluate(imported)
    assert b.triage == a.triage
    assert {k: v.verdict for k, v in b.exercises.items()} == {k: v.verdict for k, v in a.exercises.items()}


@pytest.mark.parametrize("path", sorted(MAPPING.fields))
def test_an_answer_item_sets_its_field_and_an_unanswered_or_asked_unknown_one_is_unknown(path) -> None:
    kind = MAPPING.fields[path]
    sample = {
        "boolean": [{"valueBoolean": True}],
        "integer": [{"valueInteger": 1}],
        "decimal": [{"valueDecimal": 1.5}],
        "dateTime": [{"valueDateTime": "2026-11-20T07:00:00Z"}],
        "string": [{"valueString": "x"}],
        "coding": [{"valueCoding": {"code": kind.members[0] if kind.members else ""}}],
        "codings": [{"valueCoding": {"code": kind.members[0] if kind.members else ""}}],
    }[kind.kind]
    patient, provenance = from_fhir(bundle(response("q", {path: sample})))
    assert provenance[path] == "QuestionnaireResponse/q"
    for silent in ([], [{"valueCoding": {"system": ABSENT, "code": "asked-unknown"}}]):
        patient, _ = from_fhir(bundle(response("q", {path: silent})))
        value: Any = patient
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        assert value is None
    wrong = [{"valueString": "yes"}] if kind.kind != "string" else [{"valueBoolean": True}]
    with pytest.raises(clinrules.PatientDataError) as caught:
        from_fhir(bundle(response("q", {path: wrong})))
    assert caught.value.problems[0][0].startswith(
        "Bundle.entry[0].resource (QuestionnaireResponse/q).item[0].answer[0]"
    )


def test_a_coerced_answer_is_refused() -> None:
    with pytest.raises(clinrules.PatientDataError) as caught:
        from_fhir(
            bundle(
                response(
                    "q",
                    {
                        "red_flags.fever": [{"valueBoolean": "yes"}],
                        "symptoms.back_pain": [{"valueInteger": "3"}],
                    },
                )
            )
        )
    assert len(caught.value.problems) == 2


def test_an_in_progress_response_is_left_out_and_a_bad_status_refused() -> None:
    patient, _ = from_fhir(
        bundle(response("q", {"red_flags.fever": [{"valueBoolean": False}]}, status="in-progress"))
    )
    assert "red_flags" not in patient
    with pytest.raises(clinrules.PatientDataError):
        from_fhir(bundle(response("q", {"red_flags.fever": [{"valueBoolean": False}]}, status="done")))


@pytest.mark.parametrize(("flag", "code"), FINDINGS)
def test_a_finding_makes_a_red_flag_true_over_a_later_answer_of_no(flag, code) -> None:
    system, value = code.split("|")
    cleared = response("q", {flag: [{"valueBoolean": False}]}, authored="2026-11-21T07:00:00Z")
    found = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p"},
        "id": "c",
        "code": concept(system, value),
        "recordedDate": "2026-01-01",
    }
    patient, provenance = from_fhir(bundle(cleared, found))
    assert patient["red_flags"][flag.split(".")[1]] is True
    assert provenance[flag] == "Condition/c"
    patient, _ = from_fhir(bundle(observation("o", system, value, valueBoolean=False)))
    assert flag.split(".")[1] not in patient.get("red_flags", {})  # a finding of "no" never clears


def test_a_resolved_or_refuted_condition_is_no_finding() -> None:
    resolved = condition(
        "c",
        "386661006",
        None,
        clinicalStatus=concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
    )
    refuted = condition("d", "386661006", "refuted")
    patient, _ = from_fhir(bundle(resolved, refuted))
    assert "red_flags" not in patient


def test_the_latest_answer_wins_and_one_after_as_of_is_left_out() -> None:
    early = response("a", {"symptoms.back_pain": [{"valueInteger": 2}]}, authored="2026-11-19T08:00:00Z")
    late = response("b", {"symptoms.back_pain": [{"valueInteger": 7}]}, authored="2026-11-20T08:00:00Z")
    future = response("c", {"symptoms.back_pain": [{"valueInteger": 9}]}, authored="2026-11-22T08:00:00Z")
    patient, provenance = from_fhir(bundle(future, late, early))
    assert patient["symptoms"]["back_pain"] == 7
    assert provenance["symptoms.back_pain"] == "QuestionnaireResponse/b"
    patient, _ = from_fhir(bundle(future, late, early), as_of="2026-11-19T12:00:00Z")
    assert patient["symptoms"]["back_pain"] == 2


def test_a_later_unanswered_screen_item_leaves_the_flag_unknown() -> None:
    early = response("a", {"red_flags.fever": [{"valueBoolean": False}]}, authored="2026-11-19T08:00:00Z")
    late = response("b", {"red_flags.fever": []}, authored="2026-11-20T08:00:00Z")
    patient, _ = from_fhir(bundle(early, late))
    assert patient["red_flags"]["fever"] is None
    assert patient["red_flags"]["screened_at"] == "2026-11-20T08:00:00Z"


def test_sessions_come_from_procedures_with_their_observations_and_answers() -> None:
    code = {"coding": [{"system": SNOMED, "code": "229065009"}, {"system": EXERCISE, "code": "glute_bridge"}]}
    done = {
        "resourceType": "Procedure",
        "id": "s1",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "code": code,
        "performedDateTime": "2026-11-19T08:00:00+01:00",
    }
    skipped = {**done, "id": "s2", "status": "not-done", "performedDateTime": "2026-11-20T08:00:00Z"}
    pain = observation(
        "pd",
        LOINC,
        "72514-3",
        valueInteger=3,
        bodySite=concept(SNOMED, BACK),
        partOf=[{"reference": "Procedure/s1"}],
        extension=[{"url": PHASE, "valueCode": "during"}],
    )
    said = response(
        "sq",
        {"sessions.completed": [{"valueBoolean": True}], "sessions.reps": [{"valueInteger": 10}]},
        partOf=[{"reference": "Procedure/s1"}],
    )
    patient, provenance = from_fhir(bundle(done, skipped, pain, said))
    assert patient["sessions"] == [
        {
            "exercise": "glute_bridge",
            "at": "2026-11-19T07:00:00Z",
            "pain_during": 3,
            "completed": True,
            "reps": 10,
        }
    ]
    assert provenance["sessions[0].pain_during"] == "Observation/pd"
    assert provenance["sessions[0].reps"] == "QuestionnaireResponse/sq"
    assert "symptoms" not in patient  # a session's pain is no symptom of today
    no_offset = {**done, "performedDateTime": "2026-11-19T08:00:00"}
    with pytest.raises(clinrules.PatientDataError):
        from_fhir(bundle(no_offset))


def _ehr_bundle(seed: int, count: int) -> dict[str, Any]:
    rng = random.Random(seed)
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "p", "birthDate": "1970-05-06", "gender": "female"}
    ]
    for index in range(count):
        day = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        choice = rng.choice(["enc", "med", "imm", "hr", "bp", "weight", "height"])
        ident = f"{choice}{index}"
        ref = {"reference": "Patient/p"}
        if choice == "enc":
            resources.append(
                {
                    "resourceType": "Encounter",
                    "id": ident,
                    "status": "finished",
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                    "subject": ref,
                    "period": {"start": day},
                }
            )
        elif choice == "med":
            resources.append(
                {
                    "resourceType": "MedicationRequest",
                    "id": ident,
                    "status": "active",
                    "intent": "order",
                    "subject": ref,
                    "medicationCodeableConcept": concept(
                        "http://www.nlm.nih.gov/research/umls/rxnorm", str(rng.randint(1000, 9999))
                    ),
                    "authoredOn": day,
                }
            )
        elif choice == "imm":
            resources.append(
                {
                    "resourceType": "Immunization",
                    "id": ident,
                    "status": "completed",
                    "patient": ref,
                    "vaccineCode": concept("http://hl7.org/fhir/sid/cvx", "140"),
                    "occurrenceDateTime": day,
                }
            )
        elif choice == "hr":
            resources.append(
                observation(
                    ident,
                    LOINC,
                    "8867-4",
                    effectiveDateTime=day,
                    valueQuantity={"value": rng.randint(50, 100), "unit": "/min", "code": "/min"},
                )
            )
        elif choice == "bp":
            parts = [
                {
                    "code": concept(LOINC, c),
                    "valueQuantity": {"value": rng.randint(60, 150), "code": "mm[Hg]"},
                }
                for c in ("8480-6", "8462-4")
            ]
            resources.append(observation(ident, LOINC, "85354-9", effectiveDateTime=day, component=parts))
        elif choice == "weight":
            resources.append(
                observation(
                    ident,
                    LOINC,
                    "29463-7",
                    effectiveDateTime=day,
                    valueQuantity={"value": round(rng.uniform(60, 90), 1), "unit": "kg", "code": "kg"},
                )
            )
        else:
            resources.append(
                observation(
                    ident,
                    LOINC,
                    "8302-2",
                    effectiveDateTime=day,
                    valueQuantity={"value": rng.randint(150, 190), "code": "cm"},
                )
            )
    return bundle(*resources)


def test_a_realistic_ehr_bundle_maps_age_and_weight_and_leaves_the_rest_unknown(ruleset) -> None:
    ehr = _ehr_bundle(seed=18, count=400)
    patient, provenance = from_fhir(ehr)
    weights = [
        e["resource"]
        for e in ehr["entry"]
        if e["resource"]["code" if "code" in e["resource"] else "id"] == concept(LOINC, "29463-7")
    ]
    latest = max(weights, key=lambda r: r["effectiveDateTime"])
    assert patient["age"] == 56
    assert patient["body_mass"] == latest["valueQuantity"]["value"]
    assert set(patient) == {"as_of", "age", "body_mass"}
    assert set(provenance) == {"age", "body_mass"}
    assert ruleset.evaluate(patient).triage == "check"


@given(
    flags=st.lists(st.sampled_from(RED_FLAGS), min_size=1, max_size=6),
    findings=st.lists(st.sampled_from(FINDINGS), max_size=4),
    how=st.sampled_from(["unanswered", "asked-unknown", "finding-no", "absent-reason"]),
)
def test_no_bundle_with_values_absent_gives_false_for_a_red_flag(flags, findings, how) -> None:
    resources: list[dict[str, Any]] = []
    silent = [] if how == "unanswered" else [{"valueCoding": {"system": ABSENT, "code": "asked-unknown"}}]
    resources.append(response("q", dict.fromkeys(flags, silent)))
    for index, (_, code) in enumerate(findings):
        system, value = code.split("|")
        more = (
            {"valueBoolean": False}
            if how == "finding-no"
            else {"dataAbsentReason": concept(ABSENT, "unknown")}
        )
        resources.append(observation(f"o{index}", system, value, **more))
    patient, _ = from_fhir(bundle(*resources))
    assert False not in patient.get("red_flags", {}).values()


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_eval_fhir_gives_the_decision_and_explain_the_provenance() -> None:
    code, out, _ = _run(
        [
            "eval",
            str(RULESET),
            str(HERE / "saddle_numbness.json"),
            "--fhir",
            "--allow-draft",
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert json.loads(out)["triage"] == "urgent"
    code, out, _ = _run(
        ["eval", str(RULESET), str(HERE / "saddle_numbness.json"), "--fhir", "--allow-draft", "--explain"]
    )
    assert code == 0
    assert "red_flags.saddle_anaesthesia: QuestionnaireResponse/answers" in out


def test_cli_eval_fhir_bad_data_exits_3_naming_the_path(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle({"resourceType": "FooType", "id": "x"})))
    code, _, err = _run(["eval", str(RULESET), str(bad), "--fhir", "--allow-draft"])
    assert code == 3
    assert "Bundle.entry[0].resource (FooType/x).resourceType" in err


def test_cli_eval_fhir_without_the_extra_exits_2_with_the_install_hint(monkeypatch) -> None:
    for name in [n for n in sys.modules if n == "fhir" or n.startswith(("fhir.", "clinrules.fhir"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "fhir", None)
    code, _, err = _run(["eval", str(RULESET), str(HERE / "saddle_numbness.json"), "--fhir", "--allow-draft"])
    assert code == 2
    assert "pip install 'clinrules[fhir]'" in err
    assert "Traceback" not in err
