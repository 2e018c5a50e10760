"""What may reach a terminal or a reviewer's eyes: invisible and control characters, escaped.

A control character printed raw acts on the terminal that shows it (an
escape sequence can set the window title, write to the clipboard or hide
the text after it), and a bidirectional override or a line separator can
make a line read differently from what it holds. Rule files refuse them
(CR008, `clinrules.syntax.controls`); everything else that clinrules prints
passes through `printable`, which shows each one as a visible `\\uXXXX`
escape and leaves every other character, é, ü and 中 included, as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Zero-width joiner and non-joiner: invisible, but needed to spell words in
# Persian and Indic scripts and in emoji, and they cannot move or hide text.
_KEPT_FORMAT = frozenset("\u200c\u200d")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Everything but tab, line feed and printable ASCII is looked at one by one;
# plain ASCII text costs one scan in C.
_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")


def is_hidden(char: str) -> bool:
    """Whether a character is a control, a format character, a line or paragraph
    separator or a lone surrogate: one that a reader cannot see for what it is.

    Tab and line feed count as hidden here; `printable` and the rule-file check
    keep them.
    """
    return unicodedata.category(char) in _HIDDEN_CATEGORIES and char not in _KEPT_FORMAT


def hidden_characters(text: str) -> Iterator[int]:
    """The offsets of the hidden characters of `text`, tab and line feed excepted."""
    for match in _SUSPECT.finditer(text):
        if is_hidden(match.group()):
            yield match.start()


def escape(char: str) -> str:
    """`char` as the escape `\\uXXXX` (two, a surrogate pair, above U+FFFF).

    The form is JSON's, so an escaped JSON document still means the same.
    """
    code = ord(char)
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every hidden character but tab and line feed shown as an escape.

    Idempotent, and the identity on text without such characters.
    """
    return _SUSPECT.sub(_shown, text)


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    return escape(char) if is_hidden(char) else char


def encodable(text: str, encoding: str | None) -> str:
    """`text` with each character `encoding` cannot hold shown as an escape.

    For a terminal that takes only ASCII (`LC_ALL=C`, `PYTHONIOENCODING=ascii`):
    the output is still complete, and a JSON document stays valid JSON.
    """
    if not encoding:
        return text
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        pass
    except LookupError:  # an encoding Python does not know: leave the stream to decide
        return text
    else:
        return text
    out = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            out.append(escape(char))
        else:
            out.append(char)
    return "".join(out)
