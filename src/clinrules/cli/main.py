"""The `clinrules` command: `main(argv) -> int`, tested by calling it directly.

Exit codes (every command; `clinrules COMMAND --help` says what 0 and 1
mean for it):

- 0: success (`check`: no errors; `eval`: a decision was made; `test`: every
  case passed).
- 1: the rule files or case files fail (errors, a failing case, coverage
  below `--min-coverage`, a ruleset that may not be used).
- 2: usage: a bad option, a path that cannot be read (missing, a
  directory, a name too long or with a NUL character), or standard output
  or standard error that cannot be written (a full disk, `/dev/full`).
- 3: bad patient data or parameters (`eval`).
- 130: interrupted (Ctrl-C, at any moment, start-up included), or the
  reader of the output went away (a closed pipe).
- 70: an unexpected failure, reported in one line: a bug in clinrules,
  never a contract. It must never happen; please report it.

Diagnostics go to stderr in the format of language.md section 4. No
traceback ever reaches the user. Everything printed passes through
`common.Printer`, which escapes control and invisible characters
(base/terminal.py) and what the terminal's encoding cannot show.

This module imports only the standard library at load time: the console
script imports it before `main` runs, so everything else is imported inside
`main`'s guard, where a Ctrl-C during start-up is still exit 130.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import argparse

    from clinrules.cli.common import OutputError, Printer

_EXIT_INTERRUPTED = 130  # common.EXIT_INTERRUPTED, usable before anything is imported


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line and return the exit code.

    Args:
        argv: the arguments after the program name (default: sys.argv[1:]).
        out: where results go (default: stdout).
        err: where diagnostics and errors go (default: stderr).
        stdin: where `-` reads from (default: stdin).
    """
    try:
        return _main(sys.argv[1:] if argv is None else argv, out, err, stdin)
    except KeyboardInterrupt:  # also while the modules below are imported
        return _EXIT_INTERRUPTED


def _main(argv: Sequence[str], out: TextIO | None, err: TextIO | None, stdin: TextIO | None) -> int:
    from clinrules.cli.common import EXIT_INTERRUPTED, OutputError, Printer

    shown_out = Printer(out if out is not None else sys.stdout, "standard output")
    shown_err = Printer(err if err is not None else sys.stderr, "standard error")
    try:
        code = _guarded(argv, shown_out, shown_err, stdin if stdin is not None else sys.stdin)
        # Flushed here, inside the guard: a full disk is reported, not left
        # to fail at interpreter shutdown.
        shown_out.flush()
        shown_err.flush()
    except OutputError as error:
        return _unwritable(error, shown_err)
    except BrokenPipeError:
        _silence(sys.stdout)
        return EXIT_INTERRUPTED
    return code


def _guarded(argv: Sequence[str], out: Printer, err: Printer, stdin: TextIO) -> int:
    """Run the command; every failure becomes a one-line message and an exit code."""
    from clinrules.cli.common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, OutputError, UsageError

    try:
        from clinrules.cli.args import build_parser

        return _run(build_parser().parse_args(list(argv)), out.stream(), err.stream(), stdin)
    except UsageError as error:
        print(f"clinrules: error: {error}", file=err.stream())
        return EXIT_USAGE
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (BrokenPipeError, OutputError):
        raise
    except OSError as error:
        if error.filename is None:
            return _bug(error, err)
        # A path the checks before it let through: too long, a loop of links.
        print(
            f"clinrules: error: cannot read '{error.filename}': {error.strerror or error}", file=err.stream()
        )
        return EXIT_USAGE
    except Exception as error:  # a bug: say so in one line, never a traceback
        return _bug(error, err)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    from clinrules.cli.common import UsageError

    # Each command's module is imported only when it runs (see cli/args.py).
    if args.command == "check":
        from clinrules.cli import check

        return check.run(args, out, err)
    if args.command == "eval":
        from clinrules.cli import evaluate

        return evaluate.run(args, out, err, stdin)
    if args.command == "test":
        from clinrules.cli import casetest

        return casetest.run(args, out, err)
    if args.command == "doc":
        from clinrules.cli import doc

        return doc.run(args, out, err)
    if args.command == "schema":
        from clinrules.cli import schema

        return schema.run(args, out)
    if args.command == "fmt":
        from clinrules.cli import fmt

        return fmt.run(args, out, err)
    if args.command == "questionnaire":
        from clinrules.cli import schema

        return schema.run_questionnaire(args, out, err)
    if args.command == "serve":
        from clinrules.cli import serve

        return serve.run(args, out, err)
    if args.command == "batch":
        from clinrules.cli import batch

        return batch.run(args, out, err)
    if args.command == "prove":
        from clinrules.cli import prove

        return prove.run(args, out, err)
    raise UsageError(f"unknown command '{args.command}'")  # argparse already refuses these


def _bug(error: BaseException, err: Printer) -> int:
    from clinrules.cli.common import EXIT_BUG

    print(
        f"clinrules: internal error ({type(error).__name__}: {error}); "
        "this is a bug in clinrules, please report it with the input that caused it",
        file=err.stream(),
    )
    return EXIT_BUG


def _unwritable(error: OutputError, err: Printer) -> int:
    """Output that cannot be written: say so on stderr if it still takes text; exit 2."""
    from clinrules.cli.common import EXIT_USAGE, OutputError

    _silence(error.stream)
    try:
        print(f"clinrules: error: {error}", file=err.stream())
        err.flush()
    except (OSError, OutputError):
        _silence(sys.stderr)
    return EXIT_USAGE


def _silence(stream: IO[str] | None) -> None:
    """After a failed write, keep Python from failing again while flushing at exit.

    Only the process's own stdout and stderr are redirected (to the null
    device); a stream a caller passed in is left alone.
    """
    import os

    if stream is None or not any(stream is own for own in (sys.__stdout__, sys.__stderr__)):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
