"""Section 3: loading a ruleset, cold and warm, and `clinrules check` as a whole process.

- cold: the first `clinrules.load` in a fresh process, timed inside a
  subprocess after `import clinrules` (timed too); it imports what loading
  needs and builds the parser. The median over fresh processes;
- warm: `clinrules.load` again in this process;
- `clinrules check RULESET` as a whole process, beside the bare
  `python -c "import pydantic, lark"` it cannot do without.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import clinrules
from benchmarks.evaluate import ROOT, RULESET
from benchmarks.timing import Row, at_most, median_ns, ms, process_ns, process_outputs

SECTION = "3. load and check"

_COLD = """
import sys, time
start = time.perf_counter_ns()
import clinrules
imported = time.perf_counter_ns()
clinrules.load(sys.argv[1], allow_draft=True)
print(imported - start, time.perf_counter_ns() - imported)
"""


def run() -> tuple[list[Row], dict[str, Any]]:
    python = sys.executable
    cli = Path(python).parent / "clinrules"
    runs = [line.split() for line in process_outputs([python, "-c", _COLD, str(RULESET)])]
    imported = statistics.median(int(r[0]) for r in runs)
    cold = statistics.median(int(r[1]) for r in runs)
    warm = median_ns(lambda: clinrules.load(RULESET, allow_draft=True))
    check = process_ns([str(cli), "check", str(RULESET)])
    bare = process_ns([python, "-c", "import pydantic, lark"])

    s = SECTION
    rows = [
        Row(s, "import clinrules, in a fresh process", ms(imported), "ms"),
        Row(s, "load(), cold: the first in that process", ms(cold), "ms"),
        Row(s, "load(), warm: again in-process", ms(warm), "ms"),
        Row(s, "`clinrules check` whole process", ms(check), "ms"),
        Row(s, '`python -c "import pydantic, lark"` whole process', ms(bare), "ms"),
        at_most(s, "check / bare import", check / bare, 3),
    ]
    return rows, {"ruleset": str(RULESET.relative_to(ROOT))}
