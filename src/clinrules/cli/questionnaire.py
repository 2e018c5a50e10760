"""`clinrules questionnaire --model NAME [--part PART] [-o FILE]`: FHIR R4 Questionnaire JSON from a model.

Stage: the command line over `authoring/questionnaire.py`. Design decision:
the output depends on its inputs only (the model, the part and `--date`,
today in UTC by default), so the same command prints the same bytes and an
app's Questionnaire can be kept under version control and compared.

Exit codes: 0 the JSON was printed or written, 1 the model cannot be
written as a Questionnaire (or used by rules at all) or the output file
cannot be written, 2 usage (no such model or part, a bad date, an output
that is not a regular file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import TextIO

from clinrules.authoring.questionnaire import QuestionnaireError, build
from clinrules.cli.args import chosen_model
from clinrules.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    refuse_unwritable_output,
    write_whole,
)
from clinrules.schema.reader import SchemaError


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `questionnaire` with parsed arguments."""
    if args.output is not None:
        refuse_unwritable_output(args.output, "questionnaire", "questionnaire.json")
    chosen = chosen_model(args)
    if chosen is None:  # argparse requires --model; kept for the type checker
        raise UsageError("--model is required")
    model, name = chosen
    date = args.date if args.date is not None else dt.datetime.now(dt.UTC).date()
    try:
        resource = build(model, args.part, name, date)
    except (SchemaError, QuestionnaireError) as error:
        print(f"clinrules: error: {error}", file=err)
        return EXIT_FAILED
    text = json.dumps(resource, indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        print(text, end="", file=out)
        return EXIT_OK
    try:
        write_whole(Path(args.output), text, "questionnaire", "questionnaire.json")
    except OSError as error:
        print(f"clinrules: cannot write '{args.output}': {error.strerror or error}", file=err)
        return EXIT_FAILED
    return EXIT_OK
