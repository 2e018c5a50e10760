"""The leaves of the syntax tree: ids, texts, names and numbers as written, and the scope words.

Kept apart from `ast` (which re-exports every name here, so they are used as
`ast.Ident`, `ast.Number`, ...) for the size of the module.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from clinrules.base.records import record
from clinrules.base.span import Span

# ---------------------------------------------------------------- leaves


@record
class Ident:
    """An id as written: a declaration's own id or a reference to one."""

    name: str
    span: Span


@record
class Text:
    """A double-quoted text with its escapes resolved."""

    value: str
    span: Span


class RefKind(StrEnum):
    """How a name was written."""

    WORDS = "words"  # one or more bare words: `acute_flare`, `radiating pain below knee`
    PATH = "path"  # a dotted path: `exam.straight_leg_raise`
    QUOTED = "quoted"  # double quotes: `"pain in buttock"`


@record
class Ref:
    """A name in a condition: a field, a defined phrase or a parameter."""

    text: str
    kind: RefKind
    span: Span


@record
class Number:
    """A number, with its unit if one was written (`24 hours`, `2`)."""

    value: int | float
    text: str
    unit: str | None
    span: Span


@record
class Now:
    """The evaluation time."""

    span: Span


class ScopeKind(StrEnum):
    """Which sessions a session form reads (language-2.md section 1), for target exercise X."""

    EXERCISE = "exercise"  # of EX: EX's
    ANY = "any"  # of any exercise: every session
    LADDER = "ladder"  # on this ladder: every rung of X's ladder, X included
    LOWER = "lower"  # on a lower rung: the rungs below X
    BELOW = "below"  # on the rung below: the rung directly below X
    TAGGED = "tagged"  # tagged T: exercises tagged T


SCOPE_WORDS = MappingProxyType(
    dict(
        zip(
            ScopeKind,
            (
                "of {}",
                "of any exercise",
                "on this ladder",
                "on a lower rung",
                "on the rung below",
                "tagged {}",
            ),
            strict=True,
        )
    )
)
"""How each scope is written; `{}` is the exercise or tag."""
