"""The words every stage shares: triage, verdicts, care, red-flag states, the disclaimer.

They live at the bottom of the package so that the checker, the engine and
the decision can all name them without importing one another: the IR and the
Decision speak the same `Verdict` and `Care`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DISCLAIMER", "Care", "RedFlagState", "Triage", "Verdict"]

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
