"""Custom pydantic models for testing the checker beyond the `sciatica` model."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from clinrules import OrdinalEnum


class Level(OrdinalEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Sport(StrEnum):
    RUNNING = "running"
    ROWING = "rowing"


class Part(StrEnum):
    KNEE = "knee"
    ANKLE = "ankle"
    HIP = "hip"


class Vitals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heart_rate: int | None = Field(default=None, ge=30, le=250)
    last_check: AwareDatetime | None = None


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise: str
    at: AwareDatetime
    duration: float | None = Field(default=None, ge=0, json_schema_extra={"unit": "min"})
    effort: Level | None = None
    painful: bool | None = None


class Athlete(BaseModel):
    """A model with other names, units, a Literal, a nested group and a session log."""

    model_config = ConfigDict(extra="forbid")

    as_of: AwareDatetime | None = None
    weight: float | None = Field(default=None, ge=30, le=300, json_schema_extra={"unit": "kg"})
    injured: bool | None = None
    mood: Literal["good", "bad"] | None = None
    sport: Sport | None = None
    fatigue: Level | None = None
    injuries: list[Part] | None = None
    vitals: Vitals = Field(default_factory=Vitals)
    sessions: list[Run] = Field(default_factory=list)


class Left(BaseModel):
    rate: int | None = None


class Right(BaseModel):
    rate: int | None = None


class TwoRates(BaseModel):
    """Two fields share the leaf name `rate`, and there is no session log."""

    left: Left = Field(default_factory=Left)
    right: Right = Field(default_factory=Right)
    flag: bool | None = None


class Unusable(BaseModel):
    """A field no rule type can represent."""

    notes: dict[str, int] | None = None
    ok: bool | None = None


class HugeBound(BaseModel):
    """A bound no float can hold (flaw 5 of issue 12): refused with CR218, not a crash."""

    dose: int | None = Field(default=None, ge=0, le=10**5000)
    ok: bool | None = None


class Frailty(IntEnum):
    """An ordinal scale declared out of value order: rules rank it by value."""

    severe = 3
    fit = 1
    mild = 2


class Ward(BaseModel):
    """A date of birth, an IntEnum, and units outside the conversion table (language-2.md section 7)."""

    model_config = ConfigDict(extra="forbid")

    as_of: AwareDatetime | None = None
    birth_date: dt.date | None = None
    age: int | None = Field(default=None, ge=0, le=130, json_schema_extra={"unit": "years"})
    systolic_bp: int | None = Field(default=None, ge=0, le=300, json_schema_extra={"unit": "mmHg"})
    diastolic_bp: int | None = Field(default=None, ge=0, le=300, json_schema_extra={"unit": "mmHg"})
    respiratory_rate: int | None = Field(default=None, ge=0, le=90, json_schema_extra={"unit": "/min"})
    heart_rate: int | None = Field(default=None, ge=0, le=300, json_schema_extra={"unit": "bpm"})
    urea: float | None = Field(default=None, ge=0, le=100, json_schema_extra={"unit": "mmol/L"})
    confusion: bool | None = None
    frailty: Frailty | None = None
    admitted_on: dt.date | None = None


class Bother(OrdinalEnum):
    NOT_AT_ALL = "not_at_all"
    SLIGHTLY = "slightly"
    MODERATELY = "moderately"
    VERY_MUCH = "very_much"
    EXTREMELY = "extremely"


class Assessed(BaseModel):
    """The fields of the examples of language-2.md sections 5 and 6 (STarT Back, CURB-65, Ottawa).

    Units the conversion table does not know yet (mmol/L, /min, mmHg) are
    left off: the numbers are compared without a unit.
    """

    model_config = ConfigDict(extra="forbid")

    as_of: AwareDatetime | None = None
    age: int | None = Field(default=None, ge=0, le=120, json_schema_extra={"unit": "years"})
    leg_pain_spread: bool | None = None
    shoulder_or_neck_pain: bool | None = None
    walked_short_distances: bool | None = None
    dressed_slowly: bool | None = None
    not_safe_active: bool | None = None
    worrying_thoughts: bool | None = None
    back_pain_terrible: bool | None = None
    not_enjoyed: bool | None = None
    bothersome: Bother | None = None
    confusion: bool | None = None
    urea: float | None = Field(default=None, ge=0)
    respiratory_rate: int | None = Field(default=None, ge=0)
    systolic_bp: int | None = Field(default=None, ge=0)
    diastolic_bp: int | None = Field(default=None, ge=0)
    lateral_malleolus_tender: bool | None = None
    medial_malleolus_tender: bool | None = None
    steps_after_injury: bool | None = None
    steps_in_department: bool | None = None
    screened_at: AwareDatetime | None = None


MODELS: dict[str, type[BaseModel]] = {
    "assessed": Assessed,
    "ward": Ward,
    "athlete": Athlete,
    "two_rates": TwoRates,
    "unusable": Unusable,
    "huge_bound": HugeBound,
}
