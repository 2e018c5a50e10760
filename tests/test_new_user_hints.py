"""Issue 16, points 2-4: the stumbles of a new user's first hour, one test each.

Phrases that a condition could not read back are refused at the define
(CR114); a bare name that is both a patient field and a session field needs
its path (CR211); and the hints of the errors met first say how to fix them,
suggesting only words that could stand where the mistake is.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

import clinrules
from clinrules.base.diagnostics import Diagnostic
from clinrules.cli import main
from clinrules.syntax.grammar import START_FILE, parser
from clinrules.syntax.lark_errors import known_units
from clinrules.syntax.transform import CONDITION_START_WORDS
from tests.conftest import ROOT

HEADER = "ruleset r\n  version 1.0.0\n  status draft\n  model sciatica\n"
AS_OF = "2026-11-21T08:00:00Z"


def _errors(text: str, model: type[BaseModel] | None = None) -> list[Diagnostic]:
    try:
        if model is None:
            clinrules.compile(text, allow_draft=True)
        else:
            clinrules.compile(text, model=model, allow_draft=True)
    except clinrules.RulesetError as error:
        return list(error.diagnostics)
    return []


def _only(text: str, code: str, model: type[BaseModel] | None = None) -> Diagnostic:
    found = [d for d in _errors(text, model) if d.severity.name == "ERROR"]
    assert [d.code for d in found] == [code], [str(d) for d in found]
    return found[0]


# ---------------------------------------------------------------- 2. phrases that cannot be read back

MISREAD = (
    HEADER
    + """exercise walking "Walking"
define improving:
  diagnosis_confirmed
define {phrase}:
  age > 60
rule hold_back for walking:
  avoid if {use}
otherwise allow
"""
)
HELD_BACK = {"age": 70, "diagnosis_confirmed": True}
"""The author's phrase holds for this patient; `not (improving)` does not."""


def test_a_define_starting_with_not_is_refused_at_the_define_not_read_as_not_at_its_use() -> None:
    text = MISREAD.format(phrase="not improving", use="not improving")
    error = _only(text, "CR114")
    assert (error.line, error.column) == (8, 8)  # the define's phrase, not the rule's use on line 11
    assert error.hint is not None
    assert 'define "not improving"' in error.hint


def test_the_quoted_phrase_is_the_fix_and_holds_the_patient_back() -> None:
    text = MISREAD.format(phrase='"not improving"', use='"not improving"')
    ruleset = clinrules.compile(text, allow_draft=True)
    decision = ruleset.evaluate(HELD_BACK, as_of=AS_OF)
    assert decision.exercises["walking"].verdict is clinrules.Verdict.AVOID
    # What the unquoted text meant before this check: `not (improving)`, which allowed her.
    misread = clinrules.compile(MISREAD.format(phrase='"other"', use="not improving"), allow_draft=True)
    assert misread.evaluate(HELD_BACK, as_of=AS_OF).exercises["walking"].verdict is clinrules.Verdict.ALLOW


@pytest.mark.parametrize("word", sorted(CONDITION_START_WORDS))
def test_every_word_that_begins_a_condition_is_refused_first_in_a_phrase(word: str) -> None:
    for phrase in (f"{word} general yes", word):
        text = HEADER + f'exercise walking "Walking"\ndefine {phrase}:\n  fever\notherwise allow\n'
        error = _only(text, "CR114")
        assert error.line == 6


def test_a_condition_word_later_in_a_phrase_needs_no_quotes() -> None:
    text = (
        HEADER + 'exercise walking "Walking"\ndefine pain not better:\n  age > 60\n'
        "rule a for walking: avoid if pain not better\notherwise allow\n"
    )
    assert _errors(text) == []


def test_the_condition_start_words_are_exactly_those_the_parser_reads_as_keywords_there() -> None:
    interactive = parser().parse_interactive(HEADER + "define x: ", start=START_FILE)
    for _token in interactive.iter_parse():
        pass
    literals = {t.name: str(t.pattern.value) for t in parser().terminals if t.pattern.type == "str"}
    accepted = {literals[n] for n in interactive.accepts() if n in literals}  # type: ignore[no-untyped-call]
    assert {w for w in accepted if w.isalpha()} == CONDITION_START_WORDS


# ---------------------------------------------------------------- 3. one name, one meaning


class _Flags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chest_pain: bool | None = None


class _Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: str
    at: AwareDatetime
    chest_pain: bool | None = None
    dizzy: bool | None = None


class Twice(BaseModel):
    """`chest_pain` is a patient field (red_flags.chest_pain) and a session field; `dizzy` is both, top-level."""

    model_config = ConfigDict(extra="forbid")

    as_of: AwareDatetime | None = None
    dizzy: bool | None = None
    red_flags: _Flags = Field(default_factory=_Flags)
    sessions: list[_Visit] = Field(default_factory=list)


TWICE = 'ruleset r\n  version 1.0.0\n  status draft\nexercise walking "Walking"\n{body}\notherwise allow\n'


