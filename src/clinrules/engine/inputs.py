"""The inputs of an evaluation, checked: the patient, the time, the parameters, the sessions.

Bad input never reaches the rules: patient data is validated by the model
(every bad value reported with its path), a time without a UTC offset is
refused, and a parameter may be set only within its declared bounds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from clinrules import ir
from clinrules.base.errors import ParameterError, PatientDataError
from clinrules.base.limits import MAX_SESSIONS
from clinrules.schema.reader import SESSIONS


def patient_of(model: type[BaseModel], state: object) -> BaseModel:
    """The state validated as the model (an instance of it is re-checked too).

    Raises:
        PatientDataError: with the path and reason of every bad value.
    """
    try:
        if isinstance(state, model):
            state = state.model_dump(mode="python", by_alias=True)
        return model.model_validate(state)
    except ValidationError as error:
        raise PatientDataError([(_path(e["loc"]), _reason(e)) for e in error.errors()]) from None
    except (TypeError, ValueError, RecursionError) as error:  # odd inputs pydantic does not wrap
        raise PatientDataError([("", f"the patient data could not be read: {error}")]) from None


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
        shown = repr(error["input"])
        return f"{message}, got {shown if len(shown) <= 60 else shown[:57] + '...'}"
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
    return as_of


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
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ParameterError(f"parameter '{name}' must be a number, got {value!r}")
        if parameter.type.integral and not float(value).is_integer():
            raise ParameterError(f"parameter '{name}' is a whole number, got {value!r}")
        if not parameter.low <= value <= parameter.high:
            unit = f" {parameter.type.unit.name}" if parameter.type.unit else ""
            raise ParameterError(
                f"parameter '{name}' must be between {parameter.low} and {parameter.high}{unit}, got {value!r}"
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
    limit = now.timestamp()
    keyed: dict[tuple[float, str], Any] = {}
    for index, session in enumerate(sessions):
        at = session.at
        if at.tzinfo is None or at.utcoffset() is None:
            raise PatientDataError([(f"{SESSIONS}[{index}].at", "must carry a UTC offset")])
        # One timestamp per session: comparing aware datetimes works out both
        # offsets every time, which made sorting the costliest step here.
        key = (at.timestamp(), session.exercise)
        if key in keyed:
            problem = f"a second session of '{session.exercise}' at {at.isoformat()}"
            raise PatientDataError([(f"{SESSIONS}[{index}]", problem)])
        keyed[key] = session
    chosen = [keyed[key] for key in sorted(keyed, reverse=True) if key[0] <= limit]
    by_exercise: dict[str, list[Any]] = {}
    for session in chosen:
        by_exercise.setdefault(session.exercise, []).append(session)
    return chosen, by_exercise
