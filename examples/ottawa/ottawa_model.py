"""A patient model for the Ottawa ankle rules: a worked example of an own model (docs/models.md).

Not clinical content: nobody has reviewed it. The fields are the findings
the rules ask for (Stiell et al., JAMA 1993 and 1994); every field may be
missing or null, which means unknown, and unknown is never read as no.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="forbid", frozen=True)


def _examined(question: str) -> dict[str, str]:
    """A finding of the examination: the clinician's question, in the words of the rules."""
    return {"ask": "Examination: " + question[0].lower() + question[1:], "answered_by": "clinician"}


class Pain(BaseModel):
    """Where the patient has pain."""

    model_config = _STRICT

    malleolar_zone: bool | None = Field(
        default=None,
        description="any pain in the malleolar zone",
        json_schema_extra={"ask": "Do you have pain around the ankle bones?", "answered_by": "patient"},
    )
    midfoot_zone: bool | None = Field(
        default=None,
        description="any pain in the midfoot zone",
        json_schema_extra={"ask": "Do you have pain in the middle of your foot?", "answered_by": "patient"},
    )


class WeightBearing(BaseModel):
    """Whether the patient could take four steps (two on each foot, limping allowed)."""

    model_config = _STRICT

    immediately: bool | None = Field(
        default=None,
        description="could take four steps right after the injury",
        json_schema_extra={
            "ask": "Right after the injury, could you take four steps, even limping?",
            "answered_by": "patient",
        },
    )
    in_department: bool | None = Field(
        default=None,
        description="could take four steps when examined in the emergency department",
        json_schema_extra={
            "ask": "When examined in the emergency department, could the patient take four steps, even limping?",
            "answered_by": "clinician",
        },
    )


class BoneTenderness(BaseModel):
    """Bone tenderness found on examination."""

    model_config = _STRICT

    lateral_malleolus: bool | None = Field(
        default=None,
        description="at the posterior edge or tip of the lateral malleolus (distal 6 cm)",
        json_schema_extra=_examined(
            "Is the posterior edge or tip of the lateral malleolus (distal 6 cm) tender?"
        ),
    )
    medial_malleolus: bool | None = Field(
        default=None,
        description="at the posterior edge or tip of the medial malleolus (distal 6 cm)",
        json_schema_extra=_examined(
            "Is the posterior edge or tip of the medial malleolus (distal 6 cm) tender?"
        ),
    )
    fifth_metatarsal: bool | None = Field(
        default=None,
        description="at the base of the fifth metatarsal",
        json_schema_extra=_examined("Is the base of the fifth metatarsal tender?"),
    )
    navicular: bool | None = Field(
        default=None,
        description="at the navicular bone",
        json_schema_extra=_examined("Is the navicular bone tender?"),
    )


class Patient(BaseModel):
    """A patient with an acute ankle injury, as the Ottawa ankle rules examine one."""

    model_config = _STRICT

    age: int | None = Field(
        default=None,
        ge=0,
        le=120,
        json_schema_extra={"unit": "years", "ask": "How old are you, in years?", "answered_by": "patient"},
    )
    pain: Pain = Field(default_factory=Pain)
    weight_bearing: WeightBearing = Field(default_factory=WeightBearing)
    bone_tenderness: BoneTenderness = Field(default_factory=BoneTenderness)
