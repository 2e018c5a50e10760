"""Frozen records: the classes of the syntax tree and the checked program, made cheaply at import.

`@dataclass(frozen=True)` has Python compile up to six methods from source
for each class when its module is imported (`__init__`, `__repr__`,
`__eq__`, `__hash__`, `__setattr__`, `__delattr__`); with a hundred node
classes that was a third of what `clinrules check` spends importing its own
modules. `record` compiles one, `__init__`; the others are shared functions
that read the class's field names, stored on it once. The result is still a
dataclass to `dataclasses` (`fields`, `replace`, `is_dataclass`, pattern
matching by position) and to type checkers (`dataclass_transform`), and as
immutable: assigning or deleting any attribute raises `FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_Class = TypeVar("_Class", bound=type)

_NO_VALUE = object()
"""The default of a field with a `default_factory`: the factory runs when it is left out."""


def _frozen_setattr(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]
    key = self._record_key
    return bool(key(self) == key(other))


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _no_fields(_: object) -> tuple[()]:
    return ()


def _key(names: tuple[str, ...]) -> Callable[[object], object]:
    """The values of the compared fields, as a tuple (as a frozen dataclass compares and hashes them)."""
    if not names:
        return _no_fields
    if len(names) == 1:
        one = operator.attrgetter(names[0])
        return lambda item: (one(item),)
    return operator.attrgetter(*names)


def _init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    """`__init__`, compiled from source as a dataclass's is, setting each field past the frozen guard."""
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_NO_VALUE": _NO_VALUE}
    parameters, body = ["self"], []
    for f in fields:
        if not f.init:
            continue
        value = f.name
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            parameters.append(f"{f.name}=_default_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            parameters.append(f"{f.name}=_NO_VALUE")
            value = f"_factory_{f.name}() if {f.name} is _NO_VALUE else {f.name}"
        else:
            parameters.append(f.name)
        body.append(f"    _set(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__({', '.join(parameters)}):\n" + ("\n".join(body) or "    pass") + "\n"
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init


def _make(cls: _Class, eq: bool) -> _Class:
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)
    own = cls.__dict__
    methods: dict[str, Any] = {
        "__init__": _init(cls, fields),
        "__repr__": _repr,
        "__setattr__": _frozen_setattr,
        "__delattr__": _frozen_delattr,
    }
    if eq:
        methods |= {"__eq__": _eq, "__hash__": _hash}
    for name, method in methods.items():
        if name not in own:
            setattr(cls, name, method)
        elif name in ("__setattr__", "__delattr__"):
            raise TypeError(f"{cls.__qualname__} defines {name}: a record is frozen")
    if any(f.hash is not None for f in fields):
        raise TypeError(f"{cls.__qualname__}: a record hashes the fields it compares (no field(hash=...))")
    cls._record_shown = tuple(f.name for f in fields if f.repr)  # type: ignore[attr-defined]
    cls._record_key = staticmethod(_key(tuple(f.name for f in fields if f.compare)))  # type: ignore[attr-defined]
    return cls


@overload
def record(cls: _Class, /) -> _Class: ...
@overload
def record(*, eq: bool = True) -> Callable[[_Class], _Class]: ...


@dataclass_transform(frozen_default=True, eq_default=True, field_specifiers=(dataclasses.field,))
def record(cls: _Class | None = None, /, *, eq: bool = True) -> _Class | Callable[[_Class], _Class]:
    """A frozen dataclass, made with one compiled method: `@record`, or `@record(eq=False)`.

    `eq=False`: instances compare and hash by identity, as a dataclass's with
    `eq=False` do. Fields take `dataclasses.field` (defaults, factories,
    `compare`, `repr`); `__post_init__` runs after the fields are set.
    """
    if cls is None:
        return lambda c: _make(c, eq)
    return _make(cls, eq)
