"""The syntax tree of a rule file: what the author wrote, with a span on every node.

Nodes are frozen dataclasses made only by the transform step; no Lark object
ever reaches them. Nothing here is resolved or typed: a `Ref` is still the
words the author wrote, and the checker decides whether they name a field, a
phrase or a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clinrules.base.span import Span

# The leaves and the scope words, re-exported: every node is used as `ast.X`.
from clinrules.syntax.ast_leaves import SCOPE_WORDS as SCOPE_WORDS
from clinrules.syntax.ast_leaves import Ident as Ident
from clinrules.syntax.ast_leaves import Now as Now
from clinrules.syntax.ast_leaves import Number as Number
from clinrules.syntax.ast_leaves import Ref as Ref
from clinrules.syntax.ast_leaves import RefKind as RefKind
from clinrules.syntax.ast_leaves import ScopeKind as ScopeKind
from clinrules.syntax.ast_leaves import Text as Text

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Arithmetic:
    """`left + right` or `left - right`."""

    op: str
    left: Expr
    right: Expr
    span: Span


Expr = Number | Now | Ref | Arithmetic

# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class AnyOf:
    """`a or b or ...` (a flat list, never nested pairs)."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True)
class AllOf:
    """`a and b and ...`."""

    items: tuple[Condition, ...]
    span: Span


@dataclass(frozen=True)
class Not:
    """`not c`."""

    operand: Condition
    span: Span


@dataclass(frozen=True)
class Truth:
    """A bare expression used as a condition: a boolean field or a phrase."""

    expr: Expr
    span: Span


