"""`clinrules.spark.evaluate`: a Spark DataFrame of records -> a DataFrame of result rows, by `mapInArrow`.

Needs pyspark 4 and pyarrow (the extra `clinrules[spark]`), which the
caller's session already imports; this module imports neither itself.
Design decision: the function Spark ships to its Python workers holds the
ruleset as text (`ShippedRuleset`), never compiled code; each worker
process compiles it once (`shipped.compiled`) and refuses a sha256 other
than the one shipped. `mapInArrow` keeps each partition's row order, so
the result rows follow the input rows partition by partition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from clinrules.batch.arrow import record_batch, records
from clinrules.batch.partition import LIST_COLUMNS, BatchOptions, columns, evaluate_partition
from clinrules.batch.prepare import RulesetArg, prepared
from clinrules.batch.shipped import ShippedRuleset

INSTALL_HINT = "pip install 'clinrules[spark]'"


def evaluate(
    df: Any,
    ruleset: RulesetArg,
    *,
    as_of: str,
    allow_draft: bool = False,
    model: str | None = None,
    id_field: str = "id",
    exercises: Iterable[str] | None = None,
    json_column: str | None = None,
    keep: Sequence[str] = (),
    decision: bool = False,
    recheck: bool = True,
) -> Any:
    """The result rows of every record of `df`, as a Spark DataFrame (lazy, like any transformation).

    Args:
        df: a DataFrame whose rows are records (nested structs, nulls kept
            as unknown), or whose `json_column` holds each record as a JSON
            line (`spark.read.text(path)`: `json_column="value"`).
        ruleset: a `RuleSet`, a `ShippedRuleset` or a path to a ruleset file.
        as_of: the evaluation time of every record (ISO 8601 with an offset).
        allow_draft: use a ruleset that is not `approved`.
        model: the registered model name, if the header's is overridden.
        id_field: the dotted path of each record's id (taken out of the record).
        exercises: the exercises to report (default: all).
        json_column: the column holding each record as JSON text.
        keep: input columns carried to the output, first (not part of the record).
        decision: add the column `decision` (the decision's JSON).
        recheck: work out `recheck_at`.

    Returns:
        A DataFrame with the kept columns, then `clinrules.batch.columns`.

    Raises:
        RulesetError, BatchError, ArgumentError, ExerciseError,
        PatientDataError: on the driver, before any work is sent.
    """
    shipped, options = prepared(
        ruleset,
        as_of=as_of,
        allow_draft=allow_draft,
        model=model,
        id_field=id_field,
        exercises=exercises,
        decision=decision,
        recheck=recheck,
    )
    kept = tuple(keep)
    names = columns(shipped, options)
    ddl = [f"`{f.name}` {f.dataType.simpleString()}" for f in (df.schema[k] for k in kept)]
    ddl += [f"`{n}` {'array<string>' if n in LIST_COLUMNS else 'string'}" for n in names]
    return df.mapInArrow(_Partitions(shipped, options, names, json_column, kept), ", ".join(ddl))


class _Partitions:
    """The function Spark runs on each partition: picklable, holding only text and names."""

    def __init__(
        self,
        shipped: ShippedRuleset,
        options: BatchOptions,
        names: list[str],
        json_column: str | None,
        keep: tuple[str, ...],
    ) -> None:
        self.shipped = shipped
        self.options = options
        self.names = names
        self.json_column = json_column
        self.keep = keep

    def __call__(self, batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            found, kept = records(batch, self.json_column, self.keep)
            rows = evaluate_partition(found, self.shipped, self.options)
            yield record_batch(rows, self.names, kept)
