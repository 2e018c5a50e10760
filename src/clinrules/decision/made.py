"""Decision, made: the decision's models built from values the evaluator produced, without validating them again.

Building one `ExerciseDecision` per exercise per patient would cost more
than the rules themselves, so a decision is made holding its exercises as
records (`Records`: one plain tuple per exercise, or one set of words for
all of them when a red flag fired) and builds the models on first read of
`decision.exercises`, or before any serialization (`result.Decision`).
Each model is made by setting pydantic's slots directly (a frozen model
refuses `setattr`), from values already of the declared types (tests
validate dumped decisions back). A record may share its lists with another
record; the models never do: every list is copied into each exercise's
own, so a caller that changes one exercise or decision changes no other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel

from clinrules.decision.pending import PendingExercises
from clinrules.decision.result import ExerciseDecision, Verdict

__all__ = [
    "DEFAULT_DOSE",
    "NONE",
    "OTHERWISE",
    "DefaultDose",
    "ExerciseRecord",
    "Records",
    "built",
    "urgent_record",
]

_M = TypeVar("_M", bound=BaseModel)

_BASE_SLOTS = BaseModel.__dict__
_set_dict = _BASE_SLOTS["__dict__"].__set__
_set_fields_set = _BASE_SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _BASE_SLOTS["__pydantic_extra__"].__set__
_set_private = _BASE_SLOTS["__pydantic_private__"].__set__
_new = object.__new__
_EXERCISE_KEYS = frozenset(ExerciseDecision.model_fields)


class DefaultDose:
    """The dose slot of a record whose exercise has its own dose (built, a new dict, with the model)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFAULT_DOSE"


DEFAULT_DOSE = DefaultDose()

ExerciseRecord = tuple[
    Verdict,  # verdict
    Sequence[str],  # because
    "dict[str, Any] | DefaultDose | None",  # dose
    Sequence[str],  # instead
    "str | None",  # progress_to
    "str | None",  # regress_to
    Sequence[str],  # say
    Sequence[str],  # notes
    Sequence[str],  # cite
]
"""One exercise's decision as the combination works it out: the fields of `ExerciseDecision` in its
order, without `recheck_at` (the `Records`' own). Its sequences may be shared with other records."""


NONE: tuple[str, ...] = ()

OTHERWISE: Mapping[str, ExerciseRecord] = MappingProxyType(
    {
        v.value: (v, NONE, DEFAULT_DOSE if v is Verdict.ALLOW else None, NONE, None, None, NONE, NONE, NONE)
        for v in Verdict
    }
)
"""The record of an exercise `otherwise` decides, by verdict: the same for every such exercise."""


def urgent_record(
    fired: Sequence[str], say: Sequence[str], notes: Sequence[str], cite: Sequence[str]
) -> ExerciseRecord:
    """The record of every exercise when red flags fired: tuples, since the decision's own `say` is a list a caller may change."""
    return (Verdict.URGENT, tuple(fired), None, NONE, None, None, tuple(say), tuple(notes), tuple(cite))


def built(cls: type[_M], **values: Any) -> _M:
    """An instance made from values the evaluator produced, without validating them again.

    Faster than `model_construct`; the values are already of the declared
    types, which tests check by validating dumped decisions back. The slots
    are set through their descriptors: a frozen model refuses `setattr`.
    """
    instance = _new(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, set(values))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


class Records(PendingExercises):
    """A decision's exercises before they are models: `made()` builds them, the same dict for every caller.

    Either `records` (exercise -> its record, in the order reported) or, when a
    red flag fired, `alike`: the verdict, reasons and words every wanted
    exercise shares, kept once. `default_dose(ex)` makes an exercise's own dose.
    `recheck_at`: each exercise's, or None when none was worked out.
    """

    def __init__(
        self,
        wanted: tuple[str, ...],
        records: Mapping[str, ExerciseRecord] | None,
        alike: ExerciseRecord | None,
        default_dose: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self.wanted = wanted
        self.records = records
        self.alike = alike
        self.default_dose = default_dose
        self.recheck_at: Mapping[str, dt.datetime | None] | None = None

    def verdicts(self) -> dict[str, str]:
        """Each wanted exercise's verdict, by id."""
        if self.records is None:
            assert self.alike is not None
            return dict.fromkeys(self.wanted, self.alike[0].value)
        return {ex: record[0].value for ex, record in self.records.items()}

    def made(self) -> dict[str, ExerciseDecision]:
        # Two threads may build at once: `setdefault` (atomic) keeps the first, which both then return.
        found: dict[str, ExerciseDecision] | None = self.__dict__.get("_made")
        if found is None:
            found = self.__dict__.setdefault("_made", self._build())
        return found

    def _build(self) -> dict[str, ExerciseDecision]:
        recheck_at = self.recheck_at or {}
        default_dose = self.default_dose
        new, set_dict, set_fields_set, set_extra, set_private, keys = (
            _new,
            _set_dict,
            _set_fields_set,
            _set_extra,
            _set_private,
            _EXERCISE_KEYS,
        )
        records = self.records if self.records is not None else dict.fromkeys(self.wanted, self.alike)
        out: dict[str, ExerciseDecision] = {}
        for ex, record in records.items():
            assert record is not None
            verdict, because, dose, instead, progress_to, regress_to, say, notes, cite = record
            instance = new(ExerciseDecision)
            # In the model's order: pydantic writes a model's JSON in the order of its `__dict__`.
            set_dict(
                instance,
                {
                    "verdict": verdict,
                    "because": [*because],
                    "dose": None
                    if dose is None
                    else default_dose(ex)
                    if dose is DEFAULT_DOSE
                    else _own_dose(dose),
                    "instead": [*instead],
                    "progress_to": progress_to,
                    "regress_to": regress_to,
                    "say": [*say],
                    "notes": [*notes],
                    "cite": [*cite],
                    "recheck_at": recheck_at.get(ex),
                },
            )
            set_fields_set(instance, set(keys))
            set_extra(instance, None)
            set_private(instance, None)
            out[ex] = instance
        return out


def _own_dose(dose: dict[str, Any] | DefaultDose | None) -> dict[str, Any] | None:
    """A merged dose, copied (its ranges too): a record may be built twice by racing threads."""
    if not isinstance(dose, dict):
        return None
    return {k: [*v] if type(v) is list else v for k, v in dose.items()}
