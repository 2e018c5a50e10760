"""`clinrules doc`: the review page's sections, its sentences, and its determinism."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import clinrules
from clinrules.authoring.docgen import page
from clinrules.authoring.docwords import duration, quantity
from clinrules.cli import main
from clinrules.decision.result import DISCLAIMER
from tests.conftest import ROOT

LANGUAGE = ROOT / "examples" / "language"

RULES = """\
ruleset bridge_review
  title "Bridge review"
  version 1.2.0
  status draft
  model sciatica

source guide "A guide to sciatica" publisher "Praxis" year 2024 url "https://example.org/guide"

parameter pain_ceiling = 2 between 2 and 5
parameter screen_max_age = 24 hours between 1 hours and 48 hours

exercise glute_squeeze "Gluteal squeeze" tagged strengthening, isometric
  dose hold 6 to 7 s, rest 2 to 3 s, reps 10
exercise glute_bridge "Glute bridge" tagged strengthening
  dose reps 8 to 10, sets 2, daily 1 to 2 times, range full
exercise walking "Walking" tagged aerobic

ladder bridge: glute_squeeze, glute_bridge

define flare:
  next_morning_pain >= pain_before + 2

red flag cauda_equina "Possible cauda equina syndrome":
  urgent if saddle_anaesthesia or urinary_retention
  care emergency
  say "Stop all exercise and get emergency care now."
  cite guide

rule provoked "Leg symptoms" for glute_bridge:
  stop if the last session had shooting_pain
  instead glute_squeeze, walking
  say "Stop the bridge for today."
  note "Check the nerve signs."
  cite guide
  when unknown check

rule sore for tagged strengthening:
  modify if 2 of the last 3 sessions had flare
  dose reps 5, range partial

rule stale for every exercise:
  check if screened_at < now - screen_max_age

rule ready for glute_squeeze:
  progress if every one of the last 3 sessions had pain_during <= pain_ceiling

rule easier for glute_bridge:
  regress if age >= 80 years and side in {left, both}

rule weak for glute_bridge:
  avoid if weakness includes any of {knee_extension, dorsiflexion} or weakest_grade between 0 and 3

