"""Population batches: every record of a population through one ruleset, on one machine, Spark or Dask.

In: a ruleset (loaded here, then shipped to workers as the text of every
source file, its sha256 and its model's name) and partitions of records (an
iterable of dicts or JSON lines, an Arrow record batch, a Spark or Dask frame).
Out: one result row per record with fixed columns (`partition.columns`): its
id, `triage`, `care`, `recheck_at`, one verdict column per exercise,
`missing`, `error` (null when the record was fine), the ruleset's id,
version and sha256, the `as_of`, and optionally the decision's JSON.

The core (`shipped`, `partition`) needs nothing beyond clinrules; each engine
is imported only inside its own module (`arrow` for pyarrow, `on_spark`,
`on_dask`, behind the extras `clinrules[batch]`, `[spark]`, `[dask]`), so
the core package never pays for them. A bad record is an error row, never a
stopped job; a worker that compiles another ruleset than the one shipped
refuses to evaluate (`BatchError`).
"""

from __future__ import annotations

from clinrules.batch.partition import BatchOptions, columns, evaluate_partition
from clinrules.batch.shipped import BatchError, ShippedRuleset, compiled, ship

__all__ = [
    "BatchError",
    "BatchOptions",
    "ShippedRuleset",
    "columns",
    "compiled",
    "evaluate_partition",
    "ship",
]
