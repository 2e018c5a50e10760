"""Case files as a library: reading and validating, comparing, running, and coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import clinrules
from clinrules.authoring import cases
from clinrules.authoring.cases import CaseFileError, Coverage, compare, read_case_file, run_case
from clinrules.base.errors import RulesetError
from tests.conftest import ROOT

LANGUAGE = ROOT / "examples" / "language"
PATIENTS = ROOT / "examples" / "patients"

RULES = """\
ruleset small
  version 1.0.0
  status draft
  model sciatica

red flag saddle "Saddle anaesthesia": urgent if saddle_anaesthesia
  care emergency

exercise glute_bridge "Glute bridge" tagged strengthening
exercise walking "Walking" tagged aerobic

parameter pain_ceiling = 2 between 2 and 5

rule answered for walking:
  check if age is unknown

rule sore for glute_bridge:
  modify if the last session had pain_during > pain_ceiling
  dose reps 5

otherwise allow
"""


def write(tmp_path: Path, text: str, name: str = "small.cases.yaml", rules: str = RULES) -> Path:
    (tmp_path / "small.rules").write_text(rules, encoding="utf-8")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(CaseFileError) as raised:
        read_case_file(path, path.name)
    return list(raised.value.problems)


# ---------------------------------------------------------------- reading


def test_a_valid_file_reads_every_case_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
cases:
  - name: clear
    patient: {age: 40}
    expect: {triage: clear}
  - name: with options
    patient: {age: 40}
    exercises: [walking]
    parameters: {pain_ceiling: 3}
    as_of: 2026-11-21T08:00:00Z
    expect:
      as_of: 2026-11-21T08:00:00Z
      exercises: {walking: {verdict: allow}}
""",
    )
    case_file = read_case_file(path, "small.cases.yaml")
    assert case_file.ruleset == tmp_path / "small.rules"
    assert case_file.ruleset_shown == "small.rules"
    first, second = case_file.cases
    assert (first.index, first.line, first.name) == (1, 3, "clear")
    assert second.label == "case 2 ('with options')"
    assert second.exercises == ("walking",)
    assert second.parameters == {"pain_ceiling": 3}
    assert second.as_of is not None
    assert second.as_of.utcoffset() is not None
    assert second.expect["as_of"] == "2026-11-21T08:00:00Z"  # a YAML time compares as the JSON text


def test_a_case_whose_expect_is_not_a_mapping_is_named_with_its_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
cases:
  - {name: one, patient: {}, expect: {triage: clear}}
  - {name: two, patient: {}, expect: {triage: clear}}
  - name: pain at the ceiling
    patient: {}
    expect: [verdict, modify]
""",
    )
    assert problems(path) == [
        "small.cases.yaml:5: case 3 ('pain at the ceiling'): 'expect' must be a mapping "
        "(such as 'triage: clear'), got a list"
    ]


def test_unknown_keys_are_errors_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
rules: x
cases:
  - name: typo
    patient: {}
    expected: {triage: clear}
  - name: typo in the decision
    patient: {}
    expect: {triag: clear, exercises: {walking: {verdicts: allow}}}
""",
    )
    found = problems(path)
    assert "small.cases.yaml: 'rules' is not a key; did you mean 'ruleset'?" in found
    assert any(
        "case 1 ('typo'): 'expected' is not a key of a case; did you mean 'expect'?" in p for p in found
    )
    assert any("'expect': 'triag' is not a key of the decision; did you mean 'triage'?" in p for p in found)
    assert any("'expect.exercises.walking': 'verdicts' is not a key of an exercise" in p for p in found)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("{patient: {}, expect: {triage: clear}}", "'name' must be a short text"),
        ("{name: x, expect: {triage: clear}}", "exactly one of the two"),
        ("{name: x, patient: {}, patient_file: p.json, expect: {triage: clear}}", "exactly one of the two"),
        ("{name: x, patient: [], expect: {triage: clear}}", "'patient' must be a mapping"),
        ("{name: x, patient: {}}", "'expect' is missing"),
        ("{name: x, patient: {}, expect: {}}", "'expect' is empty"),
        ("{name: x, patient: {}, exercises: walking, expect: {triage: clear}}", "'exercises' must be a list"),
        ("{name: x, patient: {}, parameters: {a: two}, expect: {triage: clear}}", "'parameters' must map"),
        (
            "{name: x, patient: {}, as_of: yesterday, expect: {triage: clear}}",
            "'as_of' must be a date and time",
        ),
        (
            "{name: x, patient: {}, as_of: '2026-11-21T08:00:00', expect: {triage: clear}}",
            "(no UTC offset)",
        ),
        (
            "{name: x, patient: {}, expect: {triage: fine}}",
            "'expect.triage' must be one of urgent, check, clear",
        ),
        ("{name: x, patient: {}, expect: {exercises: {walking: {verdict: ok}}}}", "'verdict' must be one of"),
        ("{name: x, patient: {}, expect: {red_flags: {saddle: on}}}", "'expect.red_flags' must map"),
        ("{name: x, patient: {}, expect: {trace: []}}", "the trace is not compared"),
        ("{name: x, patient_file: nowhere.json, expect: {triage: clear}}", "cannot read nowhere.json"),
        ("7", "case 1: a case must be a mapping"),
    ],
)
def test_each_malformed_case_gets_a_clear_error(tmp_path: Path, case: str, message: str) -> None:
    path = write(tmp_path, f"ruleset: small.rules\ncases:\n  - {case}\n")
    found = problems(path)
    assert any(message in p for p in found), found
    assert all(p.startswith("small.cases.yaml:3: case 1") for p in found), found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "small.cases.yaml: the file is empty"),
        ("- 1\n", "small.cases.yaml: a case file is a mapping with 'ruleset' and 'cases', got a list"),
        ("ruleset: small.rules\n", "small.cases.yaml: 'cases' must be a list of cases"),
        ("cases: []\n", "small.cases.yaml: 'ruleset' must name the rule file"),
        ("ruleset: small.rules\ncases:\n  - name: [\n", "small.cases.yaml:4:1: not valid YAML"),
        ("ruleset: a\n---\nruleset: b\n", "small.cases.yaml:2:1: not valid YAML"),
    ],
)
def test_a_malformed_file_names_the_file_and_the_line(tmp_path: Path, text: str, message: str) -> None:
    found = problems(write(tmp_path, text))
    assert any(p.startswith(message) for p in found), found


