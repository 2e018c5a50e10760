"""The time comparisons of a program, found by one walk: what `recheck_at` tries (recheck.py).

A red flag's or rule's condition compares the time wherever it reads `now`
(`screened_at < now - 24 hours`, `now - onset > 6 weeks`) or holds a
`within` window. `Walk` finds every such comparison once, through defined
phrases (each summarised once, however often it is used) and session forms,
and says for each when it changes at the instant T its two sides are equal:
at T, only after it, or either.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinrules import ir
from clinrules.syntax.ast import Quantifier

__all__ = [
    "AFTER",
    "AT",
    "BOTH",
    "EITHER",
    "FALLS",
    "NOTHING",
    "RISES",
    "STILL",
    "Summary",
    "Test",
    "Walk",
    "directions",
    "shifts",
]

# When a comparison that is equal at T changes: at T, only after T (so the candidate
# is T + 1 s), or either (equality, and what is solved as fractions).
AT, AFTER, BOTH = 0, 1, 2
_WHEN_FIXED_LEFT = {"<": AFTER, "<=": AT, ">": AT, ">=": AFTER}  # fixed OP now + offset
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


_TIMED_KINDS = frozenset({ir.CompareKind.DATETIME, ir.CompareKind.NUMBER})


@dataclass(frozen=True, slots=True)
class Test:
    """`left OP right` with `now` on at least one side.

    Attributes:
        fixed: for a time compared with `now` shifted by durations, the
            side without `now` (else None: solved as fractions).
        shifts: the (sign, duration) of that shifted `now`.
        session: whether it reads a session field.
        session_shifts: whether the shifts do (else their sum is the same for every session).
        when: `AT`, `AFTER` or `BOTH`: when the test changes, for a change instant T.
    """

    left: ir.Expr
    right: ir.Expr
    fixed: ir.Expr | None
    shifts: tuple[tuple[int, ir.Expr], ...]
    session: bool
    session_shifts: bool
    when: int


@dataclass(frozen=True, slots=True)
class Summary:
    """What one condition compares with `now`: outside session forms, and its session forms.

    `shared` holds the session forms of the scores and assessments it uses,
    which read every session whatever the rule's target (as a red flag's do).
    """

    tests: tuple[Test, ...] = ()
    histories: tuple[ir.History, ...] = ()
    unsupported: bool = False
    shared: tuple[ir.History, ...] = ()

    @property
    def timed(self) -> bool:
        return bool(self.tests or self.histories or self.unsupported or self.shared)


NOTHING = Summary()


class Walk:
    """The walk of a program, made once: each defined phrase and session form summarised once."""

    def __init__(self) -> None:
        self.memo: dict[int, Summary] = {}  # phrase condition id -> its summary
        self.inner: dict[int, Summary] = {}  # session form id -> the summary of what `had` tests
        self.now_nodes: set[int] = set()  # ids of the expressions that read `now`
        self.session_fields: dict[int, str] = {}  # id -> path of the session fields tests read

    def summary(self, root: ir.Condition) -> Summary:
        tests: dict[int, Test] = {}
        histories: dict[int, ir.History] = {}
        shared: dict[int, ir.History] = {}
        unsupported = False
        for node in ir.nodes(root, into_history=False, into_phrases=False):
            match node:
                case ir.Compare(kind=ir.CompareKind.SCORE) | ir.Between(kind=ir.CompareKind.SCORE):
                    pass  # its sides are walked: a `count of`'s items, or a declared score (below)
                case (
                    ir.ScoreValue(score=ir.Score(id=str()) as declared)
                    | ir.Assessed(assessment=declared)
                    | ir.AssessValue(assessment=declared)
                ):
                    used = self.declared(declared)
                    tests.update((id(x), x) for x in used.tests)
                    shared.update((id(h), h) for h in used.shared)
                    unsupported |= used.unsupported
                case ir.Phrase(condition=condition):
                    # A phrase's condition is shared by its uses: summarised once.
                    found = self.memo.get(id(condition))
                    if found is None:
                        found = self.memo[id(condition)] = self.summary(condition)
                    tests.update((id(x), x) for x in found.tests)
                    histories.update((id(h), h) for h in found.histories)
                    shared.update((id(h), h) for h in found.shared)
                    unsupported |= found.unsupported
                case ir.History():
                    histories[id(node)] = node
                    if id(node) not in self.inner:
                        inner = self.inner[id(node)] = self.summary(node.condition)
                        # A session form inside `had` (the checker refuses it) has no known selection.
                        unsupported |= bool(inner.histories)
                    if node.window is not None and self.reads_now(node.window):
                        unsupported = True
                case ir.Compare(op=op, kind=kind, left=left, right=right):
                    if self.reads_now(left) | self.reads_now(right):
                        unsupported |= kind not in _TIMED_KINDS
                        test = self.test(op, left, right)
                        if test is not None:
                            tests[id(test)] = test
                case ir.Between(kind=kind, value=value, low=low, high=high):
                    if self.reads_now(value) | self.reads_now(low) | self.reads_now(high):
                        unsupported |= kind not in _TIMED_KINDS
                        for left, right in ((low, value), (value, high)):
                            test = self.test("<=", left, right)
                            if test is not None:
                                tests[id(test)] = test
                case ir.Truth(value=value) | ir.Member(value=value) | ir.Contains(value=value):
                    unsupported |= self.reads_now(value)
                case ir.Empty(value=value):
                    unsupported |= self.reads_now(value)
                case _:
                    pass  # `is known` of a time does not depend on when; expressions are read by their test
        if not (tests or histories or unsupported or shared):
            return NOTHING
        return Summary(tuple(tests.values()), tuple(histories.values()), unsupported, tuple(shared.values()))

    def declared(self, node: ir.Score | ir.Assessment) -> Summary:
        """A declared score's or assessment's summary, made once: its session forms all shared."""
        found = self.memo.get(id(node))
        if found is None:
            roots = (
                [item.condition for item in node.items]
                if isinstance(node, ir.Score)
                else [b.condition for b in node.branches if b.condition is not None]
            )
            parts = [self.summary(root) for root in roots]
            tests = {id(x): x for part in parts for x in part.tests}
            shared = {id(h): h for part in parts for h in (*part.histories, *part.shared)}
            unsupported = any(part.unsupported for part in parts)
            found = self.memo[id(node)] = Summary(
                tuple(tests.values()), (), unsupported, tuple(shared.values())
            )
        return found

    def reads_now(self, node: ir.Expr) -> bool:
        """Whether an expression reads `now`; each part of it that does is remembered."""
        reads = [n for n in ir.nodes(node) if _reads_now_below(n)]
        self.now_nodes.update(id(n) for n in reads)
        return bool(reads)

    def test(self, op: str, left: ir.Expr, right: ir.Expr) -> Test | None:
        """The test of `left OP right`; None when `now` cancels out (it is on both sides alike)."""
        fields = [n for e in (left, right) for n in ir.nodes(e) if isinstance(n, ir.FieldRef) and n.session]
        self.session_fields.update((id(n), n.path) for n in fields)
        session = bool(fields)
        left_shifts, right_shifts = shifts(left), shifts(right)
        if left_shifts is not None and right_shifts is not None:
            return None  # `now + a OP now + b` holds or not whatever the time
        if right_shifts is not None and not self.reads_now(left):
            when = _WHEN_FIXED_LEFT.get(op, BOTH)
            return Test(left, right, left, right_shifts, session, _reads_session(right), when)
        if left_shifts is not None and not self.reads_now(right):
            when = _WHEN_FIXED_LEFT.get(_MIRROR[op], BOTH)
            return Test(left, right, right, left_shifts, session, _reads_session(left), when)
        return Test(left, right, None, (), session, True, BOTH)


def shifts(node: ir.Expr) -> tuple[tuple[int, ir.Expr], ...] | None:
    """(sign, duration) of each shift when `node` is `now` shifted by durations without `now`; else None."""
    shifts = []
    while isinstance(node, ir.Arith) and node.kind is ir.ArithKind.SHIFT:
        if any(isinstance(n, ir.Now) for n in ir.nodes(node.right)):
            return None
        shifts.append((1 if node.op == "+" else -1, node.right))
        node = node.left
    return tuple(shifts) if isinstance(node, ir.Now) else None


def _reads_session(node: ir.Expr) -> bool:
    return any(isinstance(n, ir.FieldRef) and n.session for n in ir.nodes(node))


def _reads_now_below(node: ir.Condition | ir.Expr) -> bool:
    return any(isinstance(n, ir.Now) for n in ir.nodes(node))


# How a condition's value can move as `now` grows past `as_of`, in the order
# false < unknown < true: not at all, only up, only down, or either way.
STILL, RISES, FALLS, EITHER = 0, 1, 2, 3
_RISING_OPS = frozenset({"<", "<="})  # fixed OP now shifted: true from some time on
_FALLING_OPS = frozenset({">", ">="})


def directions(roots: tuple[ir.Condition, ...]) -> tuple[int, ...]:
    """Each condition's direction (`STILL`, `RISES`, `FALLS` or `EITHER`), found by one walk.

    Kleene and, or and every session quantifier are monotone in their parts,
    and `not` turns a direction round. A session can only leave a `within`
    window as time passes (no session is later than `as_of`), so `any session
    within W` can only fall; `fixed < now - D` can only rise, `fixed >= now - D`
    only fall, and an unknown side keeps it unknown. Anything else that reads
    `now` (an elapsed time, `between`, a score) counts as either way. The walk
    keeps its own stack, so no depth is too deep; a shared phrase is walked once.
    """
    memo: dict[int, int] = {}
    for root in roots:
        stack: list[tuple[ir.Condition, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            parts = _parts(node)
            if not ready and any(id(p) not in memo for p in parts):
                stack.append((node, True))
                stack.extend((p, False) for p in parts if id(p) not in memo)
                continue
            memo[id(node)] = _direction(node, [memo[id(p)] for p in parts])
    return tuple(memo[id(root)] for root in roots)


def _parts(node: ir.Condition) -> tuple[ir.Condition, ...]:
    match node:
        case ir.And(items=items) | ir.Or(items=items):
            return items
        case ir.Not(item=item):
            return (item,)
        case ir.Phrase(condition=condition) | ir.History(condition=condition):
            return (condition,)
    return ()


def _turned(direction: int) -> int:
    return ((direction & RISES) << 1) | ((direction & FALLS) >> 1)


def _direction(node: ir.Condition, parts: list[int]) -> int:
    """A node's direction from its parts' directions."""
    match node:
        case ir.And() | ir.Or() | ir.Phrase():
            found = STILL
            for part in parts:
                found |= part
            return found
        case ir.Not():
            return _turned(parts[0])
        case ir.History(quantifier=quantifier, window=window):
            if window is None:
                return parts[0]
            if _reads_now_below(window):
                return EITHER
            if quantifier is Quantifier.ANY_WITHIN:
                return parts[0] | FALLS
            if quantifier is Quantifier.NONE_WITHIN:
                return _turned(parts[0] | FALLS)
            return EITHER
        case ir.Compare(op=op, kind=kind, left=left, right=right) if kind is not ir.CompareKind.SCORE:
            left_now, right_now = _timed_below(left), _timed_below(right)
            if not (left_now or right_now):
                return STILL
            if right_now and not left_now and shifts(right) is not None:
                side = op
            elif left_now and not right_now and shifts(left) is not None:
                side = _MIRROR[op]
            else:
                return EITHER
            return RISES if side in _RISING_OPS else FALLS if side in _FALLING_OPS else EITHER
    return EITHER if _timed_below(node) else STILL


def _timed_below(node: ir.Condition | ir.Expr) -> bool:
    """Whether a node depends on the time: it reads `now` or holds a `within` window, however
    deep (in a phrase, a score's items or an assessment's branches)."""
    return any(
        isinstance(n, ir.Now) or (isinstance(n, ir.History) and n.window is not None) for n in ir.nodes(node)
    )
