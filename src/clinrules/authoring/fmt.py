"""Format stage: AST + comments -> the one canonical layout of a rule file.

The formatter prints from the syntax tree, never by editing the text, so its
output parses to the same tree as its input and formatting twice changes
nothing. The text is used only to place comments, the one thing the tree does
not hold in place: the output is a list of items (a declaration's head, a
header line, a verdict line, a clause, ...), each remembering the source
offsets of what it prints. A comment that shares a line with an item's text
goes at the end of that item's line; a comment on its own line goes on its own
line before the item that followed it. docs/formatting.md describes the layout.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from clinrules.authoring.fmtcomments import Item as _Item
from clinrules.authoring.fmtcomments import attach as _attach
from clinrules.authoring.fmtcomments import comment_text as _comment
from clinrules.authoring.fmtcomments import render as _render
from clinrules.authoring.fmtnames import INDENT as INDENT
from clinrules.authoring.fmtnames import WIDTH as WIDTH
from clinrules.authoring.fmtnames import target_words as _target_words
from clinrules.authoring.fmtnames import targets as _targets
from clinrules.authoring.fmtnames import wrap_names as _wrap_names
from clinrules.base.errors import ClinrulesError, FormatError
from clinrules.base.span import Span
from clinrules.syntax import ast
from clinrules.syntax.parser import parse

CONTINUATION = "    "

_OR, _AND, _NOT, _TEST = 1, 2, 3, 4  # precedence levels, loosest first


def format_text(text: str, file: str = "<inline>") -> str:
    """Parse a rule file and return it in the canonical layout.

    Args:
        text: the whole file.
        file: the name used in diagnostics.

    Returns:
        The formatted text, ending with one newline.

    Raises:
        RulesetError: the text has syntax errors; nothing is formatted.
        FormatError: the result would parse to a different tree or lose a
            comment (a bug in the formatter; nothing is formatted).
    """
    rule_file = parse(text, file)
    formatted = format_rule_file(rule_file, text)
    # A rewritten rule file must mean what it meant: checked on every run,
    # not only in the tests, because a silent change to a red flag is the
    # one failure a formatter must never have.
    try:
        again = parse(formatted, file)
    except ClinrulesError as error:
        raise FormatError(
            f"{file}: the formatted text would not parse ({error}); file left as it was"
        ) from None
    if shape(again) != shape(rule_file) or _comment_texts(again) != _comment_texts(rule_file):
        raise FormatError(
            f"{file}: formatting would change the file's meaning or comments; file left as it was"
        )
    return formatted


def shape(node: Any) -> Any:
    """A syntax node without its spans, its file name and its comments: what formatting keeps."""
    if isinstance(node, Span):
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        names = (f.name for f in dataclasses.fields(node) if f.name not in ("span", "file", "comments"))
        return (type(node).__name__, *(shape(getattr(node, name)) for name in names))
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    return node


def _comment_texts(rule_file: ast.RuleFile) -> list[str]:
    return [_comment(c) for c in rule_file.comments]


def format_rule_file(rule_file: ast.RuleFile, text: str) -> str:
    """Print a parsed file in the canonical layout, keeping every comment.

    Args:
        rule_file: the file's syntax tree, as `parse` made it from `text`.
        text: the text it was parsed from (to place the comments).

    Returns:
        The formatted text, ending with one newline.
    """
    items = _file_items(rule_file)
    end_comments = _attach(items, rule_file.comments, text)
    return _render(items, end_comments, text)


# ---------------------------------------------------------------- conditions


def quote(value: str) -> str:
    """A text in double quotes, with `"` and `\\` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def expr(node: ast.Expr) -> str:
    """An expression as text: numbers as written with their unit, names as written."""
    match node:
        case ast.Number(text=text, unit=unit):
            return f"{text} {unit}" if unit else text
        case ast.Now():
            return "now"
        case ast.Ref(text=text, kind=kind):
            return quote(text) if kind is ast.RefKind.QUOTED else text
        case ast.Arithmetic(op=op, left=left, right=right):
            return f"{expr(left)} {op} {expr(right)}"
        case ast.CountOf(items=items):
            return "count of (" + ", ".join(condition(c) for c in items) + ")"
    raise TypeError(node)


