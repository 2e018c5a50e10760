"""A patient model for a PAR-Q+ style screen before physical activity: a worked example of an own model.

Not clinical content and not the PAR-Q+ itself: nobody has reviewed it. The
seven yes/no questions paraphrase the general health questions of the
Physical Activity Readiness Questionnaire for Everyone (PAR-Q+); the resting
blood pressure and heart rate show a model's own units (mmHg, bpm). Every
field may be missing or null, which means unknown, and unknown is never read
as no.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _asked(question: str, by: str = "patient") -> dict[str, str]:
    return {"ask": question, "answered_by": by}


class GeneralHealth(BaseModel):
    """The seven general health questions: yes (true) or no (false)."""

    model_config = _STRICT

    heart_condition: bool | None = Field(
        default=None,
        json_schema_extra=_asked("Has a doctor ever said you have a heart condition or high blood pressure?"),
    )
    chest_pain: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Do you feel pain in your chest at rest, in your daily activities, or when you are physically active?"
        ),
    )
    dizziness: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "In the last 12 months, have you lost your balance because of dizziness, or lost consciousness?"
        ),
    )
    chronic_condition: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Has a doctor diagnosed another long-term condition (other than heart disease or high blood pressure)?"
        ),
    )
    chronic_medication: bool | None = Field(
        default=None,
        json_schema_extra=_asked("Do you take medicines a doctor prescribed for a long-term condition?"),
    )
    bone_or_joint_problem: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Do you have a bone, joint or soft-tissue problem that could get worse if you became more active?"
        ),
    )
    supervised_only: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Has a doctor said you should only be physically active under medical supervision?"
        ),
    )


class Resting(BaseModel):
    """Resting measurements, taken seated after five minutes of rest."""

    model_config = _STRICT

    systolic: int | None = Field(
        default=None,
        ge=50,
        le=300,
        json_schema_extra={
            "unit": "mmHg",
            **_asked("Resting blood pressure: the top number (systolic)", "device"),
        },
    )
    diastolic: int | None = Field(
        default=None,
        ge=20,
        le=200,
        json_schema_extra={
            "unit": "mmHg",
            **_asked("Resting blood pressure: the bottom number (diastolic)", "device"),
        },
    )
    heart_rate: int | None = Field(
        default=None,
        ge=20,
        le=250,
        json_schema_extra={"unit": "bpm", **_asked("Resting heart rate, in beats a minute", "device")},
    )


class Patient(BaseModel):
    """A person about to start physical activity."""

    model_config = _STRICT

    general: GeneralHealth = Field(default_factory=GeneralHealth)
    resting: Resting = Field(default_factory=Resting)
