"""`clinrules doc RULESET [-o FILE]`: the ruleset as a Markdown page for clinical review.

Stage: the command line over `docgen.py`. Design decision: the page is made
for a ruleset of any status (a draft is exactly what a reviewer reads, and a
retired one must stay readable), so it checks the ruleset without the status
gate of `clinrules.load`; a ruleset with errors gets no page, only the
diagnostics, as `clinrules check` prints them.

The page is written whole or not at all (a temporary file beside the
output, then a rename), and only onto a new name or an existing regular
file: an output that is a symbolic link, a FIFO, a device or a directory is
refused without following it (`lstat`), so `-o` can never replace a device
node or write through a link to a file elsewhere.

Exit codes: 0 the page was written, 1 the ruleset has errors or the output
file cannot be written, 2 usage (no such ruleset, a directory, an output
that is not a regular file).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from clinrules.authoring.cases import check_program
from clinrules.authoring.docgen import page
from clinrules.base.errors import RulesetError
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    existing_file,
    print_diagnostics,
    refuse_unwritable_output,
    write_whole,
)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `doc` with parsed arguments."""
    path = existing_file(args.ruleset)
    if args.output is not None:
        refuse_unwritable_output(args.output, "doc", "ruleset.md")
    chosen = chosen_model(args)
    try:
        program, _warnings = check_program(path, args.ruleset, model=chosen)
    except RulesetError as error:
        print_diagnostics(with_model_hint(error.diagnostics), err)
        return EXIT_FAILED
    text = page(program)
    if args.output is None:
        try:
            print(text, end="", file=out)
        except UnicodeEncodeError:
            print("clinrules: the page holds characters this terminal cannot show; use -o FILE", file=err)
            return EXIT_FAILED
        return EXIT_OK
    try:
        write_whole(Path(args.output), text, "doc", "ruleset.md")
    except OSError as error:
        print(f"clinrules: cannot write '{args.output}': {error.strerror or error}", file=err)
        return EXIT_FAILED
    return EXIT_OK
