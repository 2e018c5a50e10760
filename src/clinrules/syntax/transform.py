"""Transform stage: Lark parse tree -> clinrules AST. The only place a Lark tree exists.

The transformer is non-recursive, so a deeply nested condition can never hit
Python's recursion limit here; instead each node's nesting depth is tracked
and a condition deeper than `MAX_NESTING` is refused with CR004, which also
protects every later, recursive stage. Checks that need only the text of a
token (dates, escapes, whole-number counts, plain ids) are made here too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from lark import Token, Tree
from lark.tree import Meta
from lark.visitors import v_args

from clinrules.base.diagnostics import Diagnostic
from clinrules.base.span import Span
from clinrules.syntax import ast
from clinrules.syntax.transform_history import HistoryToAst, span_of

__all__ = ["CONDITION_START_WORDS", "RESERVED_AFTER_NAME", "ToAst", "comments_of", "span_of", "to_ast"]
_ESCAPE = re.compile(r"\\(.)")
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")

RESERVED_AFTER_NAME = frozenset(
    {"and", "or", "is", "in", "between", "includes"}
    | {"instead", "dose", "say", "note", "cite", "when", "care", "assumption"}
    | {"include", "source", "parameter", "exercise", "ladder", "define", "red", "rule", "otherwise"}
    | {"score", "assess", "require", "implies"}
)
"""Words that are keywords right after a name in a condition: a phrase that
holds one cannot be written without quotes (tests check this set against
the parser)."""

CONDITION_START_WORDS = frozenset({"not", "the", "any", "no", "every", "now", "count"})
"""Words that are keywords where a condition starts: a phrase that begins
with one would be read as `not ...`, `the last session ...` or `now ...` at
every use, so it must be quoted (tests check this set against the parser)."""
_COMMENT_OR_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*')


def comments_of(text: str) -> tuple[ast.Comment, ...]:
    """Every `#` comment of `text`, found outside quoted texts."""
    from clinrules.base.span import span_of_offsets

    return tuple(
        ast.Comment(m.group(), span_of_offsets(text, m.start(), m.end()))
        for m in _COMMENT_OR_STRING.finditer(text)
        if m.group().startswith("#")
    )


@v_args(meta=True, inline=True)
class ToAst(HistoryToAst):
    """Builds AST nodes bottom-up and collects diagnostics on the way."""

    # ------------------------------------------------------------ helpers

    def _text(self, token: Token) -> ast.Text:
        raw = token[1:-1]
        bad = [m.group(1) for m in _ESCAPE.finditer(raw) if m.group(1) not in '"\\']
        if bad or any(ord(c) < 32 and c != "\t" for c in raw):
            self._error(
                "CR109",
                "this quoted text has an unknown escape or a control character",
                span_of(token),
                'inside quotes only \\" (a quote) and \\\\ (a backslash) are escapes',
            )
        return ast.Text(_ESCAPE.sub(lambda m: m.group(1), raw), span_of(token))

    # ------------------------------------------------------------ file and header

    def rule_file(self, meta: Meta, header: ast.Header, *decls: Any) -> Any:
        return (header, self._join_otherwise(decls), span_of(meta))

    def body(self, meta: Meta, *decls: Any) -> Any:
        return (None, self._join_otherwise(decls), span_of(meta))

    def _join_otherwise(self, decls: Sequence[Any]) -> tuple[ast.Declaration, ...]:
        """Each `otherwise VALUE` joined to the assessment right before it, as its last branch."""
        out: list[ast.Declaration] = []
        for decl in decls:
            if not isinstance(decl, ast.OtherwiseValue):
                out.append(decl)
                continue
            before = out[-1] if out else None
            if not isinstance(before, ast.Assess) or before.otherwise is not None:
                self._error(
                    "CR115",
                    f"'otherwise {decl.value.name}' follows no assessment, and '{decl.value.name}' is not a verdict",
                    decl.span,
                    "a ruleset's otherwise is allow, check or avoid; an assessment's "
                    "'otherwise VALUE' comes right after its last branch",
                )
                continue
            kept, moved = _split_assessment_clauses(decl.clauses)
            branch = ast.Branch(decl.value, None, kept, decl.span)
            whole = Span(
                before.span.line,
                before.span.column,
                decl.span.end_line,
                decl.span.end_column,
                before.span.start,
                decl.span.end,
            )
            out[-1] = ast.Assess(
                before.id, before.title, before.branches, branch, (*before.clauses, *moved), whole
            )
        return tuple(out)

    def _header(
        self, kind: ast.FileKind, meta: Meta, name: Token, lines: Sequence[ast.HeaderLine]
    ) -> ast.Header:
        return ast.Header(kind, self._ident(name), tuple(lines), span_of(meta))

    def ruleset_header(self, meta: Meta, _kw: Token, name: Token, *lines: ast.HeaderLine) -> ast.Header:
        return self._header(ast.FileKind.RULESET, meta, name, lines)

    def library_header(self, meta: Meta, _kw: Token, name: Token, *lines: ast.HeaderLine) -> ast.Header:
        return self._header(ast.FileKind.LIBRARY, meta, name, lines)

    def header_title(self, meta: Meta, text: Token) -> ast.HeaderLine:
        return ast.HeaderLine("title", self._text(text).value, None, None, span_of(meta))

    def header_version(self, meta: Meta, version: Token) -> ast.HeaderLine:
        return ast.HeaderLine("version", str(version), None, None, span_of(meta))

    def header_status(self, meta: Meta, status: Token) -> ast.HeaderLine:
        return ast.HeaderLine("status", str(status), None, None, span_of(meta))

    def header_model(self, meta: Meta, model: Token) -> ast.HeaderLine:
        return ast.HeaderLine("model", str(model), None, None, span_of(meta))

    def header_reviewed(self, meta: Meta, date: Token, by: Token) -> ast.HeaderLine:
        try:
            dt.date.fromisoformat(str(date))
        except ValueError:
            self._error(
                "CR108",
                f"{date} is not a date in the calendar",
                span_of(date),
                "write the date as YEAR-MONTH-DAY, like 2026-01-16",
            )
        return ast.HeaderLine("reviewed", str(date), self._text(by), None, span_of(meta))

    def header_unknown(self, meta: Meta, verdict: ast.Verdict) -> ast.HeaderLine:
        return ast.HeaderLine("unknown", verdict.word, None, verdict, span_of(meta))

    def header_safety_net(self, meta: Meta, text: Token) -> ast.HeaderLine:
        return ast.HeaderLine("safety_net", self._text(text).value, None, None, span_of(meta))

    # ------------------------------------------------------------ declarations

    def include(self, meta: Meta, path: Token) -> ast.Include:
        return ast.Include(self._text(path), span_of(meta))

    def source(self, meta: Meta, name: Token, title: Token, *attrs: ast.SourceAttr) -> ast.Source:
        return ast.Source(self._ident(name), self._text(title), attrs, span_of(meta))

    def source_publisher(self, meta: Meta, text: Token) -> ast.SourceAttr:
        return ast.SourceAttr("publisher", self._text(text).value, span_of(meta))

    def source_year(self, meta: Meta, year: Token) -> ast.SourceAttr:
        return ast.SourceAttr("year", str(self._whole(year, "a year")), span_of(meta))

    def source_url(self, meta: Meta, text: Token) -> ast.SourceAttr:
        return ast.SourceAttr("url", self._text(text).value, span_of(meta))

    def parameter(self, meta: Meta, name: Token, *rest: Any) -> ast.Parameter:
        title, (default, low, high) = self._title(rest)
        return ast.Parameter(self._ident(name), default, low, high, span_of(meta), title)

    def parameter_flag(self, meta: Meta, name: Token, *rest: Any) -> ast.FlagParameter:
        title, (value,) = self._title(rest)
        return ast.FlagParameter(self._ident(name), str(value) == "yes", span_of(meta), title)

    def otherwise_value(self, meta: Meta, value: Token, *clauses: ast.Clause) -> ast.OtherwiseValue:
        return ast.OtherwiseValue(self._ident(value), clauses, span_of(meta))

    def score(self, meta: Meta, name: Token, *rest: Any) -> ast.Score:
        title, parts = self._title(rest)
        items = tuple(p for p in parts if isinstance(p, ast.ScoreItem))
        clauses = tuple(p for p in parts if not isinstance(p, ast.ScoreItem))
        return ast.Score(self._ident(name), title, items, clauses, span_of(meta))

    def score_item(self, meta: Meta, points: Token, condition: ast.Condition) -> ast.ScoreItem:
        digits = self._digits(Token("NUMBER", str(points).lstrip("-"))) or "0"
        value = int(digits) * (-1 if str(points).startswith("-") else 1)
        return ast.ScoreItem(value, condition, span_of(meta))

    def assess(self, meta: Meta, name: Token, *rest: Any) -> ast.Assess:
        title, branches = self._title(rest)
        kept: list[ast.Branch] = []
        moved: list[ast.Clause] = []
        for branch in branches:
            own, lifted = _split_assessment_clauses(branch.clauses)
            kept.append(ast.Branch(branch.value, branch.condition, own, branch.span))
            moved.extend(lifted)
        return ast.Assess(self._ident(name), title, tuple(kept), None, tuple(moved), span_of(meta))

    def assess_branch(
        self, meta: Meta, value: Token, condition: ast.Condition, *clauses: ast.Clause
    ) -> ast.Branch:
        return ast.Branch(self._ident(value), condition, clauses, span_of(meta))

    def exercise(self, meta: Meta, name: Token, title: Token, *rest: Any) -> ast.Exercise:
        tags: tuple[ast.Ident, ...] = ()
        dose: ast.Dose | None = None
        for item in rest:
            if isinstance(item, ast.Dose):
                dose = item
            else:
                tags = item
        return ast.Exercise(self._ident(name), self._text(title), tags, dose, span_of(meta))

    def tags(self, meta: Meta, *names: Token) -> tuple[ast.Ident, ...]:
        return self._idents(names)

    def ladder(self, meta: Meta, name: Token, *rungs: Token) -> ast.Ladder:
        return ast.Ladder(self._ident(name), self._idents(rungs), span_of(meta))

    def define(self, meta: Meta, phrase: ast.Phrase, condition: ast.Condition) -> ast.Define:
        return ast.Define(phrase, condition, span_of(meta))

    def phrase_words(self, meta: Meta, *words: Token) -> ast.Phrase:
        for word in words:
            if "." in word:
                self._ident(word)
        phrase = " ".join(words)
        reserved = [w for w in words if w in RESERVED_AFTER_NAME]
        if words[0] in CONDITION_START_WORDS:
            # `define not improving` would be accepted, and `avoid if not
            # improving` read as `not (improving)`: refused here, never misread there.
            self._error(
                "CR114",
                f"the phrase '{phrase}' starts with '{words[0]}', which begins a condition, "
                f"so a use of it would not be read as this phrase",
                span_of(meta),
                f'put the whole phrase in double quotes: define "{phrase}": ..., and use it as "{phrase}"; '
                f"or reword it so that it does not start with '{words[0]}'",
            )
        elif len(words) > 1 and reserved:
            self._error(
                "CR111",
                f"the phrase '{phrase}' holds the keyword '{reserved[0]}', so it could not be used in a condition",
                span_of(meta),
                f'put the whole phrase in double quotes: define "{phrase}": ...',
            )
        return ast.Phrase(phrase, False, span_of(meta))

    def phrase_quoted(self, meta: Meta, text: Token) -> ast.Phrase:
        return ast.Phrase(self._text(text).value, True, span_of(meta))

    def red_flag(self, meta: Meta, name: Token, *rest: Any) -> ast.RedFlag:
        title, (verdict, condition, *clauses) = self._title(rest)
        return ast.RedFlag(
            self._ident(name), title, verdict, condition, _say_joins_when_unknown(clauses), span_of(meta)
        )

    def rule(self, meta: Meta, name: Token, *rest: Any) -> ast.Rule:
        title, (targets, verdict, condition, *clauses) = self._title(rest)
        return ast.Rule(
            self._ident(name),
            title,
            targets,
            verdict,
            condition,
            _say_joins_when_unknown(clauses),
            span_of(meta),
        )

    def require_bound(self, meta: Meta, name: Token, *rest: Any) -> ast.Require:
        title, (condition, targets, bound, verdict) = self._title(rest)
        return ast.Require(self._ident(name), title, condition, targets, bound, verdict, span_of(meta))

    def require_never(self, meta: Meta, name: Token, *rest: Any) -> ast.Require:
        title, (_no, targets, verdict, condition) = self._title(rest)
        return ast.Require(self._ident(name), title, condition, targets, None, verdict, span_of(meta))

    def bound_words(self, meta: Meta, at: Token, which: Token) -> ast.Text:
        return ast.Text(f"at {which}", span_of(meta))

    def _title(self, rest: Sequence[Any]) -> tuple[ast.Text | None, Sequence[Any]]:
        if rest and isinstance(rest[0], Token) and rest[0].type == "STRING":  # a title, not a yes or no
            return self._text(rest[0]), rest[1:]
        return None, rest

    def otherwise(self, meta: Meta, verdict: ast.Verdict) -> ast.Otherwise:
        return ast.Otherwise(verdict, span_of(meta))

    def verdict_plain(self, meta: Meta, word: Token) -> ast.Verdict:
        return ast.Verdict(str(word), None, span_of(meta))

    def verdict_move(self, meta: Meta, word: Token, *target: Token) -> ast.Verdict:
        to = self._ident(target[-1]) if target else None
        return ast.Verdict(str(word), to, span_of(meta))

    # ------------------------------------------------------------ clauses and doses

    def clause_instead(self, meta: Meta, *names: Token) -> ast.Instead:
        return ast.Instead(self._idents(names), span_of(meta))

    def clause_dose(self, meta: Meta, dose: ast.Dose) -> ast.Dose:
        return dose

    def clause_say(self, meta: Meta, text: Token) -> ast.Say:
        return ast.Say(self._text(text), span_of(meta))

    def clause_note(self, meta: Meta, text: Token) -> ast.Note:
        return ast.Note(self._text(text), span_of(meta))

    def clause_cite(self, meta: Meta, *names: Token) -> ast.Cite:
        return ast.Cite(self._idents(names), span_of(meta))

    def clause_when_unknown(self, meta: Meta, verdict: ast.Verdict) -> ast.WhenUnknown:
        return ast.WhenUnknown(verdict, span_of(meta))

    def clause_when_unknown_ignore(self, meta: Meta) -> ast.WhenUnknown:
        return ast.WhenUnknown(None, span_of(meta))

    def clause_assumption(self, meta: Meta, text: Token) -> ast.Assumption:
        return ast.Assumption(self._text(text), span_of(meta))

    def clause_care(self, meta: Meta, level: Token) -> ast.Care:
        return ast.Care(self._ident(level), span_of(meta))

    def dose(self, meta: Meta, *items: ast.DoseItem) -> ast.Dose:
        return ast.Dose(items, span_of(meta))

    def amount(
        self, meta: Meta, low: Token, high: Token | None = None
    ) -> tuple[ast.Number, ast.Number | None]:
        return self._number(low), (self._number(high) if high is not None else None)

    def dose_count(self, meta: Meta, word: Token, amount: Any, *_times: Token) -> ast.DoseItem:
        return ast.DoseItem(str(word), amount[0], amount[1], None, None, span_of(meta))

    def dose_time(self, meta: Meta, word: Token, amount: Any, unit: Token) -> ast.DoseItem:
        return ast.DoseItem(str(word), amount[0], amount[1], str(unit), None, span_of(meta))

    def dose_range(self, meta: Meta, word: Token, amount: Any, unit: Token) -> ast.DoseItem:
        return ast.DoseItem(str(word), amount[0], amount[1], str(unit), None, span_of(meta))

    def dose_range_word(self, meta: Meta, word: Token, extent: Token) -> ast.DoseItem:
        return ast.DoseItem(str(word), None, None, None, str(extent), span_of(meta))

    def dose_load(self, meta: Meta, word: Token, amount: Any, _percent: Token, _bw: Token) -> ast.DoseItem:
        return ast.DoseItem(str(word), amount[0], amount[1], "%", None, span_of(meta))

    # ------------------------------------------------------------ conditions

    def any_of(self, meta: Meta, *items: Any) -> ast.AnyOf:
        conditions = tuple(c for c in items if not isinstance(c, Token))
        return self._nest(ast.AnyOf(conditions, span_of(meta)), *conditions)

    def all_of(self, meta: Meta, *items: Any) -> ast.AllOf:
        conditions = tuple(c for c in items if not isinstance(c, Token))
        return self._nest(ast.AllOf(conditions, span_of(meta)), *conditions)

    def negation(self, meta: Meta, _not: Token, operand: ast.Condition) -> ast.Not:
        return self._nest(ast.Not(operand, span_of(meta)), operand)

    def truth(self, meta: Meta, expr: ast.Expr) -> ast.Truth:
        return self._nest(ast.Truth(expr, span_of(meta)), expr)

    def group(self, meta: Meta, _lpar: Token, condition: ast.Condition) -> ast.Condition:
        return condition

    def compare(self, meta: Meta, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Compare:
        return self._nest(ast.Compare(str(op), left, right, span_of(meta)), left, right)

    def between(self, meta: Meta, value: ast.Expr, low: ast.Expr, high: ast.Expr) -> ast.Between:
        return self._nest(ast.Between(value, low, high, span_of(meta)), value, low, high)

    def is_value(self, meta: Meta, value: ast.Expr, member: ast.EnumValue) -> ast.IsValue:
        return self._nest(ast.IsValue(value, member, False, span_of(meta)), value)

    def is_not_value(self, meta: Meta, value: ast.Expr, member: ast.EnumValue) -> ast.IsValue:
        return self._nest(ast.IsValue(value, member, True, span_of(meta)), value)

    def is_known(self, meta: Meta, value: ast.Expr, _kw: Token) -> ast.IsKnown:
        return self._nest(ast.IsKnown(value, False, span_of(meta)), value)

    def is_unknown(self, meta: Meta, value: ast.Expr, _kw: Token) -> ast.IsKnown:
        return self._nest(ast.IsKnown(value, True, span_of(meta)), value)

    def is_empty(self, meta: Meta, value: ast.Expr, _kw: Token) -> ast.IsEmpty:
        return self._nest(ast.IsEmpty(value, False, span_of(meta)), value)

    def is_not_empty(self, meta: Meta, value: ast.Expr, _kw: Token) -> ast.IsEmpty:
        return self._nest(ast.IsEmpty(value, True, span_of(meta)), value)

    def in_set(self, meta: Meta, value: ast.Expr, members: tuple[ast.EnumValue, ...]) -> ast.InSet:
        return self._nest(ast.InSet(value, members, span_of(meta)), value)

    def includes(self, meta: Meta, value: ast.Expr, member: ast.EnumValue) -> ast.Includes:
        return self._nest(ast.Includes(value, (member,), False, span_of(meta)), value)

    def includes_any(self, meta: Meta, value: ast.Expr, members: tuple[ast.EnumValue, ...]) -> ast.Includes:
        return self._nest(ast.Includes(value, members, True, span_of(meta)), value)

    def enum_word(self, meta: Meta, word: Token) -> ast.EnumValue:
        return ast.EnumValue(str(word), False, span_of(meta))

    def enum_quoted(self, meta: Meta, text: Token) -> ast.EnumValue:
        return ast.EnumValue(self._text(text).value, True, span_of(meta))

    def value_set(self, meta: Meta, *members: ast.EnumValue) -> tuple[ast.EnumValue, ...]:
        return members

    # ------------------------------------------------------------ expressions

    def arithmetic(self, meta: Meta, left: ast.Expr, op: Token, right: ast.Expr) -> ast.Arithmetic:
        node = ast.Arithmetic(str(op), left, right, span_of(meta))
        if _DATE_LIKE.fullmatch(self.text[node.span.start : node.span.end]):
            self._error(
                "CR110",
                "a date cannot be written in a condition; this reads as a subtraction",
                node.span,
                "compare with the evaluation time instead: screened_at < now - 24 hours",
            )
        return self._nest(node, left, right)

    def now(self, meta: Meta, _now: Token) -> ast.Now:
        return ast.Now(span_of(meta))

    def count_of(self, meta: Meta, _count: Token, _lpar: Token, *items: ast.Condition) -> ast.CountOf:
        return self._nest(ast.CountOf(items, span_of(meta)), *items)

    def number(self, meta: Meta, *parts: Token) -> ast.Number:
        sign = parts[0] if parts[0].type == "SIGN" else None
        rest = parts[1:] if sign is not None else parts
        number = self._number(rest[0], negative=sign is not None)
        unit = str(rest[1]) if len(rest) > 1 else None
        return ast.Number(number.value, number.text, unit, span_of(meta))

    def _number(self, token: Token, negative: bool = False) -> ast.Number:
        text = ("-" if negative else "") + str(token)
        digits = self._digits(token) or "0"
        value: int | float = float(digits) if "." in digits else int(digits)
        value = -value if negative else value
        return ast.Number(value, text, None, span_of(token))

    def ref_words(self, meta: Meta, *words: Token) -> ast.Ref:
        return self._ref(words, span_of(meta))

    def ref_quoted(self, meta: Meta, text: Token) -> ast.Ref:
        return ast.Ref(self._text(text).value, ast.RefKind.QUOTED, span_of(meta))


def _say_joins_when_unknown(clauses: Sequence[ast.Clause]) -> tuple[ast.Clause, ...]:
    """The clauses, with a `say` right after `when unknown VERDICT` joined to it (language-2.md section 11)."""
    out: list[ast.Clause] = []
    for clause in clauses:
        before = out[-1] if out else None
        if (
            isinstance(clause, ast.Say)
            and isinstance(before, ast.WhenUnknown)
            and before.verdict is not None
            and before.say is None
        ):
            out[-1] = ast.WhenUnknown(before.verdict, before.span, clause)
        else:
            out.append(clause)
    return tuple(out)


def _split_assessment_clauses(
    clauses: Sequence[ast.Clause],
) -> tuple[tuple[ast.Clause, ...], tuple[ast.Clause, ...]]:
    """A branch's own clauses (`say`, `note`) and those of its assessment (`cite`, `assumption`)."""
    own = tuple(c for c in clauses if isinstance(c, ast.Say | ast.Note))
    return own, tuple(c for c in clauses if not isinstance(c, ast.Say | ast.Note))


def to_ast(tree: Tree[Token], file: str, text: str) -> tuple[ast.RuleFile | None, list[Diagnostic]]:
    """Transform a parse tree of the whole file into a `RuleFile`.

    Returns the file (None when the tree holds no header, as after a resumed
    parse) and the diagnostics found on the way.
    """
    builder = ToAst(file, text)
    header, decls, span = builder.transform(tree)
    if header is None:
        return None, builder.diagnostics
    return ast.RuleFile(file, header, decls, comments_of(text), span), builder.diagnostics
