"""The built-in `sciatica` patient model, version 2 (clinical policy section 10).

Version 2 adds fields to version 1 (contracts.md section 6) and removes none,
so a version 1 document still validates; two fields keep their type with a
sharper meaning (`red_flags.recent_trauma`, `red_flags.gait_disturbance`).

JSON field names are the contract. Every field may be absent or null, which
means unknown, except a session's `exercise` and `at`. Unknown is never read
as no: a red-flag answer that is null is not cleared. Extra fields are
refused so that a misspelt red flag cannot pass silently, and datetimes must
carry a UTC offset so that "within 24 hours" means the same everywhere.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from clinrules.models.ordinal import OrdinalEnum
from clinrules.models.startback import StartBack
from clinrules.models.validated import Validated, apart_in_time, keeps_values

MODEL_VERSION = 2
"""The version of the model; `clinrules schema patient` shows it as `version`."""


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


class CesItem(StrEnum):
    """The cauda equina screen items a clinician may record as longstanding and unchanged."""

    DIFFICULTY_URINATING = "difficulty_urinating"
    REDUCED_URINARY_SENSATION = "reduced_urinary_sensation"
    URINARY_INCONTINENCE = "urinary_incontinence"
    FAECAL_INCONTINENCE = "faecal_incontinence"
    REDUCED_RECTAL_SENSATION = "reduced_rectal_sensation"
    SADDLE_ANAESTHESIA = "saddle_anaesthesia"
    SEXUAL_DYSFUNCTION = "sexual_dysfunction"


class Range(StrEnum):
    """How far a bridge was lifted."""

    ISOMETRIC = "isometric"
    PARTIAL = "partial"
    FULL = "full"


def _ask(question: str, answered_by: str = "patient", unit: str | None = None) -> dict[str, JsonValue]:
    """A field's question and who answers it (language-2.md section 4), and its unit if it has one."""
    extra: dict[str, JsonValue] = {"ask": question, "answered_by": answered_by}
    if unit is not None:
        extra["unit"] = unit
    return extra


Pain = Annotated[int, Field(ge=0, le=10)]
"""A 0-10 numeric rating scale score."""

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Symptoms(BaseModel):
    """What the patient reports today."""

    model_config = _STRICT

    back_pain: Pain | None = Field(
        default=None,
        json_schema_extra=_ask(
            "How bad is your back pain right now, from 0 (none) to 10 (the worst you can imagine)?"
        ),
    )
    leg_pain: Pain | None = Field(
        default=None,
        json_schema_extra=_ask(
            "How bad is your leg pain right now, from 0 (none) to 10 (the worst you can imagine)?"
        ),
    )
    radiating_pain: Extent | None = Field(
        default=None,
        json_schema_extra=_ask(
            "How far down your leg does the pain or tingling reach: not at all, your buttock, your thigh, below your knee, or into your foot?"
        ),
    )
    side: Side | None = Field(
        default=None, json_schema_extra=_ask("Which leg is affected: left, right or both?")
    )
    bilateral: bool | None = Field(
        default=None, json_schema_extra=_ask("Do you have pain, tingling or numbness in both legs?")
    )
    bilateral_new: bool | None = Field(
        default=None,
        description="both legs involved within the last 14 days, or getting worse",
        json_schema_extra=_ask(
            "Have both legs become affected in the last 14 days, or is it getting worse in both legs?"
        ),
    )
    numbness: bool | None = Field(
        default=None, json_schema_extra=_ask("Do you have numbness in your leg or foot?")
    )
    night_pain: bool | None = Field(
        default=None, json_schema_extra=_ask("Is the pain bad at night, even when you lie still?")
    )
    acute_flare: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Are you in a flare-up right now, much worse than usual over the last day or two?"
        ),
    )
    reported_at: AwareDatetime | None = Field(
        default=None,
        description="when today's symptoms were reported",
        json_schema_extra=_ask("When were today's symptoms reported?", "device"),
    )
    not_improving: bool | None = Field(
        default=None,
        description="no better after four weeks of treatment",
        json_schema_extra=_ask("After four weeks of treatment, is your back or leg no better?"),
    )


