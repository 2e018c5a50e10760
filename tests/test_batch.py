"""The batch core (`clinrules.batch`) and `clinrules batch` with the local engine: rows equal to `evaluate_many`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from clinrules import ExerciseError, PatientDataError
from clinrules.batch import BatchError, BatchOptions, columns, compiled, evaluate_partition, ship
from clinrules.batch.partition import checked_options
from clinrules.batch.shipped import ShippedRuleset
from clinrules.cli.main import main
from tests.conftest import examples
from tests.support.batch import AS_OF, RULESET_PATH, comparable, expected_row, records, ruleset

RS = ruleset()
SHIPPED = ship(RS, allow_draft=True)
OPTIONS = checked_options(SHIPPED, BatchOptions(as_of=AS_OF, decision=True))


@examples(25)
@given(records())
def test_a_partition_gives_what_evaluate_many_gives_record_for_record(found: list[dict[str, Any]]) -> None:
    rows = evaluate_partition([json.dumps(r) for r in found], SHIPPED, OPTIONS)
    assert [comparable(r) for r in rows] == [expected_row(RS, r) for r in found]


def test_bad_records_are_error_rows_with_path_and_reason() -> None:
    rows = evaluate_partition(
        ['{"id": "a", "age": -1}', "{not json", "[1, 2]", '{"age": 40}', b'{"id": 7}', '{"id": true}'],
        SHIPPED,
        OPTIONS,
    )
    assert [r["id"] for r in rows] == ["a", None, None, None, "7", None]
    errors = [r["error"] for r in rows]
    assert errors[0].startswith("age: ")
    assert errors[1].startswith("the record is not JSON")
    assert errors[2].startswith("a record must be a JSON object")
    assert errors[3].startswith("id: ")
    assert errors[5].startswith("id: ")
    assert errors[4] is None
    assert all(r["triage"] is None and r["missing"] is None for r in rows if r["error"] is not None)
    assert {r["ruleset_sha256"] for r in rows} == {RS.sha256}


def test_an_id_inside_an_envelope_is_taken_out_of_the_record() -> None:
    options = checked_options(SHIPPED, BatchOptions(as_of=AS_OF, id_field="meta.mrn"))
    [row] = evaluate_partition([{"meta": {"mrn": "m1"}, "age": 50}], SHIPPED, options)
    assert row["id"] == "m1"
    assert row["error"] is None


def test_the_columns_are_fixed_and_follow_the_exercises_asked_for() -> None:
    options = checked_options(
        SHIPPED, BatchOptions(as_of="2026-11-21T09:00:00+01:00", exercises=("walking",))
    )
    assert options.as_of == AS_OF
    assert columns(SHIPPED, options) == [
        "id", "triage", "care", "recheck_at", "verdict_walking", "missing", "error",
        "ruleset_id", "ruleset_version", "ruleset_sha256", "as_of",
    ]  # fmt: skip


def test_shared_options_are_refused_before_any_record() -> None:
    with pytest.raises(ExerciseError):
        checked_options(SHIPPED, BatchOptions(as_of=AS_OF, exercises=("no_such",)))
    with pytest.raises(PatientDataError):
        checked_options(SHIPPED, BatchOptions(as_of="2026-11-21T08:00:00"))  # no offset


def test_the_ruleset_travels_with_its_includes_and_is_compiled_once_per_process() -> None:
    names = [name for name, _text in SHIPPED.sources]
    assert len(names) == 3
    assert names[1].endswith("red_flags.rules")
    assert compiled(SHIPPED) is compiled(SHIPPED)
    assert compiled(SHIPPED).sha256 == RS.sha256


def test_a_worker_that_compiles_another_sha256_refuses() -> None:
    forged = ShippedRuleset(SHIPPED.sources, "0" * 64, SHIPPED.model, True, SHIPPED.id, SHIPPED.version)
    with pytest.raises(BatchError, match="refuses"):
        compiled(forged)
    other = ShippedRuleset(
        SHIPPED.sources, SHIPPED.sha256, SHIPPED.model, True, SHIPPED.id, SHIPPED.version, "0.0.0"
    )
    with pytest.raises(BatchError):
        evaluate_partition([], other, OPTIONS)


def test_a_ruleset_under_review_is_not_shipped_without_allow_draft() -> None:
    with pytest.raises(BatchError):
        ship(RS)


# ---------------------------------------------------------------- the command


def _batch(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["batch", str(RULESET_PATH), *argv, "--allow-draft"], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks.patients import Patients

    path = tmp_path_factory.mktemp("batch") / "night.jsonl"
    found = [{"id": f"p{i}", **p} for i, p in enumerate(Patients(5, ("glute_bridge",)).many(60))]
    lines = [json.dumps(r) for r in found] + ['{"id": "bad", "age": 500}', "", "[]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reruns_and_1_or_2_workers_and_any_partitioning_give_the_same_bytes(
    population: Path, tmp_path: Path
) -> None:
    outputs = []
    for index, extra in enumerate(
        [[], [], ["--workers", "2", "--partition-size", "7"], ["--partition-size", "1000"]]
    ):
        target = tmp_path / f"out{index}.jsonl"
        code, out, _ = _batch(str(population), str(target), "--as-of", AS_OF, "--decision", *extra)
        assert code == 3, out  # the bad records are rows, and the exit says there were some
        outputs.append(target.read_bytes())
    assert len(set(outputs)) == 1
    rows = [json.loads(line) for line in outputs[0].decode().splitlines()]
    assert len(rows) == 62
    assert sum(r["error"] is not None for r in rows) == 2
    found = [json.loads(line) for line in population.read_text().splitlines()[:60]]
    assert [comparable(r) for r in rows[:60]] == [expected_row(RS, r) for r in found]


def test_parquet_out_is_the_same_rows_and_the_same_bytes_each_run(population: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    runs = []
    for index in range(2):
        target = tmp_path / f"out{index}.parquet"
        _batch(str(population), str(target), "--as-of", AS_OF, "--workers", str(index + 1))
        runs.append(target.read_bytes())
    assert runs[0] == runs[1]
    table = pq.read_table(tmp_path / "out0.parquet")
    assert table.num_rows == 62
    assert table.column_names[0] == "id"


def test_without_as_of_the_clock_is_stamped_once_and_said(population: Path, tmp_path: Path) -> None:
    code, out, _ = _batch(str(population), str(tmp_path / "o.jsonl"), "--exercise", "walking")
    stamps = {json.loads(line)["as_of"] for line in (tmp_path / "o.jsonl").read_text().splitlines()}
    assert code == 3
    assert len(stamps) == 1
    assert f"--as-of {stamps.pop()}" in out
    assert "Decision support" in out


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["missing.jsonl", "o.jsonl"], 2),
        (["IN", "o.jsonl", "--workers", "0"], 2),
        (["IN", "o.jsonl", "--exercise", "no_such"], 3),
        (["IN", "o.jsonl", "--as-of", "yesterday"], 3),
    ],
)
def test_usage_and_shared_options_exit_codes(population: Path, argv: list[str], code: int) -> None:
    assert _batch(*[str(population) if a == "IN" else a for a in argv])[0] == code


@pytest.mark.parametrize(
    ("engine", "module"), [("spark", "pyspark"), ("dask", "distributed"), ("local", "pyarrow")]
)
def test_without_the_extra_the_command_exits_2_with_the_install_hint(
    population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # the import fails as when it is not installed
    code, _, err = _batch(str(population), str(tmp_path / "o.parquet"), "--engine", engine)
    assert code == 2
    assert "pip install 'clinrules[" in err


def test_the_core_and_the_engine_modules_import_no_engine() -> None:
    code = (
        "import sys, clinrules.batch, clinrules.batch.run, clinrules.spark, clinrules.dask, clinrules.cli.batch; "
        "print(sorted(m for m in ('pyspark', 'dask', 'distributed', 'pyarrow', 'pandas') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_threads_that_share_a_process_share_one_compiled_ruleset_safely() -> None:
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    fresh = replace(SHIPPED, id=SHIPPED.id)  # equal to SHIPPED: the cache may hold either
    other = replace(SHIPPED, version="for-this-test")  # not equal: compiled again, once per miss
    lines = ['{"id": "a", "age": 40}', '{"id": "b", "age": -1}']
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda s: evaluate_partition(lines, s, OPTIONS), [fresh, other] * 6))
    assert all(r == results[0] for r in results)
    assert compiled(other).sha256 == compiled(fresh).sha256 == RS.sha256


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only(
    population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinrules.cli import batch

    monkeypatch.setattr(batch, "PROGRESS_SECONDS", 0.0)
    argv = ["batch", str(RULESET_PATH), str(population), str(tmp_path / "o.jsonl"), "--allow-draft"]
    shown = _Terminal()
    main([*argv, "--as-of", AS_OF, "--partition-size", "20"], io.StringIO(), shown)
    assert "clinrules batch: 20 records" in shown.getvalue()
    plain = io.StringIO()
    main([*argv, "--as-of", AS_OF, "--partition-size", "20"], io.StringIO(), plain)
    assert plain.getvalue() == ""


def test_a_line_that_is_not_utf8_or_an_id_that_is_not_text_is_an_error_row(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": "a\xff"}\n{"id": "\\udc80"}\n{"id": "ok", "age": 30}\n')
    code, _, _ = _batch(str(source), str(tmp_path / "o.jsonl"), "--as-of", AS_OF)
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").read_text().splitlines()]
    assert code == 3
    assert [r["id"] for r in rows] == [None, None, "ok"]
    assert rows[0]["error"].startswith("the record is not UTF-8")
    assert rows[1]["error"].startswith("id: ")
