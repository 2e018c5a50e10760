"""Runtime helpers that generated evaluator code calls: Kleene counting over sessions and days.

Truth values are `True`, `False` and `None` (unknown). Each helper takes the
checked condition of one session as a function and the sessions to test,
newest first, and follows language.md sections 5 and 6 exactly: a session
whose condition is unknown can neither be counted in nor ruled out. The
score and assessment helpers at the end follow language-2.md sections 5
and 6 in the same spirit: an unknown item widens a range, an unknown branch
leaves the values it could give possible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

SessionTest = Callable[[Any, Any, tuple[Any, ...], dt.datetime], bool | None]
Truth = bool | None


def any_of(
    test: SessionTest, sessions: Sequence[Any], p: Any, params: tuple[Any, ...], now: dt.datetime
) -> Truth:
    """Kleene or over the sessions: false with none."""
    result: Truth = False
    for session in sessions:
        value = test(session, p, params, now)
        if value is True:
            return True
        if value is None:
            result = None
    return result


def all_of(
    test: SessionTest, sessions: Sequence[Any], p: Any, params: tuple[Any, ...], now: dt.datetime
) -> Truth:
    """Kleene and over the sessions: true with none."""
    result: Truth = True
    for session in sessions:
        value = test(session, p, params, now)
        if value is False:
            return False
        if value is None:
            result = None
    return result


def at_least(
    test: SessionTest, count: int, sessions: Sequence[Any], p: Any, params: tuple[Any, ...], now: dt.datetime
) -> Truth:
    """True when at least `count` sessions have the condition; false when even
    counting the unknowns fewer could; else unknown."""
    yes = unknown = 0
    for session in sessions:
        value = test(session, p, params, now)
        if value is True:
            yes += 1
            if yes >= count:
                return True
        elif value is None:
            unknown += 1
    return None if yes + unknown >= count else False


class Picks:
    """The sessions of one evaluation (newest first), and each selection of them made so far.

    A scope (language-2.md section 1) selects the sessions of a set of
    exercises, fixed when the program is compiled; each set is filtered out
    of the log once per evaluation, keeping its order.
    """

    __slots__ = ("_chosen", "_days", "all")

    def __init__(self, sessions: Sequence[Any]) -> None:
        self.all = sessions
        self._chosen: dict[frozenset[str], list[Any]] = {}
        self._days: dict[int, tuple[Sequence[Any], list[list[Any]]]] = {}

    def days(self, sessions: Sequence[Any], count: int) -> list[list[Any]]:
        """`days(sessions, count)`, the grouping made once per sequence of this evaluation.

        The sessions of an evaluation do not change with `now` (none is after
        `as_of`), so neither do their days: `recheck_at`, which runs a rule at
        many instants, groups each sequence once. A sequence is known by its
        identity, and kept, so that its id cannot be another's.
        """
        found = self._days.get(id(sessions))
        if found is None or found[0] is not sessions:
            found = self._days[id(sessions)] = (sessions, days(sessions, len(sessions)))
        return found[1][:count]

    def pick(self, exercises: frozenset[str]) -> list[Any]:
        """The sessions of these exercises, newest first."""
        chosen = self._chosen.get(exercises)
        if chosen is None:
            chosen = self._chosen[exercises] = [s for s in self.all if s.exercise in exercises]
        return chosen


def merged(by_exercise: Mapping[str, Sequence[Any]]) -> list[Any]:
    """Every session, newest first, as `inputs.sessions_of` orders them: by time, then exercise id."""
    return sorted((s for group in by_exercise.values() for s in group), key=_order, reverse=True)


def _order(session: Any) -> tuple[dt.datetime, str]:
    return session.at, session.exercise


def days(sessions: Sequence[Any], count: int) -> list[list[Any]]:
    """The sessions grouped by local calendar day, the newest `count` days first.

    A session's day is its date in its own UTC offset; days are ordered by
    that date (language-2.md sections 2 and 11), so a day is never split by
    the offsets of the sessions around it.
    """
    groups: dict[dt.date, list[Any]] = {}
    for session in sessions:
        groups.setdefault(session.at.date(), []).append(session)
    return [groups[day] for day in sorted(groups, reverse=True)[:count]]


def count_days(
    test: SessionTest,
    count: int,
    chosen: Sequence[Sequence[Any]],
    p: Any,
    params: tuple[Any, ...],
    now: dt.datetime,
) -> Truth:
    """`K of the last N days`: at least `count` days where any session has the condition (Kleene)."""
    yes = unknown = 0
    for day in chosen:
        value = any_of(test, day, p, params, now)
        if value is True:
            yes += 1
            if yes >= count:
                return True
        elif value is None:
            unknown += 1
    return None if yes + unknown >= count else False


def every_day(
    test: SessionTest,
    count: int,
    chosen: Sequence[Sequence[Any]],
    p: Any,
    params: tuple[Any, ...],
    now: dt.datetime,
) -> Truth:
    """`every one of the last N days`: false with fewer than N days; else every session of every day."""
    if len(chosen) < count:
        return False
    result: Truth = True
    for day in chosen:
        value = all_of(test, day, p, params, now)
        if value is False:
            return False
        if value is None:
            result = None
    return result


def within(sessions: Sequence[Any], now: dt.datetime, seconds: float) -> Sequence[Any]:
    """The sessions (newest first, none after now) with `now - seconds <= at`."""
    try:
        cutoff = now - dt.timedelta(seconds=seconds)
    except OverflowError:  # a cutoff before the calendar holds every session; after it, none
        return sessions if seconds > 0 else sessions[:0]
    end = 0
    for session in sessions:
        if session.at < cutoff:
            break
        end += 1
    return sessions[:end]


def shift(moment: dt.datetime | None, seconds: float | None, sign: int) -> dt.datetime | None:
    """`moment + sign * seconds`; unknown when either is unknown."""
    if moment is None or seconds is None:
        return None
    try:
        return moment + dt.timedelta(seconds=sign * seconds)
    except OverflowError:  # beyond the calendar: no field can meet it
        return (
            dt.datetime.max.replace(tzinfo=dt.UTC)
            if sign * seconds > 0
            else dt.datetime.min.replace(tzinfo=dt.UTC)
        )


def day_start(day: dt.date | None) -> dt.datetime | None:
    """A date as rules compare it: the start of that day in UTC; unknown stays unknown."""
    if day is None:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def elapsed(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    """`later - earlier` in seconds; unknown when either is unknown."""
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()


# ---------------------------------------------------------------- scores and assessments (language-2.md sections 5, 6)

Range = tuple[int | float, int | float]
"""A score's value: the lowest and highest totals its unknown items allow (low = high when known)."""
Assessed = tuple[Any, tuple[Any, ...], bool]
"""An assessment's result: its value (None when unknown), the values still possible in
branch order, and whether it may end with no value (no branch true and no `otherwise`)."""


