"""The syntax tree's clauses, header and plain declarations: the nodes that hold no condition.

Kept apart from `ast` (which re-exports every name here, so they are used as
`ast.Verdict`, `ast.Header`, ...) for the size of the module.
"""

from __future__ import annotations

from enum import StrEnum

from clinrules.base.records import record
from clinrules.base.span import Span
from clinrules.syntax.ast_leaves import Ident, Number, Text

# ---------------------------------------------------------------- verdicts, doses, clauses


@record
class Verdict:
    """A verdict word, with `to EX` for progress and regress."""

    word: str
    target: Ident | None
    span: Span


@record
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


@record
class Dose:
    """A `dose` clause: its attributes in the order written."""

    items: tuple[DoseItem, ...]
    span: Span


@record
class Instead:
    """`instead EX, ...`: alternatives."""

    exercises: tuple[Ident, ...]
    span: Span


@record
class Say:
    """`say "..."`: words for the patient."""

    text: Text
    span: Span


@record
class Note:
    """`note "..."`: words for the clinician."""

    text: Text
    span: Span


@record
class Cite:
    """`cite SRC, ...`."""

    sources: tuple[Ident, ...]
    span: Span


@record
class WhenUnknown:
    """`when unknown VERDICT [say "TEXT"]`, or `when unknown ignore` (then `verdict` is None).

    Attributes:
        verdict: the verdict an unknown condition counts as; None for
            `ignore`: an unknown condition does not fire.
        say: the rule's own words for that case (the `say` right after it).
    """

    verdict: Verdict | None
    span: Span
    say: Say | None = None


@record
class Assumption:
    """`assumption "TEXT"`: what a rule, red flag, score or assessment rests on that no cited source states."""

    text: Text
    span: Span


@record
class Care:
    """`care emergency|same_day|within_days` (red flags)."""

    level: Ident
    span: Span


Clause = Instead | Dose | Say | Note | Cite | WhenUnknown | Care | Assumption

# ---------------------------------------------------------------- header


@record
class HeaderLine:
    """One header line: `title`, `version`, `status`, `model`, `reviewed`, `unknown`, `safety net`.

    Attributes:
        key: the keyword that starts the line (`safety_net` for `safety net`).
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


@record
class Header:
    """`ruleset ID` or `library ID` and the lines that follow it."""

    kind: FileKind
    id: Ident
    lines: tuple[HeaderLine, ...]
    span: Span


# ---------------------------------------------------------------- declarations


@record
class Include:
    """`include "PATH"`."""

    path: Text
    span: Span


@record
class SourceAttr:
    """`publisher "..."`, `year N` or `url "..."` of a source."""

    key: str
    value: str
    span: Span


@record
class Source:
    """`source ID "TITLE"` and its attributes."""

    id: Ident
    title: Text
    attrs: tuple[SourceAttr, ...]
    span: Span


@record
class Parameter:
    """`parameter ID ["TITLE"] = VALUE [UNIT] between LOW and HIGH`."""

    id: Ident
    default: Number
    low: Number
    high: Number
    span: Span
    title: Text | None = None


@record
class FlagParameter:
    """`parameter ID ["TITLE"] = yes|no`: a yes/no setting, used bare in conditions."""

    id: Ident
    default: bool
    span: Span
    title: Text | None = None


@record
class Exercise:
    """`exercise ID "NAME" tagged T, ... dose ...`."""

    id: Ident
    name: Text
    tags: tuple[Ident, ...]
    dose: Dose | None
    span: Span


@record
class Ladder:
    """`ladder ID: EX, EX, ...`, easiest first."""

    id: Ident
    rungs: tuple[Ident, ...]
    span: Span