otherwise allow
"""


def doc(text: str, tmp_path: Path, name: str = "bridge.rules") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["doc", str(path)], out, err) == 0, err.getvalue()
    return out.getvalue()


def test_the_page_has_every_section(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    headings = re.findall(r"^(#+ .*)$", text, re.MULTILINE)
    assert headings[0] == "# Bridge review"
    for section in (
        "## Review",
        "## Sources",
        "## Parameters",
        "## Exercises",
        "## Ladders",
        "## Red flags",
        "## Rules by exercise",
        "## Defined terms",
    ):
        assert section in headings, section
    assert "### Glute bridge (`glute_bridge`)" in headings
    assert "### `cauda_equina`: Possible cauda equina syndrome" in headings
    assert "- Version: 1.2.0" in text
    assert "- Status: draft" in text
    assert "**Not signed off.**" in text
    assert "None: no clinician has reviewed this ruleset yet." in text
    assert DISCLAIMER.replace("*", "") in text.replace("\\", "")


def test_rules_read_as_sentences(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    assert (
        "- **`provoked`** (Leg symptoms): Stop *Glute bridge* if the last session had shooting pain." in text
    )
    assert "  - Instead: Gluteal squeeze (`glute_squeeze`), Walking (`walking`)" in text
    assert "  - If this cannot be judged: check" in text
    assert '  - Tell the patient: "Stop the bridge for today."' in text
    assert "  - Note for the clinician: Check the nerve signs." in text
    assert "  - Sources: `guide` (A guide to sciatica)" in text
    assert 'Lower the dose of *Glute bridge* if 2 of the last 3 sessions had "flare".' in text
    assert "  - Dose: 5 repetitions, partial range of movement" in text
    assert (
        "Check first (ask the missing questions) before *Walking* if screened at is before "
        "screen max age ago." in text
    )
    assert (
        "Move up from *Gluteal squeeze* to *Glute bridge* if every one of the last 3 sessions "
        "had pain during at most pain ceiling." in text
    )
    assert (
        "Step down from *Glute bridge* to *Gluteal squeeze* if age is at least 80 years "
        "and side is one of both or left." in text
    )
    assert (
        "Avoid *Glute bridge* if weakness includes any of dorsiflexion or knee extension "
        "or weakest grade is between 0 and 3." in text
    )
    assert "**Otherwise**, when no rule applies: Allow *Walking*." in text
    assert '- **"flare"** means: next morning pain is at least pain before plus 2.' in text


def test_red_flags_catalogue_and_parameters(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    assert "Stop all exercise and get emergency care now if saddle anaesthesia or urinary retention." in text
    assert "| `guide` | A guide to sciatica | Praxis | 2024 | https://example.org/guide |" in text
    assert "| `pain_ceiling` | - | 2 | 2 to 5 | none (whole number) |" in text
    assert "| `screen_max_age` | - | 24 | 1 to 48 | hours (whole number) |" in text
    assert (
        "| `glute_squeeze` | Gluteal squeeze | `isometric`, `strengthening` | "
        "10 repetitions, hold 6 to 7 seconds, rest 2 to 3 seconds |" in text
    )
    assert (
        "| `glute_bridge` | Glute bridge | `strengthening` | "
        "8 to 10 repetitions, 2 sets, 1 to 2 times a day, full range of movement |" in text
    )
    assert "- `bridge`: `glute_squeeze` → `glute_bridge`" in text


def test_the_page_is_deterministic_whatever_the_order_of_declarations(tmp_path: Path) -> None:
    first = doc(RULES, tmp_path)
    assert doc(RULES, tmp_path) == first
    head, _, body = RULES.partition("source guide")
    blocks = re.split(
        r"\n(?=rule |red flag |exercise |define |parameter |ladder |otherwise )", "source guide" + body
    )
    reordered = head + "\n".join(reversed(blocks))
    assert reordered != RULES
    second = doc(reordered, tmp_path, "bridge.rules")
    without_digest = [re.sub(r"SHA-256 .*", "", x) for x in (first, second)]
    assert without_digest[0] == without_digest[1]


def test_an_approved_ruleset_lists_its_reviews_without_the_warning(tmp_path: Path) -> None:
    text = RULES.replace("status draft", 'status approved\n  reviewed 2026-01-16 by "Physiotherapy lead"')
    page_text = doc(text, tmp_path)
    assert "- Reviewed 2026-01-16 by Physiotherapy lead" in page_text
    assert "Not signed off" not in page_text


def test_a_retired_ruleset_still_gets_a_page(tmp_path: Path) -> None:
    text = doc(RULES.replace("status draft", "status retired"), tmp_path)
    assert "**Retired.** This ruleset must not be used with patients." in text


def test_the_language_example_with_its_library() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["doc", str(LANGUAGE / "glute_bridge.rules")], out, err) == 0, err.getvalue()
    text = out.getvalue()
    assert "# Glute bridge safety in sciatica" in text
    assert 'Stop all exercise and get emergency care now if "cauda equina signs" or bilateral new.' in text
    assert (
        'Step down from *Glute bridge with brace* to *Partial-range glute bridge* if "radiating pain below knee".'
        in text
    )
    rs = clinrules.load(LANGUAGE / "glute_bridge.rules", allow_draft=True)
    assert page(rs.program).splitlines()[0] == "# Glute bridge safety in sciatica"


def test_text_from_the_rule_file_is_escaped(tmp_path: Path) -> None:
    text = doc(RULES.replace('"Leg symptoms"', '"Leg *symptoms* | <b>"'), tmp_path)
    assert "(Leg \\*symptoms\\* \\| \\<b\\>)" in text


def test_output_file(tmp_path: Path) -> None:
    (tmp_path / "bridge.rules").write_text(RULES, encoding="utf-8")
    target = tmp_path / "bridge.md"
    out, err = io.StringIO(), io.StringIO()
    assert main(["doc", str(tmp_path / "bridge.rules"), "-o", str(target)], out, err) == 0
    assert out.getvalue() == ""
    assert target.read_text(encoding="utf-8") == doc(RULES, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bridge.md", "bridge.rules"]


def test_a_ruleset_with_errors_gets_its_diagnostics_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text(RULES.replace("shooting_pain", "shooting_pian"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["doc", str(path)], out, err) == 1
    assert out.getvalue() == ""
    assert "CR201 unknown field 'shooting_pian'" in err.getvalue()
    assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize("argv", [["doc", "no/such.rules"], ["doc", "."], ["doc"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 2
    assert err.getvalue().startswith("clinrules: error:")


def test_an_output_file_that_cannot_be_written_exits_1(tmp_path: Path) -> None:
    (tmp_path / "bridge.rules").write_text(RULES, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "no" / "such" / "dir" / "page.md"
    assert main(["doc", str(tmp_path / "bridge.rules"), "-o", str(target)], out, err) == 1
    assert "cannot write" in err.getvalue()


def test_a_field_whose_name_holds_a_connective_cannot_be_misread(tmp_path: Path) -> None:
    rules = """\
ruleset connectives
  version 1.0.0
  status draft
  model sciatica
exercise walking "Walking"
exercise cycling "Cycling"
rule fragile for walking, cycling:
  avoid if osteoporosis_or_steroids and new_episode
  instead walking, cycling
rule recent for walking:
  avoid if any session within 4 days had (at >= now - 1 day and shooting_pain)
otherwise allow
"""
    text = doc(rules, tmp_path)
    assert "Avoid *Walking* if *osteoporosis or steroids* and new episode." in text
    assert "  - Instead: Cycling (`cycling`)" in text  # never the exercise itself
    assert "  - Instead: Walking (`walking`)" in text
    assert (
        "Avoid *Walking* if any session within 4 days had "
        "(the session time at or after 24 hours ago and shooting pain)." in text
    )


@pytest.mark.parametrize(
    ("value", "unit", "words"),
    [
        (86400, "s", "24 hours"),
        (3 * 86400, "s", "3 days"),
        (604800, "s", "1 week"),
        (90, "s", "90 seconds"),
        (120, "s", "2 minutes"),
        (50, "years", "50 years"),
        (1, "in", "1 inch"),
        (2.5, "in", "2.5 inches"),
        (30, "%", "30%"),
        (70.0, "kg", "70 kg"),
        (3, None, "3"),
    ],
)
def test_quantities_in_words(value: float, unit: str | None, words: str) -> None:
    assert quantity(value, unit) == words
    if unit == "s":
        assert duration(value) == words
