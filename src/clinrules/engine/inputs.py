"""The inputs of an evaluation, checked: the patient, the time, the parameters, the sessions.

Bad input never reaches the rules: patient data is validated by the model
(every bad value reported with its path), a time without a UTC offset or
outside the years 1900 to 2200 is refused, and a parameter may be set only
within its declared bounds.

Patient data types are strict (docs/semantics.md): before the model's own,
lax, validation, every value a rule can read is checked for its kind, so a
JSON `true` is never an age or an MRC grade, `"N"` never a no and `"7"` never
a pain score. A number is finite and at most 1e15 in magnitude, and a time
is ISO 8601 text (or a Python datetime) with a UTC offset. Every such type
error reads the same: `must be <what the field holds>, got <the value> (<why
not>)`.

Data that cannot be right (docs/semantics.md, "Data that cannot be right"):
a session of an exercise the ruleset does not have is refused with a
did-you-mean; a time after `as_of` is not counted (a field reads as unknown,
a session is left out) and is reported as a warning, `(path, reason)`.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Collection, Mapping, Sequence
from enum import Enum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from clinrules import ir
from clinrules.base.errors import ParameterError, PatientDataError
from clinrules.base.limits import EARLIEST_AS_OF_YEAR, LATEST_AS_OF_YEAR, MAX_MAGNITUDE, MAX_SESSIONS
from clinrules.engine.datachecks import (
    Warnings,
    exercise_problem,
    microseconds,
    session_without_future,
    sessions_in_order,
    utc_text,
)
from clinrules.engine.kinds import (
    PLAIN_KINDS,
    TIME_KINDS,
    alias_of,
    instance_passes,
    sessions_pass,
    strictly_validated,
)
from clinrules.engine.wording import (
    DATE,
    TIME,
    date_trouble,
    number_trouble,
    pydantic_problem,
    shown,
    time_problem,
    time_trouble,
    type_problem,
)
from clinrules.models.validated import UNMARKED_KEY, Validated, is_validated
from clinrules.schema import types as t
from clinrules.schema.reader import SESSIONS, Field, Schema

_UNMARKED = MappingProxyType({UNMARKED_KEY: True})
_EARLIEST = dt.datetime(EARLIEST_AS_OF_YEAR, 1, 1, tzinfo=dt.UTC)
_AFTER_LATEST = dt.datetime(LATEST_AS_OF_YEAR + 1, 1, 1, tzinfo=dt.UTC)


def patient_of(schema: Schema, state: object, exercises: Collection[str] | None = None) -> BaseModel:
    """The state checked for strict types, then validated as the schema's model.

    An instance of the model is dumped and re-checked too: its values are
    Python's (enum members, datetimes), which the type check accepts.

    Args:
        schema: the model's schema.
        state: the patient data.
        exercises: the ruleset's exercise ids; when given, a session of any
            other exercise is refused with the rest of the problems.

    Raises:
        PatientDataError: with the path and reason of every bad value.
    """
    model = schema.model
    context = _UNMARKED if issubclass(model, Validated) else None
    try:
        if (
            type(state) is model
            and is_validated(state)
            and instance_passes(schema, state, exercises, _wrong_kind)
        ):
            return state  # validated by its model, unchanged, and of the strict kinds: as good as new
        if isinstance(state, model):
            # Quietly: a value of the wrong kind (an instance made with `model_construct`)
            # is reported below as the same dict's would be, not as a serializer warning.
            state = state.model_dump(mode="python", by_alias=True, warnings=False)
        else:
            # Data of the right kinds, by far the most common, passes the strict check and the
            # model's validation in one validator; anything else is checked below, from the start.
            passed = strictly_validated(schema, state, exercises, context)
            if passed is not None:
                return passed
        problems = strict_problems(schema, state, exercises)
        try:
            patient = model.model_validate(state, context=context)
        except ValidationError as error:
            reported = {path for path, _ in problems}
            for e in error.errors():
                path, reason = pydantic_problem(model, e)
                if path not in reported:  # a value of the wrong kind is reported once, as a type error
                    problems.append((path, reason))
        if problems:
            raise PatientDataError(problems)
        return patient
    except (TypeError, ValueError, OverflowError, RecursionError) as error:  # odd inputs pydantic lets out
        raise PatientDataError([("", f"the patient data could not be read: {_safe_str(error)}")]) from None


def strict_problems(
    schema: Schema, state: object, exercises: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """(path, reason) for each value a rule can read that is of the wrong JSON kind.

    A yes/no is never a number or a choice, a text never a number or a
    yes/no, a number never a yes/no or a time; a number is finite and within
    `MAX_MAGNITUDE`; a time has a UTC offset. The walk follows the data's
    keys (fewer than the model's fields, most often) and the model's groups,
    so its depth is the model's, never the input's. A key written as the
    Python name of an aliased field, which a model with `populate_by_name`
    (or `validate_by_name`) takes, is checked as that field. With
    `exercises`, a session's `exercise` must be one of them. Shapes that are
    wrong in other ways (a group that is not an object, a missing session
    time, a key that is not a field) are left to the model, which reports
    them with their paths.
    """
    problems: list[tuple[str, str]] = []
    if isinstance(state, Mapping):
        _check_group(schema, schema.model, state, "", "", problems, exercises)
    return problems


def _check_group(
    schema: Schema,
    model: type[BaseModel] | None,
    data: Mapping[Any, Any],
    prefix: str,
    named: str,
    problems: list[tuple[str, str]],
    exercises: Collection[str] | None,
) -> None:
    """Check one group: `prefix` is the path as the data writes it, `named` as the schema does."""
    fields = schema.fields
    for key, value in data.items():
        if value is None or not isinstance(key, str):  # unknown is always allowed
            continue
        path = prefix + key
        name = named + key
        field = fields.get(name)
        if field is None and name not in schema.groups and not (not named and key == SESSIONS):
            alias = alias_of(model, key)  # the rare key that is a Python name: only then is the model asked
            if alias is not None:
                name = named + alias
                field = fields.get(name)
        if field is not None:
            wrong = _wrong_kind(field.type, value)
            if wrong is not None:
                problems.extend((path + at, reason) for at, reason in wrong)
        elif not named and name == SESSIONS and schema.has_sessions:
            if isinstance(value, list | tuple):
                _check_sessions(schema, _inner_model(model, key), value, problems, exercises)
        elif isinstance(value, Mapping) and name in schema.groups:
            _check_group(schema, _inner_model(model, key), value, path + ".", name + ".", problems, exercises)


def _check_sessions(
    schema: Schema,
    model: type[BaseModel] | None,
    sessions: Sequence[Any],
    problems: list[tuple[str, str]],
    exercises: Collection[str] | None,
) -> None:
    fields = schema.session_fields
    exercise_field = fields.get("exercise")
    # The log is most of a patient's values: the common right kinds pass on
    # one dict lookup and one type test, before any function call.
    plain = {
        key: None if getattr(field.type, "by_name", False) else PLAIN_KINDS.get(field.type.__class__)
        for key, field in fields.items()
    }  # an IntEnum takes an int, which no plain kind settles
    exercise_key = "exercise" if exercise_field is not None and exercises is not None else None
    sessions = sessions[: MAX_SESSIONS + 1]  # more are refused in `sessions_of`
    if sessions_pass(plain, model, sessions, exercise_key, exercises):
        return
    for index, session in enumerate(sessions):
        if not isinstance(session, Mapping):
            continue
        for key, value in session.items():
            if value is None:
                continue
            kinds = plain.get(key)
            if kinds is not None:
                value_type = type(value)
                if value_type in kinds:
                    if value_type is bool:
                        continue
                    if value_type is str:
                        if kinds is TIME_KINDS:
                            try:  # the common case, a time with its offset, needs no function of ours
                                if dt.datetime.fromisoformat(value).utcoffset() is not None:
                                    continue
                            except ValueError:
                                pass
                        elif key != exercise_key or value in exercises:  # type: ignore[operator]
                            continue
                    elif -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # false for NaN too
                        continue
            if not isinstance(key, str):
                continue
            field = fields.get(key)
            if field is None:
                alias = alias_of(model, key)
                field = None if alias is None else fields.get(alias)
                if field is None:
                    continue
            wrong = _wrong_kind(field.type, value)
            if wrong is not None:  # the path is made only for a value that is wrong
                problems.extend((f"{SESSIONS}[{index}].{key}{at}", reason) for at, reason in wrong)
            elif field is exercise_field and exercises is not None:
                problem = exercise_problem(value, exercises)
                if problem is not None:
                    problems.append((f"{SESSIONS}[{index}].{key}", problem))


def _inner_model(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    """The nested model (a group's, or a session's) of the field written `key`; None if not found."""
    if model is None:
        return None
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return _model_in(info.annotation, 0)
    return None


def _model_in(annotation: Any, depth: int) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if depth > 8:  # Optional, Annotated and list nest a few levels, never more
        return None
    for arg in typing.get_args(annotation):
        found = _model_in(arg, depth + 1)
        if found is not None:
            return found
    return None


def _wrong_kind(kind: t.RuleType, value: Any) -> list[tuple[str, str]] | None:
    """None when a known value is of its field's kind, else (path suffix, reason) for each wrong part."""
    # This runs for every value of every patient: one class test and one isinstance on the way that passes.
    cls = kind.__class__
    if cls is t.NumberType:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # false for NaN too
                return None
            return [("", type_problem(_expected(kind), value, number_trouble(value)))]
    elif cls is t.BoolType:
        if isinstance(value, bool):
            return None
    elif cls is t.EnumType:
        assert isinstance(kind, t.EnumType)
        if kind.by_name:  # an IntEnum: the member's value, a whole number, never its name or a bool
            if (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, Enum):
                return None
        elif isinstance(value, str | Enum):
            return None
    elif cls is t.DateTimeType:
        if isinstance(value, str | dt.datetime):
            trouble = time_trouble(value)
            return None if trouble is None else [("", type_problem(TIME, value, trouble))]
    elif cls is t.DateType:
        if isinstance(value, str | dt.date):
            trouble = date_trouble(value)
            return None if trouble is None else [("", type_problem(DATE, value, trouble))]
    elif cls is t.TextType:
        if isinstance(value, str):
            return None
    elif cls is t.EnumListType:
        if isinstance(value, list | tuple | set | frozenset):
            assert isinstance(kind, t.EnumListType)
            wrong = [
                (f"[{index}]{at}", reason)
                for index, item in enumerate(value)
                if item is not None
                for at, reason in _wrong_kind(kind.item, item) or ()
            ]
            return wrong or None
    else:
        return None
    return [("", type_problem(_expected(kind), value))]


def _expected(kind: t.RuleType) -> str:
    if isinstance(kind, t.BoolType):
        return "a yes/no answer (true or false)"
    if isinstance(kind, t.DateTimeType):
        return TIME
    if isinstance(kind, t.DateType):
        return DATE
    if isinstance(kind, t.EnumType) and kind.by_name and kind.python is not None:
        values = ", ".join(f"{kind.value_of(m).value} ({m})" for m in kind.members)  # type: ignore[attr-defined]
        return f"one of the whole numbers {values}"
    return kind.describe()


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return type(error).__name__


def evaluation_time(as_of: object, patient: BaseModel | None, has_field: bool) -> dt.datetime:
    """`as_of`, else the patient's top-level `as_of`, else the clock; always with an offset.

    Raises:
        PatientDataError: a time without a UTC offset, or not a time at all.
    """
    if as_of is None and has_field:
        as_of = getattr(patient, "as_of", None)
    if as_of is None:
        return dt.datetime.now(dt.UTC)
    wrong = time_problem(as_of)
    if wrong is not None or not isinstance(as_of, str | dt.datetime):
        raise PatientDataError([("as_of", wrong or type_problem(TIME, as_of))])
    if isinstance(as_of, str):
        as_of = dt.datetime.fromisoformat(as_of)
    problem = as_of_problem(as_of)
    if problem is not None:
        raise PatientDataError([("as_of", problem)])
    return as_of


def as_of_problem(as_of: dt.datetime) -> str | None:
    """Why an aware evaluation time cannot be used, or None.

    The years 1900 to 2200 (in UTC) leave room for every window and duration
    a rule may give (at most 200 years), so `now` minus or plus one never
    leaves the calendar; a time at year 1 or 9999 did.
    """
    # Both comparisons are of aware times, worked out without leaving the calendar.
    if _EARLIEST <= as_of < _AFTER_LATEST:
        return None
    return (
        f"must lie in the years {EARLIEST_AS_OF_YEAR} to {LATEST_AS_OF_YEAR} (UTC), "
        f"got {as_of.isoformat()}; give the time of the evaluation, such as 2026-11-21T08:00:00Z"
    )


def parameter_values(
    declared: Mapping[str, ir.Parameter], overrides: Mapping[str, object] | None
) -> tuple[Any, ...]:
    """The parameter values in declaration order: the defaults, with overrides checked.

    Raises:
        ParameterError: an unknown name, a value that is not a number (a
            yes/no parameter: not a bool), a fraction for a whole-number
            parameter, or a value out of bounds.
    """
    values = {name: p.default for name, p in declared.items()}
    for name, value in (overrides or {}).items():
        parameter = declared.get(name)
        if parameter is None:
            known = ", ".join(declared) or "none"
            raise ParameterError(f"unknown parameter '{name}'; this ruleset's parameters: {known}")
        kind = parameter.type
        if not isinstance(kind, t.NumberType):
            # Strict: 1, "yes" or "true" is refused, as a patient's yes/no is.
            if not isinstance(value, bool):
                raise ParameterError(f"parameter '{name}' {type_problem('a yes/no (true or false)', value)}")
            values[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"parameter '{name}' {type_problem('a number', value)}")
        # The size first: an int beyond a float's range cannot even be asked whether it is finite.
        trouble = number_trouble(value)
        if trouble is not None:
            raise ParameterError(f"parameter '{name}' {type_problem('a number', value, trouble)}")
        if kind.integral and not float(value).is_integer():
            raise ParameterError(f"parameter '{name}' is a whole number, got {shown(value)}")
        low, high = parameter.low, parameter.high
        assert low is not None  # a number parameter has its bounds
        assert high is not None
        if not low <= value <= high:
            unit = f" {kind.unit.name}" if kind.unit else ""
            raise ParameterError(
                f"parameter '{name}' must be between {low} and {high}{unit}, got {shown(value)}"
            )
        values[name] = int(value) if kind.integral else float(value)
    return tuple(values.values())


def sessions_of(
    patient: BaseModel,
    now: dt.datetime,
    has_log: bool,
    exercises: Collection[str] | None = None,
    warnings: Warnings | None = None,
    time_fields: Sequence[Field] = (),
) -> tuple[list[Any], dict[str, list[Any]]]:
    """The sessions at or before `now`, newest first, and the same by exercise.

    A session after `now` is not counted: it is left out, and reported in
    `warnings` when a list is given. So is any other time field of a
    session (`time_fields`: the session's time fields but `at`) after
    `now`, which then reads as unknown.

    Args:
        patient: the validated patient.
        now: the evaluation time.
        has_log: whether the model has a session log.
        exercises: the ruleset's exercise ids; a session of another is refused.
        warnings: where to add (path, reason) for each value not counted.
        time_fields: the session fields, other than `at`, that hold a time.

    Raises:
        PatientDataError: sessions of exercises the ruleset does not have,
            two sessions of one exercise at the same time, or a session time
            without a UTC offset.
    """
    if not has_log:
        return [], {}
    sessions = getattr(patient, SESSIONS) or ()
    if len(sessions) > MAX_SESSIONS:
        raise PatientDataError(
            [
                (
                    SESSIONS,
                    f"holds {len(sessions):,} sessions, more than the limit of {MAX_SESSIONS:,}; send recent ones",
                )
            ]
        )
    if sessions and not time_fields:
        found = sessions_in_order(sessions, now, exercises)
        if found is not None:
            return found
    limit = microseconds(now)
    keyed: dict[tuple[int, str], Any] = {}
    problems: list[tuple[str, str]] = []
    for index, session in enumerate(sessions):
        at = session.at
        trouble = time_trouble(at)
        if trouble is not None:
            raise PatientDataError([(f"{SESSIONS}[{index}].at", type_problem(TIME, at, trouble))])
        if exercises is not None and session.exercise not in exercises:
            problem = exercise_problem(session.exercise, exercises)
            if problem is not None:
                problems.append((f"{SESSIONS}[{index}].exercise", problem))
                continue
        # One key per session: comparing aware datetimes works out both offsets
        # every time, which made sorting the costliest step here. Whole
        # microseconds, not a float timestamp, which far from 1970 cannot tell
        # two sessions a microsecond apart.
        key = (microseconds(at), session.exercise)
        if key in keyed:
            problems.append(
                (f"{SESSIONS}[{index}]", f"a second session of '{session.exercise}' at {at.isoformat()}")
            )
            continue
        if key[0] > limit:  # kept only to find a second session at its time; never counted
            if warnings is not None:
                warnings.append((f"{SESSIONS}[{index}].at", f"after as_of ({utc_text(now)}): not counted"))
        elif time_fields:
            session = session_without_future(session, index, limit, now, time_fields, warnings)
        keyed[key] = session
    if problems:
        raise PatientDataError(problems)
    chosen = [keyed[key] for key in sorted(keyed, reverse=True) if key[0] <= limit]
    by_exercise: dict[str, list[Any]] = {}
    for session in chosen:
        by_exercise.setdefault(session.exercise, []).append(session)
    return chosen, by_exercise