class RedFlags(BaseModel):
    """Answers to the red-flag screen, and when it was taken."""

    model_config = _STRICT

    screened_at: AwareDatetime | None = Field(
        default=None, json_schema_extra=_ask("When were the safety questions last answered?", "device")
    )
    urinary_retention: bool | None = Field(
        default=None,
        json_schema_extra=_ask("Are you unable to pass urine even though your bladder feels full?"),
    )
    difficulty_urinating: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Since this started, have you had new trouble starting to pass urine, or a weak flow?"
        ),
    )
    reduced_urinary_sensation: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Since this started, have you found it harder to feel when your bladder is full, or to feel urine passing?"
        ),
    )
    urinary_incontinence: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Have you lost control of your bladder, or leaked urine without meaning to, since this started?"
        ),
    )
    faecal_incontinence: bool | None = Field(
        default=None, json_schema_extra=_ask("Have you lost control of your bowels since this started?")
    )
    reduced_rectal_sensation: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Since this started, have you found it harder to feel when you need to open your bowels, or to feel it happening?"
        ),
    )
    saddle_anaesthesia: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Do you have numbness or pins and needles around your bottom, genitals or inner thighs?"
        ),
    )
    bilateral_weakness: bool | None = Field(
        default=None, json_schema_extra=_ask("Do both of your legs feel weak?")
    )
    gait_disturbance: bool | None = Field(
        default=None,
        description="new difficulty walking because the legs do not work properly (not limping from pain)",
        json_schema_extra=_ask(
            "Have you had new trouble walking because your legs do not work properly, not just limping from pain?"
        ),
    )
    sexual_dysfunction: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Since this started, have you had new problems with sex, such as numbness or trouble getting an erection?"
        ),
    )
    fever: bool | None = Field(
        default=None, json_schema_extra=_ask("Do you have a fever, or feel hot and shivery?")
    )
    iv_drug_use: bool | None = Field(
        default=None, json_schema_extra=_ask("Do you inject drugs, or have you done so recently?")
    )
    immunosuppression: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Do you have a weakened immune system, for example from chemotherapy, long-term steroid tablets or HIV?"
        ),
    )
    history_of_cancer: bool | None = Field(default=None, json_schema_extra=_ask("Have you ever had cancer?"))
    unexplained_weight_loss: bool | None = Field(
        default=None, json_schema_extra=_ask("Have you lost weight recently without trying to?")
    )
    recent_trauma: bool | None = Field(
        default=None,
        description="any fall or injury in the last 6 weeks",
        json_schema_extra=_ask("Have you had any fall or injury in the last 6 weeks?"),
    )
    major_trauma: bool | None = Field(
        default=None,
        description="a major injury (road accident, fall from height) in the last 6 weeks",
        json_schema_extra=_ask(
            "In the last 6 weeks, have you had a major injury, such as a road accident or a fall from a height?"
        ),
    )
    osteoporosis_or_steroids: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Do you have thin bones (osteoporosis), or have you taken steroid tablets for a long time?"
        ),
    )
    weakness_worsening: bool | None = Field(
        default=None, json_schema_extra=_ask("Is the weakness in your leg or foot getting worse?")
    )
    foot_drop: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Does your foot drop or slap when you walk, or do your toes catch on the ground?"
        ),
    )
    longstanding: list[CesItem] | None = Field(
        default=None,
        description="bladder, bowel, saddle or sexual symptoms a clinician recorded as longstanding and unchanged",
        json_schema_extra=_ask(
            "Which bladder, bowel, saddle or sexual symptoms have you recorded as longstanding and unchanged?",
            "clinician",
        ),
    )
    longstanding_reviewed_at: AwareDatetime | None = Field(
        default=None,
        json_schema_extra=_ask("When did you record those longstanding symptoms?", "clinician"),
    )
    ces_worse: bool | None = Field(
        default=None,
        description="any bladder, bowel, saddle or sexual symptom new or worse in the last 14 days",
        json_schema_extra=_ask(
            "In the last 14 days, has any bladder, bowel, bottom-numbness or sexual problem started or got worse?"
        ),
    )
    cancer_history_reviewed_at: AwareDatetime | None = Field(
        default=None,
        json_schema_extra=_ask("When did you last review the cancer history for this episode?", "clinician"),
    )


class Exam(BaseModel):
    """Findings of the last clinical examination."""

    model_config = _STRICT

    examined_at: AwareDatetime | None = Field(
        default=None, json_schema_extra=_ask("Examination: when was it done?", "clinician")
    )
    straight_leg_raise: SlrResult | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Straight-leg raise: does raising the straight leg reproduce leg pain below the knee?",
            "clinician",
        ),
    )
    crossed_straight_leg_raise: bool | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Crossed straight-leg raise: does raising the other leg reproduce pain in the affected leg?",
            "clinician",
        ),
    )
    weakness: list[Muscle] | None = Field(
        default=None, json_schema_extra=_ask("Muscle testing: which muscle groups are weak?", "clinician")
    )
    weakest_grade: int | None = Field(
        default=None,
        ge=0,
        le=5,
        description="lowest MRC grade found",
        json_schema_extra=_ask(
            "Muscle testing: what is the lowest MRC grade found, from 0 to 5?", "clinician"
        ),
    )
    progression_cleared: bool | None = Field(
        default=None,
        description="the examining clinician allows progression despite stable weakness",
        json_schema_extra=_ask(
            "Do you allow this patient to move up the exercise levels despite the stable weakness?",
            "clinician",
        ),
    )


