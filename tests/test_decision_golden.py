"""Golden decisions: every case of every shipped and example case file gives the JSON it gave before.

The decision's JSON is a contract (contracts.md section 4): a change to how
a decision is built inside must not change one byte of it. For each case of
each `*.cases.yaml` under `rulesets/` and `examples/`, the case is evaluated
three ways (with its trace; without, with its text; with `recheck=False`)
and the texts an app reads are hashed together: `model_dump_json()`, the
CLI's `json.dumps(model_dump(mode="json"), indent=2)` and `explain()`. A
refused patient is hashed as its problems. `tests/golden/decisions/` keeps
one compact digest per case (`<case file>.json`) and, for the first cases of
each file that gives one of each triage, its full JSON (`<case file>.full.json`),
so a failure shows what changed.

Regenerate after a deliberate change to the JSON, then read the diff before committing:
`CLINRULES_REGENERATE_DECISIONS=1 PYTHONPATH=src .venv/bin/pytest -q tests/test_decision_golden.py`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest

from clinrules.authoring.cases import Case, load_ruleset, read_case_file
from clinrules.base.errors import PatientDataError
from clinrules.models import find_model
from clinrules.ruleset import RuleSet
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "decisions"
CASE_FILES = sorted(
    path.relative_to(ROOT) for top in ("rulesets", "examples") for path in (ROOT / top).rglob("*.cases.yaml")
)
CLOCK = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
REGENERATE = os.environ.get("CLINRULES_REGENERATE_DECISIONS") == "1"


def _golden_name(case_file: Path) -> str:
    return str(case_file).replace("/", "__").removesuffix(".cases.yaml")


def _ruleset(case_file: Path) -> tuple[RuleSet, tuple[Case, ...]]:
    read = read_case_file(ROOT / case_file, str(case_file))
    model = None
    if read.model is not None:
        directory = read.root or (ROOT / case_file).resolve().parent
        model = (find_model(read.model, directory, only_beside=True), read.model)
    ruleset = load_ruleset(read.ruleset, read.ruleset_shown, beneath=read.root, model=model)
    return ruleset, read.cases


def decision_texts(ruleset: RuleSet, case: Case) -> dict[str, str]:
    """The texts an app reads of the case's decisions, by what they are."""
    as_of = case.as_of
    if as_of is None and not (isinstance(case.patient, dict) and "as_of" in case.patient):
        as_of = CLOCK  # a case that leaves the time to the clock: fixed here, or the digest would change
    asked = (case.patient, case.exercises, case.parameters, as_of)
    try:
        traced = ruleset.evaluate(*asked, explain=True)
    except PatientDataError as error:
        return {"refused": json.dumps(sorted(error.problems))}
    plain = ruleset.evaluate(*asked)
    quick = ruleset.evaluate(*asked, recheck=False)
    return {
        "traced.json": traced.model_dump_json(),
        "traced.cli": json.dumps(traced.model_dump(mode="json"), indent=2, ensure_ascii=False),
        "traced.text": traced.explain(),
        "plain.json": plain.model_dump_json(),
        "plain.cli": json.dumps(plain.model_dump(mode="json"), indent=2, ensure_ascii=False),
        "plain.text": plain.explain(),
        "no_recheck.json": quick.model_dump_json(),
    }


def digest(texts: dict[str, str]) -> str:
    """A compact digest of the texts (96 bits of SHA-256: enough to tell any change)."""
    hashed = hashlib.sha256()
    for key, text in sorted(texts.items()):
        for part in (key, text):
            data = part.encode("utf-8")
            hashed.update(len(data).to_bytes(8, "big"))
            hashed.update(data)
    return hashed.hexdigest()[:24]


def _first_of_each_triage(cases: tuple[Case, ...], texts: list[dict[str, str]]) -> dict[str, str]:
    """The JSON with its trace of the first case of each triage (and the first refused), by case index."""
    chosen: dict[str, str] = {}
    kinds: set[str] = set()
    for case, case_texts in zip(cases, texts, strict=True):
        shown = case_texts.get("refused") or case_texts["traced.json"]
        kind = "refused" if "refused" in case_texts else json.loads(shown)["triage"]
        if kind not in kinds:
            kinds.add(kind)
            chosen[str(case.index)] = shown
    return chosen


@pytest.mark.parametrize("case_file", CASE_FILES, ids=str)
def test_every_case_gives_the_decision_json_it_gave_before(case_file: Path) -> None:
    ruleset, cases = _ruleset(case_file)
    texts = [decision_texts(ruleset, case) for case in cases]
    digests = {str(case.index): digest(t) for case, t in zip(cases, texts, strict=True)}
    full = _first_of_each_triage(cases, texts)
    name = _golden_name(case_file)
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / f"{name}.json").write_text(json.dumps(digests, indent=0) + "\n")
        (GOLDEN / f"{name}.full.json").write_text(json.dumps(full, indent=1, ensure_ascii=False) + "\n")
    expected_full = json.loads((GOLDEN / f"{name}.full.json").read_text(encoding="utf-8"))
    assert full == expected_full  # a few cases whole, so a failure shows the change
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    changed = sorted(key for key in expected.keys() | digests.keys() if expected.get(key) != digests.get(key))
    assert not changed, f"{len(changed)} of {len(expected)} decisions changed, first: {changed[:5]}"


def test_the_golden_cases_hold_decisions_of_every_kind() -> None:
    # Without these the comparison would miss the parts of a decision that cost the most to build.
    seen = {"urgent": 0, "check": 0, "clear": 0, "trace": 0, "recheck_at": 0, "scores": 0, "refused": 0}
    for case_file in CASE_FILES:
        full = json.loads((GOLDEN / f"{_golden_name(case_file)}.full.json").read_text(encoding="utf-8"))
        digests = json.loads((GOLDEN / f"{_golden_name(case_file)}.json").read_text(encoding="utf-8"))
        assert len(digests) >= len(full) > 0
        for shown in full.values():
            decision = json.loads(shown)
            if isinstance(decision, list):
                seen["refused"] += 1
                continue
            seen[decision["triage"]] += 1
            seen["trace"] += bool(decision.get("trace"))
            seen["recheck_at"] += decision["recheck_at"] is not None
            seen["scores"] += bool(decision["scores"])
    assert all(
        seen[kind] for kind in ("urgent", "check", "clear", "trace", "recheck_at", "scores", "refused")
    ), seen


def test_no_golden_file_is_left_without_a_case_file() -> None:
    names = {_golden_name(path) for path in CASE_FILES}
    stored = {path.name.removesuffix(".full.json").removesuffix(".json") for path in GOLDEN.glob("*.json")}
    assert stored == names
