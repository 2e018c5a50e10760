"""`clinrules.dask.evaluate`: a Dask bag or DataFrame of records -> the same with result rows.

Needs dask and distributed (the extra `clinrules[dask]`), imported only
when called. Design decision: a bag of dicts or JSON lines is the exact
path (a record is what the bag holds); a DataFrame partition is pandas,
whose missing values are NaN, so a NaN at the top of a record is read as
null (unknown) and never as a number; nested values are passed as pandas
holds them, and a frame of JSON text (`json_column`) is exact again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from clinrules.base.errors import ArgumentError
from clinrules.batch.partition import BatchOptions, Row, columns, evaluate_partition
from clinrules.batch.prepare import RulesetArg, prepared
from clinrules.batch.shipped import ShippedRuleset

INSTALL_HINT = "pip install 'clinrules[dask]'"


def evaluate(
    data: Any,
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
    """The result rows of every record, lazily: a bag of row dicts for a bag, a DataFrame for a DataFrame.

    Args:
        data: a `dask.bag.Bag` of records (dicts, or JSON lines as text), or
            a `dask.dataframe.DataFrame` whose rows are records or whose
            `json_column` holds each as JSON text.
        keep: DataFrame columns carried to the output, first (not part of the record).
        the others: as `clinrules.spark.evaluate`.

    Raises:
        RulesetError, BatchError, ArgumentError, ExerciseError,
        PatientDataError: before any work is sent.
    """
    import dask.bag
    import dask.dataframe

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
    names = columns(shipped, options)
    if isinstance(data, dask.bag.Bag):
        if keep or json_column is not None:
            raise ArgumentError(
                "keep and json_column are for a DataFrame; a bag holds the records themselves"
            )
        return data.map_partitions(_bag_partition, shipped, options)
    if isinstance(data, dask.dataframe.DataFrame):
        import pandas

        kept = list(keep)
        meta = pandas.DataFrame({c: pandas.Series(dtype=object) for c in [*kept, *names]})
        return data.map_partitions(_frame_partition, shipped, options, names, json_column, kept, meta=meta)
    raise ArgumentError(f"data must be a dask Bag or DataFrame, not {type(data).__name__}")


def _bag_partition(items: Iterable[object], shipped: ShippedRuleset, options: BatchOptions) -> list[Row]:
    return evaluate_partition(items, shipped, options)


def _frame_partition(
    frame: Any,
    shipped: ShippedRuleset,
    options: BatchOptions,
    names: list[str],
    json_column: str | None,
    keep: list[str],
) -> Any:
    import pandas

    if json_column is not None:
        found: list[object] = list(frame[json_column])
    else:
        found = [
            {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}
            for record in frame.drop(columns=keep).to_dict("records")
        ]
    rows = evaluate_partition(found, shipped, options)
    out = pandas.DataFrame({c: pandas.Series(list(frame[c]), dtype=object) for c in keep})
    for name in names:
        out[name] = pandas.Series([row[name] for row in rows], dtype=object)
    out.index = frame.index
    return out
