"""Evaluation through the API: inputs, determinism, order independence, threads, safety of codegen."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.models.sciatica import Patient
from tests.conftest import ROOT
from tests.support.models import Athlete

EXAMPLE = ROOT / "examples" / "language" / "glute_bridge.rules"
PATIENTS = sorted((ROOT / "examples" / "patients").glob("*.json"))
AS_OF = "2026-11-21T08:00:00Z"


@pytest.fixture(scope="module")
def ruleset() -> clinrules.RuleSet:
    return clinrules.load(EXAMPLE, allow_draft=True)


def patient(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "patients" / f"{name}.json").read_text())
    return data


def dumped(decision: clinrules.Decision) -> str:
    return json.dumps(decision.model_dump(mode="json"), sort_keys=False)


def test_the_example_patients(ruleset: clinrules.RuleSet) -> None:
    assert ruleset.evaluate(patient("clear")).triage is clinrules.Triage.CLEAR
    progressing = ruleset.evaluate(patient("progressing"))
    assert progressing.exercises["bridge_partial"].verdict is clinrules.Verdict.PROGRESS
    assert progressing.exercises["bridge_partial"].progress_to == "glute_bridge"
    urgent = ruleset.evaluate(patient("red_flag"))
    assert urgent.triage is clinrules.Triage.URGENT
    assert {e.verdict for e in urgent.exercises.values()} == {clinrules.Verdict.URGENT}
    assert ruleset.evaluate(patient("unanswered")).triage is clinrules.Triage.CHECK


def test_a_model_instance_and_a_dict_give_the_same_decision(ruleset: clinrules.RuleSet) -> None:
    data = patient("progressing")
    assert dumped(ruleset.evaluate(Patient.model_validate(data))) == dumped(ruleset.evaluate(data))


def test_the_evaluation_time_comes_from_the_argument_then_the_model_then_the_clock(
    ruleset: clinrules.RuleSet,
) -> None:
    data = patient("clear")
    assert ruleset.evaluate(data).as_of == dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
    later = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)
    decision = ruleset.evaluate(data, as_of=later)
    assert decision.as_of == later
    assert decision.exercises["walking"].verdict is clinrules.Verdict.CHECK  # the screen is now stale
    del data["as_of"]
    before = dt.datetime.now(dt.UTC)
    assert before <= ruleset.evaluate(data).as_of <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("state", "as_of", "path"),
    [
        ({"age": 200}, None, "age"),
        (
            {"sessions": [{"exercise": "x", "at": "2026-11-20T10:00:00Z", "pain_during": 11}]},
            None,
            "sessions[0].pain_during",
        ),
        ({"red_flags": {"fevr": True}}, None, "red_flags.fevr"),
        ({}, dt.datetime(2026, 11, 21, 8), "as_of"),  # no offset
        ({}, "yesterday", "as_of"),
        ("not a patient", None, ""),
        ([1, 2], None, ""),
    ],
)
def test_bad_data_is_a_patient_data_error_naming_the_field(
    ruleset: clinrules.RuleSet, state: object, as_of: object, path: str
) -> None:
    with pytest.raises(clinrules.PatientDataError) as raised:
        ruleset.evaluate(state, as_of=as_of)  # type: ignore[arg-type]
    assert path in [p for p, _ in raised.value.problems]
    assert str(raised.value).startswith("the patient data is not valid")


def test_the_reason_for_a_bad_value_is_in_words(ruleset: clinrules.RuleSet) -> None:
    with pytest.raises(clinrules.PatientDataError) as raised:
        ruleset.evaluate(
            {"sessions": [{"exercise": "walking", "at": "2026-11-20T10:00:00Z", "pain_during": 11}]}
        )
    assert raised.value.problems == (("sessions[0].pain_during", "must be less than or equal to 10, got 11"),)


@pytest.mark.parametrize(
    ("parameters", "fragment"),
    [
        ({"pain_cieling": 3}, "unknown parameter 'pain_cieling'"),
        ({"pain_ceiling": 6}, "between 2 and 5"),
        ({"pain_ceiling": 2.5}, "whole number"),
        ({"pain_ceiling": "3"}, "must be a number"),
        ({"pain_ceiling": True}, "must be a number"),
        ({"pain_ceiling": float("nan")}, "must be a number"),
    ],
)
def test_parameters_are_checked(
    ruleset: clinrules.RuleSet, parameters: dict[str, object], fragment: str
) -> None:
    with pytest.raises(clinrules.ParameterError, match=fragment):
        ruleset.evaluate(patient("clear"), parameters=parameters)


def test_a_parameter_changes_the_decision(ruleset: clinrules.RuleSet) -> None:
    data = patient("progressing")
    data["sessions"][-1]["pain_during"] = 3
    assert ruleset.evaluate(data).exercises["bridge_partial"].verdict is clinrules.Verdict.MODIFY
    relaxed = ruleset.evaluate(data, parameters={"pain_ceiling": 3}).exercises["bridge_partial"]
    assert relaxed.verdict is clinrules.Verdict.ALLOW


def test_an_unknown_exercise_is_a_clear_error(ruleset: clinrules.RuleSet) -> None:
    with pytest.raises(clinrules.ExerciseError, match="unknown exercise 'glute_brige'"):
        ruleset.evaluate(patient("clear"), exercises=["glute_brige"])
    assert list(ruleset.evaluate(patient("clear"), exercises="walking").exercises) == ["walking"]


def test_two_sessions_of_one_exercise_at_one_time_are_refused_for_any_model() -> None:
    rs = clinrules.compile(
        'ruleset a version 1.0.0 status draft\nexercise run "Run"\nrule r for run: avoid if the last session had painful\n'
        "otherwise allow\n",
        model=Athlete,
        allow_draft=True,
    )
    session = {"exercise": "run", "at": "2026-11-20T10:00:00Z"}
    with pytest.raises(clinrules.PatientDataError, match="a second session of 'run'"):
        rs.evaluate({"sessions": [session, session]}, as_of=AS_OF)


# ---------------------------------------------------------------- determinism


def _shuffled_ruleset(seed: int) -> str:
    """The example with its library inlined and its declarations in another order."""
    text = EXAMPLE.read_text()
    library = (ROOT / "examples" / "language" / "red_flags.rules").read_text().split("model sciatica\n", 1)[1]
    text = text.replace('include "red_flags.rules"', library)
    head, body = text.split("model sciatica\n", 1)
    blocks, current = [], ""
    for line in body.split("\n"):
        if line and not line[0].isspace() and not line.startswith("#") and current.strip():
            blocks.append(current)
            current = ""
        current += line + "\n"
    blocks.append(current)
    random.Random(seed).shuffle(blocks)
    return head + "model sciatica\n" + "".join(blocks)


def test_declaration_order_does_not_matter(ruleset: clinrules.RuleSet) -> None:
    reference = [dumped(ruleset.evaluate(patient(p.stem))) for p in PATIENTS]
    for seed in range(5):
        shuffled = clinrules.compile(_shuffled_ruleset(seed), allow_draft=True)
        for p, expected in zip(PATIENTS, reference, strict=True):
            got = json.loads(dumped(shuffled.evaluate(patient(p.stem))))
            want = json.loads(expected)
            got["ruleset"].pop("sha256"), want["ruleset"].pop("sha256")
            assert got == want, (seed, p.stem)
            assert json.dumps(got) == json.dumps(want)


def test_session_order_does_not_matter(ruleset: clinrules.RuleSet) -> None:
    data = patient("progressing")
    reference = dumped(ruleset.evaluate(data, explain=True))
    for seed in range(5):
        random.Random(seed).shuffle(data["sessions"])
        assert dumped(ruleset.evaluate(data, explain=True)) == reference


def test_decisions_are_byte_identical_across_processes_with_different_hash_seeds() -> None:
    script = (
        "import json, sys, clinrules\n"
        f"rs = clinrules.load({str(EXAMPLE)!r}, allow_draft=True)\n"
        "for name in sys.argv[1:]:\n"
        "    d = rs.evaluate(json.load(open(name)), explain=True)\n"
        "    print(json.dumps(d.model_dump(mode='json')))\n"
    )
    outputs = []
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, *map(str, PATIENTS)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0].splitlines()) == len(PATIENTS)


def test_eight_threads_on_one_ruleset_get_identical_decisions(ruleset: clinrules.RuleSet) -> None:
    inputs = [patient(p.stem) for p in PATIENTS] * 25
    expected = [dumped(ruleset.evaluate(p)) for p in inputs]
    results: list[list[str]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = [dumped(ruleset.evaluate(p)) for p in inputs]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == expected for r in results)


def test_evaluate_many_streams(ruleset: clinrules.RuleSet) -> None:
    def patients() -> Any:
        for p in PATIENTS:
            yield patient(p.stem)

    stream = ruleset.evaluate_many(patients())
    first = next(stream)
    assert first.triage is clinrules.Triage.CLEAR
    assert len([first, *stream]) == len(PATIENTS)


# ---------------------------------------------------------------- the generated code


HOSTILE = """ruleset hostile version 1.0.0 status draft model sciatica
source s "'); import os; os.system('echo pwned') #" publisher "\\\\\\" + __import__('os').getcwd() + \\""
exercise __import__ "\\"; raise SystemExit; \\"" tagged __class__
exercise eval "x" tagged __builtins__
define "__import__('os').system('x')": fever or "'; raise SystemExit"
define "'; raise SystemExit": acute_flare
rule exec for __import__, eval: avoid if "__import__('os').system('x')"
  say "\\"); __import__('os').system('echo pwned') #"
  cite s
otherwise allow
"""


def test_hostile_names_and_texts_never_become_code(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    rs = clinrules.compile(HOSTILE, allow_draft=True)
    decision = rs.evaluate({"symptoms": {"acute_flare": True}, "red_flags": {"fever": False}}, as_of=AS_OF)
    assert decision.exercises["__import__"].verdict is clinrules.Verdict.AVOID
    assert decision.exercises["eval"].say == ["\"); __import__('os').system('echo pwned') #"]
    assert "pwned" not in capfd.readouterr().out
    source = rs._evaluator.compiled.source
    for text in ("__import__", "system", "SystemExit", "pwned", "eval", "exec", "hostile"):
        assert text not in source
