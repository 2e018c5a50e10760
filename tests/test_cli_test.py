"""`clinrules test` through `main(argv, out, err)`: results, failures, coverage, exit codes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from clinrules.cli import main
from tests.conftest import ROOT

LANGUAGE = ROOT / "examples" / "language"
PATIENTS = ROOT / "examples" / "patients"

PASSING = """\
ruleset: glute_bridge.rules
cases:
  - name: red flag overrides a perfect progression
    patient_file: patients/red_flag.json
    exercises: [glute_bridge]
    expect:
      triage: urgent
      exercises: {glute_bridge: {verdict: urgent}}
  - name: ready to move up
    patient_file: patients/progressing.json
    expect:
      triage: clear
      exercises: {bridge_partial: {verdict: progress, progress_to: glute_bridge}}
"""

FAILING = """\
ruleset: glute_bridge.rules
cases:
  - name: the bridge is allowed
    patient_file: patients/progressing.json
    expect:
      exercises: {glute_bridge: {verdict: modify}}
"""

SMALL = """\
ruleset small
  version 1.0.0
  status review
  model sciatica
exercise walking "Walking"
rule answered for walking:
  check if age is unknown
otherwise allow
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The language example and its patients, copied where case files can sit beside them."""
    for name in ("glute_bridge.rules", "red_flags.rules"):
        shutil.copy(LANGUAGE / name, tmp_path / name)
    shutil.copytree(PATIENTS, tmp_path / "patients")
    return tmp_path


def test_passing_cases_exit_0_and_end_with_the_summary(project: Path) -> None:
    (project / "glute_bridge.cases.yaml").write_text(PASSING, encoding="utf-8")
    code, out, err = run("test", str(project))
    assert code == 0, err
    assert err == ""
    assert "FAIL" not in out
    assert out.splitlines()[-1].startswith("2 cases: 2 passed, 0 failed; coverage ")
    assert f"coverage of {project / 'glute_bridge.rules'}:" in out


def test_a_failing_case_shows_the_difference_and_the_trace(project: Path) -> None:
    path = project / "glute_bridge.cases.yaml"
    path.write_text(FAILING, encoding="utf-8")
    code, out, _ = run("test", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"FAIL {path}:3: case 1 ('the bridge is allowed')"
    assert lines[1] == "  exercises.glute_bridge.verdict: expected 'modify', got 'allow'"
    assert lines[2] == "  trace:"
    assert any(line.startswith("    red_flag cauda_equina: not_fired") for line in lines)
    assert any(line.startswith("    rule local_pain for glute_bridge: not_fired") for line in lines)
    assert not any("for walking" in line for line in lines)  # only the exercise that differs
    assert lines[-1].startswith("1 case: 0 passed, 1 failed")


def test_the_coverage_table_marks_each_outcome(tmp_path: Path) -> None:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    (tmp_path / "small.cases.yaml").write_text(
        "ruleset: small.rules\ncases:\n  - {name: a, patient: {age: 30}, expect: {exercises: {walking: {verdict: allow}}}}\n",
        encoding="utf-8",
    )
    code, out, _ = run("test", str(tmp_path))
    assert code == 0
    assert "coverage of " in out
    assert "1 of 2 outcomes (50%)" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("answered"))
    assert row.split() == ["answered", "rule", "-", "✓", "n/a"]
    assert out.splitlines()[-1] == "1 case: 1 passed, 0 failed; coverage 50%"


def test_min_coverage_fails_and_lists_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    (tmp_path / "small.cases.yaml").write_text(
        "ruleset: small.rules\ncases:\n  - {name: a, patient: {age: 30}, expect: {triage: clear}}\n",
        encoding="utf-8",
    )
    code, out, _ = run("test", str(tmp_path), "--min-coverage", "80")
    assert code == 1
    assert "coverage 50% is below --min-coverage 80%; not reached:" in out
    assert "rule answered: fired" in out
    assert out.splitlines()[-1] == "1 case: 1 passed, 0 failed; coverage 50% (too low)"
    code, _, _ = run("test", str(tmp_path), "--min-coverage", "50")
    assert code == 0


def test_a_bad_case_file_is_reported_on_stderr_and_the_others_still_run(project: Path) -> None:
    (project / "a.cases.yaml").write_text(PASSING, encoding="utf-8")
    (project / "b.cases.yaml").write_text(PASSING.replace("expect:", "expected:", 1), encoding="utf-8")
    code, out, err = run("test", str(project))
    assert code == 1
    assert "case 1 ('red flag overrides a perfect progression'): 'expected' is not a key of a case" in err
    assert out.splitlines()[-1].startswith("2 cases: 2 passed, 0 failed; 1 case file could not be run")


def test_a_ruleset_with_errors_is_shown_as_check_shows_it(project: Path) -> None:
    text = (project / "glute_bridge.rules").read_text(encoding="utf-8")
    (project / "glute_bridge.rules").write_text(
        text.replace("radiating_pain >=", "radiating_pian >="), encoding="utf-8"
    )
    (project / "glute_bridge.cases.yaml").write_text(PASSING, encoding="utf-8")
    code, out, err = run("test", str(project / "glute_bridge.cases.yaml"))
    assert code == 1
    assert "CR201 unknown field 'radiating_pian'" in err
    assert "hint: did you mean 'radiating_pain'?" in err
    assert "not run: the ruleset" in err
    assert "0 passed, 0 failed" in out.splitlines()[-1]


def test_a_missing_ruleset_is_a_case_file_error(tmp_path: Path) -> None:
    path = tmp_path / "x.cases.yaml"
    path.write_text(
        "ruleset: nowhere.rules\ncases:\n  - {name: a, patient: {}, expect: {triage: clear}}\n",
        encoding="utf-8",
    )
    code, _, err = run("test", str(path))
    assert code == 1
    assert "'ruleset': cannot read" in err
    assert "nowhere.rules" in err


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.cases.yaml"
    path.write_text("ruleset: a.rules\ncases:\n  - name: 'open\n", encoding="utf-8")
    code, _, err = run("test", str(path))
    assert code == 1
    assert f"{path}:4:1: not valid YAML" in err


def test_a_retired_ruleset_can_still_be_tested(project: Path) -> None:
    text = (project / "glute_bridge.rules").read_text(encoding="utf-8")
    (project / "glute_bridge.rules").write_text(
        text.replace("status draft", "status retired"), encoding="utf-8"
    )
    (project / "glute_bridge.cases.yaml").write_text(PASSING, encoding="utf-8")
    code, _, err = run("test", str(project))
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["test", "no/such/path"], "cannot read 'no/such/path': no such file or directory"),
        (["test", "--min-coverage", "120", "x"], "'120' is not between 0 and 100"),
        (["test", "--min-coverage", "lots", "x"], "'lots' is not a percentage"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert message in err


def test_a_directory_without_case_files_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("test", str(tmp_path))
    assert code == 2
    assert "no *.cases.yaml files under" in err


REFUSED = """\
ruleset: small.rules
cases:
  - name: a misspelt session exercise is refused, never ignored
    patient: {age: 30, sessions: [{exercise: walkng, at: "2026-11-20T18:00:00Z"}]}
    as_of: "2026-11-21T08:00:00Z"
    expect:
      refused: [{path}]
