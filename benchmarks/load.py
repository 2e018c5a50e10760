"""Section 3: loading a ruleset, cold and warm, and `clinrules check` as a whole process.

- cold: the first `clinrules.load` in a fresh process, timed inside a
  subprocess after `import clinrules` (timed too); it imports what loading
  needs and builds the parser. The median over fresh processes;
- warm: `clinrules.load` again in this process;
- `clinrules check` of the shipped ruleset (`SHIPPED`, three files) as a whole process, beside the bare
  `python -c "import pydantic, lark"` it cannot do without, both with
  bytecode caches (written by the warm-up run, then read) and without them
  (`PYTHONDONTWRITEBYTECODE=1` and a fresh, empty `PYTHONPYCACHEPREFIX` for
  every run, so that every module, the standard library's too, is compiled
  from source, as on the first run after an install that wrote no caches).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clinrules
from benchmarks.evaluate import ROOT, RULESET
from benchmarks.timing import (
    Row,
    at_most,
    median_ns,
    ms,
    process_ns,
    process_outputs,
    process_pair_ns,
    scaled,
)

SECTION = "3. load and check"
SHIPPED = ROOT / "rulesets" / "sciatica" / "glute_bridge.rules"

_COLD = """
import sys, time
start = time.perf_counter_ns()
import clinrules
imported = time.perf_counter_ns()
clinrules.load(sys.argv[1], allow_draft=True)
print(imported - start, time.perf_counter_ns() - imported)
"""


def _cached() -> dict[str, str]:
    """This environment, bytecode caches allowed (whatever the caller's environment says)."""
    return {
        k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }


def _uncached(folder: str) -> Callable[[], dict[str, str]]:
    """Environments that write no bytecode and find none: a new empty cache prefix for each run."""

    def env() -> dict[str, str]:
        return {
            **_cached(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(dir=folder),
        }

    return env


def run() -> tuple[list[Row], dict[str, Any]]:
    python = sys.executable
    cli = Path(python).parent / "clinrules"
    runs = [line.split() for line in process_outputs([python, "-c", _COLD, str(RULESET)])]
    imported = statistics.median(int(r[0]) for r in runs)
    cold = statistics.median(int(r[1]) for r in runs)
    warm = median_ns(lambda: clinrules.load(RULESET, allow_draft=True))
    check_argv, bare_argv = [str(cli), "check", str(SHIPPED)], [python, "-c", "import pydantic, lark"]
    example = process_ns([str(cli), "check", str(RULESET)], env=_cached)
    pairs = scaled(11, 3)  # more than REPEATS: a process is short, and the load of other work varies
    check, bare = process_pair_ns(check_argv, bare_argv, pairs, env=_cached)
    with tempfile.TemporaryDirectory() as folder:
        check_cold, bare_cold = process_pair_ns(check_argv, bare_argv, pairs, env=_uncached(folder))

    s = SECTION
    rows = [
        Row(s, "import clinrules, in a fresh process", ms(imported), "ms"),
        Row(s, "load(), cold: the first in that process", ms(cold), "ms"),
        Row(s, "load(), warm: again in-process", ms(warm), "ms"),
        Row(s, "`clinrules check` of the example, whole process, bytecode cached", ms(example), "ms"),
        Row(s, "`clinrules check` of the shipped ruleset, cached", ms(check), "ms"),
        Row(s, '`python -c "import pydantic, lark"` whole process, cached', ms(bare), "ms"),
        at_most(s, "check / bare import, cached", check / bare, 3, "startup_cached"),
        Row(s, "`clinrules check` of the shipped ruleset, no bytecode caches", ms(check_cold), "ms"),
        Row(s, '`python -c "import pydantic, lark"`, no bytecode caches', ms(bare_cold), "ms"),
        at_most(s, "check / bare import, no caches", check_cold / bare_cold, 3, "startup_uncached"),
    ]
    return rows, {"ruleset": str(RULESET.relative_to(ROOT)), "checked": str(SHIPPED.relative_to(ROOT))}
