"""Checker, conditions: AST conditions -> typed IR, with names, types and units checked.

Each check reports into a shared `Reporter` and always returns an IR node,
so checking goes on after a mistake. A subtree with an error gets
`ErrorType`, which every later check accepts silently: one misspelt field
gives one diagnostic, not one per comparison it appears in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinrules import ast, ir
from clinrules import types as t
from clinrules.names import Reporter, Scope, did_you_mean
from clinrules.schema import Field, Schema
from clinrules.span import Span
from clinrules.units import SECOND, Unit, unit_named

TOP = Scope()
"""The scope of a rule's or red flag's own condition."""
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class PhraseSource:
    """A define and the file it is in."""

    define: ast.Define
    file: str


def _poison(span: Span) -> ir.FieldRef:
    return ir.FieldRef("<error>", t.ERROR, False, span)


def _is_error(expr: ir.Expr) -> bool:
    return isinstance(_type(expr), t.ErrorType)


def _type(expr: ir.Expr) -> t.RuleType:
    if isinstance(expr, ir.Now):
        return t.DATETIME
    return expr.type


class ConditionChecker:
    """Types the conditions of one program. Phrases are checked once and shared."""

    def __init__(
        self,
        schema: Schema,
        parameters: Mapping[str, ir.Parameter],
        phrases: Mapping[str, PhraseSource],
        exercises: frozenset[str],
        report: Reporter,
    ) -> None:
        self.schema = schema
        self.parameters = parameters
        self.phrases = phrases
        self.exercises = exercises
        self.report = report
        self.file = ""
        self._phrase_ir: dict[str, ir.Phrase | None] = {}
        self._resolving: list[str] = []
        self.used_phrases: set[str] = set()

    # ------------------------------------------------------------ entry points

    def condition(self, node: ast.Condition, file: str, scope: Scope = TOP) -> ir.Condition:
        """Check a condition written in `file`."""
        previous, self.file = self.file, file
        try:
            return self._condition(node, scope)
        finally:
            self.file = previous

    def phrase(self, name: str) -> ir.Phrase | None:
        """The checked body of a define (None when it has an error that stops its use)."""
        if name in self._phrase_ir:
            return self._phrase_ir[name]
        source = self.phrases[name]
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving[self._resolving.index(name) :], name])
            self.report.error(
                "CR417",
                f"the phrase '{name}' is defined in terms of itself: {cycle}",
                (source.file, source.define.phrase.span),
                "break the cycle: one of these defines must not use the others",
            )
            self._phrase_ir[name] = None
            return None
        self._resolving.append(name)
        try:
            body = self.condition(source.define.condition, source.file, Scope(session=True))
        finally:
            self._resolving.pop()
        if name in self._phrase_ir:  # a cycle through this phrase was reported
            return None
        result = ir.Phrase(name, body, _uses_session(body), source.define.phrase.span)
        self._phrase_ir[name] = result
        return result

    # ------------------------------------------------------------ conditions

    def _where(self, span: Span) -> tuple[str, Span]:
        return (self.file, span)

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
                members = self._members(target, (member,), "is")
                return ir.Member(target, members, negated, node.span)
            case ast.InSet(value=value, members=members):
                target = self._expr(value, scope)
                return ir.Member(target, self._members(target, members, "in"), False, node.span)
            case ast.Includes(value=value, members=members):
                target = self._expr(value, scope)
                return ir.Contains(target, self._list_members(target, members), node.span)
            case ast.IsEmpty(value=value, negated=negated):
                target = self._expr(value, scope)
                self._need_list(target, "is empty")
                return ir.Empty(target, negated, node.span)
            case ast.IsKnown(value=value, negated=negated):
                return ir.Known(self._operand(value, scope), negated, node.span)
            case ast.History():
                return self._history(node, scope)
        raise AssertionError(node)

    def _truth(self, expr: ast.Expr, scope: Scope, span: Span) -> ir.Condition:
        operand = self._operand(expr, scope)
        if isinstance(operand, ir.Phrase):
            return operand
        kind = _type(operand)
        if not isinstance(kind, t.BoolType | t.ErrorType):
            hint = {
                t.NumberType: "compare it with a number: x > 0",
                t.EnumType: "ask for a value: x is VALUE",
                t.EnumListType: "ask what it holds: x includes VALUE, or x is empty",
                t.DateTimeType: "compare it with now: x >= now - 24 hours",
            }.get(type(kind), "ask whether it is known: x is known")
            self.report.error(
                "CR302",
                f"'{_shown(expr)}' is {kind.describe()}, not a yes/no answer, so it cannot stand alone as a condition",
                self._where(span),
                hint,
            )
        return ir.Truth(operand, span)

    def _compare(self, node: ast.Compare, scope: Scope) -> ir.Condition:
        left, right = self._pair(node.left, node.right, scope)
        kind, left, right = self._comparable(node.op, left, right, node.span)
        self._never_true(node.op, left, right, node.span)
        return ir.Compare(node.op, kind, left, right, node.span)

    def _between(self, node: ast.Between, scope: Scope) -> ir.Condition:
        value = self._expr(node.value, scope)
        low = self._enum_or_expr(node.low, _type(value), scope)
        high = self._enum_or_expr(node.high, _type(value), scope)
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
        if last is not None and last < 1:
            self.report.error("CR416", f"'the last {last} sessions' must count at least one session", where)
        if count is not None and last is not None and not 1 <= count <= last:
            self.report.error(
                "CR416",
                f"'{count} of the last {last}' needs 1 <= {count} <= {last}",
                where,
                "K of the last N counts K sessions among N: K is at least 1 and at most N",
            )
        exercise = node.exercise.name if node.exercise else None
        if node.exercise is not None and exercise not in self.exercises:
            self.report.error(
                "CR207",
                f"unknown exercise '{exercise}'",
                self._where(node.exercise.span),
                did_you_mean(node.exercise.name, self.exercises),
            )
        window = self._window(node.window, scope) if node.window is not None else None
        inner = self._condition(node.condition, scope.inside_had())
        return ir.History(node.quantifier, count, last, window, exercise, inner, node.span)

    def _window(self, node: ast.Expr, scope: Scope) -> ir.Expr:
        window = self._expr(node, scope)
        kind = _type(window)
        if isinstance(kind, t.ErrorType):
            return window
        if not isinstance(kind, t.NumberType) or kind.unit is None or kind.unit.dimension != "time":
            self.report.error(
                "CR305",
                f"the window '{_shown(node)}' must be a length of time",
                self._where(node.span),
                "give it a time unit: within 24 hours, within 7 days",
            )
            return _poison(node.span)
        if isinstance(window, ir.Const) and window.value <= 0:
            self.report.error("CR501", "a window of no time can never hold a session", self._where(node.span))
        return self._convert(window, SECOND)

    # ------------------------------------------------------------ expressions and names

    def _operand(self, node: ast.Expr, scope: Scope) -> ir.Expr | ir.Phrase:
        """An expression, or the phrase a name stands for."""
        if isinstance(node, ast.Ref):
            phrase = self._phrase_use(node, scope)
            if phrase is not None:
                return phrase
        return self._expr(node, scope)

    def _expr(self, node: ast.Expr, scope: Scope) -> ir.Expr:
        match node:
            case ast.Number(value=value, unit=unit, span=span):
                unit_value = unit_named(unit) if unit else None
                return ir.Const(value, t.NumberType(isinstance(value, int), unit_value), span)
            case ast.Now(span=span):
                return ir.Now(span)
            case ast.Arithmetic():
                return self._arith(node, scope)
            case ast.Ref():
                return self._ref(node, scope)
        raise AssertionError(node)

    def _phrase_use(self, node: ast.Ref, scope: Scope) -> ir.Phrase | None:
        if node.kind is ast.RefKind.PATH or node.text not in self.phrases:
            return None
        if scope.session and node.text in self.schema.session_fields:
            return None
        self.used_phrases.add(node.text)
        phrase = self.phrase(node.text)
        if phrase is None:
            return ir.Phrase(node.text, ir.Truth(_poison(node.span), node.span), False, node.span)
        if phrase.session and not scope.session:
            self.report.error(
                "CR212",
                f"'{node.text}' is about one session, so it can be used only after 'had'",
                self._where(node.span),
                f"ask about sessions: the last session had {node.text}",
            )
        if phrase.session and scope.in_history and _has_history(phrase.condition):
            self.report.error(
                "CR418",
                f"'{node.text}' uses a session form, so it cannot stand inside 'had'",
                self._where(node.span),
            )
        return ir.Phrase(phrase.name, phrase.condition, phrase.session, node.span)

    def _ref(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        where = self._where(node.span)
        text = node.text
        if node.kind is ast.RefKind.PATH:
            return self._path(node, scope)
        if node.kind is ast.RefKind.WORDS and " " in text and text not in self.phrases:
            self.report.error(
                "CR202",
                f"unknown phrase '{text}'",
                where,
                did_you_mean(text, self.phrases) or _define_hint(text),
            )
            return _poison(node.span)
        if text in self.phrases and text not in self.parameters:  # a clash is reported elsewhere
            self.report.error(
                "CR302",
                f"'{text}' is a condition, not a value",
                where,
                "use it on its own, or with 'and', 'or' and 'not'",
            )
            return _poison(node.span)
        session_field = self.schema.session_fields.get(text)
        if session_field is not None and scope.session:
            return ir.FieldRef(session_field.path, session_field.type, True, node.span)
        parameter = self.parameters.get(text)
        if parameter is not None:
            return ir.ParamRef(parameter.id, parameter.type, node.span)
        paths = self.schema.leaves.get(text, ())
        if len(paths) == 1:
            field = self.schema.fields[paths[0]]
            return ir.FieldRef(field.path, field.type, False, node.span)
        if len(paths) > 1:
            self.report.error(
                "CR211",
                f"'{text}' could be any of {', '.join(paths)}",
                where,
                f"write the whole path, such as {paths[0]}",
            )
            return _poison(node.span)
        if session_field is not None:
            self.report.error(
                "CR212",
                f"'{text}' is a field of a session, so it can be used only after 'had'",
                where,
                f"ask about sessions: the last session had {text} ...",
            )
            return _poison(node.span)
        if text in self.schema.groups:
            return self._group(text, node.span)
        names = [*self.schema.leaves, *self.parameters, *self.phrases]
        if scope.session:
            names += list(self.schema.session_fields)
        owners = [
            f.path for f in self._all_fields() if isinstance(f.type, t.EnumType) and text in f.type.members
        ]
        hint = (
            f"'{text}' is a value of {', '.join(owners)}, not a field"
            if owners
            else did_you_mean(text, names)
        )
        self.report.error("CR201", f"unknown field '{text}'", where, hint)
        return _poison(node.span)

    def _all_fields(self) -> list[Field]:
        return [*self.schema.fields.values(), *self.schema.session_fields.values()]

    def _path(self, node: ast.Ref, scope: Scope) -> ir.Expr:
        text = node.text
        field = self.schema.fields.get(text)
        if field is not None:
            return ir.FieldRef(field.path, field.type, False, node.span)
        head, _, leaf = text.partition(".")
        if head == "sessions" and leaf in self.schema.session_fields:
            if not scope.session:
                self.report.error(
                    "CR212",
                    f"'{text}' is a field of a session, so it can be used only after 'had'",
                    self._where(node.span),
                )
                return _poison(node.span)
            session_field = self.schema.session_fields[leaf]
            return ir.FieldRef(session_field.path, session_field.type, True, node.span)
        if text in self.schema.groups:
            return self._group(text, node.span)
        paths = [*self.schema.fields, *(f.path for f in self.schema.session_fields.values())]
        self.report.error(
            "CR201", f"unknown field '{text}'", self._where(node.span), did_you_mean(text, paths)
        )
        return _poison(node.span)

    def _group(self, path: str, span: Span) -> ir.Expr:
        inside = sorted(p for p in self.schema.fields if p.startswith(path + "."))
        self.report.error(
            "CR213",
            f"'{path}' is a group of fields, not a value",
            self._where(span),
            f"name one of its fields, such as {', '.join(inside[:3])}",
        )
        return _poison(span)

    def _arith(self, node: ast.Arithmetic, scope: Scope) -> ir.Expr:
        left, right = self._expr(node.left, scope), self._expr(node.right, scope)
        left_type, right_type = _type(left), _type(right)
        if isinstance(left_type, t.ErrorType) or isinstance(right_type, t.ErrorType):
            return _poison(node.span)
        if isinstance(left_type, t.DateTimeType) and isinstance(right_type, t.DateTimeType):
            if node.op == "-":
                return ir.Arith(
                    "-", ir.ArithKind.ELAPSED, left, right, t.NumberType(False, SECOND), node.span
                )
        elif isinstance(left_type, t.DateTimeType) and isinstance(right_type, t.NumberType):
            seconds = self._duration(right, node.right)
            if seconds is None:
                return _poison(node.span)
            return ir.Arith(node.op, ir.ArithKind.SHIFT, left, seconds, t.DATETIME, node.span)
        elif isinstance(left_type, t.NumberType) and isinstance(right_type, t.NumberType):
            united = self._units(left, right, node.span)
            if united is None:
                return _poison(node.span)
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
        return _poison(node.span)

    def _duration(self, value: ir.Expr, node: ast.Expr) -> ir.Expr | None:
        kind = _type(value)
        assert isinstance(kind, t.NumberType)
        if kind.unit is None or kind.unit.dimension != "time":
            self.report.error(
                "CR305",
                f"'{_shown(node)}' must be a length of time to be added to or taken from a time",
                self._where(node.span),
                "give it a time unit: now - 24 hours, now - 6 weeks",
            )
            return None
        return self._convert(value, SECOND)

    # ------------------------------------------------------------ types and units

    def _pair(self, left_node: ast.Expr, right_node: ast.Expr, scope: Scope) -> tuple[ir.Expr, ir.Expr]:
        """Both sides of a comparison; a bare word beside an enum is a member of it."""
        if isinstance(right_node, ast.Ref) and right_node.kind is ast.RefKind.WORDS:
            left = self._expr(left_node, scope)
            return left, self._enum_or_expr(right_node, _type(left), scope)
        right = self._expr(right_node, scope)
        return self._enum_or_expr(left_node, _type(right), scope), right

    def _enum_or_expr(self, node: ast.Expr, other: t.RuleType, scope: Scope) -> ir.Expr:
        if not isinstance(node, ast.Ref) or node.kind is ast.RefKind.PATH:
            return self._expr(node, scope)
        if isinstance(other, t.ErrorType):
            # The other side already has an error: whether this word is a
            # value or a name cannot be known, so say nothing more.
            return _poison(node.span)
        if isinstance(other, t.EnumType):
            if node.text in other.members:
                return ir.EnumConst(node.text, other.members.index(node.text), other, node.span)
            if not self._is_name(node.text, scope):
                self.report.error(
                    "CR203",
                    f"'{node.text}' is not one of the values {', '.join(other.members)}",
                    self._where(node.span),
                    did_you_mean(node.text, other.members),
                )
                return _poison(node.span)
        return self._expr(node, scope)

    def _is_name(self, text: str, scope: Scope) -> bool:
        """True when a word names a field, parameter or phrase (in this scope)."""
        return (
            text in self.schema.leaves
            or text in self.parameters
            or text in self.phrases
            or (scope.session and text in self.schema.session_fields)
        )

    def _comparable(
        self, op: str, left: ir.Expr, right: ir.Expr, span: Span
    ) -> tuple[ir.CompareKind, ir.Expr, ir.Expr]:
        a, b = _type(left), _type(right)
        if isinstance(a, t.ErrorType) or isinstance(b, t.ErrorType):
            return ir.CompareKind.NUMBER, left, right
        if isinstance(a, t.NumberType) and isinstance(b, t.NumberType):
            left, right, _unit = self._units(left, right, span) or (left, right, None)
            return ir.CompareKind.NUMBER, left, right
        if isinstance(a, t.DateTimeType) and isinstance(b, t.DateTimeType):
            return ir.CompareKind.DATETIME, left, right
        if isinstance(a, t.EnumType) and isinstance(b, t.EnumType) and a.members == b.members:
            if op in _ORDER_OPS:
                if not a.ordinal:
                    self.report.error(
                        "CR303",
                        f"the values of '{_shown_ir(left)}' have no order ({', '.join(a.members)})",
                        self._where(span),
                        "ask for values instead: x is VALUE, or x in {A, B}",
                    )
                return ir.CompareKind.RANK, left, right
            return ir.CompareKind.EQUAL, left, right
        if isinstance(a, t.BoolType) and isinstance(b, t.BoolType) and op in ("=", "!="):
            return ir.CompareKind.EQUAL, left, right
        hint = None
        if isinstance(a, t.EnumType) and isinstance(right, ir.FieldRef | ir.ParamRef | ir.Const):
            hint = f"the values of '{_shown_ir(left)}' are {', '.join(a.members)}"
        elif isinstance(a, t.DateTimeType) or isinstance(b, t.DateTimeType):
            hint = "compare a time with a time, such as: screened_at < now - 24 hours"
        self.report.error(
            "CR302",
            f"cannot compare {a.describe()} with {b.describe()}",
            self._where(span),
            hint,
        )
        return ir.CompareKind.NUMBER, left, right

    def _units(
        self, left: ir.Expr, right: ir.Expr, span: Span
    ) -> tuple[ir.Expr, ir.Expr, Unit | None] | None:
        """Bring two numbers to one unit; None when they cannot be (reported)."""
        a, b = _type(left), _type(right)
        assert isinstance(a, t.NumberType)
        assert isinstance(b, t.NumberType)
        if a.unit == b.unit:
            return left, right, a.unit
        if b.unit is None and isinstance(right, ir.Const):
            return left, ir.Const(right.value, t.NumberType(b.integral, a.unit), right.span), a.unit
        if a.unit is None and isinstance(left, ir.Const):
            return ir.Const(left.value, t.NumberType(a.integral, b.unit), left.span), right, b.unit
        if a.unit is not None and b.unit is not None and a.unit.dimension == b.unit.dimension:
            if isinstance(left, ir.FieldRef) or not isinstance(right, ir.FieldRef):
                return left, self._convert(right, a.unit), a.unit
            return self._convert(left, b.unit), right, b.unit
        self.report.error(
            "CR301",
            f"'{_shown_ir(left)}' is {_unit_words(a)} but '{_shown_ir(right)}' is {_unit_words(b)}",
            self._where(span),
            "compare quantities of one kind: a time with a time, a number with a number",
        )
        return None

    def _convert(self, value: ir.Expr, unit: Unit) -> ir.Expr:
        kind = _type(value)
        assert isinstance(kind, t.NumberType)
        assert kind.unit is not None
        if kind.unit == unit:
            return value
        factor = kind.unit.factor / unit.factor
        number = t.NumberType(False, unit)
        if isinstance(value, ir.Const):
            scaled = value.value * factor
            is_whole = float(scaled).is_integer() and isinstance(value.value, int)
            return ir.Const(int(scaled) if is_whole else scaled, number, value.span)
        return ir.Scale(value, factor, number, value.span)

    def _members(self, target: ir.Expr, members: tuple[ast.EnumValue, ...], word: str) -> frozenset[str]:
        kind = _type(target)
        if isinstance(kind, t.ErrorType):
            return frozenset(m.name for m in members)
        if not isinstance(kind, t.EnumType):
            hint = "use 'includes' for a list" if isinstance(kind, t.EnumListType) else None
            self.report.error(
                "CR302",
                f"'{word}' needs a choice, but '{_shown_ir(target)}' is {kind.describe()}",
                self._where(target.span),
                hint,
            )
            return frozenset(m.name for m in members)
        return self._check_members(kind, members)

    def _list_members(self, target: ir.Expr, members: tuple[ast.EnumValue, ...]) -> frozenset[str]:
        kind = self._need_list(target, "includes")
        if kind is None:
            return frozenset(m.name for m in members)
        return self._check_members(kind.item, members)

    def _need_list(self, target: ir.Expr, word: str) -> t.EnumListType | None:
        kind = _type(target)
        if isinstance(kind, t.EnumListType):
            return kind
        if not isinstance(kind, t.ErrorType):
            span = target.span
            self.report.error(
                "CR302",
                f"'{word}' needs a list, but '{_shown_ir(target)}' is {kind.describe()}",
                self._where(span),
                "use 'is' or 'in' for a single choice" if isinstance(kind, t.EnumType) else None,
            )
        return None

    def _check_members(self, kind: t.EnumType, members: tuple[ast.EnumValue, ...]) -> frozenset[str]:
        for member in members:
            if member.name not in kind.members:
                self.report.error(
                    "CR203",
                    f"'{member.name}' is not one of the values {', '.join(kind.members)}",
                    self._where(member.span),
                    did_you_mean(member.name, kind.members),
                )
        return frozenset(m.name for m in members)

    def _never_true(self, op: str, left: ir.Expr, right: ir.Expr, span: Span) -> None:
        """Warn about a comparison of a bounded field with a number it can never meet."""
        if isinstance(right, ir.FieldRef) and isinstance(left, ir.Const):
            left, right, op = right, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        if not (isinstance(left, ir.FieldRef) and isinstance(right, ir.Const)):
            return
        kind = left.type
        if not isinstance(kind, t.NumberType):
            return
        low, high, c = kind.low, kind.high, right.value
        impossible = (
            (op == ">" and high is not None and high <= c)
            or (op == ">=" and high is not None and high < c)
            or (op == "<" and low is not None and low >= c)
            or (op == "<=" and low is not None and low > c)
            or (op == "=" and ((low is not None and c < low) or (high is not None and c > high)))
        )
        if impossible:
            self.report.error(
                "CR501",
                f"this can never be true: '{left.path}' is {kind.describe()}",
                self._where(span),
                "check the number: a rule that can never fire protects no one",
            )


def _uses_session(condition: ir.Condition) -> bool:
    """True when a condition reads a session field outside any session form of its own."""
    stack: list[object] = [condition]
    while stack:
        node = stack.pop()
        match node:
            case ir.FieldRef(session=True):
                return True
            case ir.History():
                continue
            case ir.Phrase(session=session):
                if session:
                    return True
            case ir.And(items=items) | ir.Or(items=items):
                stack.extend(items)
            case ir.Not(item=item):
                stack.append(item)
            case ir.Compare(left=a, right=b):
                stack.extend((a, b))
            case ir.Between(value=a, low=b, high=c):
                stack.extend((a, b, c))
            case (
                ir.Truth(value=a)
                | ir.Member(value=a)
                | ir.Contains(value=a)
                | ir.Empty(value=a)
                | ir.Known(value=a)
            ):
                stack.append(a)
            case ir.Arith(left=a, right=b):
                stack.extend((a, b))
            case ir.Scale(expr=a):
                stack.append(a)
    return False


def _has_history(condition: ir.Condition) -> bool:
    stack: list[object] = [condition]
    while stack:
        node = stack.pop()
        match node:
            case ir.History():
                return True
            case ir.And(items=items) | ir.Or(items=items):
                stack.extend(items)
            case ir.Not(item=item) | ir.Phrase(condition=item) | ir.Known(value=item):
                stack.append(item)
    return False


def _shown(node: ast.Expr) -> str:
    match node:
        case ast.Ref(text=text):
            return text
        case ast.Number(text=text, unit=unit):
            return f"{text} {unit}" if unit else text
        case ast.Now():
            return "now"
        case ast.Arithmetic(op=op, left=left, right=right):
            return f"{_shown(left)} {op} {_shown(right)}"
    return "this"


def _shown_ir(node: ir.Expr) -> str:
    match node:
        case ir.FieldRef(path=path):
            return path
        case ir.ParamRef(name=name):
            return name
        case ir.Const(value=value, type=kind):
            return f"{value} {kind.unit.name}" if kind.unit else str(value)
        case ir.EnumConst(member=member):
            return member
        case ir.Now():
            return "now"
        case ir.Scale(expr=inner):
            return _shown_ir(inner)
        case ir.Arith(op=op, left=left, right=right):
            return f"{_shown_ir(left)} {op} {_shown_ir(right)}"
    return "this"


def _unit_words(kind: t.NumberType) -> str:
    if kind.unit is None:
        return "a number without a unit"
    return f"in {kind.unit.name} (a {kind.unit.dimension})"


def _define_hint(text: str) -> str:
    return f"a phrase of several words must be defined first: define {text}: ..."
