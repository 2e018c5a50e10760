"""A patient model for the STarT Back Screening Tool: the answers to its nine questions.

Not clinical content: nobody has reviewed it. The nine items, with their
questions, are the `startback` group that the `sciatica` model version 2
holds too (`clinrules.models.startback`), so that this example's library and
the shipped ruleset's `startback.rules` read the same fields. Each answer may
be missing or null, which means unknown, and unknown is never read as no.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from clinrules.models.startback import StartBack


class Patient(BaseModel):
    """A patient with low back pain, as the STarT Back tool screens one: only its answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    startback: StartBack = Field(default_factory=StartBack)
