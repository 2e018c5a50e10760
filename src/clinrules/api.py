"""The public entry points: `load`, `compile` and `check_file`.

Each runs the stages in order (read, parse, check) and turns every problem
into a `RulesetError` carrying diagnostics; no other exception leaves for
any rule text or any path. An argument of the wrong type (`load(123)`,
`model=42`) is an `ArgumentError`, before anything is read. The status gate lives here: a ruleset that is not `approved`
loads only with `allow_draft=True`, a `retired` one never, and a library is
never a ruleset on its own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.errors import ArgumentError, RulesetError
from clinrules.base.span import Span
from clinrules.check.checker import check
from clinrules.check.loader import LoadedFile, files_from_text, load_files
from clinrules.models import UnknownModelError, model_names, resolve_model
from clinrules.syntax import ast

if TYPE_CHECKING:
    from clinrules.ruleset import RuleSet

ModelArg = type[BaseModel] | str | None


def load(path: str | os.PathLike[str], *, model: ModelArg = None, allow_draft: bool = False) -> RuleSet:
    """Parse, check and compile a ruleset file and the libraries it includes.

    Args:
        path: the ruleset file.
        model: a pydantic model class, or a registered model name, that
            overrides the header's `model` line (which may then be left out).
        allow_draft: load a ruleset whose status is not `approved`.

    Raises:
        RulesetError: the file cannot be read (CR215: missing, a directory, a
            name with a NUL character or too long), has errors, or may not be
            used (its status, or it is a library).
        ArgumentError: `path` is not a str or path, `model` not a model
            class or name, `allow_draft` not a bool.
    """
    _flag("allow_draft", allow_draft)
    _model_arg(model)
    return _ruleset(_read(path), model, allow_draft)


def compile(
    text: str, *, model: ModelArg = None, source_name: str = "<inline>", allow_draft: bool = False
) -> RuleSet:
    """Parse, check and compile rule text given as a string (it cannot include files).

    Raises:
        RulesetError: as for `load`; also CR002 when `text` is not a str or
            holds a lone surrogate, and CR008 for an invisible character.
        ArgumentError: `source_name` is not a str, or `model` or
            `allow_draft` as for `load`.
    """
    if not isinstance(source_name, str):
        raise ArgumentError(f"source_name must be a str, not {type(source_name).__name__}")
    _flag("allow_draft", allow_draft)
    _model_arg(model)
    if not isinstance(text, str):
        raise RulesetError([make("CR002", "rule text must be a str", source_name, Span(1, 1, 1, 1))])
    return _ruleset(files_from_text(text, source_name), model, allow_draft)


def check_file(path: str | os.PathLike[str], *, model: ModelArg = None) -> list[Diagnostic]:
    """Check a ruleset or a library on its own, whatever its status.

    Returns:
        The warnings.

    Raises:
        RulesetError: with every error and warning found, or CR215 when the
            file cannot be read, as for `load`.
        ArgumentError: as for `load`.
    """
    _model_arg(model)
    files = _read(path)
    _program, reporters = check(files, *_model_class(model, files), standalone=True)
    return [d for r in reporters for d in r.diagnostics]


def _read(path: object) -> list[LoadedFile]:
    """The file at `path` and its includes, any failure to read them a CR215."""
    if not isinstance(path, str | os.PathLike):
        raise ArgumentError(f"path must be a str or an os.PathLike, not {type(path).__name__}")
    name = os.fspath(path)
    if not isinstance(name, str):
        raise ArgumentError(f"path must name a file as text, not {type(name).__name__}")

    def unreadable(reason: str) -> RulesetError:
        return RulesetError([make("CR215", f"cannot read '{name}': {reason}", name, Span(1, 1, 1, 1))])

    if "\0" in name:
        raise unreadable("a file name cannot hold a NUL character")
    try:
        return list(load_files(Path(name), name))
    except OSError as error:
        raise unreadable(error.strerror or str(error)) from None
    except ValueError as error:  # a name the operating system cannot take, such as an unencodable one
        raise unreadable(str(error)) from None


def _flag(name: str, value: object) -> None:
    """Refuse a flag that is not a bool: `allow_draft="no"` would allow a draft."""
    if not isinstance(value, bool):
        raise ArgumentError(f"{name} must be True or False, not {type(value).__name__}")


def _model_arg(model: object) -> None:
    if model is None or isinstance(model, str) or (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    raise ArgumentError(f"model must be a pydantic model class or a model name, not {type(model).__name__}")


def _ruleset(files: Sequence[LoadedFile], model: ModelArg, allow_draft: bool) -> RuleSet:
    from clinrules.ruleset import RuleSet  # the evaluator is imported only by what evaluates

    program, reporters = check(files, *_model_class(model, files))
    warnings = [d for r in reporters for d in r.diagnostics]
    root = files[0].rule_file
    status_line = next((x for x in root.header.lines if x.key == "status"), None)
    where = status_line.span if status_line else root.header.span
    refusal: str | None = None
    hint: str | None = None
    if root.header.kind is ast.FileKind.LIBRARY:
        refusal = "a library cannot be used on its own: load the ruleset that includes it"
    elif program.status == "retired":
        refusal = "this ruleset is retired and must not be used"
        hint = "use the ruleset that replaces it"
    elif program.status != "approved" and not allow_draft:
        refusal = (
            f"this ruleset's status is '{program.status}': it has not been approved by a named clinician"
        )
        hint = "to use it anyway, for testing or review, pass allow_draft=True (CLI: --allow-draft)"
    if refusal is not None:
        raise RulesetError([make("CR420", refusal, root.file, where, hint), *warnings])
    return RuleSet(program, warnings)


def _model_class(model: ModelArg, files: Sequence[LoadedFile]) -> tuple[type[BaseModel] | None, str | None]:
    """The model class an API call passes, and the name it is known by."""
    if model is None:
        return None, None
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model, model.__name__
    if isinstance(model, str):
        try:
            return resolve_model(model), model
        except UnknownModelError as error:
            raise RulesetError(
                [
                    make(
                        "CR205",
                        error.reason or f"unknown model '{model}'",
                        files[0].rule_file.file,
                        files[0].rule_file.header.span,
                        f"the models are: {', '.join(model_names())}",
                    )
                ]
            ) from None
    raise ArgumentError(f"model must be a pydantic model class or a model name, not {type(model).__name__}")
