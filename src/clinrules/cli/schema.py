"""`clinrules schema patient|decision`: JSON Schema for app developers.

`patient` is the schema of a model's patient document (the input of `eval`
and `RuleSet.evaluate`); `decision` is the schema of the decision JSON
(contracts section 4). Both come from the pydantic models themselves, so
they cannot drift from what clinrules validates and produces.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from clinrules.cli.common import UsageError
from clinrules.decision.result import Decision
from clinrules.models import UnknownModelError, model_names, resolve_model


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Print the schema asked for."""
    if args.which == "decision":
        schema = Decision.model_json_schema()
    else:
        try:
            schema = resolve_model(args.model).model_json_schema()
        except UnknownModelError as error:
            raise UsageError(
                f"{error.reason or f'unknown model {args.model!r}'}; the models are: {', '.join(model_names())}"
            ) from None
    print(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True), file=out)
    return 0
