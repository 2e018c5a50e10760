"""Finds the one grammar file and makes the Lark parser from it, once per process.

The grammar lives at the top of the repository (`grammar/clinrules.lark`).
A built wheel carries a copy inside the package (`clinrules/_grammar/`); an
editable install or a checkout reads the repository's file directly, so an
edit to the grammar is seen at once and no stale copy can shadow it.

Building the LALR tables takes a few tenths of a second, far more than the
rest of a `clinrules check`, so they ship in the package, made ahead of time
by `python -m clinrules.syntax.tables`, as `parser_tables.json` next to this
module. They are used only when they were built from the very grammar text
in use (its SHA-256) by the installed Lark version with the same options;
otherwise the parser is built in memory. Nothing is ever read from or
written to a cache outside the package.

Why it is safe: the tables are data inside the installed package, with the
same trust as its code: whoever can change them can change this module. An
attacker who controls `HOME`, `XDG_CACHE_HOME` or the working directory has
nothing to plant, because no such place is read. The file is read with
`json.loads` only, which makes dicts, lists, strings, numbers and None and
cannot run code (no pickle, no `eval`); the decoder refuses any shape it does
not expect (duplicate keys, NaN, unknown tags, unhashable keys), and Lark's
own loader instantiates only the classes it names (terminals, rules,
patterns, parse tables). A mismatch or any error while
reading means the parser is built from the grammar instead of trusted.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import lark
from lark import Lark, Token

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # clinrules/, above syntax/
_WHEEL_COPY = _PACKAGE_DIR / "_grammar" / "clinrules.lark"
_CHECKOUT_FILE = _PACKAGE_DIR.parent.parent / "grammar" / "clinrules.lark"

TABLES_FILE = Path(__file__).resolve().parent / "parser_tables.json"
"""The prebuilt parser tables, packaged with the code (in a wheel too)."""

TABLES_FORMAT = 1
"""The layout of `parser_tables.json`; another number is not read."""

TUPLE_TAG = "#tuple"
ITEMS_TAG = "#items"
"""JSON has no tuples and no dict keys but strings: these one-key objects stand for them."""

_TABLES_KEYS = frozenset({"format", "generated_by", "grammar_sha256", "lark_version", "data", "memo"})

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


def grammar_sha256(grammar_text: str) -> str:
    """The digest that ties parser tables to the grammar text they were built from."""
    return hashlib.sha256(grammar_text.encode("utf-8")).hexdigest()


class _WholeWords:
    """A no-op post-lexer whose only job is `always_accept`.

    With NAME in every state of the contextual lexer, a word is always read
    whole and then turned into a keyword only if it is one where it stands;
    without it, `says` where no name may stand would lex as `say` + `s`.
    """

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


def parser_options() -> dict[str, Any]:
    """The Lark options the parser is built with (a fresh dict; the post-lexer is added apart)."""
    return {
        "parser": "lalr",
        "lexer": "contextual",
        "propagate_positions": True,
        "start": [START_FILE, START_BODY],
        "maybe_placeholders": False,
    }


def build_parser(grammar_text: str) -> Lark:
    """Build the parser from the grammar text, in memory, writing nothing."""
    return Lark(grammar_text, postlex=_WholeWords(), **parser_options())


@functools.cache
def parser() -> Lark:
    """The LALR parser with the contextual lexer, made once and shared.

    Parsing with a Lark instance keeps no state between calls, so one
    instance serves every thread.
    """
    text = grammar_path().read_text(encoding="utf-8")
    packaged = packaged_parser(text)
    return packaged if packaged is not None else build_parser(text)


def packaged_parser(grammar_text: str) -> Lark | None:
    """The parser from the packaged tables, or None when they do not fit `grammar_text` exactly."""
    try:
        document = read_tables(TABLES_FILE.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TablesError):
        return None
    if document["grammar_sha256"] != grammar_sha256(grammar_text):
        return None
    if document["lark_version"] != lark.__version__:
        return None
    try:
        return load_parser(document)
    except TablesError:
        return None


# ---------------------------------------------------------------- reading the tables


class TablesError(ValueError):
    """The parser tables are not in the shape this version writes."""


def _refuse(why: str) -> NoReturn:
    raise TablesError(why)


def read_tables(text: str) -> dict[str, Any]:
    """The parser tables document from its JSON text, checked and decoded.

    Raises:
        TablesError: not JSON, or not the shape `clinrules.syntax.tables` writes.
    """
    raw = decode(text)
    if not isinstance(raw, dict) or set(raw) != _TABLES_KEYS:
        _refuse("not the parser tables document")
    if type(raw["format"]) is not int or raw["format"] != TABLES_FORMAT:
        _refuse(f"tables format {raw['format']!r}, not {TABLES_FORMAT}")
    for key in ("generated_by", "grammar_sha256", "lark_version"):
        if not isinstance(raw[key], str):
            _refuse(f"'{key}' is not text")
    for key in ("data", "memo"):
        if not isinstance(raw[key], dict):
            _refuse(f"'{key}' is not an object")
    options = raw["data"].get("options")
    if not isinstance(options, dict) or "postlex" in options:
        _refuse("the tables' options are missing")
    wanted = parser_options()
    if {key: options.get(key) for key in wanted} != wanted:
        _refuse("the tables were built with other options")
    return raw


def decode(text: str) -> Any:
    """The value `clinrules.syntax.tables.encode` made JSON of: tuples and non-text keys restored.

    `json.loads` does the walk, in C, calling `_object` on every object from
    the innermost out, so no recursion here depends on the text.

    Raises:
        TablesError: not JSON; NaN or infinity; a key twice; an unknown tag
            or a malformed tagged object; an unhashable key.
    """
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except TablesError:
        raise
    except (ValueError, RecursionError) as error:
        raise TablesError(f"not the parser tables' JSON: {error}") from None


def _object(pairs: list[tuple[str, Any]]) -> Any:
    # The tables' twelve thousand objects are mostly tuples and dicts of one key: those, and
    # dicts with no key twice and no tag (a tag's "#" sorts below "$"), are made at once; any
    # other object is read key by key below, and refused there if it must be.
    if len(pairs) == 1:
        ((key, inner),) = pairs
        if key == TUPLE_TAG and type(inner) is list:
            return tuple(inner)
        if key[:1] != "#":
            return {key: inner}
    elif pairs:
        made = dict(pairs)
        if len(made) == len(pairs) and min(made) >= "$":
            return made
    if len(pairs) == 1 and pairs[0][0].startswith("#"):
        ((tag, inner),) = pairs
        if not isinstance(inner, list):
            _refuse(f"'{tag}' does not hold a list")
        if tag == TUPLE_TAG:
            return tuple(inner)
        if tag == ITEMS_TAG:
            return _items(inner)
        _refuse(f"unknown tag '{tag}'")
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key.startswith("#"):
            _refuse(f"the tag '{key}' beside other keys")
        if key in out:
            _refuse(f"the key '{key}' twice")
        out[key] = value
    return out


def _items(pairs: list[Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2:
            _refuse(f"'{ITEMS_TAG}' holds something other than [key, value] pairs")
        key, value = pair
        try:
            hash(key)
        except TypeError:
            _refuse("an unhashable key")
        if key in out:
            _refuse(f"the key {key!r} twice")
        out[key] = value
    return out


def _no_constant(name: str) -> NoReturn:
    _refuse(f"{name} is not a number the tables hold")


def load_parser(document: dict[str, Any]) -> Lark:
    """Make the parser from a document `read_tables` returned.

    Raises:
        TablesError: Lark could not make a parser of it.
    """
    try:
        loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            document["data"], document["memo"], postlex=_WholeWords()
        )
    # Lark's loader reports a malformed table as any of KeyError, TypeError,
    # AssertionError, ...; every one of them means: build instead.
    except Exception as error:
        raise TablesError(f"Lark could not load the tables: {error!r}") from None
    return loaded
