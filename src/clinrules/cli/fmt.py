"""`clinrules fmt PATH... [--check]`: rewrite rule files in the one canonical layout.

A file is only ever replaced whole: the formatted text goes to a temporary
file beside it, given the file's owner and mode, which is then renamed over
it, so an interrupted run leaves either the old file or the new one, never
half of each (a truncated rule file could still parse, with a red flag
missing). Replacing a file must lose nothing, so fmt refuses, and leaves
untouched, what a rename cannot keep: a symbolic link (fmt never rewrites a
file through a link, which could lead out of the tree), a file with other
hard links (they would keep the old text), a file whose owner or group it
cannot give the new file, and a file that changed since it was read. Each
refusal is printed and makes the exit status 1; the other files are still
formatted. A file with syntax errors is not touched; its diagnostics are
printed as `clinrules check` prints them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TextIO

from clinrules.authoring.fmt import format_text
from clinrules.base.errors import FormatError, RulesetError
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, expand_paths, print_diagnostics
from clinrules.syntax.source import SourceText, read_source


class _Refused(Exception):
    """The file cannot be replaced without losing something: the reason, in words."""


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Format (or, with `--check`, check) every file the paths name.

    Returns:
        0 when every file is (or now is) formatted; 1 when a file has syntax
        errors, with `--check` when a file would change, or when a file that
        needs formatting cannot be replaced safely (see the module docstring).

    Raises:
        UsageError: a path does not exist or a file cannot be read or written.
    """
    failed = False
    for path in expand_paths(args.paths, "*.rules"):
        formatted = _formatted(path, err)
        if formatted is None:
            failed = True
            continue
        source, text, changed = formatted
        if changed:
            if args.check:
                failed = True
            else:
                try:
                    _replace(path, source, text)
                except _Refused as refusal:
                    print(f"clinrules: error: '{path}' was not formatted: {refusal}", file=err)
                    failed = True
                    continue
            print(path, file=out)
    return EXIT_FAILED if failed else EXIT_OK


def _formatted(path: Path, err: TextIO) -> tuple[SourceText, str, bool] | None:
    """The file, its formatted text and whether that differs from it; None after printing its errors."""
    try:
        source = read_source(path)
        formatted = format_text(source.text, source.name)
        return source, formatted, formatted != source.text or source.had_bom
    except RulesetError as error:
        print_diagnostics(error.diagnostics, err)
        return None
    except FormatError as error:
        print(f"clinrules: error: {error}; this is a bug in clinrules, please report it", file=err)
        return None
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror or error}") from None


def _identity(status: os.stat_result) -> tuple[int, ...]:
    """What changes when a file is replaced, written or has its owner or mode changed."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def _check_replaceable(path: Path, source: SourceText) -> os.stat_result:
    """The file's status, when replacing it loses nothing.

    Raises:
        _Refused: a symbolic link, not a regular file, other hard links, or
            changed since it was read.
    """
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        raise _Refused(
            "it is a symbolic link, and fmt never writes through one; run fmt on the file it points to"
        )
    if not stat.S_ISREG(status.st_mode):
        raise _Refused("it is not a regular file")
    if status.st_nlink > 1:
        raise _Refused(
            f"it has {status.st_nlink} hard links, which a replaced file would no longer share; "
            "remove the other links, or format a copy and copy it back"
        )
    if source.status is None or _identity(status) != _identity(source.status):
        raise _Refused("it changed while it was being formatted; run fmt again")
    return status


def _replace(path: Path, source: SourceText, text: str) -> None:
    """Write `text` to `path` atomically: a temporary file beside it, then a rename.

    Raises:
        _Refused: replacing the file would lose something (`_check_replaceable`).
        UsageError: the file cannot be written.
    """
    temporary: str | None = None
    try:
        status = _check_replaceable(path, source)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
            _keep_owner(file.fileno(), status)
            os.chmod(temporary, stat.S_IMODE(status.st_mode))  # after chown, which clears set-id bits
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        _check_replaceable(path, source)  # once more, just before the rename
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise UsageError(f"cannot write '{path}': {error.strerror or error}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _keep_owner(descriptor: int, status: os.stat_result) -> None:
    fchown = getattr(os, "fchown", None)
    mine = os.fstat(descriptor)
    if fchown is None or (mine.st_uid, mine.st_gid) == (status.st_uid, status.st_gid):
        return
    try:
        fchown(descriptor, status.st_uid, status.st_gid)
    except PermissionError:
        raise _Refused(
            "it belongs to another user or group, which the formatted file could not keep; "
            "run fmt as its owner"
        ) from None
