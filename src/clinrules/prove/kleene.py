"""Prove: three-valued conditions as two z3 booleans (dual rail), and the words of time.

A condition is a pair `(t, f)`: `t` holds when it is true, `f` when it is
false, never both; unknown is neither. Kleene `and`, `or` and `not` are then
plain boolean formulas over the rails, so every query stays in the decidable
fragment z3 answers quickly (design note section 2). z3 is imported here and
only by this package, which `clinrules.prove.prove` loads after checking that
the extra is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

MICROS = 1_000_000
"""Times are whole microseconds, as the evaluator's datetimes are."""
DAY = 86_400 * MICROS
HUNDRED_YEARS = 100 * 36525 * DAY // 100
"""How far back a time may lie: a bound of the model (docs/prove.md), well inside the calendar."""
MAX_OFFSET_MINUTES = 24 * 60 - 1
"""A session's UTC offset is whole minutes, strictly within a day (as ISO 8601 text can say)."""


@dataclass(frozen=True, slots=True)
class K3:
    """A three-valued condition: `t` when true, `f` when false, neither when unknown."""

    t: Any
    f: Any

    def __and__(self, other: K3) -> K3:
        return K3(z3.And(self.t, other.t), z3.Or(self.f, other.f))

    def __or__(self, other: K3) -> K3:
        return K3(z3.Or(self.t, other.t), z3.And(self.f, other.f))

    def __invert__(self) -> K3:
        return K3(self.f, self.t)

    @property
    def unknown(self) -> Any:
        """Neither true nor false."""
        return z3.And(z3.Not(self.t), z3.Not(self.f))


def both(items: list[K3], conjunction: bool) -> K3:
    """Kleene and (or `or`) of many conditions; the empty and is true, the empty or false."""
    if conjunction:
        return K3(z3.And([i.t for i in items]), z3.Or([i.f for i in items]))
    return K3(z3.Or([i.t for i in items]), z3.And([i.f for i in items]))


def known_test(known: Any, holds: Any) -> K3:
    """A test of a value that may be unknown: true when known and it holds, false when known and not."""
    return K3(z3.And(known, holds), z3.And(known, z3.Not(holds)))


def sure(value: bool) -> K3:
    """A condition that is always true (or always false)."""
    return K3(z3.BoolVal(value), z3.BoolVal(not value))


def count(items: list[Any]) -> Any:
    """How many of these booleans hold, as a z3 integer."""
    if not items:
        return z3.IntVal(0)
    return z3.Sum([z3.If(item, 1, 0) for item in items])
