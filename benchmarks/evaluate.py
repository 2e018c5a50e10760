"""Section 2: end-to-end `RuleSet.evaluate()` on realistic sciatica patients, beside pydantic validation alone.

The ruleset is the language example (`RULESET`; the shipped sciatica ruleset
replaces it later). Patients are JSON dicts with sessions of every exercise
(`benchmarks.patients`). Timed per patient: `evaluate(dict)` (validation,
rules and the Decision), `Patient.model_validate(dict)` alone, and, to show
where the rest goes, `outcomes(instance)` (the rules alone) on the same
patients validated beforehand.
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import clinrules
from benchmarks.patients import Patients
from benchmarks.timing import Row, at_most, per_item_ns, scaled, us
from clinrules.models.sciatica import Patient

SECTION = "2. evaluate() end to end"
ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "examples" / "language" / "glute_bridge.rules"
SEED = 7


def run() -> tuple[list[Row], dict[str, Any]]:
    count = scaled(2_000, 200)
    rs = clinrules.load(RULESET, allow_draft=True)
    patients = list(Patients(SEED, rs.exercises).many(count))
    instances = [Patient.model_validate(p) for p in patients]

    triage = collections.Counter(rs.evaluate(p).triage.value for p in patients)
    evaluate = per_item_ns(rs.evaluate, patients)
    validate = per_item_ns(Patient.model_validate, patients)
    outcomes = per_item_ns(rs.outcomes, instances)

    s = SECTION
    rows = [
        Row(s, f"evaluate(dict), {count:,} patients", us(evaluate), "us/patient"),
        Row(s, "Patient.model_validate(dict) alone", us(validate), "us/patient"),
        Row(s, "outcomes(instance): the rules alone", us(outcomes), "us/patient"),
        at_most(s, "evaluate / validation", evaluate / validate, 5),
    ]
    details = {
        "ruleset": str(RULESET.relative_to(ROOT)),
        "patients": count,
        "exercises": len(rs.exercises),
        "sessions_per_patient": sum(len(p["sessions"]) for p in patients) / count,
        "triage": dict(sorted(triage.items())),
    }
    return rows, details
