"""Timing helpers every section shares: per-item medians, subprocess wall times, rows, the quick switch.

Every figure is the median of `REPEATS` timed runs (5; 3 under BENCH_QUICK)
after one warm-up run, taken with `time.perf_counter_ns`, and divided by the
number of items a run handles. The garbage collector is paused while a run
is timed, as `timeit` does, so that a collection started by earlier
allocations is not charged to whichever code happens to be running.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
"""`BENCH_QUICK=1`: shrink every count for a smoke run of a few seconds."""

REPEATS = 3 if QUICK else 5


def scaled(full: int, quick: int) -> int:
    """`full`, or `quick` under BENCH_QUICK."""
    return quick if QUICK else full


def median_ns(run: Callable[[], object], repeats: int = REPEATS) -> float:
    """The median wall time of `run()` in nanoseconds, over `repeats` runs after one warm-up run."""
    run()
    times = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter_ns()
            run()
            times.append(time.perf_counter_ns() - start)
    finally:
        if enabled:
            gc.enable()
    return statistics.median(times)


def per_item_ns(function: Callable[[Any], object], items: Sequence[Any], repeats: int = REPEATS) -> float:
    """The median time of `function(item)` per item, over whole passes through `items`."""

    def run() -> None:
        for item in items:
            function(item)

    return median_ns(run, repeats) / len(items)


def process_ns(
    argv: Sequence[str], repeats: int = REPEATS, env: Callable[[], dict[str, str]] | None = None
) -> float:
    """The median wall time of a whole process, in nanoseconds, after one warm-up run.

    `env` makes the environment of each run (called before each, so that a
    run can have a fresh bytecode cache directory of its own).
    """

    def run() -> None:
        subprocess.run(argv, check=True, capture_output=True, env=None if env is None else env())

    return median_ns(run, repeats)


def process_pair_ns(
    first: Sequence[str],
    second: Sequence[str],
    repeats: int = REPEATS,
    env: Callable[[], dict[str, str]] | None = None,
) -> tuple[float, float]:
    """The median wall times of two processes, run in turns (one warm-up each), so that load shared by
    the machine's other work falls on both alike; `env` as for `process_ns`."""

    def once(argv: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        subprocess.run(argv, check=True, capture_output=True, env=None if env is None else env())
        return time.perf_counter_ns() - start

    once(first), once(second)
    times: tuple[list[int], list[int]] = ([], [])
    for _ in range(repeats):
        times[0].append(once(first))
        times[1].append(once(second))
    return statistics.median(times[0]), statistics.median(times[1])


def process_outputs(argv: Sequence[str], repeats: int = REPEATS) -> list[str]:
    """The standard output of `repeats` runs of a process, after one warm-up run."""
    return [
        subprocess.run(argv, check=True, capture_output=True, text=True).stdout for _ in range(repeats + 1)
    ][1:]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: a measurement, its figure and, where there is one, its goal."""

    section: str
    name: str
    value: float
    unit: str
    goal: str = ""
    ok: bool | None = None
    key: str = ""
    """The id of the goal of `benchmarks.goals` this row measures, if it measures one."""

    def figure(self) -> str:
        value = self.value
        if self.unit == "x":
            return f"{value:,.2f}x" if value < 100 else f"{value:,.0f}x"
        digits = 0 if abs(value) >= 1000 else 1 if abs(value) >= 10 else 2
        return f"{value:,.{digits}f} {self.unit}"


def at_most(section: str, name: str, value: float, bound: float, key: str = "") -> Row:
    """A ratio whose goal is `value <= bound` (`key`: the goal's id in `benchmarks.goals`)."""
    return Row(section, name, value, "x", f"<= {bound:g}x", value <= bound, key)


def at_least(section: str, name: str, value: float, bound: float) -> Row:
    """A ratio whose goal is `value >= bound`."""
    return Row(section, name, value, "x", f">= {bound:g}x", value >= bound)


def shown(section: str, name: str, value: float, key: str) -> Row:
    """A ratio the goals table shows without a bound of its own."""
    return Row(section, name, value, "x", key=key)


def us(ns: float) -> float:
    """Nanoseconds as microseconds."""
    return ns / 1_000


def ms(ns: float) -> float:
    """Nanoseconds as milliseconds."""
    return ns / 1_000_000


def check_equal(
    what: str, expected: Iterable[object], got: Iterable[object], states: Sequence[object]
) -> None:
    """Fail loudly, naming the first state where two evaluators disagree."""
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want != have:
            raise AssertionError(
                f"{what} disagrees on state {index}:\n  state    {states[index]!r}\n"
                f"  expected {want!r}\n  got      {have!r}"
            )
