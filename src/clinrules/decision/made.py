"""Decision, made: the decision's models built from values the evaluator produced, without validating them again.

The evaluator makes one `ExerciseDecision` per exercise per patient, so
building them is most of the cost of a decision beyond its rules: each is
made by setting pydantic's slots directly (a frozen model refuses
`setattr`), from values already of the declared types (tests validate dumped
decisions back). Whatever a decision works out once for all its exercises is
given to each as lists of its own: no list or dict is shared between
exercises or decisions, so a caller that changes one changes no other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from clinrules.decision.result import ExerciseDecision, Verdict

__all__ = ["alike_decisions", "built", "exercise_decision"]

_M = TypeVar("_M", bound=BaseModel)

_BASE_SLOTS = BaseModel.__dict__
_set_dict = _BASE_SLOTS["__dict__"].__set__
_set_fields_set = _BASE_SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _BASE_SLOTS["__pydantic_extra__"].__set__
_set_private = _BASE_SLOTS["__pydantic_private__"].__set__
_new = object.__new__
# In the model's order: pydantic writes a model's JSON in the order of its `__dict__`.
_EXERCISE_FIELDS = tuple(ExerciseDecision.model_fields)
_EXERCISE_KEYS = frozenset(_EXERCISE_FIELDS)


def built(cls: type[_M], **values: Any) -> _M:
    """An instance made from values the evaluator produced, without validating them again.

    Faster than `model_construct` (the evaluator makes one per exercise per
    patient); the values are already of the declared types, which tests check
    by validating dumped decisions back. The slots are set through their
    descriptors: a frozen model refuses `setattr`.
    """
    instance = _new(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, set(values))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def exercise_decision(
    verdict: Verdict,
    because: list[str],
    dose: dict[str, Any] | None = None,
    instead: list[str] | None = None,
    progress_to: str | None = None,
    regress_to: str | None = None,
    say: list[str] | None = None,
    notes: list[str] | None = None,
    cite: list[str] | None = None,
    recheck_at: dt.datetime | None = None,
) -> ExerciseDecision:
    """An exercise decision made from values the evaluator produced (`built`), empty lists for those not given.

    Every list is the caller's own (none is shared with another exercise or
    decision): a caller may change one decision without changing another.
    """
    instance = _new(ExerciseDecision)
    _set_dict(
        instance,
        {
            "verdict": verdict,
            "because": because,
            "dose": dose,
            "instead": instead or [],
            "progress_to": progress_to,
            "regress_to": regress_to,
            "say": say or [],
            "notes": notes or [],
            "cite": cite or [],
            "recheck_at": recheck_at,
        },
    )
    _set_fields_set(instance, set(_EXERCISE_KEYS))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def alike_decisions(
    exercises: Iterable[str],
    verdict: Verdict,
    because: list[str],
    say: list[str],
    notes: list[str],
    cite: list[str],
) -> dict[str, ExerciseDecision]:
    """The same advice for every exercise (a red flag fired), each with lists of its own (`exercise_decision`)."""
    # The atoms once; every list copied for each exercise (its own, to change as the caller likes).
    shape: dict[str, Any] = dict.fromkeys(_EXERCISE_FIELDS)
    shape["verdict"] = verdict
    out: dict[str, ExerciseDecision] = {}
    keys, new, set_dict, set_fields_set, set_extra, set_private = (
        _EXERCISE_KEYS,
        _new,
        _set_dict,
        _set_fields_set,
        _set_extra,
        _set_private,
    )
    for ex in exercises:
        values = shape.copy()
        values["because"] = because[:]
        values["instead"] = []
        values["say"] = say[:]
        values["notes"] = notes[:]
        values["cite"] = cite[:]
        instance = new(ExerciseDecision)
        set_dict(instance, values)
        set_fields_set(instance, set(keys))
        set_extra(instance, None)
        set_private(instance, None)
        out[ex] = instance
    return out


def with_recheck(decision: ExerciseDecision, when: dt.datetime | None) -> ExerciseDecision:
    """The exercise decision with its own `recheck_at` (the same one when `when` is None)."""
    if when is None:
        return decision
    return built(ExerciseDecision, **{**decision.__dict__, "recheck_at": when})
