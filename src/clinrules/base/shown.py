"""Showing an input's value in a message, at a cost bounded by the message, not the input.

`repr()` of a whole input before cutting it builds the whole text first: a
value of several megabytes (or an alias structure that expands to billions
of items) costs that much time and memory just to show its first sixty
characters, and `repr()` of an integer of more than 4,300 digits raises.
These functions walk a value only as far as the text they make, so the work
is bounded by `limit` whatever the value holds, cycles included.
"""

from __future__ import annotations

import json
import math
from itertools import islice

_DEPTH = 8  # containers deeper than this are shown as [...] or {...}
_ELLIPSIS = "..."


def short_repr(value: object, limit: int = 60) -> str:
    """`repr(value)`, cut to at most `limit` characters (ending in `...` when cut)."""
    return _cut(_render(value, limit, 0, json_style=False), limit)


def short_json(value: object, limit: int = 2000) -> str:
    """`value` as JSON writes it (text in double quotes, null, true), cut to at most `limit` characters."""
    return _cut(_render(value, limit, 0, json_style=True), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(_ELLIPSIS))] + _ELLIPSIS


def _render(value: object, budget: int, depth: int, *, json_style: bool) -> str:
    """At most about `budget` characters of `value` (a little more: the caller cuts)."""
    budget = max(budget, 0)
    if isinstance(value, str):
        head = value[: budget + 1]
        return json.dumps(head, ensure_ascii=False) if json_style else repr(head)
    if isinstance(value, bool) or value is None:
        return json.dumps(value) if json_style else repr(value)
    if isinstance(value, int):
        return _integer(value)
    if isinstance(value, float):
        return json.dumps(value) if json_style else repr(value)
    if isinstance(value, list | tuple):
        return _items(value, budget, depth, json_style=json_style)
    if isinstance(value, dict):
        return _pairs(value, budget, depth, json_style=json_style)
    text = str(value)[: budget + 1] if json_style else repr(value)[: budget + 1]
    return json.dumps(text, ensure_ascii=False) if json_style else text


def _integer(value: int) -> str:
    # Beyond ~4,300 digits str() raises; far below that the digits say nothing to a reader.
    if value.bit_length() <= 128:
        return str(value)
    digits = math.floor(value.bit_length() * math.log10(2)) + 1
    return f"<a whole number of about {digits:,} digits>"


def _items(value: list[object] | tuple[object, ...], budget: int, depth: int, *, json_style: bool) -> str:
    opening, closing = ("[", "]") if json_style or isinstance(value, list) else ("(", ")")
    if depth >= _DEPTH:
        return f"{opening}{_ELLIPSIS}{closing}"
    parts: list[str] = []
    used = 2
    for item in islice(value, budget + 1):
        if used > budget:
            parts.append(_ELLIPSIS)
            break
        text = _render(item, budget - used, depth + 1, json_style=json_style)
        parts.append(text)
        used += len(text) + 2
    return opening + ", ".join(parts) + closing


def _pairs(value: dict[object, object], budget: int, depth: int, *, json_style: bool) -> str:
    if depth >= _DEPTH:
        return "{" + _ELLIPSIS + "}"
    parts: list[str] = []
    used = 2
    for key, item in islice(value.items(), budget + 1):
        if used > budget:
            parts.append(_ELLIPSIS)
            break
        shown_key = key if not json_style or isinstance(key, str) else str(key)
        name = _render(shown_key, budget - used, depth + 1, json_style=json_style)
        text = f"{name}: {_render(item, budget - used - len(name), depth + 1, json_style=json_style)}"
        parts.append(text)
        used += len(text) + 2
    return "{" + ", ".join(parts) + "}"
