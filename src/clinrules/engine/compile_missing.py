"""Compiler, missing fields: the code that says which fields left a condition unknown.

A decision lists the fields whose answers would settle it (language.md
section 5, docs/semantics.md). The interpreter finds them (`interpret.
condition(...)[1]`) by walking the IR again; this module generates, once per
ruleset, one function per red flag and rule that returns exactly the same
frozenset, for the same inputs, at the speed of generated code. Each is
called as the red flag's or rule's own function is, `(p, P, now, ss, by_ex,
x=None, S=None)`, per target exercise for a rule that reads its target's
sessions.

Each function first asks the red flag's or rule's own compiled function
for its value, and returns the empty set unless it is unknown. The code of
a condition is then its missed set, written knowing which values the
condition can have there (`possible`), with the interpreter's rules:

- a test (comparison, `between`, membership, `contains`, `empty`, a yes/no
  field) is unknown exactly when a field it reads is, and misses those fields;
- `and` / `or`: empty when an item decides (false / true), else the union of
  the unknown items' sets; where the value cannot be the deciding one (an
  `and` known to be true or unknown), no item decides and the check is left
  out; `not` misses what its item misses; `known` never misses anything;
- a defined phrase of more than one test is a function of its own, asked
  only when the phrase is unknown (its value is in the memo), its result kept
  in the memo `m` as the value's phrase function keeps its;
- a session form runs a per-session value function, and a per-session missed
  function on the sessions it is unknown on, through `history_missed` /
  `days_missed` below, which follow `interpret._history` and
  `interpret._days` step by step (the sessions of every scope chosen as the
  compiled value code chooses them);
- a comparison of scores misses its sides' missing fields when it is unknown:
  a declared score's (the union over its unknown items, read over every
  session, kept in the score memo `m[-1]`), a `count of`'s where it stands;
  an assessment test misses the unknown branches tried, up to the one that
  decided (`assess_missed`), when the test is unknown.

The value of a sub-condition comes from the compiled Kleene code
(`compiler.cond`), which the agreement properties hold equal to the
interpreter's. A condition holding a node not listed above gets no function
(None): `decision.missing` then asks the interpreter, never a guess. Every node
of language 1 and 2 is listed, so today no condition falls back; the test
`test_the_shipped_conditions_are_compiled` checks the shipped ruleset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from clinrules import ir
from clinrules.base.errors import ClinrulesError
from clinrules.syntax.ast import Quantifier

__all__ = ["MissedCode", "assess_missed", "compilable", "days_missed", "history_missed", "nulls"]

Missed = frozenset[str]
SessionTest = Callable[..., Any]
_NONE: Missed = frozenset()
_TESTS = (ir.Compare, ir.Between, ir.Truth, ir.Member, ir.Contains, ir.Empty)
_COMPILED = (
    *_TESTS,
    ir.Known,
    ir.And,
    ir.Or,
    ir.Not,
    ir.Phrase,
    ir.History,
    ir.Assessed,
    *ir.EXPRESSIONS,
)
_ANY: frozenset[bool | None] = frozenset({True, False, None})
_UNKNOWN: frozenset[bool | None] = frozenset({None})
_MEMO = "    if -1 not in m:\n        m[-1] = g = {}\n        g[-1] = g\n    m = m[-1]\n"


def compilable(condition: ir.Condition) -> bool:
    """Whether every node under the condition (through phrases, sessions, scores) has missed code here."""
    return all(isinstance(node, _COMPILED) for node in ir.nodes(condition))


class MissedCode:
    """The missed-fields code of the generator, kept apart for size."""

    program: ir.Program
    defs: list[str]
    memo: bool
    picks: bool
    local_fields: frozenset[str]

    def fresh(self, prefix: str) -> str:
        raise NotImplementedError

    def const(self, value: object) -> str:
        raise NotImplementedError

    def cond(self, node: ir.Condition, session: bool) -> str:
        raise NotImplementedError

    def expr(self, node: ir.Expr, session: bool) -> str:
        raise NotImplementedError

    def read(self, node: ir.FieldRef) -> str:
        raise NotImplementedError

    def field(self, node: ir.FieldRef) -> str:
        raise NotImplementedError

    def local(self, path: str) -> str:
        raise NotImplementedError

    def once(self, code: str) -> tuple[str, str]:
        raise NotImplementedError

    def sessions(self, node: ir.History) -> str:
        raise NotImplementedError

    def with_memo(self, head: str, condition: ir.Condition, session: bool, start: str = "") -> str:
        raise NotImplementedError

    def score_range(self, node: ir.Expr, session: bool) -> str:
        raise NotImplementedError

    def scored_call(self, node: ir.Score | ir.Assessment) -> str:
        raise NotImplementedError

    def missed_all(self, program: ir.Program) -> None:
        """Write every red flag's and rule's missed function, then `_MISSED`: their names (None: not compiled)."""
        self.missed_names: dict[int, str] = {}  # id of a phrase's condition, score or assessment -> function
        self.missed_pending: list[tuple[str, ir.Phrase | ir.Score | ir.Assessment]] = []
        memo, fields = self.memo, self.local_fields
        self.local_fields = frozenset()  # every function here reads its fields where it tests them
        try:
            flags = [
                self.missed_function(f"rf{i}", f.condition, "ss") for i, f in enumerate(program.red_flags)
            ]
            every = "rt.merged(by_ex)"
            rules = [self.missed_function(f"r{i}", r.condition, every) for i, r in enumerate(program.rules)]
            while self.missed_pending:
                self.missed_shared(*self.missed_pending.pop())
        finally:
            self.memo, self.local_fields = memo, fields
        self.defs.append(
            f"_MISSED = ({''.join(n + ', ' for n in flags)}), ({''.join(n + ', ' for n in rules)})"
        )

    def missed_function(self, outcome: str, condition: ir.Condition, every: str) -> str:
        """`m<outcome>`: the missed fields of the red flag or rule whose value function is `outcome`.

        It asks that function first: only an unknown outcome misses anything,
        and knowing that it is unknown spares the checks of its `and` / `or`.
        """
        if not compilable(condition):
            return "None"
        name = f"m{outcome}"
        start = f"    if S is None:\n        S = rt.Picks({every})\n" if self.picks else ""
        # The patient fields its own code reads (not its phrases' or sessions'), each once, into locals.
        fields = _direct_fields(condition)
        reads = "".join(f"    {self.local(path)} = {self.field(ref)}\n" for path, ref in fields.items())
        outer, self.local_fields = self.local_fields, frozenset(fields)
        try:
            body = self.miss(condition, False, _UNKNOWN)
        finally:
            self.local_fields = outer
        self.defs.append(
            f"def {name}(p, P, now, ss, by_ex, x=None, S=None):\n{start}"
            f"    if {outcome}(p, P, now, ss, by_ex, x, S) is not None:\n        return {self.none}\n"
            f"{reads}    m = {{}}\n    return {body}"
        )
        return name

    def missed_shared(self, name: str, node: ir.Phrase | ir.Score | ir.Assessment) -> None:
        """The memoised function of a phrase, a declared score or an assessment (keyed by its number)."""
        key = name[2:]
        if isinstance(node, ir.Phrase):
            params = "s, p, P, now, m" if node.session else "p, P, now, ss, by_ex, m, x, S"
            fields = _direct_fields(node.condition)
            reads = "".join(f"    {self.local(path)} = {self.field(ref)}\n" for path, ref in fields.items())
            self.local_fields = frozenset(fields)
            try:
                body = self.miss(node.condition, node.session, _UNKNOWN)  # called only when it is unknown
            finally:
                self.local_fields = frozenset()
            self.defs.append(
                f"def {name}({params}):\n    if {key} in m:\n        return m[{key}]\n"
                f"{reads}    m[{key}] = v = {body}\n    return v"
            )
            return
        # As `compile_scores` reads them: every session, no target, the memo of scores.
        if isinstance(node, ir.Score):
            body = self.union([self.miss(item.condition, False, _ANY) for item in node.items])
        else:  # a branch's missed fields are asked only when it is unknown
            branches = "".join(
                "None, "
                if b.condition is None
                else f"(lambda: {self.cond(b.condition, False)}, lambda: {self.miss(b.condition, False, _UNKNOWN)}), "
                for b in node.branches
            )
            body = f"{self.const(assess_missed)}({self.scored_call(node)}[0], ({branches}))"
        every = "S.all" if self.picks else "()"
        self.defs.append(
            f"def {name}(p, P, now, by_ex, m, S):\n{_MEMO}"
            f"    if {key} in m:\n        return m[{key}]\n"
            f"    ss = {every}\n    x = None\n    m[{key}] = v = {body}\n    return v"
        )

    def shared_call(self, node: ir.Phrase | ir.Score | ir.Assessment, prefix: str, args: str) -> str:
        target: Any = node.condition if isinstance(node, ir.Phrase) else node
        name = self.missed_names.get(id(target))
        if name is None:
            name = self.missed_names[id(target)] = self.fresh(prefix)
            self.missed_pending.append((name, node))
        return f"{name}({args})"

    # ------------------------------------------------------------ conditions

    def miss(self, node: ir.Condition, session: bool, possible: frozenset[bool | None]) -> str:
        """The code of the fields a condition misses, right whenever its value is one of `possible`.

        Empty unless the condition is unknown. Knowing what its value can be
        spares checks: an `and` that cannot be false misses the union of its
        items' sets (each item then true or unknown, and a true one misses nothing).
        """
        unknown = possible == _UNKNOWN
        match node:
            case ir.Compare(kind=ir.CompareKind.SCORE, op=op, left=left, right=right):
                sides = self.union([self.range_missed(left, session), self.range_missed(right, session)])
                if unknown:
                    return sides
                a, b = self.score_range(left, session), self.score_range(right, session)
                return self.unless_known(f"rt.ranged({self.const(op)}, {a}, {b})", sides)
            case ir.Between(kind=ir.CompareKind.SCORE, value=value, low=low, high=high):
                sides = self.union([self.range_missed(e, session) for e in (value, low, high)])
                if unknown:
                    return sides
                parts = ", ".join(self.score_range(e, session) for e in (value, low, high))
                return self.unless_known(f"rt.ranged_between({parts})", sides)
            case ir.Assessed(assessment=assessment, members=members, negated=negated):
                tried = self.shared_call(assessment, "ma", "p, P, now, by_ex, m, S")
                if unknown:
                    return tried
                test = f"rt.assessed({self.scored_call(assessment)}, {self.const(members)}, {negated})"
                return self.unless_known(test, tried)
            case ir.Compare() | ir.Between() | ir.Truth() | ir.Member() | ir.Contains() | ir.Empty():
                return self.test_missed(node)
            case ir.Known():
                return self.none
            case ir.And(items=items):
                return self.kleene_missed(items, session, possible, stop=False)
            case ir.Or(items=items):
                return self.kleene_missed(items, session, possible, stop=True)
            case ir.Not(item=item):
                return self.miss(item, session, frozenset(v if v is None else not v for v in possible))
            case ir.Phrase(condition=inner) if isinstance(inner, _TESTS):
                return self.test_missed(inner)  # written in place, as the value code writes it
            case ir.Phrase():
                if node.session:
                    call = self.shared_call(node, "mp", "s, p, P, now, m")
                elif session:  # a patient phrase inside 'had', called as the value code calls it
                    call = self.shared_call(node, "mp", "p, P, now, (), {}, m, None, None")
                else:
                    call = self.shared_call(node, "mp", "p, P, now, ss, by_ex, m, x, S")
                # Its function assumes it is unknown; its value is in the memo, so asking costs little.
                return call if unknown else self.unless_known(self.cond(node, session), call)
            case ir.History():
                return self.history_code(node)
        raise ClinrulesError(f"no missed code for {type(node).__name__}")  # `compilable` rules it out

    @property
    def none(self) -> str:
        return self.const(_NONE)

    def union(self, codes: list[str]) -> str:
        kept = [code for code in codes if code != self.none]
        if not kept:
            return self.none
        return kept[0] if len(kept) == 1 else "(" + " | ".join(kept) + ")"

    def unless_known(self, value: str, missed: str) -> str:
        """`missed`, or empty when `value` (the code of a truth value) is true or false."""
        return f"({missed} if {value} is None else {self.none})"

    def kleene_missed(
        self, items: tuple[ir.Condition, ...], session: bool, possible: frozenset[bool | None], stop: bool
    ) -> str:
        """`and` (stop at False) or `or` (stop at True): empty once an item decides, else the unknown ones'.

        Past the check for a deciding item (none when the value cannot be
        `stop`), each item is `not stop` or unknown, and its set is right either way.
        """
        parts = self.union([self.miss(item, session, frozenset({not stop, None})) for item in items])
        if stop not in possible or parts == self.none:
            return parts
        decided = " or ".join(f"({self.cond(item, session)}) is {stop}" for item in items)
        return f"({self.none} if {decided} else {parts})"

    def test_missed(self, node: ir.Condition) -> str:
        """A test: unknown exactly when a field it reads is unknown, missing those fields."""
        found: dict[str, ir.FieldRef] = {}
        for operand in _operands(node):
            for ref in _fields(operand):
                found.setdefault(ref.path, ref)
        if not found:
            return self.none
        if len(found) == 1:
            ((path, ref),) = found.items()
            return f"({self.const(frozenset({path}))} if {self.raw(ref)} is None else {self.none})"
        values = "".join(self.raw(ref) + ", " for ref in found.values())
        return f"{self.const(nulls)}({self.const(tuple(found))}, ({values}))"

    def raw(self, ref: ir.FieldRef) -> str:
        """The code of a field's value, as far as whether it is None: its local, if it has one."""
        if not ref.session and ref.path in self.local_fields:
            return self.local(ref.path)
        return self.read(ref)

    def range_missed(self, node: ir.Expr, session: bool) -> str:
        """The fields that left one side of a score comparison open."""
        match node:
            case ir.ScoreValue(score=score) if score.id is not None:
                return self.shared_call(score, "ms", "p, P, now, by_ex, m, S")
            case ir.ScoreValue(score=score):  # a `count of`, counted where it stands
                return self.union([self.miss(item.condition, session, _ANY) for item in score.items])
        return self.none  # a number or a parameter: never unknown

    def history_code(self, node: ir.History) -> str:
        value, missed = self.fresh("hv"), self.fresh("hm")
        self.defs.append(self.with_memo(f"{value}(s, p, P, now)", node.condition, session=True))
        outer, self.local_fields = self.local_fields, frozenset()  # a function of its own: no locals
        try:
            body = self.miss(node.condition, True, _UNKNOWN)  # asked only of a session it is unknown on
        finally:
            self.local_fields = outer
        self.defs.append(f"def {missed}(s, p, P, now):\n    m = {{}}\n    return {body}")
        source = self.sessions(node)
        if node.days:
            every = node.quantifier is Quantifier.EVERY_OF_LAST
            last = self.const(node.last or 0)
            return (
                f"{self.const(days_missed)}({every}, {last}, {self.const(node.count or 1)}, "
                f"{value}, {missed}, rt.days({source}, {last}), p, P, now)"
            )
        window = "None" if node.window is None else self.expr(node.window, session=False)
        return (
            f"{self.const(history_missed)}({self.const(node.quantifier)}, {self.const(node.last)}, "
            f"{self.const(node.count or 0)}, {window}, {value}, {missed}, {source}, p, P, now)"
        )


