"""Checker, doses: `dose` clauses -> `ir.Dose`, each attribute in its one unit.

Counts (`reps`, `sets`, `daily`) are whole numbers; `hold` and `rest` are
times, kept in seconds; `range` is `partial`, `full` or inches; `load` is a
percentage of body weight. A range of amounts runs from low to high. A
`modify` dose may only lower what an exercise's default dose sets: one that
sets an attribute the default lacks is warned about (CR508), since there is
nothing for it to lower and it may raise the volume.
"""

from __future__ import annotations

import dataclasses

from clinrules import ir
from clinrules.check.names import Reporter
from clinrules.schema.units import INCH, SECOND, unit_named
from clinrules.syntax import ast

_COUNTS = ("reps", "sets", "daily")
_TIMES = ("hold", "rest")


class DoseChecker:
    """Checks doses and reports into a shared reporter."""

    def __init__(self, report: Reporter) -> None:
        self.report = report

    def dose(self, node: ast.Dose, file: str) -> ir.Dose:
        """The checked dose; attributes with an error are left out."""
        dose = ir.Dose()
        seen: set[str] = set()
        for item in node.items:
            if item.attribute in seen:
                self.report.error(
                    "CR410", f"the dose gives '{item.attribute}' twice", (file, item.span), "keep one"
                )
                continue
            seen.add(item.attribute)
            value = self._value(item, file)
            if value is not None:
                dose = dataclasses.replace(dose, **{item.attribute: value})  # type: ignore[arg-type]
        return dose

    def beyond_defaults(
        self, node: ast.Dose, file: str, targets: tuple[str, ...], exercises: dict[str, ir.Exercise]
    ) -> None:
        """Warn (CR508) about each attribute of a `modify` dose that a target's default dose lacks."""
        for item in node.items:
            lacking = [
                name
                for name in targets
                if name in exercises
                and getattr(exercises[name].dose or ir.Dose(), item.attribute, None) is None
            ]
            if not lacking:
                continue
            shown = ", ".join(lacking[:4]) + (f" and {len(lacking) - 4} more" if len(lacking) > 4 else "")
            self.report.error(
                "CR508",
                f"this dose sets '{item.attribute}', which the default dose of {shown} does not: "
                "there is nothing to lower, so it may raise the volume",
                (file, item.span),
                f"leave '{item.attribute}' out, give the exercise a default {item.attribute}, "
                "or leave these exercises out of the rule's targets",
            )

    def _value(self, item: ast.DoseItem, file: str) -> str | ir.Amount | None:
        if item.word is not None:
            return item.word
        assert item.low is not None
        low = float(item.low.value)
        high = float(item.high.value) if item.high is not None else low
        attribute = item.attribute
        if attribute in _COUNTS and not (low.is_integer() and high.is_integer()):
            self.report.error(
                "CR304", f"'{attribute}' counts whole times, not {item.low.text}", (file, item.span)
            )
            return None
        if attribute in _TIMES or attribute == "range":
            wanted = SECOND if attribute in _TIMES else INCH
            unit = unit_named(item.unit or "")
            if unit is None or unit.dimension != wanted.dimension:
                example = (
                    f"{attribute} 10 s" if attribute in _TIMES else "range 2 to 3 inches, or range partial"
                )
                self.report.error(
                    "CR303",
                    f"'{attribute}' is {'a time' if attribute in _TIMES else 'a length in inches'}, "
                    f"not '{item.unit}'",
                    (file, item.span),
                    f"write it as: {example}",
                )
                return None
            low, high = unit.to(wanted, low), unit.to(wanted, high)
        if low < 0 or high < low:
            self.report.error(
                "CR406",
                f"'{attribute}' must run from a low amount to a higher one, not {low:g} to {high:g}",
                (file, item.span),
            )
            return None
        return ir.Amount(low, high)


_ORDER = ("reps", "sets", "hold", "rest", "daily", "range", "load")
_LONGEST = frozenset({"rest"})  # more rest is the conservative way; everything else goes down
_RANGE_WORDS = {"partial": 1, "full": 2}


def merge_doses(default: ir.Dose | None, doses: list[ir.Dose]) -> ir.Dose | None:
    """Merge doses attribute by attribute, bound by bound, to the most conservative value.

    Fewest reps, sets and daily times, shortest hold, lowest load, smallest
    range (inches < partial < full) and longest rest: a modify never raises
    anything above the exercise's default dose.
    """
    all_doses = [d for d in (default, *doses) if d is not None]
    if not all_doses:
        return None
    merged: dict[str, str | ir.Amount] = {}
    for attribute in _ORDER:
        values = [getattr(d, attribute) for d in all_doses if getattr(d, attribute) is not None]
        if values:
            merged[attribute] = _conservative(attribute, values)
    return ir.Dose(**merged)  # type: ignore[arg-type]


def _conservative(attribute: str, values: list[str | ir.Amount]) -> str | ir.Amount:
    if attribute == "range":
        amounts = [v for v in values if isinstance(v, ir.Amount)]
        if not amounts:
            return min((v for v in values if isinstance(v, str)), key=_RANGE_WORDS.__getitem__)
        values = list(amounts)
    amounts = [v for v in values if isinstance(v, ir.Amount)]
    pick = max if attribute in _LONGEST else min
    return ir.Amount(pick(a.low for a in amounts), pick(a.high for a in amounts))


def dose_json(dose: ir.Dose | None) -> dict[str, int | float | str | list[int | float]] | None:
    """A dose as the decision JSON shows it: a number, [low, high], or a range word."""
    if dose is None:
        return None
    out: dict[str, int | float | str | list[int | float]] = {}
    for attribute in _ORDER:
        value = getattr(dose, attribute)
        if value is None:
            continue
        if isinstance(value, str):
            out[attribute] = value
        elif value.low == value.high:
            out[attribute] = _number(value.low)
        else:
            out[attribute] = [_number(value.low), _number(value.high)]
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
