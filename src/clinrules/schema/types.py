"""The closed set of types a rule can see, derived from a patient model.

Every model field maps to one of these; anything else is refused when the
model is read. `ErrorType` marks a subtree that already has an error: every
check accepts it silently, so one mistake is reported once, not once per
place it flows to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from clinrules.schema.units import Unit


@dataclass(frozen=True, slots=True)
class BoolType:
    """A yes/no answer."""

    def describe(self) -> str:
        return "a yes/no answer"


@dataclass(frozen=True, slots=True)
class NumberType:
    """A number: whole or not, with its unit and bounds if the model gives them."""

    integral: bool
    unit: Unit | None = None
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        kind = "a whole number" if self.integral else "a number"
        unit = f" in {self.unit.name}" if self.unit else ""
        if self.low is not None and self.high is not None:
            return f"{kind}{unit} from {_num(self.low)} to {_num(self.high)}"
        return kind + unit


@dataclass(frozen=True, slots=True)
class EnumType:
    """A choice among named values; ordered when the model says so."""

    name: str
    members: tuple[str, ...]
    ordinal: bool
    python: type[Enum] | None = field(default=None, compare=False)
    """The model's enum class (None for a `Literal`), whose members stand for the values."""
    by_name: bool = False
    """True for an `IntEnum`: rules name its members (`moderate`), the data gives their values (1)."""

    def value_of(self, member: str) -> object:
        """The object a validated model holds for `member`."""
        if self.python is None:
            return member
        return self.python[member] if self.by_name else self.python(member)

    def describe(self) -> str:
        kind = "an ordered choice" if self.ordinal else "a choice"
        return f"{kind} of {', '.join(self.members)}"


@dataclass(frozen=True, slots=True)
class EnumListType:
    """A collection of choices, such as the muscles found weak."""

    item: EnumType

    def describe(self) -> str:
        return f"a list of {', '.join(self.item.members)}"


@dataclass(frozen=True, slots=True)
class DateTimeType:
    """A moment in time, always with a UTC offset."""

    def describe(self) -> str:
        return "a date and time"


@dataclass(frozen=True, slots=True)
class DateType:
    """A calendar day (a date of birth): compared with a time as the start of that day in UTC."""

    def describe(self) -> str:
        return "a date"


@dataclass(frozen=True, slots=True)
class TextType:
    """Free text: rules can only ask whether it is known."""

    def describe(self) -> str:
        return "free text"


@dataclass(frozen=True, slots=True)
class ErrorType:
    """The type of a subtree that already has an error."""

    def describe(self) -> str:
        return "an invalid value"


RuleType = BoolType | NumberType | EnumType | EnumListType | DateTimeType | DateType | TextType | ErrorType

BOOL = BoolType()
DATETIME = DateTimeType()
DATE = DateType()
TEXT = TextType()
ERROR = ErrorType()


def is_time(kind: RuleType) -> bool:
    """True for a time or a date: what meets `now`, shifts by a duration, and subtracts to one."""
    return isinstance(kind, DateTimeType | DateType)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
