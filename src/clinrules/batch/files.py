"""Batch files: JSON lines or Parquet in, partitions of records; result rows out, the same bytes every run.

Design decision: the output depends only on the rows, never on how they
were partitioned or which engine made them: JSON lines are written one row
a line with the columns in order, and Parquet in row groups of a fixed
`ROW_GROUP` rows (pyarrow, imported only for Parquet), so a rerun of the
same night, with 1 or 2 workers, gives byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from clinrules.batch.partition import Row

ROW_GROUP = 65_536


def is_parquet(path: str | Path) -> bool:
    """Whether a path names a Parquet file (by its suffix `.parquet`); anything else is JSON lines."""
    return str(path).lower().endswith(".parquet")


def read_partitions(path: str | Path, size: int) -> Iterator[list[object]]:
    """The records of a file, `size` at a time: JSON lines as bytes (blank lines skipped), Parquet rows as dicts."""
    if is_parquet(path):
        from clinrules.batch.arrow import require_pyarrow

        require_pyarrow()
        import pyarrow.parquet

        for batch in pyarrow.parquet.ParquetFile(path).iter_batches(batch_size=size):
            yield batch.to_pylist()
        return
    # Bytes: a line that is not UTF-8 becomes that record's error row, not a failed run.
    with open(path, "rb") as lines:
        partition: list[object] = []
        for line in lines:
            if line.strip():
                partition.append(line)
                if len(partition) == size:
                    yield partition
                    partition = []
        if partition:
            yield partition


class RowWriter:
    """Writes result rows to a JSON-lines or Parquet file, the same bytes for the same rows."""

    def __init__(self, path: str | Path, names: Sequence[str]) -> None:
        self.names = list(names)
        self.parquet = is_parquet(path)
        self._pending: list[Row] = []
        self._writer: Any = None
        self._text: IO[str] | None = None
        if self.parquet:
            from clinrules.batch.arrow import require_pyarrow, schema

            require_pyarrow()
            import pyarrow.parquet

            self._writer = pyarrow.parquet.ParquetWriter(str(path), schema(self.names))
        else:
            self._text = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115  (closed by close)

    def write(self, rows: Iterable[Row]) -> None:
        """Add rows, in order."""
        if self._text is not None:
            self._text.writelines(
                # ASCII escapes: any text a record held (a lone surrogate included) can be written.
                json.dumps({n: row[n] for n in self.names}) + "\n"
                for row in rows
            )
            return
        self._pending.extend(rows)
        while len(self._pending) >= ROW_GROUP:
            self._group(self._pending[:ROW_GROUP])
            del self._pending[:ROW_GROUP]

    def close(self) -> None:
        """Write what is left and close the file."""
        if self._text is not None:
            self._text.close()
            return
        if self._pending:
            self._group(self._pending)
            self._pending = []
        self._writer.close()

    def _group(self, rows: list[Row]) -> None:
        from clinrules.batch.arrow import record_batch, require_pyarrow

        batch = record_batch(rows, self.names)
        self._writer.write_table(require_pyarrow().Table.from_batches([batch]), row_group_size=ROW_GROUP)
