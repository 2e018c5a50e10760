"""The strict type check's fast ways: values of the right kind settled many at a time.

`inputs.strict_problems` checks each value a rule can read for its JSON kind
(docs/semantics.md) and words every refusal. Most patients have none, and
most of their values are in the session log: these passes settle a log of
right values, or a validated instance's values, with the same tests run a
field at a time in C loops (`map`, `set`). A pass only ever says "all
right" or "not sure": on "not sure" the full check runs from the start, so
what is refused, and how it is worded, never depends on them.

The first of them is not a pass over the data at all: `strict_validator`
builds, once per model, the model's own pydantic validator with a strict
one of each field's kind before the field's lax one, so that the check and
the validation are one call into pydantic-core; what it refuses, it only
does not vouch for.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from itertools import repeat
from operator import attrgetter, is_not, le
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

from clinrules.base.limits import MAX_MAGNITUDE
from clinrules.models.validated import KEEPS_VALUES
from clinrules.schema import types as t
from clinrules.schema.reader import SESSIONS, Schema, schema_of

__all__ = [
    "DATE_TEXT",
    "PLAIN_KINDS",
    "TIME_KINDS",
    "TIME_TEXT",
    "alias_of",
    "instance_passes",
    "sessions_pass",
    "strict_validator",
]

# Its own object: the session loop tells a time field from a text or choice field by identity
# (`kinds is TIME_KINDS`), since all three accept `str` and only a time needs its offset checked.
TIME_KINDS = frozenset({str})
_NUMBER_KINDS = frozenset({int, float})
_DICT = frozenset({dict})
_BOOL = frozenset({bool})
_IS_KNOWN = partial(is_not, None)  # a C-level test, as `map` and `filter` call it for every value
PLAIN_KINDS: Mapping[type, frozenset[type]] = MappingProxyType(
    {
        t.NumberType: _NUMBER_KINDS,
        t.BoolType: frozenset({bool}),
        t.TextType: frozenset({str}),
        t.EnumType: frozenset({str}),
        t.DateTimeType: TIME_KINDS,
    }
)
"""Field kinds whose common right values one type test settles (a number also needs its range,
a time its offset, an exercise id the ruleset); anything else takes the full check."""


def alias_of(model: type[BaseModel] | None, key: str) -> str | None:
    """The alias of the field whose Python name is `key`, when the model takes Python names; else None."""
    if model is None:
        return None
    config = model.model_config
    if not (config.get("populate_by_name") or config.get("validate_by_name")):
        return None
    info = model.model_fields.get(key)
    if info is None or not info.alias or info.alias == key:
        return None
    return info.alias


def sessions_pass(
    plain: Mapping[Any, frozenset[type] | None],
    model: type[BaseModel] | None,
    sessions: Sequence[Any],
    exercise_key: str | None,
    exercises: Collection[str] | None,
) -> bool:
    """Whether every session value passes the loop's one-type-test way, checked a key at a time.

    The same tests as the loop below, but each over one key's values in C
    loops (`map`, `set`): a log of right values, by far the most common, is
    settled here. Anything else (a session that is not a dict, a key that is
    an alias or a whole-number choice, one wrong value) returns False, and
    the loop, which words every refusal, checks the log from the start, so
    a refusal is the same with or without this pass.
    """
    if not set(map(type, sessions)) <= _DICT:
        return False
    for key in set().union(*sessions):
        if key not in plain:
            if isinstance(key, str) and alias_of(model, key) is not None:
                return False
            continue  # not a field: the loop skips it too, and the model reports it
        kinds = plain[key]
        if kinds is None:
            return False
        values: list[Any] = list(filter(_IS_KNOWN, map(dict.get, sessions, repeat(key))))
        if not values:
            continue
        found = set(map(type, values))
        if not found <= kinds:
            return False
        if kinds is TIME_KINDS:
            try:
                if None in map(dt.datetime.utcoffset, map(dt.datetime.fromisoformat, values)):
                    return False
            except ValueError:
                return False
        elif key == exercise_key and exercises is not None:
            if not all(map(exercises.__contains__, values)):
                return False
        elif kinds is _NUMBER_KINDS and not all(map(le, map(abs, values), repeat(MAX_MAGNITUDE))):
            return False  # `le` is false for NaN too
    return True


WrongKind = Callable[[t.RuleType, Any], object]
"""`inputs._wrong_kind`: None when a known value is of its field's kind."""


def instance_passes(
    schema: Schema, patient: BaseModel, exercises: Collection[str] | None, wrong_kind: WrongKind
) -> bool:
    """Whether every value of a validated instance that a rule can read is of its field's kind.

    The model's own (lax) validation may keep a value the strict check
    refuses (a number beyond `MAX_MAGNITUDE`, a NaN where the model sets no
    bound), so a validated instance is still checked; from its attributes,
    without dumping it. With `exercises`, every session's exercise must be
    one of them.
    """
    for field in schema.fields.values():
        value: Any = patient
        for attr in field.attrs:
            value = getattr(value, attr)
            if value is None:
                break
        else:
            if not _column_passes(field.type, [value], wrong_kind):
                return False
    if not schema.has_sessions:
        return True
    sessions = getattr(patient, SESSIONS) or ()
    for key, field in schema.session_fields.items():
        values = list(filter(_IS_KNOWN, map(attrgetter(".".join(field.attrs)), sessions)))
        if values and not _column_passes(field.type, values, wrong_kind):
            return False
        if key == "exercise" and exercises is not None and not all(map(exercises.__contains__, values)):
            return False
    return True


