"""`python -m benchmarks.prove`: the whole `prove` of the shipped ruleset, against its goal of 30 s.

Standalone (benchmarks/run.py has no section for it): one proof takes
seconds, not microseconds, so it is timed as a whole process, `clinrules
prove rulesets/sciatica/glute_bridge.rules`, the median of a few runs after a
warm-up (one run and no warm-up under BENCH_QUICK), beside the CPU time of
one `RuleSet.prove()` in this process, which a busy machine disturbs less
than the wall time. The goal is the wall time of the process.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import clinrules
from benchmarks.timing import QUICK

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"
GOAL_SECONDS = 30.0


def _process_seconds(runs: int) -> list[float]:
    cli = Path(sys.executable).parent / "clinrules"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(cli), "prove", str(RULESET)], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise AssertionError(f"clinrules prove exited {done.returncode}: {done.stderr}")
    return times


def main() -> int:
    ruleset = clinrules.load(RULESET, allow_draft=True)
    cpu = time.process_time()
    report = ruleset.prove()
    cpu = time.process_time() - cpu
    if report.diagnostics:
        raise AssertionError(
            f"the shipped ruleset should prove clean: {[d.code for d in report.diagnostics]}"
        )
    if not QUICK:
        _process_seconds(1)  # warm-up: the page cache, the z3 library
    wall = statistics.median(_process_seconds(1 if QUICK else 3))
    met = wall <= GOAL_SECONDS
    print(
        f"prove of {RULESET.relative_to(ROOT)}: {wall:.1f} s wall (goal <= {GOAL_SECONDS:g} s: {'met' if met else 'MISSED'}),"
    )
    print(f"  {cpu:.1f} s of CPU in one RuleSet.prove(), {len(report.proved)} promises and requires proved,")
    print(f"  session slots {sum(report.slots.values())} in all")
    print(json.dumps({"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "goal_met": met}))
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
