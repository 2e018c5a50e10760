"""The checked program: what the checker hands the compiler.

Unlike the AST, every name here is resolved (a field path, a parameter, an
exercise id), every expression has a type, every number is in the unit of
what it is compared with, and defined phrases are expanded where they are
used (as shared objects, so a phrase used twice is not copied). Spans and
file names stay on every node a trace or a diagnostic may point at. Nodes
compare by identity (`eq=False`): nothing compares them by value, and
Python makes their classes at import in half the time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from clinrules.base.span import Span
from clinrules.base.vocabulary import Care
from clinrules.schema import types as t
from clinrules.schema.reader import Schema
from clinrules.syntax.ast import Quantifier, ScopeKind

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, eq=False)
class FieldRef:
    """A model field: a patient field, or a session field inside `had`."""

    path: str
    type: t.RuleType
    session: bool
    span: Span


@dataclass(frozen=True, eq=False)
class ParamRef:
    """A parameter, read in its own unit."""

    name: str
    type: t.NumberType
    span: Span


@dataclass(frozen=True, eq=False)
class Const:
    """A number, already in the unit of what it meets (seconds for a duration)."""

    value: int | float
    type: t.NumberType
    span: Span


@dataclass(frozen=True, eq=False)
class EnumConst:
    """An enum member, with its rank for ordered enums."""

    member: str
    rank: int
    type: t.EnumType
    span: Span


@dataclass(frozen=True, eq=False)
class Now:
    """The evaluation time."""

    span: Span


@dataclass(frozen=True, eq=False)
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


@dataclass(frozen=True, eq=False)
class Arith:
    """`left + right` or `left - right`."""

    op: str
    kind: ArithKind
    left: Expr
    right: Expr
    type: t.RuleType
    span: Span


Expr = FieldRef | ParamRef | Const | EnumConst | Now | Scale | Arith
EXPRESSIONS = (FieldRef, ParamRef, Const, EnumConst, Now, Scale, Arith)
"""The expression node types, for isinstance."""

# ---------------------------------------------------------------- conditions


class CompareKind(StrEnum):
    """How two values compare."""

    NUMBER = "number"
    DATETIME = "datetime"
    RANK = "rank"  # ordered enum: by rank
    EQUAL = "equal"  # = and != on enums, yes/no answers or text


@dataclass(frozen=True, eq=False)
class Compare:
    """`left OP right`."""

    op: str
    kind: CompareKind
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, eq=False)
class Between:
    """`low <= value <= high`."""

    kind: CompareKind
    value: Expr
    low: Expr
    high: Expr
    span: Span


@dataclass(frozen=True, eq=False)
class Truth:
    """A yes/no field read as a condition."""

    value: Expr
    span: Span


@dataclass(frozen=True, eq=False)
class Member:
    """`value is M`, `value is not M` or `value in {..}`: membership of an enum value."""

    value: Expr
    members: frozenset[str]
    negated: bool
    span: Span


@dataclass(frozen=True, eq=False)
class Contains:
    """`list includes M` or `includes any of {..}`: true when any member is in the list."""

    value: Expr
    members: frozenset[str]
    span: Span


@dataclass(frozen=True, eq=False)
class Empty:
    """`list is empty` (or, negated, `is not empty`)."""

    value: Expr
    negated: bool
    span: Span


@dataclass(frozen=True, eq=False)
class Known:
    """`x is known` (negated: `is unknown`): never unknown itself."""

    value: Expr | Condition
    negated: bool
    span: Span


@dataclass(frozen=True, eq=False)
class And:
    """Kleene and."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True, eq=False)
class Or:
    """Kleene or."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True, eq=False)
class Not:
    """Kleene not."""

    item: Condition
    span: Span


@dataclass(frozen=True, eq=False)
class Phrase:
    """A defined phrase where it is used; `condition` is shared by every use."""

    name: str
    condition: Condition
    session: bool
    span: Span


@dataclass(frozen=True, eq=False)
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


TARGET_RELATIVE = frozenset({None, ScopeKind.LADDER, ScopeKind.LOWER, ScopeKind.BELOW})
"""The scopes whose sessions depend on the target exercise (None: its own)."""
LADDER_SCOPES = frozenset({ScopeKind.LADDER, ScopeKind.LOWER, ScopeKind.BELOW})


Condition = Compare | Between | Truth | Member | Contains | Empty | Known | And | Or | Not | Phrase | History


def nodes(
    root: Condition | Expr, *, into_history: bool = True, into_phrases: bool = True
) -> Iterator[Condition | Expr]:
    """Every node under `root`, itself included, through defined phrases.

    A phrase's condition is shared by all its uses, so it is walked once,
    at its first use: the walk is linear in the program, however the
    defines nest. The walk keeps its own stack, so no depth is too deep.

    Args:
        root: a condition or an expression.
        into_history: also go inside session forms (`had ...`).
        into_phrases: also go inside defined phrases (else yield the
            `Phrase` node and stop there).
    """
    stack: list[Condition | Expr] = [root]
    shared: set[int] = set()  # ids of the phrase conditions walked; `root` keeps them alive
    while stack:
        node = stack.pop()
        yield node
        match node:
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


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, eq=False)
class Where:
    """A declaration's place: its file and span."""

    file: str
    span: Span


