"""`python -m benchmarks.batch`: patients/s of a population batch on each engine, on generated patients.

What it measures, on one JSON-lines file of `BATCH_COUNT` patients (200,000
by default; `BATCH_QUICK=1` is a smoke run of 2,000), each with an id and
sessions of one exercise (benchmarks/patients.py, seeded): the whole
`clinrules batch` path (read, evaluate with `recheck_at`, rows back in
order) for local with 1 and 2 processes, Spark `local[2]` and a Dask
`LocalCluster` of 2 worker processes, start-up of the engine included and
also given apart (the same run on a tenth of the file, extrapolated).
The per-partition overhead is the local single-process time per extra
partition between partitions of 50 and of 2,000 records (on the tenth); the 1 -> 2 core
scaling is each engine's rate over local with 1 process. Every engine's rows
must equal local's, and those equal `evaluate_many` (checked on the first
`CHECKED` records), or the run fails.

Timings on a loaded machine are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import clinrules
from benchmarks.patients import AS_OF, Patients
from clinrules.batch.partition import BatchOptions, Row, checked_options, utc_text
from clinrules.batch.run import rows_of
from clinrules.batch.shipped import ship

RULESET = Path(__file__).resolve().parent.parent / "rulesets" / "sciatica" / "glute_bridge.rules"
SEED = 19
CHECKED = 2_000
ENGINES = [("local", 1), ("local", 2), ("spark", 2), ("dask", 2)]
SIZE = 2_000
SMALL = 50


def _write(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for index, patient in enumerate(Patients(SEED, ("glute_bridge",)).many(count)):
            out.write(json.dumps({"id": f"p{index:07d}", **patient}) + "\n")


def _timed(
    engine: str, workers: int, path: Path, shipped: object, options: BatchOptions, size: int
) -> tuple[float, list[Row]]:
    started = time.perf_counter()
    rows = [row for part in rows_of(engine, path, shipped, options, workers, size) for row in part]  # type: ignore[arg-type]
    return time.perf_counter() - started, rows


def main() -> int:
    quick = os.environ.get("BATCH_QUICK") == "1"
    count = 2_000 if quick else int(os.environ.get("BATCH_COUNT", "200000"))
    size = 200 if quick else min(SIZE, max(count // 8, 1))  # a few partitions per worker at least
    rs = clinrules.load(RULESET, allow_draft=True)
    shipped = ship(rs, allow_draft=True)
    options = checked_options(shipped, BatchOptions(as_of=utc_text(AS_OF)))
    with tempfile.TemporaryDirectory() as directory:
        path, small = Path(directory) / "night.jsonl", Path(directory) / "tenth.jsonl"
        _write(path, count)
        _write(small, max(count // 10, 1))
        print(f"batch benchmark: {count:,} patients, {os.cpu_count()} cores, partitions of {size:,}")
        print(
            f"{'engine':<10} {'workers':>7} {'seconds':>9} {'patients/s':>11} {'vs local 1':>10} {'start-up s':>10}"
        )
        reference: list[Row] | None = None
        base = 0.0
        for engine, workers in ENGINES:
            seconds, rows = _timed(engine, workers, path, shipped, options, size)
            tenth, _ = _timed(engine, workers, small, shipped, options, size)
            startup = max(0.0, (tenth * count / max(count // 10, 1) - seconds) / 9)  # t = s + n*c, two n
            if reference is None:
                reference, base = rows, count / seconds
                _agrees(rs, path, rows)
            elif rows != reference:
                print(f"FAILED: {engine} with {workers} workers gave other rows than local", file=sys.stderr)
                return 1
            rate = count / seconds
            print(
                f"{engine:<10} {workers:>7} {seconds:>9.1f} {rate:>11,.0f} {rate / base:>9.2f}x {startup:>10.1f}"
            )
        many, _ = _timed("local", 1, small, shipped, options, SMALL)
        few, _ = _timed("local", 1, small, shipped, options, SIZE)
        parts_many, parts_few = -(-(count // 10) // SMALL), -(-(count // 10) // SIZE)
        overhead = (many - few) / max(parts_many - parts_few, 1)
        print(f"per-partition overhead (local, 1 process): {overhead * 1e3:.2f} ms a partition")
        print(
            "every engine's rows equal local's; local's equal evaluate_many on the first", min(CHECKED, count)
        )
    return 0


def _agrees(rs: clinrules.RuleSet, path: Path, rows: list[Row]) -> None:
    """Fail unless the first rows are what `evaluate_many` decides for the same patients."""
    with path.open(encoding="utf-8") as lines:
        states = [json.loads(line) for _, line in zip(range(CHECKED), lines, strict=False)]
    for state in states:
        state.pop("id")
    decisions = rs.evaluate_many(states, as_of=AS_OF)
    for row, decision in zip(rows, decisions, strict=False):
        verdicts = {e: d.verdict.value for e, d in decision.exercises.items()}
        got = {k.removeprefix("verdict_"): v for k, v in row.items() if k.startswith("verdict_")}
        if row["triage"] != decision.triage.value or got != verdicts or row["missing"] != decision.missing:
            raise SystemExit(f"FAILED: row {row['id']} is not what evaluate_many decides")


if __name__ == "__main__":
    raise SystemExit(main())