def test_a_key_given_twice_and_a_name_used_twice_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
cases:
  - name: same
    patient: {}
    expect: {triage: clear}
    expect: {triage: check}
  - {name: same, patient: {}, expect: {triage: clear}}
""",
    )
    found = problems(path)
    assert "small.cases.yaml:6: 'expect' is given twice (first on line 5); keep one" in found
    assert "small.cases.yaml:7: case 2 ('same'): the name is used by case 1 too" in found


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.cases.yaml"
    path.write_bytes(b"ruleset: \xff\n")
    assert problems(path) == ["bad.cases.yaml: not UTF-8 text (a bad byte at offset 9)"]


def test_a_patient_file_is_read_relative_to_the_case_file(tmp_path: Path) -> None:
    (tmp_path / "patients").mkdir()
    shutil.copy(PATIENTS / "progressing.json", tmp_path / "patients" / "p.json")
    (tmp_path / "patients" / "bad.json").write_text("{nope", encoding="utf-8")
    path = write(
        tmp_path,
        "ruleset: small.rules\ncases:\n  - {name: a, patient_file: patients/p.json, expect: {triage: clear}}\n",
    )
    assert read_case_file(path).cases[0].patient["age"] == 40  # type: ignore[index]
    path.write_text(
        "ruleset: small.rules\ncases:\n  - {name: a, patient_file: patients/bad.json, expect: {triage: clear}}\n",
        encoding="utf-8",
    )
    assert any("'patient_file' patients/bad.json is not JSON" in p for p in problems(path))


# ---------------------------------------------------------------- the ruleset


def test_ids_are_checked_against_the_ruleset(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
cases:
  - name: ids
    patient: {}
    exercises: [walkng]
    parameters: {pain_cieling: 3}
    expect: {red_flags: {sadle: clear}, exercises: {glute_bridge: {verdict: allow}}}
""",
    )
    case_file = read_case_file(path, path.name)
    ruleset = cases.load_ruleset(case_file.ruleset, "small.rules")
    with pytest.raises(CaseFileError) as raised:
        cases.check_against(case_file, ruleset)
    found = raised.value.problems
    assert (
        "small.cases.yaml:3: case 1 ('ids'): the ruleset has no exercise 'walkng' in 'exercises'; did you mean 'walking'?"
        in found
    )
    assert any(
        "no parameter 'pain_cieling' in 'parameters'; did you mean 'pain_ceiling'?" in p for p in found
    )
    assert any("no red flag 'sadle' in 'expect.red_flags'; did you mean 'saddle'?" in p for p in found)
    assert any(
        "'expect.exercises' names 'glute_bridge', which the case's 'exercises' leaves out" in p for p in found
    )


@pytest.mark.parametrize("status", ["draft", "review", "retired"])
def test_case_files_load_rulesets_of_any_status(tmp_path: Path, status: str) -> None:
    path = tmp_path / "small.rules"
    path.write_text(RULES.replace("status draft", f"status {status}"), encoding="utf-8")
    assert cases.load_ruleset(path, "small.rules").status == status


def test_a_library_cannot_be_tested_on_its_own() -> None:
    with pytest.raises(RulesetError) as raised:
        cases.load_ruleset(LANGUAGE / "red_flags.rules", "red_flags.rules")
    assert raised.value.diagnostics[0].code == "CR420"


# ---------------------------------------------------------------- comparing


