"""The goals of issue 20, each a ratio measured in one run, and how each is reported: met, or missed by how much.

A goal names the row that measures it by the row's `key` (`Row.key`, set
where the section makes the row). `verdicts` turns the rows of a run into one
line per goal; a goal whose section did not run is reported as not measured,
never as met. This module imports nothing that needs the `bench` extra, so
the tests can read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal: its id (a row's key), its point of issue 20, what it compares, and its bound."""

    key: str
    point: str
    what: str
    bound: float | None
    """At most this ratio (or, for a row in ms, these ms); None: shown beside the goals, no bound."""


GOALS = (
    Goal("decision_flat", "1", "`evaluate(dict)` / `outcomes(dict)`, the 30-rule benchmark", 2),
    Goal("decision_shipped", "1", "`evaluate(dict)` / `outcomes(dict)`, shipped ruleset, recheck on", 2),
    Goal(
        "decision_shipped_plain", "1", "`evaluate(dict)` / `outcomes(dict)`, shipped ruleset, recheck off", 2
    ),
    Goal("known_two_valued", "2", "`outcomes(instance)` on known states / hand-written two-valued", 1.5),
    Goal("unknown_three_valued", "2", "`outcomes(instance)`, 20% unknown / hand-written three-valued", None),
    Goal("one_exercise", "3", "`evaluate(exercises=[one])` / all exercises, the slowest exercise", 1),
    Goal("batch_validation", "4", "`evaluate_many` / validation alone, shipped-model patients", 1.5),
    Goal("batch_memory", "4", "`evaluate_many` memory: peak at 10,000 / at 1,000 patients", 1.5),
    Goal("startup_cached", "5", "`clinrules check` process / bare import, bytecode cached", 3),
    Goal("startup_uncached", "5", "`clinrules check` process / bare import, no bytecode caches", 3),
    Goal("service_p99", "-", "CDS Hooks service p99 latency, 8 clients (ms)", 50),
)
"""Every goal of issue 20, in its order, and the service's p99 row that `make bench` already reported."""


def verdict(value: float | None, bound: float | None) -> str:
    """`met`, `missed by N%` (how far above the bound, as a share of it), `shown` or `not measured`."""
    if value is None:
        return "not measured"
    if bound is None:
        return "shown"
    if value <= bound:
        return "met"
    return f"missed by {(value / bound - 1) * 100:.0f}%"


def verdicts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per goal, from the rows of a run (as `benchmarks.run` writes them to the results)."""
    by_key = {row["key"]: row for row in rows if row.get("key")}
    out = []
    for goal in GOALS:
        row = by_key.get(goal.key)
        value = None if row is None else row["value"]
        out.append(
            {
                "key": goal.key,
                "point": goal.point,
                "what": goal.what,
                "bound": goal.bound,
                "value": value,
                "unit": None if row is None else row["unit"],
                "verdict": verdict(value, goal.bound),
            }
        )
    return out
