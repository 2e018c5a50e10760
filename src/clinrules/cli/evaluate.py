"""`clinrules eval RULESET PATIENT`: one patient's decision, as text a clinician reads or as JSON.

Exit codes: 0 a decision was made (whatever it says), 1 the ruleset has
errors or may not be used, 2 usage (a missing file, a bad `--as-of` or
`--set`, an unknown exercise), 3 bad patient data or parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from clinrules.api import load
from clinrules.base.errors import ExerciseError, ParameterError, PatientDataError, RulesetError
from clinrules.cli.common import EXIT_DATA, EXIT_FAILED, EXIT_OK, UsageError, print_diagnostics


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO | None) -> int:
    """Run `eval` with parsed arguments."""
    parameters = _parameters(args.set)
    as_of = _as_of(args.as_of)
    if not Path(args.ruleset).is_file():
        raise UsageError(f"cannot read '{args.ruleset}': no such file")
    try:
        ruleset = load(args.ruleset, allow_draft=args.allow_draft)
    except RulesetError as error:
        print_diagnostics(error.diagnostics, err)
        return EXIT_FAILED
    try:
        patient = _patient(args.patient, stdin)
        decision = ruleset.evaluate(patient, args.exercise, parameters, as_of, explain=args.explain)
    except ExerciseError as error:
        raise UsageError(str(error)) from None
    except (PatientDataError, ParameterError) as error:
        print(f"clinrules: {error}", file=err)
        return EXIT_DATA
    if args.format == "json":
        print(json.dumps(decision.model_dump(mode="json"), indent=2, ensure_ascii=False), file=out)
    else:
        print(decision.explain(), end="", file=out)
    return EXIT_OK


def _parameters(settings: list[str]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, got '{setting}'")
        try:
            value: float | int = int(raw) if raw.strip().lstrip("+-").isdigit() else float(raw)
        except ValueError:
            raise UsageError(
                f"--set {name}: '{raw}' is not a number (give a bare number in the parameter's unit)"
            ) from None
        out[name.strip()] = value
    return out


def _as_of(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"--as-of '{raw}' is not an ISO 8601 time such as 2026-11-21T08:00:00Z") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"--as-of '{raw}' needs a UTC offset, such as 2026-11-21T08:00:00Z")
    return value


def _patient(source: str, stdin: TextIO | None) -> object:
    if source == "-":
        if stdin is None or stdin.closed:
            raise PatientDataError([("", "there is no standard input to read the patient from")])
        text = stdin.read()
        where = "standard input"
    else:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"cannot read '{source}': no such file")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read '{source}': {error}") from None
        where = source
    if not text.strip():
        raise PatientDataError([("", f"no patient data in {where}")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise PatientDataError(
            [("", f"{where} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}")]
        ) from None
    except RecursionError:
        raise PatientDataError([("", f"{where} is nested too deeply to read")]) from None
