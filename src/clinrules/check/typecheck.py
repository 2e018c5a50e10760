"""Checker, types and units: the rules by which values meet in a condition.

Numbers meet numbers in one unit (a bare number takes the unit of what it
meets; units of one dimension convert; others are refused, and a unit the
model declares outside the conversion table meets only itself), times meet
times (a date is the start of its day in UTC), ordered choices meet by
rank, and choices are checked against their values. Every check accepts `ErrorType` silently, so a subtree that already
has an error raises nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping

from clinrules import ir
from clinrules.base.span import Span
from clinrules.check.names import Reporter, did_you_mean
from clinrules.schema import types as t
from clinrules.schema.units import TABLE_WORDS, Unit, unit_named
from clinrules.syntax import ast

_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_TABLE = ("s", "min", "hours", "days", "weeks", "months", "years", "kg", "cm", "inches", "%")


def poison(span: Span) -> ir.FieldRef:
    return ir.FieldRef("<error>", t.ERROR, False, span)


YES_NO_HINT = (
    "a yes/no field stands alone: write the field for yes (fever) and 'not' before it for no (not fever)"
)


def yes_no_hint(name: str) -> str:
    """How to ask about the yes/no field `name`: on its own, or after `not`."""
    return f"a yes/no field stands alone: write '{name}' for yes and 'not {name}' for no"


def fraction_bound(node: ast.Parameter, number: ast.Number, unit: Unit | None) -> tuple[str, str]:
    """CR304's message and hint for a bound of a whole-number parameter that is a fraction of its unit."""
    name, default = node.id.name, node.default
    fraction_hint = f"write the default with a decimal point to allow fractions: {default.text}.0"
    own = unit_named(number.unit) if number.unit is not None else None
    if unit is None or own is None or own == unit:
        message = (
            f"the parameter '{name}' is a whole number (its default has no decimal point), "
            f"so {number.text} cannot be a bound"
        )
        return message, fraction_hint
    message = (
        f"the parameter '{name}' is a whole number of {default.unit} (its default has no decimal point), "
        f"and {number.text} {number.unit} is not a whole number of {default.unit}"
    )
    values = [
        ((unit_named(n.unit) if n.unit else None) or unit).to(own, n.value)
        for n in (default, node.low, node.high)
    ]
    if all(float(v).is_integer() for v in values):
        d, low, high = (f"{int(v)} {_unit_word(own, v)}" for v in values)
        declared = f"parameter {name} = {d} between {low} and {high}"
        return message, f"declare it in {own.name}: {declared}; or {fraction_hint} {default.unit}"
    return message, f"write the bound in {default.unit}, or {fraction_hint} {default.unit}"


def written_unit(word: str, units: Mapping[str, Unit]) -> Unit | None:
    """The unit a word after a number names: the table's, else one the model declares (`units`); or None."""
    return unit_named(word) or units.get(word)


def unknown_unit(word: str, units: Mapping[str, Unit]) -> tuple[str, str]:
    """CR306's message and hint for a unit that is neither the table's nor one the model declares."""
    declared = sorted(units)
    close = did_you_mean(word, [*declared, *(w for w in _TABLE if w.isalpha())])
    spelled = "units are written exactly as the model spells them"
    model = f"the model declares {', '.join(declared)}" if declared else "the model declares no other unit"
    hint = f"{close} {spelled}" if close else f"{spelled}: {model}; the table has {TABLE_WORDS}"
    return f"unknown unit '{word}'", hint


def _unit_word(unit: Unit, value: float) -> str:
    """`days`, or `day` after 1."""
    return unit.name[:-1] if value == 1 and len(unit.name) > 1 and unit.name.endswith("s") else unit.name


def type_of(expr: ir.Expr) -> t.RuleType:
    if isinstance(expr, ir.Now):
        return t.DATETIME
    return expr.type


def shown_ir(node: ir.Expr) -> str:
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
            return shown_ir(inner)
        case ir.Arith(op=op, left=left, right=right):
            return f"{shown_ir(left)} {op} {shown_ir(right)}"
        case ir.ScoreValue(score=score):
            return score.id or "count of (...)"
        case ir.AssessValue(assessment=assessment):
            return assessment.id
    return "this"


def unit_words(kind: t.NumberType) -> str:
    if kind.unit is None:
        return "a number without a unit"
    if kind.unit.own:
        return f"in {kind.unit.name}"
    return f"in {kind.unit.name} (a {kind.unit.dimension})"


