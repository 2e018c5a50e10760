"""Runtime helpers that generated evaluator code calls: Kleene counting over sessions.

Truth values are `True`, `False` and `None` (unknown). Each helper takes the
checked condition of one session as a function and the sessions to test,
newest first, and follows language.md sections 5 and 6 exactly: a session
whose condition is unknown can neither be counted in nor ruled out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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


def elapsed(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    """`later - earlier` in seconds; unknown when either is unknown."""
    if later is None or earlier is None:
        return None
    return (later - earlier).total_seconds()