def tally(values: Sequence[Truth], points: Sequence[int]) -> Range:
    """A score's range: true items count; unknown ones lower `low` (negative) or raise `high`."""
    low = high = 0
    for value, n in zip(values, points, strict=True):
        if value is True:
            low += n
            high += n
        elif value is None:
            if n < 0:
                low += n
            else:
                high += n
    return low, high


def ranged(op: str, a: Range, b: Range) -> Truth:
    """`a OP b` over ranges: true when every pair of values satisfies it, false when none does."""
    (a_low, a_high), (b_low, b_high) = a, b
    if op == "<":
        return True if a_high < b_low else (False if a_low >= b_high else None)
    if op == "<=":
        return True if a_high <= b_low else (False if a_low > b_high else None)
    if op == ">":
        return True if a_low > b_high else (False if a_high <= b_low else None)
    if op == ">=":
        return True if a_low >= b_high else (False if a_high < b_low else None)
    equal: Truth = (
        True if a_low == a_high == b_low == b_high else (False if a_high < b_low or b_high < a_low else None)
    )
    if op == "=" or equal is None:
        return equal
    return not equal


def ranged_between(value: Range, low: Range, high: Range) -> Truth:
    """`value between low and high`: Kleene and of `value >= low` and `value <= high`."""
    above, below = ranged(">=", value, low), ranged("<=", value, high)
    if above is False or below is False:
        return False
    return None if above is None or below is None else True


def assess(values: Sequence[Any], tests: Sequence[Callable[[], Truth]], otherwise: Any) -> Assessed:
    """Branches in order: the first true one decides, unless an earlier one is unknown.

    A branch's value is possible when no earlier branch is true and its own
    condition is not false; `otherwise` when no branch is true.
    """
    possible: list[Any] = []
    unsure = False
    for value, test in zip(values, tests, strict=True):
        result = test()
        if result is False:
            continue
        if value not in possible:
            possible.append(value)
        if result is True:
            return (None if unsure else value), tuple(possible), False
        unsure = True
    if otherwise is None:
        return None, tuple(possible), True
    if otherwise not in possible:
        possible.append(otherwise)
    return (None if unsure else otherwise), tuple(possible), False


def assessed(result: Assessed, members: frozenset[Any], negated: bool) -> Truth:
    """`ASSESS in {..}` (negated: `is not`): known -> membership; unknown -> over what is possible.

    True when every possible value is in the set and the result cannot be
    "no value"; false when no possible value is; else unknown.
    """
    value, possible, open_ = result
    if value is not None:
        found = value in members
    elif not any(v in members for v in possible):
        found = False
    elif not open_ and all(v in members for v in possible):
        found = True
    else:
        return None
    return found is not negated