def _direct_fields(condition: ir.Condition) -> dict[str, ir.FieldRef]:
    """The patient fields read by the code written in a condition's own function, in the order first read.

    Not those of its session forms, defined phrases of more than one test,
    scores or assessments: each of those is a function of its own.
    """
    found: dict[str, ir.FieldRef] = {}
    for node in ir.nodes(condition, into_history=False, into_phrases=False, into_scores=False):
        inner = node.condition if isinstance(node, ir.Phrase) and isinstance(node.condition, _TESTS) else None
        for each in ir.nodes(inner) if inner is not None else (node,):
            if isinstance(each, ir.FieldRef) and not each.session:
                found.setdefault(each.path, each)
    return found


def _operands(node: ir.Condition) -> tuple[ir.Expr, ...]:
    match node:
        case ir.Compare(left=left, right=right):
            return (left, right)
        case ir.Between(value=value, low=low, high=high):
            return (value, low, high)
        case (
            ir.Truth(value=value) | ir.Member(value=value) | ir.Contains(value=value) | ir.Empty(value=value)
        ):
            return (value,)
    raise ClinrulesError(f"not a test: {type(node).__name__}")


def _fields(node: ir.Expr) -> list[ir.FieldRef]:
    """The fields an expression reads: it is unknown exactly when one of them is (`interpret.expr`)."""
    match node:
        case ir.FieldRef():
            return [node]
        case ir.Scale(expr=inner):
            return _fields(inner)
        case ir.Arith(left=left, right=right):
            return _fields(left) + _fields(right)
    return []  # a constant, a parameter, `now`: never unknown