class Session(BaseModel):
    """One logged exercise session."""

    model_config = _STRICT

    exercise: str = Field(min_length=1, json_schema_extra=_ask("Which exercise was this session?", "device"))
    at: AwareDatetime = Field(json_schema_extra=_ask("When was this session?", "device"))
    pain_before: Pain | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Just before you started, how much did your back hurt, from 0 (none) to 10 (the worst you can imagine)?"
        ),
    )
    pain_during: Pain | None = Field(
        default=None, json_schema_extra=_ask("How much did your back hurt during the exercise, from 0 to 10?")
    )
    pain_after: Pain | None = Field(
        default=None,
        json_schema_extra=_ask("How much did your back hurt just after the exercise, from 0 to 10?"),
    )
    next_morning_pain: Pain | None = Field(
        default=None, json_schema_extra=_ask("How much did your back hurt the next morning, from 0 to 10?")
    )
    leg_pain_before: Pain | None = Field(
        default=None,
        json_schema_extra=_ask("Just before you started, how bad was your leg pain, from 0 to 10?"),
    )
    leg_pain_during: Pain | None = Field(
        default=None, json_schema_extra=_ask("How bad was your leg pain during the exercise, from 0 to 10?")
    )
    extent_before: Extent | None = Field(
        default=None,
        json_schema_extra=_ask(
            "Just before you started, how far down your leg did your symptoms reach: not at all, your buttock, your thigh, below your knee, or your foot?"
        ),
    )
    extent_during: Extent | None = Field(
        default=None,
        json_schema_extra=_ask(
            "During the exercise, how far down your leg did your symptoms reach: not at all, your buttock, your thigh, below your knee, or your foot?"
        ),
    )
    shooting_pain: bool | None = Field(
        default=None,
        description="burning, shooting or electric leg pain during the session",
        json_schema_extra=_ask(
            "Did you feel burning, shooting or electric pain in your leg during the exercise?"
        ),
    )
    new_numbness: bool | None = Field(
        default=None,
        json_schema_extra=_ask("Did you get new numbness or pins and needles during the exercise?"),
    )
    completed: bool | None = Field(default=None, json_schema_extra=_ask("Did you finish the whole session?"))
    reps: int | None = Field(
        default=None, ge=0, json_schema_extra=_ask("How many times did you repeat the movement?")
    )
    holds: int | None = Field(default=None, ge=0, json_schema_extra=_ask("How many holds did you do?"))
    hold_seconds: float | None = Field(
        default=None, ge=0, json_schema_extra=_ask("How many seconds did you hold each one?", unit="s")
    )
    range: Range | None = Field(
        default=None,
        json_schema_extra=_ask("How far did you lift: holding still, part of the way, or all the way?"),
    )
    load: float | None = Field(
        default=None,
        ge=0,
        description="load lifted, as a percentage of body weight",
        json_schema_extra=_ask(
            "How heavy was the weight you lifted, as a percentage of your body weight?", unit="%"
        ),
    )
    form_ok: bool | None = Field(
        default=None, json_schema_extra=_ask("Did you keep good form throughout, with your back steady?")
    )
    breath_held: bool | None = Field(
        default=None, json_schema_extra=_ask("Did you hold your breath while doing it?")
    )
    glutes_felt: bool | None = Field(
        default=None, json_schema_extra=_ask("Did you feel your buttock muscles doing the work?")
    )


class Patient(Validated):
    """A patient with sciatica: the state a ruleset with `model sciatica` reads (model version 2)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True, json_schema_extra={"version": MODEL_VERSION}
    )

    as_of: AwareDatetime | None = Field(
        default=None, json_schema_extra=_ask("When were these answers given?", "device")
    )
    age: int | None = Field(
        default=None, ge=0, le=120, json_schema_extra=_ask("How old are you, in years?", unit="years")
    )
    pregnant: bool | None = Field(default=None, json_schema_extra=_ask("Are you pregnant?"))
    body_mass: float | None = Field(
        default=None, ge=0, json_schema_extra=_ask("How much do you weigh, in kilograms?", unit="kg")
    )
    diagnosis_confirmed: bool | None = Field(
        default=None,
        description="sciatica confirmed by a clinician",
        json_schema_extra=_ask("Has a doctor or physiotherapist told you that this is sciatica?"),
    )
    new_episode: bool | None = Field(
        default=None,
        description="this episode began within the last 6 weeks",
        json_schema_extra=_ask("Did this episode of back or leg pain start within the last 6 weeks?"),
    )
    symptoms: Symptoms = Field(default_factory=Symptoms)
    red_flags: RedFlags = Field(default_factory=RedFlags)
    exam: Exam = Field(default_factory=Exam)
    sessions: list[Session] = Field(default_factory=list)
    startback: StartBack = Field(default_factory=StartBack)

    @field_validator("symptoms", "red_flags", "exam", "sessions", "startback", mode="before")
    @classmethod
    @keeps_values
    def _null_means_empty(cls, value: Any, info: Any) -> Any:
        # A null group is a group whose every answer is unknown; no sessions is an empty log.
        if value is None:
            return [] if info.field_name == "sessions" else {}
        return value

    @model_validator(mode="after")
    def _one_session_per_exercise_and_time(self) -> Patient:
        if apart_in_time(self.sessions):
            return self
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
