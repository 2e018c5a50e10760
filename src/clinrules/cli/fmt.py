"""`clinrules fmt PATH... [--check]`: rewrite rule files in the one canonical layout.

A file is only ever replaced whole: the formatted text goes to a temporary
file beside it, which is then renamed over it, so an interrupted run leaves
either the old file or the new one, never half of each. A file with syntax
errors is not touched; its diagnostics are printed as `clinrules check`
prints them.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import tempfile
from pathlib import Path
from typing import TextIO

from clinrules.authoring.fmt import format_text
from clinrules.base.errors import FormatError, RulesetError
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, expand_paths, print_diagnostics
from clinrules.syntax.source import read_source


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Format (or, with `--check`, check) every file the paths name.

    Returns:
        0 when every file is (or now is) formatted; 1 when a file has syntax
        errors, or with `--check` when a file would change.

    Raises:
        UsageError: a path does not exist or a file cannot be read or written.
    """
    failed = False
    for path in expand_paths(args.paths, "*.rules"):
        formatted = _formatted(path, err)
        if formatted is None:
            failed = True
            continue
        text, changed = formatted
        if changed:
            if args.check:
                failed = True
            else:
                _replace(path, text)
            print(path, file=out)
    return EXIT_FAILED if failed else EXIT_OK


def _formatted(path: Path, err: TextIO) -> tuple[str, bool] | None:
    """The file's formatted text and whether it differs from the file; None after printing its errors."""
    try:
        source = read_source(path)
        formatted = format_text(source.text, source.name)
        return formatted, formatted != source.text or _has_bom(path)
    except RulesetError as error:
        print_diagnostics(error.diagnostics, err)
        return None
    except FormatError as error:
        print(f"clinrules: error: {error}; this is a bug in clinrules, please report it", file=err)
        return None
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror or error}") from None


def _has_bom(path: Path) -> bool:
    """True when the file starts with a UTF-8 byte-order mark (the formatted file has none)."""
    with path.open("rb") as file:
        return file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: a temporary file beside it, then a rename.

    Raises:
        UsageError: the file cannot be written.
    """
    target = path.resolve()  # a symbolic link keeps pointing at the formatted file
    temporary: str | None = None
    try:
        mode = target.stat().st_mode & 0o7777
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise UsageError(f"cannot write '{path}': {error.strerror or error}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
