"""Questions and messages (language-2.md sections 4 and 9), for random rulesets and patients.

`when unknown ignore` means exactly what saying nothing meant, so writing it out (as the
shipped ruleset now does) changes no decision; every missing field is asked, in order, and
a patient's text never names a field path; the safety net is given whatever the triage.
The strategies and helpers are those of test_safety.py.
"""

from __future__ import annotations

import re
from typing import Any

import clinrules
from tests.property.test_safety import cases, decide, run_with_premise
from tests.strategies import AS_OF, GeneratedRuleset

_HEADER_UNKNOWN = re.compile(r"^  unknown \w+\n", re.MULTILINE)


def test_when_unknown_ignore_changes_no_decision_where_nothing_else_is_said() -> None:
    def prop(case: tuple[GeneratedRuleset, clinrules.RuleSet, dict[str, Any]]) -> bool:
        generated, _, patient = case
        text = _HEADER_UNKNOWN.sub("", generated.text())  # where the header says nothing either
        if "when unknown ignore" not in text:
            return False
        ruleset = clinrules.compile(text, allow_draft=True)
        silent = clinrules.compile(text.replace("\n  when unknown ignore", ""), allow_draft=True)
        written, unsaid = decide(ruleset, patient), decide(silent, patient)
        for decision in (written, unsaid):
            decision["ruleset"].pop("sha256")
        assert written == unsaid
        return True

    run_with_premise(prop, cases(), share=0.05, ci=60)


def test_every_missing_field_is_asked_and_no_patient_text_names_a_path() -> None:
    def prop(case: tuple[GeneratedRuleset, clinrules.RuleSet, dict[str, Any]]) -> bool:
        _, ruleset, patient = case
        decision = ruleset.evaluate(patient, as_of=AS_OF)
        assert [q.field for q in decision.questions] == decision.missing
        assert all(q.ask.strip() for q in decision.questions)
        schema = ruleset.program.schema
        paths = [*schema.fields, *(f.path for f in schema.session_fields.values())]
        text = decision.explain()
        words = " ".join([*decision.say, *(s for e in decision.exercises.values() for s in e.say)])
        for path in (p for p in paths if "." in p or "_" in p):
            assert not re.search(rf"(?<![\w.]){re.escape(path)}(?![\w])", text + words), path
        if decision.missing:
            explained = ruleset.evaluate(patient, as_of=AS_OF, explain=True).explain()
            assert all(f"[{path}]" in explained for path in decision.missing)  # the clinician's text
        return bool(decision.missing)

    run_with_premise(prop, cases(), share=0.1, ci=60)


NET = "Stop and get help if both legs go weak."


def test_the_safety_net_is_given_whatever_the_triage() -> None:
    def prop(case: tuple[GeneratedRuleset, clinrules.RuleSet, dict[str, Any]]) -> bool:
        generated, ruleset, patient = case
        text = generated.text()
        if "  safety net " not in text:  # the header of every generated ruleset names its model
            assert decide(ruleset, patient)["safety_net"] is None
            text = text.replace("  model sciatica\n", f'  model sciatica\n  safety net "{NET}"\n', 1)
        decision = decide(clinrules.compile(text, allow_draft=True), patient)
        assert decision["safety_net"] == NET
        if decision["triage"] == "urgent":
            fired = [f for f in ruleset.program.red_flags if decision["red_flags"][f.id] == "fired"]
            assert {f.care for f in fired if f.messages.say in decision["say"]} == {decision["care"]}
        return decision["triage"] != "clear"

    run_with_premise(prop, cases(), share=0.05, ci=60)
