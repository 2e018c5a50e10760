"""A batch file through one engine, as `clinrules batch` runs it: local processes, Spark or Dask.

Design decision: every engine reads the same records and hands back result
rows in the input's order, which `files.RowWriter` writes; so the output is
the same file whichever engine, how many workers and what partitioning.
`local` with one worker runs in this process; with more, a pool of worker
processes started fresh (`spawn`), each compiling the shipped ruleset once,
with at most two partitions in flight per worker so memory stays bounded.
Spark runs `local[N]` and Dask a `LocalCluster` of N worker processes: the
command is for one machine; a cluster job calls `clinrules.spark` or
`clinrules.dask` itself (docs/batch.md).
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from clinrules.batch.files import is_parquet, read_partitions
from clinrules.batch.partition import BatchOptions, Row, columns, evaluate_partition
from clinrules.batch.shipped import ShippedRuleset


def rows_of(
    engine: str, path: Path, shipped: ShippedRuleset, options: BatchOptions, workers: int, size: int
) -> Iterator[list[Row]]:
    """The result rows of the file at `path`, a partition at a time, in the input's order."""
    if engine == "spark":
        yield from _spark(path, shipped, options, workers, size)
    elif engine == "dask":
        yield from _dask(path, shipped, options, workers, size)
    elif workers == 1:
        for partition in read_partitions(path, size):
            yield evaluate_partition(partition, shipped, options)
    else:
        yield from _pool(path, shipped, options, workers, size)


def _pool(
    path: Path, shipped: ShippedRuleset, options: BatchOptions, workers: int, size: int
) -> Iterator[list[Row]]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        flying: collections.deque[Future[list[Row]]] = collections.deque()
        for partition in read_partitions(path, size):
            flying.append(pool.submit(evaluate_partition, partition, shipped, options))
            if len(flying) >= 2 * workers:
                yield flying.popleft().result()
        while flying:
            yield flying.popleft().result()


def _spark(
    path: Path, shipped: ShippedRuleset, options: BatchOptions, workers: int, size: int
) -> Iterator[list[Row]]:
    from clinrules.batch.on_spark import evaluate

    # The Python workers Spark starts must run this interpreter and import this clinrules.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    package_root = str(Path(__file__).resolve().parents[2])  # the directory holding clinrules/
    spark = (
        SparkSession.builder.master(f"local[{workers}]")
        .appName("clinrules batch")
        .config("spark.ui.enabled", "false")
        .config("spark.executorEnv.PYTHONPATH", package_root)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(size))
        .config("spark.sql.files.maxPartitionBytes", str(_split_bytes(path, workers)))
        .getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("ERROR")
        if is_parquet(path):
            frame, column = spark.read.parquet(str(path)), None
        else:
            frame, column = spark.read.text(str(path)), "value"
            frame = frame.where("length(trim(value)) > 0")
        found = _call(evaluate, frame, shipped, options, json_column=column)
        rows: list[Row] = found.toArrow().to_pylist()
        for start in range(0, len(rows), size):
            yield rows[start : start + size]
    finally:
        spark.stop()


def _dask(
    path: Path, shipped: ShippedRuleset, options: BatchOptions, workers: int, size: int
) -> Iterator[list[Row]]:
    import dask.bag
    from distributed import Client, LocalCluster

    from clinrules.batch.on_dask import evaluate

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        futures = []
        for partition in read_partitions(path, size):
            bag = dask.bag.from_sequence(partition, npartitions=1)
            futures.append(client.compute(_call(evaluate, bag, shipped, options)))
            if len(futures) >= 2 * workers:
                yield futures.pop(0).result()
        for future in futures:
            yield future.result()


def _split_bytes(path: Path, workers: int) -> int:
    """Spark's split size: a few splits per worker, so that both cores stay busy to the end."""
    return max(1 << 20, path.stat().st_size // (4 * workers) + 1)


def _call(
    evaluate: Callable[..., Any], data: Any, shipped: ShippedRuleset, options: BatchOptions, **extra: Any
) -> Any:
    """An engine's `evaluate` with the checked options of the batch."""
    return evaluate(
        data,
        shipped,
        as_of=options.as_of,
        id_field=options.id_field,
        exercises=options.exercises,
        decision=options.decision,
        recheck=options.recheck,
        **extra,
    )


__all__ = ["columns", "rows_of"]
