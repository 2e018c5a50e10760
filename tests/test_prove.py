"""`clinrules prove` and `RuleSet.prove()` (issue 17, docs/prove.md): proofs, counterexamples, findings.

The shipped ruleset is proved once per module (it takes seconds); the small
rulesets below each make one finding happen. Every refutation's
counterexample is evaluated again here, through `RuleSet.evaluate`, so a
test never trusts the prover's own word for it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import clinrules
from clinrules import ir
from clinrules.cli import main
from clinrules.prove import ProveUnavailableError, prove
from clinrules.prove.queries import Encoding, Queries
from clinrules.prove.report import ENDING, ProofReport
from tests.conftest import ROOT

SHIPPED = ROOT / "rulesets" / "sciatica"
HEADER = "ruleset t\n  version 1.0.0\n  status draft\n  model sciatica\n\n"


def _codes(report: ProofReport) -> list[str]:
    return [d.code for d in report.diagnostics]


def _compiled(body: str) -> clinrules.RuleSet:
    return clinrules.compile(HEADER + body, allow_draft=True)


@pytest.fixture(scope="module")
def shipped() -> ProofReport:
    return clinrules.load(SHIPPED / "glute_bridge.rules", allow_draft=True).prove()


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ProofReport]:
    """A copy of the shipped ruleset without `provoked_lower_rung`, the rule its first require rests on."""
    folder = tmp_path_factory.mktemp("broken")
    for path in SHIPPED.glob("*.rules"):
        shutil.copy(path, folder / path.name)
    main_file = folder / "glute_bridge.rules"
    text = main_file.read_text(encoding="utf-8")
    start, end = text.index("rule provoked_lower_rung"), text.index("rule nerve_after_provocation")
    main_file.write_text(text[:start] + text[end:], encoding="utf-8")
    return main_file, clinrules.load(main_file, allow_draft=True).prove()


# ---------------------------------------------------------------- the shipped ruleset


def test_the_shipped_ruleset_proves_every_promise_and_require(shipped: ProofReport) -> None:
    assert _codes(shipped) == []  # no refutation, no dead or masked rule, nothing unproved
    program = clinrules.load(SHIPPED / "glute_bridge.rules", allow_draft=True).program
    assert len(program.requirements) >= 6
    for requirement in program.requirements:
        assert any(line.startswith(f"require {requirement.id} ") for line in shipped.proved)
    assert len([p for p in shipped.proved if "(16 of 16 exercises)" in p]) == 3
    assert shipped.text().splitlines()[-5].endswith(f"{ENDING}:")


def test_removing_the_lower_rung_rule_refutes_its_require_with_a_confirmed_counterexample(
    broken: tuple[Path, ProofReport],
) -> None:
    path, report = broken
    refuted = [f for f in report.findings if f.diagnostic.code == "CR602"]
    assert refuted
    assert {f.witness.promise for f in refuted if f.witness} == {"lower_rung_provocation"}
    ruleset = clinrules.load(path, allow_draft=True)
    requirement = next(q for q in ruleset.program.requirements if q.id == "lower_rung_provocation")
    order = [v.value for v in clinrules.Verdict]
    for found in refuted:
        w = found.witness
        assert w is not None
        assert w.agrees
        decision = ruleset.evaluate(w.patient, parameters=w.parameters, as_of=w.as_of)
        verdict = decision.exercises[w.exercise].verdict.value
        assert order.index(verdict) > order.index("stop")  # milder than the require allows
        assert verdict == w.replayed
        assert any(s.get("exercise") != w.exercise for s in w.patient["sessions"])  # a lower rung's
    assert requirement.where.span.line == refuted[0].diagnostic.line
    assert report.refuted


# ---------------------------------------------------------------- findings on small rulesets


def test_a_rule_no_patient_can_fire_is_dead_across_a_parameters_bounds() -> None:
    ruleset = _compiled(
        'parameter over = 11 between 11 and 12\nexercise e "E"\n'
        "rule never for e: stop if back_pain > over\n  when unknown ignore\notherwise allow\n"
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR603"]
    assert not report.refuted  # a warning


def test_a_red_flag_no_patient_can_fire_is_dead_too() -> None:
    ruleset = _compiled(
        'exercise e "E"\nred flag never: urgent if age < 16 years and age > 100 years\notherwise allow\n'
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR603"]
    assert "red flag 'never'" in report.diagnostics[0].message


def test_a_rule_true_for_no_patient_but_unknown_decides_only_through_when_unknown() -> None:
    ruleset = _compiled(
        'exercise e "E"\nrule odd for e: check if back_pain > 10\n  when unknown check\notherwise allow\n'
    )
    assert _codes(ruleset.prove()) == ["CR604"]


def test_a_masked_rule_names_every_rule_of_the_union_that_masks_it() -> None:
    ruleset = _compiled(
        'exercise e "E"\n'
        "rule high for e: avoid if leg_pain >= 5\n  when unknown ignore\n"
        "rule low for e: stop if leg_pain < 5\n  when unknown ignore\n"
        "rule dose for e: modify if leg_pain is known\n  dose reps 5\n"
        "otherwise allow\n"
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR605"]
    message = report.diagnostics[0].message
    assert "'dose'" in message
    assert "high" in message
    assert "low" in message


def test_gaps_are_looked_for_only_when_asked_and_over_fully_known_patients() -> None:
    ruleset = _compiled(
        'exercise e "E"\nrule high for e: avoid if back_pain > 5\n  when unknown check\notherwise allow\n'
    )
    assert _codes(ruleset.prove()) == []
    report = ruleset.prove(complete=True)
    assert _codes(report) == ["CR606"]
    w = report.findings[0].witness
    assert w is not None
    assert w.agrees
    assert w.replayed == "allow"
    assert w.patient["symptoms"]["back_pain"] <= 5  # known, and outside every rule


def test_a_require_refuted_by_an_unknown_patient_names_the_verdict_it_gets() -> None:
    ruleset = _compiled(
        'exercise e "E"\nrule high for e: avoid if back_pain > 5\n  when unknown ignore\notherwise allow\n'
        "require high_avoids: back_pain > 4 implies e at least avoid\n"
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR602"]
    w = report.findings[0].witness
    assert w is not None
    assert w.agrees
    assert w.patient["symptoms"]["back_pain"] == 5  # the one value the rule misses
    assert w.replayed in ("allow", "check")


def test_parameters_are_symbolic_unless_fixed() -> None:
    ruleset = _compiled(
        'parameter ceiling = 5 between 3 and 8\nexercise e "E"\n'
        "rule high for e: avoid if back_pain > ceiling\n  when unknown ignore\notherwise allow\n"
        "require six_avoids: back_pain >= 6 implies e at least avoid\n"
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR602"]  # a clinician may set the ceiling to 6, 7 or 8
    w = report.findings[0].witness
    assert w is not None
    assert w.parameters["ceiling"] >= w.patient["symptoms"]["back_pain"] >= 6
    assert _codes(ruleset.prove(fix_params=True)) == []


def test_a_counterexample_gives_its_times_relative_to_the_evaluation_time() -> None:
    ruleset = _compiled(
        'parameter screen_max_age = 24 hours between 1 hours and 48 hours\nexercise e "E"\n'
        "rule stale for e: check if screened_at < now - 24 hours\n  when unknown check\notherwise allow\n"
        "require stale_checks: screened_at < now - screen_max_age implies e at least check\n"
    )
    report = ruleset.prove()
    assert _codes(report) == ["CR602"]  # the rule says 24 hours, the require the setting (as low as 1)
    w = report.findings[0].witness
    assert w is not None
    assert w.agrees
    assert w.parameters["screen_max_age"] < 24
    assert w.relative["red_flags.screened_at"].startswith("now - ")
    assert f"red_flags.screened_at = {w.patient['red_flags']['screened_at']} (now - " in report.text()


def test_a_construct_prove_cannot_encode_is_reported_never_passed() -> None:
    ruleset = _compiled(
        'exercise e "E"\nrule r for e: stop if any session within 24 hours had shooting_pain\n'
        "  when unknown check\notherwise allow\n"
    )
    program = ruleset.program
    rule = program.rules[0]
    outer = rule.condition
    assert isinstance(outer, ir.History)
    nested = dataclasses.replace(outer, condition=outer)  # a form inside a form: no checked program has one
    program = dataclasses.replace(program, rules=(dataclasses.replace(rule, condition=nested),))
    report = prove(program)
    assert "CR607" in _codes(report)
    assert report.refuted
    assert report.proved == []


def test_a_counterexample_the_evaluator_disagrees_with_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    from clinrules.prove import verdicts

    monkeypatch.setattr(verdicts, "URGENT", verdicts.RANK["stop"])  # an encoding that is wrong on purpose
    ruleset = _compiled('exercise e "E"\nred flag f: urgent if fever\notherwise allow\n')
    report = ruleset.prove()
    assert "CR609" in _codes(report)
    assert report.bug


def test_a_broken_promise_is_refuted_when_the_combination_breaks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from clinrules.decision import combine
    from clinrules.prove import verdicts

    # The combination and its encoding, broken alike: a fired red flag gives stop.
    monkeypatch.setattr(verdicts, "URGENT", verdicts.RANK["stop"])
    urgent = combine.urgent_record  # the record the combination gives every exercise when a red flag fired

    def stop_instead_of_urgent(*words: Any) -> Any:
        return (combine.Verdict.STOP, *urgent(*words)[1:])

    monkeypatch.setattr(combine, "urgent_record", stop_instead_of_urgent)
    ruleset = _compiled('exercise e "E"\nred flag f: urgent if fever\notherwise allow\n')
    report = ruleset.prove()
    assert _codes(report) == ["CR601"]
    w = report.findings[0].witness
    assert w is not None
    assert w.patient["red_flags"]["fever"] is True
    assert w.replayed == "stop"


# ---------------------------------------------------------------- the history bound

NOTE_EXAMPLE = """exercise glute_bridge "Glute bridge"
exercise single_leg_bridge "Single-leg bridge"
ladder bridge: glute_bridge, single_leg_bridge
define flare: next_morning_pain >= pain_before + 2
rule ready for glute_bridge: progress if every one of the last 3 sessions had not flare
otherwise allow
require no_progress_after_flare: no glute_bridge progress when any session within 7 days had flare
"""


def test_the_design_notes_example_is_proved_with_3_slots_and_refuted_with_4() -> None:
    """A flare in the 4th newest session is inside 7 days, but `every one of the last 3` never sees it."""
    program = _compiled(NOTE_EXAMPLE).program
    results = {}
    for extra in (-1, 0):
        queries = Queries(Encoding(program, extra_slots=extra))
        queries.requires()
        results[sum(queries.e.slots.values())] = [o.kind for o in queries.found]
    assert results == {3: [], 4: ["require"]}  # 4 is the bound: 3 sessions and one window


BOUND_EXAMPLE = """parameter window = 3 days between 1 days and 10 days
exercise a "A"
exercise b "B"
ladder l: a, b
define bad: shooting_pain or pain_during > 6
rule r1 for b: stop if 2 of the last 3 days on a lower rung had bad
  when unknown check
