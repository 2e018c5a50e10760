"""Type errors in one wording, and a patient's value shown in a message.

Every type error of the patient data, of `as_of` and of a parameter reads
`must be <what is expected>, got <the value> (<why not>)`: the value as the
JSON that holds it, shortened, and why it is not of the kind (`a text`,
`no UTC offset`, `not a finite number`). Showing a value never raises and
never builds a huge value's whole text.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import reprlib
from collections.abc import Mapping
from enum import Enum

from clinrules.base.limits import MAX_MAGNITUDE

__all__ = ["TIME", "kind_of", "number_trouble", "shown", "time_trouble", "type_problem"]

TIME = "a date and time with a UTC offset (ISO 8601 text)"
"""What a time field, a session's time and `as_of` must be."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def type_problem(expected: str, value: object, trouble: str | None = None) -> str:
    """The one wording of every type error: `must be EXPECTED, got VALUE (WHY NOT)`.

    Without `trouble`, the value's own kind is the why-not (`(a text)`).
    """
    why = f" ({trouble})" if trouble else kind_of(value)
    return f"must be {expected}, got {shown(value)}{why}"


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
