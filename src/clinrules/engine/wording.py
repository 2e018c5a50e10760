"""Type errors in one wording, and a patient's value shown in a message.

Every type error of the patient data, of `as_of` and of a parameter reads
`must be <what is expected>, got <the value> (<why not>)`: the value as the
JSON that holds it, shortened, and why it is not of the kind (`a text`,
`no UTC offset`, `not a finite number`). Showing a value never raises and
never builds a huge value's whole text. pydantic's own errors are put in
the same words (`pydantic_problem`): a path for a model's check of the whole
patient that names one, a model named with its module (every model may be
called Patient), and no whole group shown back as the value.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import reprlib
import typing
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel

from clinrules.base.limits import MAX_MAGNITUDE

__all__ = [
    "DATE",
    "TIME",
    "date_trouble",
    "kind_of",
    "number_trouble",
    "pydantic_problem",
    "shown",
    "time_problem",
    "time_trouble",
    "type_problem",
]

TIME = "a date and time with a UTC offset (ISO 8601 text such as 2026-11-21T08:00:00Z)"
"""What a time field, a session's time and `as_of` must be."""

DATE = "a date (ISO 8601 text such as 1961-04-30)"
"""What a date field (a date of birth) must be."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def type_problem(expected: str, value: object, trouble: str | None = None) -> str:
    """The one wording of every type error: `must be EXPECTED, got VALUE (WHY NOT)`.

    Without `trouble`, the value's own kind is the why-not (`(a text)`).
    """
    why = f" ({trouble})" if trouble else kind_of(value)
    return f"must be {expected}, got {shown(value)}{why}"


def time_problem(value: object) -> str | None:
    """Why a value cannot be a time rules compare, in the one wording; None for a good one.

    For every time the user gives: a field, a session's `at`, and `as_of`
    (of `RuleSet.evaluate`, of a patient, of `clinrules eval --as-of` and of
    a case file): `must be a date and time with a UTC offset (...), got
    "2026-11-21T08:00:00" (no UTC offset)`.
    """
    if not isinstance(value, str | dt.datetime):
        return type_problem(TIME, value)
    trouble = time_trouble(value)
    return None if trouble is None else type_problem(TIME, value, trouble)


def time_trouble(value: str | dt.datetime) -> str | None:
    """What keeps a time from being one rules can compare: not ISO 8601, or no UTC offset; else None."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return "not an ISO 8601 time"
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            return "no UTC offset"
    except Exception:  # a caller's tzinfo: any failure is its own
        return "its time zone cannot give a UTC offset"
    return None


def date_trouble(value: str | dt.date) -> str | None:
    """What keeps a value from being a date: a time of day with it, or not ISO 8601; else None."""
    if isinstance(value, dt.datetime):
        return "a date and time; give the date alone"
    if isinstance(value, dt.date):
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return "not an ISO 8601 date"
        return "a date and time; give the date alone"
    return None


def number_trouble(value: int | float) -> str | None:
    """What is wrong with a number of the right kind: not finite, or too large; else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    if abs(value) > MAX_MAGNITUDE:
        return "beyond the limit of 1e15"
    return None


def kind_of(value: object) -> str:
    if isinstance(value, bool):
        return " (a yes/no)"
    if isinstance(value, int | float):
        return " (a number)"
    if isinstance(value, str):
        return " (a text)"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return " (a date without a time)"
    return ""


def shown(value: object) -> str:
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
    if isinstance(value, dt.date):  # a datetime too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a group of fields"
    return _SHORT.repr(value)


# ---------------------------------------------------------------- pydantic's errors in these words


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_PATH_FIRST = re.compile(r"([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\[\d+\])*): (.+)", re.DOTALL)


def pydantic_problem(model: type[BaseModel], error: Any) -> tuple[str, str]:
    """(path, reason) of one pydantic error, in the wording of every other problem.

    A model's own check of the whole patient (a `model_validator`) has no
    path of its own; one whose message starts with the path of a field and a
    colon (`sessions[3]: a second session of ...`) is reported at that path.
    """
    path, reason = _path(error["loc"]), _reason(model, error)
    found = _PATH_FIRST.fullmatch(reason) if not path and error["type"] == "value_error" else None
    if found is not None and found.group(1) in model.model_fields:
        return found.group(1) + found.group(2), found.group(3)
    return path, reason


def _reason(model: type[BaseModel], error: Any) -> str:
    message = str(error["msg"]).replace("Input should be", "must be").replace("Value error, ", "")
    kind = error["type"]
    if kind == "extra_forbidden":
        return "is not a field of the model (check its spelling)"
    if kind == "missing":
        return "is required"
    if kind == "model_type":  # every model may be called Patient: the class is named in full
        expected = _group_class(model, error["loc"])
        if expected is not None:
            value = error.get("input")
            got = (
                shown(value)
                if type(value).__module__ == "builtins"
                else f"an instance of {_full(type(value))}"
            )
            return f"must be a JSON object or an instance of {_full(expected)}, got {got}"
    own = kind in ("value_error", "assertion_error")  # a validator's own words, about a whole group
    whole = own and isinstance(error.get("input"), Mapping | list | tuple)
    if "input" in error and kind not in ("model_type", "dict_type") and not whole:
        return f"{message}, got {shown(error['input'])}"
    return message


def _full(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _group_class(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class of the group at `loc` (the patient's own for `()`), or None."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list: the list's item class, found below
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return None
        current = next((a for a in _classes(info.annotation) if issubclass(a, BaseModel)), None)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _classes(annotation: Any) -> list[type]:
    """The classes an annotation may hold: `X | None`, `list[X]` and `Annotated[X, ...]` unwrapped."""
    found: list[type] = []
    pending = [annotation]
    while pending:
        item = pending.pop()
        if isinstance(item, type) and typing.get_origin(item) is None:
            found.append(item)
        else:
            pending.extend(a for a in typing.get_args(item) if not isinstance(a, str | int | float))
    return found
