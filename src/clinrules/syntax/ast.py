"""The syntax tree of a rule file: what the author wrote, with a span on every node.

Nodes are frozen dataclasses made only by the transform step; no Lark object
ever reaches them. Nothing here is resolved or typed: a `Ref` is still the
words the author wrote, and the checker decides whether they name a field, a
phrase or a parameter.
"""

from __future__ import annotations

from enum import StrEnum

from clinrules.base.records import record
from clinrules.base.span import Span

# The leaves, the scope words and the clauses, re-exported: every node is used as `ast.X`.
from clinrules.syntax.ast_clauses import Assumption as Assumption
from clinrules.syntax.ast_clauses import Care as Care
from clinrules.syntax.ast_clauses import Cite as Cite
from clinrules.syntax.ast_clauses import Clause as Clause
from clinrules.syntax.ast_clauses import Dose as Dose
from clinrules.syntax.ast_clauses import DoseItem as DoseItem
from clinrules.syntax.ast_clauses import Exercise as Exercise
from clinrules.syntax.ast_clauses import FileKind as FileKind
from clinrules.syntax.ast_clauses import FlagParameter as FlagParameter
from clinrules.syntax.ast_clauses import Header as Header
from clinrules.syntax.ast_clauses import HeaderLine as HeaderLine
from clinrules.syntax.ast_clauses import Include as Include
from clinrules.syntax.ast_clauses import Instead as Instead
from clinrules.syntax.ast_clauses import Ladder as Ladder
from clinrules.syntax.ast_clauses import Note as Note
from clinrules.syntax.ast_clauses import Parameter as Parameter
from clinrules.syntax.ast_clauses import Say as Say
from clinrules.syntax.ast_clauses import Source as Source
from clinrules.syntax.ast_clauses import SourceAttr as SourceAttr
from clinrules.syntax.ast_clauses import Verdict as Verdict
from clinrules.syntax.ast_clauses import WhenUnknown as WhenUnknown
from clinrules.syntax.ast_leaves import SCOPE_WORDS as SCOPE_WORDS
from clinrules.syntax.ast_leaves import Ident as Ident
from clinrules.syntax.ast_leaves import Now as Now
from clinrules.syntax.ast_leaves import Number as Number
from clinrules.syntax.ast_leaves import Ref as Ref
from clinrules.syntax.ast_leaves import RefKind as RefKind
from clinrules.syntax.ast_leaves import ScopeKind as ScopeKind
from clinrules.syntax.ast_leaves import Text as Text

# ---------------------------------------------------------------- expressions


@record
class Arithmetic:
    """`left + right` or `left - right`."""

    op: str
    left: Expr
    right: Expr
    span: Span


@record
class CountOf:
    """`count of (C, C, ...)`: a score of 1-point items written inline."""

    items: tuple[Condition, ...]
    span: Span


Expr = Number | Now | Ref | Arithmetic | CountOf

# ---------------------------------------------------------------- conditions


@record
class AnyOf:
    """`a or b or ...` (a flat list, never nested pairs)."""

    items: tuple[Condition, ...]
    span: Span


@record
class AllOf:
    """`a and b and ...`."""

    items: tuple[Condition, ...]
    span: Span


@record
class Not:
    """`not c`."""

    operand: Condition
    span: Span


@record
class Truth:
    """A bare expression used as a condition: a boolean field or a phrase."""

    expr: Expr
    span: Span


@record
class Compare:
    """`left OP right` with OP one of `< <= > >= = !=`."""

    op: str
    left: Expr
    right: Expr
    span: Span


@record
class Between:
    """`value between low and high`, both ends included."""

    value: Expr
    low: Expr
    high: Expr
    span: Span


@record
class EnumValue:
    """An enum member as written: a bare word, or quoted for `known` and the like."""

    name: str
    quoted: bool
    span: Span


@record
class IsValue:
    """`value is MEMBER` or, negated, `value is not MEMBER`."""

    value: Expr
    member: EnumValue
    negated: bool
    span: Span


@record
class IsKnown:
    """`value is known` (or `is not unknown`); negated: `is unknown`."""

    value: Expr
    negated: bool
    span: Span


@record
class IsEmpty:
    """`collection is empty`; negated: `is not empty`."""

    value: Expr
    negated: bool
    span: Span


@record
class InSet:
    """`value in {a, b}`."""

    value: Expr
    members: tuple[EnumValue, ...]
    span: Span


@record
class Includes:
    """`collection includes a`, or `includes any of {a, b}` when `any_of`."""

    value: Expr
    members: tuple[EnumValue, ...]
    any_of: bool
    span: Span


class Quantifier(StrEnum):
    """The session-history forms of language.md section 6."""

    LAST = "last"  # the last session had C
    ANY_OF_LAST = "any_of_last"  # any of the last N sessions had C
    COUNT_OF_LAST = "count_of_last"  # K of the last N sessions had C
    EVERY_OF_LAST = "every_of_last"  # every one of the last N sessions had C
    ANY_WITHIN = "any_within"  # any session within W had C
    NONE_WITHIN = "none_within"  # no session within W had C


