"""Scores, `count of` and assessments (language-2.md sections 5, 6) through every consumer.

The meaning case by case is in tests/golden/eval/scores*.yaml and the
checker's codes in tests/golden/check/scores.yaml; the brute-force
properties are in tests/property/test_scores_property.py. Here: what the
golden files cannot show (the program's declarations, the trace, the text,
the command line, long chains) and the subtle unknowns.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import clinrules
from clinrules.cli.main import main

AS_OF = "2026-11-21T08:00:00Z"
RISK = """\
ruleset risk version 1.0.0 status draft model sciatica
source hill "STarT Back"
exercise walking "Walking"
score z_pain "Pain points":
  2 if back_pain >= 7
  1 if leg_pain >= 7
  assumption "Leg pain weighs half as much as back pain."
score a_nerve "Nerve signs":
  1 if numbness
assess risk "Risk group":
  high if z_pain >= 2
    say "Your pain needs a closer look."
    note "High pain points."
  medium if z_pain >= 1 or count of (numbness, night_pain) >= 2
  otherwise low
  cite hill
  assumption "Two points is high."
rule high_risk for walking: avoid if risk is high
  when unknown check
otherwise allow
"""


def _ruleset(text: str = RISK) -> clinrules.RuleSet:
    return clinrules.compile(text, allow_draft=True)


def _decision(patient: dict[str, Any], text: str = RISK, **kwargs: Any) -> dict[str, Any]:
    return _ruleset(text).evaluate(patient, as_of=AS_OF, **kwargs).model_dump(mode="json")


def test_the_program_holds_scores_and_assessments_in_declaration_order_read_only() -> None:
    program = _ruleset().program
    assert list(program.scores) == ["z_pain", "a_nerve"]
    assert list(program.assessments) == ["risk"]
    risk = program.assessments["risk"]
    assert risk.values == ("high", "medium", "low")
    assert risk.cite == ("hill",)
    assert risk.assumptions == ("Two points is high.",)
    assert program.scores["z_pain"].assumptions == ("Leg pain weighs half as much as back pain.",)
    assert [b.say for b in risk.branches] == ["Your pain needs a closer look.", None, None]
    with pytest.raises(TypeError):
        program.scores["other"] = program.scores["z_pain"]  # type: ignore[index]


def test_the_decision_lists_every_score_and_assessment_by_id_whatever_the_declaration_order() -> None:
    decision = _decision({"symptoms": {"back_pain": 8, "leg_pain": 2}})
    assert list(decision["scores"]) == ["a_nerve", "z_pain"]
    assert decision["scores"]["z_pain"] == {"low": 2, "high": 2}
    assert decision["scores"]["a_nerve"] == {"low": 0, "high": 1}
    assert decision["assessments"]["risk"] == {
        "value": "high",
        "possible": ["high"],
        "because": ["high if z_pain >= 2"],
        "missing": [],
        "say": "Your pain needs a closer look.",
        "notes": ["High pain points."],
        "cite": ["hill"],
    }
    assert decision["exercises"]["walking"]["verdict"] == "avoid"


def test_an_unsettled_assessment_says_what_is_still_possible_and_what_would_settle_it() -> None:
    decision = _decision({"symptoms": {"leg_pain": 1}})
    risk = decision["assessments"]["risk"]
    assert risk["value"] is None
    assert risk["possible"] == ["high", "medium", "low"]
    assert risk["because"] == [
        "high if z_pain >= 2",
        "medium if z_pain >= 1 or count of (numbness, night_pain) >= 2",
        "otherwise low",
    ]
    assert risk["missing"] == ["symptoms.back_pain", "symptoms.night_pain", "symptoms.numbness"]
    assert risk["say"] is None
    assert risk["notes"] == []
    assert decision["exercises"]["walking"]["verdict"] == "check"


def test_one_unknown_branch_and_no_otherwise_may_end_with_no_value_so_is_stays_unknown() -> None:
    text = """\
ruleset open version 1.0.0 status draft model sciatica
exercise walking "Walking"
exercise swimming "Swimming"
assess narrow "Narrow":
  numb if numbness
rule r for walking: avoid if narrow is numb
  when unknown check
rule s for swimming: avoid if narrow is not numb
  when unknown check
