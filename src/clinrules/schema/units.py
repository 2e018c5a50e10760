"""Units of measure: the words rule authors write and the names models declare.

Time units convert among themselves (a year is 365.25 days, a month a
twelfth of it); `kg`, `cm`, inches and `%` each stand alone, so `2 inches`
never silently becomes centimetres. Conversion is exact for the factors used
here. Any other unit a model declares (`mmHg`, `/min`, `mmol/L`) is its own
dimension (`own_unit`): it meets only itself or a bare number, and is written
exactly as the model spells it, since `mmol/L` and `mmol/l` could be two
things.
"""

from __future__ import annotations

import re
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

    @property
    def own(self) -> bool:
        """True for a unit a model declares that converts to no other (its own dimension)."""
        return self.dimension == self.name


SECOND = Unit("s", "time", 1.0)
MINUTE = Unit("min", "time", 60.0)
HOUR = Unit("hours", "time", 3600.0)
DAY = Unit("days", "time", 86400.0)
WEEK = Unit("weeks", "time", 604800.0)
YEAR = Unit("years", "time", 365.25 * 86400.0)
MONTH = Unit("months", "time", 365.25 * 86400.0 / 12)
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
    **dict.fromkeys(["month", "months"], MONTH),
    **dict.fromkeys(["year", "years"], YEAR),
    "kg": KILOGRAM,
    "cm": CENTIMETRE,
    **dict.fromkeys(["in", "inch", "inches"], INCH),
    "%": PERCENT,
}
"""Every unit word a rule or a model may use, to its unit."""


TABLE_WORDS: Final = "s, min, hours, days, weeks, months, years, kg, cm, inches or %"
"""The conversion table's units, as a hint names them."""

# The units a rule can write after a number: the UNIT terminal of grammar/clinrules.lark
# (a test in tests/test_schema.py keeps the two in step).
WRITABLE: Final = re.compile(
    r"(?:seconds|second|s|minutes|minute|min|hours|hour|days|day|weeks|week|months|month|years|year"
    r"|kg|cm|inches|inch|bpm|mg|mcg|ml|mmol|g|lb)"
    r"|[A-Za-z]*/[A-Za-z0-9]+(?:/[A-Za-z0-9]+)*"
    r"|[a-z]+[A-Z][A-Za-z0-9]*(?:/[A-Za-z0-9]+)*"
)


def unit_named(word: str) -> Unit | None:
    """The unit of the conversion table a word names, or None."""
    return UNITS.get(word)


def own_unit(word: str) -> Unit:
    """A unit outside the table, as a model declares it: its own dimension, named by itself."""
    return Unit(word, word, 1.0)


def writable(word: str) -> bool:
    """True when a rule can write `word` after a number (`mmHg`, `/min`, `mmol/L`, `bpm`)."""
    return WRITABLE.fullmatch(word) is not None