@pytest.mark.parametrize(
    "body",
    [
        "rule a for walking: avoid if the last session had chest_pain",
        "define sore: chest_pain\nrule a for walking: avoid if the last session had sore",
        "rule a for walking: avoid if chest_pain",
    ],
    ids=["inside had", "in a define", "in a rule"],
)
def test_a_name_of_a_patient_field_and_a_session_field_needs_its_path(body: str) -> None:
    error = _only(TWICE.format(body=body), "CR211", Twice)
    assert error.hint is not None
    assert "sessions.chest_pain" in error.hint
    assert "red_flags.chest_pain" in error.hint


def test_the_paths_say_which_and_check_clean() -> None:
    body = (
        "define sore: sessions.chest_pain or red_flags.chest_pain\n"
        "rule a for walking: avoid if red_flags.chest_pain or the last session had sore\n"
        "rule b for walking: stop if the last session had sessions.chest_pain"
    )
    ruleset = clinrules.compile(TWICE.format(body=body), model=Twice, allow_draft=True)
    patient = {"red_flags": {"chest_pain": True}}
    assert ruleset.evaluate(patient, as_of=AS_OF).exercises["walking"].verdict is clinrules.Verdict.AVOID


def test_a_top_level_patient_field_is_its_own_path_outside_had_only() -> None:
    outside = TWICE.format(body="rule a for walking: avoid if dizzy")
    assert _errors(outside, Twice) == []
    inside = TWICE.format(body="rule a for walking: avoid if the last session had dizzy")
    error = _only(inside, "CR211", Twice)
    assert error.hint is not None
    assert "sessions.dizzy" in error.hint


# ---------------------------------------------------------------- 4. hints that help

RULE = HEADER + 'exercise walking "Walking"\notherwise allow\n'


@pytest.mark.parametrize("word", ["true", "false", "yes", "no"])
def test_a_yes_no_field_compared_with_true_says_that_it_stands_alone(word: str) -> None:
    error = _only(RULE + f"rule a for walking: avoid if fever = {word}\n", "CR201")
    assert error.hint is not None
    assert "'fever'" in error.hint
    assert "'not fever'" in error.hint


def test_a_yes_no_field_after_is_says_that_it_stands_alone() -> None:
    error = _only(RULE + "rule a for walking: avoid if fever is true\n", "CR302")
    assert error.hint is not None
    assert "not red_flags.fever" in error.hint


def test_a_number_in_an_unquoted_phrase_is_not_offered_a_keyword() -> None:
    error = _only(RULE + "define item 9 scores: fever\n", "CR101")
    assert error.hint is not None
    assert "cite" not in error.hint
    assert '"item 9 scores"' in error.hint


def test_at_least_is_not_offered_last_but_the_form_that_says_it() -> None:
    text = RULE + "rule a for walking: avoid if at least 2 of the last 3 sessions had shooting_pain\n"
    error = _only(text, "CR101")
    assert error.hint is not None
    assert "'last'" not in error.hint
    assert ">=" in error.hint


def test_a_misspelt_keyword_read_as_a_name_is_still_named_where_it_fits() -> None:
    text = RULE + 'rule a for walking: avoid if acute_flare\n  sya "rest"\n'
    error = _only(text, "CR101")
    assert error.hint == "'sya' was read as a name; did you mean 'say'?"


def test_a_bound_in_a_smaller_unit_says_it_is_not_a_whole_number_of_the_unit() -> None:
    error = _only(RULE + "parameter wait = 2 weeks between 1 day and 6 weeks\n", "CR304")
    assert "weeks" in error.message
    assert error.hint is not None
    assert "14 days between 1 day and 42 days" in error.hint


def test_a_unit_word_the_language_lacks_is_named_as_no_unit_with_the_units_there_are() -> None:
    error = _only(RULE + "rule a for walking: avoid if age < 18 mos\n", "CR101")
    assert error.hint is not None
    assert {"days", "weeks", "months", "years"} <= set(known_units())
    assert all(unit in error.hint for unit in known_units())


def _test(*paths: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", *map(str, paths)], out, err)
    return code, err.getvalue()


def test_a_rule_file_given_to_test_names_its_case_files() -> None:
    code, err = _test(ROOT / "rulesets" / "sciatica" / "glute_bridge.rules")
    assert code == 1
    assert "not valid YAML" not in err
    assert "boundaries.cases.yaml" in err
    assert "scenarios.cases.yaml" in err


def test_a_rule_file_without_case_files_is_named_as_one(tmp_path: Path) -> None:
    rules = tmp_path / "ankle.txt"
    rules.write_text(RULE, encoding="utf-8")
    code, err = _test(rules)
    assert code == 1
    assert "not valid YAML" not in err
    assert "ankle.cases.yaml" in err


def test_a_misspelt_unit_is_offered_a_unit() -> None:
    error = _only(RULE + "rule a for walking: avoid if age > 50 yeras\n", "CR101")
    assert error.hint == "did you mean the unit 'years'?"