def condition(node: ast.Condition) -> str:
    """A condition on one line, with the parentheses its structure needs.

    Two more are kept because clinicians misread their absence: an `and`
    inside an `or`, and whatever `not` applies to unless it is a bare name.
    `a or (b and c)` and `not (weakness is empty)` say what they mean.
    """
    match node:
        case ast.AnyOf(items=items):
            return " or ".join(_operand(c, _NOT) for c in items)
        case ast.AllOf(items=items):
            return " and ".join(_operand(c, _NOT) for c in items)
        case ast.Not(operand=operand):
            if isinstance(operand, ast.Truth):
                return "not " + condition(operand)
            return f"not ({condition(operand)})"
        case ast.Truth(expr=e):
            return expr(e)
        case ast.Compare(op=op, left=left, right=right):
            return f"{expr(left)} {op} {expr(right)}"
        case ast.Between(value=v, low=low, high=high):
            return f"{expr(v)} between {expr(low)} and {expr(high)}"
        case ast.IsValue(value=v, member=m, negated=negated):
            return f"{expr(v)} is {'not ' if negated else ''}{_member(m)}"
        case ast.IsKnown(value=v, negated=negated):
            return f"{expr(v)} is {'unknown' if negated else 'known'}"
        case ast.IsEmpty(value=v, negated=negated):
            return f"{expr(v)} is {'not ' if negated else ''}empty"
        case ast.InSet(value=v, members=members):
            return f"{expr(v)} in {_members(members)}"
        case ast.Includes(value=v, members=members, any_of=any_of):
            if any_of:
                return f"{expr(v)} includes any of {_members(members)}"
            return f"{expr(v)} includes {_member(members[0])}"
        case ast.History():
            return _history(node)
    raise TypeError(node)


def _level(node: ast.Condition) -> int:
    if isinstance(node, ast.AnyOf):
        return _OR
    if isinstance(node, ast.AllOf):
        return _AND
    return _NOT if isinstance(node, ast.Not) else _TEST


def _operand(node: ast.Condition, tightest: int) -> str:
    """`node` where a condition of level `tightest` or tighter may stand, in parentheses if looser."""
    text = condition(node)
    return f"({text})" if _level(node) < tightest else text


def _member(value: ast.EnumValue) -> str:
    return quote(value.name) if value.quoted else value.name


def _members(values: tuple[ast.EnumValue, ...]) -> str:
    return "{" + ", ".join(_member(v) for v in values) + "}"


def scope_words(scope: ast.SessionScope | None) -> str:
    """A scope as written, with a space in front; empty for none."""
    return (
        ""
        if scope is None
        else " " + ast.SCOPE_WORDS[scope.kind].format(scope.name.name if scope.name else "")
    )


def _history(node: ast.History) -> str:
    """A session-history form: `session` where one session is meant, else `sessions`; or `days`."""
    of = f"{node.exercise.name} " if node.exercise is not None else ""
    n = node.last if node.last is not None else 1
    scope = scope_words(node.scope)
    sessions = f"{of}{'session' if n == 1 else 'sessions'}{scope}"
    if node.days:
        sessions = f"days{scope}"
    match node.quantifier:
        case ast.Quantifier.LAST:
            head = f"the last {of}session{scope}"
        case ast.Quantifier.ANY_OF_LAST:
            head = f"any of the last {n} {sessions}"
        case ast.Quantifier.COUNT_OF_LAST:
            head = f"{node.count} of the last {n} {sessions}"
        case ast.Quantifier.EVERY_OF_LAST:
            head = f"every one of the last {n} {sessions}"
        case ast.Quantifier.ANY_WITHIN | ast.Quantifier.NONE_WITHIN:
            word = "any" if node.quantifier is ast.Quantifier.ANY_WITHIN else "no"
            window = expr(node.window) if node.window is not None else ""
            head = f"{word} {of}session{scope} within {window}"
    return f"{head} had {_operand(node.condition, _NOT)}"


