"""The schema read from pydantic models: types, bounds, units, sessions, refusals."""

from __future__ import annotations

import datetime as dt
from enum import Enum, IntEnum
from typing import Annotated, Literal, Optional

import pytest
from pydantic import AwareDatetime, BaseModel, Field

import clinrules
from clinrules.models.sciatica import Patient
from clinrules.schema import types as t
from clinrules.schema.reader import SchemaError, schema_of
from clinrules.schema.units import DAY, HOUR, KILOGRAM, MONTH, SECOND, YEAR, own_unit, unit_named, writable
from clinrules.syntax import ast
from tests.support.models import Athlete, Level, Ward


def test_sciatica_fields_and_types() -> None:
    schema = schema_of(Patient, "sciatica")
    assert schema.fields["age"].type == t.NumberType(True, YEAR, 0, 120)
    assert schema.fields["body_mass"].type == t.NumberType(False, KILOGRAM, 0, None)
    radiating = schema.fields["symptoms.radiating_pain"].type
    assert isinstance(radiating, t.EnumType)
    assert radiating.ordinal
    assert radiating.members == ("none", "buttock", "thigh", "below_knee", "foot")
    side = schema.fields["symptoms.side"].type
    assert isinstance(side, t.EnumType)
    assert not side.ordinal
    assert isinstance(schema.fields["exam.weakness"].type, t.EnumListType)
    assert schema.fields["red_flags.screened_at"].type == t.DATETIME
    assert schema.fields["exam.weakest_grade"].type == t.NumberType(True, None, 0, 5)
    assert schema.groups == {"symptoms", "red_flags", "exam", "startback"}
    assert schema.leaves["fever"] == ("red_flags.fever",)


def test_sciatica_session_fields() -> None:
    schema = schema_of(Patient, "sciatica")
    assert schema.has_sessions
    assert schema.session_fields["pain_during"].path == "sessions.pain_during"
    assert schema.session_fields["pain_during"].session
    assert schema.session_fields["hold_seconds"].type == t.NumberType(False, SECOND, 0, None)
    assert schema.session_fields["at"].type == t.DATETIME
    assert "sessions.pain_during" not in schema.fields


def test_a_custom_model() -> None:
    schema = schema_of(Athlete)
    assert schema.name == "Athlete"
    mood = schema.fields["mood"].type
    assert mood == t.EnumType("mood", ("good", "bad"), False)
    assert schema.fields["fatigue"].type == t.EnumType("Level", tuple(m.value for m in Level), True)
    assert schema.fields["vitals.heart_rate"].type == t.NumberType(True, None, 30, 250)
    assert schema.session_fields["duration"].type.unit.name == "min"  # type: ignore[union-attr]


def test_optional_and_annotated_are_unwrapped_with_their_bounds() -> None:
    class M(BaseModel):
        a: Optional[Annotated[int, Field(ge=1, le=3)]] = None  # noqa: UP045 - the old spelling is what we test
        b: Annotated[float | None, Field(gt=0, json_schema_extra={"unit": "hours"})] = None
        c: Annotated[list[Literal["x", "y"]], Field()] = []

    schema = schema_of(M)
    assert schema.fields["a"].type == t.NumberType(True, None, 1, 3)
    assert schema.fields["b"].type == t.NumberType(False, HOUR, 0, None)
    assert schema.fields["c"].type == t.EnumListType(t.EnumType("c", ("x", "y"), False))


class _Colour(Enum):
    RED = 1


class _Plain(Enum):
    A = "a"


@pytest.mark.parametrize(
    ("annotation", "fragment"),
    [
        (dict[str, int], "type dict"),
        (int | str, "not one rules can use"),
        (list[int], "collections of enums only"),
        (_Colour, "values that are not text"),
        (Literal[1, 2], "not all text"),
        (bytes, "type bytes"),
    ],
)
def test_types_rules_cannot_use_are_refused_with_the_field_path(annotation: object, fragment: str) -> None:
    model = type("M", (BaseModel,), {"__annotations__": {"odd": annotation, "fine": bool}})
    with pytest.raises(SchemaError) as raised:
        schema_of(model)
    (problem,) = raised.value.problems
    assert problem.startswith("odd: ")
    assert fragment in problem


def test_an_unknown_unit_is_refused() -> None:
    class M(BaseModel):
        x: int = Field(0, json_schema_extra={"unit": "furlongs"})

    with pytest.raises(SchemaError, match="the unit 'furlongs' cannot be written after a number"):
        schema_of(M)


def test_a_unit_outside_the_table_is_its_own_dimension_spelt_as_the_model_spells_it() -> None:
    schema = schema_of(Ward)
    units = {path: f.type.unit for path, f in schema.fields.items() if isinstance(f.type, t.NumberType)}
    assert units["systolic_bp"] == own_unit("mmHg")
    assert units["systolic_bp"] == units["diastolic_bp"]
    assert units["systolic_bp"] != units["heart_rate"]
    assert {units["respiratory_rate"].dimension, units["urea"].dimension} == {"/min", "mmol/L"}  # type: ignore[union-attr]
    assert units["age"] == YEAR
    assert set(schema.units()) == {"years", "mmHg", "/min", "bpm", "mmol/L"}


