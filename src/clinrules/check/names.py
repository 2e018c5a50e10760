"""Name resolution helpers shared by the checker: scopes, lookups, did-you-mean.

A bare word in a condition may name a session field (inside `had`), a
defined phrase, a parameter or a patient field, looked up in that order; a
define or parameter named like a field is refused elsewhere, so the order
only decides between the session and the patient. Every failed lookup says
what the name could have meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.span import Span


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None."""
    import difflib  # here: only a mistake needs it, and `clinrules check` of a good file never imports it

    pool = sorted(set(candidates))
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"did you mean '{close[0]}'?" if close else None


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a condition is being checked.

    Attributes:
        session: names resolve against a session first (inside `had`, or in
            a define's body, whose uses decide later whether it may stand
            outside `had`).
        in_history: inside a `had` already, where no other session form may
            stand.
    """

    session: bool = False
    in_history: bool = False

    def inside_had(self) -> Scope:
        """The scope of the condition after `had`."""
        return Scope(session=True, in_history=True)


class Reporter:
    """Collects diagnostics; every stage of the checker reports through one."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, where: tuple[str, Span], hint: str | None = None) -> None:
        """Record a diagnostic (its severity comes from the code table)."""
        file, span = where
        self.diagnostics.append(make(code, message, file, span, hint))
