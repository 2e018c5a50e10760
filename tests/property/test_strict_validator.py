"""The strict validator (`engine/kinds.py`) decides nothing: with it or without it, the same patient or
the same problems, at the same paths, in the same order.

`patient_of` first tries one pydantic validator that holds the strict kind
check and the model's validation together; what it refuses, or cannot be
sure of, is checked the long way (`strict_problems`, then the model's lax
validation). So over any data (values of the wrong kind, huge numbers,
times pydantic reads and `fromisoformat` does not, nested groups, aliased
keys) the outcome must be the one the long way alone gives, and whatever the
strict validator passes, the strict check passes too.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import SchemaValidator

from clinrules.base.errors import PatientDataError
from clinrules.engine import inputs, kinds
from clinrules.engine.inputs import patient_of, strict_problems
from clinrules.engine.kinds import TIME_TEXT, strict_validator
from clinrules.models.sciatica import Patient, Session, Symptoms
from clinrules.models.validated import keeps_values
from clinrules.schema.reader import schema_of
from tests.conftest import examples

SCHEMA = schema_of(Patient)
EXERCISES = frozenset({"glute_squeeze", "glute_bridge"})
CONTEXT = {"clinrules_unmarked": True}

TIMES = st.one_of(
    st.sampled_from(
        [
            "2026-11-20T18:00:00Z",
            "2026-11-20T18:00:00+01:00",
            "2026-11-20T18:00:00.5-00:00",
            "2026-11-20T18:00:00.123456Z",
            "2026-11-20T18:00:00.1234567Z",  # seven digits: pydantic reads it
            "2026-11-20T18:00:00z",
            "2026-11-20 18:00:00Z",
            "2026-11-20T18:00Z",
            "2026-11-20T18:00:00",
            "2026-11-20T18:00:00+24:00",
            "2026-11-20T18:00:60Z",
            "2026-11-20T24:00:00Z",
            "2026-02-29T18:00:00Z",
            "2024-02-29T18:00:00Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59+23:59",
            "20261120T180000Z",
            "1700000000",
            "2026-11-20T18:00:00Z\n",
            "\uff12\uff10\uff12\uff16-11-20T18:00:00Z",  # full-width digits
        ]
    ),
    st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
        st.integers(0, 10000),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        st.sampled_from(["Z", "+00:00", "-12:30", "+23:59", "+24:00", "", "+1:00"]),
    ),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))])),
    st.datetimes(),
    st.integers(0, 2**40),
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**16), max_value=10**16),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, 1e15, -1e15, 1e15 + 1, 10**15, 10**15 + 1, 7.0, 7.5, -0.0]),
    st.sampled_from(["7", "N", "yes", "true", "thigh", "left", "moderately", "", "glute_squeeze"]),
    TIMES,
    st.lists(st.sampled_from(["dorsiflexion", "saddle_anaesthesia", "thigh", 3, None, True]), max_size=3),
    st.tuples(st.sampled_from(["dorsiflexion", "eversion"])),
    st.just({"nested": True}),
)


def _group_strategy(prefix: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = sorted({path[len(prefix) :] for path in SCHEMA.fields if path.startswith(prefix)})
    keys = [key for key in keys if "." not in key] + ["not_a_field"]
    return st.dictionaries(st.sampled_from(keys), VALUES, max_size=6)


SESSION_KEYS = [*sorted(SCHEMA.session_fields), "not_a_field"]
SESSION = st.one_of(
    st.dictionaries(st.sampled_from(SESSION_KEYS), VALUES, max_size=6),
    st.builds(
        lambda extra, exercise, at: {"exercise": exercise, "at": at, **extra},
        st.dictionaries(st.sampled_from(SESSION_KEYS[2:]), VALUES, max_size=4),
        st.sampled_from(["glute_squeeze", "glute_bridge", "glute_brige", ""]),
        TIMES,
    ),
    st.just("not a session"),
)
GROUPS = sorted(SCHEMA.groups)


@st.composite
def states(draw: st.DrawFn) -> object:
    """Patient data, mostly nearly right: the values of some fields and sessions drawn from `VALUES`."""
    top = draw(_group_strategy(""))
    for group in draw(st.lists(st.sampled_from(GROUPS), max_size=len(GROUPS), unique=True)):
        top[group] = draw(st.one_of(_group_strategy(group + "."), st.none(), VALUES))
    if draw(st.booleans()):
        top["sessions"] = draw(st.one_of(st.lists(SESSION, max_size=4), st.none(), st.just("none")))
    return draw(st.one_of(st.just(top), st.just(top), st.just(top), VALUES, st.just([top])))


def _outcome(state: object, exercises: frozenset[str] | None) -> object:
    try:
        return patient_of(SCHEMA, state, exercises)
    except PatientDataError as error:
        return ("refused", error.problems)


def _the_long_way(state: object, exercises: frozenset[str] | None) -> object:
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(inputs, "strictly_validated", lambda *args: None)
        return _outcome(state, exercises)


@examples(ci=400)
@given(states(), st.sampled_from([EXERCISES, None]))
def test_the_strict_validator_refuses_and_accepts_what_the_long_way_does(
    state: object, exercises: frozenset[str] | None
) -> None:
    assert _outcome(state, exercises) == _the_long_way(state, exercises)


@examples(ci=400)
@given(states())
def test_what_the_strict_validator_passes_the_strict_check_passes_into_the_same_instance(
    state: object,
) -> None:
    validator = strict_validator(Patient)
    assert validator is not None
    try:
        patient = validator.validate_python(state, context=CONTEXT)
    except ValidationError:
        return
    assert strict_problems(SCHEMA, state) == []
    assert patient == Patient.model_validate(state, context=CONTEXT)


@examples(ci=300)
@given(TIMES)
def test_a_time_the_strict_validator_passes_has_an_offset_for_fromisoformat(value: object) -> None:
    validator = strict_validator(Patient)
    assert validator is not None
    try:
        validator.validate_python({"as_of": value})
    except ValidationError:
        return
    assert isinstance(value, str)
    assert dt.datetime.fromisoformat(value).utcoffset() is not None


def test_a_long_log_of_right_values_passes_in_one_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = [
        {
            "exercise": "glute_squeeze",
            "at": f"2026-10-{day:02d}T18:00:00Z",
            "pain_during": 2,
            "hold_seconds": 10,
        }
        for day in range(1, 29)
    ]
    state = {
        "age": 40,
        "symptoms": {"radiating_pain": "thigh"},
        "exam": {"weakness": []},
        "sessions": sessions,
    }
    monkeypatch.setattr(inputs, "strict_problems", lambda *args: pytest.fail("checked the long way"))
    assert patient_of(SCHEMA, state, EXERCISES) == Patient.model_validate(state, context=CONTEXT)


@pytest.mark.parametrize(
    ("state", "path"),
    [
        ({"age": True}, "age"),
        ({"symptoms": {"back_pain": "7"}}, "symptoms.back_pain"),
        ({"red_flags": {"fever": "N"}}, "red_flags.fever"),
        ({"body_mass": 1e16}, "body_mass"),
        ({"sessions": [{"exercise": "glute_brige", "at": "2026-11-20T18:00:00Z"}]}, "sessions[0].exercise"),
        ({"sessions": [{"exercise": "glute_squeeze", "at": "2026-11-20T18:00:00"}]}, "sessions[0].at"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_as_before(state: dict[str, Any], path: str) -> None:
    with pytest.raises(PatientDataError) as raised:
        patient_of(SCHEMA, state, EXERCISES)
    assert [at for at, _ in raised.value.problems] == [path]
    assert ("refused", raised.value.problems) == _the_long_way(state, EXERCISES)


def test_the_time_text_is_anchored_and_ascii() -> None:
    assert TIME_TEXT.startswith("^")
    assert TIME_TEXT.endswith("$")
    assert "\\d" not in TIME_TEXT


class _Aliased(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    fever: bool | None = Field(default=None, alias="has_fever")


class _Changing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fever: bool | None = None

    @field_validator("fever", mode="before")
    @classmethod
    def _yes_is_true(cls, value: Any) -> Any:
        return True if value == "yes" else value


class _Kept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fever: bool | None = None

    @field_validator("fever", mode="before")
    @classmethod
    @keeps_values
    def _as_given(cls, value: Any) -> Any:
        return value


@pytest.mark.parametrize("model", [_Aliased, _Changing])
def test_a_model_the_strict_validator_cannot_mirror_has_none(model: type[BaseModel]) -> None:
    # An aliased key is checked under both names, a before-validator may change a value: the long way.
    assert strict_validator(model) is None


def test_the_long_way_still_refuses_what_an_unmirrored_model_would_take() -> None:
    with pytest.raises(PatientDataError):
        patient_of(schema_of(_Changing), {"fever": "yes"})
    with pytest.raises(PatientDataError):
        patient_of(schema_of(_Aliased), {"fever": "N"})


def test_a_before_validator_marked_as_keeping_values_is_mirrored() -> None:
    validator = strict_validator(_Kept)
    assert validator is not None
    with pytest.raises(ValidationError):
        validator.validate_python({"fever": 1})
    assert kinds.strictly_validated(schema_of(_Kept), {"fever": True}, None, None) == _Kept(fever=True)


def test_group_models_built_before_still_get_their_strict_validators() -> None:
    # pydantic-core would take a built model's own validator, with no strict validators in it.
    Symptoms()
    Session(exercise="glute_squeeze", at="2026-11-20T18:00:00Z")
    assert Symptoms.__pydantic_complete__
    assert Session.__pydantic_complete__
    strict_validator.cache_clear()
    validator = strict_validator(Patient)
    assert validator is not None
    assert Symptoms.__pydantic_complete__  # put back
    assert Session.__pydantic_complete__
    for state in (
        {"symptoms": {"numbness": 1}},
        {"sessions": [{"exercise": "glute_squeeze", "at": "2026-11-20T18:00:00Z", "completed": "yes"}]},
    ):
        with pytest.raises(ValidationError):
            validator.validate_python(state)


def test_a_prebuilt_model_is_seen_in_the_validator() -> None:
    # strict_validator refuses a validator with a model taken as built: this is how it tells.
    _Kept(fever=True)
    core = {"type": "nullable", "schema": _Kept.__pydantic_core_schema__}
    assert "Prebuilt" in repr(SchemaValidator(core))  # type: ignore[arg-type]


def test_a_log_past_the_limit_is_refused_as_the_long_way_refuses_it() -> None:
    # The long way checks the kinds of the first MAX_SESSIONS + 1 sessions only; the count is refused after.
    at = dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC)
    sessions: list[dict[str, Any]] = [
        {"exercise": "glute_squeeze", "at": (at - dt.timedelta(minutes=m)).isoformat()} for m in range(10_002)
    ]
    for last in ({"pain_during": True}, {}):
        state = {"sessions": [*sessions[:-1], {**sessions[-1], **last}]}
        assert _outcome(state, EXERCISES) == _the_long_way(state, EXERCISES)
