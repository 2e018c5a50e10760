"""Finds the one grammar file and builds the Lark parser from it, once per process.

The grammar lives at the top of the repository (`grammar/clinrules.lark`).
A built wheel carries a copy inside the package (`clinrules/_grammar/`); an
editable install or a checkout reads the repository's file directly, so an
edit to the grammar is seen at once and no stale copy can shadow it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

from lark import Lark, Token

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # clinrules/, above syntax/
_WHEEL_COPY = _PACKAGE_DIR / "_grammar" / "clinrules.lark"
_CHECKOUT_FILE = _PACKAGE_DIR.parent.parent / "grammar" / "clinrules.lark"

START_FILE = "start"
START_BODY = "body"


def grammar_path() -> Path:
    """The grammar file this installation uses.

    Raises:
        FileNotFoundError: neither the wheel's copy nor the checkout's file
            exists (a broken installation).
    """
    for candidate in (_WHEEL_COPY, _CHECKOUT_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"the clinrules grammar was not found at {_CHECKOUT_FILE} or {_WHEEL_COPY}; reinstall clinrules"
    )


class _WholeWords:
    """A no-op post-lexer whose only job is `always_accept`.

    With NAME in every state of the contextual lexer, a word is always read
    whole and then turned into a keyword only if it is one where it stands;
    without it, `says` where no name may stand would lex as `say` + `s`.
    """

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


def _cache_file() -> str | bool:
    """Where Lark keeps the built parser between processes: a directory of the user's own.

    Building the LALR tables takes about 0.4 s, far more than the rest of a
    `clinrules check`; Lark stores them keyed by a hash of the grammar and of
    its options. The cache is a pickle, so it lives in a directory only this
    user can write (never a shared temporary directory). Where there is none,
    the parser is built every time.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "clinrules"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return False
    except OSError:
        return False
    return str(directory / "parser.lark-cache")


@functools.cache
def parser() -> Lark:
    """The LALR parser with the contextual lexer, built once and shared.

    Parsing with a Lark instance keeps no state between calls, so one
    instance serves every thread.
    """
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        cache=_cache_file(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        start=[START_FILE, START_BODY],
        maybe_placeholders=False,
        postlex=_WholeWords(),
    )
