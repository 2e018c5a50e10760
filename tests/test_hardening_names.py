"""Issue 12, flaw 6: names Python rewrites.

Python reads every identifier in its source in NFKC form, so generated code
that wrote a model's attribute `\uff53addle_numbness` (a full-width s)
would read `saddle_numbness` instead: another field, a property, or nothing. The
compiler reads such attributes by their exact name, and a model with two
fields that are one name to Python is refused.
"""

from __future__ import annotations

import pytest
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

import clinrules
from clinrules.base.vocabulary import RedFlagState
from clinrules.schema.reader import SchemaError, schema_of

FULL_WIDTH = "\uff53addle_numbness"  # NFKC makes it 'saddle_numbness'
AS_OF = "2026-11-21T08:00:00Z"
RULES = """ruleset names version 1.0.0 status draft model m
exercise walking "Walking"
red flag cauda "Saddle numbness": urgent if numb_saddle
rule sore for walking: avoid if exam.sore
otherwise allow
"""


class _Decoy(BaseModel):
    """A model whose NFKC twin of the field is a property that always says no."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def saddle_numbness(self) -> bool:
        return False


def _exam() -> type[BaseModel]:
    return create_model(
        "Exam",
        __config__=ConfigDict(extra="forbid"),
        **{"\uff53ore": (bool | None, Field(default=None, alias="sore"))},  # type: ignore[call-overload]
    )


def _model() -> type[BaseModel]:
    return create_model(
        "Numb",
        __base__=_Decoy,
        as_of=(AwareDatetime | None, None),
        exam=(_exam(), Field(default_factory=dict)),
        **{FULL_WIDTH: (bool | None, Field(default=None, alias="numb_saddle"))},  # type: ignore[call-overload]
    )


def test_flaw6_a_fullwidth_field_name_reads_its_own_field() -> None:
    assert FULL_WIDTH.isidentifier()
    assert FULL_WIDTH != "saddle_numbness"
    rs = clinrules.compile(RULES, model=_model(), allow_draft=True)
    fired = rs.evaluate({"numb_saddle": True, "exam": {"sore": False}}, as_of=AS_OF)
    assert fired.triage is clinrules.Triage.URGENT  # read as the decoy, it would be cleared
    assert fired.red_flags["cauda"] is RedFlagState.FIRED
    for state, outcome in ((False, RedFlagState.CLEAR), (None, RedFlagState.UNKNOWN)):
        decision = rs.evaluate({"numb_saddle": state, "exam": {"sore": False}}, as_of=AS_OF)
        assert decision.red_flags["cauda"] is outcome
    avoided = rs.evaluate({"numb_saddle": False, "exam": {"sore": True}}, as_of=AS_OF)
    assert avoided.exercises["walking"].verdict is clinrules.Verdict.AVOID  # a nested group's field too
    explained = rs.evaluate({"numb_saddle": True, "exam": {"sore": True}}, as_of=AS_OF, explain=True)
    assert explained.triage is clinrules.Triage.URGENT
    source = rs._evaluator.compiled.source
    assert "\uff53" not in source  # the exact names are constants, not identifiers in the source
    assert "getattr(" in source


def test_flaw6_plain_names_stay_plain_attribute_reads() -> None:
    rs = clinrules.compile(
        "ruleset r version 1.0.0 status draft model sciatica\n"
        'exercise walking "Walking"\n'
        "rule a for walking: stop if acute_flare\n"
        "otherwise allow\n",
        allow_draft=True,
    )
    source = rs._evaluator.compiled.source
    assert "p.symptoms" in source
    assert "getattr(" not in source


def _clashing() -> type[BaseModel]:
    return create_model(
        "Clash",
        saddle_numbness=(bool | None, None),
        **{FULL_WIDTH: (bool | None, Field(default=None, alias="numb_saddle"))},  # type: ignore[call-overload]
    )


def test_flaw6_two_fields_one_name_to_python_are_refused() -> None:
    with pytest.raises(SchemaError) as error:
        schema_of(_clashing())
    assert any(FULL_WIDTH in problem and "saddle_numbness" in problem for problem in error.value.problems)
    with pytest.raises(clinrules.RulesetError) as refused:
        clinrules.compile(RULES.replace("exam.sore", "saddle_numbness"), model=_clashing(), allow_draft=True)
    assert [d.code for d in refused.value.diagnostics] == ["CR217"]
    aliased = create_model(  # rule names (aliases) that are one name once normalised are refused too
        "Aliased",
        a=(bool | None, Field(default=None, alias="numb")),
        b=(bool | None, Field(default=None, alias="\uff4eumb")),
    )
    with pytest.raises(SchemaError):
        schema_of(aliased)