def _column_passes(kind: t.RuleType, values: Sequence[Any], wrong_kind: WrongKind) -> bool:
    """Whether each of these known values (Python's: enum members, datetimes) is of the kind."""
    cls = kind.__class__
    found = set(map(type, values))
    if cls is t.NumberType:
        return found <= _NUMBER_KINDS and all(map(le, map(abs, values), repeat(MAX_MAGNITUDE)))
    if cls is t.BoolType:
        return found <= _BOOL
    if cls is t.TextType:
        return found <= TIME_KINDS
    if cls is t.EnumType and not getattr(kind, "by_name", False):
        return all(issubclass(each, str | Enum) for each in found)
    if cls is t.DateTimeType and all(issubclass(each, dt.datetime) for each in found):
        try:  # as `time_trouble` asks: any failure of a caller's tzinfo is not sure
            return None not in map(dt.datetime.utcoffset, values)
        except Exception:
            return False
    return all(wrong_kind(kind, value) is None for value in values)


# ---------------------------------------------------------------- the check inside pydantic's validation

# A subset of ISO 8601 that `datetime.fromisoformat` reads, with a UTC offset, whenever pydantic
# reads it too (so the day fits its month): `[0-9]`, not `\d`, which the regex engine reads as any
# Unicode digit. Year 0000 and hour 24 are left out; fromisoformat refuses them.
_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_DAY = f"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_HOURS = "(?:[01][0-9]|2[0-3])"
TIME_TEXT = f"^{_DAY}T{_HOURS}:[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{{1,6}})?(?:Z|[+-]{_HOURS}:[0-5][0-9])$"
DATE_TEXT = f"^{_DAY}$"
_WRAPPERS = frozenset({"default", "nullable", "function-after"})


class _NotSure(Exception):
    """A part of the model the strict validator cannot mirror: the model is always checked the long way."""


@functools.lru_cache(maxsize=64)
def strict_validator(model: type[BaseModel]) -> SchemaValidator | None:
    """The model's own validation with the strict kinds in it, built once per model; None if it cannot be.

    Every value a rule can read passes, before the model's own (lax)
    validator of it, a strict one: a yes/no only `true` or `false`, a number
    an int or a float (not a bool) within `MAX_MAGNITUDE`, a choice or a text
    a string, a time a string of `TIME_TEXT`. What passes is what the strict
    check passes, and is then validated by the same validators as with
    `model_validate`, into the same instance; what does not pass is not
    refused here: `inputs.patient_of` then checks it the long way, which
    words every problem. So this validator may be stricter than the check
    (a whole number written `7.0`, a time with a lowercase `z`), never less
    strict, and where it cannot be sure of that (an alias, a before-validator
    not marked `keeps_values`, a field kind it does not know) there is none.
    """
    try:
        schema = schema_of(model)
        if not model.__pydantic_complete__:
            model.model_rebuild()
        core = model.__pydantic_core_schema__
        if not isinstance(core, dict):
            return None
        walk = _Walk(schema, set(), [])
        mirrored = _through(core, lambda node: _model(node, walk, "", False))
        if walk.reached != {*schema.fields, *(f"{SESSIONS}.{key}" for key in schema.session_fields)}:
            return None  # a field the walk did not meet would go unchecked
        validator = _built(mirrored, _model_node(core).get("config"), walk.models)
    except Exception:  # `_NotSure`, or a model this walk does not foresee: checked the long way
        return None
    # A model pydantic has built is taken as it is ("prebuilt"), without the strict validators put in
    # its fields; `_built` keeps that from happening, and this makes sure it did not.
    return None if "Prebuilt" in repr(validator) else validator


@dataclass
class _Walk:
    schema: Schema
    reached: set[str]
    """The paths of the fields given a strict validator."""
    models: list[type[BaseModel]]
    """The model classes met."""


def _built(mirrored: Any, config: Any, models: Sequence[type[BaseModel]]) -> SchemaValidator:
    """The validator of the mirrored schema, each nested model's validator built from it.

    pydantic-core takes a model whose class is complete (built) as its class's validator, which has
    no strict validators in it; marked incomplete while this validator is built, it is built anew,
    from the mirrored schema. The mark is put back at once: the class is used as it was.
    """
    complete = [m for m in dict.fromkeys(models) if m.__dict__.get("__pydantic_complete__") is True]
    try:
        for each in complete:
            type.__setattr__(each, "__pydantic_complete__", False)
        return SchemaValidator(mirrored, config)
    finally:
        for each in complete:
            type.__setattr__(each, "__pydantic_complete__", True)


