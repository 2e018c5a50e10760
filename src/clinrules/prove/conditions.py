"""Prove: the checked IR's conditions and expressions as dual-rail z3 formulas.

The encoding follows `engine/interpret.py` node by node, so that one reading
of the language serves both (the differential test holds them together):
a comparison is true when both sides are known and it holds, false when
both are known and it fails; a score is a range; an assessment's result is
the values its branches leave possible. Each shared part (a defined phrase,
a declared score, an assessment) is encoded once per context it is read in.
A construct this module has no formula for raises `Unsupported`, which the
queries turn into a diagnostic: it is never skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from clinrules import ir
from clinrules.prove.history import HistoryEncoder
from clinrules.prove.kleene import K3, MICROS, both, known_test
from clinrules.prove.values import Patient, Slot, Unsupported, exact
from clinrules.schema import types as t


@dataclass(frozen=True, slots=True)
class Assessed:
    """An assessment's result: `settled[v]` (the value is v), `possible[v]`, and `open` (no value)."""

    settled: dict[str, Any]
    possible: dict[str, Any]
    open: Any


class Encoder:
    """Turns conditions of one program into formulas over one symbolic patient."""

    def __init__(self, patient: Patient) -> None:
        self.patient = patient
        self.program = patient.program
        self.schema = patient.program.schema
        self.history = HistoryEncoder(self)
        self._cache: dict[tuple[int, str | None, int], K3] = {}
        self._scores: dict[tuple[int, str | None, int], tuple[Any, Any]] = {}
        self._assessed: dict[int, Assessed] = {}
        self._has_history: dict[int, bool] = {}

    # ------------------------------------------------------------ conditions

    def cond(self, node: ir.Condition, target: str | None, slot: Slot | None = None) -> K3:
        """The condition read for `target` (None: as a red flag), inside `slot` when in a `had`."""
        match node:
            case ir.Compare(kind=ir.CompareKind.SCORE) | ir.Between(kind=ir.CompareKind.SCORE):
                return self._score_test(node, target, slot)
            case ir.Compare(op=op, kind=kind, left=left, right=right):
                (ka, a), (kb, b) = (
                    self._operand(kind, left, target, slot),
                    self._operand(kind, right, target, slot),
                )
                return known_test(z3.And(ka, kb), _compare(op, a, b))
            case ir.Between(kind=kind, value=value, low=low, high=high):
                parts = [self._operand(kind, e, target, slot) for e in (value, low, high)]
                (kv, v), (kl, lo), (kh, hi) = parts
                return known_test(z3.And(kv, kl, kh), z3.And(lo <= v, v <= hi))
            case ir.Truth(value=value):
                known, v = self.expr(value, target, slot)
                return known_test(known, v)
            case ir.Member(value=value, members=members, negated=negated):
                known, v = self.expr(value, target, slot)
                choice = getattr(value, "type", None)
                if not isinstance(choice, t.EnumType):
                    raise Unsupported("a choice test on a value that is not a choice", node.span)
                hit = z3.Or([v == choice.members.index(m) for m in sorted(members) if m in choice.members])
                return known_test(known, z3.Not(hit) if negated else hit)
            case ir.Contains(value=value, members=members):
                known, bits = self.expr(value, target, slot)
                return known_test(known, z3.Or([bits[i] for i in self._member_indexes(value, members)]))
            case ir.Empty(value=value, negated=negated):
                known, bits = self.expr(value, target, slot)
                empty = z3.Not(z3.Or(list(bits)))
                return known_test(known, z3.Not(empty) if negated else empty)
            case ir.Known(value=value, negated=negated):
                known = self._known(value, target, slot)
                return K3(z3.Not(known), known) if negated else K3(known, z3.Not(known))
            case ir.And(items=items):
                return both([self.cond(i, target, slot) for i in items], True)
            case ir.Or(items=items):
                return both([self.cond(i, target, slot) for i in items], False)
            case ir.Not(item=item):
                return ~self.cond(item, target, slot)
            case ir.Phrase(condition=inner):
                key = (id(inner), target if self._reads_history(inner) else None, id(slot))
                found = self._cache.get(key)
                if found is None:
                    found = self._cache[key] = self.cond(inner, target, slot)
                return found
            case ir.History():
                if slot is not None:
                    raise Unsupported("a session form inside a session form", node.span)
                return self.history.encode(node, target)
            case ir.Assessed(assessment=assessment, members=members, negated=negated):
                return _in(self.assessment(assessment), members, negated)
        raise Unsupported(type(node).__name__, getattr(node, "span", None))

    def _reads_history(self, node: ir.Condition) -> bool:
        found = self._has_history.get(id(node))
        if found is None:
            found = self._has_history[id(node)] = any(isinstance(n, ir.History) for n in ir.nodes(node))
        return found

    def _member_indexes(self, value: ir.Expr, members: frozenset[str]) -> list[int]:
        kind = getattr(value, "type", None)
        if not isinstance(kind, t.EnumListType):
            raise Unsupported("a list test on a value that is not a list", value.span)
        return [i for i, m in enumerate(kind.item.members) if m in members]

    def _known(self, value: ir.Expr | ir.Condition, target: str | None, slot: Slot | None) -> Any:
        if isinstance(value, ir.ScoreValue):
            low, high = self.score(value.score, target, slot)
            return low == high
        if isinstance(value, ir.AssessValue):
            return z3.Or(list(self.assessment(value.assessment).settled.values()))
        if isinstance(value, ir.EXPRESSIONS):
            return self.expr(value, target, slot)[0]
        inner = self.cond(value, target, slot)
        return z3.Or(inner.t, inner.f)

    # ------------------------------------------------------------ expressions

    def expr(self, node: ir.Expr, target: str | None, slot: Slot | None) -> tuple[Any, Any]:
        """(known, value): times in microseconds after `now`, durations in seconds, choices by index."""
        match node:
            case ir.FieldRef(path=path, session=True):
                if slot is None:
                    raise Unsupported("a session field outside a session form", node.span)
                value = self.patient.session_field(slot, self.schema.session_fields[path.split(".", 1)[1]])
                if value.value is None:
                    raise Unsupported(f"a comparison with the free text '{path}'", node.span)
                return value.known, value.value
            case ir.FieldRef(path=path):
                value = self.patient.field(self.schema.fields[path])
                if value.value is None:
                    raise Unsupported(f"a comparison with the free text '{path}'", node.span)
                return value.known, value.value
            case ir.ParamRef(name=name):
                return z3.BoolVal(True), self.patient.param(name)
            case ir.Const(value=value):
                return z3.BoolVal(True), exact(value)
            case ir.EnumConst(member=member, type=kind):
                return z3.BoolVal(True), z3.IntVal(kind.members.index(member))
            case ir.Now():
                return z3.BoolVal(True), z3.IntVal(0)
            case ir.Scale(expr=inner, factor=factor):
                known, v = self.expr(inner, target, slot)
                return known, v * exact(factor)
            case ir.Arith(op=op, kind=kind, left=left, right=right):
                (ka, a), (kb, b) = self.expr(left, target, slot), self.expr(right, target, slot)
                sign = 1 if op == "+" else -1
                if kind is ir.ArithKind.SHIFT:
                    # The evaluator adds whole microseconds; a duration with a fraction of one is
                    # the boundary the replay of every counterexample is there to catch.
                    return z3.And(ka, kb), a + sign * b * MICROS
                if kind is ir.ArithKind.ELAPSED:
                    return z3.And(ka, kb), z3.ToReal(a - b) / MICROS
                return z3.And(ka, kb), (a + b if op == "+" else a - b)
        raise Unsupported(f"the expression {type(node).__name__}", getattr(node, "span", None))

    def _operand(self, kind: ir.CompareKind, node: ir.Expr, target: str | None, slot: Slot | None) -> Any:
        known, value = self.expr(node, target, slot)
        if kind is ir.CompareKind.EQUAL and isinstance(getattr(node, "type", None), t.TextType):
            raise Unsupported("a comparison of free text", node.span)
        return known, value

    # ------------------------------------------------------------ scores and assessments

    def score(self, score: ir.Score, target: str | None, slot: Slot | None) -> tuple[Any, Any]:
        """A score's range (low, high): declared ones read as a red flag does, `count of` in place."""
        if score.id is not None:
            target, slot = None, None
        key = (id(score), target, id(slot))
        found = self._scores.get(key)
        if found is None:
            low: list[Any] = []
            high: list[Any] = []
            for item in score.items:
                c = self.cond(item.condition, target, slot)
                maybe = z3.If(z3.Not(c.f), item.points, 0)
                sure_ = z3.If(c.t, item.points, 0)
                low.append(maybe if item.points < 0 else sure_)
                high.append(sure_ if item.points < 0 else maybe)
            found = self._scores[key] = (
                z3.Sum(low) if low else z3.IntVal(0),
                z3.Sum(high) if high else z3.IntVal(0),
            )
        return found

    def _range(self, node: ir.Expr, target: str | None, slot: Slot | None) -> tuple[Any, Any]:
        if isinstance(node, ir.ScoreValue):
            return self.score(node.score, target, slot)
        known, value = self.expr(node, target, slot)
        if not z3.is_true(z3.simplify(known)):
            raise Unsupported("a score compared with a value that may be unknown", node.span)
        return value, value

    def _score_test(self, node: ir.Compare | ir.Between, target: str | None, slot: Slot | None) -> K3:
        if isinstance(node, ir.Compare):
            return _ranged(
                node.op, self._range(node.left, target, slot), self._range(node.right, target, slot)
            )
        value, low, high = (self._range(e, target, slot) for e in (node.value, node.low, node.high))
        return _ranged(">=", value, low) & _ranged("<=", value, high)

    def assessment(self, assessment: ir.Assessment) -> Assessed:
        """The branches tried in order (runtime.assess): what is settled, what is possible."""
        found = self._assessed.get(id(assessment))
        if found is not None:
            return found
        settled: dict[str, list[Any]] = {v: [] for v in assessment.values}
        possible: dict[str, list[Any]] = {v: [] for v in assessment.values}
        none_true: list[Any] = []  # no earlier branch true
        all_false: list[Any] = []  # every earlier branch false
        has_otherwise = False
        for branch in assessment.branches:
            if branch.condition is None:
                has_otherwise = True
                possible[branch.value].append(z3.And(none_true))
                settled[branch.value].append(z3.And(all_false))
                break
            c = self.cond(branch.condition, None)
            possible[branch.value].append(z3.And([*none_true, z3.Not(c.f)]))
            settled[branch.value].append(z3.And([*all_false, c.t]))
            none_true.append(z3.Not(c.t))
            all_false.append(c.f)
        open_ = z3.BoolVal(False) if has_otherwise else z3.And(none_true)
        found = Assessed(
            {v: z3.Or(s) for v, s in settled.items()}, {v: z3.Or(p) for v, p in possible.items()}, open_
        )
        self._assessed[id(assessment)] = found
        return found


