"""Builds the parser tables the package ships: `python -m clinrules.syntax.tables`.

Run it after every edit of `grammar/clinrules.lark` (or `make tables`); a
test fails while the committed tables were built from another grammar. The
output, `src/clinrules/syntax/parser_tables.json`, is Lark's own serialized
form of the parser (`memo_serialize`) in plain JSON, with the grammar's
SHA-256 and the Lark version it was built with; `grammar.packaged_parser`
reads it back and uses it only when both match. Lark numbers its states in
an order that changes from run to run, so two builds differ in their bytes
while parsing alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

from clinrules.syntax.grammar import (
    ITEMS_TAG,
    TABLES_FILE,
    TABLES_FORMAT,
    TUPLE_TAG,
    TablesError,
    build_parser,
    grammar_path,
    grammar_sha256,
    packaged_parser,
)

GENERATED_BY = "python -m clinrules.syntax.tables (do not edit; regenerate after editing the grammar)"


def build_tables(grammar_text: str) -> dict[str, Any]:
    """The tables document for `grammar_text`, ready for `json.dumps`.

    Raises:
        TablesError: Lark's serialized form holds something JSON cannot
            carry back exactly (a newer Lark, say).
    """
    data, memo = build_parser(grammar_text).memo_serialize([TerminalDef, Rule])
    # The post-lexer is an object, not data: the loader passes it in again.
    data["options"] = {key: value for key, value in data["options"].items() if key != "postlex"}
    return {
        "format": TABLES_FORMAT,
        "generated_by": GENERATED_BY,
        "grammar_sha256": grammar_sha256(grammar_text),
        "lark_version": lark.__version__,
        "data": encode(data),
        "memo": encode(memo),
    }


def encode(value: Any) -> Any:
    """`value` as JSON can hold it: tuples and dicts with non-text keys become tagged objects.

    Raises:
        TablesError: a value JSON cannot hold, or a text key that starts
            with `#` (the decoder would take it for a tag).
    """
    if isinstance(value, tuple):
        return {TUPLE_TAG: [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            tagged = [key for key in value if key.startswith("#")]
            if tagged:
                raise TablesError(f"a key the decoder would read as a tag: {tagged[0]!r}")
            return {key: encode(item) for key, item in value.items()}
        return {ITEMS_TAG: [[encode(key), encode(item)] for key, item in value.items()]}
    if value is None or isinstance(value, str | int) or (isinstance(value, float) and value == value):
        return value
    raise TablesError(f"a {type(value).__name__} in Lark's tables, which JSON cannot hold")


def tables_text(grammar_text: str) -> str:
    """The text of `parser_tables.json` for `grammar_text`."""
    return json.dumps(build_tables(grammar_text), separators=(",", ":"), sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the tables for the grammar in use; with --check, only say whether they are current."""
    arguments = argparse.ArgumentParser(prog="python -m clinrules.syntax.tables", description=__doc__)
    arguments.add_argument(
        "--check", action="store_true", help="exit 1 if the tables were built from another grammar"
    )
    options = arguments.parse_args(argv)
    text = grammar_path().read_text(encoding="utf-8")
    if options.check:
        if packaged_parser(text) is None:
            print(f"{TABLES_FILE} does not fit {grammar_path()}; run python -m clinrules.syntax.tables")
            return 1
        return 0
    TABLES_FILE.write_text(tables_text(text), encoding="utf-8")
    print(f"wrote {TABLES_FILE} for {grammar_path()} (lark {lark.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