def wrap(prefix: str, node: ast.Condition) -> list[str]:
    """`prefix` and a condition, as lines of at most `WIDTH` characters where possible.

    A condition too long for one line is wrapped at its top-level `and` or
    `or`: each continuation line is indented four spaces and starts with the
    operator, and every line holds as many operands as fit. A test still too
    long (a long sum, `item_1 + item_2 + ... >= 5`) is wrapped before its
    top-level `+` and `-` in the same way, two spaces deeper inside an
    `and`/`or`. A name or a parenthesised operand is never split, so a line
    can still be longer than `WIDTH`.
    """
    line = prefix + condition(node)
    if len(line) <= WIDTH:
        return [line]
    if not isinstance(node, ast.AnyOf | ast.AllOf):
        if _counts(node):  # a long `count of (...)`: one item a line
            pieces = _pieces(node)
            return [prefix + pieces[0], *(CONTINUATION + piece for piece in pieces[1:])]
        return _filled(prefix, _pieces(node), CONTINUATION)
    op = "or" if isinstance(node, ast.AnyOf) else "and"
    lines: list[str] = []
    joinable = False  # an operand after a wrapped sum starts its own line
    for index, item in enumerate(node.items):
        operand = _operand(item, _NOT)
        head = f"{CONTINUATION}{op} " if index else prefix
        if joinable and len(f"{lines[-1]} {op} {operand}") <= WIDTH:
            lines[-1] += f" {op} {operand}"
        elif len(head + operand) <= WIDTH or _level(item) < _TEST:
            lines.append(head + operand)
        else:
            wrapped = _filled(head, _pieces(item), CONTINUATION + INDENT)
            lines += wrapped
            joinable = len(wrapped) == 1
            continue
        joinable = True
    return lines


def _filled(head: str, pieces: list[str], indent: str) -> list[str]:
    """`head` and the pieces joined by spaces, a new line (indented by `indent`) where one would not fit."""
    lines = [head + pieces[0]]
    for piece in pieces[1:]:
        if len(f"{lines[-1]} {piece}") <= WIDTH:
            lines[-1] += " " + piece
        else:
            lines.append(indent + piece)
    return lines


def _pieces(node: ast.Condition) -> list[str]:
    """A test's text cut before each top-level `+` and `-` of its values; joined by spaces, the text."""
    match node:
        case ast.Compare(op=op, left=left, right=right):
            return _glued(_terms(left), op, _terms(right))
        case ast.Between(value=v, low=low, high=high):
            return _glued(_glued(_terms(v), "between", _terms(low)), "and", _terms(high))
        case (
            ast.IsValue(value=v)
            | ast.IsKnown(value=v)
            | ast.IsEmpty(value=v)
            | ast.InSet(value=v)
            | ast.Includes(value=v)
        ):
            terms, rest = _terms(v), condition(node)[len(expr(v)) :]
            return [*terms[:-1], terms[-1] + rest]
        case ast.Truth(expr=e):
            return _terms(e)
    return [condition(node)]


def _terms(e: ast.Expr) -> list[str]:
    """`a + b - c` as `["a", "+ b", "- c"]` (the grammar nests a sum to the left); a count item by item."""
    if isinstance(e, ast.CountOf):
        items = [condition(c) for c in e.items]
        return [f"count of ({items[0]},", *(f"{i}," for i in items[1:-1]), f"{items[-1]})"][: len(items)]
    terms: list[str] = []
    while isinstance(e, ast.Arithmetic):
        terms.append(f"{e.op} {expr(e.right)}")
        e = e.left
    return [expr(e), *reversed(terms)]


def _counts(node: ast.Condition) -> bool:
    """Whether a test compares a `count of (...)` of more than one item."""
    match node:
        case ast.Compare(left=left, right=right):
            return any(isinstance(e, ast.CountOf) and len(e.items) > 1 for e in (left, right))
        case ast.Between(value=v):
            return isinstance(v, ast.CountOf) and len(v.items) > 1
    return False


def _glued(left: list[str], word: str, right: list[str]) -> list[str]:
    return [*left[:-1], f"{left[-1]} {word} {right[0]}", *right[1:]]


# ---------------------------------------------------------------- items


def _head(text: str, start: int, end: int) -> _Item:
    return _Item([text], start, end, "")


