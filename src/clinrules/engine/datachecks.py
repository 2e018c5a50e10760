"""Data that cannot be right (docs/semantics.md): exercises not of the ruleset, times after `as_of`.

A session of an exercise the ruleset does not have is refused with a
did-you-mean (a misspelt id once turned a stop into an allow). A time after
the evaluation's `as_of` cannot have happened yet: it is not counted. A field
holding one reads as unknown, so a rule that needs it is unknown, never
cleared; a session at one is left out. Each is reported as a warning, a
(path, reason) pair, which the decision lists under `warnings`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from enum import Enum
from itertools import repeat
from operator import attrgetter, is_, sub
from typing import Any

from pydantic import BaseModel
from pydantic_core import TzInfo

from clinrules.base.errors import PatientDataError
from clinrules.check.names import did_you_mean
from clinrules.engine.wording import TIME, time_trouble, type_problem
from clinrules.schema import types as t
from clinrules.schema.reader import SESSIONS, Field, Schema

__all__ = [
    "Warnings",
    "exercise_problem",
    "microseconds",
    "session_without_future",
    "sessions_in_order",
    "sorted_warnings",
    "time_fields_of",
    "utc_text",
    "without_future",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_LISTED = 20  # exercise ids named when a misspelt one has no close match
_FIXED_ZONES = frozenset({dt.timezone, TzInfo})  # a zone whose offset is the same at every time
_AT, _ZONE, _EXERCISE = attrgetter("at"), attrgetter("tzinfo"), attrgetter("exercise")

Warnings = list[tuple[str, str]]
"""(path, reason) for each value not counted."""


def exercise_problem(exercise: object, exercises: Collection[str]) -> str | None:
    """Why a session's exercise is not one of the ruleset's, with a did-you-mean; or None.

    A session of an exercise the ruleset does not have is bad data, never
    ignored: a misspelt id once left a provoking session uncounted, which
    turned a stop into an allow.
    """
    ident = exercise.value if isinstance(exercise, Enum) else exercise
    if ident in exercises:
        return None
    text = ident if isinstance(ident, str) else str(ident)
    shown = text if len(text) <= 60 else text[:57] + "..."
    hint = did_you_mean(text, exercises) if len(text) <= 200 else None  # difflib is quadratic
    if hint is None:
        ids = sorted(exercises)
        listed = ", ".join(ids[:_LISTED]) + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")
        hint = f"its exercises are {listed}" if ids else "it has no exercises"
    return f"'{shown}' is not an exercise of this ruleset; {hint}"


def session_without_future(
    session: BaseModel,
    index: int,
    limit: int,
    now: dt.datetime,
    time_fields: Sequence[Field],
    warnings: Warnings | None,
) -> BaseModel:
    """A counted session with its other time fields after `now` made unknown (a copy, if any is)."""
    unknown: dict[str, None] = {}
    for field in time_fields:
        value = getattr(session, field.attrs[-1], None)
        if _is_after(value, limit, f"{SESSIONS}[{index}].{field.leaf}"):
            unknown[field.attrs[-1]] = None
            if warnings is not None:
                warnings.append(
                    (f"{SESSIONS}[{index}].{field.leaf}", f"after as_of ({utc_text(now)}): read as unknown")
                )
    return session.model_copy(update=unknown) if unknown else session


def time_fields_of(schema: Schema) -> tuple[tuple[Field, ...], tuple[Field, ...]]:
    """The patient's time and date fields, and the session's other than `at`: those `without_future` reads.

    A date is after `as_of` when the start of its day in UTC is, as rules
    compare it: a date of birth in the future is not counted either.
    """
    patient = tuple(f for f in schema.fields.values() if t.is_time(f.type))
    session = tuple(f for f in schema.session_fields.values() if t.is_time(f.type) and f.leaf != "at")
    return patient, session


def without_future(
    patient: BaseModel, now: dt.datetime, time_fields: Sequence[Field], warnings: Warnings | None = None
) -> BaseModel:
    """The patient with every time after `now` made unknown (None); the patient itself is not changed.

    A time after the evaluation cannot have happened yet: it is not counted
    (docs/semantics.md), so a rule that reads it reads unknown, never an old
    answer. Each such field is added to `warnings` as (path, reason).

    Raises:
        PatientDataError: a time without a UTC offset (a model instance
            trusted as built can hold one).
    """
    limit = microseconds(now)
    later: list[tuple[str, ...]] = []
    for field in time_fields:
        value: Any = patient
        for attr in field.attrs:
            value = getattr(value, attr, None)
            if value is None:
                break
        if _is_after(value, limit, field.path):
            later.append(field.attrs)
            if warnings is not None:
                warnings.append((field.path, f"after as_of ({utc_text(now)}): read as unknown"))
    return _with_unknown(patient, later) if later else patient


def _is_after(value: object, limit: int, path: str) -> bool:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return microseconds(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)) > limit
    if not isinstance(value, dt.datetime):
        return False
    trouble = time_trouble(value)
    if trouble is not None:
        raise PatientDataError([(path, type_problem(TIME, value, trouble))])
    return microseconds(value) > limit


def _with_unknown(group: BaseModel, paths: Sequence[tuple[str, ...]]) -> BaseModel:
    """A copy of a group with the values at `paths` (attribute names, from it) set to None."""
    update: dict[str, Any] = {}
    inner: dict[str, list[tuple[str, ...]]] = {}
    for path in paths:
        if len(path) == 1:
            update[path[0]] = None
        else:
            inner.setdefault(path[0], []).append(path[1:])
    for name, rest in inner.items():
        update[name] = _with_unknown(getattr(group, name), rest)
    return group.model_copy(update=update)


def sorted_warnings(warnings: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The warnings in path order, an index in a path counted as a number (`[2]` before `[10]`)."""
    return tuple(sorted(set(warnings), key=lambda w: (_path_order(w[0]), w[1])))


