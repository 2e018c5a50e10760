"""Card invariants for any decision: summaries fit, urgent is one critical card, nothing null or empty.

The decisions are drawn around a real one of the shipped ruleset: any triage
and care, any verdicts for any number of exercises, long or odd texts.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.base.vocabulary import Care, Triage, Verdict
from clinrules.decision.result import Decision
from clinrules.fhir import from_fhir
from clinrules.service.cards import MAX_SEPARATE_INFO_CARDS, WARNING_VERDICTS, Names, cards
from tests.conftest import ROOT
from tests.test_service import empties

RULESET = clinrules.load(ROOT / "rulesets" / "sciatica" / "glute_bridge.rules", allow_draft=True)
NAMES = Names.of(RULESET)
BASE = RULESET.evaluate(
    from_fhir(json.loads((ROOT / "tests" / "fhir" / "screen_missing.json").read_text()))[0]
).model_dump(mode="json")
TEXTS = st.text(min_size=0, max_size=300)
IDS = st.from_regex(r"[a-z][a-z_]{0,60}", fullmatch=True)


@st.composite
def decisions(draw: st.DrawFn) -> Decision:
    data: dict[str, Any] = json.loads(json.dumps(BASE))
    data["triage"] = draw(st.sampled_from(list(Triage)))
    data["care"] = draw(st.one_of(st.none(), st.sampled_from(list(Care))))
    data["red_flags"] = draw(st.dictionaries(IDS, st.sampled_from(["fired", "clear", "unknown"]), max_size=8))
    data["say"] = draw(st.lists(TEXTS, max_size=3))
    data["safety_net"] = draw(st.one_of(st.none(), TEXTS.filter(bool)))
    data["questions"] = [
        {"field": f, "ask": a, "answered_by": None}
        for f, a in draw(st.lists(st.tuples(IDS, TEXTS.filter(bool)), max_size=5))
    ]
    exercise = dict(next(iter(BASE["exercises"].values())).items())
    chosen = draw(st.lists(IDS, max_size=10, unique=True))
    data["exercises"] = {
        e: {
            **exercise,
            "verdict": draw(st.sampled_from(list(Verdict))),
            "say": draw(st.lists(TEXTS, max_size=2)),
        }
        for e in chosen
    }
    return Decision.model_validate(data)


@given(decisions(), st.text(min_size=1, max_size=80))
def test_cards_keep_their_invariants(decision: Decision, hook_instance: str) -> None:
    out = cards(decision, hook_instance, NAMES)
    assert empties({"cards": out}) == []
    assert all(len(card["summary"]) <= 139 and card["summary"] for card in out)
    assert all(card["source"]["label"] == "clinrules glute_bridge_sciatica 2.0.0" for card in out)
    assert len({card["uuid"] for card in out}) == len(out)
    if decision.triage == Triage.URGENT:
        assert [card["indicator"] for card in out] == ["critical"]
        return
    assert all(card["indicator"] != "critical" for card in out)
    warnings = [e for e, d in decision.exercises.items() if d.verdict in WARNING_VERDICTS]
    infos = len(decision.exercises) - len(warnings)
    expected_infos = 1 if infos > MAX_SEPARATE_INFO_CARDS else infos
    assert [c["indicator"] for c in out].count("info") == expected_infos
    questions_card = 1 if decision.triage == Triage.CHECK else 0
    assert [c["indicator"] for c in out].count("warning") == len(warnings) + questions_card
    assert out == cards(decision, hook_instance, NAMES)  # the same decision, the same cards
