"""Patient models: the registry of names a ruleset's `model` line can give, and the built-in models.

Below every stage but `base`: the checker looks models up here, and a model
module imports only `ordinal.py` (`OrdinalEnum`) and pydantic. `sciatica.py`
is the built-in `sciatica` model.

In: a name from a `model` line. Out: a pydantic model class, for `clinrules.schema`.

Built-in models are listed here; third-party packages add theirs under the
entry-point group `clinrules.models`, each entry naming a pydantic model class
(`mypkg.models:Patient`). A built-in name cannot be replaced by a plugin, so
`model sciatica` always means the model this package ships.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

ENTRY_POINT_GROUP = "clinrules.models"

_BUILT_IN = {"sciatica": "clinrules.models.sciatica:Patient"}


class UnknownModelError(LookupError):
    """No model is registered under a name; `.known` lists the names there are."""

    def __init__(self, name: str, known: list[str], reason: str | None = None) -> None:
        self.name = name
        self.known = known
        self.reason = reason
        super().__init__(reason or f"no model named '{name}'")


def _load(target: str) -> object:
    module, _, attribute = target.partition(":")
    value: object = importlib.import_module(module)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


def entry_points(group: str) -> Any:
    """The entry points of a group (imported on first use: importlib.metadata is slow to import)."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def model_names() -> list[str]:
    """Every registered model name, sorted."""
    plugins = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(set(_BUILT_IN) | plugins)


def resolve_model(name: str) -> type[BaseModel]:
    """The pydantic model class registered under `name`.

    Raises:
        UnknownModelError: no such name, or its entry point does not load a
            pydantic model class.
    """
    from pydantic import BaseModel

    if name in _BUILT_IN:
        target: object = _load(_BUILT_IN[name])
    else:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not matches:
            raise UnknownModelError(name, model_names())
        try:
            target = matches[0].load()
        except Exception as error:  # a broken plugin must not crash a load
            raise UnknownModelError(
                name, model_names(), f"the model '{name}' could not be loaded: {error}"
            ) from None
    if not (isinstance(target, type) and issubclass(target, BaseModel)):
        raise UnknownModelError(name, model_names(), f"'{name}' does not name a pydantic model class")
    return target
