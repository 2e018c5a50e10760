"""`python -m clinrules` is the `clinrules` command (through a subprocess), and `eval --fhir --explain`'s sources."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinrules.cli.main import main
from tests.conftest import ROOT


def _module(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "clinrules", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "rulesets/sciatica/glute_bridge.rules"],
        ["check", "rulesets/sciatica/absent.rules"],
        [
            "eval",
            "rulesets/sciatica/glute_bridge.rules",
            "tests/fhir/saddle_numbness.json",
            "--fhir",
            "--allow-draft",
        ],
        ["no-such-command"],
    ],
)
def test_python_m_clinrules_is_the_clinrules_command(argv: list[str]) -> None:
    ran = _module(*argv)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code = main(argv, out, err)
    except SystemExit as exit_:  # argparse's own exit for an unknown command
        code = int(exit_.code or 0)
    finally:
        os.chdir(cwd)
    assert ran.returncode == code
    assert ran.stdout == out.getvalue()
    assert "Traceback" not in ran.stderr


def test_python_m_clinrules_names_itself_clinrules() -> None:
    ran = _module("--help")
    assert ran.returncode == 0
    assert ran.stdout.startswith("usage: clinrules ")


# ------------------------------------------------ eval --fhir --explain: where as_of and each field came from

RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
SADDLE = ROOT / "tests" / "fhir" / "saddle_numbness.json"


def _explain(bundle: Path, *extra: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["eval", str(RULESET), str(bundle), "--fhir", "--allow-draft", "--explain", *extra], out, err)
        == 0
    )
    return out.getvalue()


def _section(text: str, heading: str) -> list[str]:
    lines = text.split(heading, 1)[1].splitlines()[1:]
    return [line.strip() for line in lines[: lines.index("") if "" in lines else None]]


def test_explain_says_as_of_came_from_the_bundle_timestamp_or_the_option() -> None:
    assert "as_of 2026-11-21T08:00:00Z: from the Bundle's timestamp" in _explain(SADDLE)
    assert "as_of 2026-11-21T09:00:00Z: from --as-of" in _explain(SADDLE, "--as-of", "2026-11-21T09:00:00Z")


def test_explain_says_as_of_came_from_the_clock_without_a_bundle_timestamp(tmp_path: Path) -> None:
    bundle = json.loads(SADDLE.read_text(encoding="utf-8"))
    del bundle["timestamp"]
    path = tmp_path / "no_timestamp.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    text = _explain(path)
    line = next(line for line in text.splitlines() if line.startswith("as_of "))
    assert line.endswith("from the clock (no --as-of, and the Bundle has no timestamp)")


def test_explain_lists_the_sources_of_the_fields_the_decision_read_and_names_the_rest() -> None:
    text = _explain(SADDLE)
    read = {
        line.split(": ", 1)[0] for line in _section(text, "Where the FHIR data the decision read came from:")
    }
    traced = {
        line.split()[1].split(" (")[0]
        for line in text.split("Trace:", 1)[1].splitlines()
        if line.strip().startswith(("read ", "missing "))
    }
    assert "red_flags.saddle_anaesthesia" in read
    assert read <= traced
    unread = text.split("Imported but not read by this decision: ", 1)[1].splitlines()[0].split(", ")
    assert unread
    assert not set(unread) & traced
    assert not set(unread) & read
