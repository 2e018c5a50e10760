"""Section 8: the shipped ruleset: the decision beside the rules, one exercise beside all, and batches.

The ruleset is `rulesets/sciatica` (model `sciatica` v2) and the patients
are those of section 2 (`benchmarks.patients`, JSON dicts with sessions of
every exercise). Timed per patient:

- `evaluate(dict)` (recheck on, and `recheck=False`) beside
  `outcomes(dict)`, which validates the same dict and runs every rule: what
  the decision costs beyond the rules;
- `evaluate(dict, exercises=[one])` for every exercise beside
  `evaluate(dict)` on the same patients: the goal is that asking for one
  exercise is never slower, so the figure is the slowest exercise's;
- `evaluate_many()` over a batch beside `Patient.model_validate` of the same
  dicts, both in CPU seconds of this process (patients/s/core: work spread
  over threads would still be counted once per core-second), and the
  tracemalloc peak of a batch ten times larger beside a small one, shown
  (batches this small carry the fixed cost of the first patients; the goal
  of flat memory is judged in section 5, over 1,000 and 10,000 patients).
"""

from __future__ import annotations

import collections
import time
from typing import Any

import clinrules
from benchmarks.patients import Patients
from benchmarks.recheck import ROOT, RULESET
from benchmarks.streaming import peak
from benchmarks.timing import REPEATS, Row, at_most, per_item_ns, scaled, us
from clinrules.models.sciatica import Patient

SECTION = "8. shipped ruleset: decision, one exercise, batches"
SEED = 13
MIB = 1024 * 1024


def _cpu_ns(run: Any, repeats: int = REPEATS) -> float:
    """The median CPU time of this process over `repeats` runs of `run()`, after one warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        start = time.process_time_ns()
        run()
        times.append(time.process_time_ns() - start)
    return sorted(times)[len(times) // 2]


def _one_exercise(rs: clinrules.RuleSet, patients: list[dict[str, Any]]) -> tuple[str, float, float]:
    """The slowest exercise asked for alone: its id, its time per patient, and that of all exercises."""
    for patient in patients[:20]:  # the same verdict, asked for alone or with the others
        every = rs.evaluate(patient, recheck=False).exercises
        for name in rs.exercises:
            asked = rs.evaluate(patient, exercises=[name], recheck=False).exercises[name]
            if asked.verdict != every[name].verdict:
                raise AssertionError(f"exercises=[{name}] decides otherwise than all exercises: {patient!r}")
    every_ns = per_item_ns(rs.evaluate, patients)
    slowest, slowest_ns = "", 0.0
    for name in rs.exercises:

        def alone(patient: dict[str, Any], wanted: list[str] = [name]) -> object:  # noqa: B006 - read only
            return rs.evaluate(patient, exercises=wanted)

        one_ns = per_item_ns(alone, patients)
        if one_ns > slowest_ns:
            slowest, slowest_ns = name, one_ns
    return slowest, slowest_ns, every_ns


def run() -> tuple[list[Row], dict[str, Any]]:
    count, batch = scaled(300, 30), scaled(500, 50)
    few = scaled(100, 10)
    rs = clinrules.load(RULESET, allow_draft=True)
    patients = list(Patients(SEED, rs.exercises).many(count))

    def without(patient: dict[str, Any]) -> object:
        return rs.evaluate(patient, recheck=False)

    outcomes = per_item_ns(rs.outcomes, patients)
    evaluate = per_item_ns(rs.evaluate, patients)
    plain = per_item_ns(without, patients)
    slowest, one_ns, every_ns = _one_exercise(rs, patients[:few])

    stream = list(Patients(SEED + 1, rs.exercises).many(batch))
    many = _cpu_ns(lambda: collections.deque(rs.evaluate_many(stream), maxlen=0)) / batch
    validate = _cpu_ns(lambda: collections.deque(map(Patient.model_validate, stream), maxlen=0)) / batch
    small, large = scaled(50, 10), scaled(500, 100)
    peak_small, peak_large = peak(rs, small, SEED), peak(rs, large, SEED)

    s = SECTION
    rows = [
        Row(s, f"outcomes(dict), {count:,} patients: validation and the rules", us(outcomes), "us/patient"),
        Row(s, "evaluate(dict), the whole decision, recheck on", us(evaluate), "us/patient"),
        Row(s, "evaluate(dict, recheck=False)", us(plain), "us/patient"),
        at_most(s, "evaluate(dict) / outcomes(dict), recheck on", evaluate / outcomes, 2, "decision_shipped"),
        at_most(
            s, "evaluate(dict) / outcomes(dict), recheck off", plain / outcomes, 2, "decision_shipped_plain"
        ),
        Row(s, f"evaluate(dict), all exercises, {few} patients", us(every_ns), "us/patient"),
        Row(s, f"evaluate(dict, exercises=[one]), slowest: {slowest}", us(one_ns), "us/patient"),
        at_most(s, "exercises=[one] / all exercises, slowest one", one_ns / every_ns, 1, "one_exercise"),
        Row(s, f"evaluate_many(), {batch:,} patients", 1e9 / many, "patients/s/core"),
        Row(s, "Patient.model_validate alone, same patients", 1e9 / validate, "patients/s/core"),
        at_most(s, "evaluate_many / validation alone (time)", many / validate, 1.5, "batch_validation"),
        Row(s, f"tracemalloc peak, {small:,} patients", peak_small / MIB, "MiB"),
        Row(s, f"tracemalloc peak, {large:,} patients", peak_large / MIB, "MiB"),
        Row(
            s,
            f"peak at {large:,} / peak at {small:,} (small batches: see section 5)",
            peak_large / peak_small,
            "x",
        ),
    ]
    details = {
        "ruleset": str(RULESET.relative_to(ROOT)),
        "patients": count,
        "one_exercise_patients": few,
        "slowest_exercise": slowest,
        "batch": batch,
        "peak_bytes": {str(small): peak_small, str(large): peak_large},
    }
    return rows, details
