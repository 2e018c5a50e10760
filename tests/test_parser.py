"""Unit tests of the parse stage: the examples, spans, limits, recovery, the grammar file."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from lark import Lark, Token, Tree

import clinrules
from clinrules.base.limits import MAX_ERRORS, MAX_FILE_BYTES, MAX_NESTING
from clinrules.syntax import ast
from clinrules.syntax.grammar import START_BODY, START_FILE, grammar_path, parser
from tests.conftest import ROOT
from tests.support.spans import assert_inside, position_inside

HEADER = "ruleset r version 1.0.0 status draft\n"


def codes(text: str) -> list[str]:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.parse(text, "t.rules")
    for diagnostic in raised.value.diagnostics:
        assert_inside(text, diagnostic)
    return [d.code for d in raised.value.diagnostics]


def walk(node: object) -> list[object]:
    """Every AST node and value below `node`, iteratively."""
    found: list[object] = []
    stack = [node]
    while stack:
        item = stack.pop()
        found.append(item)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif isinstance(item, tuple):
            stack.extend(item)
    return found


# ---------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.rules")), ids=lambda p: p.name)
def test_shipped_examples_parse(path: Path) -> None:
    parsed = clinrules.parse(path.read_text(encoding="utf-8"), str(path))
    assert parsed.declarations


def test_example_spans_point_at_their_text() -> None:
    text = (ROOT / "examples" / "language" / "glute_bridge.rules").read_text(encoding="utf-8")
    parsed = clinrules.parse(text, "glute_bridge.rules")
    rules = {d.id.name: d for d in parsed.declarations if isinstance(d, ast.Rule)}
    weakness = rules["weakness"]
    assert text[weakness.span.start : weakness.span.end].startswith('rule weakness "Motor weakness"')
    assert text[weakness.id.span.start : weakness.id.span.end] == "weakness"
    condition = weakness.condition
    assert isinstance(condition, ast.Includes)
    assert text[condition.span.start : condition.span.end] == (
        "weakness includes any of {knee_extension, dorsiflexion, plantarflexion}"
    )
    line = text.split("\n")[condition.span.line - 1]
    assert line[condition.span.column - 1 :].startswith("weakness includes")


def test_every_node_has_a_span_inside_the_text_and_no_lark_object_escapes() -> None:
    text = (ROOT / "tests" / "golden" / "parse" / "spec_example.yaml").read_text(encoding="utf-8")
    source = text.split("source: |\n", 1)[1].split("\n  ast:", 1)[0]
    source = "\n".join(line[4:] for line in source.split("\n"))
    parsed = clinrules.parse(source, "spec.rules")
    nodes = walk(parsed)
    with_span = [n for n in nodes if dataclasses.is_dataclass(n) and hasattr(n, "span")]
    assert len(with_span) > 100
    for node in with_span:
        span = node.span  # type: ignore[attr-defined]
        assert position_inside(source, span.line, span.column), node
        assert position_inside(source, span.end_line, span.end_column), node
        assert 0 <= span.start <= span.end <= len(source), node
    for value in nodes:
        assert not isinstance(value, Tree | Token), value
        if isinstance(value, str):
            assert type(value) is str or isinstance(
                value, ast.RefKind | ast.Quantifier | ast.FileKind | ast.TargetKind
            )


def test_comments_are_kept_with_their_spans() -> None:
    text = HEADER + '# first\nrule a for b: stop if x  # second\n  say "# not a comment"\n'
    parsed = clinrules.parse(text)
    assert [c.text for c in parsed.comments] == ["# first", "# second"]
    assert parsed.comments[1].span.line == 3


def test_crlf_line_endings_and_tabs() -> None:
    text = "ruleset r\r\n\tversion 1.0.0\r\n\tstatus draft\r\nrule a for b:\r\n\tstop if x > 2\r\n"
    parsed = clinrules.parse(text)
    rule = parsed.declarations[0]
    assert isinstance(rule, ast.Rule)
    assert rule.condition.span.line == 5


def test_text_escapes() -> None:
    parsed = clinrules.parse(HEADER + 'rule a for b: stop if x say "a \\"quoted\\" word \\\\ here"\n')
    rule = parsed.declarations[0]
    assert isinstance(rule, ast.Rule)
    say = rule.clauses[0]
    assert isinstance(say, ast.Say)
    assert say.text.value == 'a "quoted" word \\ here'


def test_numbers_keep_int_and_float_apart() -> None:
    parsed = clinrules.parse(HEADER + "parameter a = 2 between 1 and 5.5\n")
    parameter = parsed.declarations[0]
    assert isinstance(parameter, ast.Parameter)
    assert type(parameter.default.value) is int
    assert type(parameter.high.value) is float


# ---------------------------------------------------------------- limits


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    text = HEADER + "#" * MAX_FILE_BYTES
    assert codes(text) == ["CR003"]


def test_multibyte_text_counts_in_bytes() -> None:
    text = HEADER + "# " + "é" * (MAX_FILE_BYTES // 2)
    assert codes(text) == ["CR003"]


@pytest.mark.parametrize(
    "condition",
    [
        "not " * (MAX_NESTING + 1) + "x",
        " + ".join(["x"] * (MAX_NESTING + 2)) + " > 1",
        "the last session had (" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1),
        "(x and " * (MAX_NESTING + 1) + "y" + ")" * (MAX_NESTING + 1),
    ],
    ids=["not", "arithmetic", "had", "and"],
)
def test_conditions_nested_too_deep_are_refused(condition: str) -> None:
    assert codes(HEADER + f"define d: {condition}\n") == ["CR004"]


def test_nesting_at_the_limit_is_accepted() -> None:
    clinrules.parse(HEADER + "define d: " + "not " * (MAX_NESTING - 1) + "x\n")


@pytest.mark.parametrize("depth", [1_000, 50_000])
def test_very_deep_input_never_reaches_the_recursion_limit(depth: int) -> None:
    assert codes(HEADER + "define d: " + "not " * depth + "x\n") == ["CR004"]
    assert codes(HEADER + "define d: " + "(x or " * depth + "y" + ")" * depth + "\n") == ["CR004"]


def test_redundant_parentheses_add_no_depth() -> None:
    clinrules.parse(HEADER + "define d: " + "(" * 500 + "x" + ")" * 500 + "\n")


def test_a_long_flat_chain_is_not_deep() -> None:
    clinrules.parse(HEADER + "define d: " + " or ".join(f"x{i}" for i in range(5_000)) + "\n")


def test_too_many_errors_stop_the_run() -> None:
    text = HEADER + "rule a for b:\n  stp if x\n" * (MAX_ERRORS + 20)
    found = codes(text)
    assert found.count("CR101") == MAX_ERRORS
    assert found[-1] == "CR005"


# ---------------------------------------------------------------- recovery


def test_errors_in_every_block_are_reported_in_one_run() -> None:
    text = (
        HEADER
        + "rule a for b:\n  stp if x\n"  # line 2-3
        + "define fine: y\n"
        + "rule c for b\n  stop if x\n"  # line 5-6
        + "exercise e Walking\n"  # line 7
        + "rule d for b: stop if z\n"
    )
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.parse(text)
    assert [(d.code, d.line) for d in raised.value.diagnostics] == [("CR101", 3), ("CR101", 6), ("CR101", 7)]


def test_an_error_in_the_header_does_not_hide_later_ones() -> None:
    text = "ruleset r version 1.0 status draft\nrule a for b:\n  stp if x\n"
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.parse(text)
    assert [(d.code, d.line) for d in raised.value.diagnostics] == [("CR101", 1), ("CR101", 3)]


def test_ruleset_error_summarises_the_first_error() -> None:
    with pytest.raises(clinrules.RulesetError) as raised:
        clinrules.parse(HEADER + "rule a for b:\n  stp if x\nrule c for b: stp if y\n", "f.rules")
    assert str(raised.value).startswith("f.rules:3:3: CR101")
    assert "1 more error" in str(raised.value)


# ---------------------------------------------------------------- the grammar file


def test_grammar_is_read_from_the_checkout_in_a_development_install() -> None:
    assert grammar_path() == ROOT / "grammar" / "clinrules.lark"


def test_no_two_terminals_collide_in_any_lexer_state() -> None:
    # strict mode refuses regex collisions and shift/reduce conflicts.
    Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        strict=True,
        start=[START_FILE, START_BODY],
        postlex=parser().options.postlex,
    )


def test_every_alternative_is_named() -> None:
    grammar = grammar_path().read_text(encoding="utf-8")
    rules = re.findall(r"^([?!]?)([a-z_]+):(.*?)(?=^\S|\Z)", grammar, re.MULTILINE | re.DOTALL)
    assert len(rules) > 20
    for prefix, name, body in rules:
        body = re.sub(r"//[^\n]*", "", body)
        alternatives = re.split(r"\n\s*\|", body)
        if len(alternatives) == 1 and name not in ("start", "body"):
            continue
        for alternative in alternatives:
            symbols = alternative.split("->")[0].split()
            passes_through = prefix == "?" and len(symbols) == 1
            assert "->" in alternative or passes_through, f"{name}: {alternative.strip()}"


def test_the_words_reserved_after_a_name_are_exactly_those_the_parser_reserves() -> None:
    from clinrules.syntax.transform import RESERVED_AFTER_NAME

    keywords = {str(t.pattern.value) for t in parser().terminals if t.pattern.type == "str"}
    reserved = set()
    for word in sorted(k for k in keywords if k.isalpha()):
        try:
            parsed = clinrules.parse(HEADER + f"define d: alpha {word} beta\n")
        except clinrules.RulesetError:
            reserved.add(word)
            continue
        define = parsed.declarations[0]
        assert isinstance(define, ast.Define)
        if not (
            isinstance(define.condition, ast.Truth)
            and define.condition.expr
            == ast.Ref(
                f"alpha {word} beta",
                ast.RefKind.WORDS,
                define.condition.expr.span,  # type: ignore[union-attr]
            )
        ):
            reserved.add(word)
    assert reserved == RESERVED_AFTER_NAME


def test_the_parser_comes_from_the_package_and_reads_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinrules.syntax import grammar

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    grammar.parser.cache_clear()
    try:
        made = grammar.parser()
    finally:
        grammar.parser.cache_clear()
    assert grammar.TABLES_FILE.parent == Path(grammar.__file__).resolve().parent
    assert list(tmp_path.iterdir()) == []
    assert made.options.cache is False
