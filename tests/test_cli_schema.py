"""`clinrules schema patient|decision`: JSON Schema from the models themselves."""

from __future__ import annotations

import io
import json

from clinrules.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_the_decision_schema_names_every_key_of_the_contract() -> None:
    code, out, _ = run("schema", "decision")
    assert code == 0
    schema = json.loads(out)
    assert set(schema["properties"]) == {
        "ruleset",
        "as_of",
        "recheck_at",
        "triage",
        "care",
        "red_flags",
        "missing",
        "questions",
        "say",
        "notes",
        "cite",
        "safety_net",
        "exercises",
        "scores",
        "assessments",
        "warnings",
        "trace",
    }
    assert schema["$defs"]["Question"]["required"] == ["field", "ask", "answered_by"]
    assert schema["$defs"]["DataWarning"]["required"] == ["path", "reason"]
    assert schema["$defs"]["ScoreRange"]["required"] == ["low", "high"]
    result = ["value", "possible", "because", "missing", "say", "notes", "cite"]
    assert schema["$defs"]["AssessmentResult"]["required"] == result
    verdicts = schema["$defs"]["Verdict"]["enum"]
    assert verdicts == ["urgent", "stop", "avoid", "check", "regress", "modify", "allow", "progress"]


def test_the_patient_schema_of_the_sciatica_model() -> None:
    code, out, _ = run("schema", "patient")
    assert code == 0
    schema = json.loads(out)
    assert {"age", "symptoms", "red_flags", "exam", "sessions", "as_of"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    assert json.loads(run("schema", "patient", "--model", "sciatica")[1]) == schema


def test_an_unknown_model_or_kind_is_a_usage_error() -> None:
    code, _, err = run("schema", "patient", "--model", "nope")
    assert code == 2
    # Other models a user has installed are listed too: the built-in one must be among them.
    assert "sciatica" in err.split("the models are: ", 1)[1].strip().split(", ")
    assert run("schema", "nothing")[0] == 2
