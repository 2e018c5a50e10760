"""The Decision: what an evaluation answers, as pydantic models with the JSON of contracts.md section 4.

`model_dump(mode="json")` gives exactly the contract's JSON (the `trace` key
appears only when a trace was asked for); `explain()` gives the same as text
a clinician reads, ending with the decision-support disclaimer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, field_serializer, model_serializer

DISCLAIMER = (
    "clinrules is decision support for exercise safety, not a diagnosis. A red flag means "
    '"get assessed", not "you have this condition". Clinical judgement overrides it.'
)


class Triage(StrEnum):
    """The patient's triage: a red flag fired, one is unknown, or all clear."""

    URGENT = "urgent"
    CHECK = "check"
    CLEAR = "clear"


class Verdict(StrEnum):
    """An exercise's verdict, most restrictive first."""

    URGENT = "urgent"
    STOP = "stop"
    AVOID = "avoid"
    CHECK = "check"
    REGRESS = "regress"
    MODIFY = "modify"
    ALLOW = "allow"
    PROGRESS = "progress"


class Care(StrEnum):
    """How soon care is needed when a red flag fires."""

    EMERGENCY = "emergency"
    SAME_DAY = "same_day"
    WITHIN_DAYS = "within_days"


class RedFlagState(StrEnum):
    """What became of a red flag."""

    FIRED = "fired"
    CLEAR = "clear"
    UNKNOWN = "unknown"


_FROZEN = ConfigDict(frozen=True, extra="forbid")
_M = TypeVar("_M", bound=BaseModel)

DoseValue = int | float | str | list[int | float]


class RulesetInfo(BaseModel):
    """Which ruleset decided."""

    model_config = _FROZEN

    id: str
    version: str
    status: str
    sha256: str


class ExerciseDecision(BaseModel):
    """The advice for one exercise."""

    model_config = _FROZEN

    verdict: Verdict
    because: list[str]
    dose: dict[str, DoseValue] | None
    instead: list[str]
    progress_to: str | None
    regress_to: str | None
    say: list[str]
    notes: list[str]
    cite: list[str]


class Where(BaseModel):
    """A span in a rule file."""

    model_config = _FROZEN

    file: str
    line: int
    column: int
    end_line: int
    end_column: int


class TraceEntry(BaseModel):
    """How one red flag, or one rule for one exercise, came out, and why."""

    model_config = _FROZEN

    kind: str
    id: str
    exercise: str | None
    outcome: str
    values: dict[str, Any]
    missed: list[str]
    where: Where
    note: str | None = None


class Decision(BaseModel):
    """The decision for one patient. Decision support, not diagnosis."""

    model_config = _FROZEN

    ruleset: RulesetInfo
    as_of: dt.datetime
    triage: Triage
    care: Care | None
    red_flags: dict[str, RedFlagState]
    missing: list[str]
    exercises: dict[str, ExerciseDecision]
    trace: list[TraceEntry] | None = None

    @field_serializer("as_of")
    def _utc(self, value: dt.datetime) -> str:
        return format_time(value)

    @model_serializer(mode="wrap")
    def _without_empty_trace(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("trace") is None:
            data.pop("trace", None)
        return data

    def explain(self) -> str:
        """The decision as text a clinician reads, ending with the disclaimer."""
        from clinrules.explain import explain_text

        return explain_text(self)


def built(cls: type[_M], **values: Any) -> _M:
    """An instance made from values the evaluator produced, without validating them again.

    Faster than `model_construct` (the evaluator makes one per exercise per
    patient); the values are already of the declared types, which tests check
    by validating dumped decisions back.
    """
    instance = cls.__new__(cls)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def format_time(value: dt.datetime) -> str:
    """A time in UTC as `2026-11-21T08:00:00Z` (microseconds only when there are any)."""
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat() + "Z"
