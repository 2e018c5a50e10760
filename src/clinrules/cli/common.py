"""What the commands of the CLI share: the usage error, paths, and printing diagnostics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from clinrules.base.diagnostics import Diagnostic, render

# The exit codes of contracts.md section 3; 70 is a bug in clinrules.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A problem with the command line or a path: exit 2."""


def expand_paths(paths: Sequence[str], pattern: str) -> list[Path]:
    """The files the command-line paths name: a directory means every match below it.

    Raises:
        UsageError: a path does not exist, or a directory holds no match.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            below = sorted(p for p in path.rglob(pattern) if p.is_file())
            if not below:
                raise UsageError(f"no {pattern} files under '{raw}'")
        elif path.exists():
            below = [path]
        else:
            raise UsageError(f"cannot read '{raw}': no such file or directory")
        for item in below:
            if item.resolve() not in seen:
                seen.add(item.resolve())
                found.append(item)
    return found


def print_diagnostics(diagnostics: Iterable[Diagnostic], err: TextIO) -> None:
    """Render diagnostics as `clinrules check` does, each with its source line."""
    texts: dict[str, str | None] = {}
    for diagnostic in diagnostics:
        if diagnostic.file not in texts:
            texts[diagnostic.file] = _text_of(diagnostic.file)
        print(render(diagnostic, texts[diagnostic.file]), file=err)


def _text_of(file: str) -> str | None:
    """A file's text for showing source lines; None when it cannot be read."""
    try:
        return Path(file).read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None
