"""`clinrules batch RULESET INPUT OUTPUT [--engine local|spark|dask] [--workers N] ...`: a population, nightly.

Stage: the command line over `batch/`. Design decision: the output is
reproducible: every row carries the ruleset's id, version and sha256 and
the `as_of` of the batch, which is `--as-of` or else the clock read once
at the start and said in the summary, so that a rerun with that `--as-of`
gives byte-identical output. A bad record is an error row, and the command
then exits 3 after writing every row, so a night with bad data is never
mistaken for a clean one.

Exit codes: 0 every record evaluated, 1 the ruleset has errors or may not
be used, 2 usage (a path, an option, a missing extra), 3 some records are
error rows or `--as-of`/`--exercise` is refused, 130 interrupted.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from clinrules.api import load
from clinrules.base.errors import ExerciseError, PatientDataError, RulesetError
from clinrules.cli.args import with_model_hint
from clinrules.cli.common import EXIT_DATA, EXIT_FAILED, EXIT_OK, UsageError, existing_file, print_diagnostics

if TYPE_CHECKING:
    from clinrules.batch.partition import BatchOptions
    from clinrules.batch.shipped import ShippedRuleset

PROGRESS_SECONDS = 2.0
"""How often the progress line is printed on a terminal: one line each time, so a log stays readable."""

_EXTRAS = {"spark": ("pyspark", "spark"), "dask": ("distributed", "dask")}


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `batch` with parsed arguments."""
    from clinrules.batch.partition import BatchOptions, checked_options, columns, utc_text
    from clinrules.batch.shipped import BatchError, ship

    source, target = existing_file(args.input, "one JSON lines or Parquet file"), Path(args.output)
    _extras(args.engine, source, target)
    try:
        ruleset = load(args.ruleset, allow_draft=args.allow_draft)
    except RulesetError as error:
        print_diagnostics(with_model_hint(error.diagnostics), err)
        return EXIT_FAILED
    as_of = args.as_of or utc_text(dt.datetime.now(dt.UTC).replace(microsecond=0))
    try:
        shipped = ship(ruleset, allow_draft=args.allow_draft)
        options = checked_options(
            shipped,
            BatchOptions(
                as_of=as_of,
                id_field=args.id_field,
                exercises=tuple(args.exercise) if args.exercise else None,
                decision=args.decision,
            ),
        )
    except BatchError as error:
        print(f"clinrules: error: {error}", file=err)
        return EXIT_FAILED
    except (PatientDataError, ExerciseError) as error:
        print(f"clinrules: error: {error}", file=err)
        return EXIT_DATA
    names = columns(shipped, options)
    return _write(args, shipped, options, names, out, err, stamped=args.as_of is None)


def _write(
    args: argparse.Namespace,
    shipped: ShippedRuleset,
    options: BatchOptions,
    names: list[str],
    out: TextIO,
    err: TextIO,
    *,
    stamped: bool,
) -> int:
    from clinrules.batch.files import RowWriter
    from clinrules.batch.run import rows_of

    started = time.monotonic()
    counts: collections.Counter[str] = collections.Counter()
    records = errors = 0
    tty = err.isatty()
    shown = started
    try:
        writer = RowWriter(args.output, names)
    except OSError as error:
        raise UsageError(f"cannot write '{args.output}': {error.strerror or error}") from None
    try:
        for rows in rows_of(
            args.engine, Path(args.input), shipped, options, args.workers, args.partition_size
        ):
            writer.write(rows)
            records += len(rows)
            for row in rows:
                if row["error"] is None:
                    counts[row["triage"]] += 1
                else:
                    errors += 1
            if tty and time.monotonic() - shown >= PROGRESS_SECONDS:
                shown = time.monotonic()
                rate = records / max(shown - started, 1e-9)
                print(
                    f"clinrules batch: {_count(records, 'record')}, {_count(errors, 'error row')}, {rate:,.0f}/s",
                    file=err,
                )
    finally:
        writer.close()
    seconds = max(time.monotonic() - started, 1e-9)
    triage = ", ".join(f"{name} {counts[name]:,}" for name in ("urgent", "check", "clear"))
    print(
        f"clinrules batch: {_count(records, 'record')}, {_count(errors, 'error row')}; triage {triage}",
        file=out,
    )
    print(
        f"ruleset {shipped.id} {shipped.version} sha256 {shipped.sha256}, as of {options.as_of}"
        + (f" (from the clock: rerun with --as-of {options.as_of} for the same output)" if stamped else ""),
        file=out,
    )
    print(
        f"{args.engine}, {args.workers} worker(s): {seconds:.1f} s, {records / seconds:,.0f} records/s",
        file=out,
    )
    print("Decision support, not diagnosis: each row is advice for a clinician to weigh.", file=out)
    return EXIT_DATA if errors else EXIT_OK


def _extras(engine: str, source: Path, target: Path) -> None:
    """Refuse, with the install hint, an engine or a Parquet file whose extra is not installed."""
    import importlib

    from clinrules.batch.files import is_parquet

    needed = []
    if engine in _EXTRAS:
        needed.append(_EXTRAS[engine])
    if engine != "local" or is_parquet(source) or is_parquet(target):
        needed.append(("pyarrow", "batch"))
    for module, extra in needed:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UsageError(
                f"batch {'--engine ' + engine if extra != 'batch' else 'with Parquet'} needs the extra "
                f"clinrules[{extra}] ({module} is not installed); pip install 'clinrules[{extra}]'"
            ) from None


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