# ---------------------------------------------------------------- helpers the generated code calls


def nulls(paths: tuple[str, ...], values: tuple[Any, ...]) -> Missed:
    """The paths whose value is None."""
    found = [path for path, value in zip(paths, values, strict=True) if value is None]
    return frozenset(found) if found else _NONE


def assess_missed(
    result: Any, branches: Sequence[tuple[Callable[[], Any], Callable[[], Missed]] | None]
) -> Missed:
    """`interpret.assessment_of`'s missing: the unknown branches tried, up to the one that decides.

    `result` is the assessment's value (None: unsettled); a branch is (its
    value, its missed fields), None for `otherwise`.
    """
    if result is not None:
        return _NONE
    found: set[str] = set()
    for branch in branches:
        if branch is None:
            break
        value, missed = branch
        outcome = value()
        if outcome is None:
            found |= missed()
        elif outcome:
            break
    return frozenset(found)


def history_missed(
    quantifier: Quantifier,
    last: int | None,
    count: int,
    seconds: Any,
    value: SessionTest,
    missed: Callable[..., Missed],
    sessions: Sequence[Any],
    p: Any,
    params: tuple[Any, ...],
    now: dt.datetime,
) -> Missed:
    """`interpret._history`'s missed set, over per-session value and missed functions."""
    if quantifier is Quantifier.LAST:
        if not sessions or value(sessions[0], p, params, now) is not None:
            return _NONE
        return missed(sessions[0], p, params, now)
    if quantifier in (Quantifier.ANY_WITHIN, Quantifier.NONE_WITHIN):
        try:
            cutoff = now - dt.timedelta(seconds=seconds)
        except OverflowError:  # as `runtime.within`: before the calendar holds every session, after it none
            chosen = list(sessions) if seconds > 0 else []
        else:
            chosen = [s for s in sessions if s.at >= cutoff]
    else:
        chosen = list(sessions[:last])
    values = [value(s, p, params, now) for s in chosen]
    if quantifier is Quantifier.EVERY_OF_LAST:
        if len(sessions) < (last or 0):
            return _NONE
        decided = False in values or None not in values
    elif quantifier is Quantifier.COUNT_OF_LAST:
        yes, maybe = values.count(True), values.count(None)
        decided = yes >= count or yes + maybe < count
    else:  # any of the last, any within, none within: unknown unless one is true or none is unknown
        decided = True in values or None not in values
    if decided:
        return _NONE
    return frozenset().union(
        *(missed(s, p, params, now) for s, v in zip(chosen, values, strict=True) if v is None)
    )


def days_missed(
    every: bool,
    last: int,
    count: int,
    value: SessionTest,
    missed: Callable[..., Missed],
    days: list[list[Any]],
    p: Any,
    params: tuple[Any, ...],
    now: dt.datetime,
) -> Missed:
    """`interpret._days`'s missed set: a day holds when any (every, for `every one of`) session does."""
    if every and len(days) < last:
        return _NONE
    values: list[bool | None] = []
    unknown: set[str] = set()
    for day in days:
        found = [value(s, p, params, now) for s in day]
        if every:
            held = False if False in found else (None if None in found else True)
        else:
            held = True if True in found else (None if None in found else False)
        values.append(held)
        if held is None:
            unknown.update(*(missed(s, p, params, now) for s, v in zip(day, found, strict=True) if v is None))
    if every:
        decided = False in values or None not in values
    else:
        yes, maybe = values.count(True), values.count(None)
        decided = yes >= count or yes + maybe < count
    return _NONE if decided else frozenset(unknown)
