"""Section 6: `recheck_at` on the shipped sciatica ruleset: `evaluate` with it beside `recheck=False`.

The shipped ruleset compares the time in three ways (a 24-hour window in two
rules, a seven-day `recent adverse` on each of the last sessions, a stale
screen), so every patient with recent sessions has candidate instants to try.
Patients are those of section 2 (`benchmarks.patients`): sessions of every
exercise, one a day. Before timing, each `recheck_at` is checked against
evaluating again at it and one second before it, so a fast wrong answer
fails the run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import clinrules
from benchmarks.patients import Patients
from benchmarks.timing import Row, at_most, per_item_ns, scaled, us

SECTION = "6. recheck_at (shipped ruleset)"
ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
SEED = 7
_SECOND = dt.timedelta(seconds=1)


def _check(rs: clinrules.RuleSet, patients: list[dict[str, Any]]) -> int:
    """Each exercise's `recheck_at` changes its verdict, and the second before it does not."""
    with_one = 0
    for patient in patients:
        decision = rs.evaluate(patient)
        for name, exercise in decision.exercises.items():
            when = exercise.recheck_at
            if when is None:
                continue
            with_one += 1
            at = rs.evaluate(patient, as_of=when, recheck=False).exercises[name].verdict
            before = rs.evaluate(patient, as_of=when - _SECOND, recheck=False).exercises[name].verdict
            if at == exercise.verdict or (when - _SECOND > decision.as_of and before != exercise.verdict):
                raise AssertionError(
                    f"recheck_at {when} of {name} is not where the verdict changes: {patient!r}"
                )
    return with_one


def run() -> tuple[list[Row], dict[str, Any]]:
    count = scaled(1_000, 100)
    rs = clinrules.load(RULESET, allow_draft=True)
    patients = list(Patients(SEED, rs.exercises).many(count))
    checked = _check(rs, patients[: min(count, 100)])

    def without(patient: dict[str, Any]) -> object:
        return rs.evaluate(patient, recheck=False)

    with_recheck = per_item_ns(rs.evaluate, patients)
    plain = per_item_ns(without, patients)
    rechecked = sum(rs.evaluate(p).recheck_at is not None for p in patients)
    s = SECTION
    rows = [
        Row(s, f"evaluate(dict), {count:,} patients, recheck on", us(with_recheck), "us/patient"),
        Row(s, "evaluate(dict, recheck=False)", us(plain), "us/patient"),
        at_most(s, "with recheck / without", with_recheck / plain, 2),
    ]
    details = {
        "ruleset": str(RULESET.relative_to(ROOT)),
        "patients": count,
        "with_recheck_at": rechecked,
        "exercise_rechecks_verified": checked,
    }
    return rows, details
