"""Reading rule files from disk: bytes -> text, with the CR0xx input checks.

The size is checked before the file is read, so a huge file costs nothing,
and text that is not UTF-8 is refused with the position of the first bad
byte rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinrules.base.diagnostics import make
from clinrules.base.errors import RulesetError
from clinrules.base.limits import MAX_FILE_BYTES
from clinrules.base.span import span_of_offsets
from clinrules.syntax.parser import too_large

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class SourceText:
    """A rule file's text and the name its diagnostics use."""

    name: str
    text: str


def read_source(path: Path, name: str | None = None) -> SourceText:
    """Read a rule file as UTF-8 text (a leading byte-order mark is dropped).

    Args:
        path: the file.
        name: the name used in diagnostics (default: the path as given).

    Raises:
        RulesetError: the file is too large (CR003) or not UTF-8 (CR002).
        OSError: the file cannot be read at all.
    """
    shown = name if name is not None else str(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise RulesetError([too_large(shown)])
    data = path.read_bytes()
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
    return SourceText(shown, text.removeprefix(_BOM))
