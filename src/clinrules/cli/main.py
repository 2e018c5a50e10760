"""The `clinrules` command: `main(argv) -> int`, tested by calling it directly.

Exit codes (contracts.md section 3): 0 success, 1 the rule files fail,
2 usage or an unreadable path, 130 interrupted. Diagnostics go to stderr in
the format of language.md section 4. No traceback ever reaches the user: an
unexpected failure is reported in one line and exits 70, and it is a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from clinrules.cli.args import build_parser
from clinrules.cli.common import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError


def _run(argv: Sequence[str], out: TextIO, err: TextIO, stdin: TextIO | None) -> int:
    args = build_parser().parse_args(list(argv))
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
    raise UsageError(f"unknown command '{args.command}'")  # argparse already refuses these


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
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        return _run(
            sys.argv[1:] if argv is None else argv, out, err, stdin if stdin is not None else sys.stdin
        )
    except UsageError as error:
        print(f"clinrules: error: {error}", file=err)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug: say so in one line, never a traceback
        print(
            f"clinrules: internal error ({type(error).__name__}: {error}); "
            "this is a bug in clinrules, please report it with the input that caused it",
            file=err,
        )
        return EXIT_BUG


def _silence_stdout() -> None:
    """After a closed pipe, keep Python from failing again while flushing stdout."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