rule r2 for a, b: avoid if any session of any exercise within window had bad
rule r3 for b: regress if the last session had bad
  when unknown regress
rule r4 for a: progress if every one of the last 2 sessions had not bad and no session within window had bad
otherwise allow
require r1_holds: 2 of the last 3 days on a lower rung had bad implies b at least stop
require nothing_after_bad: no b allow when any session of any exercise within window had bad
require no_progress: no a progress when the last session had bad
"""


def test_a_proof_at_the_bound_holds_with_longer_histories() -> None:
    program = _compiled(BOUND_EXAMPLE).program
    found = {}
    for extra in (0, 2):
        queries = Queries(Encoding(program, extra_slots=extra))
        queries.promises()
        queries.requires()
        found[extra] = sorted((o.kind, o.subject, o.exercise) for o in queries.found)
    assert found[0] == found[2] == []


# ---------------------------------------------------------------- without z3, the API and the command line


def test_without_z3_prove_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "z3", None)  # `import z3` raises ImportError
    ruleset = _compiled('exercise e "E"\notherwise allow\n')
    with pytest.raises(ProveUnavailableError, match=r"clinrules\[prove\]"):
        ruleset.prove()
    assert isinstance(ProveUnavailableError("x"), clinrules.ClinrulesError)
    path = tmp_path / "t.rules"
    path.write_text(HEADER + 'exercise e "E"\notherwise allow\n', encoding="utf-8")
    err = io.StringIO()
    assert main(["prove", str(path)], io.StringIO(), err) == 2
    assert "pip install 'clinrules[prove]'" in err.getvalue()


def test_prove_refuses_arguments_of_the_wrong_type() -> None:
    ruleset = _compiled('exercise e "E"\notherwise allow\n')
    with pytest.raises(clinrules.ArgumentError):
        ruleset.prove(fix_params="yes")  # type: ignore[arg-type]
    with pytest.raises(clinrules.ArgumentError):
        ruleset.prove(timeout_ms=0)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


REFUTED = (
    'exercise e "E"\nrule high for e: avoid if back_pain > 5\n  when unknown ignore\notherwise allow\n'
    "require high_avoids: back_pain > 4 implies e at least avoid\n"
)


def test_the_command_exits_1_on_a_refutation_and_writes_a_case_that_clinrules_test_runs(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "t.rules"
    rules.write_text(HEADER + REFUTED, encoding="utf-8")
    cases = tmp_path / "found.cases.yaml"
    code, out, err = _run("prove", str(rules), "--write-cases", str(cases))
    assert code == 1
    assert "CR602" in err
    assert f"{rules}:" in err
    assert "counterexample for CR602" in out
    written = yaml.safe_load(cases.read_text(encoding="utf-8"))
    assert written["ruleset"] == "t.rules"
    assert len(written["cases"]) == 1
    assert _run("test", str(cases))[0] == 0


def test_the_command_exits_0_when_everything_is_proved_and_prints_json(tmp_path: Path) -> None:
    rules = tmp_path / "t.rules"
    rules.write_text(
        HEADER
        + 'exercise e "E"\nrule high for e: avoid if back_pain > 5\n  when unknown check\notherwise allow\n',
        encoding="utf-8",
    )
    code, out, err = _run("prove", str(rules))
    assert (code, err) == (0, "")
    assert out.rstrip().splitlines()[-5].endswith(f"{ENDING}:")
    code, out, _ = _run("prove", str(rules), "--format", "json", "--complete")
    data: dict[str, Any] = json.loads(out)
    assert code == 0
    assert data["ok"] is True
    assert [f["code"] for f in data["findings"]] == ["CR606"]
    assert data["findings"][0]["counterexample"]["agrees"] is True


def test_the_command_exits_1_for_a_ruleset_with_errors_and_2_for_a_missing_file(tmp_path: Path) -> None:
    rules = tmp_path / "t.rules"
    rules.write_text(HEADER + "rule r for nowhere: stop if fever\n", encoding="utf-8")
    assert _run("prove", str(rules))[0] == 1
    assert _run("prove", str(tmp_path / "missing.rules"))[0] == 2


# ---------------------------------------------------------------- docs/errors.md, CR6xx


def _prove_sections() -> list[Any]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    sections = re.split(r"^(?=## CR\d{3})", text, flags=re.MULTILINE)
    return [pytest.param(s, id=s[3:8]) for s in sections if s.startswith("## CR6") and "```console" in s]


def test_errors_md_shows_real_prove_output_for_most_codes() -> None:
    assert len(_prove_sections()) >= 5


@pytest.mark.parametrize("section", _prove_sections())
def test_the_prove_examples_of_errors_md_print_what_prove_prints(
    section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's diagnostic is what `prove` prints; the fix's prove has no finding of the code."""
    code = section[3:8]
    example, fix = re.findall(r"```clinrules\n(.*?)```", section, re.DOTALL)[:2]
    command, shown = re.search(r"```console\n\$ (.*?)\n(.*?)```", section, re.DOTALL).groups()  # type: ignore[union-attr]
    monkeypatch.chdir(tmp_path)
    Path("example.rules").write_text(example, encoding="utf-8")
    code_, _, err = _run(*command.split()[1:])
    assert err.strip() == shown.strip()
    assert code_ == (1 if code == "CR602" else 0)  # the others shown are warnings
    Path("example.rules").write_text(fix, encoding="utf-8")
    assert code not in _run(*command.split()[1:])[2]
