"""`clinrules doc`: the review page's sections, its sentences, and its determinism."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest

import clinrules
from clinrules import ir
from clinrules.authoring.cases import check_program
from clinrules.authoring.docdecls import VERDICTS
from clinrules.authoring.docgen import _SECTION, page, slug
from clinrules.authoring.docwords import duration, quantity
from clinrules.cli import main
from clinrules.cli.args import chosen_model
from clinrules.decision.result import DISCLAIMER
from clinrules.schema import types as t
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


SECTIONS = [
    "## Review",
    "## Overview",
    "## Red flags",
    "## Rules that stop",
    "## Rules that avoid",
    "## Rules that check first",
    "## Rules that step down",
    "## Rules that lower the dose",
    "## Rules that move up",
    "## Defined terms",
    "## Parameters",
    "## Exercises",
    "## Ladders",
    "## Sources",
    "## Sign-off checklist",
]


def headings(text: str, level: str = "##") -> list[str]:
    return re.findall(rf"^({level} .*)$", text, re.MULTILINE)


def blocks(text: str) -> dict[str, tuple[str, str]]:
    """Each declaration's block by its anchor, with the section (##) it stands in."""
    found: dict[str, tuple[str, str]] = {}
    section = ""
    for part in re.split(r"(?m)^(?=<a id=\"|## )", text):
        if part.startswith("## "):
            section = part.splitlines()[0]
            continue
        match = re.match(r'<a id="([^"]+)"></a>', part)
        if match:
            assert match.group(1) not in found, match.group(1)
            found[match.group(1)] = (section, part)
    return found


