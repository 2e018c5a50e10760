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
import os
import stat
import tempfile
from pathlib import Path
from typing import TextIO

from clinrules.authoring.cases import check_program
from clinrules.authoring.docgen import page
from clinrules.base.errors import RulesetError
from clinrules.base.files import kind_of
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import EXIT_FAILED, EXIT_OK, UsageError, print_diagnostics


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `doc` with parsed arguments."""
    path = Path(args.ruleset)
    if path.is_dir():
        raise UsageError(f"'{args.ruleset}' is a directory; give one .rules file")
    if not path.is_file():
        raise UsageError(f"cannot read '{args.ruleset}': no such file")
    if args.output is not None:
        _check_output(args.output)
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
        _write(Path(args.output), text)
    except OSError as error:
        print(f"clinrules: cannot write '{args.output}': {error.strerror or error}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _check_output(output: str) -> None:
    """Refuse an output that exists and is not a regular file (symbolic links not followed).

    Raises:
        UsageError: a directory, a symbolic link, a FIFO, a device or a socket.
    """
    try:
        status = os.lstat(output)
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        return  # the write reports it (a name too long, a directory that is not there)
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"-o '{output}' is a directory; give a file name such as ruleset.md")
    if not stat.S_ISREG(status.st_mode):
        raise UsageError(
            f"-o '{output}' is {kind_of(status.st_mode)}, not a regular file; doc writes only a new "
            "file or replaces a regular one: give another name"
        )


def _write(target: Path, text: str) -> None:
    """Write the page whole or not at all (a temporary file, then a rename).

    The page keeps the permissions of the file it replaces, and a new page
    gets the umask's (`0666 & ~umask`), as any file a command writes: the
    temporary file's own (0600) would hide it from the reviewers who share it.
    """
    directory = target.parent if str(target.parent) else Path(".")
    mode = _mode_for(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        os.chmod(temporary, mode)  # before any text is in it
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        _check_output(str(target))  # once more, just before the rename
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The permission bits for the page: the existing file's, else `0666` less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except (OSError, ValueError):
        umask = os.umask(0o022)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask
