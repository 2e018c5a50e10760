"""The `clinrules` command: `main(argv) -> int`, tested by calling it directly.

Exit codes (contracts.md section 3): 0 success, 1 the rule files fail,
2 usage or an unreadable path, 130 interrupted. Diagnostics go to stderr in
the format of language.md section 4. No traceback ever reaches the user: an
unexpected failure is reported in one line and exits 70, and it is a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from clinrules.api import check_file
from clinrules.cli_args import build_parser
from clinrules.cli_common import UsageError, expand_paths, print_diagnostics
from clinrules.diagnostics import Diagnostic, Severity
from clinrules.errors import RulesetError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


def rule_files(paths: Sequence[str]) -> list[Path]:
    """Expand the command-line paths: a directory means every `*.rules` file below it.

    Raises:
        UsageError: a path does not exist, or a directory holds no rule file.
    """
    return expand_paths(paths, "*.rules")


def _check_one(path: Path, seen: set[Diagnostic], err: TextIO) -> list[Diagnostic]:
    """Check one file; print the diagnostics not printed yet (a library checked
    on its own and through the ruleset that includes it reports once)."""
    try:
        diagnostics = check_file(path)
    except RulesetError as error:
        diagnostics = list(error.diagnostics)
    except OSError as error:
        raise UsageError(f"cannot read '{path}': {error.strerror or error}") from None
    fresh = [d for d in diagnostics if d not in seen]
    seen.update(fresh)
    print_diagnostics(fresh, err)
    return fresh


def _check(paths: Sequence[str], out: TextIO, err: TextIO) -> int:
    files = rule_files(paths)
    diagnostics: list[Diagnostic] = []
    seen: set[Diagnostic] = set()
    for path in files:
        diagnostics.extend(_check_one(path, seen, err))
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    print(
        f"checked {_plural(len(files), 'file')}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}",
        file=out,
    )
    return EXIT_FAILED if errors else EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _run(argv: Sequence[str], out: TextIO, err: TextIO, stdin: TextIO | None) -> int:
    args = build_parser().parse_args(list(argv))
    if args.command == "check":
        return _check(args.paths, out, err)
    # Each command's module is imported only when it runs (see cli_args).
    if args.command == "eval":
        from clinrules import cli_eval

        return cli_eval.run(args, out, err, stdin)
    if args.command == "test":
        from clinrules import cli_test

        return cli_test.run(args, out, err)
    if args.command == "doc":
        from clinrules import cli_doc

        return cli_doc.run(args, out, err)
    if args.command == "schema":
        from clinrules import cli_schema

        return cli_schema.run(args, out)
    if args.command == "fmt":
        from clinrules import cli_fmt

        return cli_fmt.run(args, out, err)
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
