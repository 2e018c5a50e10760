"""The fields of a patient model by JSON path, each with the kind of FHIR value that answers it.

A QuestionnaireResponse item's `linkId` is a field's path, and its answer
is typed by the field: `valueBoolean` for a yes/no, `valueInteger` for a
whole number, `valueDecimal` (or `valueInteger`) for a number, `valueCoding`
whose `code` is the member for an enum, repeated for a set of members,
`valueDateTime` for a time, `valueString` for text.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel

Kind = Literal["boolean", "integer", "decimal", "coding", "codings", "dateTime", "string"]


@dataclass(frozen=True)
class Field:
    """One leaf field of a model: its JSON path, the FHIR value kind and, for an enum, its members."""

    path: str
    kind: Kind
    members: tuple[str, ...] = ()


def _unwrap(annotation: Any) -> Any:
    """The type inside `X | None` and `Annotated[X, ...]`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(inner) != 1:
                return None  # a union of several types is no one FHIR value
            annotation = inner[0]
        else:
            return annotation


def _leaf(path: str, annotation: Any) -> Field | None:
    kind = _unwrap(annotation)
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind) or (None,)
        item = _unwrap(item)
        if isinstance(item, type) and issubclass(item, Enum):
            return Field(path, "codings", tuple(str(m.value) for m in item))
        return None
    if not isinstance(kind, type):
        return None
    if issubclass(kind, Enum):
        return Field(path, "coding", tuple(str(m.value) for m in kind))
    if issubclass(kind, bool):
        return Field(path, "boolean")
    if issubclass(kind, int):
        return Field(path, "integer")
    if issubclass(kind, float):
        return Field(path, "decimal")
    if kind is AwareDatetime or issubclass(kind, dt.datetime):
        return Field(path, "dateTime")
    if issubclass(kind, str):
        return Field(path, "string")
    return None


def model_fields(model: type[BaseModel]) -> tuple[dict[str, Field], dict[str, Field]]:
    """The leaf fields of the patient (path -> Field), and those of one session (`sessions.NAME`).

    A field of a kind FHIR answers cannot carry (a nested list of groups) is
    left out: no QuestionnaireResponse item can name it.
    """
    top: dict[str, Field] = {}
    session: dict[str, Field] = {}
    for name, info in model.model_fields.items():
        kind = _unwrap(info.annotation)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            for sub, sub_info in kind.model_fields.items():
                leaf = _leaf(f"{name}.{sub}", sub_info.annotation)
                if leaf is not None:
                    top[leaf.path] = leaf
            continue
        if typing.get_origin(kind) is list:
            (item,) = typing.get_args(kind) or (None,)
            item = _unwrap(item)
            if isinstance(item, type) and issubclass(item, BaseModel):
                for sub, sub_info in item.model_fields.items():
                    leaf = _leaf(f"{name}.{sub}", sub_info.annotation)
                    if leaf is not None:
                        session[leaf.path] = leaf
                continue
        leaf = _leaf(name, info.annotation)
        if leaf is not None:
            top[leaf.path] = leaf
    return top, session
