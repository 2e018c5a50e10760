"""Section 5: `RuleSet.evaluate_many()` over a lazily made stream of patients: throughput and memory.

Throughput: one pass over the whole stream (100,000 patients), timed in ten
equal chunks; the figure is the median chunk's rate, and includes making
each patient (timed alone as well); the garbage collector runs, as it would
in an app. The resident memory of the process is read at the end of each
chunk: a stream that keeps nothing stays flat.

Peak memory: tracemalloc slows evaluation about tenfold, so its passes are
over a tenth and a hundredth of the stream. If decisions or patients were
kept, the larger peak would be about ten times the smaller one.
"""

from __future__ import annotations

import collections
import os
import statistics
import time
import tracemalloc
from typing import Any

import clinrules
from benchmarks.evaluate import RULESET
from benchmarks.patients import Patients
from benchmarks.timing import Row, at_most, median_ns, scaled, us

SECTION = "5. evaluate_many() streaming"
SEED = 5
CHUNKS = 10
MIB = 1024 * 1024


def _rss() -> int:
    """The resident memory of this process in bytes (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def peak(rs: clinrules.RuleSet, count: int, seed: int = SEED) -> int:
    """The tracemalloc peak while `count` patients (`Patients(seed)`) stream through `evaluate_many`."""
    patients = Patients(seed, rs.exercises).many(count)
    tracemalloc.start()
    try:
        collections.deque(rs.evaluate_many(patients), maxlen=0)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run() -> tuple[list[Row], dict[str, Any]]:
    count = scaled(100_000, 10_000)
    chunk = count // CHUNKS
    rs = clinrules.load(RULESET, allow_draft=True)
    collections.deque(rs.evaluate_many(Patients(SEED + 1, rs.exercises).many(200)), maxlen=0)  # warm-up

    made = median_ns(lambda: collections.deque(Patients(SEED, rs.exercises).many(chunk // 10), maxlen=0))
    times, rss = [], []
    stream = rs.evaluate_many(Patients(SEED, rs.exercises).many(count))
    for _ in range(CHUNKS):
        start = time.perf_counter_ns()
        for _decision in zip(range(chunk), stream, strict=False):
            pass
        times.append(time.perf_counter_ns() - start)
        rss.append(_rss())
    rate = chunk / statistics.median(times) * 1e9

    small, large = count // 100, count // 10
    peak_small, peak_large = peak(rs, small), peak(rs, large)

    s = SECTION
    rows = [
        Row(s, f"evaluate_many(), {count:,} patients made lazily", rate, "patients/s"),
        Row(s, "making a patient alone (included above)", us(made / (chunk // 10)), "us/patient"),
        Row(s, "resident memory growth, 10% -> 100% of the stream", (rss[-1] - rss[0]) / MIB, "MiB"),
        Row(s, f"tracemalloc peak, {small:,} patients", peak_small / MIB, "MiB"),
        Row(s, f"tracemalloc peak, {large:,} patients", peak_large / MIB, "MiB"),
        at_most(
            s,
            f"peak at {large:,} / peak at {small:,} (10x if it kept them)",
            peak_large / peak_small,
            1.5,
            "batch_memory",
        ),
    ]
    details = {
        "patients": count,
        "chunk_ns": times,
        "rss_mib": [round(x / MIB, 1) for x in rss],
        "peak_bytes": {str(small): peak_small, str(large): peak_large},
    }
    return rows, details
