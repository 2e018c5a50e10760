"""`clinrules eval RULESET PATIENT`: one patient's decision, as text a clinician reads or as JSON.

Exit codes: 0 a decision was made (whatever it says), 1 the ruleset has
errors or may not be used, 2 usage (a missing file, a bad `--as-of` or
`--set`, an unknown exercise), 3 bad patient data or parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import TextIO

from clinrules.api import load
from clinrules.base.errors import ExerciseError, ParameterError, PatientDataError, RulesetError
from clinrules.base.files import FileTooLargeError, NotRegularFileError, read_bounded
from clinrules.base.limits import MAX_PATIENT_BYTES
from clinrules.base.terminal import printable
from clinrules.cli.args import chosen_model, with_model_hint
from clinrules.cli.common import EXIT_DATA, EXIT_FAILED, EXIT_OK, UsageError, existing_file, print_diagnostics
from clinrules.decision.result import Decision
from clinrules.engine.inputs import as_of_problem
from clinrules.engine.wording import time_problem


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO | None) -> int:
    """Run `eval` with parsed arguments."""
    parameters = _parameters(args.set)
    as_of = _as_of(args.as_of)
    existing_file(args.ruleset)
    chosen = chosen_model(args)
    try:
        ruleset = load(args.ruleset, model=chosen[0] if chosen else None, allow_draft=args.allow_draft)
    except RulesetError as error:
        print_diagnostics(with_model_hint(error.diagnostics), err)
        return EXIT_FAILED
    provenance: dict[str, str] = {}
    as_of_source = "--as-of"
    try:
        patient = _patient(args.patient, stdin)
        if args.fhir:
            model = chosen[0] if chosen else ruleset.program.model
            if as_of is None:
                as_of_source = "the Bundle's timestamp" if _stamped(patient) else _CLOCK
            patient, provenance = _from_fhir(patient, model, as_of)
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
        if args.explain and args.fhir:
            _print_sources(decision, provenance, as_of_source, out)
    return EXIT_OK


_CLOCK = "the clock (no --as-of, and the Bundle has no timestamp)"


def _stamped(resources: object) -> bool:
    """Whether the FHIR input holds a Bundle with a timestamp (from_fhir's `as_of` when none is given)."""
    items = [resources] if isinstance(resources, dict) else resources if isinstance(resources, list) else []
    return any(
        isinstance(item, dict) and item.get("resourceType") == "Bundle" and "timestamp" in item
        for item in items
    )


def _print_sources(decision: Decision, provenance: dict[str, str], as_of_source: str, out: TextIO) -> None:
    """Where `as_of` and each field the decision read came from; the other imported fields by name only.

    "Read" is what the trace shows read or missing; a session field counts
    for every session when any session's is read (the trace names a session
    by its exercise and time, provenance by its position).
    """
    print(f"\nas_of {decision.as_of.isoformat().replace('+00:00', 'Z')}: from {as_of_source}", file=out)
    read = {_field(path) for entry in decision.trace or () for path in (*entry.values, *entry.missed)}
    used = {path: ref for path, ref in provenance.items() if _field(path) in read}
    if used:
        print("\nWhere the FHIR data the decision read came from:", file=out)
        for path, ref in used.items():
            print(f"  {path}: {printable(ref)}", file=out)
    unread = [path for path in provenance if path not in used]
    if unread:
        print(f"\nImported but not read by this decision: {printable(', '.join(unread))}", file=out)


def _field(path: str) -> str:
    """A field path as trace and provenance share it: `sessions.pain_before` for either's session field."""
    path = path.split(" (", 1)[0]
    return re.sub(r"\[\d+\]", "", path)


def _from_fhir(
    bundle: object, model: object, as_of: dt.datetime | None
) -> tuple[dict[str, object], dict[str, str]]:
    """The patient of a FHIR Bundle (exit 2 without the extra or with a bad mapping, 3 for bad data)."""
    try:
        from clinrules.fhir import from_fhir
    except ImportError as error:
        raise UsageError(str(error)) from None
    from clinrules.base.errors import ArgumentError

    try:
        return from_fhir(bundle, model, as_of)  # type: ignore[arg-type]
    except ArgumentError as error:
        raise UsageError(f"--fhir: {error}") from None


def _parameters(settings: list[str]) -> dict[str, float | int | bool]:
    """`NAME=VALUE` settings: a bare number in the parameter's unit, or yes/no for a yes/no parameter.

    Which a parameter takes is checked by the ruleset (exit 3): `yes` for a
    number, or `1` for a yes/no, is refused there, never turned into the other.
    """
    out: dict[str, float | int | bool] = {}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set takes NAME=VALUE, got '{setting}'")
        if raw.strip() in ("yes", "no"):
            out[name.strip()] = raw.strip() == "yes"
            continue
        digits = raw.strip().lstrip("+-")
        try:
            # A whole number too long for int() is read as a float (infinity
            # at worst), which the ruleset then refuses as beyond its limit.
            value: float | int = int(raw) if digits.isdigit() and len(digits) <= 18 else float(raw)
        except ValueError:
            raise UsageError(
                f"--set {name}: '{raw}' is neither a number nor yes or no "
                "(give a bare number in the parameter's unit, or yes or no for a yes/no parameter)"
            ) from None
        out[name.strip()] = value
    return out


def _as_of(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    wrong = time_problem(raw)  # the wording of every bad time, as_of or field
    if wrong is not None:
        raise UsageError(f"--as-of {wrong}")
    value = dt.datetime.fromisoformat(raw)
    problem = as_of_problem(value)
    if problem is not None:
        raise UsageError(f"--as-of {problem}")
    return value


def _patient(source: str, stdin: TextIO | None) -> object:
    if source == "-":
        if stdin is None or stdin.closed:
            raise PatientDataError([("", "there is no standard input to read the patient from")])
        text = _stdin_text(stdin)
        where = "standard input"
    else:
        text = _file_text(source)
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
    except ValueError:  # a whole number of more than 4,300 digits, which Python will not read
        raise PatientDataError([("", f"{where} holds a number too long to read")]) from None


def _too_large(where: str) -> PatientDataError:
    limit = MAX_PATIENT_BYTES // (1024 * 1024)
    return PatientDataError([("", f"{where} holds more than {limit} MiB; one patient's data is far smaller")])


def _stdin_text(stdin: TextIO) -> str:
    """Standard input, read bounded: a stream that never ends (/dev/zero) is refused, not read."""
    binary = getattr(stdin, "buffer", None)
    if binary is None:  # a text stream without bytes below it (a caller's StringIO)
        text = stdin.read(MAX_PATIENT_BYTES + 1)
        if len(text) > MAX_PATIENT_BYTES:
            raise _too_large("standard input")
        return text
    data = binary.read(MAX_PATIENT_BYTES + 1)
    if len(data) > MAX_PATIENT_BYTES:
        raise _too_large("standard input")
    try:
        return str(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise PatientDataError(
            [("", f"standard input is not UTF-8 text (a bad byte at offset {error.start})")]
        ) from None


def _file_text(source: str) -> str:
    """A patient file, read bounded and only if it is a regular file (exit 2 otherwise)."""
    try:
        data = read_bounded(source, MAX_PATIENT_BYTES)
    except FileTooLargeError:
        raise _too_large(source) from None
    except FileNotFoundError:
        raise UsageError(f"cannot read '{source}': no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read '{source}': it is a directory; give a JSON file") from None
    except NotRegularFileError as error:
        raise UsageError(f"cannot read '{source}': it is {error.kind}, not a file") from None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read '{source}': {getattr(error, 'strerror', None) or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot read '{source}': {error}") from None
