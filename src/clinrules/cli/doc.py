"""`clinrules doc RULESET [-o FILE]`: the ruleset as a Markdown page for clinical review.

Stage: the command line over `docgen.py`. Design decision: the page is made
for a ruleset of any status (a draft is exactly what a reviewer reads, and a
retired one must stay readable), so it checks the ruleset without the status
gate of `clinrules.load`; a ruleset with errors gets no page, only the
diagnostics, as `clinrules check` prints them.

Exit codes: 0 the page was written, 1 the ruleset has errors or the output
file cannot be written, 2 usage (no such ruleset, a directory).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TextIO

from clinrules.authoring.cases import check_program
from clinrules.authoring.docgen import page
from clinrules.base.errors import RulesetError
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, print_diagnostics


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `doc` with parsed arguments."""
    path = Path(args.ruleset)
    if path.is_dir():
        raise UsageError(f"'{args.ruleset}' is a directory; give one .rules file")
    if not path.is_file():
        raise UsageError(f"cannot read '{args.ruleset}': no such file")
    if args.output is not None and Path(args.output).is_dir():
        raise UsageError(f"-o '{args.output}' is a directory; give a file name such as ruleset.md")
    try:
        program, _warnings = check_program(path, args.ruleset)
    except RulesetError as error:
        print_diagnostics(error.diagnostics, err)
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
        _write(Path(args.output), text)
    except OSError as error:
        print(f"clinrules: cannot write '{args.output}': {error.strerror or error}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _write(target: Path, text: str) -> None:
    """Write the page whole or not at all (a temporary file, then a rename)."""
    directory = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
