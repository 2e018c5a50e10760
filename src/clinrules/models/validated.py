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

from collections.abc import Mapping
from itertools import chain
from operator import is_, methodcaller
from typing import Any

from pydantic import BaseModel, PrivateAttr, ValidationInfo, model_validator

__all__ = ["MARK", "UNMARKED_KEY", "Validated", "is_validated"]

MARK = "_clinrules_validated"
"""The private attribute that holds the mark: (id of the instance, each list and its items)."""

UNMARKED_KEY = "clinrules_unmarked"
"""A validation context with this key true makes no mark: clinrules' own validation of a dict,
whose instance no caller sees before it is evaluated."""

Snapshot = tuple[tuple[list[Any], tuple[Any, ...]], ...]

_CONTAINERS = (list, dict, set, bytearray, BaseModel)
_VALUES = methodcaller("values")


class Validated(BaseModel):
    """A model whose validated instances are marked as such (see the module)."""

    _clinrules_validated: tuple[int, Snapshot] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _mark_validated(self, info: ValidationInfo) -> Any:
        # clinrules' own validation of a dict asks for no mark: it never sees the instance again.
        if not (isinstance(info.context, Mapping) and info.context.get(UNMARKED_KEY)):
            lists = _snapshot(self)
            self._clinrules_validated = None if lists is None else (id(self), lists)
        return self


def is_validated(instance: BaseModel) -> bool:
    """Whether the instance is frozen, was validated by its model, and has not changed since."""
    if not instance.model_config.get("frozen"):
        return False
    private = getattr(instance, "__pydantic_private__", None)
    mark = private.get(MARK) if private else None
    if mark is None or mark[0] != id(instance):
        return False
    return all(len(now) == len(then) and all(map(is_, now, then)) for now, then in mark[1])


def _snapshot(model: BaseModel) -> Snapshot | None:
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
                    # Items with only plain values (sessions, most often) need no walk of their own.
                    inner = set(map(type, chain.from_iterable(map(_VALUES, map(vars, items)))))
                    if any(issubclass(kind, _CONTAINERS) for kind in inner):
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