otherwise allow
"""
    unknown = _decision({}, text)
    assert unknown["assessments"]["narrow"]["possible"] == ["numb"]
    # Every possible value is `numb`, but the result may also be no value at all.
    assert unknown["exercises"]["walking"]["verdict"] == "check"
    assert unknown["exercises"]["swimming"]["verdict"] == "check"
    none = _decision({"symptoms": {"numbness": False}}, text)
    assert none["assessments"]["narrow"] == {**none["assessments"]["narrow"], "value": None, "possible": []}
    assert none["exercises"]["walking"]["verdict"] == "allow"  # no value is not numb
    assert none["exercises"]["swimming"]["verdict"] == "avoid"


def test_a_score_is_known_when_its_range_is_one_value() -> None:
    text = RISK.replace("avoid if risk is high", "avoid if z_pain is known")
    assert (
        _decision({"symptoms": {"back_pain": 8, "leg_pain": 2}}, text)["exercises"]["walking"]["verdict"]
        == "avoid"
    )
    assert _decision({"symptoms": {"back_pain": 8}}, text)["exercises"]["walking"]["verdict"] == "allow"


def test_the_trace_shows_each_item_and_branch_and_a_count_of_only_there() -> None:
    decision = _ruleset().evaluate(
        {"symptoms": {"back_pain": 2, "numbness": True}}, as_of=AS_OF, explain=True
    )
    dumped = decision.model_dump(mode="json")
    assert clinrules.Decision.model_validate(dumped).model_dump(mode="json") == dumped
    by_kind = {(e["kind"], e["id"]): e for e in dumped["trace"]}
    pain = by_kind[("score", "z_pain")]
    assert pain["range"] == [0, 1]
    assert [(p["text"], p["outcome"], p["points"]) for p in pain["parts"]] == [
        ("2 if back_pain >= 7", "not_fired", 2),
        ("1 if leg_pain >= 7", "unknown", 1),
    ]
    assert pain["missed"] == ["symptoms.leg_pain"]
    risk = by_kind[("assessment", "risk")]
    assert risk["value"] is None
    assert risk["possible"] == ["medium", "low"]
    assert [p["outcome"] for p in risk["parts"]] == ["not_fired", "unknown", "fired"]
    count = by_kind[("count_of", "count of (numbness, night_pain)")]
    assert count["range"] == [1, 2]
    assert "count of" not in " ".join(dumped["scores"])
    rule = by_kind[("rule", "high_risk")]
    assert "range" not in rule
    assert "parts" not in rule


def test_explain_names_scores_and_assessments_by_title_and_says_what_is_unsettled() -> None:
    text = _ruleset().evaluate({"symptoms": {"leg_pain": 1}}, as_of=AS_OF).explain()
    assert "Pain points (z_pain): 0 to 2 (not settled)" in text
    assert "Risk group (risk): not settled: high, medium or low" in text
    assert "symptoms.back_pain" not in text  # a patient's text asks; the paths are the clinician's
    for_clinician = _ruleset().evaluate({"symptoms": {"leg_pain": 1}}, as_of=AS_OF, explain=True).explain()
    assert "    missing: symptoms.back_pain, symptoms.night_pain, symptoms.numbness" in for_clinician
    settled = _ruleset().evaluate({"symptoms": {"back_pain": 8}}, as_of=AS_OF).explain()
    assert "Risk group (risk): high" in settled
    assert "    say: Your pain needs a closer look." in settled


def test_clinrules_eval_shows_scores_and_assessments_as_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "risk.rules").write_text(RISK, encoding="utf-8")
    (tmp_path / "patient.json").write_text(json.dumps({"symptoms": {"back_pain": 9}}), encoding="utf-8")
    argv = ["eval", str(tmp_path / "risk.rules"), str(tmp_path / "patient.json"), "--allow-draft"]
    out, err = io.StringIO(), io.StringIO()
    assert main([*argv, "--as-of", AS_OF], out, err) == 0, err.getvalue()
    assert (
        "Scores:\n  Nerve signs (a_nerve): 0 to 1 (not settled)\n  Pain points (z_pain): 2 to 3"
        in out.getvalue()
    )
    assert "Assessments:\n  Risk group (risk): high\n" in out.getvalue()
    assert "because: high if z_pain >= 2" not in out.getvalue()  # conditions as written: for the clinician
    out = io.StringIO()
    assert main([*argv, "--as-of", AS_OF, "--explain"], out, io.StringIO()) == 0
    assert "Assessments:\n  Risk group (risk): high\n    because: high if z_pain >= 2" in out.getvalue()
    out = io.StringIO()
    assert main([*argv, "--as-of", AS_OF, "--format", "json"], out, io.StringIO()) == 0
    decision = json.loads(out.getvalue())
    assert decision["scores"]["z_pain"] == {"low": 2, "high": 3}
    assert decision["assessments"]["risk"]["value"] == "high"


def test_a_ruleset_of_red_flags_scores_and_assessments_has_no_exercises() -> None:
    text = """\
ruleset screen version 1.0.0 status draft model sciatica
score flags "Flags":
  1 if fever
  1 if recent_trauma
red flag two_flags "Two flags": urgent if flags >= 2
assess follow_up "Follow-up":
  soon if flags >= 1
  otherwise routine
