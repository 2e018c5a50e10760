"""Schema stage: a pydantic model class -> the fields a rule can name, with their types.

The schema is read from the model's annotations and field metadata, never
from instances: `Optional[X]` is X (every field may be unknown anyway),
`ge`/`le` give bounds, `json_schema_extra={"unit": ...}` a unit, and a
subclass of `clinrules.OrdinalEnum` an ordered enum, and
`json_schema_extra={"ask": ..., "answered_by": ...}` the field's question
(language-2.md section 4; the description when there is no `ask`). A field
the rule types cannot represent, or whose question is empty or names no one
who can answer it, is refused with the field's path, so a model author
learns at once what to change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import types
import typing
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Literal, Union

import annotated_types
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo as PydanticField

from clinrules.base.limits import MAX_MAGNITUDE
from clinrules.models.ordinal import OrdinalEnum
from clinrules.schema import types as t
from clinrules.schema.units import TABLE_WORDS, Unit, own_unit, unit_named, writable

SESSIONS = "sessions"
"""The top-level field that holds the session log."""

ANSWERED_BY = ("patient", "clinician", "device")
"""Who can answer a field's question (`json_schema_extra={"answered_by": ...}`)."""


class SchemaError(Exception):
    """The model cannot be used by rules; `.problems` says why, field by field.

    `.code` is CR218 when every problem is a bound rules cannot use, else CR217.
    """

    def __init__(self, model: str, problems: list[str]) -> None:
        self.problems = problems
        self.code = "CR218" if all(isinstance(p, _BoundProblem) for p in problems) else "CR217"
        super().__init__(f"the model '{model}' cannot be used by rules: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class Field:
    """A field a rule can name.

    Attributes:
        path: the dotted path in the model (`exam.weakness`); a session
            field's path is `sessions.<name>`.
        type: its rule type.
        session: True for a field of a session in the log.
    """

    path: str
    type: t.RuleType
    session: bool = False
    attrs: tuple[str, ...] = ()
    """The Python attribute names from the patient (or the session) to the value."""
    ask: str | None = None
    """The field's question for people: its `ask`, else its description, else None."""
    answered_by: str | None = None
    """`patient`, `clinician` or `device` (its `answered_by`), or None when the model does not say."""
    required: bool = False
    """True when the value is always there: the field and every group it is in are required, not Optional."""

    @property
    def leaf(self) -> str:
        """The last part of the path."""
        return self.path.rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Schema:
    """Everything the checker needs to know about a model.

    Attributes:
        name: the model's name as the ruleset gave it (or the class name).
        model: the pydantic model class.
        fields: patient fields by dotted path (session fields excluded).
        session_fields: session fields by leaf name (`pain_during`).
        groups: dotted paths of nested models (`exam`), which are not values.
        leaves: leaf name -> the dotted paths that end in it.
    """

    name: str
    model: type[BaseModel]
    fields: Mapping[str, Field]
    session_fields: Mapping[str, Field]
    groups: frozenset[str]
    leaves: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read-only copies: one schema serves every ruleset of its model.
        for name in ("fields", "session_fields", "leaves"):
            object.__setattr__(self, name, types.MappingProxyType(dict(getattr(self, name))))

    @property
    def has_sessions(self) -> bool:
        """True when the model carries a session log."""
        return bool(self.session_fields)

    def units(self) -> dict[str, Unit]:
        """Every unit a field declares, by its name: what a number in a rule may be written in."""
        found: dict[str, Unit] = {}
        for info in (*self.fields.values(), *self.session_fields.values()):
            if isinstance(info.type, t.NumberType) and info.type.unit is not None:
                found[info.type.unit.name] = info.type.unit
        return found


def schema_of(model: type[BaseModel], name: str | None = None) -> Schema:
    """Read the schema of a pydantic model class.

    Raises:
        SchemaError: a field has a type rules cannot represent, or the
            session log lacks `exercise: str` or `at: datetime`.
    """
    shown = name or model.__name__
    problems: list[str] = []
    fields: dict[str, Field] = {}
    session_fields: dict[str, Field] = {}
    groups: set[str] = set()
    _walk(model, "", fields, groups, problems, {model}, ())
    session_field = model.model_fields.get(SESSIONS)
    if session_field is not None:
        item = _session_model(session_field.annotation)
        if item is None:
            problems.append(f"'{SESSIONS}' must be a list of a pydantic model (the session log)")
        else:
            _read_sessions(item, session_fields, problems)
    if problems:
        raise SchemaError(shown, problems)
    leaves: dict[str, list[str]] = {}
    for path in fields:
        leaves.setdefault(path.rsplit(".", 1)[-1], []).append(path)
    return Schema(
        shown,
        model,
        fields,
        session_fields,
        frozenset(groups),
        {leaf: tuple(sorted(paths)) for leaf, paths in leaves.items()},
    )


def _read_sessions(item: type[BaseModel], out: dict[str, Field], problems: list[str]) -> None:
    inner: dict[str, Field] = {}
    nested: set[str] = set()
    _walk(item, f"{SESSIONS}.", inner, nested, problems, {item}, ())
    if nested:
        problems.append(f"a session cannot hold nested groups ({', '.join(sorted(nested))})")
    exercise, at = inner.get(f"{SESSIONS}.exercise"), inner.get(f"{SESSIONS}.at")
    if exercise is None or not isinstance(exercise.type, t.TextType):
        problems.append(f"a session needs a required field 'exercise: str' ({SESSIONS}.exercise)")
    if at is None or not isinstance(at.type, t.DateTimeType):
        problems.append(f"a session needs a required field 'at: datetime' ({SESSIONS}.at)")
    for info in inner.values():
        out[info.leaf] = dataclasses.replace(info, session=True)


def _walk(
    model: type[BaseModel],
    prefix: str,
    out: dict[str, Field],
    groups: set[str],
    problems: list[str],
    seen: set[type[BaseModel]],
    attrs: tuple[str, ...],
    required: bool = True,
) -> None:
    _same_to_python(model, prefix, problems)
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = prefix + key
        here = (*attrs, name)
        if not prefix and key == SESSIONS:
            continue
        always = required and info.is_required() and not _nullable(info.annotation)
        annotation, metadata = _unwrap(info.annotation, list(info.metadata))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                problems.append(f"{path}: the model refers to itself, which rules cannot follow")
                continue
            groups.add(path)
            # A group made by its default (`default_factory`) is always there; one that may be None is not.
            present = required and not _nullable(info.annotation)
            _walk(annotation, path + ".", out, groups, problems, seen | {annotation}, here, present)
            continue
        try:
            rule_type = _rule_type(annotation, metadata, info, path)
            ask, answered_by = _question_of(info, metadata)
        except _BadBound as reason:
            problems.append(_BoundProblem(f"{path}: {reason}"))
            continue
        except _Unsupported as reason:
            problems.append(f"{path}: {reason}")
            continue
        out[path] = Field(path, rule_type, attrs=here, ask=ask, answered_by=answered_by, required=always)


def _same_to_python(model: type[BaseModel], prefix: str, problems: list[str]) -> None:
    """Refuse two fields of one model whose names are one name once NFKC-normalised.

    Python reads identifiers in NFKC form (a full-width s, U+FF53, is `s`),
    and a rule author cannot tell such names apart either: a red flag could
    read the other field.
    """
    for spelling in ("name", "key"):
        seen: dict[str, str] = {}
        for name, info in model.model_fields.items():
            written = name if spelling == "name" else info.alias or name
            other = seen.setdefault(unicodedata.normalize("NFKC", written), written)
            if other != written:
                problems.append(
                    f"{prefix}{written}: its name is the same as '{prefix}{other}' once normalised "
                    "as Python reads names (NFKC), so neither rules nor Python can tell them apart; "
                    "rename one of them"
                )


class _Unsupported(Exception):
    pass


class _BadBound(_Unsupported):
    pass


class _BoundProblem(str):
    """A problem with a field's bound (CR218), told apart from the others (CR217)."""


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip `Optional[...]` and `Annotated[...]`, collecting the metadata on the way."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, metadata


def _rule_type(annotation: Any, metadata: list[Any], info: PydanticField, path: str) -> t.RuleType:
    unit_word = _unit_of(info, metadata)
    unit = _unit(unit_word) if unit_word is not None else None
    if annotation is bool:
        return t.BOOL
    if annotation in (int, float):
        low, high = _bounds(metadata)
        return t.NumberType(annotation is int, unit, low, high)
    if annotation is dt.datetime or annotation is AwareDatetime:
        return t.DATETIME
    if annotation is dt.date:
        return t.DATE
    if annotation is str:
        return t.TEXT
    enum = _enum_type(annotation, path)
    if enum is not None:
        return enum
    origin = typing.get_origin(annotation)
    if origin in (list, set, frozenset, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        item, _ = _unwrap(args[0], []) if len(args) == 1 else (None, [])
        item_enum = _enum_type(item, path) if item is not None else None
        if item_enum is not None:
            return t.EnumListType(item_enum)
        raise _Unsupported(
            f"a collection of {_name(args[0]) if args else 'anything'}; rules can use collections of enums only"
        )
    if isinstance(annotation, str | typing.ForwardRef):
        # pydantic leaves a name it could not resolve when the class was made
        raise _Unsupported(
            f"type {_name(annotation)} is a name pydantic has not resolved; "
            "define the nested model first, or call model_rebuild() on the model before passing it"
        )
    raise _Unsupported(
        f"type {_name(annotation)} is not one rules can use "
        "(bool, int, float, str, datetime, date, an enum, Literal, a list of enums, or a nested model)"
    )


def _enum_type(annotation: Any, path: str) -> t.EnumType | None:
    if isinstance(annotation, type) and issubclass(annotation, IntEnum):
        # An ordinal scale (a grade, a risk class): named by its members, ranked by value.
        members = sorted(annotation, key=lambda m: m.value)
        if not members:
            raise _Unsupported(f"enum {annotation.__name__} has no members")
        return t.EnumType(annotation.__name__, tuple(m.name for m in members), True, annotation, by_name=True)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = [m.value for m in annotation]
        if not all(isinstance(v, str) for v in values):
            raise _Unsupported(
                f"enum {annotation.__name__} has values that are not text (an ordinal scale of numbers is an IntEnum)"
            )
        return t.EnumType(annotation.__name__, tuple(values), issubclass(annotation, OrdinalEnum), annotation)
    if typing.get_origin(annotation) is Literal:
        values = list(typing.get_args(annotation))
        if not all(isinstance(v, str) for v in values):
            raise _Unsupported("a Literal whose values are not all text")
        return t.EnumType(path, tuple(values), False)
    return None


def _unit(word: str) -> Unit:
    """A declared unit: the table's, else its own dimension when a rule can write it after a number."""
    unit = unit_named(word)
    if unit is not None:
        return unit
    if not writable(word):
        raise _Unsupported(
            f"the unit '{word}' cannot be written after a number in a rule; use one of the table's "
            f"({TABLE_WORDS}), or a unit with a capital letter or a '/' such as mmHg, /min or mmol/L, "
            "or bpm, mg, mcg, ml, mmol, g or lb"
        )
    return own_unit(word)


def _extras(info: PydanticField, metadata: list[Any]) -> list[dict[str, Any]]:
    """The field's `json_schema_extra` dicts: its own first, then those of its `Annotated` metadata."""
    extras = [info.json_schema_extra] + [
        m.json_schema_extra for m in metadata if isinstance(m, PydanticField)
    ]
    return [extra for extra in extras if isinstance(extra, dict)]


def _unit_of(info: PydanticField, metadata: list[Any]) -> str | None:
    for extra in _extras(info, metadata):
        if "unit" in extra:
            return str(extra["unit"])
    return None


def _question_of(info: PydanticField, metadata: list[Any]) -> tuple[str | None, str | None]:
    """The field's question (its `ask`, else its description) and who answers it.

    An `ask` that is not a text or is blank, and an `answered_by` that is not
    one of `ANSWERED_BY`, are refused: a patient would be shown nothing, or
    an app could not tell whom to ask.
    """
    ask: object = None
    answered_by: object = None
    for extra in reversed(_extras(info, metadata)):  # the field's own words win over its type's
        ask = extra.get("ask", ask)
        answered_by = extra.get("answered_by", answered_by)
    if ask is not None and (not isinstance(ask, str) or not ask.strip()):
        raise _Unsupported(f"its 'ask' is {_shown(ask)}; a question is a text of at least one word")
    if answered_by is not None and answered_by not in ANSWERED_BY:
        raise _Unsupported(
            f"its 'answered_by' is {_shown(answered_by)}; it is one of {', '.join(ANSWERED_BY)}"
        )
    description = info.description.strip() if isinstance(info.description, str) else ""
    text = ask.strip() if isinstance(ask, str) else description or None
    return text, answered_by if isinstance(answered_by, str) else None


def _shown(value: object) -> str:
    return "an empty text" if isinstance(value, str) and not value.strip() else f"{value!r}"


def _nullable(annotation: Any) -> bool:
    """True when the annotation admits None (`X | None`, `Optional[X]`, inside `Annotated` too)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _nullable(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(a is type(None) or _nullable(a) for a in typing.get_args(annotation))
    return annotation is type(None) or annotation is Any


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low: float | None = None
    high: float | None = None
    constraints = list(metadata)
    for item in metadata:
        if isinstance(item, PydanticField):
            constraints.extend(item.metadata)
    for item in constraints:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            ge = isinstance(item, annotated_types.Ge)
            low = _bound(item.ge if ge else item.gt, "ge" if ge else "gt")  # type: ignore[union-attr]
        elif isinstance(item, annotated_types.Le | annotated_types.Lt):
            le = isinstance(item, annotated_types.Le)
            high = _bound(item.le if le else item.lt, "le" if le else "lt")  # type: ignore[union-attr]
    return low, high


def _bound(value: object, word: str) -> float:
    """A bound as a float, refused unless finite and within the number limit.

    A bound such as `le=10**5000` cannot become a float, and one beyond the
    limit could let a patient value through that no rule can compare safely.
    """
    shown: str | None = None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        number, shown = math.inf, "a number too large to read"
    except (TypeError, ValueError):
        number, shown = math.nan, f"a {type(value).__name__}, not a number"
    if isinstance(value, bool) or not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise _BadBound(
            f"the bound {word}={shown or f'{number:g}'} cannot be used; "
            "rules need a finite bound of at most 1e15 in magnitude"
        )
    return number


def _session_model(annotation: Any) -> type[BaseModel] | None:
    annotation, _ = _unwrap(annotation, [])
    if typing.get_origin(annotation) is not list:
        return None
    (item,) = typing.get_args(annotation) or (None,)
    item, _ = _unwrap(item, [])
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


def _name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
