"""The `startback` group of the `sciatica` model version 2: the nine STarT Back questions.

The items and their order are those of the published tool (Hill et al.,
Arthritis & Rheumatism 2008), with the field names of clinical policy
section 10 (and of `examples/startback/startback_model.py`). Each answer may
be missing or null, which means unknown; unknown is never read as no.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from clinrules.models.ordinal import OrdinalEnum

_STRICT = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _asked(question: str) -> dict[str, JsonValue]:
    return {"ask": question, "answered_by": "patient"}


class Bothersome(OrdinalEnum):
    """Item 9: how bothersome the back pain has been in the last two weeks, least first."""

    NOT_AT_ALL = "not_at_all"
    SLIGHTLY = "slightly"
    MODERATELY = "moderately"
    VERY_MUCH = "very_much"
    EXTREMELY = "extremely"


class StartBack(BaseModel):
    """The nine STarT Back items, in the tool's order: agree (true) or disagree (false), then item 9."""

    model_config = _STRICT

    leg_pain_spread: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Has your back pain spread down your leg(s) at some time in the last 2 weeks?"
        ),
    )
    shoulder_or_neck_pain: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Have you had pain in the shoulder or neck at some time in the last 2 weeks?"
        ),
    )
    walked_short_distances_only: bool | None = Field(
        default=None,
        json_schema_extra=_asked("Have you only walked short distances because of your back pain?"),
    )
    dressed_slowly: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "In the last 2 weeks, have you dressed more slowly than usual because of back pain?"
        ),
    )
    not_safe_to_be_active: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Do you think it is not really safe for a person with a condition like yours to be physically active?"
        ),
    )
    worrying_thoughts: bool | None = Field(
        default=None,
        json_schema_extra=_asked("Have worrying thoughts been going through your mind a lot of the time?"),
    )
    terrible_never_better: bool | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Do you feel that your back pain is terrible and it is never going to get any better?"
        ),
    )
    not_enjoyed_things: bool | None = Field(
        default=None,
        json_schema_extra=_asked("In general, have you not enjoyed all the things you used to enjoy?"),
    )
    bothersome: Bothersome | None = Field(
        default=None,
        json_schema_extra=_asked(
            "Overall, how bothersome has your back pain been in the last 2 weeks: not at all, slightly, "
            "moderately, very much or extremely?"
        ),
    )