"""
    rs = _ruleset(text)
    assert rs.diagnostics == ()
    decision = rs.evaluate({"red_flags": {"fever": True, "recent_trauma": True}}, as_of=AS_OF)
    assert decision.triage.value == "urgent"
    assert decision.exercises == {}
    assert decision.assessments["follow_up"].value == "soon"


def test_a_long_chain_of_scores_is_refused_by_the_nesting_limit_not_a_crash() -> None:
    lines = ["ruleset chain version 1.0.0 status draft model sciatica", 'exercise walking "Walking"']
    lines += ["score s0:", "  1 if numbness"]
    for i in range(1, 400):
        lines += [f"score s{i}:", f"  1 if s{i - 1} >= 1"]
    lines += ["rule r for walking: avoid if s399 >= 1", "otherwise allow"]
    with pytest.raises(clinrules.RulesetError) as caught:
        _ruleset("\n".join(lines) + "\n")
    assert {d.code for d in caught.value.diagnostics} == {"CR006"}


def test_a_chain_of_scores_within_the_limit_is_counted_through() -> None:
    lines = ["ruleset chain version 1.0.0 status draft model sciatica", 'exercise walking "Walking"']
    lines += ["score s0:", "  1 if numbness"]
    for i in range(1, 40):
        lines += [f"score s{i}:", f"  1 if s{i - 1} >= 1"]
    lines += ["rule r for walking: avoid if s39 >= 1", "  when unknown check", "otherwise allow"]
    text = "\n".join(lines) + "\n"
    assert _decision({"symptoms": {"numbness": True}}, text, explain=True)["scores"]["s39"] == {
        "low": 1,
        "high": 1,
    }
    unknown = _decision({}, text, explain=True)
    assert unknown["scores"]["s39"] == {"low": 0, "high": 1}
    assert unknown["exercises"]["walking"]["verdict"] == "check"
    assert unknown["missing"] == ["symptoms.numbness"]


def test_the_worked_examples_of_semantics_md_are_what_evaluation_gives() -> None:
    text = """\
ruleset worked version 1.0.0 status draft model sciatica
exercise e_high "High"
exercise e_in "In"
exercise e_low "Low"
score nerve_signs "Nerve root signs":
  2 if straight_leg_raise is positive
  1 if radiating_pain >= below_knee
  1 if numbness
  -1 if side is both
assess irritability "Nerve root irritability":
  high if nerve_signs >= 3
  moderate if nerve_signs >= 1
  otherwise low
rule r_high for e_high: avoid if irritability is high
  when unknown check
rule r_in for e_in: avoid if irritability in {moderate, high}
  when unknown check
rule r_low for e_low: avoid if irritability is low
  when unknown check
otherwise allow
"""
    patient: dict[str, Any] = {
        "exam": {"straight_leg_raise": "positive"},
        "symptoms": {"radiating_pain": "thigh"},
    }
    decision = _decision(patient, text)
    assert decision["scores"]["nerve_signs"] == {"low": 1, "high": 3}
    irritability = decision["assessments"]["irritability"]
    assert (irritability["value"], irritability["possible"]) == (None, ["high", "moderate"])
    assert irritability["missing"] == ["symptoms.numbness", "symptoms.side"]
    verdicts = {ex: e["verdict"] for ex, e in decision["exercises"].items()}
    assert verdicts == {"e_high": "check", "e_in": "avoid", "e_low": "allow"}
    patient["symptoms"].update(numbness=False, side="left")
    settled = _decision(patient, text)
    assert settled["scores"]["nerve_signs"] == {"low": 2, "high": 2}
    assert settled["assessments"]["irritability"]["value"] == "moderate"


def test_a_phrase_read_by_a_rule_and_by_a_score_reads_the_sessions_of_each() -> None:
    text = """\
ruleset shared version 1.0.0 status draft model sciatica
exercise bridge "Bridge"
exercise walking "Walking"
define flared: any session within 24 hours had shooting_pain
score flare_points "Flare points":
  1 if flared
rule own_flare for bridge: avoid if flared
rule elsewhere for bridge: check if not flared and flare_points >= 1
otherwise allow
"""
    ruleset = _ruleset(text)
    walk = {"exercise": "walking", "at": "2026-11-21T07:00:00Z", "shooting_pain": True}
    decision = ruleset.evaluate({"sessions": [walk]}, as_of=AS_OF, explain=True).model_dump(mode="json")
    # The rule reads the bridge's own sessions (none flared); the score reads every session.
    assert decision["exercises"]["bridge"]["verdict"] == "check"
    assert decision["exercises"]["bridge"]["because"] == ["elsewhere"]
    outcomes = ruleset.outcomes({"sessions": [walk]}, as_of=AS_OF)
    assert outcomes.rule("own_flare") == {"bridge": False}
    assert outcomes.rule("elsewhere") == {"bridge": True}
    trace = {e["id"]: e["outcome"] for e in decision["trace"] if e["kind"] == "rule"}
    assert trace == {"own_flare": "not_fired", "elsewhere": "fired"}
