"""`clinrules eval` through `main(argv, out, err, stdin)`: formats, options, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from clinrules.cli import main
from clinrules.decision.result import DISCLAIMER
from tests.conftest import ROOT

RULESET = str(ROOT / "examples" / "language" / "glute_bridge.rules")
PATIENTS = ROOT / "examples" / "patients"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err, io.StringIO(stdin))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def test_text_output_reads_triage_first_and_ends_with_the_disclaimer() -> None:
    code, out, err = run("eval", RULESET, str(PATIENTS / "progressing.json"), "--allow-draft")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[2].startswith("Triage: CLEAR")
    assert "bridge_partial: PROGRESS, ready to move up to glute_bridge" in out
    assert "  dose: reps 5 to 7, 3 to 5 times a day, range 2 to 3 inches" in out
    assert lines[-1] == DISCLAIMER


def test_json_output_is_the_decision_alone() -> None:
    code, out, _ = run("eval", RULESET, str(PATIENTS / "red_flag.json"), "--allow-draft", "--format", "json")
    assert code == 0
    decision = json.loads(out)
    assert decision["triage"] == "urgent"
    assert decision["care"] == "emergency"
    assert "trace" not in decision


def test_explain_adds_the_trace_with_values_and_spans() -> None:
    code, out, _ = run(
        "eval",
        RULESET,
        str(PATIENTS / "unanswered.json"),
        "--allow-draft",
        "--format",
        "json",
        "--explain",
        "--exercise",
        "walking",
    )
    assert code == 0
    trace = json.loads(out)["trace"]
    flag = next(e for e in trace if e["id"] == "cauda_equina")
    assert flag["outcome"] == "unknown"
    assert flag["missed"] == ["red_flags.saddle_anaesthesia"]
    assert flag["values"]["red_flags.urinary_retention"] is False
    assert flag["where"]["file"].endswith("red_flags.rules")
    assert {e["exercise"] for e in trace if e["kind"] == "rule"} == {"walking"}
    code, text, _ = run("eval", RULESET, str(PATIENTS / "unanswered.json"), "--allow-draft", "--explain")
    assert "Trace:" in text
    assert "red_flag cauda_equina: unknown" in text


def test_patient_from_stdin_with_options() -> None:
    data = (PATIENTS / "progressing.json").read_text()
    code, out, _ = run(
        "eval",
        RULESET,
        "-",
        "--allow-draft",
        "--format",
        "json",
        "--exercise",
        "bridge_partial",
        "--set",
        "pain_ceiling=3",
        "--as-of",
        "2026-11-21T09:00:00+01:00",
        stdin=data,
    )
    assert code == 0
    decision = json.loads(out)
    assert list(decision["exercises"]) == ["bridge_partial"]
    assert decision["as_of"] == "2026-11-21T08:00:00Z"


def test_a_draft_needs_allow_draft() -> None:
    code, out, err = run("eval", RULESET, str(PATIENTS / "clear.json"))
    assert code == 1
    assert out == ""
    assert " CR420 " in err
    assert "--allow-draft" in err


def test_a_ruleset_with_errors_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rules"
    bad.write_text("ruleset r version 1.0.0 status draft model sciatica\nrule a for b: stop if x\n")
    code, _, err = run("eval", str(bad), str(PATIENTS / "clear.json"), "--allow-draft")
    assert code == 1
    assert " CR207 " in err


@pytest.mark.parametrize(
    ("extra", "stdin", "fragment"),
    [
        (["--as-of", "tomorrow"], "", "not an ISO 8601 time"),
        (["--as-of", "2026-11-21T08:00:00"], "", "(no UTC offset)"),
        (["--set", "pain_ceiling"], "", "NAME=VALUE"),
        (["--set", "pain_ceiling=high"], "", "neither a number nor yes or no"),
        (["--exercise", "glute_brige"], "", "unknown exercise"),
        (["--format", "xml"], "", "invalid choice"),
    ],
)
def test_usage_errors_exit_2(extra: list[str], stdin: str, fragment: str) -> None:
    code, _, err = run("eval", RULESET, str(PATIENTS / "clear.json"), "--allow-draft", *extra, stdin=stdin)
    assert code == 2
    assert fragment in err


def test_missing_files_exit_2(tmp_path: Path) -> None:
    assert run("eval", str(tmp_path / "none.rules"), str(PATIENTS / "clear.json"))[0] == 2
    assert run("eval", RULESET, str(tmp_path / "none.json"), "--allow-draft")[0] == 2


@pytest.mark.parametrize(
    ("stdin", "argv", "fragment"),
    [
        ("", [], "no patient data"),
        ("{not json", [], "is not JSON"),
        ('{"age": 300}', [], "age: must be less than or equal to 120"),
        ('{"red_flags": {"fevr": true}}', [], "red_flags.fevr"),
        ("[" * 100000, [], "nested too deeply"),
        ("{}", ["--set", "pain_ceiling=9"], "between 2 and 5"),
        ("{}", ["--set", "nope=1"], "unknown parameter"),
    ],
)
def test_bad_patient_data_or_parameters_exit_3(stdin: str, argv: list[str], fragment: str) -> None:
    code, out, err = run("eval", RULESET, "-", "--allow-draft", *argv, stdin=stdin)
    assert code == 3
    assert out == ""
    assert fragment in err
