"""Result rows <-> Apache Arrow: the schema of the result columns, and records out of a record batch.

Needs pyarrow (the extra `clinrules[batch]`), imported only here and only
when called. Design decision: every result column is text (or a list of
text for `missing`), times included, so that the JSON-lines output, the
Parquet output and every engine's frame hold the same values, compared as
they are; a null in an input batch stays a null (unknown), never dropped,
so a model's default never stands in for a value the data left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clinrules.batch.partition import LIST_COLUMNS, Row

INSTALL_HINT = "pip install 'clinrules[batch]'"


def require_pyarrow() -> Any:
    """The pyarrow module, or an ImportError that says how to install it."""
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError(
            f"batches in Arrow or Parquet need pyarrow; install it with {INSTALL_HINT}"
        ) from None
    return pa


def schema(names: Sequence[str], kept: Sequence[Any] = ()) -> Any:
    """The Arrow schema of the result columns `names`, after the kept input fields `kept`."""
    pa = require_pyarrow()
    fields = [pa.field(n, pa.list_(pa.string()) if n in LIST_COLUMNS else pa.string()) for n in names]
    return pa.schema([*kept, *fields])


def record_batch(rows: Sequence[Row], names: Sequence[str], kept: Any = None) -> Any:
    """The rows as a record batch of `schema(names)`, with the kept input columns of `kept` first."""
    pa = require_pyarrow()
    kept_fields = list(kept.schema) if kept is not None else []
    arrays = [kept.column(i) for i in range(kept.num_columns)] if kept is not None else []
    target = schema(names, kept_fields)
    for field in target:
        if field.name in names:
            arrays.append(pa.array([row[field.name] for row in rows], type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def records(batch: Any, json_column: str | None, keep: Sequence[str]) -> tuple[list[object], Any]:
    """(the records of a record batch, its kept columns as a batch or None).

    With `json_column`, each record is that column's text (a JSON line);
    else each row, less the kept columns, is the record, nulls kept.
    """
    kept = batch.select(list(keep)) if keep else None
    if json_column is not None:
        return batch.column(batch.schema.get_field_index(json_column)).to_pylist(), kept
    names = [n for n in batch.schema.names if n not in keep]
    return batch.select(names).to_pylist(), kept
