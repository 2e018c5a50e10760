"""What the batch tests share: records with ids (some bad), and the rows `evaluate_many` says they must give."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

import clinrules
from clinrules import PatientDataError, RuleSet
from tests.conftest import ROOT
from tests.strategies import sciatica_patients

RULESET_PATH = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
AS_OF = "2026-11-21T08:00:00Z"
EXERCISES = ("glute_bridge", "bridge_partial", "walking")


def ruleset() -> RuleSet:
    return clinrules.load(RULESET_PATH, allow_draft=True)


def _broken(patient: dict[str, Any], how: int) -> object:
    """A patient made bad in one of several ways the model refuses."""
    if how == 0:
        return {**patient, "age": -4}
    if how == 1:
        return {**patient, "symptoms": {**patient["symptoms"], "back_pain": 11}}
    if how == 2:
        return {**patient, "not_a_field": True}
    return {**patient, "sessions": [{"exercise": "glute_bridge"}]}


@st.composite
def records(draw: st.DrawFn, max_size: int = 12) -> list[dict[str, Any]]:
    """Records with unique ids, about one in four of them bad."""
    count = draw(st.integers(1, max_size))
    found = []
    for index in range(count):
        patient = draw(sciatica_patients(EXERCISES, max_sessions=3))
        if draw(st.integers(0, 3)) == 0:
            patient = _broken(patient, draw(st.integers(0, 3)))  # type: ignore[assignment]
        found.append({"id": f"r{index}", **patient})
    return found


def expected_row(
    rs: RuleSet, record: dict[str, Any], exercises: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """What `evaluate_many` says of one record, in the result columns that can be compared."""
    state = {k: v for k, v in record.items() if k != "id"}
    try:
        [decision] = list(rs.evaluate_many([state], exercises, as_of=AS_OF))
    except PatientDataError as error:
        problems = [(path.removeprefix("states[0]").removeprefix("."), why) for path, why in error.problems]
        return {"id": record["id"], "error": "; ".join(f"{p}: {w}" if p else w for p, w in problems)}
    shown = decision.model_dump(mode="json")
    return {
        "id": record["id"],
        "triage": shown["triage"],
        "care": shown["care"],
        "recheck_at": shown["recheck_at"],
        "verdicts": {name: e["verdict"] for name, e in shown["exercises"].items()},
        "missing": shown["missing"],
        "decision": shown,
        "error": None,
    }


def comparable(row: dict[str, Any]) -> dict[str, Any]:
    """A result row in the shape of `expected_row`."""
    if row["error"] is not None:
        return {"id": row["id"], "error": row["error"]}
    return {
        "id": row["id"],
        "triage": row["triage"],
        "care": row["care"],
        "recheck_at": row["recheck_at"],
        "verdicts": {k.removeprefix("verdict_"): v for k, v in row.items() if k.startswith("verdict_")},
        "missing": list(row["missing"]),
        "decision": json.loads(row["decision"]),
        "error": None,
    }
