"""`clinrules.spark` on Spark `local[2]` and `clinrules.dask` on a `LocalCluster` of 2 worker processes.

Each engine starts once per test process (a session-scoped fixture; under
`-n auto` each xdist worker that draws one of its tests starts it) and runs
few examples: starting a job costs seconds. The rows must be those of
`evaluate_many`, record for record, bad records included, whatever the
partitioning.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import clinrules
import clinrules.dask
import clinrules.spark
from tests.conftest import ROOT
from tests.support.batch import AS_OF, comparable, expected_row, records, ruleset

pytestmark = pytest.mark.engine
RS = ruleset()
FEW = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("clinrules tests")
        .config("spark.ui.enabled", "false")
        .config("spark.executorEnv.PYTHONPATH", str(Path(clinrules.__file__).resolve().parent.parent))
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


def _by_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((comparable(r) for r in rows), key=lambda r: str(r["id"]))


def _expected(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((expected_row(RS, r) for r in found), key=lambda r: str(r["id"]))


@FEW
@given(found=records(max_size=20))
def test_spark_rows_equal_evaluate_many_record_for_record(spark: Any, found: list[dict[str, Any]]) -> None:
    frame = spark.createDataFrame([(json.dumps(r),) for r in found], "value string").repartition(3)
    result = clinrules.spark.evaluate(
        frame, RS, as_of=AS_OF, allow_draft=True, json_column="value", decision=True
    ).collect()
    assert _by_id([r.asDict() for r in result]) == _expected(found)


def test_spark_keeps_order_and_columns_and_gives_the_same_rows_for_any_partitioning(spark: Any) -> None:
    from benchmarks.patients import Patients

    found = [{"id": f"p{i}", **p} for i, p in enumerate(Patients(9, ("glute_bridge",)).many(40))]
    lines = [(i, json.dumps(r)) for i, r in enumerate(found)]
    results = []
    for slices in (1, 4):
        frame = spark.createDataFrame(spark.sparkContext.parallelize(lines, slices), "n long, value string")
        out = clinrules.spark.evaluate(
            frame, RS, as_of=AS_OF, allow_draft=True, json_column="value", keep=["n"]
        )
        rows = [r.asDict() for r in out.collect()]
        assert [r["n"] for r in rows] == list(range(40))
        results.append([dict(r.items()) for r in rows])
    assert results[0] == results[1]
    assert [comparable({**r, "decision": "null"})["id"] for r in results[0]] == [r["id"] for r in found]


def test_spark_reads_struct_rows_from_parquet_as_json_lines_give(spark: Any, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    from benchmarks.patients import Patients
    from pyarrow import parquet

    found = [{"id": f"p{i}", **p} for i, p in enumerate(Patients(4, ("glute_bridge",)).many(30))]
    # The schema of every record (pa.array), not of the first (Table.from_pylist would drop a key row 0 lacks).
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(found))])
    parquet.write_table(table, tmp_path / "in.parquet")
    out = clinrules.spark.evaluate(
        spark.read.parquet(str(tmp_path / "in.parquet")), RS, as_of=AS_OF, allow_draft=True, decision=True
    )
    assert _by_id([r.asDict() for r in out.collect()]) == _expected(found)


@FEW
@given(found=records(max_size=20))
def test_dask_bag_rows_equal_evaluate_many_record_for_record(
    dask_client: Any, found: list[dict[str, Any]]
) -> None:
    import dask.bag

    bag = dask.bag.from_sequence(found, npartitions=min(3, len(found)))
    rows = clinrules.dask.evaluate(bag, RS, as_of=AS_OF, allow_draft=True, decision=True).compute()
    assert [comparable(r) for r in rows] == [expected_row(RS, r) for r in found]


def test_dask_frame_of_json_lines_gives_the_same_rows_for_any_partitioning(dask_client: Any) -> None:
    import dask.dataframe
    import pandas
    from benchmarks.patients import Patients

    found = [{"id": f"p{i}", **p} for i, p in enumerate(Patients(8, ("glute_bridge",)).many(30))]
    found.append({"id": "bad", "age": "old"})
    frame = pandas.DataFrame({"n": range(len(found)), "value": [json.dumps(r) for r in found]})
    results = []
    for parts in (1, 3):
        ddf = dask.dataframe.from_pandas(frame, npartitions=parts)
        out = clinrules.dask.evaluate(ddf, RS, as_of=AS_OF, allow_draft=True, json_column="value", keep=["n"])
        results.append(out.compute().to_dict("records"))
    assert results[0] == results[1]
    assert [r["n"] for r in results[0]] == list(range(len(found)))
    assert [r["error"] is not None for r in results[0]] == [False] * 30 + [True]


@pytest.mark.parametrize("engine", ["spark", "dask"])
def test_the_command_gives_the_local_bytes_on_every_engine(engine: str, tmp_path: Path) -> None:
    import io

    from benchmarks.patients import Patients

    from clinrules.cli.main import main

    pytest.importorskip("pyspark" if engine == "spark" else "distributed")
    source = tmp_path / "in.jsonl"
    found = [{"id": f"p{i}", **p} for i, p in enumerate(Patients(6, ("glute_bridge",)).many(50))]
    source.write_text("".join(json.dumps(r) + "\n" for r in found) + '{"id": "x", "age": -1}\n')
    outputs = []
    for name, extra in (
        ("local", []),
        (engine, ["--engine", engine, "--workers", "2", "--partition-size", "9"]),
    ):
        target = tmp_path / f"{name}.jsonl"
        ruleset_path = str(ROOT / "rulesets" / "sciatica" / "glute_bridge.rules")
        argv = ["batch", ruleset_path, str(source), str(target), "--as-of", AS_OF, "--allow-draft", *extra]
        assert main(argv, io.StringIO(), io.StringIO()) == 3
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
