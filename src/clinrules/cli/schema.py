"""`clinrules schema patient|decision` and `clinrules questionnaire`: the documents an app builds against.

`schema` prints JSON Schema; `questionnaire` a FHIR R4 Questionnaire (below,
`run_questionnaire`).


`patient` is the schema of a model's patient document (the input of `eval`
and `RuleSet.evaluate`); `decision` is the schema of the decision JSON
(contracts section 4). Both come from the pydantic models themselves, so
they cannot drift from what clinrules validates and produces.

Two things rules read that JSON Schema has no word for are added as
`x-clinrules-` keys, from the same declarations the schema reader reads
(`schema/reader.py`): an enum that is a `clinrules.OrdinalEnum` is marked
`"x-clinrules-ordinal": true` with its members lowest first in
`"x-clinrules-order"` (an `IntEnum` likewise, its values in order), and a field with a unit (`json_schema_extra={"unit":
"kg"}`) carries `"x-clinrules-unit"`, the unit's name as rules know it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from enum import IntEnum
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from clinrules.authoring.questionnaire import QuestionnaireError, build
from clinrules.cli.args import chosen_model
from clinrules.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    refuse_unwritable_output,
    write_whole,
)
from clinrules.decision.result import Decision
from clinrules.models import UnknownModelError, model_names, resolve_model
from clinrules.models.ordinal import OrdinalEnum
from clinrules.schema.reader import SchemaError
from clinrules.schema.units import unit_named

ORDINAL = "x-clinrules-ordinal"
ORDER = "x-clinrules-order"
UNIT = "x-clinrules-unit"


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the schema asked for."""
    if args.which == "decision":
        schema = json_schema(Decision)
    else:
        try:
            model = resolve_model(args.model)
        except UnknownModelError as error:
            raise UsageError(
                f"{error.reason or f'unknown model {args.model!r}'}; the models are: {', '.join(model_names())}"
            ) from None
        schema = json_schema(model)
    print(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True), file=out)
    return 0


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema, with the ordinal enums and the units marked."""
    schema = model.model_json_schema(schema_generator=_ClinrulesSchema)
    _mark_units(schema)
    return schema


class _ClinrulesSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, with an ordinal enum's order."""

    def enum_schema(self, schema: core_schema.EnumSchema) -> JsonSchemaValue:
        result = super().enum_schema(schema)
        if issubclass(schema["cls"], OrdinalEnum):
            result[ORDINAL] = True
            result[ORDER] = [member.value for member in schema["cls"]]  # declaration order, lowest first
        elif issubclass(schema["cls"], IntEnum):  # ranked by value; rules name the members
            result[ORDINAL] = True
            result[ORDER] = sorted(member.value for member in schema["cls"])
        return result


def _mark_units(schema: object) -> None:
    """Add `x-clinrules-unit` beside each field's `unit` (its JSON Schema extra), wherever it is."""
    pending = [schema]
    while pending:  # a walk without recursion: a schema is as deep as its models
        node = pending.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                for field in properties.values():
                    if isinstance(field, dict) and isinstance(field.get("unit"), str):
                        unit = unit_named(field["unit"])
                        field[UNIT] = unit.name if unit is not None else field["unit"]
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def run_questionnaire(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run `questionnaire --model NAME [--part PART] [-o FILE]` with parsed arguments.

    The output depends on its inputs only (the model, the part and `--date`,
    today in UTC by default), so the same command prints the same bytes and
    an app's Questionnaire can be kept under version control and compared.
    Exit codes: 0 the JSON was printed or written, 1 the model cannot be
    written as a Questionnaire (or used by rules at all) or the output file
    cannot be written, 2 usage (no such model or part, a bad date, an output
    that is not a regular file).
    """
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