def _path_order(path: str) -> tuple[tuple[int, int, str], ...]:
    parts = []
    for part in re.split(r"(\[\d+\])", path):
        if part.startswith("[") and part.endswith("]"):
            parts.append((1, int(part[1:-1]), ""))
        elif part:
            parts.append((0, 0, part))
    return tuple(parts)


def utc_text(moment: dt.datetime) -> str:
    """A time as `2026-11-21T08:00:00Z`, as the decision writes `as_of`."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def microseconds(moment: dt.datetime) -> int:
    """An aware time as whole microseconds since 1970 (UTC): exact for every year."""
    return (moment - _EPOCH) // _MICROSECOND


def sessions_in_order(
    sessions: Sequence[Any], now: dt.datetime, exercises: Collection[str] | None
) -> tuple[list[Any], dict[str, list[Any]]] | None:
    """The sessions newest first, and by exercise, when nothing about them needs a word; else None.

    `inputs.sessions_of`'s common case, worked out a column at a time in C
    loops: every session at or before `now`, of one of `exercises`, none at
    the time of another of its exercise, and every time with the same
    fixed-offset time zone object (as pydantic gives a log's times), so that
    the times subtract without asking their zone for its offset each time,
    which made ordering the costliest step. Anything else returns None, and
    `sessions_of` takes its session-by-session way, which words each problem.
    """
    try:
        times = list(map(_AT, sessions))
        zone = times[0].tzinfo
        if type(zone) not in _FIXED_ZONES or not all(map(is_, map(_ZONE, times), repeat(zone))):
            return None
        if not set(map(type, times)) <= {dt.datetime}:
            return None
        ids = list(map(_EXERCISE, sessions))
        if exercises is not None and not all(map(exercises.__contains__, ids)):
            return None
        # Times in one fixed-offset zone subtract as their wall clocks do: exactly, and in order.
        start = dt.datetime(1970, 1, 1, tzinfo=zone)
        keyed = dict(zip(zip(map(sub, times, repeat(start)), ids, strict=True), sessions, strict=True))
        if len(keyed) != len(sessions) or max(keyed)[0] > now - start:
            return None  # two at one time, or one after `now`
        chosen = [keyed[key] for key in sorted(keyed, reverse=True)]
    except Exception:  # an odd session (a model built without validation): the long way
        return None
    by_exercise: dict[str, list[Any]] = {}
    for session in chosen:
        by_exercise.setdefault(session.exercise, []).append(session)
    return chosen, by_exercise
