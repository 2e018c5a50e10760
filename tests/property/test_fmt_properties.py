"""The formatter keeps meaning and comments, and formatting twice changes nothing.

Three sources of input: random rulesets (tests/strategies.py), every golden
source of tests/golden/parse/ that parses (a `condition` case wrapped in a
define, as tests/test_golden_parse.py does), and every .rules file of the
repository. Random comments are added to all three: comment lines between
declarations and clauses, at any indentation, and comments at line ends.
The blanks and line breaks between tokens are also redrawn at random: the
layout of the input never changes the output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import clinrules
from clinrules.authoring.fmt import format_text, shape
from clinrules.syntax import ast
from tests.conftest import ROOT, examples
from tests.strategies import rulesets
from tests.support.golden import golden_cases
from tests.test_golden_parse import CONDITION_PREFIX, GOLDEN


def comment_texts(rule_file: ast.RuleFile) -> list[str]:
    """The comments' texts in order (the formatter writes \\n line ends, so a \\r goes)."""
    return [c.text.removesuffix("\r") for c in rule_file.comments]


def assert_formats_well(text: str) -> None:
    """fmt(fmt(x)) == fmt(x); parse(fmt(x)) == parse(x) without spans; same comments in order."""
    before = clinrules.parse(text, "prop.rules")
    formatted = format_text(text, "prop.rules")
    after = clinrules.parse(formatted, "prop.rules")
    assert shape(after) == shape(before), formatted
    assert comment_texts(after) == comment_texts(before), formatted
    assert format_text(formatted, "prop.rules") == formatted
    assert formatted.endswith("\n")
    assert not formatted.endswith("\n\n")


def _golden_sources() -> list[str]:
    sources = []
    for _, _, case in golden_cases(GOLDEN):
        text = CONDITION_PREFIX + case["condition"] + "\n" if "condition" in case else case["source"]
        try:
            clinrules.parse(text, "golden.rules")
        except clinrules.RulesetError:
            continue
        sources.append(text)
    return sources


GOLDEN_SOURCES = _golden_sources()
REPO_FILES = sorted(p for p in ROOT.rglob("*.rules") if ".venv" not in p.parts and ".git" not in p.parts)
COMMENT_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp"), blacklist_characters="\n\r"),
    max_size=12,
)


@st.composite
def with_comments(draw: st.DrawFn, text: str) -> str:
    """`text` with random comment lines before some lines and comments at the end of others."""
    lines = []
    for index, line in enumerate(text.split("\n")):
        if draw(st.integers(0, 4)) == 0:
            indent = draw(st.sampled_from(["", "  ", "    ", "\t"]))
            lines.append(f"{indent}# own {index}{draw(COMMENT_TEXT)}")
            if draw(st.integers(0, 3)) == 0:
                lines.append("")
        if line.strip() and draw(st.integers(0, 3)) == 0:
            space = draw(st.sampled_from([" ", "  ", "   ", "\t"]))
            line += f"{space}# end {index}{draw(COMMENT_TEXT)}"
        lines.append(line)
    return "\n".join(lines)


_PIECES = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[ \t\n]+|[^ \t\n"#]+|.')


@st.composite
def relaid(draw: st.DrawFn, text: str) -> str:
    """`text` with every run of blanks and line breaks replaced by another (a comment still ends its line)."""
    pieces = _PIECES.findall(text)
    for index, piece in enumerate(pieces):
        if piece[0] in " \t\n":
            after_comment = index > 0 and pieces[index - 1].startswith("#")
            choices = ["\n", "\n\n  ", "\n   "] if after_comment else [" ", "  ", "\n", "\n  ", "\n\n"]
            pieces[index] = draw(st.sampled_from(choices))
    return "".join(pieces)


def test_the_inputs_exist() -> None:
    assert len(GOLDEN_SOURCES) >= 50
    assert len(REPO_FILES) >= 4


# The formatter's properties run 75 examples in the bounded profile, not 150
# (20 to 60 ms an example, the slowest of the suite): each kind of input is drawn
# by several of them, and every golden source and repository file is also
# formatted as it is by the parametrized tests at the end.
@examples(75)
@given(generated=rulesets())
def test_generated_rulesets_format_well(generated: Any) -> None:
    assert_formats_well(generated.text())


@examples(75)
@given(data=st.data(), generated=rulesets())
def test_generated_rulesets_with_comments_format_well(data: st.DataObject, generated: Any) -> None:
    text = data.draw(with_comments(generated.text()))
    assert_formats_well(text)


@examples(75)
@given(data=st.data(), generated=rulesets())
def test_the_layout_of_the_input_never_matters(data: st.DataObject, generated: Any) -> None:
    text = generated.text()
    assert format_text(data.draw(relaid(text))) == format_text(text)


@examples(75)
@given(data=st.data(), source=st.sampled_from(GOLDEN_SOURCES + [p.read_text("utf-8") for p in REPO_FILES]))
def test_any_layout_with_comments_formats_well(data: st.DataObject, source: str) -> None:
    assert_formats_well(data.draw(relaid(data.draw(with_comments(source)))))


@given(data=st.data(), source=st.sampled_from(GOLDEN_SOURCES))
def test_golden_sources_with_comments_format_well(data: st.DataObject, source: str) -> None:
    assert_formats_well(data.draw(with_comments(source)))


# 50: the slowest (a whole repository file an example), and only a few files to draw.
@examples(50)
@given(data=st.data(), path=st.sampled_from(REPO_FILES))
def test_repository_files_with_comments_format_well(data: st.DataObject, path: Path) -> None:
    assert_formats_well(data.draw(with_comments(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("source", GOLDEN_SOURCES)
def test_every_golden_source_formats_well(source: str) -> None:
    assert_formats_well(source)


@pytest.mark.parametrize("path", REPO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_file_of_the_repository_formats_well(path: Path) -> None:
    assert_formats_well(path.read_text(encoding="utf-8"))
