"""The checked program's expressions and conditions, and `nodes`, the one walker.

Every name here is resolved (a field path, a parameter, an exercise id),
every expression has a type, every number is in the unit of what it is
compared with, and defined phrases are expanded where they are used (as
shared objects, so a phrase used twice is not copied). Nodes compare by
identity (`eq=False`): nothing compares them by value, and Python makes
their classes at import in half the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from clinrules.base.records import record
from clinrules.base.span import Span
from clinrules.schema import types as t
from clinrules.syntax.ast import Quantifier, ScopeKind

# ---------------------------------------------------------------- expressions


@record(eq=False)
class FieldRef:
    """A model field: a patient field, or a session field inside `had`."""

    path: str
    type: t.RuleType
    session: bool
    span: Span


@record(eq=False)
class ParamRef:
    """A parameter, read in its own unit (a number), or a yes/no one."""

    name: str
    type: t.NumberType | t.BoolType
    span: Span


@record(eq=False)
class Const:
    """A number, already in the unit of what it meets (seconds for a duration)."""

    value: int | float
    type: t.NumberType
    span: Span


@record(eq=False)
class EnumConst:
    """An enum member, with its rank for ordered enums."""

    member: str
    rank: int
    type: t.EnumType
    span: Span


@record(eq=False)
class Now:
    """The evaluation time."""

    span: Span


@record(eq=False)
class Scale:
    """`expr` multiplied by `factor`: a unit conversion (hours to seconds, say)."""

    expr: Expr
    factor: float
    type: t.NumberType
    span: Span


class ArithKind(StrEnum):
    """What `+`/`-` does, decided by the operand types."""

    NUMBER = "number"  # number +- number
    SHIFT = "shift"  # datetime +- duration in seconds -> datetime
    ELAPSED = "elapsed"  # datetime - datetime -> duration in seconds


@record(eq=False)
class Arith:
    """`left + right` or `left - right`."""

    op: str
    kind: ArithKind
    left: Expr
    right: Expr
    type: t.RuleType
    span: Span


SCORE_TYPE = t.NumberType(True, None)
"""The type of a score: a whole number without a unit."""


@record(eq=False)
class ScoreValue:
    """A score where a comparison (or `is known`) uses it: its value is a range, low to high.

    `score` is the declared score, shared by every use, or the items of a
    `count of` written in place.
    """

    score: Score
    span: Span
    type: t.NumberType = SCORE_TYPE


@record(eq=False)
class AssessValue:
    """An assessment where `is known` (or `is unknown`) uses it; `type` is a choice of its values."""

    assessment: Assessment
    type: t.EnumType
    span: Span


Expr = FieldRef | ParamRef | Const | EnumConst | Now | Scale | Arith | ScoreValue | AssessValue
EXPRESSIONS = (FieldRef, ParamRef, Const, EnumConst, Now, Scale, Arith, ScoreValue, AssessValue)
"""The expression node types, for isinstance."""

# ---------------------------------------------------------------- conditions


class CompareKind(StrEnum):
    """How two values compare."""

    NUMBER = "number"
    DATETIME = "datetime"
    RANK = "rank"  # ordered enum: by rank
    EQUAL = "equal"  # = and != on enums, yes/no answers or text
    SCORE = "score"  # a score's range with a number, a parameter or another score's range


@record(eq=False)
class Compare:
    """`left OP right`."""

    op: str
    kind: CompareKind
    left: Expr
    right: Expr
    span: Span


@record(eq=False)
class Between:
    """`low <= value <= high`."""

    kind: CompareKind
    value: Expr
    low: Expr
    high: Expr
    span: Span


@record(eq=False)
class Truth:
    """A yes/no field read as a condition."""

    value: Expr
    span: Span


@record(eq=False)
class Member:
    """`value is M`, `value is not M` or `value in {..}`: membership of an enum value."""

    value: Expr
    members: frozenset[str]
    negated: bool
    span: Span


@record(eq=False)
class Contains:
    """`list includes M` or `includes any of {..}`: true when any member is in the list."""

    value: Expr
    members: frozenset[str]
    span: Span


@record(eq=False)
class Empty:
    """`list is empty` (or, negated, `is not empty`)."""

    value: Expr
    negated: bool
    span: Span


@record(eq=False)
class Known:
    """`x is known` (negated: `is unknown`): never unknown itself."""

    value: Expr | Condition
    negated: bool
    span: Span


@record(eq=False)
class And:
    """Kleene and."""

    items: tuple[Condition, ...]
    span: Span


@record(eq=False)
class Or:
    """Kleene or."""

    items: tuple[Condition, ...]
    span: Span


@record(eq=False)
class Not:
    """Kleene not."""

    item: Condition
    span: Span


@record(eq=False)
class Phrase:
    """A defined phrase where it is used; `condition` is shared by every use."""

    name: str
    condition: Condition
    session: bool
    span: Span


@record(eq=False)
class History:
    """A condition over the session log (language.md section 6, language-2.md sections 1 and 2).

    Attributes:
        window: the window's length in seconds, for the `within` forms.
        exercise: the named exercise (scope `EXERCISE`), else None.
        scope: which sessions it reads, or None for the target's own (every
            session, in a red flag); see `scope_exercises`.
        tag: the tag of scope `TAGGED`, else None.
        days: `last` and `count` count calendar days, not sessions.
    """

    quantifier: Quantifier
    count: int | None
    last: int | None
    window: Expr | None
    exercise: str | None
    condition: Condition
    span: Span
    scope: ScopeKind | None = None
    tag: str | None = None
    days: bool = False


@record(eq=False)
class Assessed:
    """`ASSESS is V`, `is not V` or `in {V, ...}`: membership of an assessment's result."""

    assessment: Assessment
    members: frozenset[str]
    negated: bool
    span: Span