def test_the_sections_come_in_the_order_the_decision_is_made(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    assert headings(text, "#")[0] == "# Bridge review"
    assert headings(text) == SECTIONS
    assert "### `cauda_equina`: Possible cauda equina syndrome" in headings(text, "###")
    assert "- Version: 1.2.0" in text
    assert "- Status: draft" in text
    assert "**Not signed off.**" in text
    assert "None: no clinician has reviewed this ruleset yet." in text
    assert DISCLAIMER.replace("*", "") in text.replace("\\", "")
    assert "- Safety net, shown with every decision: none" in text
    # The overview's steps: red flags, which exercises, then each verdict, most restrictive first.
    overview = text.split("## Overview", 1)[1].split("## Red flags", 1)[0]
    steps = re.findall(r"^\d+\. \*\*([^*]+)\*\*", overview, re.MULTILINE)
    assert steps == [
        "[Red flags](#red-flags)",
        "Which exercises.",
        "Stop",
        "Avoid",
        "Check",
        "Regress",
        "Modify",
        "Progress",
        "Allow",
    ]
    for link in re.findall(r"\]\(#([^)]+)\)", overview):
        assert f"## {link.replace('-', ' ')}".lower() in [h.lower() for h in SECTIONS], link


def test_each_rule_is_written_once_under_its_verdict_with_its_sentence(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    found = blocks(text)
    section = {
        "provoked": "## Rules that stop",
        "weak": "## Rules that avoid",
        "stale": "## Rules that check first",
        "easier": "## Rules that step down",
        "sore": "## Rules that lower the dose",
        "ready": "## Rules that move up",
    }
    for rule, heading in section.items():
        assert found[f"rule-{rule}"][0] == heading, rule
        assert text.count(f'<a id="rule-{rule}">') == 1
    provoked = found["rule-provoked"][1]
    assert "Stop the exercise if the last session had `sessions.shooting_pain`." in provoked
    assert "- For: *Glute bridge*\n" in provoked
    assert "- Instead: *Gluteal squeeze*, *Walking*" in provoked
    assert "- If an answer it needs is missing: it counts as **check** (its own `when unknown`)" in provoked
    assert '- Tell the patient: "Stop the bridge for today."' in provoked
    assert "- Note for the clinician: Check the nerve signs." in provoked
    assert "- Sources: `guide` (A guide to sciatica)" in provoked
    sore = found["rule-sore"][1]
    assert 'Lower the dose if 2 of the last 3 sessions had "flare".' in sore
    assert "- Dose: 5 repetitions, partial range of movement" in sore
    assert "- Written for: tagged `strengthening`" in sore
    assert "- Applies to: *Gluteal squeeze*, *Glute bridge*" in sore
    assert "says nothing about a missing answer" in text.split("## Sign-off checklist")[1]
    assert (
        "Check first, before the exercise, if `red_flags.screened_at` is before `screen_max_age` ago." in text
    )
    assert (
        "Move up one rung if every one of the last 3 sessions had `sessions.pain_during` at most "
        "`pain_ceiling`." in text
    )
    assert "- Moves: *Gluteal squeeze* → *Glute bridge*" in text
    assert (
        "Step down one rung if `age` is at least 80 years and `symptoms.side` is one of `both` or `left`."
        in text
    )
    assert (
        "Avoid the exercise if `exam.weakness` includes any of `dorsiflexion` or `knee_extension` "
        "or `exam.weakest_grade` is between 0 and 3." in text
    )
    assert "and **otherwise**: when no rule fires, the exercise is *allow*." in text
    assert (
        '- **"flare"** means: `sessions.next_morning_pain` is at least `sessions.pain_before` plus 2.' in text
    )


def test_red_flags_ask_their_questions_and_the_catalogues_follow(tmp_path: Path) -> None:
    text = doc(RULES, tmp_path)
    flag = blocks(text)["red-flag-cauda_equina"][1]
    assert (
        "Stop all exercise and get emergency care now if `red_flags.saddle_anaesthesia` or "
        "`red_flags.urinary_retention`." in flag
    )
    asked = re.findall(r"^    - (.*)$", flag, re.MULTILINE)
    assert [re.search(r"\[`([^`]+)`\]", q).group(1) for q in asked] == [  # type: ignore[union-attr]
        "red_flags.saddle_anaesthesia",
        "red_flags.urinary_retention",
    ]
    assert all(q.endswith("(answered by the patient)") for q in asked)
    assert "| `guide` | A guide to sciatica | Praxis | 2024 | https://example.org/guide |" in text
    assert "| `pain_ceiling` | - | 2 | 2 to 5 | none (whole number) |" in text
    assert "| `screen_max_age` | - | 24 | 1 to 48 | hours (whole number) |" in text
    assert (
        "| Gluteal squeeze | `glute_squeeze` | `isometric`, `strengthening` | "
        "10 repetitions, hold 6 to 7 seconds, rest 2 to 3 seconds |" in text
    )
    assert (
        "| Glute bridge | `glute_bridge` | `strengthening` | "
        "8 to 10 repetitions, 2 sets, 1 to 2 times a day, full range of movement |" in text
    )
    assert "- `bridge`: *Gluteal squeeze* → *Glute bridge*" in text


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
    flag = blocks(text)["red-flag-cauda_equina"][1]
    assert (
        'Stop all exercise and get emergency care now if "cauda equina signs" or `symptoms.bilateral_new`.'
        in flag
    )
    start_low = blocks(text)["rule-start_low"][1]
    assert 'Step down one rung if "radiating pain below knee".' in start_low
    assert "- For: *Glute bridge with brace*" in start_low
    assert "- Moves: *Glute bridge with brace* → *Partial-range glute bridge*" in start_low
    rs = clinrules.load(LANGUAGE / "glute_bridge.rules", allow_draft=True)
    assert page(rs.program).splitlines()[0] == "# Glute bridge safety in sciatica"


def test_text_from_the_rule_file_is_escaped(tmp_path: Path) -> None:
    text = doc(RULES.replace('"Leg symptoms"', '"Leg *symptoms* | <b>"'), tmp_path)
    assert "### `provoked`: Leg \\*symptoms\\* \\| \\<b\\>\n" in text


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
    assert "Avoid the exercise if `red_flags.osteoporosis_or_steroids` and `new_episode`." in text
    assert "- Instead: *Walking*, *Cycling*" in text  # each target is offered the others, never itself
    assert (
        "Avoid the exercise if any session within 4 days had "
        "(the session time at or after 24 hours ago and `sessions.shooting_pain`)." in text
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


# ---------------------------------------------------------------- the page as the algorithm a clinician signs

GOLDEN = ROOT / "tests" / "golden" / "doc"
SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
OLD_SHIPPED_LINES = 1465  # the page of the shipped ruleset when it listed the rules under every exercise


def golden_page() -> str:
    program, _warnings = check_program(GOLDEN / "review.rules", "tests/golden/doc/review.rules")
    return page(program)


def shipped() -> tuple[ir.Program, str]:
    program, _warnings = check_program(SHIPPED, "rulesets/sciatica/glute_bridge.rules")
    return program, page(program)


def test_the_golden_review_page_is_the_page_whole() -> None:
    # After a deliberate change of the page: write golden_page() to tests/golden/doc/review.md and read the diff.
    assert golden_page() == (GOLDEN / "review.md").read_text(encoding="utf-8")


def test_the_shipped_page_is_shorter_and_names_every_rule_once_under_its_verdict() -> None:
    program, text = shipped()
    # 2.0.0 has more rules than the 1.0.0 page counted, and each is written once: still shorter.
    assert len(text.splitlines()) < OLD_SHIPPED_LINES
    found = blocks(text)
    for rule in program.rules:
        assert text.count(f'<a id="rule-{rule.id}">') == 1
        assert text.count(f"### `{rule.id}`") == 1
        section, block = found[f"rule-{rule.id}"]
        assert section == "## " + _SECTION[rule.verdict], rule.id
        # Every target by its name, on the rule's own lines.
        targets = next(line for line in block.splitlines() if line.startswith(("- For: ", "- Applies to: ")))
        named = targets.split(": ", 1)[1].split(", ")
        names = [f"*{program.exercises[x].name}*" for x in rule.targets.exercises]
        assert sorted(named) == sorted(names), rule.id  # each once, in rung order (no decision depends on it)
    order = [h for h in headings(text) if h.startswith("## Rules that")]
    assert order == ["## " + _SECTION[v] for v in VERDICTS if any(r.verdict == v for r in program.rules)]


def test_every_target_form_is_listed_as_written_and_resolved() -> None:
    text = golden_page()
    found = blocks(text)
    assert "- Written for: every exercise, except *Walking*" in found["rule-provoked"][1]
    assert (
        "- Written for: ladder `bridge` above *Lying glute squeeze* (*Partial bridge* → *Glute bridge with brace*)"
        in found["rule-earn_the_rung"][1]
    )
    assert "- Applies to: *Partial bridge*, *Glute bridge with brace*" in found["rule-earn_the_rung"][1]
    assert "- Written for: tagged `strengthening`, except tagged `gentle`" in found["rule-painful_days"][1]
    assert "- Move up to *Glute bridge with brace*" not in text  # a `to` is a sentence, not a list item
    assert "Move up to *Glute bridge with brace* if" in found["rule-ready"][1]
    # No exercise that has a name is ever named by its id alone.
    program, _ = check_program(GOLDEN / "review.rules", "review.rules")
    prose = re.sub(r"(?m)^\| .*$", "", text)  # the exercise table gives each id beside its name
    for exercise in program.exercises:
        assert f"`{exercise}`" not in prose, exercise


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("provoked", "the sessions within 24 hours of the exercise itself"),
        ("step_down", "the last session of *Walking*"),
        ("any_flare", "the last 3 sessions of any exercise"),
        (
            "after_adverse",
            "the sessions within 48 hours on this ladder (for *Lying glute squeeze*, *Partial bridge*, "
            "*Glute bridge with brace*: *Lying glute squeeze*, *Partial bridge*, *Glute bridge with brace*)",
        ),
        (
            "after_adverse",
            "the sessions within 48 hours on a lower rung (for *Lying glute squeeze*: none; for *Partial bridge*: "
            "*Lying glute squeeze*; for *Glute bridge with brace*: *Lying glute squeeze*, *Partial bridge*)",
        ),
        (
            "earn_the_rung",
            "the sessions within `retrial_days` on the rung below (for *Partial bridge*: *Lying glute squeeze*; "
            "for *Glute bridge with brace*: *Partial bridge*)",
        ),
        (
            "painful_days",
            "the last 3 calendar days (each session's own date) of the exercises tagged `strengthening` "
            "(*Lying glute squeeze*, *Partial bridge*, *Glute bridge with brace*)",
        ),
        ("ready", "the last 3 calendar days (each session's own date) of the exercise itself"),
        ("gate", "none (it reads no session)"),
    ],
)
def test_each_rule_says_what_history_it_reads(rule: str, words: str) -> None:
    block = blocks(golden_page())[f"rule-{rule}"][1]
    read = next(line for line in block.splitlines() if line.startswith("- History read: "))
    assert words in read, read


def test_when_unknown_is_said_for_every_rule_in_its_own_words() -> None:
    found = blocks(golden_page())
    unknown = {
        rule: next(
            line for line in block.splitlines() if line.startswith("- If an answer it needs is missing: ")
        )
        for (rule, (_section, block)) in found.items()
        if rule.startswith("rule-")
    }
    assert unknown["rule-provoked"].endswith(
        "it does not fire (`when unknown ignore`: the author's decision)"
    )
    assert unknown["rule-earn_the_rung"].endswith(
        'it counts as **avoid** (its own `when unknown`); the patient is told: "Tell us how the easier exercise went."'
    )
    assert "(the header's `unknown check`)" in unknown["rule-step_down"]
    assert "so it is never unknown" in unknown["rule-gate"]  # a yes/no parameter is never unknown
    assert "never allow or advance" in unknown["rule-ready"]


def test_every_assumption_is_in_the_checklist_with_its_declaration_and_line() -> None:
    text = golden_page()
    checklist = text.split("## Sign-off checklist", 1)[1]
    boxes = re.findall(r"^- \[ \] (.*)$", checklist, re.MULTILINE)
    program, _ = check_program(GOLDEN / "review.rules", "tests/golden/doc/review.rules")
    source = (GOLDEN / "review.rules").read_text(encoding="utf-8").splitlines()
    written = [
        *((f.id, "red-flag", a.text) for f in program.red_flags for a in f.assumptions),
        *((s.id, "score", a) for s in program.scores.values() for a in s.assumptions),
        *((a.id, "assessment", x) for a in program.assessments.values() for x in a.assumptions),
        *((r.id, "rule", a.text) for r in program.rules for a in r.assumptions),
    ]
    assert len(written) == 4
    for ident, kind, assumption in written:
        box = next(b for b in boxes if b.startswith(assumption))
        assert f"](#{kind}-{ident})" in box
        line = int(re.search(r":(\d+)`\)$", box).group(1))  # type: ignore[union-attr]
        assert f'assumption "{assumption}"' in source[line - 1]
        assert text.count(f"- Assumption: {assumption}") == 1  # and beside its declaration
    assert any(b.startswith("The status is `draft`") for b in boxes)
    assert any(b.startswith("No `reviewed") for b in boxes)


def test_parameters_show_their_titles_and_yes_no_as_yes_no() -> None:
    text = golden_page()
    assert (
        "| `pain_ceiling` | Highest local pain allowed during a session | 2 | 2 to 5 | none (whole number) |"
        in text
    )
    assert (
        "| `harder_approved` | A clinician approved the harder rungs | no | yes or no | none (yes/no) |"
        in text
    )


def test_no_field_path_is_cut_to_its_leaf() -> None:
    program, text = shipped()
    read = {
        n.path
        for decl in (*program.red_flags, *program.rules)
        for n in ir.nodes(decl.condition)
        if isinstance(n, ir.FieldRef) and n.path != "sessions.at"  # the session's time: "the session time"
    }
    nested = {path for path in read if path.count(".") >= 1}
    assert len(nested) > 20
    shown = set(re.findall(r"`([a-z_][a-z0-9_.]*)`", text))
    assert read <= shown  # each field read, by its whole path
    whole = {*program.schema.fields, *(f"sessions.{leaf}" for leaf in program.schema.session_fields)}
    # A value of an enum (the CES items a clinician records as longstanding) may be spelt as a field's leaf.
    values = {
        member
        for info in (*program.schema.fields.values(), *program.schema.session_fields.values())
        for kind in (info.type, getattr(info.type, "item", None))
        if isinstance(kind, t.EnumType)
        for member in kind.members
    }
    leaves = {path.rsplit(".", 1)[-1] for path in nested} - whole - values
    assert leaves
    assert not shown & leaves, shown & leaves  # and never by its leaf alone


@pytest.mark.parametrize("source", ["golden", "shipped", "language"])
def test_anchors_are_unique_and_every_link_of_the_page_finds_its_anchor(source: str) -> None:
    if source == "golden":
        text = golden_page()
    elif source == "shipped":
        text = shipped()[1]
    else:
        text = page(clinrules.load(LANGUAGE / "glute_bridge.rules", allow_draft=True).program)
    ids = re.findall(r'<a id="([^"]+)"></a>', text)
    assert len(ids) == len(set(ids))
    slugs = {slug(h.lstrip("#").strip()) for h in headings(text)}
    assert not slugs & set(ids)
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in slugs or target in ids, target


def test_the_examples_with_assessments_get_pages_that_show_them(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        ("ottawa", "ottawa_model:Patient", "ottawa.rules"),
        ("startback", "startback_model:Patient", "screen.rules"),
        ("parq", "parq_model:Patient", "parq.rules"),
    ]
    for folder, model, rules in examples:
        monkeypatch.chdir(ROOT / "examples" / folder)  # as the Makefile checks them: --model from the folder
        out, err = io.StringIO(), io.StringIO()
        assert main(["doc", "--model", model, rules], out, err) == 0, err.getvalue()
        text = out.getvalue()
        found = blocks(text)
        program, _ = check_program(Path(rules), rules, model=chosen_model(argparse.Namespace(model=model)))
        for assessment in program.assessments.values():
            section, block = found[f"assessment-{assessment.id}"]
            assert section == "## Assessments"
            assert all(f"**`{branch.value}`**" in block for branch in assessment.branches)
        for flag in program.red_flags:
            assert found[f"red-flag-{flag.id}"][0] == "## Red flags"
        assert program.assessments, folder


def test_each_require_is_a_promise_to_prove_in_words_with_its_span() -> None:
    text = golden_page()
    found = blocks(text)
    program, _ = check_program(GOLDEN / "review.rules", "tests/golden/doc/review.rules")
    source = (GOLDEN / "review.rules").read_text(encoding="utf-8").splitlines()
    for r in program.requirements:
        section, block = found[f"require-{r.id}"]
        assert section == "## Promises to prove"
        span = r.where.span
        assert (
            f"`tests/golden/doc/review.rules:{span.line}:{span.column}-{span.end_line}:{span.end_column}`"
            in block
        )
        assert source[span.line - 1].startswith(f"require {r.id}")
        assert "only a definite yes counts" in block
    assert "gets **stop** or stricter (urgent, stop)." in found["require-harder_rungs_stop"][1]
    assert "- For: *Partial bridge*, *Glute bridge with brace*" in found["require-harder_rungs_stop"][1]
    assert "none of these exercises gets **progress**." in found["require-no_walk_progress"][1]
    assert "**check** or more permissive (check, regress, modify, allow, progress)" in text
    # Written order, after the rules: a promise is about their final advice.
    promises = [a for a in found if a.startswith("require-")]
    assert promises == [f"require-{r.id}" for r in program.requirements]
    assert headings(text).index("## Promises to prove") > headings(text).index("## Rules that allow")


def test_a_ruleset_with_no_require_has_no_promises_section(tmp_path: Path) -> None:
    text = (GOLDEN / "review.rules").read_text(encoding="utf-8").split("\nrequire ", 1)[0]
    (tmp_path / "r.rules").write_text(text, encoding="utf-8")
    checked, _ = check_program(tmp_path / "r.rules", "r.rules")
    assert checked.requirements == ()
    assert "## Promises to prove" not in page(checked)
