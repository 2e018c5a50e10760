"""Highlighting: the Pygments lexer and the TextMate grammar agree with the language's keywords."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Error

from clinrules.authoring.lexer import KEYWORDS, ClinrulesLexer
from clinrules.syntax.grammar import parser
from tests.conftest import ROOT

GRAMMAR_KEYWORDS = {
    str(t.pattern.value)
    for t in parser().terminals
    if t.pattern.type == "str" and str(t.pattern.value).isalpha()
}
RULE_FILES = sorted(p for p in ROOT.rglob("*.rules") if ".venv" not in p.parts)


def test_the_lexer_knows_every_keyword_of_the_grammar() -> None:
    assert KEYWORDS == GRAMMAR_KEYWORDS


def test_pygments_finds_the_lexer_through_its_entry_point() -> None:
    assert isinstance(get_lexer_by_name("clinrules"), ClinrulesLexer)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_rule_file_lexes_without_error_tokens(path: Path) -> None:
    tokens = list(ClinrulesLexer().get_tokens(path.read_text(encoding="utf-8")))
    assert [value for kind, value in tokens if kind is Error] == []


def test_the_textmate_grammar_is_valid_json_and_covers_the_keywords() -> None:
    grammar = json.loads((ROOT / "editors" / "clinrules.tmLanguage.json").read_text(encoding="utf-8"))
    assert grammar["scopeName"] == "source.clinrules"
    patterns = json.dumps(grammar)
    covered = set(re.findall(r"[a-z]+", " ".join(re.findall(r"\\\\b\(([a-z|]+)\)\\\\b", patterns))))
    assert covered >= GRAMMAR_KEYWORDS, sorted(GRAMMAR_KEYWORDS - covered)
    for pattern in re.findall(r'"(?:match|begin|end)": "((?:[^"\\]|\\.)*)"', patterns):
        re.compile(json.loads(f'"{pattern}"'))