@dataclass(frozen=True)
class Compare:
    """`left OP right` with OP one of `< <= > >= = !=`."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class Between:
    """`value between low and high`, both ends included."""

    value: Expr
    low: Expr
    high: Expr
    span: Span


@dataclass(frozen=True)
class EnumValue:
    """An enum member as written: a bare word, or quoted for `known` and the like."""

    name: str
    quoted: bool
    span: Span


@dataclass(frozen=True)
class IsValue:
    """`value is MEMBER` or, negated, `value is not MEMBER`."""

    value: Expr
    member: EnumValue
    negated: bool
    span: Span


@dataclass(frozen=True)
class IsKnown:
    """`value is known` (or `is not unknown`); negated: `is unknown`."""

    value: Expr
    negated: bool
    span: Span


@dataclass(frozen=True)
class IsEmpty:
    """`collection is empty`; negated: `is not empty`."""

    value: Expr
    negated: bool
    span: Span


@dataclass(frozen=True)
class InSet:
    """`value in {a, b}`."""

    value: Expr
    members: tuple[EnumValue, ...]
    span: Span


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SessionScope:
    """A scope after `session`/`sessions`/`days`; `name` is the exercise or tag, else None."""

    kind: ScopeKind
    name: Ident | None
    span: Span


@dataclass(frozen=True)
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

# ---------------------------------------------------------------- verdicts, doses, clauses


@dataclass(frozen=True)
class Verdict:
    """A verdict word, with `to EX` for progress and regress."""

    word: str
    target: Ident | None
    span: Span


@dataclass(frozen=True)
class DoseItem:
    """One dose attribute: `reps 5 to 7`, `hold 10 s`, `range partial`.

    Attributes:
        attribute: `reps sets hold rest daily range load`.
        low: the amount, or its lower bound (None for `range partial|full`).
        high: the upper bound of `N to M`, else None.
        unit: the unit as written (`s`, `inches`, `%`), else None.
        word: `partial` or `full` for a range given in words, else None.
    """

    attribute: str
    low: Number | None
    high: Number | None
    unit: str | None
    word: str | None
    span: Span


@dataclass(frozen=True)
class Dose:
    """A `dose` clause: its attributes in the order written."""

    items: tuple[DoseItem, ...]
    span: Span


@dataclass(frozen=True)
class Instead:
    """`instead EX, ...`: alternatives."""

    exercises: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True)
class Say:
    """`say "..."`: words for the patient."""

    text: Text
    span: Span


@dataclass(frozen=True)
class Note:
    """`note "..."`: words for the clinician."""

    text: Text
    span: Span


@dataclass(frozen=True)
class Cite:
    """`cite SRC, ...`."""

    sources: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True)
class WhenUnknown:
    """`when unknown VERDICT`."""

    verdict: Verdict
    span: Span


@dataclass(frozen=True)
class Care:
    """`care emergency|same_day|within_days` (red flags)."""

    level: Ident
    span: Span


Clause = Instead | Dose | Say | Note | Cite | WhenUnknown | Care

# ---------------------------------------------------------------- header


@dataclass(frozen=True)
class HeaderLine:
    """One header line: `title`, `version`, `status`, `model`, `reviewed`, `unknown`.

    Attributes:
        key: the keyword that starts the line.
        value: the text, version, status word, model name or date.
        by: for `reviewed DATE by "WHO"`, who reviewed.
        verdict: for `unknown VERDICT`, the verdict.
    """

    key: str
    value: str
    by: Text | None
    verdict: Verdict | None
    span: Span


class FileKind(StrEnum):
    """A ruleset, or a library meant to be included."""

    RULESET = "ruleset"
    LIBRARY = "library"


@dataclass(frozen=True)
class Header:
    """`ruleset ID` or `library ID` and the lines that follow it."""

    kind: FileKind
    id: Ident
    lines: tuple[HeaderLine, ...]
    span: Span


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Include:
    """`include "PATH"`."""

    path: Text
    span: Span


@dataclass(frozen=True)
class SourceAttr:
    """`publisher "..."`, `year N` or `url "..."` of a source."""

    key: str
    value: str
    span: Span


@dataclass(frozen=True)
class Source:
    """`source ID "TITLE"` and its attributes."""

    id: Ident
    title: Text
    attrs: tuple[SourceAttr, ...]
    span: Span


@dataclass(frozen=True)
class Parameter:
    """`parameter ID = VALUE [UNIT] between LOW and HIGH`."""

    id: Ident
    default: Number
    low: Number
    high: Number
    span: Span


@dataclass(frozen=True)
class Exercise:
    """`exercise ID "NAME" tagged T, ... dose ...`."""

    id: Ident
    name: Text
    tags: tuple[Ident, ...]
    dose: Dose | None
    span: Span


@dataclass(frozen=True)
class Ladder:
    """`ladder ID: EX, EX, ...`, easiest first."""

    id: Ident
    rungs: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True)
class Phrase:
    """The name of a `define`: words, or a quoted text."""

    text: str
    quoted: bool
    span: Span


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class TargetItem:
    """An exercise, a tag or a ladder of a target list; `above` is EX of `ladder L above EX`."""

    kind: TargetKind
    name: Ident
    above: Ident | None
    span: Span


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class RedFlag:
    """`red flag ID "TITLE": urgent if CONDITION` and its clauses."""

    id: Ident
    title: Text | None
    verdict: Verdict
    condition: Condition
    clauses: tuple[Clause, ...]
    span: Span


@dataclass(frozen=True)
class Rule:
    """`rule ID "TITLE" for TARGETS: VERDICT if CONDITION` and its clauses."""

    id: Ident
    title: Text | None
    targets: Targets
    verdict: Verdict
    condition: Condition
    clauses: tuple[Clause, ...]
    span: Span


@dataclass(frozen=True)
class Otherwise:
    """`otherwise VERDICT`."""

    verdict: Verdict
    span: Span


Declaration = Include | Source | Parameter | Exercise | Ladder | Define | RedFlag | Rule | Otherwise


@dataclass(frozen=True)
class Comment:
    """A `#` comment, kept for the formatter."""

    text: str
    span: Span


@dataclass(frozen=True)
class RuleFile:
    """A whole parsed file."""

    file: str
    header: Header
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...]
    span: Span
