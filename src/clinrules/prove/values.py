"""Prove: the symbolic patient, its parameters and its session slots, made as conditions read them.

Every field a condition reads is a pair (known, value) whose value keeps the
model's bounds; nothing else of the model is encoded, so a counterexample
names only what matters. Times are whole microseconds before the evaluation
time (`now` = 0), and the evaluation time's own time of day is a variable,
since it decides where a calendar day begins. Each exercise has a fixed
number of session slots (`bound.py` says how many), newest first: a slot is
present or not, and the present ones are a prefix, strictly ordered in time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import z3

from clinrules import ir
from clinrules.base.limits import MAX_MAGNITUDE
from clinrules.prove.kleene import DAY, HUNDRED_YEARS, MAX_OFFSET_MINUTES, MICROS
from clinrules.schema import types as t
from clinrules.schema.reader import Field


class Unsupported(Exception):
    """A construct prove does not encode: `construct` in words, and where it is."""

    def __init__(self, construct: str, span: Any) -> None:
        super().__init__(construct)
        self.construct = construct
        self.span = span


@dataclass(frozen=True, slots=True)
class Value:
    """A value that may be unknown: `known` (a z3 boolean) and `value` as its kind needs.

    `value` is a z3 boolean (yes/no), integer or real (numbers, choices by
    index, times in microseconds), a tuple of booleans (a list of choices,
    one per member), or None (free text: only whether it is known).
    """

    known: Any
    value: Any
    type: t.RuleType
    var: Any = None
    """The variable a witness reads back (a date's day number), when it is not `value`."""


@dataclass(frozen=True, slots=True)
class Slot:
    """One possible session of an exercise: whether it is there, when, its offset and its local date."""

    exercise: str
    index: int
    present: Any
    at: Any
    offset: Any  # minutes east of UTC
    day: Any  # its local date, as a day number


@dataclass
class Patient:
    """Every symbolic input of one encoding, and the facts (bounds, order) that tie them."""

    program: ir.Program
    complete: bool = False
    """Every field known (gaps are looked for over fully known patients)."""
    fixed_params: bool = False
    facts: list[Any] = field(default_factory=list)
    fields: dict[str, Value] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, tuple[Slot, ...]] = field(default_factory=dict)
    session_values: dict[tuple[str, int, str], Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tod = z3.Int("as_of_time_of_day")
        self.facts += [self.tod >= 0, self.tod < DAY]

    # ------------------------------------------------------------ patient fields

    def field(self, info: Field) -> Value:
        """The patient field `info`, made on first use."""
        found = self.fields.get(info.path)
        if found is None:
            found = self.fields[info.path] = self._value(info.path, info)
        return found

    def session_field(self, slot: Slot, info: Field) -> Value:
        """A session field of a slot; `at` and `exercise` are the slot's own."""
        if info.leaf == "at":
            return Value(z3.BoolVal(True), slot.at, info.type)
        if info.leaf == "exercise":
            return Value(z3.BoolVal(True), None, info.type)
        key = (slot.exercise, slot.index, info.leaf)
        found = self.session_values.get(key)
        if found is None:
            found = self.session_values[key] = self._value(f"{slot.exercise}#{slot.index}.{info.leaf}", info)
        return found

    def _value(self, name: str, info: Field) -> Value:
        known = z3.Bool(f"known:{name}")
        if info.required or self.complete:
            self.facts.append(known)
        kind = info.type
        var: Any = None
        if isinstance(kind, t.BoolType):
            value: Any = z3.Bool(name)
        elif isinstance(kind, t.NumberType):
            value = z3.Int(name) if kind.integral else z3.Real(name)
            self.facts += [value >= -MAX_MAGNITUDE, value <= MAX_MAGNITUDE]
            if kind.low is not None:
                self.facts.append(value >= _exact(kind.low))
            if kind.high is not None:
                self.facts.append(value <= _exact(kind.high))
        elif isinstance(kind, t.EnumType):
            value = z3.Int(name)
            self.facts += [value >= 0, value < len(kind.members)]
        elif isinstance(kind, t.EnumListType):
            value = tuple(z3.Bool(f"{name}={m}") for m in kind.item.members)
        elif isinstance(kind, t.DateTimeType):
            # A time after the evaluation time reads as unknown (semantics.md): known ones are at or before it.
            value = z3.Int(name)
            self.facts.append(z3.Implies(known, z3.And(value <= 0, value >= -HUNDRED_YEARS)))
        elif isinstance(kind, t.DateType):
            var = z3.Int(name)  # the day number; its start in UTC is what rules compare
            value = var * DAY - self.tod
            self.facts.append(z3.Implies(known, z3.And(value <= 0, value >= -HUNDRED_YEARS)))
        else:
            value = None
        return Value(known, value, kind, var)

    # ------------------------------------------------------------ parameters

    def param(self, name: str) -> Any:
        """A parameter: symbolic within its bounds, or its default with `fixed_params`."""
        found = self.params.get(name)
        if found is not None:
            return found
        declared = self.program.parameters[name]
        if isinstance(declared.type, t.BoolType):
            found = z3.Bool(f"param:{name}")
            if self.fixed_params:
                self.facts.append(found == bool(declared.default))
        else:
            found = z3.Int(f"param:{name}") if declared.type.integral else z3.Real(f"param:{name}")
            if self.fixed_params:
                self.facts.append(found == _exact(declared.default))
            if declared.low is not None:
                self.facts.append(found >= _exact(declared.low))
            if declared.high is not None:
                self.facts.append(found <= _exact(declared.high))
        self.params[name] = found
        return found

    # ------------------------------------------------------------ sessions

    def make_slots(self, counts: Mapping[str, int]) -> None:
        """`counts[e]` slots for each exercise, newest first, the present ones a prefix in time order."""
        for exercise in self.program.exercises:
            made: list[Slot] = []
            for index in range(counts.get(exercise, 0)):
                name = f"{exercise}#{index}"
                slot = Slot(
                    exercise,
                    index,
                    z3.Bool(f"present:{name}"),
                    z3.Int(f"at:{name}"),
                    z3.Int(f"offset:{name}"),
                    z3.Int(f"day:{name}"),
                )
                local = slot.at + self.tod + slot.offset * 60 * MICROS
                self.facts += [
                    slot.at <= 0,
                    slot.at >= -HUNDRED_YEARS,
                    slot.offset >= -MAX_OFFSET_MINUTES,
                    slot.offset <= MAX_OFFSET_MINUTES,
                    slot.day * DAY <= local,
                    local < (slot.day + 1) * DAY,
                ]
                if made:
                    newer = made[-1]
                    # Two sessions of one exercise at one time are refused as bad data.
                    self.facts.append(z3.Implies(slot.present, z3.And(newer.present, slot.at < newer.at)))
                made.append(slot)
            self.slots[exercise] = tuple(made)

    def pool(self, exercises: frozenset[str] | None) -> list[Slot]:
        """The slots of these exercises (None: every exercise), in exercise order."""
        return [
            s
            for e in self.program.exercises
            if exercises is None or e in exercises
            for s in self.slots.get(e, ())
        ]


def _exact(number: float | int | bool) -> Any:
    """A number of the rules as z3 holds it: exactly the decimal it was written as."""
    if isinstance(number, bool | int):
        return z3.IntVal(int(number))
    exact = Fraction(repr(number))
    if exact.denominator == 1:
        return z3.IntVal(exact.numerator)
    return z3.RealVal(f"{exact.numerator}/{exact.denominator}")


def exact(number: float | int | bool) -> Any:
    """`_exact` for the other modules of prove."""
    return _exact(number)
