"""Instructions a call, by callgrind: what the code costs whatever else the host runs.

    python -m benchmarks.instructions            # every workload below
    python -m benchmarks.instructions flat-check shipped-plain

Each workload is run twice under `valgrind --tool=callgrind`, with and
without its calls (the same set-up, bytecode caches warmed first, garbage
collection off while timing, `PYTHONHASHSEED=0`); the difference divided
by the number of calls is the figure. Wall-clock ratios on a shared host
move by more than many changes do; these do not. Needs valgrind on the
PATH; not part of `make bench`.
"""

from __future__ import annotations

import gc
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import Any

FLAT_STATES = 200
SHIPPED_PATIENTS = 40


def _flat(kind: str, what: str) -> tuple[Callable[[Any], object], list[Any]]:
    import clinrules
    from benchmarks import flat

    rng = random.Random(flat.SEED)
    ruleset = clinrules.compile(flat.ruleset_text(), model=flat.FlatState, allow_draft=True)
    if kind == "known":
        known = [flat.random_state(rng, 0.0) for _ in range(FLAT_STATES)]
        return (ruleset.outcomes if what == "outcomes" else flat.two_valued), known
    states = [flat.random_state(rng, flat.UNKNOWN_SHARE) for _ in range(5 * FLAT_STATES)]
    dicts = [s.model_dump(mode="json", exclude_none=True) for s in states]

    def triage(d: dict[str, Any]) -> str:
        found = ruleset.outcomes(d).red_flags
        return "urgent" if True in found else "check" if None in found else "clear"

    chosen = [d for d in dicts if kind == "all" or triage(d) == kind][:FLAT_STATES]
    return (ruleset.evaluate if what == "evaluate" else ruleset.outcomes), chosen


def _shipped(what: str) -> tuple[Callable[[Any], object], list[Any]]:
    import clinrules
    from benchmarks.patients import Patients
    from benchmarks.recheck import RULESET
    from benchmarks.shipped import SEED

    ruleset = clinrules.load(RULESET, allow_draft=True)
    patients = list(Patients(SEED, ruleset.exercises).many(SHIPPED_PATIENTS))
    calls: dict[str, Callable[[Any], object]] = {
        "evaluate": ruleset.evaluate,
        "plain": lambda p: ruleset.evaluate(p, recheck=False),
        "outcomes": ruleset.outcomes,
    }
    return calls[what], patients


WORKLOADS: dict[str, Callable[[], tuple[Callable[[Any], object], list[Any]]]] = {
    "flat-evaluate": lambda: _flat("all", "evaluate"),
    "flat-outcomes": lambda: _flat("all", "outcomes"),
    "flat-urgent": lambda: _flat("urgent", "evaluate"),
    "flat-check": lambda: _flat("check", "evaluate"),
    "known-outcomes": lambda: _flat("known", "outcomes"),
    "known-hand-written": lambda: _flat("known", "hand"),
    "shipped-evaluate": lambda: _shipped("evaluate"),
    "shipped-plain": lambda: _shipped("plain"),
    "shipped-outcomes": lambda: _shipped("outcomes"),
}
"""Workload -> (the call, its inputs): `flat-*` the 30-rule benchmark's dicts (`urgent`, `check`: only
states whose red flags fired, or were unknown), `known-*` its fully known instances, `shipped-*` the
shipped ruleset's patients (`plain`: recheck=False)."""


def _run_inside(name: str, rounds: int) -> None:
    call, inputs = WORKLOADS[name]()
    call(inputs[0])
    gc.collect()
    gc.disable()
    for _ in range(rounds):
        for item in inputs:
            call(item)


def _instructions(name: str, rounds: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    command = [sys.executable, "-m", "benchmarks.instructions", "--inside", name, str(rounds)]
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no instruction count for {name}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_call(name: str) -> int:
    """The instructions one call of the workload takes."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    warm = [sys.executable, "-m", "benchmarks.instructions", "--inside", name, "0"]
    subprocess.run(warm, env=env, capture_output=True, check=True)  # bytecode caches written here
    count = len(WORKLOADS[name]()[1])
    return (_instructions(name, 1) - _instructions(name, 0)) // count


def main(argv: list[str]) -> int:
    if argv[:1] == ["--inside"]:
        _run_inside(argv[1], int(argv[2]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not on the PATH: install it to count instructions", file=sys.stderr)
        return 2
    names = argv or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"no workload {', '.join(unknown)}; the workloads: {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"{name:24s} {per_call(name):>14,} instructions a call", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
