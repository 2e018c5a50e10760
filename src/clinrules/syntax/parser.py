"""Parse stage: text -> AST, reporting the syntax errors of every declaration at once.

Lark stops at the first error. To report the errors of every block in one
run, the parser resumes after an error at the next line that starts a
declaration (`rule`, `define`, `red flag`, ...), parsing the rest with the
`body` start symbol. The text before the resume point is blanked out rather
than cut off, so every later position is still a position in the original.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser

from clinrules.base.diagnostics import Diagnostic, has_errors, make
from clinrules.base.errors import ArgumentError, RulesetError
from clinrules.base.limits import MAX_ERRORS, MAX_FILE_BYTES
from clinrules.base.span import Span, point_at_end, span_of_offsets
from clinrules.syntax import ast
from clinrules.syntax.controls import control_characters
from clinrules.syntax.grammar import START_BODY, START_FILE, parser
from clinrules.syntax.lark_errors import from_unexpected_characters, from_unexpected_token
from clinrules.syntax.transform import span_of, to_ast

_DECLARATION_START = re.compile(
    r"^[ \t]*(?:include|source|parameter|exercise|ladder|define|red[ \t]+flag|rule|otherwise)\b",
    re.MULTILINE,
)
_ONLY_COMMENTS = re.compile(r"\A(?:\s|#[^\n]*)*\Z")
_NOT_NEWLINE = re.compile(r"[^\n]")


@functools.cache
def _literals() -> Mapping[str, str]:
    """Terminal name -> its text, for the terminals that are fixed words or signs."""
    from lark.lexer import PatternStr

    return {t.name: t.pattern.value for t in parser().terminals if isinstance(t.pattern, PatternStr)}


def parse(text: str, file: str = "<inline>") -> ast.RuleFile:
    """Parse a rule file's text into its AST.

    Args:
        text: the whole file.
        file: the name used in diagnostics.

    Returns:
        The file's syntax tree, every node with its span.

    Raises:
        RulesetError: the text is not a str, is empty, too large, holds an
            invisible character, or has syntax errors; `.diagnostics` lists
            all of them.
        ArgumentError: `file` is not a str.
    """
    if not isinstance(file, str):
        raise ArgumentError(f"file must be a str, not {type(file).__name__}")
    if not isinstance(text, str):
        raise RulesetError([make("CR002", "rule text must be a str", file, Span(1, 1, 1, 1))])
    diagnostics = check_input(text, file)
    if diagnostics:
        raise RulesetError(diagnostics)
    tree, diagnostics = _parse_with_recovery(text, file)
    if tree is None or has_errors(diagnostics):
        raise RulesetError(diagnostics)
    rule_file, diagnostics = to_ast(tree, file, text)
    if rule_file is None or has_errors(diagnostics):
        raise RulesetError(diagnostics)
    return rule_file


def too_large(file: str) -> Diagnostic:
    """CR003 for a file over `MAX_FILE_BYTES`."""
    return make(
        "CR003",
        f"the file is larger than the limit of {MAX_FILE_BYTES // 1024} KiB",
        file,
        Span(1, 1, 1, 1, 0, 0),
        "split it into a ruleset and libraries that it includes",
    )


def check_input(text: str, file: str) -> list[Diagnostic]:
    """The CR0xx checks a text must pass before it is parsed."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return [too_large(file)]
    hidden = control_characters(text, file)
    if hidden:
        return hidden
    if _ONLY_COMMENTS.match(text):
        return [
            make(
                "CR001",
                "the file is empty: it has no header and no declarations",
                file,
                Span(1, 1, 1, 1, 0, 0),
                "start it with a header such as:  ruleset my_rules  version 1.0.0  status draft",
            )
        ]
    return []


