"""Decision, pending: a decision's exercises held as records until they are read (`made.Records`).

`Decision.exercises` is a pydantic field whose value in the instance's
`__dict__` may be a `PendingExercises` until first read: the class
attribute `ExercisesOnRead` (a data descriptor, so Python asks it before
the instance's `__dict__`) builds the models then, and puts them in the
`__dict__` in place of the records, under the same key, so the JSON keeps
its key order. pydantic's serializer and several of `BaseModel`'s methods
read `__dict__` directly; `Decision` calls `exercises_of` before each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["ExercisesOnRead", "PendingExercises", "exercises_of"]

_ABSENT = object()


class PendingExercises:
    """A decision's exercises not yet built as models; `made()` builds them once, the same dict for every caller.

    The dict is of `ExerciseDecision` (result.py imports this module, so it is not named here).
    """

    def made(self) -> dict[str, Any]:
        raise NotImplementedError


def exercises_of(decision: BaseModel) -> dict[str, Any]:
    """A decision's exercises as models, built into its `__dict__` first if they were records.

    Two threads reading at once get the same dict: `made()` keeps the first
    built, and both write that one into the `__dict__`.
    """
    values = decision.__dict__
    found: Any = values.get("exercises", _ABSENT)
    if isinstance(found, PendingExercises):
        found = values["exercises"] = found.made()
    elif found is _ABSENT:  # as pydantic says of a field that was never set (`model_construct`)
        raise AttributeError(f"{type(decision).__name__!r} object has no attribute 'exercises'")
    return found  # type: ignore[no-any-return]


class ExercisesOnRead:
    """The `exercises` attribute of `Decision`: its models, built on first read."""

    def __get__(self, decision: BaseModel | None, owner: type | None = None) -> dict[str, Any]:
        if decision is None:  # as for any pydantic field, the class has no such attribute
            raise AttributeError("exercises")
        return exercises_of(decision)

    def __set__(self, decision: BaseModel, value: object) -> None:
        # Only `object.__setattr__` reaches this: the model is frozen, pydantic refuses `setattr` before.
        decision.__dict__["exercises"] = value
