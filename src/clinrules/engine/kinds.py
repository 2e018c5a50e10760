"""The strict type check's fast ways: values of the right kind settled many at a time.

`inputs.strict_problems` checks each value a rule can read for its JSON kind
(docs/semantics.md) and words every refusal. Most patients have none, and
most of their values are in the session log: these passes settle a log of
right values, or a validated instance's values, with the same tests run a
field at a time in C loops (`map`, `set`). A pass only ever says "all
right" or "not sure": on "not sure" the full check runs from the start, so
what is refused, and how it is worded, never depends on them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import Enum
from functools import partial
from itertools import repeat
from operator import attrgetter, is_not, le
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from clinrules.base.limits import MAX_MAGNITUDE
from clinrules.schema import types as t
from clinrules.schema.reader import SESSIONS, Schema

__all__ = ["PLAIN_KINDS", "TIME_KINDS", "alias_of", "instance_passes", "sessions_pass"]

# Its own object: the session loop tells a time field from a text or choice field by identity
# (`kinds is TIME_KINDS`), since all three accept `str` and only a time needs its offset checked.
TIME_KINDS = frozenset({str})
_NUMBER_KINDS = frozenset({int, float})
_DICT = frozenset({dict})
_BOOL = frozenset({bool})
_IS_KNOWN = partial(is_not, None)  # a C-level test, as `map` and `filter` call it for every value
PLAIN_KINDS: Mapping[type, frozenset[type]] = MappingProxyType(
    {
        t.NumberType: _NUMBER_KINDS,
        t.BoolType: frozenset({bool}),
        t.TextType: frozenset({str}),
        t.EnumType: frozenset({str}),
        t.DateTimeType: TIME_KINDS,
    }
)
"""Field kinds whose common right values one type test settles (a number also needs its range,
a time its offset, an exercise id the ruleset); anything else takes the full check."""


def alias_of(model: type[BaseModel] | None, key: str) -> str | None:
    """The alias of the field whose Python name is `key`, when the model takes Python names; else None."""
    if model is None:
        return None
    config = model.model_config
    if not (config.get("populate_by_name") or config.get("validate_by_name")):
        return None
    info = model.model_fields.get(key)
    if info is None or not info.alias or info.alias == key:
        return None
    return info.alias


def sessions_pass(
    plain: Mapping[Any, frozenset[type] | None],
    model: type[BaseModel] | None,
    sessions: Sequence[Any],
    exercise_key: str | None,
    exercises: Collection[str] | None,
) -> bool:
    """Whether every session value passes the loop's one-type-test way, checked a key at a time.

    The same tests as the loop below, but each over one key's values in C
    loops (`map`, `set`): a log of right values, by far the most common, is
    settled here. Anything else (a session that is not a dict, a key that is
    an alias or a whole-number choice, one wrong value) returns False, and
    the loop, which words every refusal, checks the log from the start, so
    a refusal is the same with or without this pass.
    """
    if not set(map(type, sessions)) <= _DICT:
        return False
    for key in set().union(*sessions):
        if key not in plain:
            if isinstance(key, str) and alias_of(model, key) is not None:
                return False
            continue  # not a field: the loop skips it too, and the model reports it
        kinds = plain[key]
        if kinds is None:
            return False
        values: list[Any] = list(filter(_IS_KNOWN, map(dict.get, sessions, repeat(key))))
        if not values:
            continue
        found = set(map(type, values))
        if not found <= kinds:
            return False
        if kinds is TIME_KINDS:
            try:
                if None in map(dt.datetime.utcoffset, map(dt.datetime.fromisoformat, values)):
                    return False
            except ValueError:
                return False
        elif key == exercise_key and exercises is not None:
            if not all(map(exercises.__contains__, values)):
                return False
        elif kinds is _NUMBER_KINDS and not all(map(le, map(abs, values), repeat(MAX_MAGNITUDE))):
            return False  # `le` is false for NaN too
    return True


WrongKind = Callable[[t.RuleType, Any], object]
"""`inputs._wrong_kind`: None when a known value is of its field's kind."""


def instance_passes(
    schema: Schema, patient: BaseModel, exercises: Collection[str] | None, wrong_kind: WrongKind
) -> bool:
    """Whether every value of a validated instance that a rule can read is of its field's kind.

    The model's own (lax) validation may keep a value the strict check
    refuses (a number beyond `MAX_MAGNITUDE`, a NaN where the model sets no
    bound), so a validated instance is still checked; from its attributes,
    without dumping it. With `exercises`, every session's exercise must be
    one of them.
    """
    for field in schema.fields.values():
        value: Any = patient
        for attr in field.attrs:
            value = getattr(value, attr)
            if value is None:
                break
        else:
            if not _column_passes(field.type, [value], wrong_kind):
                return False
    if not schema.has_sessions:
        return True
    sessions = getattr(patient, SESSIONS) or ()
    for key, field in schema.session_fields.items():
        values = list(filter(_IS_KNOWN, map(attrgetter(".".join(field.attrs)), sessions)))
        if values and not _column_passes(field.type, values, wrong_kind):
            return False
        if key == "exercise" and exercises is not None and not all(map(exercises.__contains__, values)):
            return False
    return True


def _column_passes(kind: t.RuleType, values: Sequence[Any], wrong_kind: WrongKind) -> bool:
    """Whether each of these known values (Python's: enum members, datetimes) is of the kind."""
    cls = kind.__class__
    found = set(map(type, values))
    if cls is t.NumberType:
        return found <= _NUMBER_KINDS and all(map(le, map(abs, values), repeat(MAX_MAGNITUDE)))
    if cls is t.BoolType:
        return found <= _BOOL
    if cls is t.TextType:
        return found <= TIME_KINDS
    if cls is t.EnumType and not getattr(kind, "by_name", False):
        return all(issubclass(each, str | Enum) for each in found)
    if cls is t.DateTimeType and all(issubclass(each, dt.datetime) for each in found):
        try:  # as `time_trouble` asks: any failure of a caller's tzinfo is not sure
            return None not in map(dt.datetime.utcoffset, values)
        except Exception:
            return False
    return all(wrong_kind(kind, value) is None for value in values)
