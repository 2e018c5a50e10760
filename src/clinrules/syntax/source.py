"""Reading rule files from disk: bytes -> text, with the CR0xx input checks.

The file is read once, through `base/files.py`: only a regular file (a FIFO
or a device such as /dev/zero is refused with CR007 before anything is read
from it), and at most one byte more than the limit, so a huge file or one
that lies about its size costs nothing (CR003). Text that is not UTF-8 is
refused with the position of the first bad byte rather than guessed at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.errors import RulesetError
from clinrules.base.files import FileTooLargeError, NotRegularFileError, read_bounded_stat
from clinrules.base.limits import MAX_FILE_BYTES
from clinrules.base.span import Span, span_of_offsets
from clinrules.syntax.parser import too_large

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class SourceText:
    """A rule file's text and the name its diagnostics use.

    Attributes:
        status: the `fstat` of the file that was read (None for text given directly).
        had_bom: whether the file started with a UTF-8 byte-order mark (dropped from `text`).
    """

    name: str
    text: str
    status: os.stat_result | None = field(default=None, compare=False)
    had_bom: bool = False


def read_source(path: Path, name: str | None = None, *, beneath: Path | None = None) -> SourceText:
    """Read a rule file as UTF-8 text (a leading byte-order mark is dropped).

    Args:
        path: the file.
        name: the name used in diagnostics (default: the path as given).
        beneath: a directory tree `path` (resolved) must stay in, opened
            component by component without following a symbolic link.

    Raises:
        RulesetError: the file is not a regular file (CR007), is too large
            (CR003) or is not UTF-8 (CR002).
        OutsideTreeError: with `beneath`, the path leaves the tree or a part
            of it is a symbolic link (the caller reports it where it was named).
        OSError: the file cannot be read at all (a directory among them).
    """
    shown = name if name is not None else str(path)
    try:
        data, status = read_bounded_stat(path, MAX_FILE_BYTES, beneath=beneath)
    except FileTooLargeError:
        raise RulesetError([too_large(shown)]) from None
    except NotRegularFileError as error:
        raise RulesetError([not_regular(shown, error.kind)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8")
        span = span_of_offsets(good + "?", len(good), len(good) + 1)
        raise RulesetError(
            [
                make(
                    "CR002",
                    f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} at byte offset {error.start}",
                    shown,
                    span,
                    "save the file as UTF-8 (most editors offer this under 'Save as' or 'Encoding')",
                )
            ]
        ) from None
    return SourceText(shown, text.removeprefix(_BOM), status, text.startswith(_BOM))


def not_regular(file: str, kind: str) -> Diagnostic:
    """CR007 for a path that names a FIFO, a device or a socket instead of a file."""
    return make(
        "CR007",
        f"'{file}' is not a regular file: it is {kind}",
        file,
        Span(1, 1, 1, 1, 0, 0),
        "give the path of a rule file; clinrules reads rules only from regular files",
    )