def _line(text: str, span: Span) -> _Item:
    return _Item([INDENT + text], span.start, span.end, INDENT)


def _file_items(rule_file: ast.RuleFile) -> list[_Item]:
    header = rule_file.header
    items = [_head(f"{header.kind.value} {header.id.name}", header.span.start, header.id.span.end)]
    items += [_line(_header_line(line), line.span) for line in header.lines]
    for declaration in rule_file.declarations:
        items += _declaration(declaration)
    return items


def _header_line(line: ast.HeaderLine) -> str:
    if line.key == "title":
        return f"title {quote(line.value)}"
    if line.key == "reviewed" and line.by is not None:
        return f"reviewed {line.value} by {quote(line.by.value)}"
    if line.key == "unknown" and line.verdict is not None:
        return f"unknown {_verdict(line.verdict)}"
    if line.key == "safety_net":
        return f"safety net {quote(line.value)}"
    return f"{line.key} {line.value}"


def _names(idents: tuple[ast.Ident, ...]) -> str:
    return ", ".join(i.name for i in idents)


def _verdict(verdict: ast.Verdict) -> str:
    return f"{verdict.word} to {verdict.target.name}" if verdict.target is not None else verdict.word


def _title(title: ast.Text | None) -> str:
    return f" {quote(title.value)}" if title is not None else ""


def _declaration(d: ast.Declaration) -> list[_Item]:
    """The items of one declaration: its head, then its indented lines."""
    start = d.span.start
    match d:
        case ast.Include(path=path):
            return [_head(f"include {quote(path.value)}", start, d.span.end)]
        case ast.Source(id=i, title=title, attrs=attrs):
            head = _head(f"source {i.name} {quote(title.value)}", start, title.span.end)
            return [head, *(_line(_source_attr(a), a.span) for a in attrs)]
        case ast.Parameter(id=i, default=default, low=low, high=high, title=title):
            text = f"parameter {i.name}{_title(title)} = {expr(default)} between {expr(low)} and {expr(high)}"
            return [_head(text, start, d.span.end)]
        case ast.FlagParameter(id=i, default=flag, title=title):
            return [
                _head(f"parameter {i.name}{_title(title)} = {'yes' if flag else 'no'}", start, d.span.end)
            ]
        case ast.Score(id=i, title=title, items=items, clauses=clauses):
            end = title.span.end if title is not None else i.span.end
            head = _head(f"score {i.name}{_title(title)}:", start, end)
            scored = [
                _Item(wrap(f"{INDENT}{x.points} if ", x.condition), x.span.start, x.span.end, INDENT)
                for x in items
            ]
            return [head, *scored, *(_line(_clause(x), x.span) for x in clauses)]
        case ast.Assess(id=i, title=title, branches=branches, otherwise=other, clauses=clauses):
            end = title.span.end if title is not None else i.span.end
            out = [_head(f"assess {i.name}{_title(title)}:", start, end)]
            for branch in (*branches, *([other] if other is not None else [])):
                if branch.condition is None:
                    out.append(_line(f"otherwise {branch.value.name}", branch.value.span))
                else:
                    shown = wrap(f"{INDENT}{branch.value.name} if ", branch.condition)
                    out.append(_Item(shown, branch.span.start, branch.condition.span.end, INDENT))
                # a branch's own words sit under it, deeper than the assessment's cite
                out += [
                    _Item([CONTINUATION + _clause(x)], x.span.start, x.span.end, CONTINUATION)
                    for x in branch.clauses
                ]
            return out + [_line(_clause(x), x.span) for x in clauses]
        case ast.Exercise(id=i, name=name, tags=tags, dose=dose):
            tagged = f" tagged {_names(tags)}" if tags else ""
            end = tags[-1].span.end if tags else name.span.end
            head = _head(f"exercise {i.name} {quote(name.value)}{tagged}", start, end)
            return [head] + ([_line(_dose(dose), dose.span)] if dose is not None else [])
        case ast.Ladder(id=i, rungs=rungs):
            lines = _wrap_names(f"ladder {i.name}: ", [r.name for r in rungs], "")
            return [_Item(lines, start, d.span.end, "")]
        case ast.Define(phrase=phrase, condition=c):
            words = quote(phrase.text) if phrase.quoted else phrase.text
            body = _Item(wrap(INDENT, c), c.span.start, c.span.end, INDENT)
            return [_head(f"define {words}:", start, phrase.span.end), body]
        case ast.RedFlag(id=i, title=title, verdict=v, condition=c, clauses=clauses):
            end = title.span.end if title is not None else i.span.end
            head = _head(f"red flag {i.name}{_title(title)}:", start, end)
            return [head, _verdict_line(v, c), *(_line(_clause(x), x.span) for x in clauses)]
        case ast.Rule(id=i, title=title, targets=targets, verdict=v, condition=c, clauses=clauses):
            lines = [f"rule {i.name}{_title(title)} for {_targets(targets)}:"]
            if len(lines[0]) > WIDTH:
                lines = [
                    f"rule {i.name}{_title(title)}",
                    *_wrap_names(INDENT + "for ", _target_words(targets), ":"),
                ]
            head = _Item(lines, start, targets.span.end, "")
            return [head, _verdict_line(v, c), *(_line(_clause(x), x.span) for x in clauses)]
        case ast.Otherwise(verdict=v):
            return [_head(f"otherwise {_verdict(v)}", start, d.span.end)]
        case ast.Require(id=i, title=title, condition=c):
            end = title.span.end if title is not None else i.span.end
            head = _head(f"require {i.name}{_title(title)}:", start, end)
            body_start = min(c.span.start, d.targets.span.start)
            return [head, _Item(_require_body(d), body_start, d.span.end, INDENT)]
    raise TypeError(d)


