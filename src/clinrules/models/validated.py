"""The mark of an instance its model validated and that has not changed since.

pydantic cannot tell a validated instance from one made with
`model_construct` (which skips validation, so any value can be in it). The
models clinrules ships derive from `Validated`: their after-validator marks
the instance, and clinrules evaluates a marked, unchanged, frozen instance
without validating it again (docs/semantics.md, "A model instance"). An
instance made with `model_construct` has no mark and is validated as a dict
is.

Frozen stops a field from being set, not a list from being changed in
place: the mark keeps each list the instance holds with its items, and an
instance whose lists no longer hold the same items is not trusted. A copy
(`model_copy`, `copy.deepcopy`, a pickle) is a new object: the mark names
the object it was made for, so a copy is validated again.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from itertools import repeat
from operator import attrgetter, is_, sub
from typing import Any, ClassVar, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)
from pydantic_core import TzInfo

__all__ = [
    "KEEPS_VALUES",
    "MARK",
    "UNMARKED_KEY",
    "Validated",
    "apart_in_time",
    "is_validated",
    "keeps_values",
]

MARK = "_clinrules_validated"
"""The private attribute that holds the mark: (id of the instance, each list and its items)."""

UNMARKED_KEY = "clinrules_unmarked"
"""A validation context with this key true makes no mark: clinrules' own validation of a dict,
whose instance no caller sees before it is evaluated."""

KEEPS_VALUES = "clinrules_keeps_values"
"""The attribute `keeps_values` sets on a before-validator."""

Snapshot = tuple[tuple[list[Any], tuple[Any, ...]], ...]
_Validator = TypeVar("_Validator", bound=Callable[..., Any])
_FIXED_ZONES = frozenset({dt.timezone, TzInfo})  # a zone whose offset is the same at every time
_AT, _ZONE, _EXERCISE = attrgetter("at"), attrgetter("tzinfo"), attrgetter("exercise")

_CONTAINERS = (list, dict, set, bytearray, BaseModel)
_PLAIN = (bool, int, float, str, dt.date, dt.time, dt.timedelta, Enum, type(None))
# pydantic's own time annotations: classes that are not the datetime or date they validate to.
_PLAIN_MARKERS = frozenset({AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime, PastDate, FutureDate})


class Validated(BaseModel):
    """A model whose validated instances are marked as such (see the module)."""

    # No validator of its own at import: building one loads pydantic's plugins
    # (importlib.metadata, about 12 ms), which `clinrules check` never needs.
    model_config = ConfigDict(defer_build=True)
    _clinrules_validated: tuple[int, Snapshot] | None = PrivateAttr(default=None)
    clinrules_flat_models: ClassVar[frozenset[type[BaseModel]]] = frozenset()
    """The models in this one's fields whose own fields hold only plain values: found once, when
    the class is made, so that marking an instance never reads annotations."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.clinrules_flat_models = frozenset(m for m in _models_in(cls) if _flat(m))

    @model_validator(mode="after")
    def _mark_validated(self, info: ValidationInfo) -> Any:
        # clinrules' own validation of a dict asks for no mark: it never sees the instance again.
        if not (isinstance(info.context, Mapping) and info.context.get(UNMARKED_KEY)):
            lists = _snapshot(self, self.clinrules_flat_models)
            self._clinrules_validated = None if lists is None else (id(self), lists)
        return self


def keeps_values(validator: _Validator) -> _Validator:
    """Mark a before-validator that gives back its input, or for None (unknown) an empty value.

    The strict kind check sees the values the caller sent; clinrules runs it
    inside pydantic's validation (engine/kinds.py) only where every
    before-validator on the way is marked so: one that changed a value (a
    `"yes"` made `true`) would hide a value of the wrong kind from it.
    """
    setattr(validator, KEEPS_VALUES, True)
    return validator


