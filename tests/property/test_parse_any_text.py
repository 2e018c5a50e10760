"""Any text either parses or raises RulesetError whose spans lie inside the text.

Random text rarely gets past the header, so most examples are built from the
language's own words and from mutations of a valid file, which reach deep
into the grammar. Deep nesting and large inputs are drawn too.
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import clinrules
from clinrules.base.diagnostics import CODES
from clinrules.syntax import ast
from clinrules.syntax.grammar import parser
from tests.conftest import ROOT, examples
from tests.support.spans import assert_inside

FUZZ = int(os.environ.get("CLINRULES_FUZZ", "0"))
fuzz = settings(max_examples=FUZZ, suppress_health_check=list(HealthCheck)) if FUZZ else settings()
"""`CLINRULES_FUZZ=N` runs N examples of the fuzz tests instead of the profile's."""

EXAMPLE = (ROOT / "examples" / "language" / "glute_bridge.rules").read_text(encoding="utf-8")
LIBRARY = (ROOT / "examples" / "language" / "red_flags.rules").read_text(encoding="utf-8")

WORDS = sorted(
    {str(t.pattern.value) for t in parser().terminals if t.pattern.type == "str"}
    | {"x", "pain_during", "glute_bridge", "flare", "exam.slr", "2", "1.5", "1.0.0", "2026-01-16"}
    | {'"text"', '"unterminated', "#", "# comment\n", "24 hours", "≥", "\\", "\t", "\x00", "é"}
)
SEPARATORS = st.sampled_from([" ", " ", "\n", "\n  ", "", "\r\n"])


def check(text: str) -> None:
    """Parse `text`; a refusal must be a RulesetError with spans inside the text."""
    refusal: clinrules.RulesetError | None = None
    try:
        result = clinrules.parse(text, "prop.rules")
    except clinrules.RulesetError as error:
        refusal = error
    if refusal is None:
        event("parsed")
        assert isinstance(result, ast.RuleFile)
        return
    event("refused")
    assert refusal.diagnostics
    for diagnostic in refusal.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.message
        assert_inside(text, diagnostic)


@given(st.text())
def test_any_text(text: str) -> None:
    check(text)


@given(
    st.text(alphabet=st.characters(codec="utf-8")).map(lambda t: "ruleset r version 1.0.0 status draft\n" + t)
)
def test_any_text_after_a_valid_header(text: str) -> None:
    check(text)


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=60))
    out = []
    for word in words:
        out.append(word)
        out.append(draw(SEPARATORS))
    prefix = draw(st.sampled_from(["", "ruleset r version 1.0.0 status draft\n", "library l\n"]))
    return prefix + "".join(out)


@given(token_soup())
def test_soup_of_the_languages_words(text: str) -> None:
    check(text)


@st.composite
def mutated_file(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from([EXAMPLE, LIBRARY]))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace"]))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(WORDS)) + draw(SEPARATORS) + text[at:]
        else:
            text = text[:at] + draw(st.sampled_from(WORDS)) + text[at + draw(st.integers(1, 12)) :]
    return text


@given(mutated_file())
def test_mutations_of_a_valid_file(text: str) -> None:
    check(text)


# Deep and large inputs: 60 examples each in the bounded profile, not 150 (up
# to 0.1 s an example; a quarter of them still above half the range), and
# tests/test_parser.py nests 50,000 deep.
@examples(60)
@given(
    st.integers(1, 3_000),
    st.sampled_from(["(", "not ", "(x or ", "the last session had (", "x + ", "-"]),
    st.booleans(),
)
def test_deep_nesting(depth: int, opener: str, closed: bool) -> None:
    closer = ")" * (opener.count("(") * depth) if closed else ""
    check("ruleset r version 1.0.0 status draft\ndefine d: " + opener * depth + "x" + closer + "\n")


@examples(60)
@given(st.integers(1, 2_000), st.sampled_from(["rule a for b: stop if x\n", "rule a for b:\n stp\n", "(\n"]))
def test_large_inputs(repeat: int, block: str) -> None:
    check("ruleset r version 1.0.0 status draft\n" + block * repeat)


def _one_file() -> str:
    """The example and its library as one file, so compile() reaches the checker."""
    body = LIBRARY.split("model sciatica\n", 1)[1]
    return EXAMPLE.replace('include "red_flags.rules"', body)


ONE_FILE = _one_file()


def compile_check(text: str) -> None:
    """compile() either loads or raises RulesetError with spans inside the text."""
    refusal: clinrules.RulesetError | None = None
    try:
        clinrules.compile(text, source_name="prop.rules", allow_draft=True)
    except clinrules.RulesetError as error:
        refusal = error
    if refusal is None:
        event("loaded")
        return
    event("refused: " + ",".join(sorted({d.code[:3] for d in refusal.diagnostics})))
    for diagnostic in refusal.diagnostics:
        assert diagnostic.code in CODES
        assert_inside(text, diagnostic)


def test_the_one_file_example_loads() -> None:
    assert clinrules.compile(ONE_FILE, allow_draft=True).id == "glute_bridge_sciatica"


def _names() -> list[str]:
    from clinrules.models.sciatica import Patient
    from clinrules.schema.reader import schema_of

    schema = schema_of(Patient)
    members = {
        m for f in schema.fields.values() for m in getattr(getattr(f.type, "item", f.type), "members", ())
    }
    return sorted(
        {*schema.leaves, *schema.session_fields, *members, "flare", "pain_ceiling", "walking", "hours"}
    )


NAMES = _names()


@st.composite
def mutated_one_file(draw: st.DrawFn) -> str:
    text = ONE_FILE
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "swap", "rename", "rename"]))
        if kind == "rename":  # a name for another: reaches the checker, past the parser
            words = list(re.finditer(r"\b[a-z_]{3,}\b", text))
            word = draw(st.sampled_from(words))
            text = text[: word.start()] + draw(st.sampled_from(NAMES)) + text[word.end() :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + " " + draw(st.sampled_from(WORDS)) + " " + text[at:]
        elif kind == "replace":
            word = draw(st.sampled_from(WORDS))
            text = text[:at] + word + text[at + len(word) :]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@fuzz
@given(mutated_one_file())
def test_the_checker_never_crashes_on_mutations(text: str) -> None:
    compile_check(text)


@fuzz
@given(token_soup())
def test_the_checker_never_crashes_on_soup(text: str) -> None:
    compile_check(
        text.replace(
            "ruleset r version 1.0.0 status draft\n", "ruleset r version 1.0.0 status draft model sciatica\n"
        )
    )