def _require_body(node: ast.Require) -> list[str]:
    """`C implies TARGETS at least V` on one line, else `implies ...` under C; `no T V when C` wrapped as a rule's C."""
    verdict = _verdict(node.verdict)
    if node.bound is None:
        return wrap(f"{INDENT}no {_targets(node.targets)} {verdict} when ", node.condition)
    tail = f"implies {_targets(node.targets)} {node.bound.value} {verdict}"
    line = f"{INDENT}{condition(node.condition)} {tail}"
    return [line] if len(line) <= WIDTH else [*wrap(INDENT, node.condition), CONTINUATION + tail]


def _source_attr(attr: ast.SourceAttr) -> str:
    return f"{attr.key} {attr.value if attr.key == 'year' else quote(attr.value)}"


def _verdict_line(verdict: ast.Verdict, node: ast.Condition) -> _Item:
    lines = wrap(f"{INDENT}{_verdict(verdict)} if ", node)
    return _Item(lines, verdict.span.start, max(verdict.span.end, node.span.end), INDENT)


def _dose(dose: ast.Dose) -> str:
    return "dose " + ", ".join(_dose_item(item) for item in dose.items)


def _dose_item(item: ast.DoseItem) -> str:
    if item.word is not None or item.low is None:
        return f"{item.attribute} {item.word}"
    amount = item.low.text + (f" to {item.high.text}" if item.high is not None else "")
    if item.attribute == "daily":
        return f"daily {amount} times"
    if item.attribute == "load":
        return f"load {amount} % bodyweight"
    return f"{item.attribute} {amount}" + (f" {item.unit}" if item.unit else "")


def _clause(clause: ast.Clause) -> str:
    match clause:
        case ast.Instead(exercises=exercises):
            return f"instead {_names(exercises)}"
        case ast.Dose():
            return _dose(clause)
        case ast.Say(text=text):
            return f"say {quote(text.value)}"
        case ast.Note(text=text):
            return f"note {quote(text.value)}"
        case ast.Cite(sources=sources):
            return f"cite {_names(sources)}"
        case ast.WhenUnknown(verdict=None):
            return "when unknown ignore"
        case ast.WhenUnknown(verdict=v, say=say) if v is not None:
            return f"when unknown {_verdict(v)}" + (
                f" say {quote(say.text.value)}" if say is not None else ""
            )
        case ast.Assumption(text=text):
            return f"assumption {quote(text.value)}"
        case ast.Care(level=level):
            return f"care {level.name}"
    raise TypeError(clause)