"""


@pytest.mark.parametrize(
    ("path", "code", "shown"),
    [
        ('"sessions[0].exercise"', 0, "1 passed, 0 failed"),
        (
            '"sessions[1].exercise"',
            1,
            'refused: expected ["sessions[1].exercise"], got ["sessions[0].exercise"]',
        ),
    ],
)
def test_a_case_can_expect_the_data_to_be_refused_at_its_paths(
    tmp_path: Path, path: str, code: int, shown: str
) -> None:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    (tmp_path / "small.cases.yaml").write_text(REFUSED.replace("{path}", path), encoding="utf-8")
    got, out, err = run("test", str(tmp_path / "small.cases.yaml"))
    assert got == code, out + err
    assert shown in out + err


def test_a_case_that_expects_a_refusal_fails_when_the_data_is_used(tmp_path: Path) -> None:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    good = REFUSED.replace("walkng", "walking").replace("{path}", '"sessions[0].exercise"')
    (tmp_path / "small.cases.yaml").write_text(good, encoding="utf-8")
    code, out, err = run("test", str(tmp_path / "small.cases.yaml"))
    assert code == 1
    assert "the data was not refused" in out + err


def test_refused_stands_alone_in_expect(tmp_path: Path) -> None:
    (tmp_path / "small.rules").write_text(SMALL, encoding="utf-8")
    mixed = REFUSED.replace("{path}", '"sessions[0].exercise"') + "      triage: clear\n"
    (tmp_path / "small.cases.yaml").write_text(mixed, encoding="utf-8")
    code, _, err = run("test", str(tmp_path / "small.cases.yaml"))
    assert code != 0
    assert "'expect.refused' stands alone" in err
