"""Patient models: the registry of names a ruleset's `model` line can give, and the built-in models.

Below every stage but `base`: the checker looks models up here, and a model
module imports only `ordinal.py` (`OrdinalEnum`), `validated.py` (`Validated`) and pydantic. `sciatica.py`
is the built-in `sciatica` model.

In: a name from a `model` line. Out: a pydantic model class, for `clinrules.schema`.

Built-in models are listed here; third-party packages add theirs under the
entry-point group `clinrules.models`, each entry naming a pydantic model class
(`mypkg.models:Patient`). A built-in name cannot be replaced by a plugin, so
`model sciatica` always means the model this package ships.

`find_model` also takes `module:Class`, for a model that is not packaged
(`clinrules --model`, a case file's `model:`): the module is imported with a
given directory tried first, as `python -m` tries the current one.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

ENTRY_POINT_GROUP = "clinrules.models"

_BUILT_IN = {"sciatica": "clinrules.models.sciatica:Patient"}

_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
SPEC = re.compile(rf"(?P<module>{_DOTTED}):(?P<attribute>{_DOTTED})")
"""A model not registered: `module:Class`, both ASCII dotted names."""


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


def find_model(spec: str, directory: Path, *, only_beside: bool = False) -> type[BaseModel]:
    """The model `spec` names: a registered name, or `module:Class` imported from `directory` first.

    Args:
        spec: `NAME` or `module:Class` (`ottawa_model:Patient`, `pkg.models:Patient`).
        directory: tried first for the module, before the installed packages
            (`sys.path` gets it in front for the import only, as `python -m`
            puts the current directory in front).
        only_beside: the module must lie in `directory` (a case file's
            model: what a case file names runs no code from elsewhere).

    Raises:
        UnknownModelError: the spec is malformed, no such name, the module
            cannot be imported (whatever it raised), has no such class, or
            the class is not a pydantic model.
    """
    if ":" not in spec:
        return resolve_model(spec)
    match = SPEC.fullmatch(spec) if len(spec) <= 200 else None
    if match is None:
        raise UnknownModelError(
            spec,
            model_names(),
            f"'{_cut(spec)}' is neither a model name nor module:Class (such as ottawa_model:Patient)",
        )
    from pydantic import BaseModel

    module_name, attribute = match["module"], match["attribute"]
    value: object = _import(spec, module_name, directory, only_beside)
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except Exception:  # AttributeError, or whatever a module's __getattr__ raises
            raise UnknownModelError(
                spec, model_names(), f"the module '{module_name}' has no '{attribute}'{_classes(value)}"
            ) from None
    if not (isinstance(value, type) and issubclass(value, BaseModel)):
        raise UnknownModelError(spec, model_names(), f"'{spec}' is not a pydantic model class")
    return value


def _import(spec: str, module_name: str, directory: Path, only_beside: bool) -> object:
    top = module_name.split(".")[0]
    local = next((c for c in (directory / f"{top}.py", directory / top / "__init__.py") if c.is_file()), None)
    if only_beside and local is None:
        raise UnknownModelError(
            spec,
            model_names(),
            f"the module '{top}' is not in {directory} (no {top}.py there); a case file imports only "
            "a module beside it: an installed model is named by its registered name",
        )
    loaded = getattr(sys.modules.get(top), "__file__", None)
    if local is not None and loaded is not None and Path(loaded).resolve() != local.resolve():
        raise UnknownModelError(
            spec,
            model_names(),
            f"could not import '{module_name}' from {directory}: a module named '{top}' is already "
            f"loaded from {loaded}; give the model's module a name of its own",
        )
    where = str(directory)
    sys.path.insert(0, where)
    importlib.invalidate_caches()  # a module written since start-up (an editor, a test) is seen
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name is not None and f"{module_name}.".startswith(f"{error.name}."):
            reason = f"no module named '{error.name}' in {directory} or the installed packages"
        else:
            reason = f"it raised {_said(error)}"
        raise UnknownModelError(spec, model_names(), f"could not import '{module_name}': {reason}") from None
    except (Exception, SystemExit) as error:  # a model's own code can raise anything, exit included
        raise UnknownModelError(
            spec,
            model_names(),
            f"could not import '{module_name}': it raised {_said(error)}",
        ) from None
    finally:
        if where in sys.path:
            sys.path.remove(where)


def _classes(module: object) -> str:
    """`; its pydantic models are: A, B` for a message, or nothing."""
    from pydantic import BaseModel

    names = sorted(
        name
        for name, value in getattr(module, "__dict__", {}).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    )[:20]
    return f"; its pydantic models are: {', '.join(names)}" if names else ""


def _said(error: BaseException) -> str:
    """`ValueError: the text`, for an exception from code clinrules does not control."""
    try:
        text = str(error)
    except Exception:  # an exception whose __str__ fails too
        text = ""
    return f"{type(error).__name__}: {_cut(text, 300)}" if text else type(error).__name__


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