def _compare(op: str, a: Any, b: Any) -> Any:
    return {
        "<": lambda: a < b,
        "<=": lambda: a <= b,
        ">": lambda: a > b,
        ">=": lambda: a >= b,
        "=": lambda: a == b,
        "!=": lambda: a != b,
    }[op]()


def _ranged(op: str, a: tuple[Any, Any], b: tuple[Any, Any]) -> K3:
    """runtime.ranged: true when every pair of values satisfies it, false when none does."""
    (al, ah), (bl, bh) = a, b
    if op == "<":
        return K3(ah < bl, al >= bh)
    if op == "<=":
        return K3(ah <= bl, al > bh)
    if op == ">":
        return K3(al > bh, ah <= bl)
    if op == ">=":
        return K3(al >= bh, ah < bl)
    equal = K3(z3.And(al == ah, ah == bl, bl == bh), z3.Or(ah < bl, bh < al))
    return equal if op == "=" else ~equal


def _in(result: Assessed, members: frozenset[str], negated: bool) -> K3:
    """runtime.assessed: membership of a settled value, or of every value still possible."""
    inside = [v for v in result.settled if v in members]
    outside = [v for v in result.settled if v not in members]
    any_settled = z3.Or(list(result.settled.values()))
    found = z3.Or(
        z3.Or([result.settled[v] for v in inside]),
        z3.And(
            z3.Not(any_settled),
            z3.Or([result.possible[v] for v in inside]),
            z3.Not(result.open),
            z3.And([z3.Not(result.possible[v]) for v in outside]),
        ),
    )
    lost = z3.Or(
        z3.Or([result.settled[v] for v in outside]),
        z3.And(z3.Not(any_settled), z3.And([z3.Not(result.possible[v]) for v in inside])),
    )
    value = K3(found, lost)
    return ~value if negated else value
