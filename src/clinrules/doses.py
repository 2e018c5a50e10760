"""Checker, doses: `dose` clauses -> `ir.Dose`, each attribute in its one unit.

Counts (`reps`, `sets`, `daily`) are whole numbers; `hold` and `rest` are
times, kept in seconds; `range` is `partial`, `full` or inches; `load` is a
percentage of body weight. A range of amounts runs from low to high.
"""

from __future__ import annotations

import dataclasses

from clinrules import ast, ir
from clinrules.names import Reporter
from clinrules.units import INCH, SECOND, unit_named

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
