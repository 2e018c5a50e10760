"""`clinrules check PATH...`: parse and check rule files, print every diagnostic, count them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

from clinrules.api import check_file
from clinrules.base.diagnostics import Diagnostic, Severity
from clinrules.base.errors import RulesetError
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, expand_paths, print_diagnostics


def rule_files(paths: Sequence[str]) -> list[Path]:
    """Expand the command-line paths: a directory means every `*.rules` file below it.

    Raises:
        UsageError: a path does not exist, or a directory holds no rule file.
    """
    return expand_paths(paths, "*.rules")


def _check_one(
    path: Path, model: type[BaseModel] | None, seen: set[Diagnostic], err: TextIO
) -> list[Diagnostic]:
    """Check one file; print the diagnostics not printed yet (a library checked
    on its own and through the ruleset that includes it reports once)."""
    try:
        diagnostics = check_file(path) if model is None else check_file(path, model=model)
    except RulesetError as error:
        diagnostics = with_model_hint(error.diagnostics)
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror or error}") from None
    fresh = [d for d in diagnostics if d not in seen]
    seen.update(fresh)
    print_diagnostics(fresh, err)
    return fresh


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Check every rule file named, against `--model` when given; exit 1 if any has an error."""
    chosen = chosen_model(args)
    files = rule_files(args.paths)
    diagnostics: list[Diagnostic] = []
    seen: set[Diagnostic] = set()
    for path in files:
        diagnostics.extend(_check_one(path, chosen[0] if chosen else None, seen, err))
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(
        f"checked {_plural(len(files), 'file')}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
        file=out,
    )
    return EXIT_FAILED if errors else EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
