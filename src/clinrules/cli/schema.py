"""`clinrules schema patient|decision`: JSON Schema for app developers.

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
import json
from enum import IntEnum
from typing import Any, TextIO

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from clinrules.cli.common import UsageError
from clinrules.decision.result import Decision
from clinrules.models import UnknownModelError, model_names, resolve_model
from clinrules.models.ordinal import OrdinalEnum
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