def _through(node: Any, inner: Callable[[Any], Any]) -> Any:
    """The node with `inner` applied under its wrappers: a default, None allowed, after-validators."""
    kind = node.get("type")
    if kind in _WRAPPERS or (kind == "function-before" and _keeps_values(node)):
        return {**node, "schema": _through(node["schema"], inner)}
    return inner(node)


def _keeps_values(node: Mapping[str, Any]) -> bool:
    return getattr(node.get("function", {}).get("function"), KEEPS_VALUES, False) is True


def _model_node(node: Any) -> Mapping[str, Any]:
    while node.get("type") != "model":
        if node.get("type") not in _WRAPPERS | {"function-before"}:
            raise _NotSure(node.get("type"))
        node = node["schema"]
    return node  # type: ignore[no-any-return]


def _model(node: Any, walk: _Walk, prefix: str, session: bool) -> Any:
    if node.get("type") != "model" or node["schema"].get("type") != "model-fields":
        raise _NotSure(node.get("type"))
    schema, reached = walk.schema, walk.reached
    walk.models.append(node["cls"])
    fields = node["schema"]
    mirrored: dict[str, Any] = {}
    for name, field in fields["fields"].items():
        alias = field.get("validation_alias")
        if alias is not None and alias != name:
            raise _NotSure(f"{prefix}{name} has an alias")  # the strict check follows both keys
        path = prefix + name
        if not prefix and not session and name == SESSIONS and schema.has_sessions:
            inner = _through(field["schema"], lambda n: _sessions(n, walk))
        elif not session and path in schema.groups:
            inner = _through(
                field["schema"], functools.partial(_model, walk=walk, prefix=path + ".", session=False)
            )
        else:
            found = schema.session_fields.get(name) if session else schema.fields.get(path)
            if found is None:
                raise _NotSure(f"{path} is not a field rules read")
            inner = _through(field["schema"], functools.partial(_strict, found.type))
            reached.add(f"{SESSIONS}.{name}" if session else path)
        mirrored[name] = {**field, "schema": inner}
    return {**node, "schema": {**fields, "fields": mirrored}}


def _sessions(node: Any, walk: _Walk) -> Any:
    if node.get("type") != "list":
        raise _NotSure(node.get("type"))
    items = _through(node["items_schema"], lambda n: _model(n, walk, "", True))
    return {**node, "items_schema": items}


def _strict(kind: t.RuleType, node: Any) -> Any:
    """The node, lax, behind a strict validator of the rule kind; `_NotSure` when the two do not match."""
    cls, core = kind.__class__, node.get("type")
    if cls is t.BoolType and core == "bool":
        return {**node, "strict": True}
    if cls is t.NumberType and core in ("int", "float"):
        # The model's own bounds and the magnitude's, both: a strict int or float takes what the lax
        # one takes of an int or a float, into the same value.
        low, high = node.get("ge"), node.get("le")
        number = {**node, "strict": True, "ge": -MAX_MAGNITUDE, "le": MAX_MAGNITUDE}
        for key, given, pick in (("ge", low, max), ("le", high, min)):
            if given is not None:
                if isinstance(given, bool) or not isinstance(given, int | float):
                    raise _NotSure(f"a bound {given!r}")
                number[key] = pick(given, number[key])
        if core == "float":
            number["allow_inf_nan"] = False
        return number
    if cls is t.TextType and core == "str":
        return {**node, "strict": True}
    if cls is t.EnumType and core in ("enum", "literal"):
        assert isinstance(kind, t.EnumType)
        # An IntEnum's value is a whole number, never a bool (which a strict int refuses); any other
        # choice is a string, whatever its members are.
        first = core_schema.int_schema(strict=True) if kind.by_name else core_schema.str_schema(strict=True)
        return core_schema.chain_schema([first, node])
    if cls is t.DateTimeType and core == "datetime":
        return core_schema.chain_schema([core_schema.str_schema(strict=True, pattern=TIME_TEXT), node])
    if cls is t.DateType and core == "date":
        return core_schema.chain_schema([core_schema.str_schema(strict=True, pattern=DATE_TEXT), node])
    if cls is t.EnumListType and core == "list":
        assert isinstance(kind, t.EnumListType)
        item = kind.item
        return {
            **node,
            "strict": True,
            "items_schema": _through(node["items_schema"], lambda n: _strict(item, n)),
        }
    raise _NotSure(f"{cls.__name__} as {core}")


def strictly_validated(
    schema: Schema, state: object, exercises: Collection[str] | None, context: Mapping[str, Any] | None
) -> BaseModel | None:
    """The state validated by `strict_validator` when it passes, and each session is of one of
    `exercises`: the instance `model_validate` makes, with no strict problem. None when not sure."""
    validator = strict_validator(schema.model)
    if validator is None:
        return None
    try:
        patient = validator.validate_python(state, context=context)
    except Exception:  # refused, or an odd input: the long way words it
        return None
    if exercises is not None and schema.has_sessions:
        exercise = schema.session_fields.get("exercise")
        if exercise is not None:
            said = map(attrgetter(exercise.attrs[-1]), getattr(patient, SESSIONS) or ())
            if not all(map(exercises.__contains__, said)):
                return None
    if not isinstance(patient, schema.model):
        return None
    return patient
