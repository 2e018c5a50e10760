"""Refusing invisible characters in rule text (CR008), and lone surrogates (CR002).

A reviewer signs off what they see. A bidirectional override, a bare carriage
return or a line separator in a comment can make a line look like something
else (a red flag that seems commented out, or a comment that seems to end),
and an escape sequence in a message acts on the terminal that prints it. So
a rule file may hold no control character but tab, line feed and the
carriage return of a CRLF line end, and no format character (category Cf:
the bidi controls, zero-width spaces, tag characters) but the zero-width
joiner and non-joiner, which some scripts need; U+2028 and U+2029 are
refused too. `clinrules.base.terminal.is_hidden` is the one definition.
"""

from __future__ import annotations

import unicodedata

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.limits import MAX_ERRORS
from clinrules.base.span import span_of_offsets
from clinrules.base.terminal import hidden_characters

_HINT = "delete the invisible character; it can hide text from a reviewer or act on a terminal"
_NAMES = {
    "\x00": "NUL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x9b": "CONTROL SEQUENCE INTRODUCER",
}


def control_characters(text: str, file: str) -> list[Diagnostic]:
    """CR008 for each invisible character of `text`, CR002 for each lone surrogate.

    At most `MAX_ERRORS` are listed, then CR005.
    """
    found: list[Diagnostic] = []
    for offset in hidden_characters(text):
        char = text[offset]
        if char == "\r" and text.startswith("\n", offset + 1):
            continue  # a CRLF line end
        if len(found) >= MAX_ERRORS:
            found.append(
                make(
                    "CR005",
                    f"{MAX_ERRORS} errors found; the file was not read from here on",
                    file,
                    span_of_offsets(text, offset, offset),
                    "fix these errors and run the check again",
                )
            )
            break
        found.append(_diagnostic(text, offset, file))
    return found


def _diagnostic(text: str, offset: int, file: str) -> Diagnostic:
    char = text[offset]
    span = span_of_offsets(text, offset, offset + 1)
    code = f"U+{ord(char):04X}"
    category = unicodedata.category(char)
    if category == "Cs":
        return make(
            "CR002",
            f"the text holds a lone surrogate {code}, which is not a character and cannot be saved as UTF-8",
            file,
            span,
            "delete it; the text probably came from a broken conversion",
        )
    name = _NAMES.get(char) or unicodedata.name(char, "")
    named = f"{code} ({name})" if name else code
    if char == "\r":
        what = f"a carriage return ({code}) that does not end a line (only CRLF or LF line ends)"
    elif category == "Cc":
        what = f"the control character {named}"
    elif category in ("Zl", "Zp"):
        what = f"the separator {named}, which editors show as a line end but the language does not"
    else:
        what = f"the invisible character {named}"
    return make("CR008", f"{what} is not allowed in a rule file", file, span, _HINT)
