"""The inputs of an evaluation, checked: the patient, the time, the parameters, the sessions.

Bad input never reaches the rules: patient data is validated by the model
(every bad value reported with its path), a time without a UTC offset or
outside the years 1900 to 2200 is refused, and a parameter may be set only
within its declared bounds.

Patient data types are strict (docs/semantics.md): before the model's own,
lax, validation, every value a rule can read is checked for its kind, so a
JSON `true` is never an age or an MRC grade, `"N"` never a no and `"7"` never
a pain score. A number is finite and at most 1e15 in magnitude.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import reprlib
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from clinrules import ir
from clinrules.base.errors import ParameterError, PatientDataError
from clinrules.base.limits import EARLIEST_AS_OF_YEAR, LATEST_AS_OF_YEAR, MAX_MAGNITUDE, MAX_SESSIONS
from clinrules.schema import types as t
from clinrules.schema.reader import SESSIONS, Schema

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_EARLIEST = dt.datetime(EARLIEST_AS_OF_YEAR, 1, 1, tzinfo=dt.UTC)
_AFTER_LATEST = dt.datetime(LATEST_AS_OF_YEAR + 1, 1, 1, tzinfo=dt.UTC)
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def patient_of(schema: Schema, state: object) -> BaseModel:
    """The state checked for strict types, then validated as the schema's model.

    An instance of the model is dumped and re-checked too: its values are
    Python's (enum members, datetimes), which the type check accepts.

    Raises:
        PatientDataError: with the path and reason of every bad value.
    """
    model = schema.model
    try:
        if isinstance(state, model):
            state = state.model_dump(mode="python", by_alias=True)
        problems = strict_problems(schema, state)
        try:
            patient = model.model_validate(state)
        except ValidationError as error:
            reported = {path for path, _ in problems}
            for e in error.errors():
                path = _path(e["loc"])
                if path not in reported:  # a value of the wrong kind is reported once, as a type error
                    problems.append((path, _reason(e)))
        if problems:
            raise PatientDataError(problems)
        return patient
    except (TypeError, ValueError, OverflowError, RecursionError) as error:  # odd inputs pydantic lets out
        raise PatientDataError([("", f"the patient data could not be read: {_safe_str(error)}")]) from None


def strict_problems(schema: Schema, state: object) -> list[tuple[str, str]]:
    """(path, reason) for each value a rule can read that is of the wrong JSON kind.

    A yes/no is never a number or a choice, a text never a number or a
    yes/no, a number never a yes/no or a time; a number is finite and within
    `MAX_MAGNITUDE`. The walk follows the data's keys (fewer than the
    model's fields, most often) and the model's groups, so its depth is the
    model's, never the input's. Shapes that are wrong in other ways (a group
    that is not an object, a missing session time, a key that is not a
    field) are left to the model, which reports them with their paths.
    """
    problems: list[tuple[str, str]] = []
    if isinstance(state, Mapping):
        _check_group(schema, state, "", problems)
    return problems


def _check_group(
    schema: Schema, data: Mapping[Any, Any], prefix: str, problems: list[tuple[str, str]]
) -> None:
    fields = schema.fields
    for key, value in data.items():
        if value is None or not isinstance(key, str):  # unknown is always allowed
            continue
        path = prefix + key
        field = fields.get(path)
        if field is not None:
            wrong = _wrong_kind(field.type, value)
            if wrong is not None:
                problems.extend((path + at, reason) for at, reason in wrong)
        elif not prefix and key == SESSIONS and schema.has_sessions:
            if isinstance(value, list | tuple):
                _check_sessions(schema, value, problems)
        elif isinstance(value, Mapping) and path in schema.groups:
            _check_group(schema, value, path + ".", problems)


def _check_sessions(schema: Schema, sessions: Sequence[Any], problems: list[tuple[str, str]]) -> None:
    fields = schema.session_fields
    for index, session in enumerate(sessions[: MAX_SESSIONS + 1]):  # more are refused in `sessions_of`
        if not isinstance(session, Mapping):
            continue
        for key, value in session.items():
            field = fields.get(key) if value is not None and isinstance(key, str) else None
            wrong = None if field is None else _wrong_kind(field.type, value)
            if wrong is not None:  # the path is made only for a value that is wrong
                problems.extend((f"{SESSIONS}[{index}].{key}{at}", reason) for at, reason in wrong)


def _wrong_kind(kind: t.RuleType, value: Any) -> list[tuple[str, str]] | None:
    """None when a known value is of its field's kind, else (path suffix, reason) for each wrong part."""
    # This runs for every value of every patient: one class test and one isinstance on the way that passes.
    cls = kind.__class__
    if cls is t.NumberType:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:  # false for NaN too
                return None
            return [("", f"must be {_expected(kind)}, got {_number_trouble(value)}")]
    elif cls is t.BoolType:
        if isinstance(value, bool):
            return None
    elif cls is t.EnumType:
        if isinstance(value, str | Enum):
            return None
    elif cls is t.DateTimeType:
        if isinstance(value, str | dt.datetime):
            return None
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
    return [("", f"must be {_expected(kind)}, got {_shown(value)}{_kind_of(value)}")]