@dataclass(frozen=True, eq=False)
class Source:
    """A citable reference."""

    id: str
    title: str
    publisher: str | None
    year: int | None
    url: str | None
    where: Where


@dataclass(frozen=True, eq=False)
class Parameter:
    """A threshold a clinician may set per patient, within its bounds, in its unit."""

    id: str
    type: t.NumberType
    default: int | float
    low: int | float
    high: int | float
    where: Where


@dataclass(frozen=True, eq=False)
class Amount:
    """A dose amount: `low` alone, or `low to high`."""

    low: float
    high: float


@dataclass(frozen=True, eq=False)
class Dose:
    """A dose, attribute by attribute: hold and rest in seconds, range as a word or inches."""

    reps: Amount | None = None
    sets: Amount | None = None
    hold: Amount | None = None
    rest: Amount | None = None
    daily: Amount | None = None
    range: str | Amount | None = None
    load: Amount | None = None


@dataclass(frozen=True, eq=False)
class Exercise:
    """An exercise the ruleset advises on; `ladder`/`rung` place it on its ladder."""

    id: str
    name: str
    tags: tuple[str, ...]
    dose: Dose | None
    ladder: str | None
    rung: int | None
    where: Where


@dataclass(frozen=True, eq=False)
class Ladder:
    """An ordered progression, easiest first."""

    id: str
    rungs: tuple[str, ...]
    where: Where


@dataclass(frozen=True, eq=False)
class Messages:
    """The words a rule or red flag gives when it sets the verdict."""

    say: str | None = None
    note: str | None = None
    cite: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class RedFlag:
    """A finding that ends all exercise advice."""

    id: str
    title: str | None
    condition: Condition
    care: Care
    messages: Messages
    where: Where


@dataclass(frozen=True, eq=False)
class Targets:
    """What a rule is about, as written (`names`: each item in words) and as resolved to exercise ids."""

    kind: str  # "every" (every exercise [except ...]) or "list"
    names: tuple[str, ...]
    exercises: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Rule:
    """Advice about its target exercises.

    Attributes:
        verdict: `stop avoid check regress modify allow progress`.
        to: the named target of `progress to`/`regress to`, else None (one rung).
        when_unknown: the verdict an unknown condition counts as (the rule's
            own `when unknown`, else the header's `unknown` for rules other
            than allow and progress), or None: an unknown rule does not fire.
    """

    id: str
    title: str | None
    targets: Targets
    verdict: str
    to: str | None
    condition: Condition
    instead: tuple[str, ...]
    dose: Dose | None
    when_unknown: str | None
    messages: Messages
    where: Where


@dataclass(frozen=True, eq=False)
class Review:
    """A `reviewed DATE by "WHO"` line."""

    date: str
    by: str


@dataclass(frozen=True, eq=False)
class Program:
    """A checked ruleset or library, ready to compile.

    Attributes:
        sources_text: (file name, text) of the file and every file it
            includes, in load order: what `sha256` is computed over.
    """

    id: str
    kind: str
    title: str | None
    version: str
    status: str
    model: str
    reviews: tuple[Review, ...]
    unknown_default: str | None
    schema: Schema
    sources: Mapping[str, Source]
    parameters: Mapping[str, Parameter]
    exercises: Mapping[str, Exercise]
    ladders: Mapping[str, Ladder]
    red_flags: tuple[RedFlag, ...]
    rules: tuple[Rule, ...]
    otherwise: str
    sources_text: tuple[tuple[str, str], ...]
    where: Where

    def __post_init__(self) -> None:
        # Read-only copies: a caller that changed a mapping of a loaded
        # program (a parameter's bounds, say) would change every later
        # evaluation, and the checker keeps the dicts it built.
        for name in ("sources", "parameters", "exercises", "ladders"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


def scope_exercises(
    exercises: Mapping[str, Exercise],
    ladders: Mapping[str, Ladder],
    history: History,
    target: str | None,
) -> frozenset[str] | None:
    """The exercise ids whose sessions `history` reads for `target` (None: every session).

    `target` is the rule's exercise, or None in a red flag. The checker
    refuses a ladder scope in a red flag or for a target on no ladder (CR423);
    here such a pair selects nothing. `on the rung below` the lowest rung
    selects nothing (language-2.md section 1).
    """
    match history.scope:
        case None:
            return None if target is None else frozenset({target})
        case ScopeKind.EXERCISE:
            return frozenset({history.exercise or ""})
        case ScopeKind.ANY:
            return None
        case ScopeKind.TAGGED:
            return frozenset(e.id for e in exercises.values() if history.tag in e.tags)
    exercise = exercises.get(target or "")
    if exercise is None or exercise.ladder is None or exercise.rung is None:
        return frozenset()
    rungs, rung = ladders[exercise.ladder].rungs, exercise.rung
    if history.scope is ScopeKind.LADDER:
        return frozenset(rungs)
    return frozenset(rungs[:rung] if history.scope is ScopeKind.LOWER else rungs[max(rung - 1, 0) : rung])
