"""Checker, conditions: AST conditions -> typed IR, with names, types and units checked.

Each check reports into a shared `Reporter` and always returns an IR node,
so checking goes on after a mistake. A subtree with an error gets
`ErrorType`, which every later check accepts silently: one misspelt field
gives one diagnostic, not one per comparison it appears in.
"""

from __future__ import annotations

from collections.abc import Mapping

from clinrules import ir
from clinrules.base.limits import MAX_DURATION_SECONDS, MAX_EXPANDED_NESTING
from clinrules.base.span import Span
from clinrules.check.names import Reporter, Scope, did_you_mean
from clinrules.check.resolve import (
    NameRules,
    PhraseSource,
    has_history,
    ladder_scope_spans,
    shown,
    uses_session,
)
from clinrules.check.scores import ScoredSource, ScoreRules, shape, uses_scored
from clinrules.check.typecheck import poison, type_of, unknown_unit, written_unit
from clinrules.schema import types as t
from clinrules.schema.reader import Schema
from clinrules.schema.units import SECOND, YEAR
from clinrules.syntax import ast

TOP = Scope()
"""The scope of a rule's or red flag's own condition."""

__all__ = ["TOP", "ConditionChecker", "PhraseSource"]


class ConditionChecker(ScoreRules, NameRules):
    """Types the conditions of one program. Phrases, scores and assessments are checked once and shared."""

    def __init__(
        self,
        schema: Schema,
        parameters: Mapping[str, ir.Parameter],
        phrases: Mapping[str, PhraseSource],
        exercises: Mapping[str, ir.Exercise],
        report: Reporter,
        scored: Mapping[str, ScoredSource] | None = None,
        sources: Mapping[str, ir.Source] | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> None:
        self.schema = schema
        self.parameters = parameters
        self.phrases = phrases
        self.exercises = exercises  # the checker's own dict: ladders are placed on it before use
        self.report = report
        self.file = ""
        self._phrase_ir: dict[str, ir.Phrase | None] = {}
        self._resolving: dict[str, None] = {}  # the phrases being checked, in order: a stack and a set
        self._shapes: dict[str, tuple[int, list[tuple[int, str]]]] = {}  # see `shape`
        self._depth: dict[str, int] = {}  # a define's nesting with its phrases expanded
        self._too_deep: set[str] = set()
        self.used_phrases: set[str] = set()
        self.histories: set[str] = set()
        self.ladder_phrases: set[str] = set()  # the phrases that hold a ladder scope (CR423)
        self.units = schema.units()  # the units a number may be written in beside the table's
        self.scored = scored or {}  # the scores and assessments, by id (check/scores.py)
        self.sources = sources or {}
        self.texts = texts or {}  # each file's text, for the words of the trace
        self.scored_ir: dict[str, ir.Score | ir.Assessment] = {}
        self.scored_depth: dict[str, int] = {}  # as `_depth`, for scores and assessments
        self.broken: set[str] = set()  # scores and assessments in a cycle (CR223)
        self.scored_phrases: set[str] = set()  # the phrases that use one (CR221 inside 'had')

    # ------------------------------------------------------------ entry points

    def condition(self, node: ast.Condition, file: str, scope: Scope = TOP) -> ir.Condition:
        """Check a condition written in `file` (a rule's, a red flag's, a score item's or a branch's)."""
        expanded = self.expanded_depth(node, scope)
        if expanded is not None and expanded > MAX_EXPANDED_NESTING:
            self._too_deep_error(f"this condition nests {expanded} levels deep", (file, node.span))
        return self._checked(node, file, scope)

    def expanded_depth(self, node: ast.Condition, scope: Scope) -> int | None:
        """How deep a condition nests with its phrases, scores and assessments expanded.

        None when one it uses is too deep already (and reported there).
        """
        depth, uses = shape(node, self.phrases, self.schema.session_fields, scope.session, self.scored)
        for _, name in uses:
            if name in self.phrases:
                self.phrase(name)
        if any(name in self._too_deep for _, name in uses):
            return None
        return max([depth, *(self._below(at, name) for at, name in uses)])

    def _checked(self, node: ast.Condition, file: str, scope: Scope) -> ir.Condition:
        previous, self.file = self.file, file
        try:
            return self._condition(node, scope)
        finally:
            self.file = previous

    def phrase(self, name: str) -> ir.Phrase | None:
        """The checked body of a define (None when it has an error that stops its use)."""
        if name not in self._phrase_ir:
            self._resolve(name)
        return self._phrase_ir[name]

    def _resolve(self, root: str) -> None:
        """Check `root` and the phrases it uses, each after every phrase it uses.

        This is the order of checking each phrase where it is first used,
        with a stack of its own instead of Python's: a chain of defines as
        long as the file allows never reaches the recursion limit. A use of
        a phrase still on the stack closes a cycle (CR417).
        """
        stack = [(root, iter(self._uses(root)))]
        self._resolving[root] = None
        while stack:
            name, pending = stack[-1]
            for _, used in pending:
                if used in self._phrase_ir or used not in self.phrases:  # a score: checked before
                    continue
                if used in self._resolving:
                    names = list(self._resolving)
                    cycle = " -> ".join([*names[names.index(used) :], used])
                    self.report.error(
                        "CR417",
                        f"the phrase '{used}' is defined in terms of itself: {cycle}",
                        (self.phrases[used].file, self.phrases[used].define.phrase.span),
                        "break the cycle: one of these defines must not use the others",
                    )
                    self._phrase_ir[used] = None
                    continue
                self._resolving[used] = None
                stack.append((used, iter(self._uses(used))))
                break
            else:
                stack.pop()
                del self._resolving[name]
                self._finish(name)

    def _uses(self, name: str) -> list[tuple[int, str]]:
        if name not in self._shapes:
            condition = self.phrases[name].define.condition
            self._shapes[name] = shape(condition, self.phrases, self.schema.session_fields, True, self.scored)
        return self._shapes[name][1]

    def _finish(self, name: str) -> None:
        """Check a define whose phrases are all checked already, so that no check recurses into them."""
        source = self.phrases[name]
        body = self._checked(source.define.condition, source.file, Scope(session=True))
        depth, uses = self._shapes[name]
        self._depth[name] = max([depth, *(self._below(at, used) for at, used in uses)])
        if name in self._phrase_ir:  # a cycle through this phrase was reported
            return
        self._phrase_ir[name] = None
        if any(used in self._too_deep for _, used in uses):
            self._too_deep.add(name)  # said once, at the phrase that passed the limit
            return
        if self._depth[name] > MAX_EXPANDED_NESTING:
            self._too_deep.add(name)
            where = (source.file, source.define.phrase.span)
            self._too_deep_error(f"the phrase '{name}' nests {self._depth[name]} levels deep", where)
            return
        if has_history(body, self.histories):
            self.histories.add(name)
        if uses_scored(body, self.scored_phrases):
            self.scored_phrases.add(name)
        if ladder_scope_spans(body, self.ladder_phrases):
            self.ladder_phrases.add(name)
        self._phrase_ir[name] = ir.Phrase(name, body, uses_session(body), source.define.phrase.span)

    def _below(self, at: int, name: str) -> int:
        """How deep a use of a phrase reaches; a phrase with an error stands for one test."""
        if name in self.scored:
            return at + self.scored_depth.get(name, 0)
        return at + self._depth[name] if self._phrase_ir.get(name) is not None else at

    def _too_deep_error(self, what: str, where: tuple[str, Span]) -> None:
        self.report.error(
            "CR006",
            f"{what} once its defined phrases are expanded; at most {MAX_EXPANDED_NESTING} levels are allowed",
            where,
            "flatten the chain of defines: name fewer phrases in terms of other phrases, "
            "and join the parts with 'and' or 'or' where they are used",
        )

    # ------------------------------------------------------------ conditions

    def _condition(self, node: ast.Condition, scope: Scope) -> ir.Condition:
        match node:
            case ast.AnyOf(items=items):
                return ir.Or(tuple(self._condition(c, scope) for c in items), node.span)
            case ast.AllOf(items=items):
                return ir.And(tuple(self._condition(c, scope) for c in items), node.span)
            case ast.Not(operand=operand):
                return ir.Not(self._condition(operand, scope), node.span)
            case ast.Truth(expr=expr):
                return self._truth(expr, scope, node.span)
            case ast.Compare():
                return self._compare(node, scope)
            case ast.Between():
                return self._between(node, scope)
            case ast.IsValue(value=value, member=member, negated=negated):
                target = self._expr(value, scope)
                if isinstance(target, ir.AssessValue):
                    return self._assessed(target, (member,), negated, node.span)
                members = self._members(target, (member,), "is")
                return ir.Member(target, members, negated, node.span)
            case ast.InSet(value=value, members=members):
                target = self._expr(value, scope)
                if isinstance(target, ir.AssessValue):
                    return self._assessed(target, members, False, node.span)
                return ir.Member(target, self._members(target, members, "in"), False, node.span)
            case ast.Includes(value=value, members=members):
                target = self._expr(value, scope)
                return ir.Contains(target, self._list_members(target, members), node.span)
            case ast.IsEmpty(value=value, negated=negated):
                target = self._expr(value, scope)
                self._need_list(target, "is empty")
                return ir.Empty(target, negated, node.span)
            case ast.IsKnown(value=value, negated=negated):
                asked = self._operand(value, scope)
                if isinstance(asked, ir.ParamRef):
                    self._never_unknown(asked, negated, node.span)
                return ir.Known(asked, negated, node.span)
            case ast.History():
                return self._history(node, scope)
        raise AssertionError(node)

    def _never_unknown(self, parameter: ir.ParamRef, negated: bool, span: Span) -> None:
        """CR307: a parameter always has a value (its default, or the one set), so `is known` says nothing."""
        name = parameter.name
        use = f"'{name}' or 'not {name}'" if isinstance(parameter.type, t.BoolType) else f"'{name}'"
        self.report.error(
            "CR307",
            f"the parameter '{name}' is never unknown, so 'is {'unknown' if negated else 'known'}' "
            f"is always {'false' if negated else 'true'}",
            self._where(span),
            f"use the parameter's value: {use}",
        )

    def _truth(self, expr: ast.Expr, scope: Scope, span: Span) -> ir.Condition:
        operand = self._operand(expr, scope)
        if isinstance(operand, ir.Phrase):
            return operand
        if isinstance(operand, ir.ScoreValue | ir.AssessValue):
            what = "is not a yes/no answer and cannot stand alone as a condition"
            return ir.Truth(self._score_misused(operand, span, what), span)
        kind = type_of(operand)
        if not isinstance(kind, t.BoolType | t.ErrorType):
            hint = {
                t.NumberType: "compare it with a number: x > 0",
                t.EnumType: "ask for a value: x is VALUE",
                t.EnumListType: "ask what it holds: x includes VALUE, or x is empty",
                t.DateTimeType: "compare it with now: x >= now - 24 hours",
                t.DateType: "compare how long ago it was: now - x >= 65 years",
            }.get(type(kind), "ask whether it is known: x is known")
            self.report.error(
                "CR302",
                f"'{shown(expr)}' is {kind.describe()}, not a yes/no answer, so it cannot stand alone as a condition",
                self._where(span),
                hint,
            )
        return ir.Truth(operand, span)

    def _compare(self, node: ast.Compare, scope: Scope) -> ir.Condition:
        for side in (node.left, node.right):
            if self._is_assessment(side):
                assert isinstance(side, ast.Ref)
                return self._assessment_misused(side.text, node.span, f"is not compared with '{node.op}'")
        left, right = self._pair(node.left, node.right, scope)
        scored = self._scored_compare(node.op, (left, right), node.span)
        if scored is not None:
            return scored
        kind, left, right = self._comparable(node.op, left, right, node.span)
        self._never_true(node.op, left, right, node.span)
        return ir.Compare(node.op, kind, left, right, node.span)

    def _between(self, node: ast.Between, scope: Scope) -> ir.Condition:
        for side in (node.value, node.low, node.high):
            if self._is_assessment(side):
                assert isinstance(side, ast.Ref)
                return self._assessment_misused(
                    side.text, node.span, "has no order to lie between two values"
                )
        value = self._expr(node.value, scope)
        low = self._enum_or_expr(node.low, type_of(value), scope)
        high = self._enum_or_expr(node.high, type_of(value), scope)
        scored = self._scored_compare("between", (value, low, high), node.span)
        if scored is not None:
            return scored
        kind, value, low = self._comparable("<=", value, low, node.span)
        _, value, high = self._comparable("<=", value, high, node.span)
        if isinstance(low, ir.Const) and isinstance(high, ir.Const) and low.value > high.value:
            self.report.error(
                "CR501",
                f"between {low.value} and {high.value} can never be true: the low end is above the high end",
                self._where(node.span),
                f"write between {high.value} and {low.value}",
            )
        else:
            self._never_true(">=", value, low, node.span)
            self._never_true("<=", value, high, node.span)
        return ir.Between(kind, value, low, high, node.span)

    # ------------------------------------------------------------ session history

    def _history(self, node: ast.History, scope: Scope) -> ir.Condition:
        where = self._where(node.span)
        if scope.in_history:
            self.report.error(
                "CR418",
                "a session form cannot stand inside 'had': 'had' looks at one session at a time",
                where,
                "move this part out of the 'had' and join the two with 'and'",
            )
        if not self.schema.has_sessions:
            self.report.error(
                "CR421",
                f"the model '{self.schema.name}' has no session log, so session forms cannot be used",
                where,
            )
        count, last = node.count, node.last
        unit = "days" if node.days else "sessions"
        if last is not None and last < 1:
            self.report.error("CR416", f"'the last {last} {unit}' must count at least one", where)
        if count is not None and last is not None and not 1 <= count <= last:
            self.report.error(
                "CR416",
                f"'{count} of the last {last}' needs 1 <= {count} <= {last}",
                where,
                f"K of the last N counts K {unit} among N: K is at least 1 and at most N",
            )
        kind, named = self._scope(node)
        exercise = named if kind is ast.ScopeKind.EXERCISE else None
        tag = named if kind is ast.ScopeKind.TAGGED else None
        window = self._window(node.window, scope) if node.window is not None else None
        inner = self._condition(node.condition, scope.inside_had())
        return ir.History(
            node.quantifier, count, last, window, exercise, inner, node.span, kind, tag, node.days
        )

    def _scope(self, node: ast.History) -> tuple[ast.ScopeKind | None, str | None]:
        """The scope of a session form and the exercise or tag it names, checked."""
        if node.exercise is not None and node.scope is not None:
            self.report.error(
                "CR425",
                f"'{node.exercise.name} sessions' already names whose sessions count, so it takes no scope",
                self._where(node.scope.span),
                f"write one of the two: 'sessions of {node.exercise.name}', or the scope alone",
            )
        if node.exercise is not None:
            return ast.ScopeKind.EXERCISE, self._known_exercise(node.exercise)
        if node.scope is None:
            return None, None
        name = node.scope.name
        if node.scope.kind is ast.ScopeKind.EXERCISE and name is not None:
            return ast.ScopeKind.EXERCISE, self._known_exercise(name)
        if node.scope.kind is ast.ScopeKind.TAGGED and name is not None:
            tags = {tag for e in self.exercises.values() for tag in e.tags}
            if name.name not in tags:
                self.report.error(
                    "CR210",
                    f"no exercise is tagged '{name.name}'",
                    self._where(name.span),
                    did_you_mean(name.name, tags),
                )
            return ast.ScopeKind.TAGGED, name.name
        return node.scope.kind, None

    def _known_exercise(self, name: ast.Ident) -> str:
        if name.name not in self.exercises:
            self.report.error(
                "CR207",
                f"unknown exercise '{name.name}'",
                self._where(name.span),
                did_you_mean(name.name, self.exercises),
            )
        return name.name

    def _window(self, node: ast.Expr, scope: Scope) -> ir.Expr:
        window = self._expr(node, scope)
        kind = type_of(window)
        if isinstance(kind, t.ErrorType):
            return window
        if not isinstance(kind, t.NumberType) or kind.unit is None or kind.unit.dimension != "time":
            self.report.error(
                "CR305",
                f"the window '{shown(node)}' must be a length of time",
                self._where(node.span),
                "give it a time unit: within 24 hours, within 7 days",
            )
            return poison(node.span)
        if isinstance(window, ir.FieldRef):
            self.report.error(
                "CR422",
                f"the window '{shown(node)}' is a patient field, which may be unknown or beyond the calendar",
                self._where(node.span),
                "give a duration or a parameter: within 7 days, within retrial_days",
            )
            return poison(node.span)
        if isinstance(window, ir.Const) and window.value <= 0:
            self.report.error("CR501", "a window of no time can never hold a session", self._where(node.span))
        seconds = self._convert(window, SECOND)
        return seconds if self._evaluable(seconds, node, "window") else poison(node.span)

    # ------------------------------------------------------------ expressions and names

    def _expr(self, node: ast.Expr, scope: Scope) -> ir.Expr:
        match node:
            case ast.Number(value=value, unit=unit, span=span):
                unit_value = written_unit(unit, self.units) if unit else None
                if unit and unit_value is None:
                    message, hint = unknown_unit(unit, self.units)
                    self.report.error("CR306", message, self._where(span), hint)
                    return poison(span)
                return ir.Const(value, t.NumberType(isinstance(value, int), unit_value), span)
            case ast.Now(span=span):
                return ir.Now(span)
            case ast.Arithmetic():
                return self._arith(node, scope)
            case ast.Ref():
                return self._ref(node, scope)
            case ast.CountOf():
                return self._count_of(node, scope)
        raise AssertionError(node)

    def _arith(self, node: ast.Arithmetic, scope: Scope) -> ir.Expr:
        left, right = self._expr(node.left, scope), self._expr(node.right, scope)
        for side in (left, right):
            if isinstance(side, ir.ScoreValue | ir.AssessValue):
                return self._score_misused(side, side.span, "is not a number to add to or take from")
        left_type, right_type = type_of(left), type_of(right)
        if isinstance(left_type, t.ErrorType) or isinstance(right_type, t.ErrorType):
            return poison(node.span)
        if t.is_time(left_type) and t.is_time(right_type):
            if node.op == "-":
                return ir.Arith(
                    "-", ir.ArithKind.ELAPSED, left, right, t.NumberType(False, SECOND), node.span
                )
        elif t.is_time(left_type) and isinstance(right_type, t.NumberType):
            seconds = self._duration(right, node.right)
            if seconds is None:
                return poison(node.span)
            return ir.Arith(node.op, ir.ArithKind.SHIFT, left, seconds, t.DATETIME, node.span)
        elif isinstance(left_type, t.NumberType) and isinstance(right_type, t.NumberType):
            united = self._units(left, right, node.span)
            if united is None:
                return poison(node.span)
            left, right, unit = united
            number = t.NumberType(left_type.integral and right_type.integral, unit)
            return ir.Arith(node.op, ir.ArithKind.NUMBER, left, right, number, node.span)
        self.report.error(
            "CR302",
            f"cannot {'add' if node.op == '+' else 'subtract'} {right_type.describe()} "
            f"{'to' if node.op == '+' else 'from'} {left_type.describe()}",
            self._where(node.span),
            "times take a duration with a unit: now - 24 hours; numbers take numbers",
        )
        return poison(node.span)

    def _duration(self, value: ir.Expr, node: ast.Expr) -> ir.Expr | None:
        kind = type_of(value)
        assert isinstance(kind, t.NumberType)
        if kind.unit is None or kind.unit.dimension != "time":
            self.report.error(
                "CR305",
                f"'{shown(node)}' must be a length of time to be added to or taken from a time",
                self._where(node.span),
                "give it a time unit: now - 24 hours, now - 6 weeks",
            )
            return None
        seconds = self._convert(value, SECOND)
        return seconds if self._evaluable(seconds, node, "duration") else None

    def _evaluable(self, seconds: ir.Expr, node: ast.Expr, what: str) -> bool:
        """Refuse a window or duration longer than the calendar can hold from any `now` (CR422)."""
        inner, factor = (seconds.expr, seconds.factor) if isinstance(seconds, ir.Scale) else (seconds, 1.0)
        if isinstance(inner, ir.Const):
            longest, may = abs(inner.value) * factor, "is"
        elif isinstance(inner, ir.ParamRef) and inner.name in self.parameters:
            declared = self.parameters[inner.name]
            bounds = [abs(b) for b in (declared.low, declared.high) if b is not None]
            longest, may = max(bounds, default=0) * factor, "can be, within its bounds,"
        else:  # a patient field: the runtime computes beyond the calendar safely
            return True
        if longest <= MAX_DURATION_SECONDS:
            return True
        years = f"{MAX_DURATION_SECONDS / YEAR.factor:.0f} years"
        self.report.error(
            "CR422",
            f"the {what} '{shown(node)}' {may} longer than {years}: "
            "counted from the evaluation time it leaves the calendar",
            self._where(node.span),
            f"bound the parameter to at most {years}"
            if may != "is"
            else f"give a {what} of at most {years}, such as 7 days",
        )
        return False

    # ------------------------------------------------------------ types and units
