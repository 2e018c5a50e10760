"""Hostile input never escapes as a foreign exception: any JSON document as a patient,
any command line. `CLINRULES_FUZZ=N` runs N examples of each instead of the profile's."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import clinrules
from clinrules.base.limits import MAX_SESSIONS
from clinrules.cli import main
from tests.conftest import ROOT

SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
FUZZ = int(os.environ.get("CLINRULES_FUZZ", "0"))
fuzz = settings(max_examples=FUZZ, suppress_health_check=list(HealthCheck)) if FUZZ else settings()
RULESET = clinrules.load(SHIPPED, allow_draft=True)

KEYS = [
    "age",
    "symptoms",
    "red_flags",
    "exam",
    "sessions",
    "as_of",
    "back_pain",
    "fever",
    "exercise",
    "at",
    "pain_during",
    "weakness",
    "radiating_pain",
    "screened_at",
    "x",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2026-11-21T08:00:00Z", "2026-11-21T08:00:00", "thigh", "positive"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)
    ),
    max_leaves=30,
)


@st.composite
def patient_documents(draw: st.DrawFn) -> Any:
    """Documents shaped like a patient, with wrong parts here and there."""
    if draw(st.booleans()):
        return draw(JSON)
    doc = json.loads((ROOT / "rulesets" / "sciatica" / "patients" / "16_one_delayed_flare.json").read_text())
    for _ in range(draw(st.integers(1, 3))):
        group = draw(st.sampled_from(["symptoms", "red_flags", "exam", "sessions", None]))
        target = doc if group is None else doc[group]
        if isinstance(target, list) and target:
            target = draw(st.sampled_from(target))
        key = draw(st.sampled_from([*target.keys(), "unknown_field"])) if isinstance(target, dict) else None
        if key is not None:
            target[key] = draw(JSON)
    return doc


@fuzz
@given(patient_documents())
def test_any_json_document_as_a_patient_raises_only_patient_data_error(document: Any) -> None:
    refusal: clinrules.PatientDataError | None = None
    try:
        decision = RULESET.evaluate(document, as_of="2026-11-21T08:00:00Z")
    except clinrules.PatientDataError as error:
        refusal = error
    if refusal is None:
        event(f"decided: {decision.triage.value}")
        return
    event("refused")
    assert refusal.problems
    for path, reason in refusal.problems:
        assert isinstance(path, str)
        assert reason


def test_too_many_sessions_are_refused() -> None:
    session = {"exercise": "walking", "at": "2026-11-20T08:00:00Z"}
    sessions = [
        {**session, "at": f"2026-11-{1 + i % 20:02d}T{i // 20 % 24:02d}:{i // 480:02d}:00Z"}
        for i in range(MAX_SESSIONS + 1)
    ]
    with pytest.raises(clinrules.PatientDataError, match="more than the limit"):
        RULESET.evaluate({"sessions": sessions}, as_of="2026-11-21T08:00:00Z")


ARGS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "check",
                "eval",
                "test",
                "doc",
                "--help",
                "--version",
                "--format",
                "json",
                "text",
                "--explain",
                "--allow-draft",
                "--exercise",
                "walking",
                "--set",
                "pain_ceiling=3",
                "pain_ceiling=9",
                "--as-of",
                "2026-11-21T08:00:00Z",
                "yesterday",
                "-o",
                "--min-coverage",
                "50",
                "-",
                "--bogus",
                str(SHIPPED),
                str(ROOT / "rulesets"),
                str(ROOT / "rulesets" / "sciatica" / "patients" / "02_saddle_numbness.json"),
                "/nonexistent/file.rules",
                str(ROOT / "README.md"),
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=7,
)


@fuzz
@given(argv=ARGS, stdin=st.sampled_from(["", "{}", "{not json", '{"age": 300}', "[]"]))
def test_any_command_line_exits_with_a_documented_code_and_no_traceback(
    argv: list[str], stdin: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out, err = io.StringIO(), io.StringIO()
    workdir = tmp_path_factory.mktemp("cli")
    argv = [str(workdir / "page.md") if a == "-o" else a for a in argv]  # never write into the checkout
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        code = main(argv, out, err, io.StringIO(stdin))
    finally:
        os.chdir(cwd)
    event(f"exit {code}")
    assert code in (0, 1, 2, 3, 130), (argv, code, err.getvalue())
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert "internal error" not in err.getvalue(), err.getvalue()


def test_an_include_cannot_leave_its_directory_tree(tmp_path: Path) -> None:
    (tmp_path / "secret.rules").write_text("library s version 1.0.0 status draft model sciatica\n")
    (tmp_path / "rules").mkdir()
    main_file = tmp_path / "rules" / "main.rules"
    main_file.write_text(
        'ruleset r version 1.0.0 status draft model sciatica\ninclude "../secret.rules"\notherwise allow\n'
    )
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.load(main_file, allow_draft=True)
    assert [d.code for d in raised.value.diagnostics] == ["CR419"]