class TypeRules:
    """The type and unit checks of `ConditionChecker`, kept apart for size."""

    report: Reporter
    file: str

    def _where(self, span: Span) -> tuple[str, Span]:
        return (self.file, span)

    def _comparable(
        self, op: str, left: ir.Expr, right: ir.Expr, span: Span
    ) -> tuple[ir.CompareKind, ir.Expr, ir.Expr]:
        a, b = type_of(left), type_of(right)
        if isinstance(a, t.ErrorType) or isinstance(b, t.ErrorType):
            return ir.CompareKind.NUMBER, left, right
        if isinstance(a, t.NumberType) and isinstance(b, t.NumberType):
            left, right, _unit = self._units(left, right, span) or (left, right, None)
            return ir.CompareKind.NUMBER, left, right
        if t.is_time(a) and t.is_time(b):
            return ir.CompareKind.DATETIME, left, right
        if isinstance(a, t.EnumType) and isinstance(b, t.EnumType) and a.members == b.members:
            if op in _ORDER_OPS:
                if not a.ordinal:
                    self.report.error(
                        "CR303",
                        f"the values of '{shown_ir(left)}' have no order ({', '.join(a.members)})",
                        self._where(span),
                        "ask for values instead: x is VALUE, or x in {A, B}",
                    )
                return ir.CompareKind.RANK, left, right
            return ir.CompareKind.EQUAL, left, right
        if isinstance(a, t.BoolType) and isinstance(b, t.BoolType) and op in ("=", "!="):
            return ir.CompareKind.EQUAL, left, right
        hint = None
        if isinstance(a, t.EnumType) and isinstance(right, ir.FieldRef | ir.ParamRef | ir.Const):
            hint = f"the values of '{shown_ir(left)}' are {', '.join(a.members)}"
        elif t.is_time(a) or t.is_time(b):
            hint = "compare a time with a time, such as: screened_at < now - 24 hours"
            if isinstance(a, t.DateType) or isinstance(b, t.DateType):
                hint = "a date is a time: compare how long ago it was, such as: now - birth_date >= 65 years"
        elif isinstance(a, t.BoolType) != isinstance(b, t.BoolType):
            hint = yes_no_hint(shown_ir(left if isinstance(a, t.BoolType) else right))
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
        a, b = type_of(left), type_of(right)
        assert isinstance(a, t.NumberType)
        assert isinstance(b, t.NumberType)
        if a.unit == b.unit:
            return left, right, a.unit
        if b.unit is None and isinstance(right, ir.Const):
            return left, ir.Const(right.value, t.NumberType(b.integral, a.unit), right.span), a.unit
        if a.unit is None and isinstance(left, ir.Const):
            return ir.Const(left.value, t.NumberType(a.integral, b.unit), left.span), right, b.unit
        if a.unit is not None and b.unit is not None and a.unit.dimension == b.unit.dimension:
            # A number or a parameter converts, not what it meets: `65 years < now - birth_date`
            # compares seconds exactly, where scaling the elapsed time to years would round.
            settled = (ir.Const, ir.ParamRef)
            if isinstance(left, settled) and not isinstance(right, settled):
                return self._convert(left, b.unit), right, b.unit
            if isinstance(left, ir.FieldRef) or not isinstance(right, ir.FieldRef):
                return left, self._convert(right, a.unit), a.unit
            return self._convert(left, b.unit), right, b.unit
        own = next((u for u in (a.unit, b.unit) if u is not None and u.own), None)
        self.report.error(
            "CR301",
            f"'{shown_ir(left)}' is {unit_words(a)} but '{shown_ir(right)}' is {unit_words(b)}",
            self._where(span),
            f"{own.name} converts to no other unit: compare it with a number in {own.name}, or a bare number"
            if own is not None
            else "compare quantities of one kind: a time with a time, a number with a number",
        )
        return None

    def _convert(self, value: ir.Expr, unit: Unit) -> ir.Expr:
        kind = type_of(value)
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
        kind = type_of(target)
        if isinstance(kind, t.ErrorType):
            return frozenset(m.name for m in members)
        if not isinstance(kind, t.EnumType):
            hint = "use 'includes' for a list" if isinstance(kind, t.EnumListType) else None
            if isinstance(kind, t.BoolType):
                hint = yes_no_hint(shown_ir(target))
            self.report.error(
                "CR302",
                f"'{word}' needs a choice, but '{shown_ir(target)}' is {kind.describe()}",
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
        kind = type_of(target)
        if isinstance(kind, t.EnumListType):
            return kind
        if not isinstance(kind, t.ErrorType):
            span = target.span
            self.report.error(
                "CR302",
                f"'{word}' needs a list, but '{shown_ir(target)}' is {kind.describe()}",
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