def _parse_with_recovery(text: str, file: str) -> tuple[Tree[Token] | None, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    position, start = 0, START_FILE
    while True:
        source = text if position == 0 else _NOT_NEWLINE.sub(" ", text[:position]) + text[position:]
        outcome = _parse_once(source, start, file)
        if isinstance(outcome, Tree):
            return (outcome if not diagnostics else None), diagnostics
        diagnostic, error_offset = outcome
        diagnostics.append(diagnostic)
        resume = _resume_point(text, error_offset, position, start)
        if len(diagnostics) >= MAX_ERRORS:
            stop = resume if resume is not None else len(text)
            diagnostics.append(
                make(
                    "CR005",
                    f"{MAX_ERRORS} errors found; the file was not read from here on",
                    file,
                    span_of_offsets(text, stop, stop),
                    "fix these errors and run the check again",
                )
            )
            return None, diagnostics
        if resume is None:
            return None, diagnostics
        position, start = resume, START_BODY


def _resume_point(text: str, error_offset: int, position: int, start: str) -> int | None:
    """The next declaration start at or after the error that makes progress."""
    for match in _DECLARATION_START.finditer(text, error_offset if error_offset > 0 else 0):
        offset = match.end() - len(match.group().lstrip())
        if offset >= error_offset and (offset > position or start == START_FILE):
            return offset
    # The error may sit inside a declaration whose start lies before it.
    return None


_DECLARATION_WORDS = frozenset(
    {"include", "source", "parameter", "exercise", "ladder", "define", "red", "rule", "otherwise"}
)
_CLAUSE_WORDS = frozenset({"instead", "dose", "say", "note", "cite", "when", "care"})


def _parse_once(source: str, start: str, file: str) -> Tree[Token] | tuple[Diagnostic, int]:
    try:  # the quick path; a failure is parsed again step by step, to say what went wrong
        tree: Tree[Token] = parser().parse(source, start=start)
        return tree
    except UnexpectedInput:
        return _parse_stepwise(source, start, file)


def _parse_stepwise(source: str, start: str, file: str) -> Tree[Token] | tuple[Diagnostic, int]:
    interactive = parser().parse_interactive(source, start=start)
    fed: Token | None = None  # the last token the parser accepted
    pending: Token | None = None  # the token being fed now
    swallowed: Token | None = None  # a declaration word at a line start, read as a name
    try:
        for token in interactive.iter_parse():
            fed, pending = pending, token
            if token in _DECLARATION_WORDS | _CLAUSE_WORDS and token.start_pos is not None:
                line_start = source.rfind("\n", 0, token.start_pos) + 1
                starts_line = not source[line_start : token.start_pos].strip()
                swallowed = token if token.type == "NAME" and starts_line else None
        result: Tree[Token] = interactive.feed_eof(pending)  # type: ignore[no-untyped-call]
        return result
    except UnexpectedToken as error:
        found: Token = error.token
        offset = found.start_pos
        if swallowed is not None and swallowed is not found:
            unfinished = _unfinished_before(source, start, file, swallowed)
            if unfinished is not None:
                return unfinished
        # A parser error is about `pending`; a lexer error comes after it, and
        # then the lexer's own set (which always holds NAME) is not what the
        # parser expects.
        if found is pending:
            before = fed
            expected = _expected_at(source, start, offset) or set(error.expected)
        else:
            before, expected = pending, _acceptable(interactive)
        return (
            from_unexpected_token(found, expected, before, source, file, _literals()),
            offset if offset is not None else len(source),
        )
    except UnexpectedCharacters as error:
        return from_unexpected_characters(error, source, file), error.pos_in_stream or 0
    except UnexpectedInput as error:  # any other Lark input error, never a crash
        return (
            make("CR101", "this text could not be read as a rule file", file, point_at_end(source)),
            int(getattr(error, "pos_in_stream", None) or len(source)),
        )


def _acceptable(interactive: InteractiveParser) -> set[str]:
    return {t for t in interactive.accepts() if t.isupper() or t == "$END"}  # type: ignore[no-untyped-call]


def _expected_at(source: str, start: str, offset: int | None) -> set[str] | None:
    """The terminals that may stand at `offset`, exactly.

    LALR merges look-ahead sets, so after a failed token the parser may have
    reduced on it and its own list can name tokens that never fit there.
    Parsing the text before the token again and asking which terminals the
    parser accepts gives the exact set. Errors are rare, so the cost is fine.
    """
    if offset is None:
        return None
    interactive = parser().parse_interactive(source[:offset], start=start)
    try:
        for _token in interactive.iter_parse():
            pass
    except UnexpectedInput:
        return None
    return _acceptable(interactive)


def _unfinished_before(source: str, start: str, file: str, keyword: Token) -> tuple[Diagnostic, int] | None:
    """Report a declaration or clause left unfinished before a line that starts a new one.

    Where a name may stand, `rule` or `say` is read as a name, so `stop if x
    and` on one line and `rule ...` on the next fail only later, far from the
    real mistake. Parsing the text up to the keyword finds what was missing;
    None when that does not end in a missing part (the keyword really was a
    name), and the error is reported where it was found.
    """
    offset = keyword.start_pos or 0
    outcome = _parse_once(source[:offset], start, file)
    if isinstance(outcome, Tree) or outcome[0].code != "CR104":
        return None
    message = outcome[0].message.replace("but the file ends here", f"found '{keyword}'")
    what = "clause" if keyword in _CLAUSE_WORDS else "declaration"
    hint = f"'{keyword}' at the start of a line begins a new {what}; finish the one before it first"
    return make("CR101", message, file, span_of(keyword), hint), offset