@record
class SessionScope:
    """A scope after `session`/`sessions`/`days`; `name` is the exercise or tag, else None."""

    kind: ScopeKind
    name: Ident | None
    span: Span


@record
class History:
    """A condition over the session log.

    Attributes:
        quantifier: which form was written.
        count: K, for `K of the last N`.
        last: N, for the `last N` forms (1 for `the last session`).
        window: the duration, for the `within` forms.
        exercise: the prefix exercise (`glute_bridge sessions`), else None.
        condition: what each session is tested for.
        scope: the scope written after `sessions`/`days`, else None (the
            target's own sessions, or the prefix exercise's).
        days: the `last N days` forms: N counts calendar days, not sessions.
    """

    quantifier: Quantifier
    count: int | None
    last: int | None
    window: Expr | None
    exercise: Ident | None
    condition: Condition
    span: Span
    scope: SessionScope | None = None
    days: bool = False


Condition = (
    AnyOf | AllOf | Not | Truth | Compare | Between | IsValue | IsKnown | IsEmpty | InSet | Includes | History
)


@record
class Phrase:
    """The name of a `define`: words, or a quoted text."""

    text: str
    quoted: bool
    span: Span


@record
class Define:
    """`define PHRASE: CONDITION`."""

    phrase: Phrase
    condition: Condition
    span: Span


class TargetKind(StrEnum):
    """One item of a target list."""

    EXERCISE = "exercise"  # EX
    TAG = "tag"  # tagged T (and each name after it, up to `ladder`)
    LADDER = "ladder"  # ladder L, or ladder L above EX


@record
class TargetItem:
    """An exercise, a tag or a ladder of a target list; `above` is EX of `ladder L above EX`."""

    kind: TargetKind
    name: Ident
    above: Ident | None
    span: Span


@record
class Targets:
    """`for ITEM, ...` or `for every exercise`, each with an optional `except ITEM, ...`.

    Attributes:
        every: `every exercise` (then `items` is empty).
        items: the items in the order written.
        excluded: the items after `except`.
    """

    every: bool
    items: tuple[TargetItem, ...]
    excluded: tuple[TargetItem, ...]
    span: Span


@record
class RedFlag:
    """`red flag ID "TITLE": urgent if CONDITION` and its clauses."""

    id: Ident
    title: Text | None
    verdict: Verdict
    condition: Condition
    clauses: tuple[Clause, ...]
    span: Span


@record
class Rule:
    """`rule ID "TITLE" for TARGETS: VERDICT if CONDITION` and its clauses."""

    id: Ident
    title: Text | None
    targets: Targets
    verdict: Verdict
    condition: Condition
    clauses: tuple[Clause, ...]
    span: Span


@record
class Require:
    """`require ID "TITLE": C implies TARGETS at least|at most VERDICT`, or `...: no TARGETS VERDICT when C`.

    Attributes:
        bound: "at least" or "at most" (with its span), None for the `no` form.
    """

    id: Ident
    title: Text | None
    condition: Condition
    targets: Targets
    bound: Text | None
    verdict: Verdict
    span: Span


@record
class Otherwise:
    """`otherwise VERDICT`."""

    verdict: Verdict
    span: Span


@record
class ScoreItem:
    """`N if CONDITION`: one line of a score."""

    points: int
    condition: Condition
    span: Span


@record
class Score:
    """`score ID "TITLE": N if C ...`, with `cite` and `assumption` after its items."""

    id: Ident
    title: Text | None
    items: tuple[ScoreItem, ...]
    clauses: tuple[Clause, ...]
    span: Span


@record
class Branch:
    """`VALUE if CONDITION` of an assessment (`condition` None for `otherwise VALUE`), with its `say` and `note`."""

    value: Ident
    condition: Condition | None
    clauses: tuple[Clause, ...]
    span: Span


@record
class Assess:
    """`assess ID "TITLE": VALUE if C ... [otherwise VALUE]`.

    Attributes:
        branches: the `VALUE if C` branches, in the order they are tried.
        otherwise: the `otherwise VALUE` branch, else None.
        clauses: `cite` and `assumption`, which belong to the assessment
            wherever they stand among its branches.
    """

    id: Ident
    title: Text | None
    branches: tuple[Branch, ...]
    otherwise: Branch | None
    clauses: tuple[Clause, ...]
    span: Span


@record
class OtherwiseValue:
    """`otherwise VALUE` where VALUE is not a verdict: the last branch of the assessment before it.

    The parser cannot tell where an assessment ends, so this stands as a
    declaration of its own; the transform joins it to the assessment right
    before it, and reports one that follows none (CR115).
    """

    value: Ident
    clauses: tuple[Clause, ...]
    span: Span


Declaration = (
    Include
    | Source
    | Parameter
    | FlagParameter
    | Exercise
    | Ladder
    | Define
    | RedFlag
    | Rule
    | Otherwise
    | Score
    | Assess
    | Require
)


@record
class Comment:
    """A `#` comment, kept for the formatter."""

    text: str
    span: Span


@record
class RuleFile:
    """A whole parsed file."""

    file: str
    header: Header
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...]
    span: Span
