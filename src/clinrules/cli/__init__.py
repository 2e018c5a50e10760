"""The command line: `clinrules check|eval|test|fmt|doc|schema|questionnaire`, on top of every other stage.

In: `argv`. Out: an exit code, text or JSON on stdout, diagnostics on stderr.
`args.py` declares every command's arguments (cheap to import); `main.py`
dispatches and holds the one guard that keeps tracebacks from users (it
imports only the standard library until `main` runs, so that the console
script's imports cannot escape the guard; its docstring lists the exit codes); each
command lives in its own module, imported only when that command runs, so
`clinrules check` never loads the evaluator. `common.py` holds what they
share: the exit codes, the usage error, path expansion, the diagnostic
printer and `Printer`, the stream everything printed passes through.
"""

from __future__ import annotations

from clinrules.cli.main import main

__all__ = ["main"]
