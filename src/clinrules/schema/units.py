"""Units of measure: the words rule authors write and the names models declare.

Time units convert among themselves (a year is 365.25 days); `kg`, `cm`,
inches and `%` each stand alone, so `2 inches` never silently becomes
centimetres. Conversion is exact for the factors used here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: its canonical name, its dimension and its size in that dimension's base."""

    name: str
    dimension: str
    factor: float

    def to(self, other: Unit, value: float) -> float:
        """`value` in this unit, expressed in `other` (same dimension)."""
        return value * self.factor / other.factor


SECOND = Unit("s", "time", 1.0)
MINUTE = Unit("min", "time", 60.0)
HOUR = Unit("hours", "time", 3600.0)
DAY = Unit("days", "time", 86400.0)
WEEK = Unit("weeks", "time", 604800.0)
YEAR = Unit("years", "time", 365.25 * 86400.0)
KILOGRAM = Unit("kg", "mass", 1.0)
CENTIMETRE = Unit("cm", "length in centimetres", 1.0)
INCH = Unit("in", "length in inches", 1.0)
PERCENT = Unit("%", "percentage", 1.0)

UNITS: Final[dict[str, Unit]] = {
    **dict.fromkeys(["s", "second", "seconds"], SECOND),
    **dict.fromkeys(["min", "minute", "minutes"], MINUTE),
    **dict.fromkeys(["hour", "hours"], HOUR),
    **dict.fromkeys(["day", "days"], DAY),
    **dict.fromkeys(["week", "weeks"], WEEK),
    **dict.fromkeys(["year", "years"], YEAR),
    "kg": KILOGRAM,
    "cm": CENTIMETRE,
    **dict.fromkeys(["in", "inch", "inches"], INCH),
    "%": PERCENT,
}
"""Every unit word a rule or a model may use, to its unit."""


def unit_named(word: str) -> Unit | None:
    """The unit a word names, or None."""
    return UNITS.get(word)