def apart_in_time(sessions: Sequence[Any]) -> bool:
    """True when no two sessions are of one exercise at one time, told a column at a time in C loops.

    Only when every session's `at` is a datetime in the same fixed-offset
    zone object (as pydantic gives a log's times): those compare as their
    wall clocks do, without asking the zone for an offset, which made
    hashing each time the costliest step of a model's check. False when it
    cannot tell, or two are: the model then looks session by session.
    """
    try:
        times = list(map(_AT, sessions))
        if not times:
            return True
        zone = times[0].tzinfo
        if type(zone) not in _FIXED_ZONES or not all(map(is_, map(_ZONE, times), repeat(zone))):
            return False
        if not set(map(type, times)) <= {dt.datetime}:
            return False
        start = dt.datetime(1970, 1, 1, tzinfo=zone)
        return len(set(zip(map(_EXERCISE, sessions), map(sub, times, repeat(start)), strict=True))) == len(
            times
        )
    except Exception:  # an odd session: looked at one by one
        return False


def is_validated(instance: BaseModel) -> bool:
    """Whether the instance is frozen, was validated by its model, and has not changed since."""
    if not instance.model_config.get("frozen"):
        return False
    private = getattr(instance, "__pydantic_private__", None)
    mark = private.get(MARK) if private else None
    if mark is None or mark[0] != id(instance):
        return False
    return all(len(now) == len(then) and all(map(is_, now, then)) for now, then in mark[1])


def _snapshot(model: BaseModel, flat: frozenset[type[BaseModel]]) -> Snapshot | None:
    """Every list the instance holds, with its items; None when it holds what the mark cannot follow.

    A nested model must be frozen; a dict, a set or a bytearray cannot be followed.
    """
    found: list[tuple[list[Any], tuple[Any, ...]]] = []
    stack: list[Any] = [model]
    while stack:
        node = stack.pop()
        if not _followed(type(node)):
            return None
        for value in node.__dict__.values():
            if isinstance(value, BaseModel):
                stack.append(value)
            elif type(value) is list:
                items = tuple(value)
                found.append((value, items))
                kinds = set(map(type, items))
                if kinds and all(issubclass(kind, BaseModel) for kind in kinds):
                    if not all(_followed(kind) for kind in kinds):
                        return None
                    # Items whose fields hold only plain values (sessions) need no walk of their own:
                    # their class says so, once for all of them.
                    if not kinds <= flat:
                        stack.extend(items)
                elif any(issubclass(kind, _CONTAINERS) for kind in kinds):
                    return None
            elif isinstance(value, _CONTAINERS):
                return None
    return tuple(found)


def _followed(model: type[BaseModel]) -> bool:
    """Frozen, and with no extra values (which pydantic keeps apart, in a dict)."""
    config = model.model_config
    return bool(config.get("frozen")) and config.get("extra") != "allow"


def _flat(model: type[BaseModel]) -> bool:
    """Whether every field of the model holds a plain, unchangeable value (or None), by its annotation."""
    return all(_plain(field.annotation, 0) for field in model.model_fields.values())


def _plain(annotation: Any, depth: int) -> bool:
    if annotation in _PLAIN_MARKERS:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, _PLAIN)
    if depth > 8:  # Optional and Annotated nest a few levels, never more
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return True
    if origin is typing.Annotated:
        return _plain(typing.get_args(annotation)[0], depth + 1)
    if origin is typing.Union or origin is types.UnionType:
        return all(_plain(arg, depth + 1) for arg in typing.get_args(annotation))
    return False  # anything else (a list, a dict, Any) is walked, or not trusted


def _models_in(model: type[BaseModel]) -> set[type[BaseModel]]:
    """Every model class reachable through the model's field annotations, the model included."""
    found: set[type[BaseModel]] = set()
    todo: list[Any] = [model]
    while todo:
        annotation = todo.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                todo.extend(field.annotation for field in annotation.model_fields.values())
        else:
            todo.extend(typing.get_args(annotation))
    return found
