"""The command line's grammar: every command, its arguments and its help.

Declared apart from the commands themselves so that building the parser
imports nothing heavy: `clinrules check` must not pay for the evaluator,
the case files and YAML it does not use (benchmarks/load.py times it).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinrules.base.version import __version__
from clinrules.cli.common import Printer, UsageError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from clinrules.base.diagnostics import Diagnostic


class _ArgumentParser(argparse.ArgumentParser):
    """An argparse parser that raises instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n{self.format_usage().strip()}")

    def _print_message(self, message: str, file: Any = None) -> None:
        # argparse drops an OSError here, so `--help > /dev/full` would exit 0
        # having printed nothing; through a Printer it is an OutputError (exit 2).
        if message:
            stream = file or sys.stderr
            Printer(stream, "standard output" if stream is sys.stdout else "standard error").write(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="clinrules",
        description="Clinical decision-support rules: check rule files, evaluate patients, "
        "test case files, write a review page, format rule files, print JSON Schema or a FHIR "
        "Questionnaire, serve CDS Hooks, evaluate a population in batch, prove safety promises. "
        "Decision support, not diagnosis.",
    )
    parser.add_argument("--version", action="version", version=f"clinrules {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_ArgumentParser)
    commands.required = True
    check = commands.add_parser(
        "check",
        help="check rule files and report every problem",
        description="Check rule files. A directory means every *.rules file below it. "
        "Exit 0 when clean or with warnings only, 1 with errors, 2 for a usage error "
        "or an unreadable path.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="a .rules file or a directory")
    _add_model(check, "check every file named against this model")
    _add_eval(commands)
    _add_test(commands)
    _add_doc(commands)
    _add_schema(commands)
    _add_fmt(commands)
    _add_questionnaire(commands)
    _add_serve(commands)
    _add_batch(commands)
    _add_prove(commands)
    return parser


def _add_eval(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `eval` command."""
    command = commands.add_parser(
        "eval",
        help="evaluate one patient against a ruleset",
        description="Evaluate one patient (a JSON file, or - for standard input) against a ruleset and "
        "print the decision. Decision support, not diagnosis. Exit 0 with a decision, 1 when the "
        "ruleset has errors or may not be used, 2 for a usage error, 3 for bad patient data or parameters.",
    )
    command.add_argument("ruleset", metavar="RULESET", help="the .rules file")
    command.add_argument("patient", metavar="PATIENT", help="a JSON file with the patient, or - for stdin")
    _add_model(command, "use this model")
    command.add_argument(
        "--fhir",
        action="store_true",
        help="PATIENT is a FHIR R4 Bundle, imported with the ruleset's model (needs clinrules[fhir])",
    )
    command.add_argument(
        "--exercise", action="append", metavar="ID", help="report this exercise (repeatable)"
    )
    command.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        default=[],
        help="set a parameter: a bare number in its unit, or yes or no for a yes/no parameter",
    )
    command.add_argument("--as-of", metavar="ISO", help="the evaluation time, such as 2026-11-21T08:00:00Z")
    command.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    command.add_argument("--explain", action="store_true", help="add the trace of every red flag and rule")
    command.add_argument(
        "--allow-draft", action="store_true", help="use a ruleset whose status is not approved (for testing)"
    )


def _add_test(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `test` command."""
    command = commands.add_parser(
        "test",
        help="run case files against their rulesets and report coverage",
        description="Run case files (NAME.cases.yaml). A directory means every *.cases.yaml file below "
        "it. Rulesets of any status are tested. Exit 0 when every case passes, 1 when a case fails, a "
        "case file or ruleset is bad, or the coverage is below --min-coverage, 2 for a usage error.",
    )
    command.add_argument("paths", nargs="+", metavar="PATH", help="a .cases.yaml file or a directory")
    command.add_argument(
        "--min-coverage",
        type=_percent,
        metavar="PCT",
        help="fail when less than PCT percent of the red flags' and rules' outcomes are covered",
    )
    _add_model(command, "use this model; a case file whose 'model' names another is refused")


def _add_model(command: argparse.ArgumentParser, what: str) -> None:
    """Declare `--model`, the same on every command that loads rules (docs/models.md)."""
    command.add_argument(
        "--model",
        metavar="NAME|MODULE:CLASS",
        help=f"{what}, instead of the model the header's 'model' line names: a registered model, or "
        "a pydantic class as module:Class, imported from the current directory first (as python -m "
        "does), then from the installed packages",
    )


def chosen_model(args: argparse.Namespace) -> tuple[type[BaseModel], str] | None:
    """The class `--model` names and the name it goes by, or None without `--model`.

    Raises:
        UsageError: no such model, or its module cannot be imported (whatever
            it raised) or has no such pydantic class.
    """
    spec: str | None = getattr(args, "model", None)
    if spec is None:
        return None
    from clinrules.models import UnknownModelError, find_model

    try:
        here = Path(os.getcwd())
    except OSError as error:  # the current directory was removed
        raise UsageError(f"--model: cannot use the current directory: {error.strerror or error}") from None
    try:
        return find_model(spec, here), spec
    except UnknownModelError as error:
        known = ", ".join(error.known) or "none"
        raise UsageError(
            f"--model {spec!r}: {error}; the registered models are: {known}; or give a pydantic "
            "class as module:Class (docs/models.md)"
        ) from None


MODEL_HINT = "pass --model NAME or --model module:Class (docs/models.md)"
"""How to give a model the header cannot name: on the command line."""


def with_model_hint(diagnostics: Sequence[Diagnostic], how: str = MODEL_HINT) -> list[Diagnostic]:
    """The diagnostics, each unknown model's (CR205) hint saying how to give a model anyway."""
    return [
        dataclasses.replace(d, hint=_joined(d.hint, how)) if d.code == "CR205" else d for d in diagnostics
    ]


def _joined(hint: str | None, how: str) -> str:
    if not hint:
        return how
    return f"{hint} Or {how}" if hint.endswith("?") else f"{hint}; or {how}"


def _percent(raw: str) -> float:
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{raw}' is not a percentage such as 90") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"'{raw}' is not between 0 and 100")
    return value


def _add_doc(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `doc` command."""
    command = commands.add_parser(
        "doc",
        help="write a ruleset as a Markdown page for clinical review",
        description="Write a ruleset (of any status) as a Markdown page a clinician reviews: its "
        "status and reviews, sources, parameters, exercises, ladders, red flags, and every rule in "
        "plain words. Exit 0 with a page, 1 when the ruleset has errors or the page cannot be "
        "written, 2 for a usage error.",
    )
    command.add_argument("ruleset", metavar="RULESET", help="the .rules file")
    command.add_argument("-o", "--output", metavar="FILE", help="write the page to FILE (default: stdout)")
    _add_model(command, "use this model")


def _add_schema(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `schema` command."""
    command = commands.add_parser(
        "schema",
        help="print the JSON Schema of a patient model or of the decision",
        description="Print JSON Schema for app developers: 'patient' for a model's patient document "
        "(default model: sciatica), 'decision' for the decision JSON. Exit 0, or 2 for a usage error.",
    )
    command.add_argument("which", choices=("patient", "decision"), help="patient or decision")
    command.add_argument(
        "--model", default="sciatica", metavar="NAME", help="a registered model (default: sciatica)"
    )


def _add_fmt(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `fmt` command."""
    command = commands.add_parser(
        "fmt",
        help="rewrite rule files in the canonical layout, comments kept",
        description="Rewrite rule files in place in the canonical layout (docs/formatting.md), keeping "
        "every comment; each file rewritten is listed. A directory means every *.rules file below it. "
        "With --check, change nothing: list the files that would change and exit 1 if any would. "
        "A file with syntax errors is left as it is and its errors are shown (exit 1). "
        "Exit 2 for a usage error or an unreadable path.",
    )
    command.add_argument("paths", nargs="+", metavar="PATH", help="a .rules file or a directory")
    command.add_argument(
        "--check",
        action="store_true",
        help="change nothing; list the files that are not formatted and exit 1 if there are any",
    )


QUESTIONNAIRE_PARTS = ("checkin", "screen", "session", "startback", "exam", "all")
"""The parts `questionnaire --part` takes (authoring/questionnaire.py, which this module must not import)."""


def _add_questionnaire(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `questionnaire` command."""
    command = commands.add_parser(
        "questionnaire",
        help="print a FHIR R4 Questionnaire of a model's questions",
        description="Print FHIR R4 Questionnaire JSON made from a patient model's fields and their "
        "questions (docs/integration.md): one part, or with --part all a Bundle of every part. "
        "Exit 0 with the JSON, 1 when the model cannot be written as a Questionnaire or the output "
        "cannot be written, 2 for a usage error.",
    )
    command.add_argument(
        "--model",
        required=True,
        metavar="NAME|MODULE:CLASS",
        help="a registered model, or a pydantic class as module:Class, imported from the current "
        "directory first, then from the installed packages",
    )
    command.add_argument(
        "--part",
        type=_part,
        default="all",
        metavar="PART",
        help="checkin (symptoms and the patient's own fields), screen (red_flags), session, "
        "startback, exam (the clinician's fields), or all (default: a Bundle of every part)",
    )
    command.add_argument("-o", "--output", metavar="FILE", help="write the JSON to FILE (default: stdout)")
    command.add_argument(
        "--date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the Questionnaire's date (default: today, in UTC)",
    )


def _part(raw: str) -> str:
    if raw not in QUESTIONNAIRE_PARTS:
        raise argparse.ArgumentTypeError(
            f"'{raw}' is not a part; give one of {', '.join(QUESTIONNAIRE_PARTS[:-1])}, or all for every one"
        )
    return raw


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{raw}' is not a date such as 2026-11-21") from None


def _add_serve(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `serve` command."""
    command = commands.add_parser(
        "serve",
        help="serve rulesets as a CDS Hooks 2.0 service",
        description="Serve rulesets as CDS Hooks 2.0 patient-view services (docs/integration.md), one "
        "per ruleset, until interrupted. Needs the extra clinrules[service]. Exit 0 when stopped, 1 when "
        "a ruleset has errors or may not be served, 2 for a usage error or without the extra.",
    )
    command.add_argument("rulesets", nargs="+", metavar="RULESET", help="a .rules file to serve")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    command.add_argument("--port", type=_port, default=8080, help="the port to listen on (default: 8080)")
    command.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="serve with N uvicorn worker processes, each loading the rulesets (default: 1)",
    )
    command.add_argument(
        "--allow-draft",
        action="store_true",
        help="serve rulesets whose status is not approved (for testing; their titles say so)",
    )
    command.add_argument(
        "--audit-log", metavar="FILE", help="append one JSON line per decision to FILE (no patient data)"
    )
    command.add_argument(
        "--auth", metavar="FILE", help="require a bearer JWT per call, verified with this JSON/YAML config"
    )
    command.add_argument(
        "--state-dir",
        metavar="DIR",
        help="keep the JWT replay store (shared by the workers) in DIR, created if absent, kept across "
        "restarts (default with --auth: a directory created for the run and removed after)",
    )


def _workers(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) <= 64:
        raise argparse.ArgumentTypeError(f"workers is a whole number from 1 to 64, got '{raw}'")
    return int(raw)


def _add_prove(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `prove` command."""
    command = commands.add_parser(
        "prove",
        help="prove the safety promises and requires of a ruleset for every patient",
        description="Prove, with the z3 solver, that the built-in promises and every 'require' hold for "
        "every patient within the model's bounds, and find dead and masked rules (docs/prove.md); each "
        "counterexample is replayed through the evaluator. Needs the extra clinrules[prove]. Rulesets "
        "of any status are proved. Exit 0 when everything is proved (warnings alone: 0), 1 when a "
        "promise or require is refuted or not proved or the ruleset has errors, 2 for a usage error or "
        "without the extra, 70 when a counterexample disagrees with the evaluator (a bug).",
    )
    command.add_argument("ruleset", metavar="RULESET", help="the .rules file")
    _add_model(command, "use this model")
    command.add_argument(
        "--fix-params",
        action="store_true",
        help="pin every parameter at its default (default: any value within its bounds)",
    )
    command.add_argument(
        "--complete", action="store_true", help="also report gaps: fully known patients no rule decides"
    )
    command.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    command.add_argument(
        "--write-cases",
        metavar="FILE",
        help="write every counterexample as a case of a case file (NAME.cases.yaml)",
    )


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, got '{raw}'")
    return int(raw)


def _add_batch(commands: argparse._SubParsersAction[Any]) -> None:
    """Declare the `batch` command."""
    command = commands.add_parser(
        "batch",
        help="evaluate a population: JSON lines or Parquet in, one result row per record out",
        description="Evaluate every record of INPUT (JSON lines, or Parquet by its suffix) and write one "
        "result row per record to OUTPUT (docs/batch.md). Exit 0 when every record was evaluated, 1 when "
        "the ruleset has errors or may not be used, 2 for a usage error or a missing extra, 3 when some "
        "records are error rows (every row is still written) or --as-of/--exercise is refused.",
    )
    command.add_argument("ruleset", metavar="RULESET", help="the .rules file")
    command.add_argument(
        "input", metavar="INPUT", help="the records: .jsonl (one JSON object a line) or .parquet"
    )
    command.add_argument("output", metavar="OUTPUT", help="the result rows: .jsonl or .parquet")
    command.add_argument(
        "--engine", choices=["local", "spark", "dask"], default="local", help="default: local"
    )
    command.add_argument("--workers", type=_count, default=1, help="worker processes (default: 1)")
    command.add_argument(
        "--partition-size", type=_count, default=2000, help="records per partition (default: 2000)"
    )
    command.add_argument("--id-field", default="id", metavar="PATH", help="each record's id (default: id)")
    command.add_argument(
        "--exercise", action="append", metavar="ID", help="report this exercise (repeatable; default: all)"
    )
    command.add_argument(
        "--as-of",
        metavar="ISO",
        help="the evaluation time of every record, with an offset (default: now, said in the summary)",
    )
    command.add_argument("--decision", action="store_true", help="add the column decision (its JSON)")
    command.add_argument(
        "--allow-draft", action="store_true", help="use a ruleset whose status is not approved (for testing)"
    )


def _count(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"a count is a whole number of at least 1, got '{raw}'")
    return int(raw)