def _number_trouble(value: int | float) -> str | None:
    """What is wrong with a number of the right kind: not finite, or too large; else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{_shown(value)} (not a finite number)"
    if abs(value) > MAX_MAGNITUDE:
        return f"{_shown(value)} (beyond the limit of 1e15)"
    return None


def _expected(kind: t.RuleType) -> str:
    if isinstance(kind, t.BoolType):
        return "a yes/no answer (true or false)"
    if isinstance(kind, t.DateTimeType):
        return "a date and time with a UTC offset (ISO 8601 text)"
    return kind.describe()


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return " (a yes/no)"
    if isinstance(value, int | float):
        return " (a number)"
    if isinstance(value, str):
        return " (a text)"
    return ""


def _shown(value: object) -> str:
    """A value as the JSON that holds it, shortened; never raises, never prints a huge value whole."""
    try:
        return _json_text(value)
    except Exception:  # a caller's object (a time whose tzinfo raises, say) is still named
        return f"a {type(value).__name__}"


def _json_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 10**30:  # str() of a 4,301-digit int raises; the size is what matters
            return f"a number of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return repr(value) if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
    if isinstance(value, Enum):
        return _json_text(value.value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a group of fields"
    return _SHORT.repr(value)


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return type(error).__name__


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _reason(error: Any) -> str:
    message = str(error["msg"]).replace("Input should be", "must be").replace("Value error, ", "")
    if error["type"] == "extra_forbidden":
        return "is not a field of the model (check its spelling)"
    if error["type"] == "missing":
        return "is required"
    if "input" in error and error["type"] not in ("model_type", "dict_type"):
        return f"{message}, got {_shown(error['input'])}"
    return message


def evaluation_time(as_of: object, patient: BaseModel, has_field: bool) -> dt.datetime:
    """`as_of`, else the patient's top-level `as_of`, else the clock; always with an offset.

    Raises:
        PatientDataError: a time without a UTC offset, or not a time at all.
    """
    if as_of is None and has_field:
        as_of = getattr(patient, "as_of", None)
    if as_of is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(as_of, str):
        try:
            as_of = dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise PatientDataError([("as_of", f"must be an ISO 8601 time, got {as_of!r}")]) from None
    if not isinstance(as_of, dt.datetime):
        raise PatientDataError([("as_of", f"must be a time, got {type(as_of).__name__}")])
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise PatientDataError([("as_of", "must carry a UTC offset, such as 2026-11-21T08:00:00Z")])
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
        ParameterError: an unknown name, a value that is not a number, a
            fraction for a whole-number parameter, or a value out of bounds.
    """
    values = {name: p.default for name, p in declared.items()}
    for name, value in (overrides or {}).items():
        parameter = declared.get(name)
        if parameter is None:
            known = ", ".join(declared) or "none"
            raise ParameterError(f"unknown parameter '{name}'; this ruleset's parameters: {known}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"parameter '{name}' must be a number, got {_shown(value)}{_kind_of(value)}")
        # The size first: an int beyond a float's range cannot even be asked whether it is finite.
        trouble = _number_trouble(value)
        if trouble is not None:
            raise ParameterError(f"parameter '{name}' must be a number, got {trouble}")
        if parameter.type.integral and not float(value).is_integer():
            raise ParameterError(f"parameter '{name}' is a whole number, got {_shown(value)}")
        if not parameter.low <= value <= parameter.high:
            unit = f" {parameter.type.unit.name}" if parameter.type.unit else ""
            raise ParameterError(
                f"parameter '{name}' must be between {parameter.low} and {parameter.high}{unit}, "
                f"got {_shown(value)}"
            )
        values[name] = int(value) if parameter.type.integral else float(value)
    return tuple(values.values())


def sessions_of(
    patient: BaseModel, now: dt.datetime, has_log: bool
) -> tuple[list[Any], dict[str, list[Any]]]:
    """The sessions at or before `now`, newest first, and the same by exercise.

    Raises:
        PatientDataError: two sessions of one exercise at the same time, or
            a session time without a UTC offset.
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
    limit = _microseconds(now)
    keyed: dict[tuple[int, str], Any] = {}
    for index, session in enumerate(sessions):
        at = session.at
        if at.tzinfo is None or at.utcoffset() is None:
            raise PatientDataError([(f"{SESSIONS}[{index}].at", "must carry a UTC offset")])
        # One key per session: comparing aware datetimes works out both offsets
        # every time, which made sorting the costliest step here. Whole
        # microseconds, not a float timestamp, which far from 1970 cannot tell
        # two sessions a microsecond apart.
        key = (_microseconds(at), session.exercise)
        if key in keyed:
            problem = f"a second session of '{session.exercise}' at {at.isoformat()}"
            raise PatientDataError([(f"{SESSIONS}[{index}]", problem)])
        keyed[key] = session
    chosen = [keyed[key] for key in sorted(keyed, reverse=True) if key[0] <= limit]
    by_exercise: dict[str, list[Any]] = {}
    for session in chosen:
        by_exercise.setdefault(session.exercise, []).append(session)
    return chosen, by_exercise


def _microseconds(moment: dt.datetime) -> int:
    """An aware time as whole microseconds since 1970 (UTC): exact for every year."""
    return (moment - _EPOCH) // _MICROSECOND
