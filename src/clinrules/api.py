"""The public entry points: `load`, `compile` and `check_file`.

Each runs the stages in order (read, parse, check) and turns every problem
into a `RulesetError` carrying diagnostics; no other exception leaves for
any rule text. The status gate lives here: a ruleset that is not `approved`
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
from clinrules.base.errors import ClinrulesError, RulesetError
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
        RulesetError: the file cannot be read, has errors, or may not be
            used (its status, or it is a library).
    """
    path = Path(path)
    try:
        files = load_files(path, os.fspath(path))
    except OSError as error:
        raise RulesetError(
            [make("CR215", f"cannot read '{path}': {error.strerror or error}", str(path), Span(1, 1, 1, 1))]
        ) from None
    return _ruleset(files, model, allow_draft)


def compile(
    text: str, *, model: ModelArg = None, source_name: str = "<inline>", allow_draft: bool = False
) -> RuleSet:
    """Parse, check and compile rule text given as a string (it cannot include files).

    Raises:
        RulesetError: as for `load`.
    """
    if not isinstance(text, str):
        raise RulesetError([make("CR002", "rule text must be a str", source_name, Span(1, 1, 1, 1))])
    return _ruleset(files_from_text(text, source_name), model, allow_draft)


def check_file(path: str | os.PathLike[str], *, model: ModelArg = None) -> list[Diagnostic]:
    """Check a ruleset or a library on its own, whatever its status.

    Returns:
        The warnings.

    Raises:
        RulesetError: with every error and warning found.
        OSError: the file cannot be read.
    """
    files = load_files(Path(path), os.fspath(path))
    _program, reporters = check(files, *_model_class(model, files), standalone=True)
    return [d for r in reporters for d in r.diagnostics]


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
    raise ClinrulesError(f"model must be a pydantic model class or a model name, not {type(model).__name__}")