# ---------------------------------------------------------------- scores and assessments


@record(eq=False)
class ScoreItem:
    """`N if CONDITION`: `points` count when the condition is true."""

    points: int
    condition: Condition
    span: Span


@record(eq=False)
class Score:
    """A declared score (language-2.md section 5), or the items of a `count of` (`id` None).

    A declared score is one object shared by every use, as a phrase's
    condition is, so it is evaluated once per evaluation.

    Attributes:
        text: the source text of each item, as written (for the trace).
        cite: the sources it cites, sorted.
        assumptions: its `assumption` texts, in the order written.
        file: the file it is declared in ("" for a `count of`).
    """

    id: str | None
    title: str | None
    items: tuple[ScoreItem, ...]
    span: Span
    text: tuple[str, ...] = ()
    cite: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    file: str = ""
    assumption_spans: tuple[Span, ...] = ()
    """Where each of `assumptions` is written, in the same order (for the review page's checklist)."""


@record(eq=False)
class Branch:
    """`VALUE if CONDITION` of an assessment; `condition` None for `otherwise VALUE`.

    `text` is the branch as written (`high if psychosocial >= 4`), the words
    of the decision's `because`.
    """

    value: str
    condition: Condition | None
    text: str
    span: Span
    say: str | None = None
    note: str | None = None


@record(eq=False)
class Assessment:
    """A declared assessment (language-2.md section 6): branches tried in order.

    Attributes:
        values: every value of its branches, each once, in branch order.
        branches: the branches, `otherwise` (if any) last.
        cite: the sources it cites, sorted.
        assumptions: its `assumption` texts, in the order written.
    """

    id: str
    title: str | None
    values: tuple[str, ...]
    branches: tuple[Branch, ...]
    span: Span
    cite: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    file: str = ""
    assumption_spans: tuple[Span, ...] = ()
    """Where each of `assumptions` is written, in the same order."""


TARGET_RELATIVE = frozenset({None, ScopeKind.LADDER, ScopeKind.LOWER, ScopeKind.BELOW})
"""The scopes whose sessions depend on the target exercise (None: its own)."""
LADDER_SCOPES = frozenset({ScopeKind.LADDER, ScopeKind.LOWER, ScopeKind.BELOW})


Condition = (
    Compare
    | Between
    | Truth
    | Member
    | Contains
    | Empty
    | Known
    | And
    | Or
    | Not
    | Phrase
    | History
    | Assessed
)


def nodes(
    root: Condition | Expr,
    *,
    into_history: bool = True,
    into_phrases: bool = True,
    into_scores: bool | None = None,
) -> Iterator[Condition | Expr]:
    """Every node under `root`, itself included, through defined phrases, scores and assessments.

    A phrase's condition, a declared score and an assessment are each shared
    by all their uses, so each is walked once, at its first use: the walk is
    linear in the program, however they nest. The items of a `count of` are
    walked where it stands. The walk keeps its own stack, so no depth is too deep.

    Args:
        root: a condition or an expression.
        into_history: also go inside session forms (`had ...`).
        into_phrases: also go inside defined phrases (else yield the
            `Phrase` node and stop there).
        into_scores: also go inside declared scores and assessments (else
            yield their `ScoreValue`, `Assessed` or `AssessValue` and stop
            there); None: as `into_phrases`.
    """
    scores = into_phrases if into_scores is None else into_scores
    stack: list[Condition | Expr] = [root]
    shared: set[int] = set()  # ids of the shared parts walked; `root` keeps them alive
    while stack:
        node = stack.pop()
        yield node
        match node:
            case ScoreValue(score=score):
                if (score.id is None or scores) and id(score) not in shared:
                    shared.add(id(score))
                    stack.extend(item.condition for item in score.items)
            case Assessed(assessment=assessment) | AssessValue(assessment=assessment):
                if scores and id(assessment) not in shared:
                    shared.add(id(assessment))
                    stack.extend(b.condition for b in assessment.branches if b.condition is not None)
            case And(items=items) | Or(items=items):
                stack.extend(items)
            case Phrase(condition=inner):
                if into_phrases and id(inner) not in shared:
                    shared.add(id(inner))
                    stack.append(inner)
            case Not(item=item):
                stack.append(item)
            case Truth(value=v) | Member(value=v) | Contains(value=v) | Empty(value=v) | Known(value=v):
                stack.append(v)
            case Compare(left=a, right=b) | Arith(left=a, right=b):
                stack.extend((a, b))
            case Between(value=a, low=b, high=c):
                stack.extend((a, b, c))
            case Scale(expr=inner):
                stack.append(inner)
            case History(window=window, condition=inner) if into_history:
                stack.append(inner)
                if window is not None:
                    stack.append(window)