def test_compare_is_a_subset_and_lists_compare_whole() -> None:
    actual = {
        "triage": "clear",
        "missing": ["a", "b"],
        "exercises": {"x": {"verdict": "allow", "dose": None}},
    }
    assert compare({"triage": "clear", "exercises": {"x": {"verdict": "allow"}}}, actual) == []
    assert [str(m) for m in compare({"missing": ["a"]}, actual)] == [
        'missing: expected ["a"], got ["a", "b"]'
    ]
    assert [str(m) for m in compare({"exercises": {"x": {"verdict": "modify"}}}, actual)] == [
        "exercises.x.verdict: expected 'modify', got 'allow'"
    ]
    assert [str(m) for m in compare({"exercises": {"y": {"verdict": "allow"}}}, actual)] == [
        'exercises.y: expected {"verdict": "allow"}, got nothing: the decision has no such key'
    ]
    assert [str(m) for m in compare({"exercises": {"x": {"dose": {"reps": 5}}}}, actual)] == [
        'exercises.x.dose: expected {"reps": 5}, got null'
    ]


def test_compare_does_not_take_a_yes_for_a_one() -> None:
    assert compare({"a": True}, {"a": 1}) != []
    assert compare({"a": 1}, {"a": 1.0}) == []
    assert compare({"a": [1, True]}, {"a": [1, 1]}) != []


def test_every_mismatch_of_a_case_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
ruleset: small.rules
cases:
  - name: two wrong
    patient: {age: 40, red_flags: {saddle_anaesthesia: false}}
    as_of: "2026-11-21T08:00:00Z"
    expect: {triage: urgent, exercises: {walking: {verdict: check}}}
""",
    )
    case_file = read_case_file(path)
    result = run_case(cases.load_ruleset(case_file.ruleset, "small.rules"), case_file.cases[0])
    assert not result.passed
    assert [str(m) for m in result.mismatches] == [
        "triage: expected 'urgent', got 'clear'",
        "exercises.walking.verdict: expected 'check', got 'allow'",
    ]
    assert result.decision is not None
    assert result.decision.trace is not None


def test_bad_patient_data_fails_the_case_with_the_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path, "ruleset: small.rules\ncases:\n  - {name: a, patient: {age: -1}, expect: {triage: clear}}\n"
    )
    case_file = read_case_file(path)
    result = run_case(cases.load_ruleset(case_file.ruleset, "small.rules"), case_file.cases[0])
    assert not result.passed
    assert result.error is not None
    assert "age" in result.error


# ---------------------------------------------------------------- coverage


def test_unknown_is_required_only_where_a_field_is_read_outside_a_known_test() -> None:
    rs = clinrules.compile(RULES, allow_draft=True)
    coverage = Coverage(rs.program)
    items = {i.id: i for i in coverage.items.values()}
    assert items["answered"].unknown_possible is False  # `age is unknown` is never unknown
    assert items["answered"].required == ("fired", "not_fired")
    assert items["sore"].unknown_possible is True
    assert items["saddle"].unknown_possible is True
    assert coverage.required == 3 + 2 + 3


def test_coverage_counts_rules_even_when_a_red_flag_fires() -> None:
    rs = clinrules.compile(RULES, allow_draft=True)
    coverage = Coverage(rs.program)
    coverage.add(
        rs.evaluate({"red_flags": {"saddle_anaesthesia": True}}, as_of="2026-11-21T08:00:00Z", explain=True)
    )
    items = {i.id: i for i in coverage.items.values()}
    assert items["saddle"].seen == {"fired"}
    assert items["answered"].seen == {"fired"}
    assert items["sore"].seen == {"not_fired"}
    coverage.add(
        rs.evaluate(
            {"age": 40, "red_flags": {"saddle_anaesthesia": False}},
            as_of="2026-11-21T08:00:00Z",
            explain=True,
        )
    )
    assert items["saddle"].missing == ("unknown",)
    assert items["answered"].missing == ()
    assert coverage.covered == 5


def test_the_example_patients_as_cases(tmp_path: Path) -> None:
    for name in ("glute_bridge.rules", "red_flags.rules"):
        shutil.copy(LANGUAGE / name, tmp_path / name)
    shutil.copytree(PATIENTS, tmp_path / "patients")
    path = tmp_path / "glute_bridge.cases.yaml"
    path.write_text(
        """\
ruleset: glute_bridge.rules
cases:
  - name: red flag overrides a perfect progression
    patient_file: patients/red_flag.json
    exercises: [glute_bridge]
    expect:
      triage: urgent
      care: emergency
      exercises: {glute_bridge: {verdict: urgent, because: [cauda_equina]}}
  - name: ready to move up
    patient_file: patients/progressing.json
    expect:
      exercises: {bridge_partial: {verdict: progress, progress_to: glute_bridge}}
""",
        encoding="utf-8",
    )
    case_file = read_case_file(path)
    ruleset = cases.load_ruleset(case_file.ruleset, case_file.ruleset_shown)
    cases.check_against(case_file, ruleset)
    assert all(run_case(ruleset, case).passed for case in case_file.cases)
