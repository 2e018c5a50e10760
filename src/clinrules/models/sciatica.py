"""The built-in `sciatica` patient model, version 1 (contracts.md section 6).

JSON field names are the contract. Every field may be absent or null, which
means unknown, except a session's `exercise` and `at`. Unknown is never read
as no: a red-flag answer that is null is not cleared. Extra fields are
refused so that a misspelt red flag cannot pass silently, and datetimes must
carry a UTC offset so that "within 24 hours" means the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from clinrules.models.ordinal import OrdinalEnum


class Extent(OrdinalEnum):
    """The furthest reach of leg symptoms, from none to the foot."""

    NONE = "none"
    BUTTOCK = "buttock"
    THIGH = "thigh"
    BELOW_KNEE = "below_knee"
    FOOT = "foot"


class Side(StrEnum):
    """Which leg has symptoms."""

    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class SlrResult(StrEnum):
    """Result of the straight-leg raise."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class Muscle(StrEnum):
    """Muscle groups an examination may find weak."""

    HIP_EXTENSION = "hip_extension"
    HIP_ABDUCTION = "hip_abduction"
    KNEE_EXTENSION = "knee_extension"
    DORSIFLEXION = "dorsiflexion"
    GREAT_TOE_EXTENSION = "great_toe_extension"
    PLANTARFLEXION = "plantarflexion"
    EVERSION = "eversion"


class Range(StrEnum):
    """How far a bridge was lifted."""

    ISOMETRIC = "isometric"
    PARTIAL = "partial"
    FULL = "full"


Pain = Annotated[int, Field(ge=0, le=10)]
"""A 0-10 numeric rating scale score."""

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Symptoms(BaseModel):
    """What the patient reports today."""

    model_config = _STRICT

    back_pain: Pain | None = None
    leg_pain: Pain | None = None
    radiating_pain: Extent | None = None
    side: Side | None = None
    bilateral: bool | None = None
    bilateral_new: bool | None = Field(
        default=None, description="both legs involved within the last 14 days, or getting worse"
    )
    numbness: bool | None = None
    night_pain: bool | None = None
    acute_flare: bool | None = None


class RedFlags(BaseModel):
    """Answers to the red-flag screen, and when it was taken."""

    model_config = _STRICT

    screened_at: AwareDatetime | None = None
    urinary_retention: bool | None = None
    difficulty_urinating: bool | None = None
    reduced_urinary_sensation: bool | None = None
    urinary_incontinence: bool | None = None
    faecal_incontinence: bool | None = None
    reduced_rectal_sensation: bool | None = None
    saddle_anaesthesia: bool | None = None
    bilateral_weakness: bool | None = None
    gait_disturbance: bool | None = None
    sexual_dysfunction: bool | None = None
    fever: bool | None = None
    iv_drug_use: bool | None = None
    immunosuppression: bool | None = None
    history_of_cancer: bool | None = None
    unexplained_weight_loss: bool | None = None
    recent_trauma: bool | None = None
    osteoporosis_or_steroids: bool | None = None
    weakness_worsening: bool | None = None
    foot_drop: bool | None = None


class Exam(BaseModel):
    """Findings of the last clinical examination."""

    model_config = _STRICT

    examined_at: AwareDatetime | None = None
    straight_leg_raise: SlrResult | None = None
    crossed_straight_leg_raise: bool | None = None
    weakness: list[Muscle] | None = None
    weakest_grade: int | None = Field(default=None, ge=0, le=5, description="lowest MRC grade found")


class Session(BaseModel):
    """One logged exercise session."""

    model_config = _STRICT

    exercise: str = Field(min_length=1)
    at: AwareDatetime
    pain_before: Pain | None = None
    pain_during: Pain | None = None
    pain_after: Pain | None = None
    next_morning_pain: Pain | None = None
    leg_pain_before: Pain | None = None
    leg_pain_during: Pain | None = None
    extent_before: Extent | None = None
    extent_during: Extent | None = None
    shooting_pain: bool | None = Field(
        default=None, description="burning, shooting or electric leg pain during the session"
    )
    new_numbness: bool | None = None
    completed: bool | None = None
    reps: int | None = Field(default=None, ge=0)
    holds: int | None = Field(default=None, ge=0)
    hold_seconds: float | None = Field(default=None, ge=0, json_schema_extra={"unit": "s"})
    range: Range | None = None
    form_ok: bool | None = None
    breath_held: bool | None = None
    glutes_felt: bool | None = None


class Patient(BaseModel):
    """A patient with sciatica: the state a ruleset with `model sciatica` reads."""

    model_config = _STRICT

    as_of: AwareDatetime | None = None
    age: int | None = Field(default=None, ge=0, le=120, json_schema_extra={"unit": "years"})
    pregnant: bool | None = None
    body_mass: float | None = Field(default=None, ge=0, json_schema_extra={"unit": "kg"})
    diagnosis_confirmed: bool | None = Field(default=None, description="sciatica confirmed by a clinician")
    new_episode: bool | None = Field(default=None, description="this episode began within the last 6 weeks")
    symptoms: Symptoms = Field(default_factory=Symptoms)
    red_flags: RedFlags = Field(default_factory=RedFlags)
    exam: Exam = Field(default_factory=Exam)
    sessions: list[Session] = Field(default_factory=list)

    @field_validator("symptoms", "red_flags", "exam", "sessions", mode="before")
    @classmethod
    def _null_means_empty(cls, value: Any, info: Any) -> Any:
        # A null group is a group whose every answer is unknown; no sessions is an empty log.
        if value is None:
            return [] if info.field_name == "sessions" else {}
        return value

    @model_validator(mode="after")
    def _one_session_per_exercise_and_time(self) -> Patient:
        seen: set[tuple[str, Any]] = set()
        for index, session in enumerate(self.sessions):
            key = (session.exercise, session.at)
            if key in seen:
                # "path: reason": clinrules reports it at that path (engine/wording.py, pydantic_problem).
                raise ValueError(
                    f"sessions[{index}]: a second session of '{session.exercise}' at {session.at.isoformat()}"
                )
            seen.add(key)
        return self


MODEL = Patient
"""The model the registry names `sciatica`."""