def test_a_month_is_a_twelfth_of_a_year_and_converts_with_days() -> None:
    assert unit_named("month") == unit_named("months") == MONTH
    assert MONTH.dimension == YEAR.dimension == DAY.dimension
    assert MONTH.to(YEAR, 12) == 1
    assert YEAR.to(MONTH, 1) == 12


@pytest.mark.parametrize(
    "word", ["mmHg", "/min", "mmol/L", "kPa", "bpm", "mg", "mcg", "ml", "mmol", "g", "lb"]
)
def test_a_unit_a_rule_can_write_is_one_the_grammar_lexes(word: str) -> None:
    assert writable(word)
    text = f"ruleset x version 1.0.0 status draft model sciatica\nparameter p = 1 {word} between 0 and 2\n"
    (parameter,) = clinrules.parse(text, "x.rules").declarations
    assert isinstance(parameter, ast.Parameter)
    assert parameter.default.unit == word


@pytest.mark.parametrize("word", ["mm Hg", "furlongs", "MMHG", "mmhg"])
def test_a_unit_no_rule_can_write_is_neither_writable_nor_lexed(word: str) -> None:
    assert not writable(word)
    text = f"ruleset x version 1.0.0 status draft model sciatica\nparameter p = 1 {word} between 0 and 2\n"
    with pytest.raises(clinrules.RulesetError):
        clinrules.parse(text, "x.rules")


class _Grade(IntEnum):
    high = 3
    low = 1
    middle = 2


def test_an_int_enum_is_ordered_by_value_and_named_by_its_members() -> None:
    class M(BaseModel):
        grade: _Grade | None = None

    kind = schema_of(M).fields["grade"].type
    assert kind == t.EnumType("_Grade", ("low", "middle", "high"), True, by_name=True)
    assert isinstance(kind, t.EnumType)
    assert kind.by_name
    assert kind.value_of("middle") is _Grade.middle


def test_a_date_field_is_a_date_optional_or_not() -> None:
    class M(BaseModel):
        born: dt.date
        admitted: dt.date | None = None

    fields = schema_of(M).fields
    assert fields["born"].type == fields["admitted"].type == t.DATE
    assert t.is_time(t.DATE)
    assert t.is_time(t.DATETIME)
    assert not t.is_time(t.BOOL)


def test_a_session_log_without_exercise_or_at_is_refused() -> None:
    class S(BaseModel):
        when: dt.datetime

    class M(BaseModel):
        sessions: list[S] = []

    with pytest.raises(SchemaError) as raised:
        schema_of(M)
    assert any("sessions.exercise" in p for p in raised.value.problems)
    assert any("sessions.at" in p for p in raised.value.problems)


def test_a_model_that_refers_to_itself_is_refused() -> None:
    class Node(BaseModel):
        child: Optional[Node] = None  # noqa: UP045

    Node.model_rebuild()
    with pytest.raises(SchemaError, match="refers to itself"):
        schema_of(Node)


def test_plain_enums_aware_datetimes_and_text() -> None:
    class M(BaseModel):
        kind: _Plain | None = None
        at: AwareDatetime | None = None
        note: str | None = None

    schema = schema_of(M)
    assert schema.fields["kind"].type == t.EnumType("_Plain", ("a",), False)
    assert schema.fields["at"].type == t.DATETIME
    assert schema.fields["note"].type == t.TEXT
    assert not schema.has_sessions


def test_a_nested_model_pydantic_could_not_resolve_is_named_with_the_fix() -> None:
    class Outer(BaseModel):
        inner: Later | None = None  # defined after Outer and not rebuilt

    class Later(BaseModel):
        x: bool | None = None

    with pytest.raises(SchemaError) as raised:
        schema_of(Outer)
    (problem,) = raised.value.problems
    assert problem.startswith("inner: ")
    assert "model_rebuild()" in problem
    Outer.model_rebuild(_types_namespace={"Later": Later})
    assert "inner.x" in schema_of(Outer).fields


@pytest.mark.parametrize(
    "word",
    [
        "mmHg", "/min", "mmol/L", "mg/dL", "kPa", "bpm", "mg", "lb", "months", "month", "g",
        "mmhg", "MMHG", "Hg", "mm Hg", "furlongs", "in", "%", "x/", "breaths/min", "mL/kg/min",
    ],
)  # fmt: skip
def test_writable_units_are_the_grammars_unit_terminal(word: str) -> None:
    import re

    from clinrules.syntax.grammar import parser

    terminal = next(str(x.pattern.value) for x in parser().terminals if x.name == "UNIT")
    assert writable(word) == (re.fullmatch(terminal, word) is not None)
